"""综合窗口工作台: finding an application at the counter, and what the window may file for.

- :func:`find` — one search box: an application number (or a sub-case number), the applicant's
  name, or a 公民身份号码. An ID number matches **exactly** (never a prefix or part of one, so
  the box cannot be used to guess numbers); results carry the ID number masked.
- :func:`offers` — the bundles and items the clerk's hall takes in (``intake.hall_offers``),
  filtered by a word of their name or code and grouped by region and department (the page
  folds each region and each department instead of one long column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from onething.cases import intake
from onething.cases.models import Application
from onething.kernel.codes import mask_id_number
from onething.kernel.text import TextError, clean_text

#: a typed query: at most this many characters (a number, a name or an ID number is shorter)
QUERY_MAX = 60
#: results shown at most
FIND_LIMIT = 50
#: 18-digit (check character X) or 15-digit 公民身份号码
ID_NUMBER = re.compile(r"^(?:[0-9]{17}[0-9X]|[0-9]{15})$")
#: an application number (``430600-20261120-000001``, ``110105-20261201-N43-000007``) or a
#: sub-case number (``…-01``), whole or its beginning
CASE_NUMBER = re.compile(r"^[0-9]{6}-[0-9A-Z-]*$")
#: full-width digits, letters and the ideographic space, as typed by a Chinese input method
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@dataclass
class Found:
    query: str  # as the page may show it back (an ID number masked)
    by: str  # "id_number" | "number" | "name" | "" (nothing usable typed)
    results: list[dict] = field(default_factory=list)

    @property
    def by_name(self) -> str:
        return {"id_number": "公民身份号码", "number": "办件编号", "name": "申请人姓名"}.get(self.by, "")


def normalise(query: str) -> str:
    """The query as typed, made comparable: half-width, trimmed, upper-case ``x`` of an ID."""
    try:
        query = clean_text(query or "", max_length=QUERY_MAX)
    except TextError:
        return ""
    return query.translate(_HALF_WIDTH).strip()


def find(scope: QuerySet[Application], query: str) -> Found:
    """Applications of ``scope`` (the clerk's hall) matching ``query``, newest first."""
    q = normalise(query)
    packed = re.sub(r"\s", "", q).upper()  # an ID number read out in groups: 430602 19900101 1235
    if ID_NUMBER.match(packed):
        q = packed
        found, by, shown = scope.filter(applicant_id_number=q), "id_number", mask_id_number(q)
    elif CASE_NUMBER.match(q.upper()):
        q = q.upper()
        found, by, shown = scope.filter(Q(number__startswith=q) | Q(subcases__number=q)), "number", q
    elif len(q) >= 2 or (q and not q.isascii()):
        found, by, shown = scope.filter(applicant_name__contains=q), "name", q
    else:
        return Found(query=q, by="")
    rows = found.distinct().order_by("-created_at")[:FIND_LIMIT]
    return Found(
        query=shown,
        by=by,
        results=[
            {
                "number": a.number,
                "name": a.name,
                "applicant_name": a.applicant_name,
                "id_number": mask_id_number(a.applicant_id_number),
                "status": a.get_status_display(),
                "created_at": a.created_at,
            }
            for a in rows
        ],
    )


def offers(hall, query: str = "") -> dict:
    """What the hall files for, ``query`` matched against names and codes: ``bundles``, the items
    by department (``departments``: ``{"code", "name", "region", "items"}``, in region and code
    order) and the same departments by region (``regions``: ``{"name", "departments", "count"}``),
    ``count`` and the ``query`` as cleaned."""
    from onething.catalog.models import Revision
    from onething.directory.models import Department

    bundles, items = intake.hall_offers(hall)
    q = normalise(query).casefold()
    if q:
        bundles = [b for b in bundles if q in b["name"].casefold() or q in b["code"].casefold()]
        items = [i for i in items if q in i["name"].casefold() or q in i["code"].casefold()]
    of_item = dict(
        Revision.objects.filter(
            kind="item", current=True, withdrawn=False, code__in=[i["code"] for i in items]
        ).values_list("code", "data__department")
    )
    known = list(
        Department.objects.filter(code__in=set(of_item.values()))
        .order_by("region__path", "code")
        .values_list("code", "name", "region__name")
    )
    order = {code: n for n, (code, _, _) in enumerate(known)}
    names = {code: (name, region) for code, name, region in known}
    groups: dict[str, dict] = {}
    for item in items:
        code = of_item.get(item["code"]) or ""
        name, region = names.get(code, ("其他部门", "其他"))
        group = groups.setdefault(code, {"code": code, "name": name, "region": region, "items": []})
        group["items"].append(item)
    departments = sorted(groups.values(), key=lambda g: (order.get(g["code"], len(order)), g["name"]))
    regions: dict[str, dict] = {}
    for group in departments:  # in region order already: one fold per region, then per department
        region = regions.setdefault(group["region"], {"name": group["region"], "departments": [], "count": 0})
        region["departments"].append(group)
        region["count"] += len(group["items"])
    return {
        "bundles": bundles,
        "departments": departments,
        "regions": list(regions.values()),
        "count": len(bundles) + len(items),
        "query": normalise(query),
    }
