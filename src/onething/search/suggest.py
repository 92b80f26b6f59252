"""Never an empty page: what to offer when nothing matches a query.

:func:`similar` finds the items and bundles whose names share the most characters with the
query (办火箭发射证 → the certificates, 量子 → nothing), ranked like search: name overlap
far above overlap in the surrounding text, bundles a little ahead. :func:`popular` lists the
most common life events (一件事) of the person's area: those serving the person's region first,
then personal ones before enterprise ones, then those adopted by more regions — the catalog
has no usage figures, so how widely a bundle is implemented stands in for how often it is
needed.
"""

from __future__ import annotations

from onething.search import backends
from onething.search.models import SearchDocument
from onething.search.normalize import is_cjk, runs
from onething.search.regions import RegionScope

#: characters too common in everyday phrasing or in item names to say anything on their own
STOP_CHARS = frozenset(
    "的了我你他她它要想办个么什怎吗呢啊吧去到和与及或是有在把被给让用就都也还又很太一这那哪"
)
#: characters of a query looked at (a query is at most 100 characters)
MAX_CHARS = 20
SIMILAR = 6
POPULAR = 4
CANDIDATES = 200
BUNDLE_FACTOR = 1.2
DENSITY = 0.5
#: bundles read for :func:`popular` (a national catalog has a few thousand)
MAX_BUNDLES = 2000


def characters(folded: str) -> list[str]:
    """The distinct meaningful CJK characters of a folded query, in order."""
    chars = (ch for run in runs(folded) if is_cjk(run) for ch in run if ch not in STOP_CHARS)
    return list(dict.fromkeys(chars))[:MAX_CHARS]


def similar(
    folded: str, scope: RegionScope | None = None, preferred: RegionScope | None = None, limit: int = SIMILAR
) -> list[dict]:
    """Items and bundles whose names share characters with the query, closest first."""
    from onething.search.engine import groups

    chars = characters(folded)
    if not chars:
        return []
    candidates = backends.get().candidates([[ch] for ch in chars], scope, CANDIDATES)
    scored = []
    for c in candidates:
        in_name = sum(ch in c.folded_name for ch in chars)
        if not in_name:
            continue
        in_extra = sum(ch in c.folded_extra for ch in chars if ch not in c.folded_name)
        # shared characters, then how much of the name they make up (驾驶证 → 机动车驾驶证补领
        # before 经营性道路货物运输驾驶员从业资格证核发)
        value = (2 * in_name + 0.5 * in_extra) / len(chars) + DENSITY * in_name / len(c.folded_name)
        scored.append(
            (round(value * (BUNDLE_FACTOR if c.kind == "bundle" else 1), 4), c.kind != "bundle", c.id)
        )
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    return groups([(value, text_id) for value, _, text_id in scored], scope, preferred, limit)


def popular(
    scope: RegionScope | None = None, preferred: RegionScope | None = None, limit: int = POPULAR
) -> list[dict]:
    """The most common life events (bundles) near the person, one per name."""
    from onething.search.engine import shape

    qs = SearchDocument.objects.filter(kind="bundle")
    if scope is not None:
        qs = qs.filter(scope.q())
    fields = ("kind", "code", "name", "department_name", "region_code", "region_name", "region_path")
    rows = list(qs.order_by("code").values(*fields, "audience", "themes", "summary")[:MAX_BUNDLES])
    by_name: dict[str, list[dict]] = {}
    for row in rows:
        by_name.setdefault(row["name"], []).append(row)

    def serves(row: dict) -> bool:
        return preferred is None or preferred.serves(row["region_code"], row["region_path"])

    def nearest(rows: list[dict]) -> dict:
        return min(rows, key=lambda r: (not serves(r), len(r["region_path"]), r["code"]))

    chosen = [(nearest(same), len(same)) for same in by_name.values()]
    chosen.sort(key=lambda rc: (not serves(rc[0]), rc[0]["audience"] == "enterprise", -rc[1], rc[0]["code"]))
    out = []
    for row, _ in chosen[:limit]:
        result = shape(row, 0.0, preferred)
        result["local"] = preferred is not None and serves(row)
        out.append(result)
    return out
