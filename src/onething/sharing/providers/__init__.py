"""Data providers: the plugins that answer the gateway for a resource (like Open Forms prefill).

A provider is registered under a key with :func:`register` (one module per provider in this
folder); a resource names its provider in ``Resource.backend`` and configures it in
``backend_config``. The gateway calls ``fetch(resource, subject, fields)``: the provider returns
the subject's record as a mapping (``None`` when it has none) or raises :class:`ProviderError`
when its source cannot answer. It may return more than was asked for: the gateway projects the
answer onto the approved fields (``sharing.rules.project``) and never trusts a provider to.

Built in: ``library`` (the platform's base library, ``SourceRecord`` rows), ``people`` and
``enterprises`` (the platform's own registers of real-name users and enterprises) and ``http``
(a department's system over HTTP/JSON, with timeouts, retries and a circuit breaker). The
e-licence store registers itself as one more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import Any, Protocol

from onething.kernel.registry import Registry


class ProviderError(Exception):
    """The source could not answer (down, timed out, malformed answer, circuit open)."""


class Provider(Protocol):
    key: str
    label: str

    def fetch(self, resource, subject: str, fields: Iterable[str]) -> Mapping[str, Any] | None: ...


_REGISTRY = Registry(lambda key: ProviderError(f"未登记的数据提供方式“{key}”"))

BUILTIN = ("library", "people", "enterprises", "http")

#: ``@register("http", "部门接口（HTTP/JSON）")`` registers one instance of the class
register = _REGISTRY.register
get: Callable[[str], Provider] = _REGISTRY.get
choices = _REGISTRY.choices


def load_builtin() -> None:
    for name in BUILTIN:
        import_module(f"onething.sharing.providers.{name}")
