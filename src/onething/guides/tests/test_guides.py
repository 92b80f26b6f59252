"""Generated guides: PDF and HTML from the published catalog, tailored to the answers."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.conf import settings

from onething.documents.render import BASE_TEMPLATE, qr_svg, render_pdf
from onething.guides import content

NEWBORN = "430600-YJS-XSECS"
KINDERGARTEN = "430626-YJS-MBYEYKB"


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
        return out.stdout.decode("utf-8")
    from io import BytesIO

    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)


def test_bundle_guide_pdf(demo, api_client):
    response = api_client.get(
        f"/api/v1/catalog/bundles/{KINDERGARTEN}/guide.pdf", {"a.nature": "非营利性", "a.has_canteen": "true"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    compact = re.sub(r"\s+", "", text)
    for expected in (
        "民办幼儿园开办一件事办事指南",
        "平江县教育局",  # lead department
        "免提交",
        "联合踏勘",
        "一窗受理",  # the flow diagram (SVG text) is text in the PDF too
        "12345",
        "第1页/共",  # page numbers
        "目录版本",
        "民办非企业单位成立登记",
    ):
        assert expected in compact, expected
    assert "企业设立登记" not in compact.split("无需办理")[0]  # 营利性 path not planned
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(response.content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    fonts = {
        str(f.get("/BaseFont"))
        for page in reader.pages
        for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values()
        for f in [f.get_object()]
    }
    assert any("CJK" in f for f in fonts), fonts  # embedded CJK font


def test_item_guide_pdf_and_answers(demo, api_client):
    response = api_client.get("/api/v1/catalog/items/430600-GA-0701-01/guide.pdf?a.parents_married=false")
    assert response.status_code == 200
    compact = re.sub(r"\s+", "", pdf_text(response.content))
    assert "非婚生育说明" in compact or "非婚" in compact


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        (f"/api/v1/catalog/bundles/{KINDERGARTEN}/guide.pdf?a.nature=公办", 400, "a.nature"),
        (f"/api/v1/catalog/bundles/{NEWBORN}/guide.pdf?a.parents_married=maybe", 400, "a.parents_married"),
        (f"/api/v1/catalog/bundles/{NEWBORN}/guide.pdf?a.nope=true", 400, "a.nope"),
        ("/api/v1/catalog/bundles/NO-SUCH/guide.pdf", 404, "code"),
        ("/api/v1/catalog/items/NO-SUCH/guide.pdf", 404, "code"),
    ],
)
def test_guide_pdf_errors(demo, api_client, url, status, field):
    response = api_client.get(url)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_guide_pdf_documented(demo, api_client):
    spec = api_client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/catalog/bundles/{code}/guide.pdf", "/api/v1/catalog/items/{code}/guide.pdf"):
        responses = spec["paths"][path]["get"]["responses"]
        assert "application/pdf" in responses["200"]["content"]
        assert {"400", "404", "422"} <= set(responses)
    xlsx = spec["paths"]["/api/v1/catalog/bundles/overview.xlsx"]["get"]["responses"]["200"]["content"]
    assert any("spreadsheetml" in k for k in xlsx)


def test_guide_reads_the_current_published_version(demo, api_client):
    """Publishing a change changes the guide: nothing is cached or hand-written."""
    from onething.catalog import publishing
    from onething.catalog.models import Bundle

    bundle = Bundle.objects.get(pk=NEWBORN)
    old = bundle.name
    bundle.name = "新生儿出生一件事（新版）"
    bundle.save()
    before = content.bundle_guide(NEWBORN, {})
    assert before["name"] == old  # a draft never leaks
    publishing.publish("bundle", NEWBORN, reason="测试改名")
    after = content.bundle_guide(NEWBORN, {})
    assert after["name"] == "新生儿出生一件事（新版）"
    assert after["version"] == before["version"] + 1


def test_qr_links_back_to_the_online_guide(demo):
    ctx = content.bundle_guide(NEWBORN, {"parents_local_hukou": "true"})
    assert ctx["guide_url"] == (
        f"{settings.PUBLIC_URL}/guide/bundles/{NEWBORN}/guide/?a.parents_local_hukou=true"
    )
    assert str(ctx["qr"]) == qr_svg(ctx["guide_url"], title="扫码查看在线办事指南")
    assert "<svg" in ctx["qr"] and "style=" not in ctx["qr"]


def test_render_pdf_is_reusable(db):
    """Guides and case notices render through the one documents helper and its base template."""
    data = render_pdf(BASE_TEMPLATE, {})
    assert data.startswith(b"%PDF")


# ------------------------------------------------------------------------------- pages


def assert_csp_safe(html: str):
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), "inline event handler"


def test_guidance_step_by_step_without_js(demo, api_client):
    page = api_client.get(f"/guide/bundles/{NEWBORN}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert_csp_safe(html)
    assert "第 1 题，共 4 题" in html
    assert 'name="a.parents_local_hukou" value="true"' in html
    assert "web/vendor/htmx.min.js" in html
    # answer the first question: the next one is asked, the answer is carried along
    page = api_client.get(f"/guide/bundles/{NEWBORN}/", {"a.parents_local_hukou": "true"})
    html = page.content.decode()
    assert "第 2 题，共 4 题" in html
    assert '<input type="hidden" name="a.parents_local_hukou" value="true">' in html
    assert "户口登记" in html or "出生登记" in html
    # all answered: the full list, with the reason in words and the 免提交 badge
    answers = {
        "a.parents_local_hukou": "true",
        "a.parents_married": "false",
        "a.mother_insured": "true",
        "a.want_social_card": "true",
    }
    html = api_client.get(f"/guide/bundles/{NEWBORN}/", answers).content.decode()
    assert 'id="all-answered"' in html
    assert "为什么：当‘父母一方是否为岳阳市户籍" in html
    assert "免提交" in html
    assert 'data-material="non-marital-birth-statement"' in html
    assert "/api/v1/catalog/bundles/430600-YJS-XSECS/guide.pdf?a." in html
    assert 'data-figure="materials"' in html


def test_guidance_htmx_partial_and_window_mode(demo, api_client):
    partial = api_client.get(
        f"/guide/bundles/{NEWBORN}/", {"a.parents_local_hukou": "false"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial and 'id="materials"' in partial
    window = api_client.get(f"/guide/bundles/{NEWBORN}/", {"mode": "window"}).content.decode()
    assert window.count('value="true"') == 4  # every question at once
    assert_csp_safe(window)


def test_guidance_bad_answer_is_reported_not_a_500(demo, api_client):
    response = api_client.get(f"/guide/bundles/{NEWBORN}/", {"a.parents_local_hukou": "maybe"})
    assert response.status_code == 400
    assert "parents_local_hukou" in response.content.decode()
    assert api_client.get("/guide/bundles/NO-SUCH/").status_code == 404
    assert api_client.get("/guide/items/NO-SUCH/guide/").status_code == 404


def test_item_guidance_and_guide_pages(demo, api_client):
    html = api_client.get("/guide/items/430600-GA-0701-01/").content.decode()
    assert "父母是否已依法办理结婚登记" in html
    guide = api_client.get("/guide/items/430600-WJ-2001-01/guide/")
    assert guide.status_code == 200
    html = guide.content.decode()
    assert_csp_safe(html)
    assert "出生医学证明办理办事指南" in html
    assert "<svg" in html  # flow diagram + QR


def test_bundle_guide_page_lists_halls_and_channels(demo, api_client):
    html = api_client.get(f"/guide/bundles/{KINDERGARTEN}/guide/?a.nature=营利性").content.decode()
    assert "平江县政务服务中心" in html
    assert "12345" in html
    assert "下载 PDF 指南" in html
    assert_csp_safe(html)


def test_bundles_overview_page(demo, api_client):
    html = api_client.get("/guide/bundles/").content.decode()
    assert "民办幼儿园开办一件事" in html
    assert "/api/v1/catalog/bundles/overview.xlsx" in html
    assert "最大情形" in html
    assert_csp_safe(html)


@pytest.mark.slow
def test_every_demo_bundle_has_a_guidance_page_and_a_pdf_guide(demo, api_client):
    """Issue 3's bar: guidance and PDF guides work for every published demo bundle."""
    from onething.catalog.publishing import current_many

    bundles = current_many("bundle")
    assert len(bundles) == 8
    for code, bundle in sorted(bundles.items()):
        page = api_client.get(f"/guide/bundles/{code}/")
        assert page.status_code == 200, code
        assert bundle["name"] in page.content.decode()
        pdf = api_client.get(f"/api/v1/catalog/bundles/{code}/guide.pdf")
        assert pdf.status_code == 200, code
        assert pdf["Content-Type"] == "application/pdf"
        assert bundle["name"] in re.sub(r"\s+", "", pdf_text(pdf.content)), code
