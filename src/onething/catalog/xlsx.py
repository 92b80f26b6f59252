"""The .xlsx rendering of the catalog exchange format, for the people who maintain catalogs.

One sheet per record kind, Chinese column headers, one record per row. Nested records get
their own sheets keyed by the parent's code (事项材料, 事项表单 by 实施编码; 一件事问题, 一件事成员
by 一件事编码), in document order. Values the format nests (JSON Logic conditions, lists, fee
and result objects) are JSON text in the cell.

:func:`read_workbook` turns a workbook back into an exchange document, which then goes through
the same validation as a JSON file. Problems only the workbook can have (a missing sheet or
column, an unknown column, bad JSON in a cell, text in a number column) are refused here with
faults that name the sheet, the row and the column; nothing raises a traceback for a bad file.

Round trip: ``read_workbook(write_workbook(doc))`` gives back ``doc`` for every exported
(normalised) document, so exporting to .xlsx and importing the result changes nothing.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from onething.catalog.exchange import FORMAT, CatalogRejected
from onething.catalog.validation import Fault

# How an empty cell is read back:
REQUIRED = "required"  # the key is left out, so validation reports the missing field
OMIT = "omit"  # the key is left out (optional field)
NULL = "null"  # the key is present with null
EMPTY = "empty"  # the key is present with the type's empty value ("", [], {})

_EMPTY_VALUES = {"str": "", "list": [], "dict": {}}


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    type: str  # str | int | bool | list | dict | json (any JSON value)
    empty: str = REQUIRED
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    title: str
    list_name: str  # where the records go in the document
    columns: tuple[Column, ...]
    parent: tuple[str, str, str] | None = None  # (parent list name, parent key, nested list name)


def _c(header: str, key: str, type_: str = "str", empty: str = REQUIRED, width: int = 16) -> Column:
    return Column(header, key, type_, empty, width)


SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "区划",
        "regions",
        (
            _c("区划代码", "code", width=14),
            _c("名称", "name", width=20),
            _c("层级", "level", width=10),
            _c("上级区划", "parent", empty=NULL, width=14),
        ),
    ),
    Sheet(
        "部门",
        "departments",
        (
            _c("统一社会信用代码", "code", width=22),
            _c("名称", "name", width=30),
            _c("简称", "short_name", empty=EMPTY, width=16),
            _c("所在区划", "region", width=14),
        ),
    ),
    Sheet(
        "材料类型",
        "materials",
        (
            _c("编码", "code", width=24),
            _c("名称", "name", width=30),
            _c("类别", "kind", width=12),
            _c("免提交方式", "exempt_via", empty=NULL, width=12),
            _c("说明", "description", empty=EMPTY, width=30),
        ),
    ),
    Sheet(
        "数据项",
        "data_elements",
        (
            _c("键", "key", width=28),
            _c("名称", "label", width=20),
            _c("类型", "type", width=10),
            _c("选项", "choices", "list", EMPTY, width=30),
        ),
    ),
    Sheet(
        "事项",
        "items",
        (
            _c("实施编码", "code", width=24),
            _c("基本编码", "basic_code", width=16),
            _c("事项名称", "name", width=30),
            _c("事项类型", "category", width=14),
            _c("实施部门", "department", width=22),
            _c("实施区划", "region", width=14),
            _c("行使层级", "level", empty=OMIT, width=10),
            _c("服务对象", "audience", empty=OMIT, width=10),
            _c("设定依据", "legal_basis", empty=EMPTY, width=30),
            _c("受理条件", "conditions", empty=EMPTY, width=30),
            _c("法定办结时限", "legal_limit", "int", width=12),
            _c("承诺办结时限", "promised_limit", "int", width=12),
            _c("到办事现场次数", "visits", "int", OMIT, width=12),
            _c("需现场核查", "inspection", "bool", OMIT, width=10),
            _c("网上办理深度", "online", empty=OMIT, width=12),
            _c("跨省通办模式", "cross_province", "list", EMPTY, width=20),
            _c("收费", "fee", "dict", EMPTY, width=30),
            _c("办理结果", "result", "dict", OMIT, width=30),
            _c("办理流程", "steps", "list", EMPTY, width=40),
            _c("主题", "themes", "list", EMPTY, width=20),
            _c("关键词", "keywords", "list", EMPTY, width=20),
        ),
    ),
    Sheet(
        "事项材料",
        "items",
        (
            _c("实施编码", "item", width=24),
            _c("材料", "material", width=24),
            _c("原件份数", "originals", "int", OMIT, width=10),
            _c("复印件份数", "copies", "int", OMIT, width=10),
            _c("必需", "required", "bool", OMIT, width=8),
            _c("适用条件", "when", "json", OMIT, width=40),
            _c("备注", "note", empty=OMIT, width=30),
        ),
        parent=("items", "code", "materials"),
    ),
    Sheet(
        "事项表单",
        "items",
        (
            _c("实施编码", "item", width=24),
            _c("数据项", "element", width=28),
            _c("必填", "required", "bool", OMIT, width=8),
        ),
        parent=("items", "code", "form"),
    ),
    Sheet(
        "一件事",
        "bundles",
        (
            _c("编码", "code", width=24),
            _c("名称", "name", width=24),
            _c("说明", "description", empty=EMPTY, width=40),
            _c("服务对象", "audience", empty=OMIT, width=10),
            _c("牵头部门", "lead_department", width=22),
            _c("区划", "region", empty=OMIT, width=14),
            _c("主题", "themes", "list", EMPTY, width=20),
            _c("关键词", "keywords", "list", EMPTY, width=20),
            _c("承诺办结时限", "promised_limit", "int", NULL, width=12),
        ),
    ),
    Sheet(
        "一件事问题",
        "bundles",
        (
            _c("一件事编码", "bundle", width=24),
            _c("问题标识", "id", width=20),
            _c("问题", "text", width=40),
            _c("类型", "type", width=10),
            _c("选项", "choices", "list", OMIT, width=30),
        ),
        parent=("bundles", "code", "questions"),
    ),
    Sheet(
        "一件事成员",
        "bundles",
        (
            _c("一件事编码", "bundle", width=24),
            _c("事项编码", "item", width=24),
            _c("适用条件", "when", "json", OMIT, width=40),
            _c("前置事项", "after", "list", EMPTY, width=30),
        ),
        parent=("bundles", "code", "members"),
    ),
)

BOOL_TEXT = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False}


# ---------------------------------------------------------------- writing


def _cell_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.type in ("list", "dict", "json"):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_workbook(document: dict, path: str | Path) -> None:
    """Write an exchange document as a workbook (one sheet per record kind)."""
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = FORMAT
    wb.properties.subject = "一件事事项目录"
    bold = Font(bold=True)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.title)
        ws.append([c.header for c in sheet.columns])
        for n, column in enumerate(sheet.columns, start=1):
            ws.cell(row=1, column=n).font = bold
            ws.column_dimensions[get_column_letter(n)].width = column.width
        ws.freeze_panes = "A2"
        for row_values in _rows_of(document, sheet):
            ws.append([None] * len(sheet.columns))
            row = ws.max_row
            for n, (column, value) in enumerate(zip(sheet.columns, row_values, strict=True), start=1):
                cell = ws.cell(row=row, column=n)
                written = _cell_value(column, value)
                if isinstance(written, str) and ILLEGAL_CHARACTERS_RE.search(written):
                    raise ValueError(
                        f"工作表“{sheet.title}”第{row}行“{column.header}”含有 Excel 不支持的控制字符"
                    )
                cell.value = written
                if isinstance(written, str):
                    cell.data_type = "s"  # never a formula, even when the text starts with "="
                    cell.number_format = "@"
    wb.save(path)


def _rows_of(document: dict, sheet: Sheet) -> list[list[Any]]:
    records = [r for r in document.get(sheet.list_name) or [] if isinstance(r, dict)]
    rows: list[list[Any]] = []
    if sheet.parent is None:
        for record in records:
            rows.append([record.get(c.key) for c in sheet.columns])
        return rows
    _, parent_key, nested = sheet.parent
    for record in records:
        for child in record.get(nested) or []:
            rows.append([record.get(parent_key)] + [child.get(c.key) for c in sheet.columns[1:]])
    return rows


# ---------------------------------------------------------------- reading


class _Faults:
    def __init__(self) -> None:
        self.items: list[Fault] = []

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        where = f"“{sheet}”" + (f" 第{row}行" if row else "")
        self.items.append(Fault("sheet", where, column, message))


def _convert(column: Column, value: Any) -> tuple[Any, str | None]:
    """The document value of a non-empty cell, or an error message."""
    kind = column.type
    if kind == "str":
        if isinstance(value, str):
            return value, None
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value), None  # a code typed as a number (区划代码 430600)
        if isinstance(value, float) and value.is_integer():
            return str(int(value)), None
        return None, "应为文本"
    if kind == "int":
        if isinstance(value, bool):
            return None, "应为整数"
        if isinstance(value, int):
            return value, None
        if isinstance(value, float) and value.is_integer():
            return int(value), None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip()), None
        return None, "应为整数"
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value), None
        if isinstance(value, str) and value.strip().lower() in BOOL_TEXT:
            return BOOL_TEXT[value.strip().lower()], None
        return None, "应为“是”或“否”"
    # JSON text
    if not isinstance(value, str):
        return None, "应为 JSON 文本"
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        return None, f"不是合法的 JSON（第{exc.colno}个字符处：{exc.msg}）"
    if kind == "list" and not isinstance(parsed, list):
        return None, '应为 JSON 数组，如 ["a", "b"]'
    if kind == "dict" and not isinstance(parsed, dict):
        return None, '应为 JSON 对象，如 {"charged": false}'
    return parsed, None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def _read_sheet(ws, sheet: Sheet, faults: _Faults) -> list[tuple[int, dict]] | None:
    """(row number, record) for every non-empty row; ``None`` when the header is unusable."""
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        faults.add(sheet.title, None, "", "工作表为空，缺少表头行")
        return None
    positions: dict[str, int] = {}
    broken = False
    for n, title in enumerate(header):
        if _is_empty(title):
            continue
        title = str(title).strip()
        if title in positions:
            faults.add(sheet.title, 1, title, f"列重复（{get_column_letter(n + 1)}列）")
            broken = True
        positions[title] = n
    known = {c.header for c in sheet.columns}
    for title in positions:
        if title not in known:
            faults.add(
                sheet.title, 1, title, f"不认识的列；允许的列：{'、'.join(c.header for c in sheet.columns)}"
            )
            broken = True
    for column in sheet.columns:
        if column.header not in positions:
            faults.add(sheet.title, 1, column.header, "缺少该列")
            broken = True
    if broken:
        return None
    out: list[tuple[int, dict]] = []
    for row_number, values in enumerate(rows, start=2):
        if all(_is_empty(v) for v in values):
            continue
        record: dict[str, Any] = {}
        for column in sheet.columns:
            index = positions[column.header]
            value = values[index] if index < len(values) else None
            label = f"{column.header}（{get_column_letter(index + 1)}列）"
            if _is_empty(value):
                if column.empty == NULL:
                    record[column.key] = None
                elif column.empty == EMPTY:
                    record[column.key] = _EMPTY_VALUES[column.type].copy() if column.type != "str" else ""
                elif column.empty == REQUIRED and sheet.parent is not None and column is sheet.columns[0]:
                    faults.add(sheet.title, row_number, label, "必须填写")
                continue
            converted, error = _convert(column, value)
            if error:
                faults.add(sheet.title, row_number, label, error)
                continue
            record[column.key] = converted
        out.append((row_number, record))
    return out


def read_workbook(path: str | Path) -> dict:
    """Read a workbook into an exchange document; raises :class:`CatalogRejected` when the
    workbook itself is malformed (the document is then validated like any JSON file)."""
    path = Path(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise CatalogRejected(
            [Fault("catalog", path.name, "", f"不是有效的 .xlsx 工作簿（{type(exc).__name__}）")]
        )
    faults = _Faults()
    try:
        declared = wb.properties.title
        if declared and str(declared).startswith("onething-catalog/") and declared != FORMAT:
            faults.add("工作簿", None, "格式", f"工作簿格式为 {declared}，本平台只接受 {FORMAT}")
        document: dict[str, Any] = {"format": FORMAT}
        read: dict[str, list[tuple[int, dict]]] = {}
        for sheet in SHEETS:
            if sheet.title not in wb.sheetnames:
                faults.add(sheet.title, None, "", "缺少该工作表")
                continue
            rows = _read_sheet(wb[sheet.title], sheet, faults)
            if rows is not None:
                read[sheet.title] = rows
    finally:
        wb.close()
    for sheet in SHEETS:
        if sheet.parent is None and sheet.title in read:
            document[sheet.list_name] = [record for _, record in read[sheet.title]]
    for sheet in SHEETS:
        if sheet.parent is None or sheet.title not in read or sheet.list_name not in document:
            continue
        parent_list, parent_key, nested = sheet.parent
        parents: dict[str, dict] = {}
        for record in document[parent_list]:
            code = record.get(parent_key)
            if isinstance(code, str):
                parents.setdefault(code, record)
                record.setdefault(nested, [])
        parent_sheet = next(s.title for s in SHEETS if s.list_name == parent_list and s.parent is None)
        link = sheet.columns[0]
        for row_number, record in read[sheet.title]:
            code = record.pop(link.key, None)
            if code is None:
                continue  # reported while reading the row
            parent = parents.get(code)
            if parent is None:
                faults.add(sheet.title, row_number, link.header, f"{code} 不在“{parent_sheet}”工作表中")
                continue
            parent[nested].append(record)
    if faults.items:
        raise CatalogRejected(faults.items)
    return document
