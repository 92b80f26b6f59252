"""``http``: a department's own system over HTTP/JSON (being written)."""

from __future__ import annotations

from onething.sharing.providers import ProviderError, register


@register("http", "部门接口（HTTP/JSON）")
class Http:
    def fetch(self, resource, subject, fields):
        raise ProviderError("部门接口尚未接入")
