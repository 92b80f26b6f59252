"""The caller's pages of 12345 through the test client: filing online (the code shown once,
refusals at their fields with nothing saved), 我的诉求, following by number and lookup code
(wrong codes, throttling, no peeking at another ticket), the public-safe page and the rating."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from onething.accounts.models import User
from onething.cases.tests.conftest import people, submit  # noqa: F401 - fixtures
from onething.hotline import intake, service
from onething.hotline.models import Ticket
from onething.hotline.pages.citizen import FOLLOW_LIMIT, SESSION_VERIFIED

pytestmark = pytest.mark.django_db

ID_NUMBER = "430602199001011234"


@pytest.fixture(autouse=True)
def created():
    """The tickets made by the test (the baseline holds demo tickets of its own)."""
    last = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return lambda: Ticket.objects.filter(pk__gt=last).order_by("pk")


def user(name: str) -> User:
    return User.objects.get(username=name)


@pytest.fixture
def zhangsan(client):
    client.force_login(user("zhangsan"))
    return user("zhangsan")


def form(**over) -> dict:
    data = {"category": "complaint", "region": "430602", "content": "窗口工作人员态度冷漠", "phone": ""}
    data.update(over)
    return data


def file_for(person: User | None, **over) -> intake.Filed:
    data = {"category": "complaint", "channel": "web", "content": "排队太久", "region": "430602"}
    data.update(over)
    return intake.file(data, actor=person, role="caller")


def finished(filed: intake.Filed, reply: str = "已约谈窗口负责人，加强服务培训") -> Ticket:
    """Dispatched to 人社, signed, answered and finished — the staff's part, by the functions."""
    operator, handler = user("jiexian"), user("chengban_renshe")
    dept = handler.staff_roles.get().department
    t = service.dispatch(filed.ticket, operator, roles={"operator"}, department=dept.pk)
    t = service.sign(t, handler, roles={"handler"})
    t = service.answer(t, handler, roles={"handler"}, reply=reply)
    return service.finish(t, operator, roles={"operator"})


def follow(client, number: str, code: str):
    return client.post("/hotline/follow/", {"number": number, "code": code})


# ------------------------------------------------------------------------------ 在线反映


def test_filing_needs_an_account(client):
    response = client.get("/hotline/new/?application=X")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/hotline/new/")


def test_the_form_prefills_phone_and_case_and_lists_what_is_not_taken(client, zhangsan):
    page = client.get("/hotline/new/?application=YY-123").content.decode()
    assert f'value="{zhangsan.phone}"' in page and 'value="YY-123"' in page
    assert "涉诉事项" in page and "12388" in page
    assert "办不成事" in page and "可以匿名" in page
    assert 'value="430602"' in page and 'name="web"' not in page


def test_filing_online_creates_the_ticket_and_shows_the_code_once(client, zhangsan, created):
    before = timezone.now()
    response = client.post("/hotline/new/", form())
    assert response.status_code == 302 and response["Location"] == "/hotline/new/done/"
    ticket = created().get()
    assert ticket.caller == zhangsan and ticket.channel == "web" and ticket.category == "complaint"
    assert before <= ticket.received_at <= timezone.now() + dt.timedelta(seconds=1)
    assert ticket.caller_phone == zhangsan.phone and ticket.status == "received"

    page = client.get("/hotline/new/done/").content.decode()
    code = re.search(r'id="lookup-code">([A-Z0-9]{6})<', page).group(1)
    assert ticket.number in page and "只显示这一次" in page and "不登录" in page
    assert ticket.finish_due.strftime("%Y年%-m月%-d日") in page
    assert service.follow(ticket.number, code).pk == ticket.pk
    again = client.get("/hotline/new/done/").content.decode()
    assert ticket.number in again and code not in again and "不再显示" in again


def test_a_phone_files_on_the_mobile_channel(client, zhangsan, created):
    client.post(
        "/hotline/new/", form(), headers={"user-agent": "Mozilla/5.0 (Linux; Android 14) Mobile Safari"}
    )
    assert created().get().channel == "mobile"


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"content": ""}, "content", "诉求内容"),
        ({"category": ""}, "category", "诉求类型"),
        ({"category": "rumour"}, "category", "诉求类型"),
        ({"region": ""}, "region", "所属区划"),
        ({"region": "999999"}, "region", "999999"),
        ({"phone": "call me"}, "phone", "联系电话"),
        ({"anonymous": "1"}, "anonymous", "只有举报可以匿名"),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(client, zhangsan, over, field, words, created):
    response = client.post("/hotline/new/", form(**over))
    page = response.content.decode()
    assert response.status_code == 400
    assert words in re.search(r'<p class="error" role="alert" id="form-error">(.*?)</p>', page).group(1)
    assert invalid(page, field)
    assert not created().exists()
    if "content" not in over:  # what was typed is kept
        assert ">窗口工作人员态度冷漠</textarea>" in page


def invalid(page: str, field: str) -> bool:
    """The field is marked as the one refused (its input, or the category's fieldset)."""
    if field == "category":
        return "hotline-categories invalid" in page
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field}"[^>]*>', page).group(0)
    return 'aria-invalid="true"' in tag


def test_an_anonymous_report_keeps_no_caller(client, zhangsan, created):
    client.post("/hotline/new/", form(category="report", anonymous="1", content="某店无证经营"))
    ticket = created().get()
    assert (
        ticket.anonymous and ticket.caller is None and ticket.caller_phone == "" and ticket.caller_name == ""
    )
    page = client.get("/hotline/new/done/").content.decode()
    assert re.search(r'id="lookup-code">[A-Z0-9]{6}<', page) and "匿名举报" in page
    assert client.get(f"/hotline/follow/{ticket.number}/").status_code == 200  # this session filed it
    assert ticket.number not in client.get("/hotline/mine/").content.decode()


def test_only_the_persons_own_case_is_accepted(client, submit, created):  # noqa: F811
    own = submit()
    client.force_login(user("lisi"))
    response = client.post("/hotline/new/", form(application=own.number))
    assert response.status_code == 400 and f"未找到办件“{own.number}”" in response.content.decode()
    assert not created().exists()

    client.force_login(user("zhangsan"))
    assert client.post("/hotline/new/", form(application=own.number)).status_code == 302
    ticket = created().get()
    assert ticket.application == own and ticket.item_name == own.name


def test_the_case_page_links_to_the_form_with_the_case(client, submit):  # noqa: F811
    app = submit()
    client.force_login(user("zhangsan"))
    page = client.get(f"/cases/{app.number}/").content.decode()
    assert f'href="/hotline/new/?application={app.number}"' in page and "对办理有意见？反映问题" in page


def test_the_footer_links_to_the_pages(client):
    page = client.get("/").content.decode()
    assert 'href="/hotline/new/">在线反映</a>' in page and 'href="/hotline/follow/">查询进度</a>' in page
    assert 'href="tel:12345"' in page


# ------------------------------------------------------------------------------ 我的诉求


def test_mine_lists_only_own_tickets_newest_first(client, zhangsan):
    older = file_for(zhangsan, content="第一件").ticket
    newer = file_for(zhangsan, content="第二件").ticket
    other = file_for(user("lisi"), content="李四的诉求").ticket
    Ticket.objects.filter(pk=older.pk).update(received_at=timezone.now() - dt.timedelta(days=1))
    page = client.get("/hotline/mine/").content.decode()
    assert other.number not in page and "李四的诉求" not in page
    assert page.index(newer.number) < page.index(older.number)
    assert "已受理，待派单" in page and newer.finish_due.isoformat() in page
    assert f'href="/hotline/follow/{newer.number}/"' in page


def test_mine_needs_an_account(client):
    assert client.get("/hotline/mine/").status_code == 302


# ------------------------------------------------------------------------------ 查询进度


def test_a_wrong_code_is_a_message_not_an_error(client):
    filed = file_for(user("zhangsan"))
    response = follow(client, filed.ticket.number, "AAAAAA")
    assert response.status_code == 200 and "工单编号或查询码不正确" in response.content.decode()
    response = follow(client, "12345-20990101-000001", filed.lookup_code)
    assert response.status_code == 200 and "工单编号或查询码不正确" in response.content.decode()
    response = follow(client, "", "")
    assert response.status_code == 200 and "工单编号" in response.content.decode()
    assert SESSION_VERIFIED not in client.session


def test_the_right_code_leads_to_the_page_with_its_status(client):
    filed = file_for(user("zhangsan"))
    number = filed.ticket.number
    response = follow(client, number, filed.lookup_code.lower())
    assert response.status_code == 302 and response["Location"] == f"/hotline/follow/{number}/"
    page = client.get(response["Location"]).content.decode()
    assert number in page and "已受理，待派单" in page and "投诉" in page and "受理" in page
    assert filed.ticket.finish_due.isoformat() in page
    assert client.session[SESSION_VERIFIED] == [number]


def test_another_ticket_is_not_shown_without_its_code(client):
    mine = file_for(user("zhangsan"))
    theirs = file_for(user("lisi"), content="李四的诉求")
    follow(client, mine.ticket.number, mine.lookup_code)
    response = client.get(f"/hotline/follow/{theirs.ticket.number}/")
    assert response.status_code == 302 and response["Location"] == "/hotline/follow/"
    assert client.get("/hotline/follow/12345-20990101-000001/").status_code == 302
    client.force_login(user("zhangsan"))  # signed in, yet not lisi's
    assert client.get(f"/hotline/follow/{theirs.ticket.number}/").status_code == 302
    assert client.post(f"/hotline/follow/{theirs.ticket.number}/", {"score": "5"}).status_code == 302


def test_the_owner_signed_in_follows_without_the_code(client, zhangsan):
    filed = file_for(zhangsan)
    response = client.get(f"/hotline/follow/{filed.ticket.number}/")
    assert response.status_code == 200 and filed.ticket.number in response.content.decode()


def test_the_progress_is_public_safe_and_the_reply_masks_id_numbers(client):
    filed = file_for(user("zhangsan"))
    operator, handler = user("jiexian"), user("chengban_renshe")
    dept = handler.staff_roles.get().department
    t = service.dispatch(
        filed.ticket, operator, roles={"operator"}, department=dept.pk, note_text="内部备注甲"
    )
    t = service.return_(t, handler, roles={"handler"}, reason="不属于本部门职责乙")
    t = service.reject_return(t, operator, roles={"operator"}, reason="属于人社职责丙")
    t = service.sign(t, handler, roles={"handler"})
    t = service.answer(t, handler, roles={"handler"}, reply=f"经核实，身份证 {ID_NUMBER} 的社保已补缴")
    service.finish(t, operator, roles={"operator"})
    follow(client, filed.ticket.number, filed.lookup_code)
    page = client.get(f"/hotline/follow/{filed.ticket.number}/").content.decode()
    assert ID_NUMBER not in page and "4306" in page and "的社保已补缴" in page
    for secret in ("内部备注甲", "不属于本部门职责乙", "属于人社职责丙", "退单", "接线", "承办人", "人社"):
        assert secret not in page.split("<main", 1)[1], secret
    progress = re.search(r'<ol class="steps" id="progress">(.*?)</ol>', page, re.S).group(1)
    assert re.findall(r"<strong>(.+?)</strong>", progress) == ["受理", "派单", "签收", "答复", "办结"]
    assert "已办结" in page


def test_an_unfinished_ticket_shows_no_reply_and_no_rating(client):
    filed = file_for(user("zhangsan"))
    follow(client, filed.ticket.number, filed.lookup_code)
    page = client.get(f"/hotline/follow/{filed.ticket.number}/").content.decode()
    assert 'id="rate-form"' not in page and 'id="reply"' not in page
    response = client.post(f"/hotline/follow/{filed.ticket.number}/", {"score": "5"}, follow=True)
    assert "不能" in response.content.decode() or "评价" in response.content.decode()
    assert Ticket.objects.get(pk=filed.ticket.pk).score is None


# ------------------------------------------------------------------------------ rating


def test_rating_once_then_refused_with_a_message(client):
    filed = file_for(user("zhangsan"))
    finished(filed)
    number = filed.ticket.number
    follow(client, number, filed.lookup_code)
    page = client.get(f"/hotline/follow/{number}/").content.decode()
    assert 'id="rate-form"' in page and "已约谈窗口负责人" in page
    for words in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f"<span>{words}</span>" in page

    response = client.post(f"/hotline/follow/{number}/", {"score": "4", "comment": "答复及时"}, follow=True)
    page = response.content.decode()
    assert "感谢您的评价" in page and 'id="rate-form"' not in page and "答复及时" in page
    ticket = Ticket.objects.get(pk=filed.ticket.pk)
    assert ticket.score == 4 and ticket.rating_comment == "答复及时" and ticket.rated_at

    response = client.post(f"/hotline/follow/{number}/", {"score": "1", "comment": "改主意了"}, follow=True)
    assert "不能重复评价" in response.content.decode()
    assert Ticket.objects.get(pk=filed.ticket.pk).score == 4


def test_a_one_star_rating_needs_a_comment(client):
    filed = file_for(user("zhangsan"))
    finished(filed)
    number = filed.ticket.number
    follow(client, number, filed.lookup_code)
    response = client.post(f"/hotline/follow/{number}/", {"score": "1", "comment": ""})
    page = response.content.decode()
    assert response.status_code == 400 and "不满意时请写明原因" in page
    assert 'value="1" checked' in page  # the choice is kept
    assert Ticket.objects.get(pk=filed.ticket.pk).score is None
    response = client.post(f"/hotline/follow/{number}/", {"score": "9"})
    assert response.status_code == 400 and Ticket.objects.get(pk=filed.ticket.pk).score is None


def test_the_signed_in_caller_rates_as_themselves(client, zhangsan):
    filed = file_for(zhangsan)
    finished(filed)
    client.post(f"/hotline/follow/{filed.ticket.number}/", {"score": "5"})
    assert Ticket.objects.get(pk=filed.ticket.pk).score == 5


def test_a_merged_ticket_says_so_and_is_rated_on_its_own(client):
    from onething.hotline import merging

    operator = user("jiexian")
    primary = file_for(user("lisi"), content="同一路口红绿灯坏了")
    member = file_for(user("zhangsan"), content="路口红绿灯不亮")
    merging.merge(primary.ticket, [member.ticket.number], operator, roles={"operator"}, reason="同一问题")
    follow(client, member.ticket.number, member.lookup_code)
    page = client.get(f"/hotline/follow/{member.ticket.number}/").content.decode()
    assert "已与同类诉求合并办理" in page and primary.ticket.number not in page

    finished(primary, reply="已修复信号灯")
    page = client.get(f"/hotline/follow/{member.ticket.number}/").content.decode()
    assert "已与同类诉求合并办理" in page and "已修复信号灯" in page and 'id="rate-form"' in page
    client.post(f"/hotline/follow/{member.ticket.number}/", {"score": "3"})
    assert Ticket.objects.get(pk=member.ticket.pk).score == 3
    assert Ticket.objects.get(pk=primary.ticket.pk).score is None


# ------------------------------------------------------------------------------ throttling


def test_ten_failures_refuse_the_form_even_the_right_code(client):
    filed = file_for(user("zhangsan"))
    for _ in range(FOLLOW_LIMIT):
        assert follow(client, filed.ticket.number, "WRONG2").status_code == 200
    response = follow(client, filed.ticket.number, filed.lookup_code)
    assert response.status_code == 429 and "查询失败次数过多" in response.content.decode()
    assert int(response["Retry-After"]) > 0 and SESSION_VERIFIED not in client.session


def test_the_address_is_throttled_across_sessions(client, django_user_model):
    from django.test import Client

    filed = file_for(user("zhangsan"))
    for _ in range(FOLLOW_LIMIT):
        Client().post("/hotline/follow/", {"number": filed.ticket.number, "code": "WRONG2"})  # fresh sessions
    response = follow(client, filed.ticket.number, filed.lookup_code)
    assert response.status_code == 429


def test_failures_age_out_after_the_window(client, monkeypatch):
    from onething.hotline.pages import citizen

    filed = file_for(user("zhangsan"))
    for _ in range(FOLLOW_LIMIT):
        follow(client, filed.ticket.number, "WRONG2")
    assert follow(client, filed.ticket.number, filed.lookup_code).status_code == 429
    later = timezone.now() + citizen.FOLLOW_WINDOW + dt.timedelta(seconds=5)
    monkeypatch.setattr(citizen, "_clock", lambda: later)
    assert follow(client, filed.ticket.number, filed.lookup_code).status_code == 302
