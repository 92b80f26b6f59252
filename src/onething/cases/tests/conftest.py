"""Fixtures for the cases tests: demo people, a valid 新生儿出生 application, fixed clocks."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from onething.accounts.models import User

BUNDLE = "430600-YJS-XSECS"
#: 新生儿出生 with two departments (卫健 ×2, 医保): no local hukou, mother insured
ANSWERS = {
    "parents_local_hukou": False,
    "parents_married": True,
    "mother_insured": True,
    "want_social_card": False,
}
#: 新生儿出生 with the local-hukou chain (卫健 → 公安 → 医保)
ANSWERS_LOCAL = {
    "parents_local_hukou": True,
    "parents_married": True,
    "mother_insured": False,
    "want_social_card": False,
}
FORM = {
    "child": {"name": "张小宝", "birth_date": "2026-11-01", "gender": "男"},
    "mother": {"name": "王芳", "id_number": "430602199201011221"},
    "father": {"name": "张三", "id_number": "430602199001011235"},
    "bank": {"account": "6222020200112233445"},
    "applicant": {
        "phone": "13800000001",
        "address": "岳阳市岳阳楼区洞庭路1号",
        "name": "张三",
        "id_number": "430602199001011235",
    },
}
TZ = ZoneInfo("Asia/Shanghai")
_keys = itertools.count(1)


def at(day: str, hour: int = 10) -> dt.datetime:
    """A fixed moment on ``day`` (Asia/Shanghai)."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


def form_for(plan_form) -> dict:
    """A valid value for every element of a merged form (for bundles other than 新生儿)."""
    samples = {
        "string": "测试",
        "text": "测试内容",
        "address": "岳阳市岳阳楼区洞庭路1号",
        "integer": 3,
        "decimal": "100.5",
        "boolean": True,
        "date": "2026-11-01",
        "id_number": "430602199001011235",
        "uscc": "91430600MA4L00001C",
        "phone": "13800000001",
        "email": "a@example.cn",
        "region": "430602",
    }
    out = {}
    for f in plan_form:
        out[f["element"]] = f["choices"][0] if f["type"] == "choice" else samples.get(f["type"], "测试")
    return out


@pytest.fixture
def people(demo):
    names = [
        "zhangsan",
        "lisi",
        "chuangkou",
        "ducha",
        "shenpi_weijian",
        "shenpi_gongan",
        "shenpi_yibao",
        "shenpi_renshe",
        "shenpi_shichang",
    ]
    return {u.username: u for u in User.objects.filter(username__in=names)}


@pytest.fixture
def submit(people):
    """Submit a 新生儿出生 application as zhangsan (or as ``actor``) at ``now``."""
    from onething.cases import intake

    def run(actor=None, answers=None, form=None, now=None, key=None, **kw):
        kind, code = kw.pop("kind", "bundle"), kw.pop("code", BUNDLE)
        answers = ANSWERS if answers is None else answers
        if form is None:  # the sample form, cut to the elements this plan asks for
            plan = intake.load_plan(kind, code, answers)
            asked = {f.element for f in plan.form}
            form = {k: v for k, v in intake.flatten(FORM).items() if k in asked}
        return intake.submit(
            actor or people["zhangsan"],
            kind=kind,
            code=code,
            answers=answers,
            form=form,
            idempotency_key=key if key is not None else f"k-{next(_keys)}",
            now=now or at("2026-11-20"),
            **kw,
        ).application

    return run


@pytest.fixture
def upload_factory():
    from django.core.files.uploadedfile import SimpleUploadedFile

    def make(kind="pdf", size=0, name=None):
        heads = {
            "pdf": b"%PDF-1.4\n",
            "png": b"\x89PNG\r\n\x1a\n",
            "jpg": b"\xff\xd8\xff\xe0",
            "exe": b"MZ\x90\x00",
        }
        body = heads[kind] + b"0" * size + str(next(_keys)).encode()
        return SimpleUploadedFile(name or f"f.{kind}", body, content_type="application/octet-stream")

    return make


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
