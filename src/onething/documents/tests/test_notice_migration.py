"""Notices issued before the documents service keep verifying: ``cases`` migration 0007 gives
each a document with the SAME token, carries its stored renderings over, and goes back.

Written against the historical models (``cases`` as of 0006), so this test imports nothing of
the cases app.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from onething.documents import service
from onething.documents.models import Document

BEFORE = [("cases", "0006_inspection_status"), ("documents", "0001_initial")]
AFTER = [("cases", "0007_notice_document")]
ID_NUMBER = "430602198501010015"


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_existing_notices_become_documents_with_their_tokens(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    executor = migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Application = old.get_model("cases", "Application")
        Notice = old.get_model("cases", "Notice")
        Region = old.get_model("directory", "Region")
        User = old.get_model("accounts", "User")
        app = Application.objects.create(
            number="430600-20261120-000009",
            kind="bundle",
            code="430600-YJS-XSECS",
            name="新生儿出生一件事",
            region=Region.objects.get(code="430600"),
            applicant_name="张三",
            submitted_by=User.objects.create(username="migration-test"),
        )
        token = secrets.token_urlsafe(32)
        content = {"application": app.number, "applicant": "张三", "reason": f"身份证号{ID_NUMBER}不符"}
        notice = Notice.objects.create(
            id=uuid.uuid4(),
            token=token,
            application=app,
            kind="rejection",
            number=f"不受字〔2026〕{app.number}-1号",
            department_name="岳阳市政务服务中心",
            issued_on=dt.date(2026, 11, 20),
            content=content,
            pdf_sha256_owner=hashlib.sha256(b"%PDF owner").hexdigest(),
        )
        old_file = tmp_path / "uploads" / "notices" / f"{notice.pk}-owner.pdf"
        old_file.parent.mkdir(parents=True)
        old_file.write_bytes(b"%PDF owner")

        migrate(AFTER)

        document = Document.objects.get(token=token)
        assert document.pk == notice.pk and document.kind == "cases.notice.rejection"
        assert (document.number, document.issuer, document.issued_on) == (
            notice.number,
            "岳阳市政务服务中心",
            dt.date(2026, 11, 20),
        )
        assert document.title == "不予受理决定书（新生儿出生一件事）"
        assert document.content_sha256 == service.content_hash(content)
        assert document.owner == f"cases.application:{app.number}"
        assert document.renderings == {"owner": hashlib.sha256(b"%PDF owner").hexdigest()}
        assert not old_file.exists()

        def never_rendered():
            raise AssertionError("the moved file should have been served")

        assert service.stored_pdf(document, "owner", never_rendered) == b"%PDF owner"
        for url in (f"/cases/verify/{token}/", f"/documents/verify/{token}/"):
            page = Client().get(url)
            html = page.content.decode()
            assert page.status_code == 200 and "真实有效" in html and notice.number in html
            assert ID_NUMBER not in html and "张三" not in html

        # and back: the token and digest return to the notice, the file to notices/
        executor = migrate(BEFORE)
        Notice = executor.loader.project_state(BEFORE).apps.get_model("cases", "Notice")
        restored = Notice.objects.get(pk=notice.pk)
        assert restored.token == token and restored.pdf_sha256_owner == document.renderings["owner"]
        assert restored.pdf_sha256_others == ""
        assert old_file.read_bytes() == b"%PDF owner"
        assert not Document.objects.filter(pk=notice.pk).exists()
    finally:
        migrate(leaves())
