"""The public verification page and API: genuine or not, and never any personal data."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from onething.documents.tests.conftest import ID_NUMBER, PHONE

pytestmark = pytest.mark.django_db

UNKNOWN = "Z" * 43


def no_inline_code(html: str) -> None:
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"


def test_the_page_says_genuine_with_the_public_facts_only(issue):
    document = issue()
    response = Client().get(f"/documents/verify/{document.token}/")
    html = response.content.decode()
    assert response.status_code == 200
    for shown in (
        "真实有效",
        "测试证明",
        document.number,
        "岳阳市政务服务中心",
        "2026年11月20日",
        document.content_sha256,
    ):
        assert shown in html, shown
    for personal in (ID_NUMBER, PHONE, "张三", ID_NUMBER[:6] + "*"):
        assert personal not in html, personal
    no_inline_code(html)


def test_the_api_gives_the_same_public_facts(issue):
    document = issue()
    response = Client().get(f"/api/v1/documents/verify/{document.token}")
    assert response.status_code == 200
    assert response.json() == {
        "valid": True,
        "kind": "tests.certificate",
        "kind_name": "测试证明",
        "number": document.number,
        "title": "测试证明（新生儿出生一件事）",
        "issuer": "岳阳市政务服务中心",
        "issued_on": "2026-11-20",
        "content_sha256": document.content_sha256,
    }
    body = response.content.decode()
    assert ID_NUMBER not in body and PHONE not in body and "张三" not in body


@pytest.mark.parametrize("token", [UNKNOWN, "forged-token", "x"])
def test_an_unknown_token_is_a_chinese_404_page(issue, token):
    issue()
    response = Client().get(f"/documents/verify/{token}/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "未找到该文书" in html and "无效" in html and "真实有效" not in html
    no_inline_code(html)


@pytest.mark.parametrize("token", [UNKNOWN, "forged-token"])
def test_an_unknown_token_is_a_404_in_the_api_error_shape(issue, token):
    issue()
    response = Client().get(f"/api/v1/documents/verify/{token}")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and error["field"] == "token" and "未找到" in error["message"]


def test_an_overlong_token_is_refused_naming_the_field(db):
    response = Client().get(f"/api/v1/documents/verify/{'A' * 65}")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "token"


def test_the_old_cases_address_of_printed_qr_codes_still_verifies(issue):
    document = issue()
    old = Client().get(f"/cases/verify/{document.token}/")
    new = Client().get(f"/documents/verify/{document.token}/")
    assert old.status_code == 200 and "真实有效" in old.content.decode()
    assert document.number in old.content.decode()
    assert Client().get(f"/cases/verify/{UNKNOWN}/").status_code == 404
    assert result(old) == result(new)


def result(response) -> str:
    """The verification result section of a page (the rest is the portal shell)."""
    return re.search(r'<section[^>]*id="verify-result".*?</section>', response.content.decode(), re.S).group(
        0
    )


def test_the_page_is_public_and_read_only(issue, make_user):
    document = issue()
    signed_in = Client()
    signed_in.force_login(make_user("someone"))
    assert signed_in.get(f"/documents/verify/{document.token}/").status_code == 200
    assert Client().post(f"/documents/verify/{document.token}/").status_code == 405
