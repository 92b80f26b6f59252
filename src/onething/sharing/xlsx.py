"""The .xlsx rendering of the sharing exchange format: one sheet per list.

Sheets 数据资源, 需求清单, 责任清单, 负面清单, Chinese headers, one record per row. Cells are
readable: a resource's data items one per line as ``key|label|type|personal`` (personal 是/否),
code lists (可替代材料, 服务事项) one code per line, the sharing class, subject kind and update
frequency by their Chinese names (the codes are accepted too), 需先发布 as 是/否, and only
接口配置 as JSON text.

:func:`read_workbook` turns a workbook back into an exchange document plus the row of each
record, so the validation in :mod:`onething.sharing.exchange` names the sheet and row. Faults
only a workbook can have (missing sheet or column, bad JSON, a malformed data-item line) are
refused here, naming sheet, row and column. ``read_workbook(write_workbook(doc))`` gives back
``doc`` for every exported document.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from onething.sharing.exchange import (
    FORMAT,
    FREQUENCIES,
    SHARING_CLASSES,
    SUBJECT_KINDS,
    Fault,
    SharingRejected,
)

# cell kinds
TEXT, OPTIONAL_TEXT, REF, CODES, FIELDS, JSON_OBJECT, BOOL = (
    "text",
    "optional_text",
    "ref",
    "codes",
    "fields",
    "json",
    "bool",
)


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str = TEXT
    choices: dict[str, str] | None = None  # code -> Chinese name (written as the name)
    width: int = 18


@dataclass(frozen=True)
class Sheet:
    title: str
    list_name: str
    columns: tuple[Column, ...]


SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "数据资源",
        "resources",
        (
            Column("资源编码", "code", width=18),
            Column("资源名称", "name", width=22),
            Column("提供部门", "provider", width=22),
            Column("共享类型", "sharing_class", choices=SHARING_CLASSES, width=12),
            Column("查询对象", "subject_kind", choices=SUBJECT_KINDS, width=10),
            Column("数据项", "fields", FIELDS, width=44),
            Column("共享依据", "legal_basis", width=40),
            Column("更新频率", "update_frequency", choices=FREQUENCIES, width=10),
            Column("来源系统", "source_system", OPTIONAL_TEXT, width=24),
            Column("提供方式", "backend", width=12),
            Column("接口配置", "backend_config", JSON_OBJECT, width=30),
            Column("可替代材料", "replaces", CODES, width=26),
            Column("需先发布", "publish_first", BOOL, width=10),
        ),
    ),
    Sheet(
        "需求清单",
        "demands",
        (
            Column("需求部门", "department", width=22),
            Column("需求名称", "name", width=22),
            Column("需求说明", "description", OPTIONAL_TEXT, width=36),
            Column("对应资源", "resource", REF, width=18),
            Column("服务事项", "items", CODES, width=26),
            Column("可替代材料", "materials", CODES, width=26),
        ),
    ),
    Sheet(
        "责任清单",
        "duties",
        (
            Column("责任部门", "department", width=22),
            Column("数据名称", "name", width=22),
            Column("说明", "description", OPTIONAL_TEXT, width=36),
            Column("对应资源", "resource", REF, width=18),
        ),
    ),
    Sheet(
        "负面清单",
        "negative",
        (
            Column("部门", "department", width=22),
            Column("数据名称", "name", width=22),
            Column("对应资源", "resource", REF, width=18),
            Column("不予共享依据", "legal_basis", width=44),
        ),
    ),
)
SHEET_TITLES = {s.list_name: s.title for s in SHEETS}

YES, NO = "是", "否"
BOOL_TEXT = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False}


# ---------------------------------------------------------------- writing


def _fields_text(fields: list[dict]) -> str:
    return "\n".join(
        f"{f['key']}|{f.get('label', '')}|{f.get('type', 'string')}|{YES if f.get('personal') else NO}"
        for f in fields
    )


def _cell_value(column: Column, value: Any) -> Any:
    if column.kind == FIELDS:
        return _fields_text(value or []) or None
    if column.kind == CODES:
        return "\n".join(str(v) for v in value or []) or None
    if column.kind == JSON_OBJECT:
        return json.dumps(value, ensure_ascii=False, sort_keys=False) if value else None
    if column.kind == BOOL:
        return YES if value else NO
    if column.choices is not None:
        return column.choices.get(value, value)
    if value == "" or value is None:
        return None
    return value


def write_workbook(document: dict, path: str | Path) -> None:
    """Write an exchange document as a workbook. Raises ``ValueError`` (naming sheet, row and
    column) for text Excel cannot store."""
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = FORMAT
    wb.properties.subject = "政务数据共享目录"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.title)
        ws.append([c.header for c in sheet.columns])
        for n, column in enumerate(sheet.columns, start=1):
            ws.cell(row=1, column=n).font = bold
            ws.column_dimensions[get_column_letter(n)].width = column.width
        ws.freeze_panes = "A2"
        for record in document.get(sheet.list_name) or []:
            row = ws.max_row + 1
            for n, column in enumerate(sheet.columns, start=1):
                written = _cell_value(column, record.get(column.key))
                if isinstance(written, str) and ILLEGAL_CHARACTERS_RE.search(written):
                    raise ValueError(
                        f"工作表“{sheet.title}”第{row}行“{column.header}”含有 Excel 不支持的控制字符"
                    )
                cell = ws.cell(row=row, column=n, value=written)
                if isinstance(written, str):
                    cell.data_type = "s"  # never a formula, even when the text starts with "="
                    cell.number_format = "@"
                    if "\n" in written:
                        cell.alignment = wrap
    wb.save(path)


# ---------------------------------------------------------------- reading


class _Faults:
    def __init__(self) -> None:
        self.items: list[Fault] = []

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        where = f"“{sheet}”工作表" + (f" 第{row}行" if row else "")
        self.items.append(Fault(where, column, message))


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)  # a code typed as a number
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def _lines(text: str) -> list[str]:
    return [
        line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()
    ]


def _parse_fields(text: str) -> tuple[list[dict] | None, str | None]:
    fields: list[dict] = []
    for n, line in enumerate(_lines(text), start=1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3:
            parts.append(NO)
        if len(parts) != 4:
            return None, f"第{n}行“{line[:40]}”应为“键|名称|类型|是否个人信息”四段，用“|”分隔"
        key, label, type_, personal = parts
        flag = BOOL_TEXT.get(personal.lower())
        if flag is None:
            return None, f"第{n}行的“是否个人信息”应为“是”或“否”，实为“{personal}”"
        fields.append({"key": key, "label": label, "type": type_ or "string", "personal": flag})
    return fields, None


def _convert(column: Column, value: Any) -> tuple[Any, str | None]:
    """The document value of a cell (``value`` may be empty), or an error message."""
    if column.kind == BOOL:
        if _is_empty(value):
            return False, None
        if isinstance(value, bool):
            return value, None
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value), None
        if isinstance(value, str) and value.strip().lower() in BOOL_TEXT:
            return BOOL_TEXT[value.strip().lower()], None
        return None, "应为“是”或“否”"
    if _is_empty(value):
        empty = {REF: None, CODES: [], FIELDS: [], JSON_OBJECT: {}, OPTIONAL_TEXT: ""}
        return (empty[column.kind], None) if column.kind in empty else (None, "必须填写")
    text = _as_text(value)
    if text is None:
        return None, "应为文本"
    if column.kind == FIELDS:
        return _parse_fields(text)
    if column.kind == CODES:
        return _lines(text), None
    if column.kind == JSON_OBJECT:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, f"不是合法的 JSON（第{exc.colno}个字符处：{exc.msg}）"
        if not isinstance(parsed, dict):
            return None, '应为 JSON 对象，如 {"url": "https://…"}'
        return parsed, None
    if column.kind == REF:
        return text.strip(), None
    if column.choices is not None:
        text = text.strip()
        by_name = {name: code for code, name in column.choices.items()}
        return by_name.get(text, text), None  # an unknown value is named by the validation
    return text, None


def _read_sheet(ws, sheet: Sheet, faults: _Faults) -> list[tuple[int, dict]] | None:
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        faults.add(sheet.title, None, "", "工作表为空，缺少表头行")
        return None
    positions: dict[str, int] = {}
    broken = False
    known = {c.header for c in sheet.columns}
    for n, title in enumerate(header):
        if _is_empty(title):
            continue
        title = str(title).strip()
        if title in positions:
            faults.add(sheet.title, 1, title, f"列重复（{get_column_letter(n + 1)}列）")
            broken = True
        elif title not in known:
            faults.add(
                sheet.title, 1, title, f"不认识的列；允许的列：{'、'.join(c.header for c in sheet.columns)}"
            )
            broken = True
        positions[title] = n
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
            converted, error = _convert(column, value)
            if error:
                faults.add(sheet.title, row_number, column.header, error)
                continue
            record[column.key] = converted
        out.append((row_number, record))
    return out


def read_workbook(path: str | Path) -> tuple[dict, dict[str, list[int]]]:
    """(exchange document, workbook row of each record per list). Raises
    :class:`~onething.sharing.exchange.SharingRejected` when the workbook itself is malformed."""
    path = Path(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SharingRejected(
            [Fault(path.name, "", f"不是有效的 .xlsx 工作簿（{type(exc).__name__}）")]
        ) from None
    faults = _Faults()
    document: dict[str, Any] = {"format": FORMAT}
    rows: dict[str, list[int]] = {}
    try:
        declared = wb.properties.title
        if declared and str(declared).startswith("onething.sharing/") and declared != FORMAT:
            faults.add("工作簿", None, "格式", f"工作簿格式为 {declared}，本平台只接受 {FORMAT}")
        for sheet in SHEETS:
            if sheet.title not in wb.sheetnames:
                faults.add(sheet.title, None, "", "缺少该工作表")
                continue
            read = _read_sheet(wb[sheet.title], sheet, faults)
            if read is not None:
                document[sheet.list_name] = [record for _, record in read]
                rows[sheet.list_name] = [n for n, _ in read]
    finally:
        wb.close()
    if faults.items:
        raise SharingRejected(faults.items)
    return document, rows
