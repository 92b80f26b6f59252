"""PDF rendering for guides and, later, case notices (受理通知书 …): one helper, one look.

WeasyPrint renders a Django template to PDF. The CJK font is embedded (subset) from the local
Noto Sans CJK font (Debian ``fonts-noto-cjk``): through ``@font-face`` with a ``file:`` URL when
a single-face .otf/.ttf exists, otherwise through the fontconfig family "Noto Sans CJK SC"
(WeasyPrint cannot select a face from Debian's .ttc collection via ``@font-face``), so Chinese text is real text (searchable, extractable with
``pdftotext``) on any machine that opens the file. Nothing is fetched from the network: the
URL fetcher refuses everything except local files and ``data:`` URIs.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

import segno
from django.template.loader import render_to_string

#: Candidate font files, first existing wins (Debian/Ubuntu paths of fonts-noto-cjk).
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
CJK_FAMILY = "Noto Sans CJK SC"


@cache
def cjk_font_url() -> str | None:
    for candidate in CJK_FONT_FILES:
        path = Path(candidate)
        if path.exists():
            return path.as_uri()
    return None


def font_face_css() -> str:
    """``@font-face`` for the embedded CJK font (empty when only fontconfig can supply it)."""
    url = cjk_font_url()
    if not url or url.endswith(".ttc"):
        return ""  # WeasyPrint cannot pick a face out of a collection: fontconfig family instead
    return f'@font-face {{ font-family: "OneThing CJK"; src: url("{url}"); }}'


def _local_fetcher(url: str, *args, **kwargs):
    """Only local files and data: URIs; a template can never make the server call out."""
    from weasyprint.urls import default_url_fetcher

    if url.startswith(("file:", "data:")):
        return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"不允许在 PDF 中引用外部资源：{url}")


def render_pdf(template: str, context: dict, *, base_url: str | None = None) -> bytes:
    """Render ``template`` with ``context`` to PDF bytes.

    The context gains ``pdf_font_face`` (the ``@font-face`` rule) and ``pdf_font_family``; the
    template puts them in its ``<style>`` (see ``guides/pdf_base.html``, which PDF templates
    extend: A4, page numbers, header and footer).
    """
    from weasyprint import HTML

    context = {**context, "pdf_font_face": font_face_css(), "pdf_font_family": CJK_FAMILY}
    html = render_to_string(template, context)
    out = io.BytesIO()
    HTML(string=html, base_url=base_url or "file:///", url_fetcher=_local_fetcher).write_pdf(out)
    return out.getvalue()


def qr_svg(url: str, *, scale: int = 3, title: str = "二维码") -> str:
    """An inline SVG QR code for ``url`` (no XML declaration; embeddable in HTML and PDF)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, title=title, nl=False
    )
    return out.getvalue().decode("utf-8")


def qr_data_uri(url: str, *, scale: int = 4) -> str:
    """The QR code as a PNG ``data:`` URI (for ``<img>``, allowed by the CSP's img-src data:)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=scale, border=2)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
