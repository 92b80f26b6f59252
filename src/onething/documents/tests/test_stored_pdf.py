"""Stored renderings: rendered once per audience, served from the file while it matches its
SHA-256 on the document, rendered again when the file was changed or lost."""

from __future__ import annotations

import hashlib
import logging

import pytest

from onething.documents import service
from onething.documents.models import Document
from onething.documents.render import BASE_TEMPLATE, render_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def renderer():
    """A real renderer that counts its calls."""
    calls: list[str] = []

    def make(audience: str):
        def render() -> bytes:
            calls.append(audience)
            return render_pdf(BASE_TEMPLATE, {})

        return render

    make.calls = calls
    return make


def test_each_audience_is_rendered_once_then_served_from_its_file(issue, renderer):
    document = issue()
    owner = service.stored_pdf(document, "owner", renderer("owner"))
    others = service.stored_pdf(document, "others", renderer("others"))
    fresh = Document.objects.get(pk=document.pk)  # another request, another instance
    assert service.stored_pdf(fresh, "owner", renderer("owner")) == owner
    assert service.stored_pdf(fresh, "others", renderer("others")) == others
    assert renderer.calls == ["owner", "others"]
    assert owner.startswith(b"%PDF")
    assert fresh.renderings == {
        "owner": hashlib.sha256(owner).hexdigest(),
        "others": hashlib.sha256(others).hexdigest(),
    }
    folder = service.stored_path(document, "owner").parent
    assert folder.name == "documents"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{document.pk}-others.pdf",
        f"{document.pk}-owner.pdf",
    ]


def test_a_tampered_or_lost_file_is_rendered_again(issue, renderer, caplog):
    document = issue()
    first = service.stored_pdf(document, "others", renderer("others"))
    path = service.stored_path(document, "others")
    path.write_bytes(b"%PDF-1.4 forged")
    fresh = Document.objects.get(pk=document.pk)
    with caplog.at_level(logging.ERROR, logger="onething.documents.service"):
        again = service.stored_pdf(fresh, "others", renderer("others"))
    assert again == first and path.read_bytes() == first  # deterministic rendering, file repaired
    assert "与摘要不符" in caplog.text and document.number in caplog.text
    path.unlink()
    assert service.stored_pdf(Document.objects.get(pk=document.pk), "others", renderer("others")) == first
    assert path.exists()
    assert renderer.calls == ["others"] * 3
    assert Document.objects.get(pk=document.pk).renderings["others"] == hashlib.sha256(first).hexdigest()


def test_a_reader_that_lost_the_race_serves_the_stored_file(issue):
    """Two first readers: the second finds the first one's file under the row lock and
    serves it, so the file on disk and the digest on the document always agree."""
    document = issue()
    stale = Document.objects.get(pk=document.pk)  # loaded before anyone rendered
    theirs = service.stored_pdf(document, "owner", lambda: b"%PDF-1.7 first reader")
    ours = service.stored_pdf(stale, "owner", lambda: b"%PDF-1.7 second reader")
    assert ours == theirs == b"%PDF-1.7 first reader"
    assert service.stored_path(document, "owner").read_bytes() == theirs
    assert Document.objects.get(pk=document.pk).renderings["owner"] == hashlib.sha256(theirs).hexdigest()


def test_no_temporary_file_is_left_behind(issue):
    document = issue()
    service.stored_pdf(document, "owner", lambda: b"%PDF-1.7 x")
    names = [p.name for p in service.stored_path(document, "owner").parent.iterdir()]
    assert names == [f"{document.pk}-owner.pdf"]


@pytest.mark.parametrize("audience", ["../owner", "Owner", "", "a/b", "x" * 21])
def test_an_audience_is_a_short_word_never_a_path(issue, audience):
    with pytest.raises(ValueError):
        service.stored_path(issue(), audience)
