"""Notice PDFs are rendered once per audience, stored with their SHA-256 and served from the
stored file: the owner's in full, everyone else's with personal numbers masked."""

from __future__ import annotations

import hashlib
import logging

import pytest
from django.test import Client

from onething.cases import lifecycle, notices
from onething.cases.models import Notice
from onething.cases.tests.conftest import at

pytestmark = pytest.mark.django_db
NUMBER = "430602198501010015"  # typed into the reason by the clerk


@pytest.fixture
def rejected(submit, people):
    """A rejection notice whose reason names a person's ID number."""
    app = submit()
    lifecycle.reject(
        app, people["chuangkou"], reason=f"申请人身份证号{NUMBER}与户籍信息不符", now=at("2026-11-20")
    )
    return app, Notice.objects.get(application=app)


@pytest.fixture
def renders(monkeypatch):
    """The calls of the renderer, by audience (``masked``)."""
    calls: list[bool] = []
    render = notices.render_pdf

    def counting(notice, *, masked=False):
        calls.append(masked)
        return render(notice, masked=masked)

    monkeypatch.setattr(notices, "render_pdf", counting)
    return calls


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def routes(app, notice) -> list[str]:
    return [
        f"/api/v1/applications/{app.number}/notices/{notice.id}.pdf",
        f"/cases/{app.number}/notices/{notice.id}.pdf",
    ]


def test_each_audience_is_rendered_once_and_then_served_from_the_stored_file(rejected, people, renders):
    app, notice = rejected
    got = {}
    for username in ("zhangsan", "chuangkou", "ducha"):
        for url in routes(app, notice):
            response = login(people[username]).get(url)
            assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
            got.setdefault(username, set()).add(response.content)
    assert renders == [False, True]  # the owner's once, everyone else's once
    assert all(len(versions) == 1 for versions in got.values())  # both routes, the same bytes
    assert got["chuangkou"] == got["ducha"] != got["zhangsan"]
    notice.refresh_from_db()
    for audience, field in notices.AUDIENCE_DIGESTS.items():
        stored = notices.stored_path(notice, audience).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == getattr(notice, field)
    assert notices.stored_path(notice, "owner").read_bytes() in got["zhangsan"]
    assert sorted(p.name for p in notices.stored_path(notice, "owner").parent.iterdir()) == sorted(
        f"{notice.pk}-{audience}.pdf" for audience in notices.AUDIENCE_DIGESTS
    )  # written atomically: no temporary file left behind


def test_the_owner_reads_the_number_in_full_everyone_else_masked(rejected, people):
    from onething.cases.tests.test_notices_audit import pdf_text

    app, notice = rejected
    [own, staff] = (login(people[u]).get(routes(app, notice)[0]).content for u in ("zhangsan", "chuangkou"))
    assert NUMBER in pdf_text(own)
    assert NUMBER not in pdf_text(staff) and "4306**********0015" in pdf_text(staff)
    assert notice.number.replace(" ", "") in pdf_text(staff)  # the notice's own number is no personal number


def test_a_stored_file_that_was_changed_or_lost_is_rendered_again(rejected, people, renders, caplog):
    app, notice = rejected
    clerk = login(people["chuangkou"])
    first = clerk.get(routes(app, notice)[0]).content
    path = notices.stored_path(notice, "others")
    path.write_bytes(b"%PDF-1.4 forged")
    with caplog.at_level(logging.ERROR, logger="onething.cases.notices"):
        again = clerk.get(routes(app, notice)[1]).content
    assert again == first and path.read_bytes() == first
    assert "与摘要不符" in caplog.text and notice.number in caplog.text
    path.unlink()
    assert clerk.get(routes(app, notice)[0]).content == first and path.exists()
    assert renders == [True, True, True]  # first download, after the change, after the loss
