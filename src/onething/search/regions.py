"""Region scope of a search: a region, the regions above it and the regions below it.

Someone in 岳阳楼区 (430602) can use items implemented there, items of 岳阳市 and 湖南省 that
apply to the whole area, and items of the townships inside it; a bundle with no region applies
everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from onething.directory.models import Region


@dataclass(frozen=True)
class RegionScope:
    code: str
    name: str
    path: str

    @property
    def ancestors(self) -> list[str]:
        return self.path.split("/")[:-1]

    def sql(self, alias: str) -> tuple[str, list[str]]:
        """A WHERE clause (with parameters) keeping the documents inside this scope."""
        codes = ["", *self.ancestors, self.code]
        marks = ", ".join(["%s"] * len(codes))
        clause = f"({alias}.region_code IN ({marks}) OR {alias}.region_path LIKE %s)"
        return clause, [*codes, f"{self.path}/%"]

    def q(self):
        """The same scope as a Django ``Q`` for ORM queries (browse)."""
        from django.db.models import Q

        return Q(region_code__in=["", *self.ancestors, self.code]) | Q(
            region_path__startswith=f"{self.path}/"
        )


def scope(code: str) -> RegionScope | None:
    """The scope of a region code, or ``None`` when the region does not exist."""
    row = Region.objects.filter(code=code).values_list("code", "name", "path").first()
    return RegionScope(*row) if row else None
