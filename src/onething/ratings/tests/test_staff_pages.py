"""The staff pages of 好差评: 差评整改 (list with filters, one rectification with its forms),
申诉复核 (queue, decision), 我收到的评价. Anonymous: the login page; outside scope: 404. The
rater's name and phone only for the unit (the return call) and the reviewers, never for the
rated clerk; personal numbers in free text masked; a refused action is a message on the page
and writes nothing; the desks link to the pages."""

from __future__ import annotations

import pytest
from django.test import Client

from onething.accounts.models import StaffRole, User
from onething.audit.models import AuditRecord
from onething.cases.tests.conftest import at
from onething.ratings import appeals
from onething.ratings.machines import UNIT
from onething.ratings.models import Appeal, Rating, Rectification
from onething.ratings.tests.test_rectifications import UNIT_ADMIN, bad_rating, rect_of

pytestmark = pytest.mark.django_db

R = Rectification.Status
#: the rater's own phone (张三's account) and a phone and an ID number typed into the comment
RATER_PHONE = "13800000001"
COMMENT = "等了很久，请回电13912345678，身份证430602199001011235"


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def rect():
    return rect_of(bad_rating(comment=COMMENT))


def _url(rect, action=""):
    return f"/ratings/rectifications/{rect.pk}/" + (f"{action}/" if action else "")


def test_the_unit_sees_its_list_and_the_rater_to_call_back(rect):
    unit = client_for(UNIT_ADMIN)
    page = html(unit.get("/ratings/rectifications/"))
    assert f'id="rect-{rect.pk}"' in page and "新生儿出生" in page and "非常不满意" in page
    assert "办理时间长、超时" in page and "回访核实" in page and "2026-10-08" in page
    detail = unit.get(_url(rect))
    assert detail.status_code == 200
    body = html(detail)
    assert 'id="rater-name">张三<' in body and RATER_PHONE in body  # the return call
    # free text: the numbers the rater typed are masked for everyone but the rater
    assert "13912345678" not in body and "430602199001011235" not in body and "139****5678" in body
    assert 'id="verify-form"' in body and 'id="answer-form"' not in body and 'id="appeal-form"' in body
    assert "生成差评整改" in body  # the history


def test_filters_and_a_bad_filter_is_a_message(rect):
    unit = client_for(UNIT_ADMIN)
    assert f'id="rect-{rect.pk}"' in html(unit.get("/ratings/rectifications/?status=verifying"))
    assert f'id="rect-{rect.pk}"' not in html(unit.get("/ratings/rectifications/?status=closed"))
    assert f'id="rect-{rect.pk}"' not in html(unit.get("/ratings/rectifications/?warning=red"))
    Rectification.objects.filter(pk=rect.pk).update(warning="yellow")
    shown = html(unit.get("/ratings/rectifications/?warning=yellow"))
    assert f'id="rect-{rect.pk}"' in shown and "黄灯" in shown
    for bad in ("nope", "x" * 500, "a\x00"):
        response = unit.get("/ratings/rectifications/", {"status": bad})
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert "状态" in html(response) and f'id="rect-{rect.pk}"' in html(response)


def test_outside_scope_is_404_and_anonymous_goes_to_the_login_page(rect):
    for username in ("zhangsan", "bumen_admin", "shenpi_weijian", "chuangkou"):
        client = client_for(username)
        assert client.get(_url(rect)).status_code == 404, username
        assert client.post(_url(rect, "verify"), {"verify_note": "x", "outcome": "fix"}).status_code == 404
    assert client_for("zhangsan").get("/ratings/rectifications/").status_code == 404
    assert client_for("bumen_admin").get("/ratings/rectifications/").status_code == 200  # its own: none
    assert f'id="rect-{rect.pk}"' not in html(client_for("bumen_admin").get("/ratings/rectifications/"))
    assert client_for(UNIT_ADMIN).get("/ratings/rectifications/99999999/").status_code == 404
    assert client_for(UNIT_ADMIN).get(f"/ratings/rectifications/{2**64}/").status_code == 404
    assert client_for(UNIT_ADMIN).post(_url(rect, "explode")).status_code == 404
    anonymous = Client().get(_url(rect))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    # a supervisor of the region oversees it (and sees who rated), but has no form
    body = html(client_for("ducha").get(_url(rect)))
    assert 'id="rater-name">张三<' in body and 'id="verify-form"' not in body


def test_the_loop_through_the_forms(rect):
    unit = client_for(UNIT_ADMIN)
    response = unit.post(
        _url(rect, "verify"), {"verify_note": "已回访张三，属实", "outcome": "fix"}, follow=True
    )
    assert response.redirect_chain[-1][0] == _url(rect)
    body = html(response)
    assert "已记录回访核实" in body and "整改中" in body and 'id="answer-form"' in body
    response = unit.post(_url(rect, "answer"), {"answer": "已增加窗口人手"}, follow=True)
    assert "已答复评价人" in html(response)
    assert User.objects.get(username="zhangsan").notifications.filter(event="ratings.answer").exists()
    response = unit.post(
        _url(rect, "revisit"), {"satisfaction": "satisfied", "revisit_note": "满意"}, follow=True
    )
    body = html(response)
    assert "已记录整改回访" in body and "已办结" in body and 'id="revisit-form"' not in body
    assert Rectification.objects.get(pk=rect.pk).status == R.CLOSED


def test_a_plan_needs_its_deadline_and_a_refusal_keeps_what_was_typed(rect):
    unit = client_for(UNIT_ADMIN)
    before = AuditRecord.objects.count()
    for values, field_text in [
        ({"verify_note": "已回访", "outcome": "plan", "plan": "修订指南", "plan_due": ""}, "整改期限"),
        (
            {"verify_note": "已回访", "outcome": "plan", "plan": "修订指南", "plan_due": "2026-02-30"},
            "整改期限",
        ),
        (
            {"verify_note": "已回访", "outcome": "plan", "plan": "修订指南", "plan_due": "2020-01-01"},
            "整改期限",
        ),
        ({"verify_note": "已回访", "outcome": "maybe"}, "核实结论"),
        ({"verify_note": "长" * 5000, "outcome": "fix"}, "核实回访记录"),
        ({"verify_note": "", "outcome": "fix"}, "核实回访记录"),
    ]:
        response = unit.post(_url(rect, "verify"), values)
        assert response.status_code == 400, values
        body = html(response)
        assert field_text in body and 'class="notice notice-error"' in body, values
        assert 'id="verify-form"' in body
        if values.get("plan"):
            assert "修订指南" in body  # what was typed stays
    assert AuditRecord.objects.count() == before
    assert Rectification.objects.get(pk=rect.pk).status == R.VERIFYING


def test_nul_in_a_form_is_refused_without_a_500(rect):
    unit = client_for(UNIT_ADMIN)
    response = unit.post(_url(rect, "verify"), {"verify_note": "回访\x00", "outcome": "fix"})
    assert response.status_code == 400
    assert Rectification.objects.get(pk=rect.pk).status == R.VERIFYING


def test_an_action_the_state_refuses_is_a_message(rect):
    unit = client_for(UNIT_ADMIN)
    response = unit.post(_url(rect, "answer"), {"answer": "答复"})
    assert response.status_code == 409
    assert "不能执行" in html(response) and 'class="notice notice-error"' in html(response)


def test_the_rated_clerk_sees_the_rating_but_never_who_gave_it(rect):
    rating = rect.rating
    Rating.objects.filter(pk=rating.pk).update(staff=User.objects.get(username="chuangkou"))
    clerk = client_for("chuangkou")
    response = clerk.get("/ratings/staff/received/")
    assert response.status_code == 200
    body = html(response)
    assert "非常不满意" in body and "等了很久" in body and "整体满意度" in body
    assert "张三" not in body and RATER_PHONE not in body and "430602199001011235" not in body
    assert "13912345678" not in body  # masked in the comment too
    # and the rectification itself is not theirs to open
    assert clerk.get(_url(rect)).status_code == 404
    assert client_for("zhangsan").get("/ratings/staff/received/").status_code == 404


def test_appeal_from_the_page_and_the_reviewer_decides(rect):
    unit = client_for(UNIT_ADMIN)
    response = unit.post(
        _url(rect, "appeal"), {"ground": "mistaken", "statement": "非本单位办理"}, follow=True
    )
    body = html(response)
    assert "已提出申诉" in body and "申诉复核中，暂停计时" in body and 'id="appeal-form"' not in body
    appeal = Appeal.objects.get(rating=rect.rating)
    assert 'id="verify-form"' not in body  # the loop waits

    ducha = client_for("ducha")
    queue = html(ducha.get("/ratings/appeals/"))
    assert f'id="appeal-{appeal.pk}"' in queue and "待复核" in queue
    page = html(ducha.get(f"/ratings/appeals/{appeal.pk}/"))
    assert 'id="decide-form"' in page and "非本单位办理" in page
    bad = ducha.post(f"/ratings/appeals/{appeal.pk}/decide/", {"decision": "uphold", "decision_note": ""})
    assert bad.status_code == 400 and "复核意见" in html(bad)
    bad = ducha.post(f"/ratings/appeals/{appeal.pk}/decide/", {"decision": "perhaps", "decision_note": "x"})
    assert bad.status_code == 400
    response = ducha.post(
        f"/ratings/appeals/{appeal.pk}/decide/",
        {"decision": "uphold", "decision_note": "误评属实"},
        follow=True,
    )
    assert "申诉成立" in html(response)
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.UPHELD
    assert Rectification.objects.get(pk=rect.pk).status == R.VOIDED
    # the unit sees the outcome on the rectification
    assert "申诉成立，已撤销" in html(unit.get(_url(rect)))


def test_the_reviewer_of_the_rated_unit_is_shown_why_not(rect, make_user):
    appeal = appeals.file(
        rect.rating,
        User.objects.get(username=UNIT_ADMIN),
        roles={UNIT},
        ground="abusive",
        statement="恶意",
        now=at("2026-10-08"),
    )
    make_user(
        "dual",
        roles=[
            (StaffRole.SUPERVISOR, {"region_id": "430600"}),
            (StaffRole.APPROVER, {"department_id": rect.rating.department_id}),
        ],
    )
    dual = client_for("dual")
    page = html(dual.get(f"/ratings/appeals/{appeal.pk}/"))
    assert "被评价单位的人员不能复核本单位的申诉" in page and 'id="decide-form"' not in page
    response = dual.post(
        f"/ratings/appeals/{appeal.pk}/decide/", {"decision": "uphold", "decision_note": "成立"}
    )
    assert response.status_code == 409 and "被评价单位的人员不能复核本单位的申诉" in html(response)
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.PENDING
    # appeals are not for the unit's queue, nor for anyone outside
    assert client_for(UNIT_ADMIN).get("/ratings/appeals/").status_code == 404
    assert client_for("bumen_admin").get(f"/ratings/appeals/{appeal.pk}/").status_code == 404
    assert client_for(UNIT_ADMIN).get(f"/ratings/appeals/{appeal.pk}/").status_code == 200


def test_the_desks_link_to_the_pages():
    mine = html(client_for(UNIT_ADMIN).get("/cases/"))
    assert 'href="/ratings/rectifications/"' in mine and 'href="/ratings/appeals/"' not in mine
    board = html(client_for("ducha").get("/cases/supervisor/"))
    assert 'href="/ratings/rectifications/"' in board and 'href="/ratings/appeals/"' in board
    clerk = html(client_for("chuangkou").get("/cases/"))
    assert 'href="/ratings/staff/received/"' in clerk and 'href="/ratings/rectifications/"' not in clerk
    citizen = html(client_for("zhangsan").get("/cases/"))
    assert "/ratings/rectifications/" not in citizen and "/ratings/staff/received/" not in citizen


def test_a_window_visits_bad_rating_is_the_hall_managers(rect):
    # a 差评 of a window visit answers to the hall (its 大厅管理人员, demo account ``dating``)
    from onething.directory.models import Hall

    hall = Hall.objects.get(code="yueyang-city-hall")
    Rating.objects.filter(pk=rect.rating_id).update(department=None, hall=hall)
    Rectification.objects.filter(pk=rect.pk).update(department=None, hall=hall)
    manager = client_for("dating")
    assert f'id="rect-{rect.pk}"' in html(manager.get("/ratings/rectifications/"))
    response = manager.post(
        _url(rect, "verify"), {"verify_note": "已回访", "outcome": "explain"}, follow=True
    )
    assert "已记录回访核实" in html(response)
    assert client_for(UNIT_ADMIN).get(_url(rect)).status_code == 404
    fresh = Rectification.objects.get(pk=rect.pk)
    assert fresh.status == R.HANDLING and fresh.verified_by.username == "dating"
