"""Fixtures for the cases tests: demo people, a valid 新生儿出生 application, fixed clocks."""

from __future__ import annotations

import datetime as dt
import io
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


def in_days(days: int) -> str:
    """An ISO date ``days`` after today in Asia/Shanghai (for actions that take the real today)."""
    from django.utils import timezone

    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


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


#: the demo accounts the cases tests act as
DEMO_PEOPLE = (
    "zhangsan",
    "lisi",
    "chuangkou",
    "ducha",
    "shenpi_weijian",
    "shenpi_gongan",
    "shenpi_yibao",
    "shenpi_renshe",
    "shenpi_shichang",
)


@pytest.fixture
def people(demo):
    return {u.username: u for u in User.objects.filter(username__in=DEMO_PEOPLE)}


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


def sample_pdf(label: str = "样本", pages: int = 1) -> bytes:
    """A small real PDF (blank A4 pages, ``label`` as its title) written by pypdf."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": label})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sample_png(label: str = "样本", size: tuple[int, int] = (48, 32)) -> bytes:
    """A small real PNG (a gradient, ``label`` in a text chunk) written by Pillow."""
    from PIL import Image, PngImagePlugin

    image = Image.linear_gradient("L").resize(size).convert("RGB")
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Title", label)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def sample_jpeg(label: str = "样本", size: tuple[int, int] = (48, 32)) -> bytes:
    """A small real JPEG (a gradient, ``label`` as its comment) written by Pillow."""
    from PIL import Image

    image = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, comment=label.encode())
    return out.getvalue()


SAMPLES = {"pdf": sample_pdf, "png": sample_png, "jpg": sample_jpeg}


@pytest.fixture
def upload_factory():
    """``upload_factory(kind="pdf")``: an upload of a small real file, different on every call
    (so each is stored under its own content-addressed name)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def make(kind="pdf", name=None):
        body = SAMPLES[kind](f"样本 {next(_keys)}")
        return SimpleUploadedFile(name or f"f.{kind}", body, content_type="application/octet-stream")

    return make


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
