"""``onething repair-uploads``: files stored with their first 16 bytes twice are found, repaired
under their own content-addressed name for every material that shares them, audited; a dry run
changes nothing, a second run finds nothing, and a genuine file is never touched."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, execute_from_command_line
from django.db import connections
from django.test import Client

from onething.audit.models import AuditRecord
from onething.cases import intake
from onething.cases.models import Material, upload_name
from onething.cases.tests.conftest import sample_jpeg, sample_pdf, sample_png

pytestmark = pytest.mark.django_db
SAMPLES = {"pdf": sample_pdf, "png": sample_png, "jpg": sample_jpeg}
TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}
EVENT = "application.repair_upload"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def root(settings) -> Path:
    return Path(settings.MEDIA_ROOT)


def store_as_before(application, material: str, data: bytes, extension: str, root: Path) -> Material:
    """What the old upload code stored: the first 16 bytes twice, recorded as such."""
    corrupted = data[:16] + data
    name = upload_name(sha256(corrupted), extension)
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(corrupted)
    return Material.objects.create(
        application=application,
        material=material,
        name=material,
        source="upload",
        sha256=sha256(corrupted),
        size=len(corrupted),
        content_type=TYPES[extension],
        filename=f"{material}.{extension}",
        path=name,
        uploaded_by=application.applicant,
    )


def repair(*args) -> str:
    out = io.StringIO()
    call_command("repair_uploads", *args, stdout=out)
    return out.getvalue()


def row(material: Material) -> tuple:
    material.refresh_from_db()
    return material.path, material.sha256, material.size


def test_a_dry_run_only_says_what_it_would_do(submit, root):
    data = sample_pdf("试运行")
    material = store_as_before(submit(), "bank-account", data, "pdf", root)
    before = row(material)
    corrupted = (root / material.path).read_bytes()

    out = repair()

    assert "将修复" in out and "试运行" in out and "需修复 1 个（材料 1 条）" in out
    assert row(material) == before
    assert (root / material.path).read_bytes() == corrupted
    assert not (root / upload_name(sha256(data), "pdf")).exists()
    assert not AuditRecord.objects.filter(action=EVENT).exists()


@pytest.mark.parametrize("kind", ["pdf", "png", "jpg"])
def test_apply_restores_the_file_its_size_and_hash(kind, submit, people, token_for, root):
    data = SAMPLES[kind](f"修复 {kind}")
    application = submit()
    material = store_as_before(application, "bank-account", data, kind, root)
    old_path, old_sha256, old_size = row(material)
    assert old_size == len(data) + 16

    out = repair("--apply")

    assert "已修复 1 个（材料 1 条）" in out
    assert row(material) == (upload_name(sha256(data), kind), sha256(data), len(data))
    assert (root / material.path).read_bytes() == data
    assert not (root / old_path).exists()
    (audit,) = AuditRecord.objects.filter(action=EVENT)
    assert audit.object_id == application.number
    assert audit.data["old_sha256"] == old_sha256 and audit.data["new_sha256"] == sha256(data)
    assert (audit.data["old_size"], audit.data["new_size"]) == (old_size, len(data))
    # and the applicant downloads the original again
    client = Client(HTTP_AUTHORIZATION=token_for(people["zhangsan"]))
    response = client.get(f"/api/v1/applications/{application.number}/materials/{material.pk}/file")
    assert sha256(b"".join(response.streaming_content)) == sha256(data)


def test_a_corrupted_file_shared_by_two_materials_is_moved_for_both(submit, root):
    data = sample_png("共享")
    first = store_as_before(submit(), "bank-account", data, "png", root)
    second = store_as_before(submit(), "medical-bills", data, "png", root)
    assert first.path == second.path  # content-addressed: one file

    out = repair("--apply")

    assert "已修复 1 个（材料 2 条）" in out
    expected = (upload_name(sha256(data), "png"), sha256(data), len(data))
    assert row(first) == expected and row(second) == expected
    assert (root / expected[0]).read_bytes() == data
    assert not (root / upload_name(sha256(data[:16] + data), "png")).exists()
    audits = AuditRecord.objects.filter(action=EVENT)
    assert sorted(a.data["material_id"] for a in audits) == sorted([first.pk, second.pk])


def test_a_repaired_file_already_stored_is_reused(submit, people, root):
    data = sample_jpeg("已重新上传")
    application = submit()
    corrupted = store_as_before(application, "bank-account", data, "jpg", root)
    # uploaded again after the fix: the original is stored under its own name already
    again = intake.store_upload(
        application, "medical-bills", SimpleUploadedFile("b.jpg", data), people["zhangsan"]
    )
    stored = root / again.path
    written = stored.stat().st_mtime_ns

    out = repair("--apply")

    assert "直接复用" in out
    assert row(corrupted) == (again.path, sha256(data), len(data))
    assert stored.read_bytes() == data and stored.stat().st_mtime_ns == written  # not rewritten
    assert not (root / upload_name(sha256(data[:16] + data), "jpg")).exists()


def test_a_second_run_finds_nothing(submit, root):
    material = store_as_before(submit(), "bank-account", sample_pdf("两次"), "pdf", root)
    repair("--apply")
    after = row(material)
    audits = AuditRecord.objects.filter(action=EVENT).count()

    out = repair("--apply")

    assert "需修复" not in out and "已修复 0 个（材料 0 条）" in out
    assert row(material) == after
    assert AuditRecord.objects.filter(action=EVENT).count() == audits == 1
    assert "需修复 0 个（材料 0 条）" in repair()  # the dry run agrees


def test_genuine_files_are_never_touched(submit, people, root):
    application = submit()
    genuine = {}
    for kind, line in (
        ("pdf", "bank-account"),
        ("png", "medical-bills"),
        ("jpg", "maternal-health-handbook"),
    ):
        data = SAMPLES[kind](f"真 {kind}")
        assert data[:16] != data[16:32]
        upload = SimpleUploadedFile(f"x.{kind}", data)
        genuine[intake.store_upload(application, line, upload, people["zhangsan"]).pk] = data
    # the head repeats, but without it the file is no PDF: not the old bug, left alone
    head = sample_pdf("像")[:16]
    lookalike = store_as_before(application, "bank-account", head + b"not a pdf at all", "pdf", root)
    lookalike_before, lookalike_bytes = row(lookalike), (root / lookalike.path).read_bytes()
    rows = {pk: row(Material.objects.get(pk=pk)) for pk in genuine}

    out = repair("--apply")

    assert "已修复 0 个" in out and "无法确认、未处理 1 个" in out and lookalike.path in out
    for pk, data in genuine.items():
        material = Material.objects.get(pk=pk)
        assert row(material) == rows[pk]
        assert (root / material.path).read_bytes() == data
    assert row(lookalike) == lookalike_before
    assert (root / lookalike.path).read_bytes() == lookalike_bytes
    assert not AuditRecord.objects.filter(action=EVENT).exists()


def test_a_file_whose_records_disagree_is_left_alone(submit, root):
    material = store_as_before(submit(), "bank-account", sample_png("不符"), "png", root)
    Material.objects.filter(pk=material.pk).update(size=material.size + 1)
    before, data = row(material), (root / material.path).read_bytes()

    out = repair("--apply")

    assert "不符" in out and row(material) == before
    assert (root / material.path).read_bytes() == data


def test_a_missing_file_is_reported(submit, root):
    material = store_as_before(submit(), "bank-account", sample_pdf("缺失"), "pdf", root)
    (root / material.path).unlink()

    out = repair("--apply")

    assert "文件缺失 1 个" in out and material.path in out


def onething(*argv: str) -> None:
    """Run a command as the ``onething`` console script does (dashed name).

    ``onething.cli`` sits above the apps in the import layers, so this repeats its one rule. A
    real command closes every database connection when it ends; here that connection carries
    the test's transaction, so it is kept open.
    """
    with mock.patch.object(connections, "close_all"):
        execute_from_command_line(["onething", argv[0].replace("-", "_"), *argv[1:]])


def test_the_console_script_runs_it(submit, root, capsys):
    material = store_as_before(submit(), "bank-account", sample_pdf("命令"), "pdf", root)
    before = row(material)

    onething("repair-uploads")

    assert "需修复 1 个（材料 1 条）" in capsys.readouterr().out
    assert row(material) == before
