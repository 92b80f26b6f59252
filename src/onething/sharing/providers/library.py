"""``library``: the platform's base library (人口库、法人库、主题库) — rows a providing department
publishes into the platform (``SourceRecord``), read by resource and subject."""

from __future__ import annotations

from onething.sharing.models import SourceRecord
from onething.sharing.providers import register


@register("library", "平台基础库")
class Library:
    def fetch(self, resource, subject, fields):
        row = SourceRecord.objects.filter(resource_id=resource.pk, subject=subject).values_list(
            "data", flat=True
        )
        return next(iter(row), None)
