"""材料上传: receive, check, store and serve the files applicants and clerks upload.

An upload is streamed once into a temporary file under MEDIA_ROOT while it is counted and
hashed, so the stored bytes, the recorded size and the SHA-256 all describe exactly what was
sent. The type comes from the magic bytes (never from the name or the header), and the
structure is then checked with the libraries that read these formats:

- **PDF** (pypdf): it must parse and have at least one page; nothing may follow the final
  ``%%EOF``; at most :data:`PDF_MAX_OBJECTS` objects are walked. Active content is refused
  anywhere in the document: JavaScript (``/JS``, the ``/JavaScript`` name tree, JavaScript
  actions in ``/OpenAction``, ``/AA`` or link annotations), actions that launch programs,
  open other or embedded files, import data or submit forms, embedded files (``/EmbeddedFiles``,
  ``/EF``, file-attachment annotations), rich media, sound, movie, screen and 3D content, and
  XFA forms. See :data:`PDF_ACTIVE_KEYS`, :data:`PDF_ACTIVE_ACTIONS`, :data:`PDF_ACTIVE_ANNOTATIONS`.
  Encrypted PDFs that do not open without a password are refused (they cannot be checked).
- **PNG / JPEG** (Pillow): the image must decode completely, with at most
  :data:`IMAGE_MAX_PIXELS` pixels (decompression bombs). A PNG must end with its ``IEND``
  chunk: data appended after it is refused. JPEG files may carry data after the end-of-image
  marker (cameras store preview and multi-picture images there), so that is allowed.

Files are stored content-addressed (``models.upload_name``); the same file uploaded twice is
stored once and shared by the materials that record it. Per-application limits are counted
inside the transaction that locks the application row, so concurrent uploads cannot pass
them. Downloads are always attachments with headers that keep a browser from rendering or
sniffing them (:func:`material_response`).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from PIL import Image, UnidentifiedImageError
from pypdf import PasswordType, PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from onething.audit.log import record
from onething.cases.exempt import may_upload_instead
from onething.cases.lifecycle import fulfil_gap
from onething.cases.models import Application, Material, upload_name
from onething.kernel import errors

UPLOADABLE_STATES = {
    Application.Status.SUBMITTED,
    Application.Status.PRE_REVIEWED,
    Application.Status.CORRECTION,
    Application.Status.ACCEPTED,
    Application.Status.IN_REVIEW,
}

SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
#: bytes read to recognise a type (the longest signature fits)
SNIFF_BYTES = 16

#: objects walked in a PDF at most: a scanned or printed material has a few hundred; a hostile
#: file with millions would otherwise keep a worker busy for many seconds
PDF_MAX_OBJECTS = 10_000
#: dictionary and array entries visited at most (direct objects nested inside those objects)
PDF_MAX_NODES = 200_000
#: bytes at the end of a PDF searched for the final ``%%EOF``
PDF_TAIL_BYTES = 1024
#: decoded image size at most: 50 megapixels, well above any scan or phone photo
IMAGE_MAX_PIXELS = 50_000_000

#: dictionary keys that carry scripts, embedded files or dynamic forms, wherever they appear
PDF_ACTIVE_KEYS = {
    "/JS": "JavaScript 脚本",
    "/JavaScript": "JavaScript 脚本",
    "/EmbeddedFiles": "嵌入文件",
    "/EF": "嵌入文件",
    "/XFA": "XFA 动态表单",
    "/RichMediaContent": "富媒体内容",
}
#: action types (``/S`` of an action in /OpenAction, /AA, /A or /Next) that run code, open
#: programs or other files, or send data away
PDF_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript 脚本",
    "/Launch": "启动外部程序的动作",
    "/GoToR": "打开外部文件的动作",
    "/GoToE": "打开嵌入文件的动作",
    "/ImportData": "导入数据的动作",
    "/SubmitForm": "提交表单数据的动作",
    "/RichMediaExecute": "富媒体动作",
    "/Rendition": "多媒体播放动作",
    "/Movie": "影片播放动作",
    "/Sound": "声音播放动作",
}
#: annotation subtypes that embed files, media or 3D models
PDF_ACTIVE_ANNOTATIONS = {
    "/FileAttachment": "文件附件",
    "/RichMedia": "富媒体内容",
    "/Screen": "多媒体内容",
    "/Movie": "影片",
    "/Sound": "声音",
    "/3D": "3D 内容",
}
#: what may follow the final %%EOF: line ends, spaces and padding
PDF_TRAILING_OK = b" \t\r\n\x00\x0c"


#: the domain error of each refusal kind (the API renders them as 413, 415, 400, 403, 404, 409)
_KINDS = {
    413: errors.TooLarge,
    415: errors.Unsupported,
    400: errors.Invalid,
    403: errors.NotPermitted,
    404: errors.NotFound,
    409: errors.Conflict,
}


def _error(kind: int, code: str, message: str, field: str = "file") -> errors.DomainError:
    """A refusal of an upload (by default about the ``file`` field); ``kind`` names it by the
    status the API answers with, which reads best next to each check."""
    return _KINDS[kind](message, field, code=code)


def _invalid(message: str):
    return _error(415, "invalid_file", message)


def _too_large(message: str):
    return _error(413, "too_large", message)


# ------------------------------------------------------------------------------- type


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the magic bytes — never from the name or the header."""
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def identify(fp: BinaryIO) -> tuple[str, str]:
    """(content type, extension) of a file whose type and structure pass the checks above.

    Raises ``IntakeError`` (415 wrong type or invalid structure, 413 too many pixels or
    objects). ``fp`` is a seekable binary file; its position is left anywhere.
    """
    fp.seek(0)
    kind = sniff(fp.read(SNIFF_BYTES))
    if kind is None:
        raise _error(415, "unsupported_type", "仅支持 PDF、JPEG、PNG 文件")
    fp.seek(0)
    CHECKS[kind[1]](fp)
    return kind


def check_bytes(data: bytes) -> tuple[str, str]:
    """:func:`identify` for bytes in memory (the repair command checks candidates this way)."""
    return identify(io.BytesIO(data))


# ------------------------------------------------------------------------------- PDF


def check_pdf(fp: BinaryIO) -> None:
    """A PDF that parses, has pages, ends at its %%EOF and has no active content."""
    _check_pdf_tail(fp)
    fp.seek(0)
    try:
        reader = PdfReader(fp, strict=False)
        _open_encrypted(reader)
        for obj in _pdf_dictionaries(reader):
            reason = _active_content(obj)
            if reason:
                raise _error(
                    415,
                    "active_content",
                    f"PDF 含有{reason}，出于安全原因不予接收；请上传不含脚本、附件或动态表单的 PDF"
                    "（如扫描件或“打印为 PDF”生成的文件）",
                )
        pages = len(reader.pages)
    except errors.DomainError:
        raise
    except LimitReachedError:  # pypdf's own bounds (array sizes, decompressed lengths)
        raise _too_complex()
    except Exception:  # a hostile file can make the parser fail in any way
        raise _invalid("文件不是有效的 PDF（无法解析），请重新生成后上传")
    if pages == 0:
        raise _invalid("PDF 没有页面，请重新生成后上传")


def _check_pdf_tail(fp: BinaryIO) -> None:
    """Nothing but white space after the last %%EOF: no HTML or script appended to a PDF."""
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    fp.seek(max(0, size - PDF_TAIL_BYTES))
    tail = fp.read()
    end = tail.rfind(b"%%EOF")
    if end < 0 or tail[end + len(b"%%EOF") :].strip(PDF_TRAILING_OK):
        raise _invalid("PDF 文件不完整，或在结束标记（%%EOF）之后附加了其他数据")


def _open_encrypted(reader: PdfReader) -> None:
    """Open an encrypted PDF with the empty password (permissions only) or refuse it."""
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except Exception:  # e.g. an encryption method this installation cannot read
        opened = False
    if not opened:
        raise _invalid("PDF 已加密，无法检查其内容，请上传未加密的文件")


def _pdf_dictionaries(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every dictionary reachable from the trailer (streams included), each object once.

    Bounded by :data:`PDF_MAX_OBJECTS` indirect objects and :data:`PDF_MAX_NODES` entries:
    beyond that the file is refused rather than walked for seconds.
    """
    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer]
    nodes = 0
    while stack:
        obj = stack.pop()
        nodes += 1
        if nodes > PDF_MAX_NODES:
            raise _too_complex()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > PDF_MAX_OBJECTS:
                raise _too_complex()
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            yield obj
            stack.extend(dict.values(obj))  # the raw entries: references are resolved above
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))


def _too_complex():
    return _too_large(f"PDF 结构过于复杂（最多 {PDF_MAX_OBJECTS} 个对象），请压缩或拆分后上传")


def _active_content(obj: DictionaryObject) -> str | None:
    """What active content this dictionary carries (Chinese), or None."""
    for key, reason in PDF_ACTIVE_KEYS.items():
        if key in obj:
            return reason
    action = dict.get(obj, "/S")
    if isinstance(action, str) and action in PDF_ACTIVE_ACTIONS:
        return PDF_ACTIVE_ACTIONS[action]
    subtype = dict.get(obj, "/Subtype")
    if isinstance(subtype, str) and subtype in PDF_ACTIVE_ANNOTATIONS:
        return PDF_ACTIVE_ANNOTATIONS[subtype]
    return None


# ------------------------------------------------------------------------------- images


def check_png(fp: BinaryIO) -> None:
    """A PNG that decodes within the pixel limit and ends with its IEND chunk."""
    _decode_image(fp, "PNG")
    fp.seek(0)
    if _png_trailing_data(fp):
        raise _invalid("PNG 图片在结束标记（IEND）之后附加了其他数据，不予接收")


def check_jpeg(fp: BinaryIO) -> None:
    """A JPEG that decodes within the pixel limit."""
    _decode_image(fp, "JPEG")


def _decode_image(fp: BinaryIO, image_format: str) -> None:
    """Decode the whole image with Pillow; refuse decompression bombs before decoding."""
    try:
        # Pillow warns above its own limit (about 89 MP) and fails above twice that: both mean
        # "too large". The warning filter is process-wide; should another thread's filter win,
        # the explicit pixel check below still refuses the image before it is decoded.
        with (
            warnings.catch_warnings(action="error", category=Image.DecompressionBombWarning),
            Image.open(fp, formats=[image_format]) as image,
        ):
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise _pixels_refused(image.width, image.height)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(f"图片像素过多（上限 {IMAGE_MAX_PIXELS // 10_000} 万像素），请缩小后上传")
    except errors.DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError):
        raise _invalid(f"文件不是有效的 {image_format} 图片（无法解码），请重新生成后上传")


def _pixels_refused(width: int, height: int):
    return _too_large(
        f"图片像素过多（{width}×{height}，上限 {IMAGE_MAX_PIXELS // 10_000} 万像素），请缩小后上传"
    )


def _png_trailing_data(fp: BinaryIO) -> bool:
    """True when bytes follow the IEND chunk (or there is no IEND).

    Pillow reads the image and stops; where the file ends is not its concern, so the chunk
    headers (length, type) are walked here, skipping each chunk's data and CRC.
    """
    fp.seek(8)  # the signature
    while True:
        header = fp.read(8)
        if len(header) < 8:
            return True  # no IEND: truncated
        length, chunk_type = struct.unpack(">I4s", header)
        fp.seek(length + 4, os.SEEK_CUR)
        if chunk_type == b"IEND":
            return fp.read(1) != b""


CHECKS = {"pdf": check_pdf, "png": check_png, "jpg": check_jpeg}


# ------------------------------------------------------------------------------- store


@dataclass
class Staged:
    """An upload written to a temporary file under MEDIA_ROOT, counted and hashed."""

    path: Path
    sha256: str
    size: int


def store_upload(application: Application, material_code: str, upload, actor, now=None) -> Material:
    """Check and store an uploaded material content-addressed under MEDIA_ROOT; record and audit it.

    Every refusal is an ``IntakeError`` and leaves no file behind: the temporary file is
    removed whatever happens, and the stored file is put in place only after every check
    passed, inside the transaction that holds the application row.
    """
    now = now or timezone.now()
    line = _material_line(application, material_code)
    _check_state(application)  # before reading a large body for nothing; again under the lock
    checked = check_file(upload)
    try:
        with transaction.atomic():
            app = Application.objects.select_for_update().get(pk=application.pk)
            _check_state(app)
            _check_counts(app, material_code, line)
            material = _record_material(app, material_code, line, stored_fields(checked), actor, now)
    finally:
        checked.discard()  # already gone when it was moved into place
    return material


def stored_fields(checked: Checked) -> dict:
    """Put a checked file in place; the fields a material (or a draft's file) records of it."""
    return {
        "sha256": checked.staged.sha256,
        "size": checked.staged.size,
        "content_type": checked.content_type,
        "filename": checked.filename,
        "path": place_checked(checked),
    }


@dataclass
class Checked:
    """An upload that passed every check (:func:`check_file`), staged under MEDIA_ROOT until
    the caller places it (:func:`place_checked`) inside its transaction; :meth:`discard`
    removes the staged copy whatever happened (a no-op once it was moved into place)."""

    staged: Staged
    content_type: str
    extension: str
    filename: str

    def discard(self) -> None:
        self.staged.path.unlink(missing_ok=True)


def check_file(upload) -> Checked:
    """The checks of :func:`store_upload` for a file that is not a material line (an approver's
    result document): size, type by magic bytes, structure. Raises the same refusals, with no
    file left behind."""
    limit = int(settings.ONETHING["UPLOAD_MAX_BYTES"])
    if (upload.size or 0) > limit:
        raise _size_refused(limit)
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    staged = _stage(upload, root, limit)
    try:
        with staged.path.open("rb") as fp:
            content_type, extension = identify(fp)
    except BaseException:
        staged.path.unlink(missing_ok=True)
        raise
    filename = os.path.basename(getattr(upload, "name", "") or "")[:200]
    return Checked(staged=staged, content_type=content_type, extension=extension, filename=filename)


def place_checked(checked: Checked) -> str:
    """Move a checked file to its content-addressed name; returns the name (under MEDIA_ROOT)."""
    return _place(checked.staged, Path(settings.MEDIA_ROOT), checked.extension)


def sandboxed_download(fp, content_type: str, filename: str) -> FileResponse:
    """A stored file as a download with the headers of :func:`material_response`."""
    response = FileResponse(
        fp, content_type=content_type or "application/octet-stream", as_attachment=True, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    return response


def adopt(app: Application, material_code: str, stored: dict, actor, now) -> Material:
    """Record a file already checked and in place (a draft's) as a material of ``app``, with
    the same counts, 容缺 fulfilment and audit record as an upload."""
    line = _material_line(app, material_code)
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=app.pk)
        _check_state(app)
        _check_counts(app, material_code, line)
        return _record_material(app, material_code, line, stored, actor, now)


def _record_material(app: Application, material_code: str, line: dict, stored: dict, actor, now) -> Material:
    """The material row, its 容缺 fulfilment and its audit record (caller holds the row lock)."""
    material = Material.objects.create(
        application=app,
        material=material_code,
        name=line["name"],
        source="upload",
        uploaded_by=actor,
        **{k: stored[k] for k in ("sha256", "size", "content_type", "filename", "path")},
    )
    gap = fulfil_gap(app, material_code, now)
    record(
        "application.upload",
        "application",
        app.number,
        actor=actor,
        data={
            "material": material_code,
            "sha256": stored["sha256"],
            "size": stored["size"],
            "gap_fulfilled": gap,
        },
        at=now,
    )
    return material


def _material_line(application: Application, material_code: str) -> dict:
    """The plan's line for this material; only lines the applicant has to provide."""
    lines = {m["material"]: m for m in application.plan.get("materials", [])}
    line = lines.get(material_code)
    if line is None:
        raise _error(404, "not_found", f"材料 {material_code} 不在本件的材料清单中", "material")
    if line.get("exempt") and not may_upload_instead(application, material_code):
        raise _error(400, "invalid", f"“{line['name']}”由平台获取，无需提交", "material")
    return line


def _check_state(application: Application) -> None:
    if application.status not in UPLOADABLE_STATES:
        raise _error(409, "illegal_transition", "当前状态不能再提交材料")


def _check_counts(app: Application, material_code: str, line: dict) -> None:
    """At most UPLOAD_MAX_PER_MATERIAL files per material line and UPLOAD_MAX_PER_APPLICATION
    per application. The caller holds the application row lock, so two concurrent uploads
    count one after the other."""
    per_material = int(settings.ONETHING["UPLOAD_MAX_PER_MATERIAL"])
    per_application = int(settings.ONETHING["UPLOAD_MAX_PER_APPLICATION"])
    uploads = Material.objects.filter(application=app, source="upload")
    if uploads.filter(material=material_code).count() >= per_material:
        raise _error(409, "too_many", f"“{line['name']}”最多上传 {per_material} 个文件，已达上限")
    if uploads.count() >= per_application:
        raise _error(409, "too_many", f"每件申请最多上传 {per_application} 个文件，已达上限")


def _size_refused(limit: int):
    return _too_large(f"文件过大（上限 {_size_label(limit)}）")


def _size_label(limit: int) -> str:
    """The limit for people: whole megabytes when it is one, bytes otherwise."""
    mb = 1024 * 1024
    return f"{limit // mb} MB" if limit >= mb and limit % mb == 0 else f"{limit} 字节"


def _stage(upload, root: Path, limit: int) -> Staged:
    """Stream the upload into a temporary file, counting and hashing what is written.

    ``chunks()`` starts at the beginning of the file, so every byte is written exactly once.
    The declared size may lie: the count is checked while writing.
    """
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=root, prefix=".upload-", delete=False) as tmp:
        path = Path(tmp.name)
        try:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > limit:
                    raise _size_refused(limit)
                digest.update(chunk)
                tmp.write(chunk)
        except BaseException:
            tmp.close()
            path.unlink(missing_ok=True)
            raise
    return Staged(path=path, sha256=digest.hexdigest(), size=size)


def _place(staged: Staged, root: Path, extension: str) -> str:
    """Move the staged file to its content-addressed name (or keep the copy already there)."""
    name = upload_name(staged.sha256, extension)
    target = root / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)
    return name


# ------------------------------------------------------------------------------- serve


def open_material(material: Material):
    """The stored file (callers must have checked who is asking)."""
    if not material.path:
        raise _error(404, "not_found", "该材料没有电子文件", "material")
    path = Path(settings.MEDIA_ROOT) / material.path
    if not path.exists():
        raise _error(404, "not_found", "文件不存在", "material")
    return path.open("rb")


#: the file is never rendered as a page: no scripts, no plugins, no same-origin access
DOWNLOAD_CSP = "sandbox; default-src 'none'"


def material_response(material: Material) -> FileResponse:
    """The stored file as a download (callers must have checked who is asking).

    Always an attachment with an ASCII name of our making, never sniffed, never cached and
    sandboxed should a browser render it anyway: an uploaded file cannot act as a page of
    this site.
    """
    return sandboxed_download(open_material(material), material.content_type, download_name(material))


def download_name(material: Material) -> str:
    """``<material>-<id>.<ext>`` in ASCII letters, digits, ``.``, ``_`` and ``-`` only: no quote,
    path or header syntax can reach Content-Disposition, whatever the material code holds."""
    code = re.sub(r"[^A-Za-z0-9_-]+", "_", material.material).strip("_-")[:80] or "material"
    extension = re.sub(r"[^A-Za-z0-9]+", "", material.path.rsplit(".", 1)[-1])[:8] or "bin"
    return f"{code}-{material.pk}.{extension}"
