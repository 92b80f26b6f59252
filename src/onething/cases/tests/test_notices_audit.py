"""Notices as PDF (text extractable, numbered, dated, issuer, QR to the public check) and the
tamper-evident audit chain of a case."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest

from onething.audit.log import verify_chain
from onething.audit.models import AuditRecord
from onething.cases import lifecycle, notices
from onething.cases.models import Notice
from onething.cases.tests.conftest import at

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout
    return out.decode().replace(" ", "")


def test_every_kind_of_notice_renders_with_its_facts(submit, people):
    clerk = people["chuangkou"]
    rejected = submit()
    lifecycle.reject(rejected, clerk, reason="不属于本机关职权范围", now=at("2026-11-20"))
    corrected = submit()
    lifecycle.request_correction(
        corrected, clerk, items=["母子健康手册"], reason="材料不清晰", now=at("2026-11-20")
    )
    gaps = submit()
    lifecycle.accept_with_gaps(
        gaps,
        clerk,
        gaps=["maternal-health-handbook"],
        commitment_date=dt.date(2026, 11, 30),
        received=["bank-account"],
        now=at("2026-11-23"),
    )
    accepted = submit()
    lifecycle.accept(
        accepted, clerk, received=["maternal-health-handbook", "bank-account"], now=at("2026-11-23")
    )
    expectations = {
        (rejected, "rejection"): ["不予受理决定书", "不属于本机关职权范围", "行政复议"],
        (corrected, "correction"): ["补正材料通知书", "母子健康手册", "暂停计算"],
        (gaps, "gaps"): ["容缺受理告知书", "母子健康手册", "2026-11-30", "2026-12-08"],
        (accepted, "acceptance"): ["受理通知书", "2026-12-08", "出生医学证明办理", "岳阳市卫生健康委员会"],
    }
    for (app, kind), phrases in expectations.items():
        notice = Notice.objects.get(application=app, kind=kind)
        assert notice.number.startswith(notices.KIND_MARK[kind]) and app.number in notice.number
        text = pdf_text(notices.render_pdf(notice))
        for phrase in [*phrases, notice.number, notice.department_name, "扫码核验"]:
            assert phrase.replace(" ", "") in text, (kind, phrase)
        assert "/documents/verify/" in text  # the QR code and the printed link


def test_notice_numbers_are_unique_per_kind(submit, people):
    app = submit()
    clerk = people["chuangkou"]
    lifecycle.request_correction(app, clerk, items=["a"], reason="一", now=at("2026-11-20"))
    lifecycle.resubmit(app, people["zhangsan"], now=at("2026-11-20"))
    lifecycle.request_correction(app, clerk, items=["b"], reason="二", now=at("2026-11-21"))
    numbers = list(
        Notice.objects.filter(application=app).order_by("created_at").values_list("number", flat=True)
    )
    assert len(numbers) == 2 and numbers[0].endswith("-1号") and numbers[1].endswith("-2号")


def test_tampering_with_a_case_record_is_detected(submit, people):
    app = submit()
    lifecycle.reject(app, people["chuangkou"], reason="理由", now=at("2026-11-20"))
    assert verify_chain() is None
    entry = AuditRecord.objects.get(action="application.reject", object_id=app.number)
    AuditRecord.objects.filter(pk=entry.pk).update(
        reason="改过的理由"
    )  # a direct UPDATE behind the app's back
    assert verify_chain().pk == entry.pk


def test_deleting_a_case_record_is_detected(submit, people):
    app = submit()
    lifecycle.pre_review(app, people["chuangkou"], now=at("2026-11-20"))
    lifecycle.reject(app, people["chuangkou"], reason="理由", now=at("2026-11-20"))
    # linked into the chain (after a real commit that happens milliseconds later, on_commit)
    assert verify_chain() is None
    AuditRecord.objects.filter(action="application.pre_review", object_id=app.number).delete()
    assert verify_chain() is not None
