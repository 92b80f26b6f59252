"""Login lands each role on its workplace (unless ``next`` says otherwise); logout returns home."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

PASSWORD = "onething-demo"


def login(client, username, **extra):
    client.get("/login/")
    return client.post("/login/", {"username": username, "password": PASSWORD, **extra})


@pytest.mark.parametrize(
    ("username", "landing"),
    [
        ("chuangkou", "/cases/window/"),  # 综合窗口人员 → window desk
        ("shenpi_weijian", "/cases/approver/"),  # 审批人员 → queue
        ("ducha", "/cases/supervisor/"),  # 督查人员 → board
        ("zhangsan", "/cases/"),  # citizen → 我的办件
        ("lisi", "/cases/"),
        ("bumen_admin", "/admin/"),  # catalog maintainer → the admin
        ("admin", "/admin/"),
    ],
)
def test_each_role_lands_on_its_workplace(client, demo, username, landing):
    response = login(client, username)
    assert response.status_code == 302 and response["Location"] == landing
    assert client.get(landing).status_code == 200


def test_next_wins_over_the_workplace(client, demo):
    response = login(client, "chuangkou", next="/bundles/")
    assert response["Location"] == "/bundles/"


def test_an_unsafe_next_is_ignored(client, demo):
    response = login(client, "chuangkou", next="https://evil.example/cases/")
    assert response["Location"] == "/cases/window/"


def test_a_failed_login_stays_on_the_login_page_in_chinese(client, demo):
    response = client.post("/login/", {"username": "zhangsan", "password": "wrong-password"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "用户名或密码错误" in page and ">注册</a>" in page


def test_logout_returns_home_with_a_message(client, demo):
    login(client, "zhangsan")
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/").content.decode()
    assert "您已安全退出。" in page and 'role="status"' in page
    assert "_auth_user_id" not in client.session
    # shown once
    assert "您已安全退出" not in client.get("/").content.decode()


def test_logout_of_no_one_says_nothing(client, demo):
    response = client.post("/logout/")
    assert response["Location"] == "/"
    assert "您已安全退出" not in client.get("/").content.decode()


def test_logout_is_post_only(client, demo):
    login(client, "zhangsan")
    assert client.get("/logout/").status_code == 405
    assert "_auth_user_id" in client.session


def test_header_login_link_and_login_page_register_link(demo):
    client = Client()
    home = client.get("/").content.decode()
    assert 'href="/login/"' in home and ">登录</a>" in home
    login_page = client.get("/login/").content.decode()
    assert 'href="/register/"' in login_page and 'href="/password/reset/"' in login_page


@override_settings(AXES_FAILURE_LIMIT=2, AXES_LOCKOUT_TEMPLATE="web/lockout.html")
def test_the_lockout_page_is_chinese_and_points_to_the_reset(demo):
    """``web/lockout.html`` is the page for ``AXES_LOCKOUT_TEMPLATE`` (axes' own is English text)."""
    client = Client(REMOTE_ADDR="203.0.113.44")
    for _ in range(2):
        client.post("/login/", {"username": "zhangsan", "password": "wrong-password"})
    response = client.post("/login/", {"username": "zhangsan", "password": PASSWORD})
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录失败次数过多（2次）" in page and 'href="/password/reset/"' in page
