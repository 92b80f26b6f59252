"""The window clerk's side of halls and the queue: intake at the clerk's window session (hall and
window), filing from a called ticket, the counter page (叫号台) through the test client, the
called visitor's context (masked), and 帮办代办 records shown to the applicant."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from onething.accounts.models import StaffRole, User
from onething.cases import intake
from onething.cases.models import Application, Assistance, Channel
from onething.cases.tests.conftest import at, form_for
from onething.directory.models import Hall, Window
from onething.halls import queue
from onething.halls.models import Ticket, WindowSession
from onething.kernel import errors

pytestmark = pytest.mark.django_db

ZHANG_ID = "430602199001011235"
ZHANG = {"name": "张三", "id_number": ZHANG_ID, "phone": "13800000001"}
BIRTH = "430600-WJ-2001-01"  # 出生医学证明办理 (卫健, city): the city hall takes it in
CITY = "yueyang-city-hall"


def _file(actor, channel=Channel.WINDOW, **kw):
    plan = intake.load_plan("item", BIRTH, {})
    return intake.submit(
        actor,
        kind="item",
        code=BIRTH,
        answers={},
        form=form_for([f.as_dict() for f in plan.form]),
        channel=channel,
        on_behalf=kw.pop("on_behalf", ZHANG),
        now=at("2026-11-20"),
        **kw,
    ).application


def _user(name):
    return User.objects.get(username=name)


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html  # strict CSP
    return html


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def _ticket(id_number=ZHANG_ID, service="zonghe") -> Ticket:
    return queue.issue(_user("quhao"), Hall.objects.get(code=CITY), service, id_number=id_number)


@pytest.fixture
def city():
    return Hall.objects.get(code=CITY)


@pytest.fixture
def new_clerk(make_user, city):
    """A clerk of the city hall who is not signed in anywhere."""
    return make_user("chuangkou9", real_name="赵窗口", roles=[(StaffRole.WINDOW_CLERK, {"hall": city})])


# ------------------------------------------------------------------------------- intake


def test_intake_takes_hall_and_window_from_the_clerks_session(city):
    app = _file(_user("chuangkou"))  # signed in at yy-1 (demo)
    assert app.hall == city and app.window.code == "yy-1"
    row = Application.objects.get(pk=app.pk)  # written by the one insert
    assert row.window_id == Window.objects.get(code="yy-1").pk and row.ticket_id is None


def test_a_clerk_of_one_hall_without_a_session_files_at_that_hall(new_clerk, city):
    app = _file(new_clerk)
    assert app.hall == city and app.window is None


def test_a_clerk_of_two_halls_without_a_session_is_asked_to_sign_in(new_clerk, city):
    StaffRole.objects.create(
        user=new_clerk, role=StaffRole.WINDOW_CLERK, hall=Hall.objects.get(code="pingjiang-county-hall")
    )
    new_clerk = User.objects.get(pk=new_clerk.pk)
    with pytest.raises(errors.Invalid) as refused:
        _file(new_clerk)
    assert refused.value.field == "window" and "请先在窗口签到" in refused.value.message
    queue.sign_in(new_clerk, Window.objects.get(code="yy-9"))
    app = _file(User.objects.get(pk=new_clerk.pk))
    assert app.hall == city and app.window.code == "yy-9"


def test_filing_from_the_called_ticket_links_it_and_no_other_ticket(token_for):
    ticket = _ticket()
    clerk = _user("chuangkou")
    with pytest.raises(errors.Conflict):  # still waiting: not called by this clerk
        _file(clerk, ticket=ticket.pk)
    assert queue.call_next(clerk, Window.objects.get(code="yy-1")).pk == ticket.pk
    with pytest.raises(errors.Conflict):  # called by chuangkou, not by chuangkou2
        _file(_user("chuangkou2"), ticket=ticket.pk)
    with pytest.raises(errors.NotFound):
        _file(clerk, ticket=ticket.pk + 1000)
    app = _file(clerk, ticket=ticket.pk)
    assert Application.objects.get(pk=app.pk).ticket_id == ticket.pk

    # the API takes the same field; a bad one is a 4xx, never a 500
    plan = intake.load_plan("item", BIRTH, {})
    body = {
        "item": BIRTH,
        "channel": "window",
        "applicant": ZHANG,
        "form": form_for([f.as_dict() for f in plan.form]),
        "ticket": ticket.pk,
    }
    headers = {"HTTP_AUTHORIZATION": token_for(clerk)}
    created = Client().post(
        "/api/v1/applications", json.dumps(body), content_type="application/json", **headers
    )
    assert created.status_code == 201, created.content
    assert Application.objects.get(number=created.json()["number"]).ticket_id == ticket.pk
    for bad, status in (("x", 422), (True, 422), (10**30, 422), (ticket.pk + 1000, 404)):
        answer = Client().post(
            "/api/v1/applications",
            json.dumps({**body, "ticket": bad}),
            content_type="application/json",
            **headers,
        )
        assert answer.status_code == status, (bad, answer.content)
    other_token = {"HTTP_AUTHORIZATION": token_for(_user("chuangkou2"))}
    answer = Client().post(
        "/api/v1/applications", json.dumps(body), content_type="application/json", **other_token
    )
    assert answer.status_code == 409


# ------------------------------------------------------------------------------- counter


def test_counter_flow_sign_in_call_recall_no_show_finish_transfer_pause(new_clerk):
    c = _client(new_clerk)
    page = _page(c.get("/cases/window/counter/"))
    assert "窗口签到" in page and "王窗口 已签到" in page  # yy-1 is taken by chuangkou
    assert re.search(r'value="yy-1"[^>]*disabled', page)
    refused = c.post("/cases/window/counter/sign_in/", {"window": "yy-1"}, follow=True)
    assert "已有工作人员签到" in _messages(refused)
    c.post("/cases/window/counter/sign_in/", {"window": "yy-9"})
    session = WindowSession.objects.get(clerk=new_clerk, status="active")
    assert session.window.code == "yy-9"

    empty = c.post("/cases/window/counter/call/", follow=True)
    assert "当前没有等候的号" in _messages(empty)

    first, second, third = _ticket(), _ticket("430626198805052012"), _ticket("")
    called = c.post("/cases/window/counter/call/", follow=True)
    page = _page(called)
    assert first.number in page and "呼叫下一位" not in page
    first.refresh_from_db()
    assert first.status == "called" and first.clerk == new_clerk and first.calls == 1
    assert 'id="no-show"' not in page  # one call is not enough for 过号
    early = c.post("/cases/window/counter/no_show/", {"ticket": first.pk}, follow=True)
    assert "呼叫次数不足" in _messages(early)
    c.post("/cases/window/counter/recall/", {"ticket": first.pk})
    first.refresh_from_db()
    assert first.calls == 2
    assert 'id="no-show"' in _page(c.get("/cases/window/counter/"))
    c.post("/cases/window/counter/no_show/", {"ticket": first.pk})
    first.refresh_from_db()
    assert first.status == "no_show"

    c.post("/cases/window/counter/call/")
    second.refresh_from_db()
    assert second.status == "called"
    c.post("/cases/window/counter/finish/", {"ticket": second.pk})
    second.refresh_from_db()
    assert second.status == "done" and second.finished_at is not None

    c.post("/cases/window/counter/call/")
    third.refresh_from_db()
    blank = c.post(
        "/cases/window/counter/transfer/", {"ticket": third.pk, "to_service": "shebao"}, follow=True
    )
    assert "转移原因" in _messages(blank)
    c.post(
        "/cases/window/counter/transfer/",
        {"ticket": third.pk, "to_service": "shebao", "to_window": "yy-8", "reason": "社保业务"},
    )
    third.refresh_from_db()
    assert third.status == "waiting" and third.service_id == "shebao" and third.for_window.code == "yy-8"
    assert third.clerk is None and third.transfers == 1

    # not the clerk's ticket: a message, never an error page
    not_mine = c.post("/cases/window/counter/finish/", {"ticket": third.pk}, follow=True)
    assert not_mine.status_code == 200 and "未找到该号" in _messages(not_mine)
    garbage = c.post("/cases/window/counter/recall/", {"ticket": "abc"}, follow=True)
    assert garbage.status_code == 200

    c.post("/cases/window/counter/pause/", {"reason": "午休"})
    session.refresh_from_db()
    assert session.status == "paused" and session.pause_reason == "午休"
    paused = c.post("/cases/window/counter/call/", follow=True)
    assert "暂停服务" in _messages(paused) and "恢复服务" in _page(paused)
    c.post("/cases/window/counter/resume/")
    session.refresh_from_db()
    assert session.status == "active"
    c.post("/cases/window/counter/sign_out/")
    session.refresh_from_db()
    assert session.status == "closed"
    assert c.post("/cases/window/counter/bogus/").status_code == 404


def test_counter_is_for_window_clerks_only():
    assert _client(_user("zhangsan")).get("/cases/window/counter/").status_code == 404
    assert _client(_user("bangban")).get("/cases/window/counter/").status_code == 404
    assert _client(_user("zhangsan")).post("/cases/window/counter/call/").status_code == 404


def test_the_called_visitor_is_shown_with_their_open_applications_masked():
    clerk = _user("chuangkou")
    open_app = _file(clerk)
    ticket = queue.issue(
        clerk, Hall.objects.get(code=CITY), "zonghe", id_number=ZHANG_ID, application_number=open_app.number
    )
    c = _client(clerk)
    c.post("/cases/window/counter/call/")
    page = _page(c.get("/cases/window/counter/"))
    assert ticket.number in page and "张三" in page
    assert ZHANG_ID not in page and "4306**********1235" in page
    assert f"/cases/{open_app.number}/" in page
    assert 'id="visitor-came-for"' in page
    assert f"/cases/window/?ticket={ticket.pk}" in page  # 为此人受理

    # 为此人受理: the window page carries the ticket to the item, the form is prefilled
    desk = _page(c.get(f"/cases/window/?ticket={ticket.pk}"))
    assert f"/cases/window/new/item/{BIRTH}/?ticket={ticket.pk}" in desk
    form = _page(c.get(f"/cases/window/new/item/{BIRTH}/?ticket={ticket.pk}"))
    assert f'name="ticket" value="{ticket.pk}"' in form and 'value="张三"' in form
    plan = intake.load_plan("item", BIRTH, {})
    post = {f"f.{k}": v for k, v in form_for([f.as_dict() for f in plan.form]).items()}
    post.update(
        {
            "ticket": ticket.pk,
            "applicant_name": "张三",
            "applicant_id_number": ZHANG_ID,
            "idempotency_key": "c-1",
        }
    )
    filed = c.post(f"/cases/window/new/item/{BIRTH}/", post)
    assert filed.status_code == 302, filed.content.decode()[:2000]
    app = Application.objects.get(idempotency_key="c-1")
    assert app.ticket_id == ticket.pk and app.window.code == "yy-1"
    # someone else's ticket carried in the address: a message, and the form without it
    stranger = _client(_user("chuangkou2")).get(f"/cases/window/new/item/{BIRTH}/?ticket={ticket.pk}")
    assert stranger.status_code == 200 and 'name="ticket"' not in stranger.content.decode()


# ------------------------------------------------------------------------------- 帮办代办


def test_assistance_is_recorded_with_the_application_and_shown_to_the_applicant(city):
    helper = _user("bangban")
    with pytest.raises(errors.Invalid) as missing:
        _file(helper, channel=Channel.AGENT)
    assert missing.value.field == "assistance"
    with pytest.raises(errors.Invalid):
        _file(helper, channel=Channel.AGENT, assistance={"reason": "elderly", "authorisation": ""})
    with pytest.raises(errors.NotPermitted):  # only a hall's 帮办代办人员 records one
        _file(
            _user("lisi"),
            channel=Channel.AGENT,
            agent_authorisation={"document": "委托书 1"},
            assistance={"reason": "elderly", "authorisation": "委托书 1"},
        )
    app = _file(
        helper,
        channel=Channel.AGENT,
        assistance={"reason": "elderly", "authorisation": "现场口头授权，已录像", "note": "行动不便"},
    )
    record = Assistance.objects.get(application=app)
    assert record.helper == helper and record.hall == city and record.for_id_number == ZHANG_ID
    assert app.channel == "agent" and app.agent == helper and app.hall == city
    assert app.applicant == _user("zhangsan")

    page = _page(_client(_user("zhangsan")).get(f"/cases/{app.number}/"))
    assert (
        "帮办代办：陈帮办（岳阳市政务服务中心）为您代办，原因：老年人，授权依据：现场口头授权，已录像" in page
    )
    assert _client(_user("lisi")).get(f"/cases/{app.number}/").status_code == 404
    assert _client(_user("chuangkou2")).get(f"/cases/{app.number}/").status_code == 200  # the hall's


def test_an_assistant_files_through_the_window_pages():
    helper = _client(_user("bangban"))
    desk = _page(helper.get("/cases/window/"))
    assert "我的帮办代办记录" in desk and "待受理" not in desk
    form = _page(helper.get(f"/cases/window/new/item/{BIRTH}/"))
    assert 'name="assistance_reason"' in form and 'name="assistance_authorisation"' in form
    plan = intake.load_plan("item", BIRTH, {})
    post = {f"f.{k}": v for k, v in form_for([f.as_dict() for f in plan.form]).items()}
    post.update({"applicant_name": "张三", "applicant_id_number": ZHANG_ID, "idempotency_key": "b-1"})
    refused = helper.post(f"/cases/window/new/item/{BIRTH}/", {**post, "assistance_reason": "elderly"})
    assert refused.status_code == 400 and "授权依据" in refused.content.decode()
    done = helper.post(
        f"/cases/window/new/item/{BIRTH}/",
        {**post, "assistance_reason": "disabled", "assistance_authorisation": "授权委托书 2026-09"},
    )
    assert done.status_code == 302
    app = Application.objects.get(idempotency_key="b-1")
    assert app.channel == "agent" and Assistance.objects.get(application=app).reason == "disabled"
    assert app.number in _page(helper.get("/cases/window/"))


def test_the_clerk_takes_a_number_for_a_visitor_with_the_priority_checked():
    c = _client(_user("chuangkou"))
    page = _page(c.get("/cases/window/counter/"))
    assert "代为取号" in page and 'value="shebao"' in page
    done = c.post(
        "/cases/window/counter/issue/",
        {"service": "shebao", "name": "李四", "id_number": "", "priority_reason": "disabled"},
        follow=True,
    )
    ticket = Ticket.objects.get(issued_by=_user("chuangkou"))
    assert ticket.number in _messages(done) and ticket.channel == "window"
    assert ticket.priority and ticket.priority_reason == "disabled" and ticket.service_id == "shebao"
    bad = c.post("/cases/window/counter/issue/", {"service": "zonghe", "id_number": "123456"}, follow=True)
    assert "公民身份号码" in _messages(bad)
    nul = c.post("/cases/window/counter/issue/", {"service": "zonghe", "id_number": "12345\x00"})
    assert nul.status_code == 400 and "公民身份号码" in nul.content.decode()  # the boundary's own page
    assert Ticket.objects.filter(issued_by=_user("chuangkou")).count() == 1
    # a person may not give themself priority: only staff who checked it
    with pytest.raises(errors.NotPermitted):
        queue.issue(_user("zhangsan"), Hall.objects.get(code=CITY), "zonghe", priority_reason="elderly")
