"""PDF rendering: real CJK text, QR codes, and no way for a template to reach the network."""

from __future__ import annotations

import logging

import pytest

from onething.documents import render

REMOTE = ("http://example.com/logo.png", "https://cdn.example.com/a.css", "ftp://example.com/x")


@pytest.mark.parametrize("url", REMOTE)
def test_the_fetcher_refuses_remote_urls(url):
    with pytest.raises(render.ExternalResourceRefused, match="不允许在 PDF 中引用外部资源"):
        render.local_fetcher()(url)


def test_the_fetcher_reads_data_uris_and_local_files(tmp_path):
    response = render.local_fetcher()("data:text/plain;base64,5paH5Lmm")
    assert response.read().decode() == "文书"
    local = tmp_path / "a.css"
    local.write_text("p { color: black; }")
    assert render.local_fetcher()(local.as_uri()).read() == b"p { color: black; }"


def test_a_template_referring_to_the_network_renders_without_calling_out(settings, monkeypatch, caplog):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "outside.html": '{% extends "documents/pdf_base.html" %}{% block body %}'
                            '<link rel="stylesheet" href="https://cdn.example.com/a.css">'
                            '<img src="http://example.com/logo.png" alt="">正文{% endblock %}'
                        },
                    ),
                    "django.template.loaders.app_directories.Loader",
                ]
            },
        }
    ]
    asked: list[str] = []
    refuse = render.refuse_remote

    def spy(url):
        asked.append(url)
        refuse(url)

    monkeypatch.setattr(render, "refuse_remote", spy)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        data = render.render_pdf("outside.html", {})
    assert data.startswith(b"%PDF")  # the page renders, without the remote resources
    assert {"http://example.com/logo.png", "https://cdn.example.com/a.css"} <= set(asked)
    assert "不允许在 PDF 中引用外部资源" in caplog.text  # refused before any connection was tried


def test_qr_svg_is_inline_svg_without_style_attributes():
    svg = render.qr_svg("https://example.org/documents/verify/abc/", title="核验文书")
    assert svg.startswith("<svg") and "<title>核验文书</title>" in svg
    assert "style=" not in svg and "<?xml" not in svg
