"""Import/export of the sharing catalog: exact round trips (JSON, .xlsx), every refusal names
its place and field and writes nothing, and every created or changed resource is versioned."""

from __future__ import annotations

import copy
import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from onething.accounts.models import User
from onething.sharing import exchange
from onething.sharing.exchange import SharingRejected, export_document, import_document
from onething.sharing.models import Demand, Duty, NegativeEntry, Resource, ResourceVersion
from onething.sharing.xlsx import read_workbook, write_workbook

pytestmark = pytest.mark.django_db

GONGAN = "11430600MB0600046D"


def _counts() -> tuple:
    return (
        Resource.objects.count(),
        ResourceVersion.objects.count(),
        Demand.objects.count(),
        Duty.objects.count(),
        NegativeEntry.objects.count(),
    )


def _new_resource(**changes) -> dict:
    record = {
        "code": "GA-TEST-001",
        "name": "测试资源",
        "provider": GONGAN,
        "sharing_class": "conditional",
        "subject_kind": "person",
        "fields": [
            {"key": "name", "label": "姓名", "type": "string", "personal": True},
            {"key": "born_on", "label": "出生日期", "type": "date", "personal": False},
        ],
        "legal_basis": "《政务数据共享条例》第十四条",
        "update_frequency": "daily",
        "source_system": "测试系统",
        "backend": "library",
        "backend_config": {},
        "replaces": ["household-register"],
        "publish_first": False,
    }
    record.update(changes)
    return record


def _doc(**lists) -> dict:
    return {"format": exchange.FORMAT, **lists}


def _rejected(document, **kwargs) -> list[str]:
    before = _counts()
    with pytest.raises(SharingRejected) as caught:
        import_document(document, reason=kwargs.pop("reason", "测试"), **kwargs)
    assert _counts() == before, "a refused document must write nothing"
    return [str(f) for f in caught.value.faults]


# ------------------------------------------------------------------------------ round trips


def test_export_has_the_demo_catalog():
    document = export_document()
    assert document["format"] == "onething.sharing/1"
    codes = [r["code"] for r in document["resources"]]
    assert {"GA-HJ-001", "GA-FZJL-001", "RS-SBCB-001"} <= set(codes)
    hj = next(r for r in document["resources"] if r["code"] == "GA-HJ-001")
    assert hj["fields"][0] == {"key": "name", "label": "姓名", "type": "string", "personal": True}
    assert any(n["resource"] == "GA-FZJL-001" for n in document["negative"])
    assert any(d["resource"] is None for d in document["duties"])


def test_json_round_trip_is_exact_and_changes_nothing(tmp_path):
    path = tmp_path / "sharing.json"
    call_command("export_sharing", str(path), stdout=StringIO())
    document = json.loads(path.read_text("utf-8"))
    assert document == export_document()
    versions = ResourceVersion.objects.count()
    report = exchange.import_file(path, reason="原样导入")
    assert sum(report.created.values()) == sum(report.changed.values()) == 0
    assert report.unchanged["resources"] == len(document["resources"])
    assert ResourceVersion.objects.count() == versions
    assert export_document() == document


def test_xlsx_round_trip_is_exact(tmp_path):
    document = export_document()
    document["resources"].append(
        _new_resource(
            backend_config={"url": "http://x/y", "timeout": 3}, publish_first=True, source_system=""
        )
    )
    path = tmp_path / "sharing.xlsx"
    write_workbook(document, path)
    read, rows = read_workbook(path)
    assert read == document
    assert rows["resources"][0] == 2
    sheet = load_workbook(path)["数据资源"]
    header = [c.value for c in sheet[1]]
    fields_cell = sheet.cell(row=2, column=header.index("数据项") + 1).value
    assert fields_cell.splitlines()[0].count("|") == 3  # key|label|type|personal, one per line


def test_xlsx_import_export_through_commands(tmp_path):
    path = tmp_path / "sharing.xlsx"
    call_command("export_sharing", str(path), stdout=StringIO())
    out = StringIO()
    call_command("import_sharing", str(path), reason="原样导入", stdout=out)
    assert "新增 0，变更 0" in out.getvalue()


# ------------------------------------------------------------------------------ versioning


def test_a_change_makes_version_2_with_reason_and_user(tmp_path):
    document = export_document()
    hj = next(r for r in document["resources"] if r["code"] == "GA-HJ-001")
    hj["update_frequency"] = "realtime"
    hj["fields"].append({"key": "former_name", "label": "曾用名", "type": "string", "personal": True})
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    out = StringIO()
    call_command("import_sharing", str(path), reason="增加曾用名", user="admin", stdout=out)
    assert "变更 1" in out.getvalue()
    resource = Resource.objects.get(code="GA-HJ-001")
    assert resource.version == 2 and resource.update_frequency == "realtime"
    version = resource.versions.get(version=2)
    assert version.reason == "增加曾用名"
    assert version.changed_by == User.objects.get(username="admin")
    assert version.data == hj
    assert ResourceVersion.objects.filter(resource__code="GA-SFZ-001").count() == 1  # the demo's own

    # the same file again: nothing changes, no version
    call_command("import_sharing", str(path), reason="再导入一次", stdout=StringIO())
    assert resource.versions.count() == 2
    assert Resource.objects.get(code="GA-HJ-001").version == 2


def test_a_new_resource_is_version_1():
    report = import_document(_doc(resources=[_new_resource()]), reason="新编目")
    assert report.created["resources"] == 1
    resource = Resource.objects.get(code="GA-TEST-001")
    assert resource.version == 1
    assert list(resource.versions.values_list("version", "reason")) == [(1, "新编目")]


def test_reason_is_required(tmp_path):
    faults = _rejected(_doc(resources=[_new_resource()]), reason="  ")
    assert any("变更原因" in f for f in faults)
    with pytest.raises(CommandError):
        call_command("import_sharing", str(tmp_path / "x.json"))  # --reason is required


def test_unknown_user_and_missing_file_are_command_errors(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(export_document(), ensure_ascii=False), "utf-8")
    with pytest.raises(CommandError, match="用户不存在"):
        call_command("import_sharing", str(path), reason="x", user="nobody")
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import_sharing", str(tmp_path / "none.json"), reason="x")


def test_lists_are_imported_and_matched_by_department_and_name():
    document = _doc(
        resources=[_new_resource()],
        demands=[
            {
                "department": GONGAN,
                "name": "测试需求",
                "description": "",
                "resource": "GA-TEST-001",
                "items": ["430600-GA-0701-01"],
                "materials": ["household-register"],
            }
        ],
        duties=[{"department": GONGAN, "name": "测试责任", "description": "说明", "resource": "GA-TEST-001"}],
    )
    report = import_document(document, reason="登记")
    assert report.created["demands"] == report.created["duties"] == 1
    assert Demand.objects.get(name="测试需求").resource.code == "GA-TEST-001"
    document["duties"][0]["description"] = "改过的说明"
    report = import_document(document, reason="修改")
    assert report.changed["duties"] == 1 and report.unchanged["demands"] == 1
    assert Duty.objects.filter(name="测试责任").count() == 1


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        (_new_resource(provider="91430600MA4L00001C"), "提供部门", "不存在"),
        (_new_resource(sharing_class="open"), "共享类型", "不正确"),
        (_new_resource(subject_kind="robot"), "查询对象", "不正确"),
        (_new_resource(fields=[]), "数据项", "至少须有一个数据项"),
        (
            _new_resource(fields=[{"key": "a", "label": "甲"}, {"key": "a", "label": "乙"}]),
            "数据项",
            "数据项的键“a”重复",
        ),
        (_new_resource(fields=[{"key": "a", "label": "甲|乙"}]), "数据项", "不含“|”"),
        (_new_resource(replaces=["no-such-material"]), "可替代材料", "材料类型“no-such-material”不存在"),
        (_new_resource(backend="ftp"), "提供方式", "未登记的数据提供方式"),
        (_new_resource(update_frequency="hourly"), "更新频率", "不正确"),
        (_new_resource(name=""), "资源名称", "必须填写"),
        (_new_resource(publish_first="yes"), "需先发布", "应为是或否"),
        (_new_resource(extra=1), "extra", "不认识的字段"),
    ],
)
def test_bad_resources_are_refused_naming_the_field(record, field, message):
    faults = _rejected(_doc(resources=[record]))
    assert any(f"资源 第1条（GA-TEST-001） · {field}" in f and message in f for f in faults), faults


def test_duplicate_codes_are_refused():
    faults = _rejected(_doc(resources=[_new_resource(), _new_resource(name="另一个")]))
    assert any("数据资源 第2条（GA-TEST-001） · 资源编码（code）" in f and "重复" in f for f in faults)


def test_unknown_department_item_and_material_in_lists():
    document = _doc(
        demands=[
            {"department": "11430600MB0000000X", "name": "甲", "items": [], "materials": []},
            {"department": GONGAN, "name": "乙", "items": ["430600-NO-SUCH"], "materials": ["nope"]},
            {"department": GONGAN, "name": "丙", "resource": "NO-SUCH-RESOURCE"},
        ]
    )
    faults = _rejected(document)
    assert any("需求清单 第1条（甲） · 需求部门（department）" in f and "不存在" in f for f in faults)
    assert any(
        "需求清单 第2条（乙） · 服务事项（items）：服务事项“430600-NO-SUCH”不存在" in f for f in faults
    )
    assert any("需求清单 第2条（乙） · 可替代材料（materials）：材料类型“nope”不存在" in f for f in faults)
    assert any("需求清单 第3条（丙） · 对应资源（resource）" in f for f in faults)


def test_negative_entry_without_a_law_is_refused_at_import():
    document = _doc(
        negative=[
            {"department": GONGAN, "name": "内部数据", "resource": None, "legal_basis": "内部资料，保密"}
        ]
    )
    faults = _rejected(document)
    assert faults == [
        "负面清单 第1条（内部数据） · 不予共享依据（legal_basis）："
        "不予共享的依据须引用法律法规名称（如《中华人民共和国个人信息保护法》第十三条）"
    ]


def test_negative_entry_without_a_law_is_refused_by_model_clean():
    entry = NegativeEntry(department_id=GONGAN, name="内部数据", legal_basis="保密")
    with pytest.raises(ValidationError) as caught:
        entry.full_clean()
    assert "legal_basis" in caught.value.message_dict


def test_a_none_resource_needs_a_negative_entry():
    faults = _rejected(_doc(resources=[_new_resource(sharing_class="none")]))
    assert any("共享类型" in f and "须列入负面清单" in f for f in faults)
    # with an entry in the same document it is accepted
    entry = {
        "department": GONGAN,
        "name": "测试资源",
        "resource": "GA-TEST-001",
        "legal_basis": "《中华人民共和国个人信息保护法》第十三条",
    }
    import_document(_doc(resources=[_new_resource(sharing_class="none")], negative=[entry]), reason="登记")
    assert NegativeEntry.objects.get(name="测试资源").resource.code == "GA-TEST-001"
    # the stored entry counts too (GA-FZJL-001 of the demo)
    stored = next(r for r in export_document()["resources"] if r["code"] == "GA-FZJL-001")
    report = import_document(_doc(resources=[stored]), reason="原样")
    assert report.unchanged["resources"] == 1


def test_bad_documents_never_raise_anything_else(tmp_path):
    for document in (None, [], "x", {"format": "other"}, _doc(resources="x"), _doc(resources=[1, None])):
        _rejected(document)
    path = tmp_path / "bad.json"
    path.write_text("{not json", "utf-8")
    with pytest.raises(SharingRejected) as caught:
        exchange.import_file(path, reason="x")
    assert "不是合法的 JSON" in str(caught.value.faults[0])
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(SharingRejected):
        exchange.import_file(path, reason="x")


def test_xlsx_faults_name_sheet_row_and_column(tmp_path):
    document = export_document()
    document["resources"].append(_new_resource(replaces=["no-such-material"]))
    path = tmp_path / "bad.xlsx"
    write_workbook(document, path)
    row = len(document["resources"]) + 1
    wb = load_workbook(path)
    ws = wb["数据资源"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("数据项") + 1, value="name|姓名")
    wb.save(path)
    with pytest.raises(SharingRejected) as caught:
        exchange.import_file(path, reason="x")
    assert [str(f) for f in caught.value.faults] == [
        "“数据资源”工作表 第2行 · 数据项：第1行“name|姓名”应为“键|名称|类型|是否个人信息”四段，用“|”分隔"
    ]
    ws.cell(row=2, column=header.index("数据项") + 1, value="name|姓名|string|是")
    wb.save(path)
    before = _counts()
    with pytest.raises(SharingRejected) as caught:
        exchange.import_file(path, reason="x")
    assert [str(f) for f in caught.value.faults] == [
        f"“数据资源”工作表 第{row}行 · 可替代材料：材料类型“no-such-material”不存在"
    ]
    assert _counts() == before


def test_xlsx_missing_sheet_or_column(tmp_path):
    path = tmp_path / "s.xlsx"
    write_workbook(export_document(), path)
    wb = load_workbook(path)
    del wb["负面清单"]
    wb["责任清单"].cell(row=1, column=1, value="部门名称")
    wb.save(path)
    with pytest.raises(SharingRejected) as caught:
        exchange.import_file(path, reason="x")
    faults = [str(f) for f in caught.value.faults]
    assert "“负面清单”工作表：缺少该工作表" in faults
    assert any(f.startswith("“责任清单”工作表 第1行 · 部门名称：不认识的列") for f in faults)
    assert "“责任清单”工作表 第1行 · 责任部门：缺少该列" in faults


def test_import_is_all_or_nothing():
    document = copy.deepcopy(export_document())
    document["resources"][0]["name"] = "改名"
    document["resources"].append(_new_resource(sharing_class="bad"))
    before = Resource.objects.get(code=document["resources"][0]["code"]).name
    _rejected(document)
    assert Resource.objects.get(code=document["resources"][0]["code"]).name == before
