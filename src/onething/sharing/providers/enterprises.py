"""``enterprises``: the platform's register of enterprises (法人库)."""

from __future__ import annotations

from onething.accounts.models import Enterprise
from onething.sharing.providers import register


@register("enterprises", "平台法人信息")
class Enterprises:
    def fetch(self, resource, subject, fields):
        row = (
            Enterprise.objects.filter(uscc=subject)
            .values("uscc", "name", "region_id", "industry", "size", "founded")
            .first()
        )
        if row is None:
            return None
        return {
            "uscc": row["uscc"],
            "name": row["name"],
            "region": row["region_id"] or "",
            "industry": row["industry"],
            "size": row["size"],
            "founded": row["founded"].isoformat() if row["founded"] else "",
        }
