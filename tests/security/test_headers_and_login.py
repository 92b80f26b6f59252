"""Browser-facing protections: CSP and security headers on HTML pages, login throttling (axes)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

HTML_PAGES = ["/", "/login/", "/admin/login/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", HTML_PAGES)
def test_html_pages_send_a_strict_csp(url, demo):
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    csp = response.get("Content-Security-Policy", "")
    assert csp, f"{url} 缺少 Content-Security-Policy 响应头"
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("default-src") == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives.get(directive, []), f"{directive} 允许内联"
        assert "'unsafe-eval'" not in directives.get(directive, []), f"{directive} 允许 eval"
    assert directives.get("frame-ancestors") == ["'none'"]
    assert directives.get("object-src") == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_http_only_or_same_site(demo, make_user):
    make_user("cookie-user", password="correct-horse-battery")
    client = Client()
    client.get("/login/")
    response = client.post("/login/", {"username": "cookie-user", "password": "correct-horse-battery"})
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"]
    assert session["samesite"] in ("Lax", "Strict")


def _login(client: Client, url: str, username: str, password: str):
    client.get(url)
    return client.post(url, {"username": username, "password": password})


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_login_locks_after_repeated_failures(url, demo, make_user):
    from axes.utils import reset

    reset()
    user = make_user("throttled", password="correct-horse-battery", is_staff=True)
    client = Client(REMOTE_ADDR="203.0.113.7")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        response = _login(client, url, user.username, "wrong-password")
        assert "_auth_user_id" not in client.session
    # now even the right password is refused
    response = _login(client, url, user.username, "correct-horse-battery")
    assert "_auth_user_id" not in client.session, f"{url}：连续失败 {limit} 次后仍能登录"
    assert response.status_code in (403, 429)
    # another user on the same address is not locked out (lockout is per username + address)
    make_user("bystander", password="correct-horse-battery", is_staff=True)
    other = Client(REMOTE_ADDR="203.0.113.7")
    response = _login(other, url, "bystander", "correct-horse-battery")
    assert response.status_code == 302
    reset()


@pytest.mark.django_db
def test_successful_login_before_the_limit_resets_the_counter(demo, make_user):
    from axes.utils import reset

    reset()
    make_user("forgetful", password="correct-horse-battery")
    client = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "/login/", "forgetful", "wrong-password")
    assert _login(client, "/login/", "forgetful", "correct-horse-battery").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "/login/", "forgetful", "wrong-password")
    assert _login(client, "/login/", "forgetful", "correct-horse-battery").status_code == 302
    reset()
