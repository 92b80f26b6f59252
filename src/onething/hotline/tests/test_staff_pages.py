"""The staff pages of 12345 through the test client: who sees each page, the intake form's
errors (naming the field, nothing saved), each action changing the state, and masking."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from onething.accounts.models import User
from onething.directory.models import Department
from onething.hotline import access, intake, merging, service
from onething.hotline.models import Article, Extension, Ticket
from onething.hotline.tests.test_loop import RENSHE, SHICHANG, audits, user

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
ID_NUMBER = "430602199001011234"


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def handler_department() -> Department:
    return User.objects.get(username="chengban_shichang").staff_roles.get().department


def filed(**extra) -> Ticket:
    data = {
        "category": "complaint",
        "channel": "hotline",
        "content": f"饭店后厨卫生差，身份证 {ID_NUMBER}",
        "region": "430602",
        "caller": {"name": "张先生", "phone": PHONE},
        **extra,
    }
    return intake.file(data, actor=User.objects.get(username="jiexian"), role="operator").ticket


def mark() -> int:
    """The last ticket's pk before a test files more (the baseline holds demo tickets)."""
    return Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def new(since: int):
    return Ticket.objects.filter(pk__gt=since)


def act(client: Client, ticket: Ticket, event: str, **data):
    return client.post(f"/hotline/tickets/{ticket.number}/act/{event}/", data)


def status(ticket: Ticket) -> str:
    return Ticket.objects.get(pk=ticket.pk).status


ACT_FORM = re.compile(r'<form [^>]*id="act-([a-z_]+)"')
OP, HANDLER = {"operator"}, {"handler"}


def forms(client: Client, ticket: Ticket) -> set[str]:
    """The action forms the ticket page offers its viewer."""
    response = client.get(f"/hotline/tickets/{ticket.number}/")
    assert response.status_code == 200
    return set(ACT_FORM.findall(response.content.decode()))


# ------------------------------------------------------------------------------ who sees what


def test_anonymous_goes_to_the_login_page():
    for url in ("/hotline/", "/hotline/queue/", "/hotline/window/new/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_each_page_for_its_roles_and_404_for_others():
    ticket = filed()
    assert client_for("jiexian").get("/hotline/").status_code == 200
    assert client_for("chengban_shichang").get("/hotline/").status_code == 404
    assert client_for("zhangsan").get("/hotline/").status_code == 404
    assert client_for("chuangkou").get("/hotline/window/new/").status_code == 200
    assert client_for("dating").get("/hotline/window/new/").status_code == 200
    assert client_for("jiexian").get("/hotline/window/new/").status_code == 404
    assert client_for("zhangsan").get("/hotline/queue/").status_code == 404
    url = f"/hotline/tickets/{ticket.number}/"
    assert client_for("jiexian").get(url).status_code == 200
    assert client_for("ducha").get(url).status_code == 200
    # not yet dispatched: the department does not see it; a citizen never does
    assert client_for("chengban_shichang").get(url).status_code == 404
    assert client_for("zhangsan").get(url).status_code == 404
    assert client_for("jiexian").get("/hotline/tickets/12345-20260101-999999/").status_code == 404


def test_my_list_shows_the_tiles_by_role():
    page = client_for("jiexian").get("/cases/").content.decode()
    assert "12345工单" in page and "办不成事登记" not in page
    page = client_for("chuangkou").get("/cases/").content.decode()
    assert "办不成事登记" in page and "12345工单" not in page
    page = client_for("zhangsan").get("/cases/").content.decode()
    assert "12345工单" not in page and "办不成事登记" not in page


def test_the_workbench_offers_the_panels_and_the_region_chain():
    page = client_for("jiexian").get("/hotline/").content.decode()
    assert 'hx-get="/hotline/knowledge/panel/"' in page
    assert 'hx-get="/hotline/duplicates/panel/"' in page
    select = page.split('<select id="region"')[1].split("</select>")[0]
    assert 'value="430602"' in select and 'value="430000"' not in select
    assert "<script>" not in page


# ------------------------------------------------------------------------------ intake


def _form(**extra):
    return {
        "category": "complaint",
        "channel": "hotline",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "caller_name": "张先生",
        "caller_phone": PHONE,
        "region": "430602",
        "content": "饭店后厨卫生差",
        **extra,
    }


def test_intake_files_and_shows_the_number_and_code_once():
    client = client_for("jiexian")
    since = mark()
    response = client.post("/hotline/", _form(), follow=True)
    ticket = new(since).get()
    assert response.redirect_chain[-1][0] == f"/hotline/tickets/{ticket.number}/"
    page = response.content.decode()
    assert ticket.number in page and "查询码" in page
    code = page.split("查询码 ")[1][:6]
    assert service.follow(ticket.number, code).pk == ticket.pk
    again = client.get(f"/hotline/tickets/{ticket.number}/").content.decode()
    assert code not in again
    assert (
        ticket.status == "received"
        and ticket.channel == "hotline"
        and ticket.created_by.username == "jiexian"
    )


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"content": ""}, "content", "诉求内容"),
        ({"category": ""}, "category", "诉求类型"),
        ({"caller_phone": "call me"}, "caller_phone", "联系电话"),
        ({"region": "430000"}, "region", "区划"),
        ({"received_at": "yesterday"}, "received_at", "受理时间"),
        ({"anonymous": "on"}, "anonymous", "匿名"),
        ({"item": "NO-SUCH-ITEM"}, "item", "事项"),
        ({"resolve_now": "on", "reply": "请到窗口办理"}, "resolve_now", "咨询"),
        ({"category": "consult", "resolve_now": "on", "reply": ""}, "reply", "答复内容"),
    ],
)
def test_intake_errors_name_the_field_and_save_nothing(changes, field, words):
    since = mark()
    response = client_for("jiexian").post("/hotline/", _form(**changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="{field}-error"' in page and words in page
    assert "饭店后厨卫生差" in page or changes.get("content") == ""  # what was typed stays
    assert not new(since).exists()


def test_a_consult_answered_on_the_spot_is_closed():
    since = mark()
    response = client_for("jiexian").post(
        "/hotline/",
        _form(category="consult", content="社保卡在哪办", resolve_now="on", reply="到市民中心社保窗口"),
    )
    ticket = new(since).get()
    assert response.status_code == 302
    assert ticket.status == "closed" and ticket.reply == "到市民中心社保窗口"
    page = client_for("jiexian").get(response["Location"]).content.decode()
    assert 'id="ticket-status">已当场答复办结<' in page  # never 回访


def test_a_matter_not_taken_is_recorded_redirected():
    since = mark()
    client_for("jiexian").post("/hotline/", _form(redirect="litigation"))
    ticket = new(since).get()
    assert ticket.status == "redirected" and "法院" in ticket.redirect_channel


def test_the_window_registers_a_not_done_with_the_125_promise():
    since = mark()
    response = client_for("chuangkou").post(
        "/hotline/window/new/",
        {
            "complexity": "complex",
            "caller_name": "李女士",
            "caller_phone": PHONE,
            "content": "营业执照变更办不成",
        },
        follow=True,
    )
    ticket = new(since).get()
    assert ticket.category == "not_done" and ticket.complexity == "complex" and ticket.channel == "window"
    assert ticket.hall_id == "yueyang-city-hall"
    page = response.content.decode()
    assert "1 小时内派单" in page and "复杂 5 个工作日" in page and "查询码" in page
    assert f"{ticket.finish_due:%Y-%m-%d}" in page


def test_the_window_form_errors_save_nothing():
    since = mark()
    response = client_for("chuangkou").post("/hotline/window/new/", {"complexity": "ordinary", "content": ""})
    assert response.status_code == 400 and 'id="content-error"' in response.content.decode()
    assert not new(since).exists()


# ------------------------------------------------------------------------------ queue


def test_the_queue_orders_red_first_and_counts():
    calm, late = filed(), filed()
    Ticket.objects.filter(pk=late.pk).update(warning="red")
    dept = handler_department()
    other = filed()
    service.dispatch(other, User.objects.get(username="jiexian"), roles={"operator"}, department=dept.pk)
    page = client_for("ducha").get("/hotline/queue/").content.decode()
    assert page.index(late.number) < page.index(calm.number)
    reds = access.visible(User.objects.get(username="ducha")).filter(status__in=Ticket.OPEN, warning="red")
    assert f'id="count-red">{reds.count()}<' in page
    assert "queue-red" in page
    handler_page = client_for("chengban_shichang").get("/hotline/queue/").content.decode()
    assert other.number in handler_page and calm.number not in handler_page
    tab = client_for("jiexian").get("/hotline/queue/?tab=dispatched").content.decode()
    assert other.number in tab and calm.number not in tab


# ------------------------------------------------------------------------------ actions


def test_the_loop_through_the_ticket_page():
    ticket = filed()
    operator, handler = client_for("jiexian"), client_for("chengban_shichang")
    dept = handler_department()
    page = operator.get(f"/hotline/tickets/{ticket.number}/").content.decode()
    assert 'id="act-dispatch"' in page and dept.name in page
    assert act(operator, ticket, "dispatch", department=dept.pk).status_code == 302
    assert status(ticket) == "dispatched"
    assert act(handler, ticket, "sign").status_code == 302 and status(ticket) == "handling"
    assert act(handler, ticket, "answer", reply="已责令整改").status_code == 302
    assert status(ticket) == "answered"
    assert act(operator, ticket, "send_back", reason="答复不具体").status_code == 302
    assert status(ticket) == "handling"
    act(handler, ticket, "answer", reply="已现场检查并责令整改")
    assert act(operator, ticket, "finish").status_code == 302 and status(ticket) == "finished"
    response = act(operator, ticket, "revisit", satisfaction="satisfied", note="张先生满意")
    assert response.status_code == 302 and status(ticket) == "closed"
    page = operator.get(f"/hotline/tickets/{ticket.number}/").content.decode()
    assert "已回访，办结" in page and "派单" in page and "审核办结" in page
    assert "张先生满意" in page.split('id="ticket-satisfaction"')[1]


def test_return_accept_reassign_wait_resume_and_supervise():
    ticket = filed()
    operator, handler, supervisor = (
        client_for("jiexian"),
        client_for("chengban_shichang"),
        client_for("ducha"),
    )
    dept = handler_department()
    act(operator, ticket, "dispatch", department=dept.pk)
    assert act(handler, ticket, "return", reason="不属本部门职责").status_code == 302
    assert status(ticket) == "returned"
    act(operator, ticket, "reject_return", reason="属于食品安全")
    assert status(ticket) == "dispatched"
    act(handler, ticket, "sign")
    act(handler, ticket, "wait", reason="请提供饭店名称")
    assert status(ticket) == "waiting"
    act(handler, ticket, "resume")
    assert status(ticket) == "handling"
    assert act(supervisor, ticket, "supervise", reason="请尽快办理").status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).supervised == 1
    other = Department.objects.filter(region_id="430600").exclude(pk=dept.pk).first()
    act(operator, ticket, "reassign", department=other.pk, reason="改由其他部门")
    ticket.refresh_from_db()
    assert ticket.status == "dispatched" and ticket.assigned_id == other.pk


def test_a_refused_action_is_a_message_on_the_page_not_a_500():
    ticket = filed()
    operator = client_for("jiexian")
    response = act(operator, ticket, "dispatch", department="")
    assert response.status_code == 400 and "请选择承办部门" in response.content.decode()
    assert status(ticket) == "received"
    # an event the viewer may not fire (a handler's sign by the operator)
    response = act(operator, ticket, "sign")
    assert response.status_code in (403, 409) and status(ticket) == "received"
    assert act(operator, ticket, "nonsense").status_code == 404
    # outside scope: 404
    assert (
        act(client_for("zhangsan"), ticket, "dispatch", department=handler_department().pk).status_code == 404
    )


def test_extension_request_and_decision():
    ticket = filed()
    operator, handler = client_for("jiexian"), client_for("chengban_shichang")
    act(operator, ticket, "dispatch", department=handler_department().pk)
    act(handler, ticket, "sign")
    before = Ticket.objects.get(pk=ticket.pk).finish_due
    response = act(handler, ticket, "extension", days="30", reason="需现场检测")
    assert response.status_code == 400 and "延长工作日" in response.content.decode()
    assert act(handler, ticket, "extension", days="3", reason="需现场检测").status_code == 302
    assert Extension.objects.get(ticket=ticket).status == "pending"
    assert 'id="act-decide_extension"' in operator.get(f"/hotline/tickets/{ticket.number}/").content.decode()
    assert act(operator, ticket, "decide_extension", decision="approve").status_code == 302
    assert Extension.objects.get(ticket=ticket).status == "approved"
    assert Ticket.objects.get(pk=ticket.pk).finish_due > before


def test_merge_and_unmerge():
    primary, member = filed(), filed()
    operator = client_for("jiexian")
    assert act(operator, primary, "merge", members=member.number).status_code == 302
    assert status(member) == "merged"
    page = operator.get(f"/hotline/tickets/{primary.number}/").content.decode()
    assert member.number in page
    assert act(operator, member, "unmerge", reason="不是同一件事").status_code == 302
    assert status(member) == "received"


# ------------------------------------------------------------------------------ masking


def test_a_supervisor_sees_the_phone_and_the_id_number_masked():
    ticket = filed()
    page = client_for("ducha").get(f"/hotline/tickets/{ticket.number}/").content.decode()
    assert PHONE not in page and ID_NUMBER not in page
    assert 'id="caller-phone"' in page
    operator_page = client_for("jiexian").get(f"/hotline/tickets/{ticket.number}/").content.decode()
    assert PHONE in operator_page and ID_NUMBER not in operator_page


def test_history_lists_the_audit_records():
    ticket = filed()
    operator = client_for("jiexian")
    act(operator, ticket, "dispatch", department=handler_department().pk, reason="食品安全")
    page = operator.get(f"/hotline/tickets/{ticket.number}/").content.decode()
    history = page.split('id="history"')[1]
    assert "受理" in history and "派单" in history and "食品安全" in history


def test_received_moment_two_hours_ago_sets_the_dispatch_due_in_the_past():
    since = mark()
    client_for("jiexian").post(
        "/hotline/",
        _form(
            received_at=timezone.localtime(timezone.now() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
        ),
    )
    ticket = new(since).get()
    assert ticket.dispatch_due < timezone.now()


# ------------------------------------------------------------------------------ each role, its actions


def test_each_role_sees_only_its_actions_at_every_stage():
    operator, handler, supervisor = (
        client_for("jiexian"),
        client_for("chengban_shichang"),
        client_for("ducha"),
    )
    centre, shichang = user("jiexian"), user("chengban_shichang")
    ticket = filed()
    assert forms(operator, ticket) == {"dispatch", "supervise", "merge"}
    assert forms(supervisor, ticket) == {"supervise"}

    service.dispatch(ticket, centre, roles=OP, department=SHICHANG)
    assert forms(operator, ticket) == {"reassign", "supervise", "merge"}
    assert forms(handler, ticket) == {"sign", "return"}
    assert forms(supervisor, ticket) == {"supervise"}

    service.return_(ticket, shichang, roles=HANDLER, reason="不属本部门职责")
    assert forms(operator, ticket) == {"accept_return", "reject_return", "reassign", "supervise"}
    assert forms(handler, ticket) == set()
    service.reject_return(ticket, centre, roles=OP, reason="属于食品安全")

    service.sign(ticket, shichang, roles=HANDLER)
    assert forms(operator, ticket) == {"reassign", "supervise", "merge"}
    assert forms(handler, ticket) == {"transfer", "wait", "answer", "extension"}

    service.wait(ticket, shichang, roles=HANDLER, reason="请提供饭店名称")
    assert forms(operator, ticket) == {"resume", "supervise", "merge"}
    assert forms(handler, ticket) == {"resume", "extension"}
    service.resume(ticket, shichang, roles=HANDLER)

    service.request_extension(ticket, shichang, roles=HANDLER, days=2, reason="需现场检测")
    assert forms(operator, ticket) == {"reassign", "supervise", "merge", "decide_extension"}
    assert forms(handler, ticket) == {"transfer", "wait", "answer"}  # one request at a time
    pending = Extension.objects.get(ticket=ticket)
    service.decide_extension(pending, centre, roles=OP, approve=True)

    service.answer(ticket, shichang, roles=HANDLER, reply="已责令整改")
    assert forms(operator, ticket) == {"send_back", "finish", "supervise"}
    assert forms(handler, ticket) == set()
    assert forms(supervisor, ticket) == {"supervise"}

    service.finish(ticket, centre, roles=OP)
    assert forms(operator, ticket) == {"revisit", "archive"}
    assert forms(handler, ticket) == set() and forms(supervisor, ticket) == set()
    page = handler.get(f"/hotline/tickets/{ticket.number}/").content.decode()
    assert 'id="actions"' not in page


def test_a_consult_offers_the_answer_on_the_spot_a_merged_ticket_only_unmerge():
    operator = client_for("jiexian")
    consult = filed(category="consult", content="社保卡在哪办")
    assert forms(operator, consult) == {"resolve", "dispatch", "supervise", "merge"}
    primary, member = filed(), filed()
    merging.merge(primary, member.number, user("jiexian"), roles=OP)
    assert forms(operator, member) == {"unmerge"}
    assert forms(client_for("ducha"), member) == set()


def test_the_window_sees_its_tickets_without_actions():
    since = mark()
    client_for("chuangkou").post(
        "/hotline/window/new/", {"complexity": "ordinary", "content": "营业执照变更办不成"}
    )
    ticket = new(since).get()
    window = client_for("chuangkou")
    assert forms(window, ticket) == set()
    service.dispatch(ticket, user("jiexian"), roles=OP, department=SHICHANG)
    assert forms(window, ticket) == set()
    assert ticket.number in window.get("/hotline/queue/").content.decode()
    # the department still reads the "125" promise once the dispatch clock has stopped
    page = client_for("chengban_shichang").get(f"/hotline/tickets/{ticket.number}/").content.decode()
    assert 'id="promise-finish"' in page and "普通 2 个工作日" in page and "派单" in page
    # the window of another hall does not see it
    assert client_for("jiexian").get("/hotline/window/new/").status_code == 404


# ------------------------------------------------------------------------------ scope


def test_a_handler_of_another_department_gets_404_and_changes_nothing():
    ticket = filed()
    service.dispatch(ticket, user("jiexian"), roles=OP, department=SHICHANG)
    before = audits(ticket)
    other = client_for("chengban_renshe")
    assert other.get(f"/hotline/tickets/{ticket.number}/").status_code == 404
    for event, data in (
        ("sign", {}),
        ("return", {"reason": "不属本部门"}),
        ("transfer", {"department": RENSHE, "reason": "转人社"}),
        ("answer", {"reply": "已办"}),
        ("extension", {"days": "2", "reason": "需调查"}),
    ):
        assert act(other, ticket, event, **data).status_code == 404, event
    assert other.get("/hotline/queue/").content.decode().count(ticket.number) == 0
    assert status(ticket) == "dispatched" and audits(ticket) == before
    # once 改派 to 人社, 市场监管 no longer reads it (no card of its own) and 人社 does
    service.reassign(ticket, user("jiexian"), roles=OP, department=RENSHE, reason="属人社职责")
    assert client_for("chengban_shichang").get(f"/hotline/tickets/{ticket.number}/").status_code == 404
    assert forms(other, ticket) == {"sign", "return"}


def test_a_caller_is_sent_to_the_public_page_and_may_not_act():
    since = mark()
    zhangsan = user("zhangsan")
    intake.file(
        {"category": "complaint", "channel": "web", "content": "窗口态度差", "region": "430602"},
        actor=zhangsan,
        role="caller",
    )
    ticket = new(since).get()
    assert ticket.caller_id == zhangsan.pk
    caller = client_for("zhangsan")
    response = caller.get(f"/hotline/tickets/{ticket.number}/")
    assert response.status_code == 302 and response["Location"] == f"/hotline/follow/{ticket.number}/"
    assert act(caller, ticket, "supervise", reason="快点").status_code == 404
    assert status(ticket) == "received"


# ------------------------------------------------------------------------------ bad input on actions


def _at(stage: str) -> Ticket:
    ticket = filed()
    if stage == "received":
        return ticket
    service.dispatch(ticket, user("jiexian"), roles=OP, department=SHICHANG)
    if stage == "dispatched":
        return ticket
    service.sign(ticket, user("chengban_shichang"), roles=HANDLER)
    if stage == "handling":
        return ticket
    if stage == "pending":
        service.request_extension(ticket, user("chengban_shichang"), roles=HANDLER, days=2, reason="需检测")
        return ticket
    service.answer(ticket, user("chengban_shichang"), roles=HANDLER, reply="已处理")
    if stage == "answered":
        return ticket
    service.finish(ticket, user("jiexian"), roles=OP)
    return ticket


@pytest.mark.parametrize(
    ("stage", "who", "event", "data", "field", "words"),
    [
        ("received", "jiexian", "dispatch", {"department": "nonsense"}, "department", "部门"),
        ("received", "jiexian", "merge", {"members": ""}, "members", "合并的工单"),
        ("dispatched", "chengban_shichang", "return", {"reason": ""}, "reason", "理由"),
        ("dispatched", "jiexian", "reassign", {"department": RENSHE, "reason": ""}, "reason", "理由"),
        (
            "handling",
            "chengban_shichang",
            "transfer",
            {"department": "", "reason": "转"},
            "department",
            "承办部门",
        ),
        ("handling", "chengban_shichang", "wait", {"reason": " "}, "reason", "理由"),
        ("handling", "chengban_shichang", "answer", {"reply": ""}, "reply", "答复内容"),
        (
            "handling",
            "chengban_shichang",
            "extension",
            {"days": "两天", "reason": "需检测"},
            "days",
            "延长工作日",
        ),
        ("handling", "ducha", "supervise", {"reason": ""}, "reason", "理由"),
        ("pending", "jiexian", "decide_extension", {"decision": ""}, "decision", "同意"),
        ("pending", "jiexian", "decide_extension", {"decision": "refuse"}, "extension_remark", "审核意见"),
        ("answered", "jiexian", "send_back", {"reason": ""}, "reason", "理由"),
        ("finished", "jiexian", "revisit", {"note": "满意"}, "satisfaction", "回访结果"),
        ("finished", "jiexian", "revisit", {"satisfaction": "satisfied"}, "revisit_record", "回访记录"),
        ("finished", "jiexian", "archive", {"reason": ""}, "reason", "理由"),
    ],
)
def test_bad_action_input_is_400_at_its_field_and_writes_nothing(stage, who, event, data, field, words):
    ticket = _at(stage)
    before, state = audits(ticket), status(ticket)
    extensions = list(Extension.objects.filter(ticket=ticket).values_list("status", flat=True))
    response = act(client_for(who), ticket, event, **data)
    assert response.status_code == 400
    page = response.content.decode()
    error = page.split(f'id="{event}-{field}-error">')[1].split("</p>")[0]
    assert words in error and re.search(r"[\u4e00-\u9fff]", error)
    assert 'id="action-error"' in page and f'aria-describedby="{event}-{field}-error"' in page
    for value in data.values():  # what was typed stays
        assert value.strip() == "" or value in page
    assert status(ticket) == state and audits(ticket) == before
    assert list(Extension.objects.filter(ticket=ticket).values_list("status", flat=True)) == extensions


def test_a_refused_extension_needs_the_reason_and_keeps_the_limit():
    ticket = _at("pending")
    before = Ticket.objects.get(pk=ticket.pk).finish_due
    operator = client_for("jiexian")
    response = act(operator, ticket, "decide_extension", decision="refuse", note="理由不充分")
    assert response.status_code == 302
    assert Extension.objects.get(ticket=ticket).status == "refused"
    assert Ticket.objects.get(pk=ticket.pk).finish_due == before
    assert (
        "审核意见：理由不充分"
        in client_for("chengban_shichang").get(f"/hotline/tickets/{ticket.number}/").content.decode()
    )


def test_archived_without_a_return_visit_says_so():
    ticket = _at("finished")
    operator = client_for("jiexian")
    assert act(operator, ticket, "archive", reason="电话多次无人接听").status_code == 302
    assert status(ticket) == "closed"
    page = operator.get(f"/hotline/tickets/{ticket.number}/").content.decode()
    assert 'id="ticket-status">无法回访，已办结归档<' in page and "电话多次无人接听" in page


def test_transfer_accept_return_and_an_unsatisfied_revisit_reopens():
    ticket = _at("handling")
    handler = client_for("chengban_shichang")
    assert act(handler, ticket, "transfer", department=RENSHE, reason="属人社职责").status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).assigned_id == RENSHE and status(ticket) == "dispatched"
    renshe, operator = client_for("chengban_renshe"), client_for("jiexian")
    assert act(renshe, ticket, "return", reason="也不属人社").status_code == 302
    assert act(operator, ticket, "accept_return", reason="重新派单").status_code == 302
    assert status(ticket) == "received"
    act(operator, ticket, "dispatch", department=SHICHANG)
    act(handler, ticket, "sign")
    act(handler, ticket, "answer", reply="已处理")
    act(operator, ticket, "finish")
    response = act(operator, ticket, "revisit", satisfaction="unsatisfied", note="问题仍在")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "handling" and ticket.reopened == 1
    assert forms(handler, ticket) == {"transfer", "wait", "answer", "extension"}


# ------------------------------------------------------------------------------ masking for handlers


def test_id_numbers_in_free_text_are_masked_for_the_handler_the_phone_is_not():
    ticket = filed()
    service.dispatch(ticket, user("jiexian"), roles=OP, department=SHICHANG)
    service.return_(ticket, user("chengban_shichang"), roles=HANDLER, reason=f"请核实来电人 {ID_NUMBER}")
    service.reject_return(ticket, user("jiexian"), roles=OP, reason="属于本部门")
    service.sign(ticket, user("chengban_shichang"), roles=HANDLER)
    service.answer(ticket, user("chengban_shichang"), roles=HANDLER, reply=f"已联系 {ID_NUMBER} 本人")
    page = client_for("chengban_shichang").get(f"/hotline/tickets/{ticket.number}/").content.decode()
    assert ID_NUMBER not in page
    content = page.split('id="ticket-content">')[1].split("</dd>")[0]
    assert "饭店后厨卫生差" in content and "4306" in content  # masked, not dropped
    assert "请核实来电人" in page.split('id="history"')[1] and "已联系" in page.split('id="ticket-reply"')[1]
    assert PHONE in page.split('id="caller-phone">')[1].split("</dd>")[0]  # the department calls back


# ------------------------------------------------------------------------------ the knowledge base


def test_an_answer_from_the_knowledge_base_is_recorded_and_counted():
    article = Article.objects.create(
        title="社保卡补办口径", keywords="社保卡 补办", body="到市民中心社保窗口补办，当场制卡。"
    )
    client = client_for("jiexian")
    panel = client.get("/hotline/knowledge/panel/", {"q": "社保卡补办", "region": "430602"}).content.decode()
    assert f'data-answer-key="article:{article.pk}"' in panel and 'class="button kb-use"' in panel
    since = mark()
    response = client.post(
        "/hotline/",
        _form(
            category="consult",
            content="社保卡丢了怎么补办",
            resolve_now="on",
            reply="到市民中心社保窗口补办，当场制卡。",
            answered_from=f"article:{article.pk}",
        ),
    )
    assert response.status_code == 302
    ticket = new(since).get()
    assert ticket.status == "closed" and ticket.answered_from == f"article:{article.pk}"
    article.refresh_from_db()
    assert article.uses == 1


def test_a_knowledge_key_naming_nothing_is_refused_and_nothing_saved():
    since = mark()
    response = client_for("jiexian").post(
        "/hotline/",
        _form(category="consult", resolve_now="on", reply="到窗口办理", answered_from="article:999999999"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="answered_from-error"' in page and "知识库" in page
    assert not new(since).exists()


def test_the_workbench_script_is_static_and_fills_reply_and_key():
    page = client_for("jiexian").get("/hotline/").content.decode()
    assert '<script src="/static/hotline/staff.js"' in page and "<script>" not in page
    assert 'id="answered-from"' in page and 'name="answered_from"' in page
    assert 'hx-include="#region"' in page
