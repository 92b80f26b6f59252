"""时限督查看板: the yellow and red sub-cases of a supervisor's regions — counted by level and by
department, filtered by level, department and region, with their 督办 records — and the same
list as an Excel workbook.

The list holds sub-cases still being worked on whose clock says yellow or red (the projected
``warning``; a decided or stopped sub-case is never on it). Each count ignores its own filter
(the level counts are those of the chosen department and region, the department counts those
of the chosen level and region), so the counts say what each choice would show.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from onething.audit.models import AuditRecord
from onething.cases import urgency
from onething.cases.access import supervised_cases
from onething.cases.models import SubCase
from onething.directory.models import Department, Region, within_q
from onething.kernel.codes import mask_id_number, mask_personal_numbers_in_text, mask_phone

LEVEL_CHOICES = {"": "全部预警", urgency.RED: "红灯", urgency.YELLOW: "黄灯"}
#: rows on the page, and in an export, at most
PAGE_LIMIT = 500
EXPORT_LIMIT = 10_000
SUPERVISE_ACTION = "subcase.supervise"


@dataclass(frozen=True)
class Filters:
    level: str = ""
    department: str = ""
    region: str = ""

    def query(self) -> dict[str, str]:
        """The filters as query parameters (only those set)."""
        return {
            k: v
            for k, v in (("level", self.level), ("department", self.department), ("region", self.region))
            if v
        }


def scope(regions) -> QuerySet[SubCase]:
    """Yellow and red sub-cases still being worked on, of applications in ``regions``."""
    return SubCase.objects.filter(
        supervised_cases(regions, "application"),
        status__in=urgency.OPEN_SUBCASE,
        warning__in=[urgency.RED, urgency.YELLOW],
    )


def region_options(regions) -> list[Region]:
    """The supervised regions and those below them, down to counties."""
    condition = Q(pk__in=[])
    for r in regions:
        condition |= Q(path=r.path) | Q(path__startswith=f"{r.path}/")
    return list(Region.objects.filter(condition, level__in=["province", "city", "county"]).order_by("path"))


def department_options(regions) -> list[Department]:
    """Departments of the supervised regions (and below), and any department with a case on the board."""
    on_board = scope(regions).values("department_id")
    return list(
        Department.objects.filter(within_q(regions, "region") | Q(pk__in=on_board)).order_by(
            "region_id", "code"
        )
    )


def parse(params, regions) -> Filters:
    """Filters from query parameters; a value outside the supervisor's options is ignored."""
    level = params.get("level", "")
    department = params.get("department", "")
    region = params.get("region", "")
    return Filters(
        level=level if level in LEVEL_CHOICES else "",
        department=department if department in {d.code for d in department_options(regions)} else "",
        region=region if region in {r.code for r in region_options(regions)} else "",
    )


def _apply(qs: QuerySet[SubCase], f: Filters, skip: str = "") -> QuerySet[SubCase]:
    if f.level and skip != "level":
        qs = qs.filter(warning=f.level)
    if f.department and skip != "department":
        qs = qs.filter(department_id=f.department)
    if f.region and skip != "region":
        qs = qs.filter(within_q(Region.objects.filter(code=f.region), "application__region"))
    return qs


def filtered(regions, f: Filters) -> QuerySet[SubCase]:
    return urgency.ordered(_apply(scope(regions), f)).select_related(
        "application", "application__region", "department", "handler"
    )


def level_counts(regions, f: Filters) -> dict[str, int]:
    return urgency.counts(_apply(scope(regions), f, skip="level"))


def department_counts(regions, f: Filters) -> list[dict]:
    rows = (
        _apply(scope(regions), f, skip="department")
        .values("department_id", "department__name")
        .annotate(
            red=Count("pk", filter=Q(warning=urgency.RED)),
            yellow=Count("pk", filter=Q(warning=urgency.YELLOW)),
            total=Count("pk"),
        )
        .order_by("-red", "-yellow", "department__name")
    )
    return [
        {
            "code": r["department_id"],
            "name": r["department__name"],
            "red": r["red"],
            "yellow": r["yellow"],
            "total": r["total"],
        }
        for r in rows
    ]


def supervision_of(numbers: list[str]) -> dict[str, dict]:
    """督办 records per sub-case number: how many, and the latest moment (one query)."""
    rows = (
        AuditRecord.objects.filter(object_type="subcase", object_id__in=numbers, action=SUPERVISE_ACTION)
        .values("object_id")
        .annotate(count=Count("pk"), last=Max("at"))
    )
    return {r["object_id"]: {"count": r["count"], "last": r["last"]} for r in rows}


def rows(subs, today: dt.date) -> list[dict]:
    """What the page and the export show of each sub-case."""
    subs = list(subs)
    supervised = supervision_of([s.number for s in subs])
    return [
        {"sub": s, "light": lit, "supervision": supervised.get(s.number, {"count": 0, "last": None})}
        for s, lit in urgency.with_lights(subs, today)
    ]


HEADERS = [
    ("子件编号", 28),
    ("办件编号", 26),
    ("事项", 28),
    ("承办部门", 26),
    ("办理区划", 12),
    ("申请人", 12),
    ("申请人证件号码", 22),
    ("联系电话", 14),
    ("预警", 8),
    ("预警说明", 22),
    ("办结期限", 12),
    ("承办人", 10),
    ("督办次数", 8),
    ("最近督办", 18),
]


def _text(value) -> str:
    """A cell's text: personal numbers masked, never a formula (written as a string cell)."""
    return mask_personal_numbers_in_text("" if value is None else str(value))


def workbook(lines: list[dict], f: Filters, regions, generated_at: dt.datetime) -> bytes:
    """The filtered list as .xlsx: one sheet, a title row naming the filters, personal numbers
    masked (the export leaves the platform: nobody in it owns them)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("黄灯红灯办件")
    for n, (_, width) in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width

    def row(values):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=_text(value))
            cell.data_type = "s"  # never a formula, even when a typed text starts with "="
            cells.append(cell)
        sheet.append(cells)

    names = {r.code: r.name for r in Region.objects.filter(code__in=[f.region] if f.region else [])}
    scope_text = "、".join(r.name for r in regions)
    chosen = [LEVEL_CHOICES[f.level]]
    if f.department:
        chosen.append(
            Department.objects.filter(code=f.department).values_list("name", flat=True).first() or ""
        )
    if f.region:
        chosen.append(names.get(f.region, f.region))
    exported = timezone.localtime(generated_at)
    row(
        [
            f"时限督查：{scope_text}（{' · '.join(chosen)}），导出于 {exported:%Y-%m-%d %H:%M}，共 {len(lines)} 件"
        ]
    )
    row([h for h, _ in HEADERS])
    for line in lines:
        s, lit, sup = line["sub"], line["light"], line["supervision"]
        app = s.application
        row(
            [
                s.number,
                app.number,
                s.item_name,
                s.department.name,
                app.region.name,
                app.applicant_name,
                mask_id_number(app.applicant_id_number),
                mask_phone(app.applicant_phone),
                lit.name if lit else "",
                lit.words if lit else "",
                s.due_date.isoformat() if s.due_date else "",
                s.handler.display_name if s.handler_id else "",
                sup["count"],
                f"{timezone.localtime(sup['last']):%Y-%m-%d %H:%M}" if sup["last"] else "",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
