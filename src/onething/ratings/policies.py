"""A region's 好差评 settings (``RatingPolicy``): its own row, else the nearest ancestor's, else
the platform's (``region`` empty), else the rules' defaults."""

from __future__ import annotations

from django.db.models import Q

from onething.directory.models import Region, chain
from onething.ratings.models import RatingPolicy


def _nearest(rows: dict, path: str) -> RatingPolicy:
    for code in reversed(chain(path)):
        if code in rows:
            return rows[code]
    return rows.get(None) or RatingPolicy()


def policy_for(region: Region) -> RatingPolicy:
    """The settings that apply in ``region`` (one query)."""
    rows = {
        p.region_id: p
        for p in RatingPolicy.objects.filter(Q(region_id__in=chain(region.path)) | Q(region__isnull=True))
    }
    return _nearest(rows, region.path)


class Policies:
    """Every region's settings for a run over many rows (all policies read once)."""

    def __init__(self) -> None:
        self.rows = {p.region_id: p for p in RatingPolicy.objects.all()}
        self._by_region: dict[str, RatingPolicy] = {}

    def __call__(self, region_code: str) -> RatingPolicy:
        found = self._by_region.get(region_code)
        if found is None:
            path = Region.objects.filter(code=region_code).values_list("path", flat=True).first()
            found = _nearest(self.rows, path or region_code)
            self._by_region[region_code] = found
        return found

    def shortest_wait(self) -> int:
        """The fewest days any region waits before a default rating."""
        days = [p.default_after_days for p in self.rows.values()]
        return min(days) if days else RatingPolicy().default_after_days
