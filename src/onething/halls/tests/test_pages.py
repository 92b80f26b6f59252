"""The hall pages: who sees what (404 outside scope), the ticket without personal data, 一次一评,
the calling display, the kiosk, and bad input on every form (a message or 4xx, never 500)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from onething.accounts.models import StaffRole, User
from onething.directory.models import Hall, Window
from onething.halls import queue
from onething.halls.models import Ticket

pytestmark = pytest.mark.django_db

CITY = "yueyang-city-hall"
COUNTY = "pingjiang-county-hall"
OLD = "430602195001011237"


def _client(username: str | None = None) -> Client:
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def _city() -> Hall:
    return Hall.objects.get(code=CITY)


def _kiosk_ticket(**kw) -> Ticket:
    return queue.issue(User.objects.get(username="quhao"), _city(), "zonghe", **kw)


def _text(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------- public pages


def test_index_groups_halls_with_hours_and_links():
    page = _text(_client().get("/halls/"))
    for heading in (
        "市级政务服务中心",
        "县级政务服务中心",
        "乡镇（街道）便民服务中心",
        "村（社区）便民服务站",
        "政银合作网点",
    ):
        assert heading in page
    assert "岳阳市政务服务中心" in page and f'href="/halls/{CITY}/"' in page
    assert "每天 09:00–17:00" in page  # the bank outlet's opening sessions
    assert "窗口数据" not in page  # no staff links for the public


def test_index_links_figures_and_entry_for_supervisors_and_figures_for_clerks():
    page = _text(_client("ducha").get("/halls/"))
    assert "/halls/figures/" in page and "/halls/entry/" in page
    page = _text(_client("chuangkou").get("/halls/"))
    assert "/halls/figures/" in page and "/halls/entry/" not in page


def test_hall_page_shows_duty_and_waiting_counts():
    _kiosk_ticket()
    _kiosk_ticket()
    page = _text(_client().get(f"/halls/{CITY}/"))
    assert "在岗" in page and "未开放" in page
    assert re.search(r"综合受理.*?当前等候 <strong class=\"num\">2</strong>", page, re.S)
    assert "手机取号" in page
    assert _client().get("/halls/no-such-hall/").status_code == 404


def test_hall_page_shows_paused_window():
    queue.pause(User.objects.get(username="chuangkou2"), "临时离开")
    assert "暂停" in _text(_client().get(f"/halls/{CITY}/"))


def test_take_needs_login_then_issues_and_shows_the_ticket():
    anonymous = _client().post(f"/halls/{CITY}/take/", {"service": "zonghe"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert "next=" in anonymous["Location"] and not Ticket.objects.exists()
    client = _client("zhangsan")
    response = client.post(f"/halls/{CITY}/take/", {"service": "zonghe"})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/halls/ticket/{ticket.token}/"
    again = client.post(f"/halls/{CITY}/take/", {"service": "zonghe"}, follow=True)
    assert "请勿重复取号" in _text(again) and Ticket.objects.count() == 1


def test_take_refuses_bad_services_with_a_message():
    client = _client("zhangsan")
    for value in ["nope", "x" * 5000, "", "\x00"]:
        response = client.post(f"/halls/{CITY}/take/", {"service": value}, follow=True)
        assert response.status_code in (200, 400), value
    assert not Ticket.objects.exists()


# ---------------------------------------------------------------------------------- the ticket


def test_ticket_page_shows_ahead_and_no_personal_data():
    first = _kiosk_ticket()
    person = User.objects.get(username="zhangsan")
    second = _kiosk_ticket(id_number=person.id_number, name=person.real_name)
    assert second.person_id == person.pk
    for url in (f"/halls/ticket/{second.token}/", f"/halls/ticket/{second.token}/live/"):
        page = _text(_client().get(url))
        assert second.number in page and '前面还有 <strong class="num">1</strong> 人' in page
        assert person.id_number not in page and person.id_number[-4:] not in page
        assert person.real_name not in page
    assert first.number not in _text(_client().get(f"/halls/ticket/{second.token}/live/"))
    assert _client().get("/halls/ticket/not-a-real-token-at-all/").status_code == 404
    assert _client().get("/halls/ticket/%00/").status_code in (400, 404)
    assert _client().get("/halls/ticket/" + "a" * 500 + "/").status_code == 404


def test_the_live_fragment_says_which_window_and_stops_when_done():
    ticket = _kiosk_ticket()
    clerk = User.objects.get(username="chuangkou3")
    queue.call_next(clerk, Window.objects.get(code="yy-3"))
    live = _client().get(f"/halls/ticket/{ticket.token}/live/")
    assert live.status_code == 200 and "请到 <strong>3</strong> 号窗口" in _text(live)
    page = _text(_client().get(f"/halls/ticket/{ticket.token}/"))
    assert 'hx-trigger="every 5s"' in page and 'aria-live="polite"' in page
    queue.finish(clerk, ticket.pk)
    assert _client().get(f"/halls/ticket/{ticket.token}/live/").status_code == 286  # htmx: stop polling


def test_holder_cancels_while_waiting_others_cannot():
    client = _client("zhangsan")
    client.post(f"/halls/{CITY}/take/", {"service": "zonghe"})
    ticket = Ticket.objects.get()
    assert "取消排队" not in _text(_client("lisi").get(f"/halls/ticket/{ticket.token}/"))
    _client("lisi").post(f"/halls/ticket/{ticket.token}/cancel/")
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    assert "取消排队" in _text(client.get(f"/halls/ticket/{ticket.token}/"))
    client.post(f"/halls/ticket/{ticket.token}/cancel/")
    ticket.refresh_from_db()
    assert ticket.status == "cancelled"


# ---------------------------------------------------------------------------------- display


def test_display_shows_the_called_number_after_call_next():
    ticket = _kiosk_ticket()
    page = _text(_client().get(f"/halls/{CITY}/display/"))
    assert 'hx-trigger="every 3s"' in page and "halls/display.js" in page and "开启语音播报" in page
    assert "<script>" not in page and "style=" not in page
    queue.call_next(User.objects.get(username="chuangkou2"), Window.objects.get(code="yy-2"))
    live = _text(_client().get(f"/halls/{CITY}/display/live/"))
    assert f'data-number="{ticket.number}"' in live and 'data-window="2"' in live
    assert re.search(rf"<td>2 号窗口</td><td class=\"display-number\">{ticket.number}</td>", live)
    assert "最近叫号" in live


def test_display_shows_no_personal_data():
    person = User.objects.get(username="zhangsan")
    _kiosk_ticket(id_number=person.id_number)
    queue.call_next(User.objects.get(username="chuangkou"), Window.objects.get(code="yy-1"))
    for url in (f"/halls/{CITY}/display/", f"/halls/{CITY}/display/live/"):
        page = _text(_client().get(url))
        assert person.id_number not in page and person.real_name not in page


# ---------------------------------------------------------------------------------- kiosk


def test_kiosk_is_only_for_the_kiosk_account_of_the_hall(make_user):
    assert _client().get(f"/halls/{CITY}/kiosk/").status_code == 302  # sign in first
    assert _client("zhangsan").get(f"/halls/{CITY}/kiosk/").status_code == 404
    assert _client("chuangkou").get(f"/halls/{CITY}/kiosk/").status_code == 404
    other = make_user("kiosk_county", roles=[(StaffRole.KIOSK, {"hall": Hall.objects.get(code=COUNTY)})])
    client = Client()
    client.force_login(other)
    assert client.get(f"/halls/{CITY}/kiosk/").status_code == 404
    assert client.post(f"/halls/{CITY}/kiosk/", {"service": "zonghe"}).status_code == 404
    assert client.get(f"/halls/{COUNTY}/kiosk/").status_code == 200
    assert _client("quhao").get(f"/halls/{CITY}/kiosk/").status_code == 200


def test_kiosk_issues_with_priority_and_a_qr_code_and_keeps_the_id_out_of_urls():
    client = _client("quhao")
    _kiosk_ticket()
    response = client.post(f"/halls/{CITY}/kiosk/", {"service": "zonghe", "id_number": OLD})
    assert response.status_code == 302 and OLD not in response["Location"]
    page = _text(client.get(response["Location"]))
    ticket = Ticket.objects.filter(id_number=OLD).get()
    assert ticket.priority and ticket.channel == "kiosk"
    assert ticket.number in page and "<svg" in page and f"/halls/ticket/{ticket.token}/" in page
    assert re.search(r'id="kiosk-ahead">0<', page)  # priority goes first
    assert OLD not in page
    assert ticket.number not in _text(client.get(f"/halls/{CITY}/kiosk/"))  # shown once


@pytest.mark.parametrize(
    "form",
    [
        {"service": "zonghe", "id_number": "123"},
        {"service": "zonghe", "id_number": "\x00" * 3},
        {"service": "zonghe", "id_number": "4" * 300},
        {"service": "nope"},
        {"service": "s" * 5000},
        {},
        {"appointment_code": "\x00"},
        {"appointment_code": "X" * 300},
        {"appointment_code": "NOSUCH"},
    ],
)
def test_kiosk_refuses_bad_input_with_a_message(form):
    response = _client("quhao").post(f"/halls/{CITY}/kiosk/", form, follow=True)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert 'class="notice notice-error"' in _text(response)
    assert not Ticket.objects.exists()


# ---------------------------------------------------------------------------------- staff pages


def test_figures_page_for_staff_in_scope_only(make_user):
    assert _client().get("/halls/figures/").status_code == 302
    assert _client("zhangsan").get("/halls/figures/").status_code == 404
    assert _client("quhao").get("/halls/figures/").status_code == 404
    assert _client("ducha").get(f"/halls/figures/?hall={CITY}").status_code == 200
    assert _client("admin").get(f"/halls/figures/?hall={COUNTY}").status_code == 200
    county = make_user("ducha_pj", roles=[(StaffRole.SUPERVISOR, {"region_id": "430626"})])
    client = Client()
    client.force_login(county)
    assert client.get(f"/halls/figures/?hall={CITY}").status_code == 404
    assert client.get(f"/halls/figures/export.xlsx?hall={CITY}").status_code == 404
    assert client.get(f"/halls/figures/?hall={COUNTY}").status_code == 200
    clerk = _client("chuangkou")
    assert clerk.get(f"/halls/figures/?hall={CITY}").status_code == 200
    assert clerk.get(f"/halls/figures/?hall={COUNTY}").status_code == 404


def _done_ticket() -> Ticket:
    ticket = _kiosk_ticket()
    clerk = User.objects.get(username="chuangkou")
    queue.call_next(clerk, Window.objects.get(code="yy-1"))
    return queue.finish(clerk, ticket.pk)


def test_figures_page_shows_the_tables_and_exports():
    ticket = _done_ticket()
    client = _client("ducha")
    page = _text(client.get(f"/halls/figures/?hall={CITY}"))
    for caption in ("按窗口", "按工作人员", "按业务", "按大厅", "按取号时段", "导出 Excel"):
        assert caption in page
    assert "1号窗口" in page and "王窗口" in page
    export = client.get(f"/halls/figures/export.xlsx?hall={CITY}&from={ticket.day}&to={ticket.day}")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize(
    "query",
    [
        "from=2024-13-01",
        "from=not-a-date",
        "to=%00",
        "from=2025-05-02&to=2025-05-01",
        "from=2020-01-01&to=2025-01-01",
        "from=" + "9" * 300,
        "hall=" + "x" * 300,
        "hall=%00",
    ],
)
def test_figures_bad_filters_give_a_message_or_4xx(query):
    for url in ("/halls/figures/", "/halls/figures/export.xlsx"):
        response = _client("admin").get(f"{url}?{query}", follow=True)
        assert response.status_code in (200, 400, 404), (url, query)


def test_entry_page_for_supervisors_and_admins_only(make_user):
    assert _client("zhangsan").get("/halls/entry/").status_code == 404
    assert _client("chuangkou").get("/halls/entry/").status_code == 404
    assert _client("admin").get("/halls/entry/").status_code == 200
    page = _text(_client("ducha").get("/halls/entry/"))
    assert "岳阳市" in page and "湖南省（430000）" not in page  # only the supervisor's subtree
    county = make_user("ducha_pj2", roles=[(StaffRole.SUPERVISOR, {"region_id": "430626"})])
    client = Client()
    client.force_login(county)
    assert client.get("/halls/entry/?region=430600").status_code == 404
    assert client.get("/halls/entry/?region=430626").status_code == 200
    for bad in ("%00", "x" * 300, "999999"):
        assert _client("admin").get(f"/halls/entry/?region={bad}").status_code in (200, 400, 404)
