"""Issuing and verifying documents: the round trip, the content hash, the token."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.db import IntegrityError, transaction

from onething.documents import kinds, service
from onething.documents.models import Document
from onething.documents.tests.conftest import CONTENT, ID_NUMBER, PHONE

pytestmark = pytest.mark.django_db


def test_issue_then_verify_round_trip(issue):
    document = issue()
    found = service.verify(document.token)
    assert found == document
    assert (found.kind, found.kind_label, found.number, found.issuer) == (
        "tests.certificate",
        "测试证明",
        document.number,
        "岳阳市政务服务中心",
    )
    assert found.issued_on.isoformat() == "2026-11-20"
    assert found.content_sha256 == service.content_hash(CONTENT)


def test_the_document_keeps_no_content_only_its_hash(issue):
    document = issue()
    stored = json.dumps(
        Document.objects.filter(pk=document.pk).values().get(), default=str, ensure_ascii=False
    )
    assert ID_NUMBER not in stored and PHONE not in stored and "张三" not in stored
    assert document.content_sha256 in stored


def test_tokens_are_random_unguessable_and_unique(issue):
    tokens = [issue(content={"same": "content"}).token for _ in range(20)]
    assert len(set(tokens)) == 20
    assert all(len(t) == 43 and service.TOKEN_PATTERN.fullmatch(t) for t in tokens)
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(token=tokens[1]).update(token=tokens[0])


def test_content_hash_is_stable_and_canonical():
    content = {"b": 1, "a": ["二", {"y": None, "x": True}]}
    reordered = {"a": ["二", {"x": True, "y": None}], "b": 1}
    expected = hashlib.sha256('{"a":["二",{"x":true,"y":null}],"b":1}'.encode()).hexdigest()
    assert service.content_hash(content) == service.content_hash(reordered) == expected
    assert service.content_hash({**content, "b": 2}) != expected
    assert service.content_hash(json.loads(json.dumps(content))) == expected  # survives a JSON round trip


def test_issue_refuses_a_kind_nobody_registered(db):
    before = Document.objects.count()  # the demo's e-licences are documents too
    with pytest.raises(ValueError, match="未登记"):
        service.issue(
            kind="nobody.knows",
            number="1",
            issuer="某单位",
            issued_on=dt.date(2026, 1, 5),
            title="t",
            content={},
        )
    assert Document.objects.count() == before


def test_a_kind_is_a_dotted_key_with_one_name(kind):
    assert kinds.register(kind, "测试证明") == kind  # again, same name: harmless
    with pytest.raises(ValueError):
        kinds.register(kind, "另一个名称")
    for bad in ("nodot", "Cases.Notice", "a." + "b" * 40, "cases..notice"):
        with pytest.raises(ValueError):
            kinds.register(bad, "x")
    assert kinds.label("gone.kind") == "文书"


def test_the_same_number_twice_in_one_kind_is_refused(issue):
    issue(number="测字〔2026〕7号")
    with pytest.raises(IntegrityError), transaction.atomic():
        issue(number="测字〔2026〕7号")


def test_verify_answers_none_for_unknown_or_malformed_tokens(issue, django_assert_num_queries):
    issue()
    assert service.verify("A" * 43) is None
    with django_assert_num_queries(0):  # cannot be a token: no query at all
        for bad in ("", "forged-token", "A" * 44, "A" * 42 + "/", "A" * 42 + "\x00", None):
            assert service.verify(bad) is None


def test_issue_belongs_to_the_callers_transaction(issue):
    with pytest.raises(RuntimeError), transaction.atomic():
        document = issue()
        raise RuntimeError("the transition failed")
    assert service.verify(document.token) is None


def test_verify_url_points_to_the_documents_page(issue, settings):
    document = issue()
    assert service.verify_url(document) == f"{settings.PUBLIC_URL}/documents/verify/{document.token}/"
