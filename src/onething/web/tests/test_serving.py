"""The platform as a newcomer meets it with `make run`: the API docs UI from the app's own
static files under the site's CSP, Chinese error pages with DEBUG off, the apply buttons
leading to the application form, and a public URL that follows the port served."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[4]


def test_api_docs_load_from_static_files_under_csp(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    for src in sources:  # served by the app itself (WhiteNoise), not a CDN
        asset = client.get(src)
        assert asset.status_code == 200, src
        b"".join(asset.streaming_content) if asset.streaming else asset.content
    assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))", html), "inline script"
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "http" not in policy


@pytest.mark.parametrize("kind", ["item", "bundle"])
def test_apply_buttons_lead_to_the_form(demo, kind):
    from onething.accounts.models import User
    from onething.catalog.models import Revision

    code = Revision.objects.filter(kind=kind).values_list("code", flat=True).first()
    page = Client().get(f"/{kind}s/{code}/").content.decode()
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>在线申请</a>', page).group(1)
    citizen = Client()
    citizen.force_login(User.objects.get(username="zhangsan"))
    assert citizen.get(link).status_code == 200, link
    anonymous = Client().get(link)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_error_pages_are_chinese_with_debug_off(client, settings):
    settings.DEBUG = False
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "没有找到这个页面" in missing.content.decode()
    request = RequestFactory().get("/")
    failed = defaults.server_error(request)
    assert failed.status_code == 500 and "系统暂时无法处理" in failed.content.decode()
    request.user = None
    denied = defaults.permission_denied(request, PermissionError())
    assert denied.status_code == 403 and "无权访问" in denied.content.decode()


def test_csrf_failure_page_is_chinese(settings):
    settings.DEBUG = False
    strict = Client(enforce_csrf_checks=True)
    r = strict.post("/login/", {"username": "x", "password": "y"})
    assert r.status_code == 403 and "页面已过期" in r.content.decode()


def test_make_run_serves_as_users_see_it_and_links_follow_the_port():
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", "PORT=8765"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    ).stdout
    assert "ONETHING_PUBLIC_URL=${ONETHING_PUBLIC_URL:-http://127.0.0.1:8765}" in plan
    assert "DJANGO_DEBUG=0" in plan and "runserver 127.0.0.1:8765" in plan


def test_an_immediate_item_reads_immediate_everywhere(demo):
    """即办件: 即办 on the item page, the guidance, the guide and the apply page, never
    "0 个工作日"."""
    from onething.accounts.models import User

    code = "430600-WJ-2002-01"  # 预防接种证办理, promised limit 0
    citizen = Client()
    citizen.force_login(User.objects.get(username="zhangsan"))
    for url in (
        f"/items/{code}/",
        f"/guide/items/{code}/",
        f"/guide/items/{code}/guide/",
        f"/cases/apply/item/{code}/",
    ):
        page = citizen.get(url)
        html = re.sub(r"\s+", "", page.content.decode())
        assert page.status_code == 200, url
        assert "即办" in html, url
        assert not re.search(r">0(<small>)?个工作日", html) and "时限0" not in html, url
