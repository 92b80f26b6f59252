"""Fixtures for the documents tests: a kind of their own, a throw-away MEDIA_ROOT."""

from __future__ import annotations

import datetime as dt

import pytest

from onething.documents import kinds, service

KIND = "tests.certificate"
ID_NUMBER = "430602199001011235"
PHONE = "13800000001"
#: what the test documents say: a person's name, 18-digit ID number and mobile phone
CONTENT = {"applicant": "张三", "id_number": ID_NUMBER, "phone": PHONE, "items": ["出生医学证明"]}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def kind():
    kinds.register(KIND, "测试证明")
    yield KIND
    kinds.unregister(KIND)


@pytest.fixture
def issue(db, kind):
    """Issue a test document; the content names a person (ID number, phone) by default."""
    numbers = iter(range(1, 1000))

    def make(**overrides):
        fields = {
            "kind": kind,
            "number": f"测字〔2026〕{next(numbers)}号",
            "issuer": "岳阳市政务服务中心",
            "issued_on": dt.date(2026, 11, 20),
            "title": "测试证明（新生儿出生一件事）",
            "content": CONTENT,
        }
        return service.issue(**{**fields, **overrides})

    return make
