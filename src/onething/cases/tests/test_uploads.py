"""Material uploads: stored byte for byte (API and web, in and out), size limit exact, types
checked by structure (polyglots, active PDFs, decompression bombs refused), per-application
limits under the row lock, nothing left behind on a refusal, downloads always attachments."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import os
import re
import runpy
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from onething.cases import intake, uploads
from onething.cases.models import Material, upload_name
from onething.cases.tests.conftest import ANSWERS, BUNDLE, FORM, sample_jpeg, sample_pdf, sample_png
from onething.core.errors import status_of

pytestmark = pytest.mark.django_db
API = "/api/v1/applications"
SAMPLES = {"pdf": sample_pdf, "png": sample_png, "jpg": sample_jpeg}
TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}
#: the lines of the 新生儿出生 plan an applicant uploads (the others are exempt)
LINES = ("maternal-health-handbook", "medical-bills", "bank-account")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def application(submit):
    return submit()


@pytest.fixture
def api(people, token_for):
    """The applicant's API client."""
    return Client(HTTP_AUTHORIZATION=token_for(people["zhangsan"]))


@pytest.fixture
def web(people):
    """The applicant's browser session."""
    client = Client()
    client.force_login(people["zhangsan"])
    return client


def api_upload(client, application, material, data, name="file.bin"):
    return client.post(
        f"{API}/{application.number}/materials/{material}", {"file": SimpleUploadedFile(name, data)}
    )


def api_download(client, application, material_id) -> tuple[object, bytes]:
    response = client.get(f"{API}/{application.number}/materials/{material_id}/file")
    return response, b"".join(response.streaming_content) if response.status_code == 200 else b""


def web_download(client, application, material_id) -> tuple[object, bytes]:
    response = client.get(f"/cases/{application.number}/materials/{material_id}/")
    return response, b"".join(response.streaming_content) if response.status_code == 200 else b""


def leftovers(root: Path) -> set[str]:
    """Files under MEDIA_ROOT that no material references (temporary files included)."""
    if not root.exists():
        return set()
    stored = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    return stored - set(Material.objects.exclude(path="").values_list("path", flat=True))


def assert_refused(response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["field"] == "file"
    assert re.search(r"[\u4e00-\u9fff]", error["message"]), error["message"]  # Chinese
    if code:
        assert error["code"] == code
    return error["message"]


def assert_stored_exactly(material: Material, data: bytes, settings) -> None:
    """The row and the stored file describe the original bytes."""
    assert material.size == len(data)
    assert material.sha256 == sha256(data)
    assert (Path(settings.MEDIA_ROOT) / material.path).read_bytes() == data


def assert_download_headers(response, material: Material) -> None:
    extension = material.path.rsplit(".", 1)[-1]
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="{material.material}-{material.pk}.{extension}"'
    )
    assert response["Content-Type"] == material.content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "script-src" not in response["Content-Security-Policy"]  # ours, not the site's page policy


# ------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("kind", ["pdf", "png", "jpg"])
def test_api_upload_is_stored_and_served_byte_for_byte(kind, application, api, web, settings):
    data = SAMPLES[kind](f"API {kind}")
    response = api_upload(api, application, "bank-account", data, name=f"银行账户.{kind}")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == TYPES[kind] and body["size"] == len(data)
    material = Material.objects.get(pk=body["id"])
    assert material.filename == f"银行账户.{kind}"
    assert_stored_exactly(material, data, settings)

    for download in (api_download, web_download):
        got, content = download(api if download is api_download else web, application, material.pk)
        assert got.status_code == 200
        assert sha256(content) == sha256(data)
        assert_download_headers(got, material)


def _apply_page_post(client, files: dict[str, bytes]):
    """Submit the apply page like a browser: its idempotency key, its fields, the files."""
    url = f"/cases/apply/bundle/{BUNDLE}/"
    query = "&".join(f"a.{k}={'true' if v else 'false'}" for k, v in ANSWERS.items())
    html = client.get(f"{url}?{query}").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)
    data = {"idempotency_key": key, **{f"a.{k}": "true" if v else "false" for k, v in ANSWERS.items()}}
    flat = intake.flatten(FORM)
    for element in re.findall(r'name="f\.([a-z_.]+)"', html):
        data[f"f.{element}"] = flat.get(element, "")
    inputs = set(re.findall(r'type="file" name="m\.([a-z-]+)"', html))
    assert set(files) <= inputs, inputs  # the page offers these file inputs
    for material, content in files.items():
        data[f"m.{material}"] = SimpleUploadedFile(f"{material}.bin", content)
    return client.post(url, data)


def test_apply_page_uploads_are_stored_and_served_byte_for_byte(web, api, application, settings):
    files = {
        "maternal-health-handbook": sample_pdf("手册"),
        "medical-bills": sample_jpeg("票据"),
        "bank-account": sample_png("银行"),
    }
    response = _apply_page_post(web, files)
    assert response.status_code == 302
    number = response["Location"].strip("/").rsplit("/", 1)[-1]
    app = type(application).objects.get(number=number)
    for material_code, data in files.items():
        material = app.materials.get(material=material_code, source="upload")
        assert_stored_exactly(material, data, settings)
        for client, download in ((web, web_download), (api, api_download)):
            got, content = download(client, app, material.pk)
            assert got.status_code == 200 and sha256(content) == sha256(data)
            assert_download_headers(got, material)


def test_detail_page_upload_is_stored_and_served_byte_for_byte(web, api, application, settings):
    data = sample_jpeg("补充", size=(640, 480))
    response = web.post(
        f"/cases/{application.number}/act/upload/",
        {"material": "medical-bills", "file": SimpleUploadedFile("票据.jpg", data)},
    )
    assert response.status_code == 302
    material = application.materials.get(material="medical-bills", source="upload")
    assert_stored_exactly(material, data, settings)
    for client, download in ((web, web_download), (api, api_download)):
        got, content = download(client, application, material.pk)
        assert got.status_code == 200 and content == data


def test_a_refused_file_is_reported_on_the_detail_page(web, application, settings):
    response = web.post(
        f"/cases/{application.number}/act/upload/",
        {"material": "medical-bills", "file": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n<html>")},
        follow=True,
    )
    assert "不是有效的 PNG 图片" in response.content.decode()
    assert not application.materials.filter(source="upload").exists()
    assert leftovers(Path(settings.MEDIA_ROOT)) == set()


def test_the_same_file_twice_is_stored_once(application, api, settings):
    data = sample_pdf("同一份")
    first = api_upload(api, application, "bank-account", data).json()
    second = api_upload(api, application, "medical-bills", data).json()
    paths = set(Material.objects.filter(pk__in=[first["id"], second["id"]]).values_list("path", flat=True))
    assert len(paths) == 1
    assert (Path(settings.MEDIA_ROOT) / paths.pop()).read_bytes() == data


# ------------------------------------------------------------------------------- size


def test_a_file_of_exactly_the_limit_is_accepted_one_byte_more_is_refused(application, api, settings):
    data = sample_pdf("上限")
    settings.ONETHING = {**settings.ONETHING, "UPLOAD_MAX_BYTES": len(data)}
    assert api_upload(api, application, "bank-account", data).status_code == 201
    settings.ONETHING = {**settings.ONETHING, "UPLOAD_MAX_BYTES": len(data) - 1}
    message = assert_refused(api_upload(api, application, "medical-bills", data), 413, "too_large")
    assert f"{len(data) - 1} 字节" in message
    assert application.materials.filter(source="upload").count() == 1
    assert leftovers(Path(settings.MEDIA_ROOT)) == set()


def test_a_size_that_lies_is_caught_while_streaming(application, people, settings):
    data = sample_png("谎报")
    settings.ONETHING = {**settings.ONETHING, "UPLOAD_MAX_BYTES": len(data) - 1}
    upload = SimpleUploadedFile("x.png", data)
    upload.size = 10  # what a client declared
    with pytest.raises(intake.IntakeError) as refused:
        intake.store_upload(application, "bank-account", upload, people["zhangsan"])
    assert status_of(refused.value) == 413 and refused.value.field == "file"
    assert leftovers(Path(settings.MEDIA_ROOT)) == set()


# ------------------------------------------------------------------------------- structure


def _png_with_text_after_iend() -> bytes:
    return sample_png("尾部") + b"<html><script>alert(document.cookie)</script></html>"


POLYGLOTS = {
    "pdf magic then html": (b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n", "PDF"),
    "valid pdf then html": (sample_pdf("尾部") + b"<html><script>alert(1)</script></html>", "%%EOF"),
    "png magic then html": (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "PNG"),
    "valid png then html after IEND": (_png_with_text_after_iend(), "IEND"),
    "png without IEND": (sample_png("截断")[:-12], "IEND"),
    "jpeg magic then html": (b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>", "JPEG"),
    "truncated jpeg": (sample_jpeg("截断", size=(256, 256))[:300], "JPEG"),
    "html": (b"<!doctype html><script>alert(1)</script>", "PDF、JPEG、PNG"),
    "windows executable": (b"MZ\x90\x00" + b"\x00" * 60, "PDF、JPEG、PNG"),
}


@pytest.mark.parametrize("name", list(POLYGLOTS))
def test_polyglots_and_broken_files_are_refused(name, application, api, settings):
    data, mentioned = POLYGLOTS[name]
    message = assert_refused(api_upload(api, application, "bank-account", data), 415)
    assert mentioned in message
    assert not application.materials.filter(source="upload").exists()
    assert leftovers(Path(settings.MEDIA_ROOT)) == set()


def _pdf(change) -> bytes:
    """A one-page PDF changed by ``change(writer, page)``, written by pypdf."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    change(writer, page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _name(value: str) -> NameObject:
    return NameObject(value)


def _dict(**entries) -> DictionaryObject:
    return DictionaryObject({_name(f"/{k}"): v for k, v in entries.items()})


def _rect() -> ArrayObject:
    return ArrayObject([FloatObject(10), FloatObject(10), FloatObject(50), FloatObject(50)])


def _js() -> DictionaryObject:
    return _dict(Type=_name("/Action"), S=_name("/JavaScript"), JS=TextStringObject("app.alert(1)"))


def _annotation(writer, page, **entries) -> None:
    annotation = _dict(Type=_name("/Annot"), Rect=_rect(), **entries)
    page[_name("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _set(key: str, value):
    return lambda writer, page: writer.root_object.__setitem__(_name(key), value)


ACTIVE = {
    "open action javascript": _set("/OpenAction", _js()),
    "document javascript name tree": _set(
        "/Names", _dict(JavaScript=_dict(Names=ArrayObject([TextStringObject("a"), _js()])))
    ),
    "page open action (AA)": lambda writer, page: page.__setitem__(_name("/AA"), _dict(O=_js())),
    "link annotation running javascript": lambda writer, page: _annotation(
        writer, page, Subtype=_name("/Link"), A=_js()
    ),
    "launch action": _set("/OpenAction", _dict(S=_name("/Launch"), F=TextStringObject("cmd.exe"))),
    "remote file action": _set(
        "/OpenAction", _dict(S=_name("/GoToR"), F=TextStringObject("\\\\host\\share\\a.pdf"))
    ),
    "submit form action": _set(
        "/OpenAction", _dict(S=_name("/SubmitForm"), F=TextStringObject("https://example.cn/"))
    ),
    "embedded file": lambda writer, page: writer.add_attachment("readme.txt", b"hello"),
    "file attachment annotation": lambda writer, page: _annotation(
        writer, page, Subtype=_name("/FileAttachment"), Contents=TextStringObject("附件")
    ),
    "rich media annotation": lambda writer, page: _annotation(writer, page, Subtype=_name("/RichMedia")),
    "xfa form": _set("/AcroForm", _dict(Fields=ArrayObject(), XFA=TextStringObject("<xdp:xdp/>"))),
}


@pytest.mark.parametrize("name", list(ACTIVE))
def test_pdfs_with_active_content_are_refused(name, application, api, settings):
    data = _pdf(ACTIVE[name])
    message = assert_refused(api_upload(api, application, "bank-account", data), 415, "active_content")
    assert "出于安全原因不予接收" in message
    assert leftovers(Path(settings.MEDIA_ROOT)) == set()


def test_javascript_hidden_behind_name_escapes_is_refused(application, api):
    data = _pdf(ACTIVE["open action javascript"])
    disguised = data.replace(b"/S /JavaScript", b"/S /J#61vaScript").replace(b"/JS ", b"/J#53 ")
    assert b"/JavaScript" not in disguised and b"/JS " not in disguised
    assert_refused(api_upload(api, application, "bank-account", disguised), 415, "active_content")


def test_ordinary_links_and_open_actions_are_accepted(application, api):
    def links(writer, page):
        goto = ArrayObject([page.indirect_reference, _name("/Fit")])
        writer.root_object[_name("/OpenAction")] = goto
        _annotation(
            writer,
            page,
            Subtype=_name("/Link"),
            A=_dict(S=_name("/URI"), URI=TextStringObject("https://www.gov.cn/")),
        )

    assert api_upload(api, application, "bank-account", _pdf(links)).status_code == 201


def test_encrypted_pdfs_open_without_a_password_or_are_refused(application, api):
    def encrypt(user_password):
        writer = PdfWriter()
        writer.add_blank_page(width=200, height=200)
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    message = assert_refused(api_upload(api, application, "bank-account", encrypt("secret")), 415)
    assert "加密" in message
    assert api_upload(api, application, "bank-account", encrypt("")).status_code == 201  # permissions only


def test_a_pdf_without_pages_is_refused(application, api):
    writer = PdfWriter()
    out = io.BytesIO()
    writer.write(out)
    assert "没有页面" in assert_refused(api_upload(api, application, "bank-account", out.getvalue()), 415)


def test_a_pdf_with_too_many_objects_is_refused(application, api):
    def crowd(writer, page):
        items = [writer._add_object(_dict(V=NumberObject(n))) for n in range(uploads.PDF_MAX_OBJECTS)]
        writer.root_object[_name("/Crowd")] = writer._add_object(ArrayObject(items))

    message = assert_refused(api_upload(api, application, "bank-account", _pdf(crowd)), 413, "too_large")
    assert str(uploads.PDF_MAX_OBJECTS) in message


def test_a_pdf_with_a_huge_array_is_refused_as_too_complex(application, api):
    def flat(writer, page):
        writer.root_object[_name("/Flat")] = ArrayObject(
            [NumberObject(n) for n in range(uploads.PDF_MAX_NODES)]
        )

    assert_refused(api_upload(api, application, "bank-account", _pdf(flat)), 413, "too_large")


def test_a_pdf_with_many_pages_under_the_limit_is_accepted(application, api):
    assert api_upload(api, application, "bank-account", sample_pdf("多页", pages=200)).status_code == 201


@functools.cache
def _bilevel_png(width: int, height: int) -> bytes:
    """A real PNG of ``width`` × ``height`` pixels, small on disk (one bit per pixel, all black)."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (10_000, 5_001),  # just over our limit (50 MP), under Pillow's own
        (10_000, 10_000),  # over Pillow's warning limit (≈ 89 MP)
        (20_000, 10_000),  # over Pillow's error limit (≈ 179 MP)
    ],
)
def test_decompression_bombs_are_refused(width, height, application, api, settings):
    data = _bilevel_png(width, height)
    assert len(data) < 100_000  # small on disk, huge in memory
    message = assert_refused(api_upload(api, application, "bank-account", data), 413, "too_large")
    assert "像素" in message
    assert leftovers(Path(settings.MEDIA_ROOT)) == set()


def test_an_image_at_the_pixel_limit_is_decoded_and_accepted(application, people, monkeypatch):
    monkeypatch.setattr(uploads, "IMAGE_MAX_PIXELS", 640 * 480)
    at_limit = SimpleUploadedFile("a.jpg", sample_jpeg("上限", size=(640, 480)))
    assert intake.store_upload(application, "bank-account", at_limit, people["zhangsan"]).size > 0
    over = SimpleUploadedFile("b.jpg", sample_jpeg("超限", size=(641, 480)))
    with pytest.raises(intake.IntakeError) as refused:
        intake.store_upload(application, "medical-bills", over, people["zhangsan"])
    assert status_of(refused.value) == 413 and "641×480" in refused.value.message


# ------------------------------------------------------------------------------- limits


def test_uploads_per_material_line_are_limited(application, api, settings):
    settings.ONETHING = {**settings.ONETHING, "UPLOAD_MAX_PER_MATERIAL": 2}
    for n in range(2):
        assert api_upload(api, application, "bank-account", sample_png(f"第{n}份")).status_code == 201
    message = assert_refused(
        api_upload(api, application, "bank-account", sample_png("第3份")), 409, "too_many"
    )
    assert "银行账户信息" in message and "2" in message
    assert api_upload(api, application, "medical-bills", sample_png("另一项")).status_code == 201
    assert leftovers(Path(settings.MEDIA_ROOT)) == set()


def test_uploads_per_application_are_limited(application, api, settings):
    settings.ONETHING = {**settings.ONETHING, "UPLOAD_MAX_PER_APPLICATION": 3}
    for n, line in enumerate(LINES):
        assert api_upload(api, application, line, sample_jpeg(f"第{n}份")).status_code == 201
    refused = sample_jpeg("第4份")
    message = assert_refused(api_upload(api, application, "bank-account", refused), 409, "too_many")
    assert "3" in message
    assert application.materials.filter(source="upload").count() == 3
    assert not (Path(settings.MEDIA_ROOT) / upload_name(sha256(refused), "jpg")).exists()
    assert leftovers(Path(settings.MEDIA_ROOT)) == set()


def _settings_with(monkeypatch, **environment) -> dict:
    """The ONETHING settings the settings module computes under ``environment`` (its file run
    afresh: the settings in use were read once, at start-up)."""
    for name in ("ONETHING_UPLOAD_MAX_PER_MATERIAL", "ONETHING_UPLOAD_MAX_PER_APPLICATION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(importlib.util.find_spec("onething.conf.settings").origin)["ONETHING"]


def test_the_limits_default_to_5_and_40_and_come_from_the_environment(monkeypatch):
    defaults = _settings_with(monkeypatch)
    assert (defaults["UPLOAD_MAX_PER_MATERIAL"], defaults["UPLOAD_MAX_PER_APPLICATION"]) == (5, 40)
    configured = _settings_with(
        monkeypatch, ONETHING_UPLOAD_MAX_PER_MATERIAL="2", ONETHING_UPLOAD_MAX_PER_APPLICATION="12"
    )
    assert (configured["UPLOAD_MAX_PER_MATERIAL"], configured["UPLOAD_MAX_PER_APPLICATION"]) == (2, 12)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="real concurrency needs PostgreSQL (SQLite serialises writers anyway)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_cannot_pass_the_limit(submit, people, settings):
    settings.ONETHING = {**settings.ONETHING, "UPLOAD_MAX_PER_MATERIAL": 2}
    application = submit()
    files = [sample_png(f"并发{n}") for n in range(6)]
    barrier = threading.Barrier(len(files))
    outcomes, errors = [], []

    def worker(data):
        try:
            barrier.wait()
            intake.store_upload(
                application, "bank-account", SimpleUploadedFile("x.png", data), people["zhangsan"]
            )
            outcomes.append(201)
        except intake.IntakeError as exc:
            outcomes.append(status_of(exc))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(data,)) for data in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(outcomes) == [201, 201, 409, 409, 409, 409]
    assert application.materials.filter(material="bank-account", source="upload").count() == 2
    assert leftovers(Path(settings.MEDIA_ROOT)) == set()


def test_no_upload_once_the_application_is_closed(application, api, settings):
    type(application).objects.filter(pk=application.pk).update(status="withdrawn")
    assert_refused(api_upload(api, application, "bank-account", sample_pdf()), 409)
    assert leftovers(Path(settings.MEDIA_ROOT)) == set()


# ------------------------------------------------------------------------------- downloads


def test_download_names_are_plain_ascii(application):
    material = Material(pk=7, material='银行/账户 x"; evil', path="cases/ab/cd/abcd.pdf")
    assert uploads.download_name(material) == "x_evil-7.pdf"
    assert (
        uploads.download_name(Material(pk=8, material="银行", path="cases/ab/cd/abcd.png"))
        == "material-8.png"
    )


def test_intake_keeps_the_upload_functions():
    assert intake.store_upload is uploads.store_upload
    assert intake.sniff is uploads.sniff
    assert intake.open_material is uploads.open_material
    assert intake.UPLOADABLE_STATES is uploads.UPLOADABLE_STATES
    assert intake.sniff(b"%PDF-1.7") == ("application/pdf", "pdf")
