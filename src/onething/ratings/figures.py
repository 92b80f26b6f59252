"""好差评 rates and rankings, read from the projection (``RatingFact``) alone — never from the
ratings themselves, so a region and a period cost at most days × keys × regions rows whatever
the number of ratings.

Per key of a dimension (:data:`DIMS`) over the days ``start..end`` (inclusive), restricted to
the ratings whose region is the region or lies below it (its path, or its path + ``/``; never
a sibling whose code merely starts alike), a :class:`Row` holds the sums and the rates:

- 好评率 ``good / given`` and 差评率 ``bad / given`` (a defaulted rating is neither: it counts
  in ``ratings`` and ``defaulted`` only);
- 差评整改率 ``rect_on_time / rect_due`` (answered by the due date, of those answered or overdue);
- 回访率 ``revisited / bad``;
- 主动评价率 ``given / ratings`` (the coverage: every service ends rated or defaulted once the
  region's default days have passed, so ``ratings`` is every finished service of the period
  minus those still in their rating window);
- the average score ``score_sum / given`` and per indicator ``sum / n``.

A rate is a fraction 0–1, or ``None`` when its denominator is 0; :meth:`Row.parts` gives the
numerator and denominator. The ``region`` dimension groups the rows by the child of the region
they lie under (ratings of the region itself form a row of their own, ``self``).

A department admin sees only their department's ratings (``departments``): the totals and the
region rows are then read from the ``department`` rows of those departments, the items are
those the departments implement, the staff those holding a role in them; the hall, window and
channel rows are not theirs to see (the projection does not split them by department).

Labels are loaded per dimension in one query each, not per row.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Q, Sum
from django.utils import timezone

from onething.accounts.models import StaffRole, User
from onething.catalog.models import Bundle, Item, PublishState
from onething.core import text
from onething.directory.models import Department, Hall, Region, Window, within
from onething.kernel import text as kernel_text
from onething.kernel.errors import Invalid, NotFound
from onething.ratings import access, rules
from onething.ratings.models import RatingFact
from onething.ratings.projection import MEASURES

#: dimension → tab caption (the page's order)
DIMS = {
    "region": "按区划",
    "department": "按部门",
    "item": "按事项",
    "hall": "按大厅",
    "window": "按窗口",
    "staff": "按工作人员",
    "channel": "按渠道",
}
#: every dimension ``rates`` answers (``service``: the item or bundle applied for; ``all``: one row)
ALL_DIMS = (*DIMS, "service", "all")
#: the dimensions a department admin sees (their department's rows only)
DEPARTMENT_DIMS = ("region", "department", "item", "service", "staff", "all")
#: the heading of the first column of each dimension's table
HEADS = {
    "region": "区划",
    "department": "部门",
    "item": "事项",
    "service": "一件事/事项",
    "hall": "大厅",
    "window": "窗口",
    "staff": "工作人员",
    "channel": "渠道",
    "all": "合计",
}
#: rate → (label, numerator, denominator)
RATES = {
    "good_rate": ("好评率", "good", "given"),
    "bad_rate": ("差评率", "bad", "given"),
    "fixed_rate": ("差评整改率", "rect_on_time", "rect_due"),
    "revisit_rate": ("回访率", "revisited", "bad"),
    "coverage": ("主动评价率", "given", "ratings"),
}
#: counts shown with the rates → label
COUNTS = {
    "ratings": "评价数",
    "given": "主动评价",
    "defaulted": "默认评价",
    "good": "好评",
    "bad": "差评",
    "rect_due": "整改应办",
    "rect_on_time": "按时整改",
    "revisited": "已回访",
}
COVERAGE_NOTE = (
    f"每项服务办结后由服务对象评价；{rules.DEFAULT_AFTER_DAYS} 天（各地可设置）内未评价的记为默认评价，"
    "因此评价数即已过评价期的服务数，主动评价率 = 主动评价 ÷ 评价数。"
    "好评率、差评率以主动评价为分母，默认评价不计入。"
)
#: the longest period one request may cover (a year and a day)
MAX_DAYS = 366
#: the public summary's recent window
RECENT_DAYS = 365
SELF = "self"


# ---------------------------------------------------------------------------------- rows


@dataclass
class Row:
    """One key's sums over the period, with its rates (``None`` where the denominator is 0)."""

    key: str
    label: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    rank: int | None = None

    def __getattr__(self, name: str):
        # the sums read as attributes: row.ratings, row.good, row.ind_overall_sum …
        if name in MEASURES:
            return self.counts.get(name, 0)
        raise AttributeError(name)

    def parts(self, rate: str) -> tuple[int, int]:
        """The numerator and denominator of ``rate`` (a key of :data:`RATES`)."""
        _, top, bottom = RATES[rate]
        return self.counts.get(top, 0), self.counts.get(bottom, 0)

    def rate(self, rate: str) -> float | None:
        top, bottom = self.parts(rate)
        return top / bottom if bottom else None

    def fraction(self, rate: str) -> Fraction | None:
        top, bottom = self.parts(rate)
        return Fraction(top, bottom) if bottom else None

    good_rate = property(lambda self: self.rate("good_rate"))
    bad_rate = property(lambda self: self.rate("bad_rate"))
    fixed_rate = property(lambda self: self.rate("fixed_rate"))
    revisit_rate = property(lambda self: self.rate("revisit_rate"))
    coverage = property(lambda self: self.rate("coverage"))

    @property
    def average(self) -> float | None:
        given = self.counts.get("given", 0)
        return self.counts.get("score_sum", 0) / given if given else None

    @property
    def indicators(self) -> dict[str, float | None]:
        """Average per indicator (``rules.INDICATORS`` order), ``None`` where none was given."""
        out = {}
        for key in rules.INDICATORS:
            n = self.counts.get(f"ind_{key}_n", 0)
            out[key] = self.counts.get(f"ind_{key}_sum", 0) / n if n else None
        return out

    def as_dict(self) -> dict:
        """The row as the API gives it."""
        out = {
            "key": self.key,
            "label": self.label,
            **{name: self.counts.get(name, 0) for name in ("ratings", "given", "defaulted", "good", "bad")},
            **{name: self.rate(name) for name in RATES},
            "average": self.average,
            "indicators": self.indicators,
            "numerators": {name: self.parts(name)[0] for name in RATES},
            "denominators": {name: self.parts(name)[1] for name in RATES},
        }
        if self.rank is not None:
            out["rank"] = self.rank
        return out


def _add(into: dict[str, int], sums: dict) -> None:
    for name in MEASURES:
        into[name] = into.get(name, 0) + (sums.get(name) or 0)


# ---------------------------------------------------------------------------------- reading


def _within(region: Region) -> Q:
    return Q(region_path=region.path) | Q(region_path__startswith=f"{region.path}/")


def _facts(region: Region, start: dt.date, end: dt.date, dim: str, keys=None):
    rows = RatingFact.objects.filter(dim=dim, day__gte=start, day__lte=end).filter(_within(region))
    if keys is not None:
        rows = rows.filter(key__in=sorted(keys))
    return rows


def _sums(rows, group: str) -> list[dict]:
    return list(rows.order_by().values(group).annotate(**{f"s_{m}": Sum(m) for m in MEASURES}))


def _counts(raw: dict) -> dict[str, int]:
    return {m: raw.get(f"s_{m}") or 0 for m in MEASURES}


def department_keys(dim: str, departments) -> set[str] | None:
    """The keys of ``dim`` a department admin of ``departments`` sees (``None``: every key)."""
    if departments is None:
        return None
    departments = list(departments)
    if dim in ("department", "all", "region"):
        return set(departments)
    if dim == "item":
        return set(Item.objects.filter(department_id__in=departments).values_list("code", flat=True))
    if dim == "service":
        items = Item.objects.filter(department_id__in=departments).values_list("code", flat=True)
        bundles = Bundle.objects.filter(lead_department_id__in=departments).values_list("code", flat=True)
        return set(items) | set(bundles)
    if dim == "staff":
        users = StaffRole.objects.filter(department_id__in=departments).values_list("user_id", flat=True)
        return {str(pk) for pk in users}
    raise NotFound("部门管理员只能查看本部门的评价统计（按区划、部门、事项、工作人员）", "by")


def rates(region: Region, *, start: dt.date, end: dt.date, dim: str, departments=None) -> list[Row]:
    """The rows of ``dim`` for ``region`` (and below) over ``start..end``; see the module."""
    if dim not in ALL_DIMS:
        raise Invalid(f"“统计维度”应为 {'、'.join(ALL_DIMS)} 之一", "by")
    keys = department_keys(dim, departments)
    if dim in ("region", "all"):
        source = "department" if departments is not None else "all"
        facts = _facts(region, start, end, source, keys)
        if dim == "all":
            row = Row("", region.name)
            for raw in _sums(facts, "dim"):
                _add(row.counts, _counts(raw))
            return [row] if row.counts.get("ratings") else []
        grouped: dict[str, dict[str, int]] = {}
        depth = len(region.path) + 1
        for raw in _sums(facts, "region_path"):
            path = raw["region_path"]
            child = SELF if path == region.path else path[depth:].split("/", 1)[0]
            _add(grouped.setdefault(child, {}), _counts(raw))
        rows = [Row(k, counts=c) for k, c in grouped.items()]
    else:
        facts = _facts(region, start, end, dim, keys)
        rows = [Row(raw["key"], counts=_counts(raw)) for raw in _sums(facts, "key") if raw["key"] != ""]
    rows = [r for r in rows if r.counts.get("ratings")]
    _label(dim, rows, region)
    return _ordered(dim, rows)


def totals(region: Region, start: dt.date, end: dt.date, *, departments=None) -> Row:
    """The region's one row (dimension ``all``); zero counts when nothing was rated."""
    found = rates(region, start=start, end=end, dim="all", departments=departments)
    return found[0] if found else Row("", region.name, {m: 0 for m in MEASURES})


def _rank_key(row: Row):
    good, fixed = row.fraction("good_rate"), row.fraction("fixed_rate")
    return (good is None, -(good or 0), fixed is None, -(fixed or 0), -row.counts.get("ratings", 0))


def ranked(rows: list[Row]) -> list[Row]:
    """``rows`` by 好评率, then 差评整改率, then ratings (all descending; no rate: last), each
    with its rank — equal on all three, equal rank (1, 1, 3)."""
    rows = sorted(rows, key=lambda r: (_rank_key(r), r.key))
    previous = None
    for position, row in enumerate(rows, start=1):
        key = _rank_key(row)
        if key != previous:
            rank, previous = position, key
        row.rank = rank
    return rows


def rankings(
    region: Region, start: dt.date, end: dt.date, by: str = "region", *, departments=None
) -> list[Row]:
    """区划排名 (the region's children) or 部门排名 (the departments rated in it)."""
    if by not in ("region", "department"):
        raise Invalid("“排名方式”应为 region（区划）或 department（部门）", "by")
    return ranked_rows(rates(region, start=start, end=end, dim=by, departments=departments))


def ranked_rows(rows: list[Row]) -> list[Row]:
    """The rankings of rows of ``rates`` (the region's own row apart), on copies."""
    return ranked([Row(r.key, r.label, dict(r.counts)) for r in rows if r.key != SELF])


def dims_for(departments) -> list[str]:
    """The dimensions (tabs, sheets) shown: all of :data:`DIMS`, or a department admin's."""
    return [d for d in DIMS if departments is None or d in DEPARTMENT_DIMS]


def report(region: Region, start: dt.date, end: dt.date, *, departments=None, dims=None) -> dict:
    """Everything the page and the workbook show: the totals, the rows of ``dims`` (default:
    :func:`dims_for`) and both rankings."""
    dims = dims_for(departments) if dims is None else dims
    rows = {d: rates(region, start=start, end=end, dim=d, departments=departments) for d in dims}
    return {
        "region": region,
        "from": start,
        "to": end,
        "totals": totals(region, start, end, departments=departments),
        "dims": rows,
        "rankings": {
            by: ranked_rows(rows[by])
            if by in rows
            else rankings(region, start, end, by, departments=departments)
            for by in ("region", "department")
        },
    }


#: the workbook's columns after the name and code: (getter, heading, number format)
def _columns() -> list[tuple]:
    cols = [(lambda r, k=k: r.counts.get(k, 0), label, "0") for k, label in COUNTS.items()]
    cols += [(lambda r, k=k: r.rate(k), label, "0.0%") for k, (label, _, _) in RATES.items()]
    cols.append((lambda r: r.average, "平均分", "0.00"))
    cols += [
        (lambda r, k=k: r.indicators[k], f"{label}（平均分）", "0.00")
        for k, label in rules.INDICATORS.items()
    ]
    return cols


RANKING_SHEETS = {"region": "区划排名", "department": "部门排名"}


def xlsx(data: dict) -> bytes:
    """The report as an Excel workbook: one sheet per dimension, the two rankings and 说明."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = _columns()
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)

    def sheet_of(title: str, head: str, rows: list[Row], ranked_rows: bool = False) -> None:
        sheet = book.create_sheet(title)
        heads = (["排名"] if ranked_rows else []) + [head, "编码"] + [h for _, h, _ in columns]
        sheet.append(heads)
        for c in sheet[1]:
            c.font = bold
        for row in rows:
            values = ([row.rank] if ranked_rows else []) + [row.label, row.key]
            sheet.append(values + [get(row) for get, _, _ in columns])
            offset = len(values)
            for n, (_, _, fmt) in enumerate(columns):
                sheet.cell(row=sheet.max_row, column=offset + n + 1).number_format = fmt
        sheet.freeze_panes = "B2" if not ranked_rows else "C2"
        sheet.column_dimensions["A" if not ranked_rows else "B"].width = 28

    for dim, rows in data["dims"].items():
        sheet_of(DIMS.get(dim, dim), HEADS[dim], rows)
    for by, rows in data["rankings"].items():
        sheet_of(RANKING_SHEETS[by], HEADS[by], rows, ranked_rows=True)
    sheet_of("合计", "区划", [data["totals"]])
    notes = book.create_sheet("说明")
    notes.append(["区划", f"{data['region'].name}（{data['region'].code}）"])
    notes.append(["统计区间", f"{data['from'].isoformat()} 至 {data['to'].isoformat()}"])
    notes.append(["口径", COVERAGE_NOTE])
    notes.append(["排名规则", "按好评率、差评整改率、评价数依次从高到低；三项均相同的并列同一名次"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------- labels


def _names(dim: str, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    if dim == "department":
        return {
            code: short or name
            for code, short, name in Department.objects.filter(code__in=keys).values_list(
                "code", "short_name", "name"
            )
        }
    if dim == "item":
        return dict(Item.objects.filter(code__in=keys).values_list("code", "name"))
    if dim == "service":
        names = dict(Item.objects.filter(code__in=keys).values_list("code", "name"))
        names.update(Bundle.objects.filter(code__in=keys).values_list("code", "name"))
        return names
    if dim == "hall":
        return dict(Hall.objects.filter(code__in=keys).values_list("code", "name"))
    if dim == "window":
        ids = [int(k) for k in keys if k.isdigit()]
        return {
            str(pk): f"{hall} {number}号窗口"
            for pk, hall, number in Window.objects.filter(pk__in=ids).values_list(
                "pk", "hall__name", "number"
            )
        }
    if dim == "staff":
        ids = [int(k) for k in keys if k.isdigit()]
        return {
            str(pk): real or username
            for pk, real, username in User.objects.filter(pk__in=ids).values_list(
                "pk", "real_name", "username"
            )
        }
    if dim == "channel":
        return dict(rules.CHANNELS)
    if dim == "region":
        return dict(Region.objects.filter(code__in=keys).values_list("code", "name"))
    return {}


def _label(dim: str, rows: list[Row], region: Region) -> None:
    names = _names(dim, [r.key for r in rows if r.key != SELF])
    for row in rows:
        if dim == "region" and row.key == SELF:
            row.label = f"{region.name}（本级）"
        else:
            row.label = names.get(row.key) or row.key


def _ordered(dim: str, rows: list[Row]) -> list[Row]:
    if dim == "region":
        return sorted(rows, key=lambda r: (r.key != SELF, r.key))
    if dim == "channel":
        order = list(rules.CHANNELS)
        return sorted(rows, key=lambda r: (order.index(r.key) if r.key in order else len(order), r.key))
    return sorted(rows, key=lambda r: (-r.counts.get("ratings", 0), r.label, r.key))


# ---------------------------------------------------------------------------------- public


def service_summary(code: str, *, today: dt.date | None = None) -> dict:
    """The public 评价概况 of a published item (dimension ``item``: every rating of it, alone or
    within a bundle) or bundle (dimension ``service``), all regions: counts per level
    and 好评率, all time and over the last 12 months. No personal data (no rater, no staff)."""
    code = str(code or "")[:64]
    today = today or timezone.localdate()
    live = [PublishState.PUBLISHED, PublishState.CHANGED]
    bundle = Bundle.objects.filter(code=code, state__in=live).first()
    item = None if bundle else Item.objects.filter(code=code, state__in=live).first()
    if bundle is None and item is None:
        raise NotFound("未找到该事项或一件事", "code")
    dim = "service" if bundle else "item"
    facts = RatingFact.objects.filter(dim=dim, key=code)
    since = today - dt.timedelta(days=RECENT_DAYS - 1)

    def summed(rows) -> Row:
        row = Row(code, (bundle or item).name)
        for raw in _sums(rows, "dim"):
            _add(row.counts, _counts(raw))
        return row

    def levels(row: Row) -> dict:
        good, bad, given = row.good, row.bad, row.given
        return {
            "ratings": row.ratings,
            "given": given,
            "good": good,
            "bad": bad,
            **{f"level_{n}": row.counts.get(f"level_{n}", 0) for n in range(5, 0, -1)},
            "defaulted": row.defaulted,
            "good_rate": row.good_rate,
            "average": row.average,
        }

    return {
        "code": code,
        "kind": "bundle" if bundle else "item",
        "name": (bundle or item).name,
        "since": since,
        "until": today,
        "all": levels(summed(facts)),
        "recent": levels(summed(facts.filter(day__gte=since, day__lte=today))),
    }


#: the public page's rows: the five levels given, then the defaulted ratings
LEVEL_GROUPS = [
    *[(f"level_{score}", word) for score, word in rules.LEVELS.items()],
    ("defaulted", "默认评价（逾期未评）"),
]


# ---------------------------------------------------------------------------------- input


def _date(value, name: str, label: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return kernel_text.parse_date(value, earliest=text.EARLIEST, latest=text.LATEST)
    except kernel_text.TextError as exc:
        raise Invalid(f"“{label}”{exc.reason}", name) from None


def period(first=None, last=None, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period asked for: ISO dates; blank: the current month so far (to today); at most
    :data:`MAX_DAYS`; the start not after the end."""
    today = today or timezone.localdate()
    first_day = _date(first, "from", "起始日期")
    last_day = _date(last, "to", "截止日期")
    if last_day is None:
        last_day = today if first_day is None or first_day <= today else first_day
    if first_day is None:
        first_day = last_day.replace(day=1)
    if first_day > last_day:
        raise Invalid("“起始日期”不能晚于截止日期", "from")
    if (last_day - first_day).days >= MAX_DAYS:
        raise Invalid(f"“截止日期”：统计区间最长 {MAX_DAYS} 天", "to")
    return first_day, last_day


def presets(today: dt.date | None = None) -> list[tuple[str, dt.date, dt.date]]:
    """The periods a supervisor asks for most: this month so far, last month, the last three
    months, this year so far."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    last_month_end = month - dt.timedelta(days=1)
    three = month
    for _ in range(2):  # this month and the two before it
        three = (three - dt.timedelta(days=1)).replace(day=1)
    return [
        ("本月", month, today),
        ("上月", last_month_end.replace(day=1), last_month_end),
        ("近三个月", three, today),
        ("今年", today.replace(month=1, day=1), today),
    ]


def dimension(value, *, default: str = "region") -> str:
    value = default if value in (None, "") else value
    if not isinstance(value, str) or value not in ALL_DIMS:
        raise Invalid(f"“统计维度”应为 {'、'.join(ALL_DIMS)} 之一", "by")
    return value


# ---------------------------------------------------------------------------------- scope


@dataclass
class Scope:
    """What a person may see: whole regions (supervisors, platform admins) and the regions of
    the departments they administer (those departments' rows only)."""

    regions: list[Region]
    departments: dict[str, Region]

    def __bool__(self) -> bool:
        return bool(self.regions or self.departments)

    def default(self) -> Region:
        if self.regions:
            return self.regions[0]
        return next(iter(self.departments.values()))

    def resolve(self, region: Region) -> list[str] | None:
        """The departments filter for ``region`` (``None``: all of it), or 404 outside."""
        if any(within(region.path, r.code) for r in self.regions):
            return None
        codes = sorted(code for code, r in self.departments.items() if within(region.path, r.code))
        if not codes:
            raise NotFound("未找到该区划", "region")
        return codes

    def options(self) -> list[Region]:
        """The regions offered in the picker: the scope's regions and those below them down to
        the county (deeper ones are reached from the region table)."""
        roots = [*self.regions, *self.departments.values()]
        q = Q(pk__in=[])
        for r in roots:
            q |= Q(path=r.path) | Q(path__startswith=f"{r.path}/", level__in=["city", "county"])
        return list(Region.objects.filter(q).order_by("path"))


def scope_of(user) -> Scope:
    regions = access.regions_reviewed(user)
    departments = {}
    if getattr(user, "is_authenticated", False):
        roles = StaffRole.objects.filter(user=user, role=StaffRole.DEPARTMENT_ADMIN, department__isnull=False)
        for role in roles.select_related("department__region").order_by("department_id"):
            departments[role.department_id] = role.department.region
    return Scope(regions=regions, departments=departments)


def region_for(scope: Scope, code) -> tuple[Region, list[str] | None]:
    """The region asked for (blank: the scope's first) and its departments filter; unknown or
    outside the scope: 404."""
    if not scope:
        raise NotFound("未找到该区划", "region")
    code = text.clean(code, "region", max_length=12) if code not in (None, "") else ""
    region = Region.objects.filter(code=code).first() if code else scope.default()
    if region is None:
        raise NotFound("未找到该区划", "region")
    return region, scope.resolve(region)
