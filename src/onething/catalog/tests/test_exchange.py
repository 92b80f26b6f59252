"""Import and export of the catalog: all or nothing, idempotent, round-tripping.

Catalog files come from other provinces and from maintainers' spreadsheets; a half-imported
file would leave bundles pointing at missing items, and a repeated import must not flood the
history with identical versions.
"""

from __future__ import annotations

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from onething.catalog import exchange, records
from onething.catalog.models import Bundle, Item, MaterialType, Revision
from onething.directory.models import Department

pytestmark = pytest.mark.django_db


def _snapshot() -> dict:
    return {
        "revisions": Revision.objects.count(),
        "items": Item.objects.count(),
        "bundles": Bundle.objects.count(),
        "materials": MaterialType.objects.count(),
        "departments": Department.objects.count(),
        "document": exchange.export_document(published_only=False),
    }


def _bad_document(example_document) -> dict:
    doc = copy.deepcopy(example_document)
    doc["materials"].append({"code": "brand-new-material", "name": "新材料", "kind": "other"})
    doc["items"][0]["promised_limit"] = 99
    doc["items"][0]["name"] = "改过的名称"
    doc["bundles"][0]["members"][1]["when"] = {"var": "undeclared"}
    return doc


def test_contract_example_imports(demo, example_document, client):
    report = exchange.import_document(example_document)
    assert report.created["bundle"] == 1
    response = client.get("/api/v1/catalog/bundles/430600-YJS-QYZX")
    assert response.status_code == 200
    assert [m["item"] for m in response.json()["members"]] == [
        "430600-SW-0701-01",
        "430600-RS-2001-01",
        "430600-GJJ-2001-01",
        "430600-SCJG-0101-01",
    ]


def test_invalid_file_is_refused_whole_and_changes_nothing(demo, example_document):
    before = _snapshot()
    with pytest.raises(exchange.CatalogRejected) as exc:
        exchange.import_document(_bad_document(example_document))
    messages = [str(f) for f in exc.value.faults]
    assert any("430600-SCJG-0101-01 · promised_limit" in m for m in messages)
    assert any("430600-YJS-QYZX · members.1.when" in m for m in messages)
    assert "2 处错误" in str(exc.value)
    assert _snapshot() == before
    assert not MaterialType.objects.filter(code="brand-new-material").exists()


def test_cli_refuses_the_file_with_non_zero_exit_and_lists_faults(demo, example_document, tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bad_document(example_document), ensure_ascii=False), encoding="utf-8")
    before = _snapshot()
    with pytest.raises(SystemExit) as exc:
        onething("import-catalog", str(path))
    assert exc.value.code != 0
    err = capsys.readouterr().err
    assert "事项 430600-SCJG-0101-01 · promised_limit：承诺时限 99 个工作日超过法定时限 15 个工作日" in err
    assert "一件事 430600-YJS-QYZX · members.1.when：条件引用了未声明的问题：undeclared" in err
    assert _snapshot() == before


def test_check_mode_validates_without_importing(demo, example_document, tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(example_document, ensure_ascii=False), encoding="utf-8")
    before = _snapshot()
    assert "校验通过" in _call("import_catalog", str(path), "--check")
    assert _snapshot() == before
    path.write_text(json.dumps(_bad_document(example_document), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError):
        _call("import_catalog", str(path), "--check")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{not json", "不是合法的 JSON（第1行第2列）"), (b"\xff\xfe\x00", "不是 UTF-8 编码的文本")],
)
def test_unreadable_json_file(demo, tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(exchange.CatalogRejected) as exc:
        exchange.import_file(path)
    assert message in str(exc.value.faults[0])


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="文件不存在"):
        _call("import_catalog", str(tmp_path / "nope.json"))


def test_import_is_one_transaction(demo, example_document, monkeypatch):
    """A failure while writing the last record undoes the records written before it."""
    before = _snapshot()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setitem(records.APPLIERS, "bundle", fail)
    with pytest.raises(RuntimeError):
        exchange.import_document(example_document)
    assert _snapshot() == before


def test_second_import_changes_nothing(demo, example_document):
    exchange.import_document(example_document)
    revisions = Revision.objects.count()
    report = exchange.import_document(example_document)
    assert report.changed == 0
    assert sum(report.unchanged.values()) == sum(
        len(example_document[k]) for k in exchange.normalize.KIND_ORDER
    )
    assert "一件事：新增 0，更新 0，未变 1" in report.summary()
    assert Revision.objects.count() == revisions


def test_changed_record_gets_a_new_version(demo, example_document):
    exchange.import_document(example_document)
    doc = copy.deepcopy(example_document)
    doc["items"][1]["promised_limit"] = 2
    report = exchange.import_document(doc, reason="缩短承诺时限")
    assert report.updated["item"] == 1 and report.changed == 1
    latest = Revision.objects.get(kind="item", code="430600-SW-0701-01", current=True)
    assert latest.data["promised_limit"] == 2 and latest.reason == "缩短承诺时限"
    assert Revision.objects.filter(kind="item", code="430600-SW-0701-01").count() == latest.version


@pytest.mark.parametrize("suffix", ["json", "xlsx"])
def test_export_then_import_round_trips(demo, tmp_path, suffix):
    path = tmp_path / f"catalog.{suffix}"
    exported = exchange.export_file(path)
    assert len(exported["items"]) == 149 and len(exported["bundles"]) == 8
    assert exchange.read_document(path) == exported
    revisions = Revision.objects.count()
    report = exchange.import_file(path)
    assert report.changed == 0
    assert Revision.objects.count() == revisions
    assert exchange.export_document() == exported


@pytest.mark.parametrize("suffix", ["json", "xlsx"])
def test_cli_export_and_import(demo, tmp_path, capsys, suffix):
    path = tmp_path / f"catalog.{suffix}"
    onething("export-catalog", str(path))
    out = capsys.readouterr().out
    assert "items 149" in out
    onething("import-catalog", str(path))
    out = capsys.readouterr().out
    assert "事项：新增 0，更新 0，未变 149" in out


def test_working_export_includes_drafts(demo):
    Item.objects.filter(code="430600-WJ-2001-01").update(name="草稿名称")
    working = exchange.export_document(published_only=False)
    published = exchange.export_document()
    assert next(i for i in working["items"] if i["code"] == "430600-WJ-2001-01")["name"] == "草稿名称"
    assert next(i for i in published["items"] if i["code"] == "430600-WJ-2001-01")["name"] != "草稿名称"


def _call(*args) -> str:
    import io

    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


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
