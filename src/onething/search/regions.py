"""Region scope of a search: a region, the regions above it and the regions below it.

Someone in 岳阳楼区 (430602) can use items implemented there, items of 岳阳市 and 湖南省 that
apply to the whole area, and items of the townships inside it; a bundle with no region applies
everywhere.

The person's region (chosen in the header, kept in the session; for a signed-in person without
a choice, their own region) decides which implementation of an item the results page shows
first: :func:`preferred`, :func:`remember`, :func:`choices`.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from onething.directory.models import Region

#: :meth:`RegionScope.nearness_sql` values from here on are regions outside the scope
ELSEWHERE = 300


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

    def nearness_sql(self, alias: str) -> tuple[str, list[str]]:
        """An SQL expression ordering documents by how near their region is to this one.

        This region 0; the regions above it, nearest first (100 minus the path length); no
        region (applies everywhere) 100; the regions below it, higher levels first (200 and
        up); any other region 300 and up. Below :data:`ELSEWHERE` means "serves this region".
        """
        a = alias
        parts, params = [f"WHEN {a}.region_code = %s THEN 0"], [self.code]
        if self.ancestors:
            marks = ", ".join(["%s"] * len(self.ancestors))
            parts.append(f"WHEN {a}.region_code IN ({marks}) THEN 100 - LENGTH({a}.region_path)")
            params.extend(self.ancestors)
        parts.append(f"WHEN {a}.region_code = '' THEN 100")
        parts.append(f"WHEN {a}.region_path LIKE %s THEN 200 + LENGTH({a}.region_path)")
        params.append(f"{self.path}/%")
        return f"CASE {' '.join(parts)} ELSE {ELSEWHERE} + LENGTH({a}.region_path) END", params

    def serves(self, region_code: str, region_path: str) -> bool:
        """Whether a document of that region is usable here (the same test as :meth:`sql`)."""
        return region_code in ("", *self.ancestors, self.code) or region_path.startswith(f"{self.path}/")

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


SESSION_KEY = "search_region"
#: the levels offered in the header's chooser (townships and villages are far too many)
CHOICE_LEVELS = ("province", "city", "county")
MAX_CHOICES = 300
#: seconds the chooser's list is kept in a process (regions change a few times a year)
CHOICES_TTL = 300
_REQUEST_ATTR = "_search_preferred_region"
_SIX_DIGITS = re.compile(r"^\d{6}")
_choices_lock = threading.Lock()
_choices: dict[str, object] = {}


def choices() -> list[dict]:
    """The regions of the header's chooser (``code``, ``name``, ``level``), top-down."""
    now = time.monotonic()
    with _choices_lock:
        if _choices.get("until", 0) < now:
            rows = Region.objects.filter(level__in=CHOICE_LEVELS).order_by("path")[:MAX_CHOICES]
            _choices["rows"] = [
                {"code": c, "name": n, "level": lv} for c, n, lv in rows.values_list("code", "name", "level")
            ]
            _choices["until"] = now + CHOICES_TTL
        return list(_choices["rows"])  # type: ignore[arg-type]


def _own_region(user) -> str:
    """A signed-in person's region: their ``region`` when the account has one, else the
    region of household registration in their 公民身份号码 (its first six digits)."""
    code = getattr(user, "region_id", None) or ""
    if not code:
        match = _SIX_DIGITS.match(getattr(user, "id_number", "") or "")
        code = match.group(0) if match else ""
    return code


def preferred(request) -> RegionScope | None:
    """The person's region: the session's choice (``""``: all regions), else their own."""
    if hasattr(request, _REQUEST_ATTR):
        return getattr(request, _REQUEST_ATTR)
    session = getattr(request, "session", None)
    code = None
    if session is not None:
        code = session.get(SESSION_KEY)
    if code is None:
        user = getattr(request, "user", None)
        code = _own_region(user) if getattr(user, "is_authenticated", False) else ""
    found = scope(code) if isinstance(code, str) and code.isdigit() and len(code) in (6, 12) else None
    setattr(request, _REQUEST_ATTR, found)
    return found


def remember(request, region: RegionScope | None) -> None:
    """Keep the person's choice in the session (``None``: all regions, over their own region)."""
    request.session[SESSION_KEY] = region.code if region is not None else ""
    setattr(request, _REQUEST_ATTR, region)
