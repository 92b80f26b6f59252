"""The inbox for people: ``GET /api/v1/me/notifications``, ``POST …/{id}/read``, the page
``/me/notifications/`` (works without JavaScript: POST forms with CSRF) and the unread count
in the portal header. Nobody sees or marks another person's message."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from onething.notifications import inbox
from onething.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(make_user):
    return make_user("someone-else")


def _notes(person, n: int, start: dt.datetime | None = None, **fields) -> list[Notification]:
    start = start or timezone.now() - dt.timedelta(days=1)
    rows = [
        Notification.objects.create(recipient=person, event="case.x", title=f"消息{k}", **fields)
        for k in range(n)
    ]
    for k, row in enumerate(rows):  # distinct, increasing times: 消息{n-1} is the newest
        Notification.objects.filter(pk=row.pk).update(created_at=start + dt.timedelta(minutes=k))
    return rows


# ------------------------------------------------------------------------------- API


def test_list_newest_first_with_unread_count(person, other, token_for, api_client):
    rows = _notes(person, 3)
    _notes(other, 2)
    Notification.objects.filter(pk=rows[0].pk).update(read_at=timezone.now())
    response = api_client.get("/api/v1/me/notifications", HTTP_AUTHORIZATION=token_for(person))
    assert response.status_code == 200
    body = response.json()
    assert [r["title"] for r in body["results"]] == ["消息2", "消息1", "消息0"]
    assert (body["unread"], body["page"], body["page_size"], body["has_next"]) == (2, 1, 20, False)
    first = body["results"][0]
    assert set(first) == {"id", "event", "title", "body", "link", "created_at", "read", "read_at"}
    assert (first["read"], first["read_at"]) == (False, None)
    assert body["results"][2]["read"] is True


def test_unread_filter_and_pages(person, token_for, api_client):
    rows = _notes(person, 5)
    Notification.objects.filter(pk__in=[rows[4].pk, rows[1].pk]).update(read_at=timezone.now())
    auth = {"HTTP_AUTHORIZATION": token_for(person)}
    unread = api_client.get("/api/v1/me/notifications?unread=1", **auth).json()
    assert [r["title"] for r in unread["results"]] == ["消息3", "消息2", "消息0"] and unread["unread"] == 3
    assert (
        api_client.get("/api/v1/me/notifications?unread=true", **auth).json()["results"] == unread["results"]
    )
    assert len(api_client.get("/api/v1/me/notifications?unread=0", **auth).json()["results"]) == 5
    page1 = api_client.get("/api/v1/me/notifications?page_size=2", **auth).json()
    page3 = api_client.get("/api/v1/me/notifications?page_size=2&page=3", **auth).json()
    assert [r["title"] for r in page1["results"]] == ["消息4", "消息3"] and page1["has_next"] is True
    assert [r["title"] for r in page3["results"]] == ["消息0"] and page3["has_next"] is False
    assert api_client.get("/api/v1/me/notifications?page=9", **auth).json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("unread=maybe", "unread", "取值不在允许范围内"),
        ("page=0", "page", "页码"),
        ("page_size=500", "page_size", "每页条数"),
        ("page=abc", "page", "页码"),
    ],
)
def test_bad_query_is_a_chinese_error_naming_the_field(person, token_for, api_client, query, field, message):
    response = api_client.get(f"/api/v1/me/notifications?{query}", HTTP_AUTHORIZATION=token_for(person))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == field and message in error["message"]


def test_anonymous_is_401(api_client):
    response = api_client.get("/api/v1/me/notifications")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
    assert api_client.post("/api/v1/me/notifications/1/read").status_code == 401


def test_mark_read_once(person, token_for, api_client):
    (note,) = _notes(person, 1)
    auth = {"HTTP_AUTHORIZATION": token_for(person)}
    first = api_client.post(f"/api/v1/me/notifications/{note.pk}/read", **auth)
    assert first.status_code == 200
    assert first.json()["read"] is True and first.json()["id"] == note.pk
    again = api_client.post(f"/api/v1/me/notifications/{note.pk}/read", **auth)
    assert again.json()["read_at"] == first.json()["read_at"]  # the first time is kept
    assert api_client.get("/api/v1/me/notifications", **auth).json()["unread"] == 0


def test_another_persons_message_is_404(person, other, token_for, api_client):
    (theirs,) = _notes(other, 1)
    response = api_client.post(
        f"/api/v1/me/notifications/{theirs.pk}/read", HTTP_AUTHORIZATION=token_for(person)
    )
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "未找到该消息", "field": "id"}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    missing = api_client.post("/api/v1/me/notifications/999999999/read", HTTP_AUTHORIZATION=token_for(person))
    assert missing.status_code == 404


def test_session_login_works_with_csrf(person):
    (note,) = _notes(person, 1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    assert client.get("/api/v1/me/notifications").json()["unread"] == 1
    assert client.post(f"/api/v1/me/notifications/{note.pk}/read").status_code == 403  # no CSRF token
    client.get("/me/notifications/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(f"/api/v1/me/notifications/{note.pk}/read", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["read"] is True


def test_documented_in_openapi(api_client):
    paths = api_client.get("/api/v1/openapi.json").json()["paths"]
    listing = paths["/api/v1/me/notifications"]["get"]
    read = paths["/api/v1/me/notifications/{id}/read"]["post"]
    assert listing["security"] and read["security"]
    assert {"200", "401"} <= set(listing["responses"]) and {"200", "401", "404"} <= set(read["responses"])


# ------------------------------------------------------------------------------- page


def _csrf_client(person) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    return client


def _token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]


def test_page_requires_login(api_client):
    response = api_client.get("/me/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_page_lists_newest_first_and_filters_unread(person, other):
    rows = _notes(person, 3, link="/cases/A1/")
    Notification.objects.create(recipient=other, event="case.x", title="别人的消息")
    Notification.objects.filter(pk=rows[2].pk).update(read_at=timezone.now())
    client = _csrf_client(person)
    html = client.get("/me/notifications/").content.decode()
    assert html.index("消息2") < html.index("消息1") < html.index("消息0")
    assert "您有 <strong>2</strong> 条未读消息" in html
    assert 'aria-current="page">全部' in html
    unread = client.get("/me/notifications/?unread=1").content.decode()
    assert "消息1" in unread and "消息0" in unread and "消息2" not in unread
    assert 'aria-current="page">未读（2）' in unread
    assert "别人的消息" not in html and "别人的消息" not in unread


def test_page_mark_read_by_post_form(person):
    (note,) = _notes(person, 1, link="/cases/A1/")
    client = _csrf_client(person)
    html = client.get("/me/notifications/?unread=1").content.decode()
    assert client.post(f"/me/notifications/{note.pk}/read/").status_code == 403  # CSRF checked
    response = client.post(
        f"/me/notifications/{note.pk}/read/",
        {"csrfmiddlewaretoken": _token(html), "next": "/me/notifications/?unread=1"},
    )
    assert response.status_code == 302 and response["Location"] == "/me/notifications/?unread=1"
    note.refresh_from_db()
    assert note.read_at is not None


def test_page_open_marks_read_and_follows_the_link(person):
    (note,) = _notes(person, 1, link="/cases/A1/")
    client = _csrf_client(person)
    token = _token(client.get("/me/notifications/").content.decode())
    response = client.post(f"/me/notifications/{note.pk}/read/", {"csrfmiddlewaretoken": token, "open": "1"})
    assert response["Location"] == "/cases/A1/"
    note.refresh_from_db()
    assert note.read_at is not None


@pytest.mark.parametrize("link", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)"])
def test_page_never_redirects_off_site(person, link):
    (note,) = _notes(person, 1, link=link)
    client = _csrf_client(person)
    token = _token(client.get("/me/notifications/").content.decode())
    response = client.post(
        f"/me/notifications/{note.pk}/read/", {"csrfmiddlewaretoken": token, "open": "1", "next": link}
    )
    assert response["Location"] == "/me/notifications/"


def test_page_another_persons_message_is_404(person, other):
    (theirs,) = _notes(other, 1)
    client = Client()
    client.force_login(person)
    assert client.post(f"/me/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/me/notifications/{10**20}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_page_read_all(person, other):
    _notes(person, 3)
    _notes(other, 1)
    client = Client()
    client.force_login(person)
    response = client.post("/me/notifications/read-all/", {"next": "/me/notifications/?page=2"})
    assert response["Location"] == "/me/notifications/?page=2"
    assert inbox.unread_count(person) == 0 and inbox.unread_count(other) == 1


def test_page_pagination_links(person):
    _notes(person, inbox.PAGE_SIZE + 1)
    client = Client()
    client.force_login(person)
    first = client.get("/me/notifications/").content.decode()
    assert 'href="/me/notifications/?page=2" rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/me/notifications/?page=2").content.decode()
    assert 'href="/me/notifications/" rel="prev"' in second and "消息0" in second
    empty = client.get("/me/notifications/?page=7").content.decode()
    assert "这一页没有消息" in empty


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("page=abc", "页码"),
        ("page=0", "页码"),
        (f"page={10**20}", "页码"),
        ("page=%C2%B2", "页码"),
        ("unread=2", "未读筛选"),
    ],
)
def test_page_bad_query_is_a_chinese_400(person, query, label):
    client = Client()
    client.force_login(person)
    response = client.get(f"/me/notifications/?{query}")
    assert response.status_code == 400 and f"“{label}”" in response.content.decode()


def test_page_only_get_and_post():
    client = Client()
    assert client.put("/me/notifications/").status_code in (302, 405)


def test_empty_inbox(person):
    client = Client()
    client.force_login(person)
    assert "还没有消息" in client.get("/me/notifications/").content.decode()


# ------------------------------------------------------------------------------- header


def _header(html: str) -> str:
    return html[html.index('<div class="account">') : html.index("</header>")]


def test_header_shows_the_unread_count(person):
    _notes(person, 3)
    client = Client()
    client.force_login(person)
    header = _header(client.get("/").content.decode())
    assert 'href="/me/notifications/"' in header
    assert '<span class="badge badge-danger" aria-hidden="true">3</span>' in header
    assert "（3条未读）" in header


def test_header_caps_the_count_and_hides_zero(person, monkeypatch):
    client = Client()
    client.force_login(person)
    assert "badge" not in _header(client.get("/").content.decode())  # nothing unread
    _notes(person, 100)
    header = _header(client.get("/").content.decode())
    assert ">99+</span>" in header


def test_header_count_costs_one_bounded_query(person, django_assert_num_queries):
    _notes(person, 5)
    assert inbox.badge(person) == "5"
    with django_assert_num_queries(1) as captured:
        inbox.badge(person)
    assert "LIMIT 100" in captured.captured_queries[0]["sql"]


def test_anonymous_header_has_no_inbox(api_client):
    assert "/me/notifications/" not in _header(api_client.get("/").content.decode())
