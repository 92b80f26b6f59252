"""The .xlsx rendering of the exchange format.

Maintainers edit catalogs in Excel, so the workbook must round-trip exactly and a broken
workbook (a sheet deleted, a column renamed, JSON mistyped, text in a number column) must be
refused with the sheet, row and column of each problem — never a traceback.
"""

from __future__ import annotations

import copy

import pytest
from openpyxl import load_workbook

from onething.catalog import exchange
from onething.catalog.exchange import CatalogRejected
from onething.catalog.normalize import KIND_OF_LIST, KIND_ORDER, NORMALIZERS, strip_for_export
from onething.catalog.xlsx import SHEETS, read_workbook, write_workbook


def _normalised(document: dict) -> dict:
    out = {"format": document["format"]}
    for list_name in KIND_ORDER:
        kind = KIND_OF_LIST[list_name]
        out[list_name] = [strip_for_export(kind, NORMALIZERS[kind](r)) for r in document.get(list_name, [])]
    return out


@pytest.fixture
def workbook_path(tmp_path, example_document):
    path = tmp_path / "catalog.xlsx"
    write_workbook(_normalised(example_document), path)
    return path


def _edit(path, sheet: str, edit) -> None:
    wb = load_workbook(path)
    edit(wb[sheet] if sheet else wb)
    wb.save(path)


def _column(ws, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def _faults(path) -> list[str]:
    with pytest.raises(CatalogRejected) as exc:
        read_workbook(path)
    return [str(f) for f in exc.value.faults]


# ------------------------------------------------------------------ layout and round trip


def test_one_sheet_per_record_kind_with_chinese_headers(workbook_path):
    wb = load_workbook(workbook_path)
    assert wb.sheetnames == [
        "区划",
        "部门",
        "材料类型",
        "数据项",
        "事项",
        "事项材料",
        "事项表单",
        "一件事",
        "一件事问题",
        "一件事成员",
    ]
    items = wb["事项"]
    assert [c.value for c in items[1]][:3] == ["实施编码", "基本编码", "事项名称"]
    assert items.max_row == 5  # header + 4 items
    members = wb["一件事成员"]
    when = members.cell(row=3, column=_column(members, "适用条件")).value
    assert when == '{"==": [{"var": "has_employees"}, true]}'  # JSON Logic as JSON text
    after = members.cell(row=5, column=_column(members, "前置事项")).value
    assert after.startswith('["430600-SW-0701-01"')


def test_round_trip_is_exact(workbook_path, example_document):
    assert read_workbook(workbook_path) == _normalised(example_document)


def test_round_trip_of_awkward_values(tmp_path, example_document):
    doc = _normalised(example_document)
    doc["items"][0]["name"] = '=HYPERLINK("http://x")'  # text, never a formula
    doc["items"][0]["legal_basis"] = "第一行\n第二行"
    doc["items"][0]["fee"] = {"charged": True, "amount_yuan": 12.5, "basis": "物价文件"}
    doc["bundles"][0]["members"][0]["when"] = False
    doc["data_elements"][0]["choices"] = []
    doc["regions"][0]["parent"] = None
    path = tmp_path / "awkward.xlsx"
    write_workbook(doc, path)
    assert read_workbook(path) == doc


def test_codes_typed_as_numbers_are_read_as_text(workbook_path):
    def edit(ws):
        ws.cell(row=3, column=1).value = 430600  # 区划代码 typed as a number in Excel
        ws.cell(row=3, column=4).value = 430000.0

    _edit(workbook_path, "区划", edit)
    regions = read_workbook(workbook_path)["regions"]
    assert regions[1]["code"] == "430600" and regions[1]["parent"] == "430000"


def test_lenient_booleans_and_integers(workbook_path):
    def edit(ws):
        ws.cell(row=2, column=_column(ws, "需现场核查")).value = "是"
        ws.cell(row=2, column=_column(ws, "法定办结时限")).value = "15"
        ws.cell(row=3, column=_column(ws, "需现场核查")).value = 0

    _edit(workbook_path, "事项", edit)
    items = read_workbook(workbook_path)["items"]
    assert items[0]["inspection"] is True and items[0]["legal_limit"] == 15
    assert items[1]["inspection"] is False


def test_blank_rows_are_skipped(workbook_path, example_document):
    _edit(workbook_path, "事项", lambda ws: ws.insert_rows(3))
    assert read_workbook(workbook_path) == _normalised(example_document)


# ------------------------------------------------------------------ malformed workbooks


def test_missing_sheet(workbook_path):
    _edit(workbook_path, None, lambda wb: wb.remove(wb["事项表单"]))
    assert _faults(workbook_path) == ["工作表 “事项表单”：缺少该工作表"]


def test_missing_unknown_and_duplicate_columns(workbook_path):
    def edit(ws):
        ws.cell(row=1, column=_column(ws, "法定办结时限")).value = "法定时限"
        ws.cell(row=1, column=_column(ws, "主题")).value = "关键词"

    _edit(workbook_path, "事项", edit)
    faults = _faults(workbook_path)
    assert "工作表 “事项” 第1行 · 法定办结时限：缺少该列" in faults
    assert any(f.startswith("工作表 “事项” 第1行 · 法定时限：不认识的列") for f in faults)
    assert any(f.startswith("工作表 “事项” 第1行 · 关键词：列重复") for f in faults)


def test_bad_json_in_a_cell(workbook_path):
    def edit(ws):
        ws.cell(row=3, column=_column(ws, "收费")).value = "{charged: false"

    _edit(workbook_path, "事项", edit)
    (fault,) = _faults(workbook_path)
    assert fault.startswith("工作表 “事项” 第3行 · 收费（Q列）：不是合法的 JSON")


@pytest.mark.parametrize(
    ("sheet", "header", "value", "message"),
    [
        ("事项", "法定办结时限", "十五", "应为整数"),
        ("事项", "法定办结时限", True, "应为整数"),
        ("事项", "需现场核查", "也许", "应为“是”或“否”"),
        ("事项", "收费", "[1, 2]", "应为 JSON 对象"),
        ("事项", "主题", '{"a": 1}', "应为 JSON 数组"),
        ("事项", "办理流程", 12, "应为 JSON 文本"),
        ("事项", "事项名称", 1.5, "应为文本"),
        ("一件事成员", "适用条件", "{var: x}", "不是合法的 JSON"),
    ],
)
def test_wrong_types_name_sheet_row_and_column(workbook_path, sheet, header, value, message):
    def edit(ws):
        ws.cell(row=2, column=_column(ws, header)).value = value

    _edit(workbook_path, sheet, edit)
    (fault,) = _faults(workbook_path)
    assert fault.startswith(f"工作表 “{sheet}” 第2行 · {header}（")
    assert message in fault


def test_child_row_of_an_unknown_parent(workbook_path):
    def edit(ws):
        ws.cell(row=2, column=1).value = "430600-NOPE-01"
        ws.cell(row=3, column=1).value = None

    _edit(workbook_path, "事项材料", edit)
    faults = _faults(workbook_path)
    assert "工作表 “事项材料” 第2行 · 实施编码：430600-NOPE-01 不在“事项”工作表中" in faults
    assert any(f.startswith("工作表 “事项材料” 第3行 · 实施编码（A列）：必须填写") for f in faults)


def test_all_problems_are_reported_together(workbook_path):
    def edit(wb):
        wb.remove(wb["一件事问题"])
        wb["事项"].cell(row=2, column=11).value = "x"
        wb["事项"].cell(row=4, column=17).value = "{"

    _edit(workbook_path, None, edit)
    assert len(_faults(workbook_path)) == 3


def test_empty_sheet(workbook_path):
    def edit(wb):
        wb.remove(wb["区划"])
        wb.create_sheet("区划")

    _edit(workbook_path, None, edit)
    assert _faults(workbook_path) == ["工作表 “区划”：工作表为空，缺少表头行"]


def test_other_format_version_is_refused(workbook_path):
    _edit(workbook_path, None, lambda wb: setattr(wb.properties, "title", "onething-catalog/2"))
    assert any("onething-catalog/2" in f for f in _faults(workbook_path))


def test_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"this is not a zip file")
    (fault,) = _faults(path)
    assert "fake.xlsx" in fault and "不是有效的 .xlsx 工作簿" in fault


def test_missing_workbook_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_workbook(tmp_path / "nope.xlsx")


def test_control_characters_are_refused_on_export(tmp_path, example_document):
    doc = _normalised(example_document)
    doc["items"][0]["conditions"] = "bad\x01text"
    with pytest.raises(ValueError, match="控制字符"):
        write_workbook(doc, tmp_path / "x.xlsx")


def test_sheet_definitions_cover_every_field_of_the_schema():
    """Every property the schema allows on a record has a column, so nothing is lost in Excel."""
    from onething.catalog.validation import schema

    defs = schema()["$defs"]
    by_list = {}
    for sheet in SHEETS:
        if sheet.parent is None:
            by_list[sheet.list_name] = {c.key for c in sheet.columns}
    nested = {sheet.parent[2]: {c.key for c in sheet.columns[1:]} for sheet in SHEETS if sheet.parent}
    for list_name, kind in KIND_OF_LIST.items():
        properties = set(defs[kind]["properties"]) - set(nested)
        assert properties == by_list[list_name], list_name
    assert nested["materials"] == set(defs["item_material"]["properties"])
    assert nested["form"] == set(defs["item"]["properties"]["form"]["items"]["properties"])
    assert nested["questions"] == set(defs["bundle"]["properties"]["questions"]["items"]["properties"])
    assert nested["members"] == set(defs["bundle"]["properties"]["members"]["items"]["properties"])


# ------------------------------------------------------------------ through import


@pytest.mark.django_db
def test_editing_a_cell_imports_as_a_new_version(demo, tmp_path):
    path = tmp_path / "catalog.xlsx"
    exchange.export_file(path)

    def edit(ws):
        for row in range(2, ws.max_row + 1):
            if ws.cell(row=row, column=1).value == "430602-SCJG-0101-01":
                ws.cell(row=row, column=_column(ws, "承诺办结时限")).value = 1

    _edit(path, "事项", edit)
    report = exchange.import_file(path)
    assert report.changed == 1 and report.updated["item"] == 1
    assert exchange.export_document()["items"] == [
        i for i in copy.deepcopy(exchange.read_document(path))["items"]
    ]


@pytest.mark.django_db
def test_malformed_workbook_through_the_cli(demo, workbook_path, capsys):
    from onething.catalog.models import Revision

    _edit(workbook_path, "事项", lambda ws: setattr(ws.cell(row=3, column=11), "value", "abc"))
    revisions = Revision.objects.count()
    with pytest.raises(SystemExit) as exc:
        onething("import-catalog", str(workbook_path))
    assert exc.value.code == 1
    assert "工作表 “事项” 第3行 · 法定办结时限（K列）：应为整数" in capsys.readouterr().err
    assert Revision.objects.count() == revisions


def onething(*argv: str) -> None:
    """Run a command as the ``onething`` console script does (dashed name, exit status on error).

    ``onething.cli`` sits above the apps in the import layers, so tests repeat its one rule.
    A real command closes every database connection when it ends; here that connection
    carries the test's transaction, so it is kept open.
    """
    from unittest import mock

    from django.core.management import execute_from_command_line
    from django.db import connections

    with mock.patch.object(connections, "close_all"):
        execute_from_command_line(["onething", argv[0].replace("-", "_"), *argv[1:]])
