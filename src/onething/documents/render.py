"""PDF rendering for every document of the platform (办事指南, 受理通知书 …): one helper, one look.

WeasyPrint renders a Django template to PDF; PDF templates extend ``documents/pdf_base.html``
(A4, page numbers, header and footer). The CJK font is embedded (subset) from the local Noto
Sans CJK font (Debian ``fonts-noto-cjk``): through ``@font-face`` with a ``file:`` URL when a
single-face .otf/.ttf exists, otherwise through the fontconfig family "Noto Sans CJK SC"
(WeasyPrint cannot select a face from Debian's .ttc collection via ``@font-face``), so Chinese
text is real text (searchable, extractable with ``pdftotext``) on any machine that opens the
file. Nothing is fetched from the network: the URL fetcher refuses everything except local
files and ``data:`` URIs, so a template (or a value typed into one) can never make the server
call out.
"""

from __future__ import annotations

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
#: the base template PDF templates extend
BASE_TEMPLATE = "documents/pdf_base.html"
#: the only URLs a PDF may load: local files (fonts) and inline data
LOCAL_SCHEMES = ("file:", "data:")


class ExternalResourceRefused(ValueError):
    """A PDF template referred to something outside the machine (http:, ftp:, …)."""


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


def refuse_remote(url: str) -> None:
    """Raise unless ``url`` is a local file or a ``data:`` URI."""
    if not url.startswith(LOCAL_SCHEMES):
        raise ExternalResourceRefused(f"不允许在 PDF 中引用外部资源：{url}")


@cache
def _local_fetcher_class():
    from weasyprint import urls

    class LocalURLFetcher(urls.URLFetcher):
        """WeasyPrint's fetcher for local files and ``data:`` URIs only, without redirects."""

        def fetch(self, url, headers=None):
            refuse_remote(url)
            return super().fetch(url, headers)

    return LocalURLFetcher


def local_fetcher():
    """A URL fetcher for one rendering (WeasyPrint's fetchers keep per-request state).

    WeasyPrint ≥ 68 takes a ``URLFetcher`` object; older versions took a function.
    """
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):
        return _local_fetcher_class()(allowed_protocols=("file", "data"), allow_redirects=False)

    def fetch(url, *args, **kwargs):
        refuse_remote(url)
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


def render_pdf(template: str, context: dict, *, base_url: str | None = None) -> bytes:
    """Render ``template`` with ``context`` to PDF bytes.

    The context gains ``pdf_font_face`` (the ``@font-face`` rule) and ``pdf_font_family``; the
    base template puts them in its ``<style>``.
    """
    from weasyprint import HTML

    context = {**context, "pdf_font_face": font_face_css(), "pdf_font_family": CJK_FAMILY}
    html = render_to_string(template, context)
    out = io.BytesIO()
    HTML(string=html, base_url=base_url or "file:///", url_fetcher=local_fetcher()).write_pdf(out)
    return out.getvalue()


def qr_svg(data: str, *, scale: int = 3, title: str = "二维码") -> str:
    """An inline SVG QR code for ``data`` (no XML declaration; embeddable in HTML and PDF)."""
    out = io.BytesIO()
    segno.make(data, error="m").save(
        out, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, title=title, nl=False
    )
    return out.getvalue().decode("utf-8")
