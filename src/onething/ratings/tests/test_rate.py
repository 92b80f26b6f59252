"""Giving a rating: ``service.rate`` (一事一评 of a finished case, 一次一评 of a window visit) and
the citizen's pages — 评价本次服务, the window visit's rating by its ticket, 我的评价 — and
the invitations on the case page and in the result's notification.

A finished case is set up in the database (the case lifecycle is not under test here)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from onething.accounts.models import User
from onething.cases.models import Application
from onething.cases.tests.conftest import people, submit  # noqa: F401 - fixtures
from onething.core.errors import Refused
from onething.directory.models import Hall, Window
from onething.halls import queue
from onething.halls.models import Ticket
from onething.kernel.errors import Conflict, Invalid, NotFound
from onething.notifications.models import Notification
from onething.ratings import service
from onething.ratings.models import Rating, RatingFact, Rectification

pytestmark = pytest.mark.django_db

PHONE_UA = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
LEVELS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")


# ------------------------------------------------------------------------------ set-up helpers


def finish(app: Application, status: str = "result_ready", days_ago: int = 0) -> Application:
    """The case's results are out (set in the database: the lifecycle is not under test)."""
    decided = timezone.now() - dt.timedelta(days=days_ago)
    Application.objects.filter(pk=app.pk).update(status=status, decided_at=decided)
    return Application.objects.get(pk=app.pk)


def client_for(username: str | None = None, **headers) -> Client:
    client = Client(headers=headers) if headers else Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def text(response) -> str:
    return response.content.decode()


def city() -> Hall:
    return Hall.objects.get(code="yueyang-city-hall")


def kiosk_ticket(**kw) -> Ticket:
    return queue.issue(User.objects.get(username="quhao"), city(), "zonghe", **kw)


def done_ticket(**kw) -> Ticket:
    ticket = kiosk_ticket(**kw)
    clerk = User.objects.get(username="chuangkou")
    queue.call_next(clerk, Window.objects.get(code="yy-1"))
    return queue.finish(clerk, ticket.pk)


def facts(dim: str = "all", key: str = "") -> dict:
    rows = RatingFact.objects.filter(dim=dim, key=key)
    return {m: sum(getattr(r, m) for r in rows) for m in ("ratings", "given", "defaulted", "good", "bad")}


@pytest.fixture
def finished(submit):  # noqa: F811
    return finish(submit())


# ------------------------------------------------------------------------------ the service


def test_a_good_rating_of_a_finished_case(finished, people):  # noqa: F811
    rating = service.rate(
        people["zhangsan"],
        application=finished,
        channel="web",
        score=5,
        indicators={"overall": 5, "efficiency": "4", "guide": ""},
        comment="  很方便  ",
    )
    first = finished.subcases.order_by("pk").first()
    assert rating.source == "given" and rating.rater == people["zhangsan"] and rating.ticket is None
    assert rating.indicators == {"overall": 5, "efficiency": 4} and rating.comment == "很方便"
    assert (rating.department_id, rating.item_code) == (first.department_id, first.item_code)
    assert rating.service_code == finished.code and rating.region_id == finished.region_id
    assert not Rectification.objects.exists()
    assert facts() == {"ratings": 1, "given": 1, "defaulted": 0, "good": 1, "bad": 0}
    assert facts("item", first.item_code)["good"] == 1


def test_a_bad_rating_needs_its_reason_and_opens_the_rectification(finished, people):  # noqa: F811
    zhang = people["zhangsan"]
    with pytest.raises(Invalid) as refused:
        service.rate(zhang, application=finished, channel="web", score=2)
    assert refused.value.field == "bad_reason"
    with pytest.raises(Invalid) as refused:
        service.rate(zhang, application=finished, channel="web", score=1, bad_reason="other")
    assert refused.value.field == "reason_text"
    assert not Rating.objects.exists()
    rating = service.rate(
        zhang, application=finished, channel="web", score=2, bad_reason="slow", reason_text="等了很久"
    )
    rect = Rectification.objects.get(rating=rating)
    assert rect.status == "verifying" and rect.stage == "verify" and rect.due_date is not None
    assert rect.department_id == rating.department_id
    assert facts()["bad"] == 1 and facts()["good"] == 0


def test_once_per_channel_only_for_the_applicant_and_only_when_finished(submit, people):  # noqa: F811
    app = submit()
    zhang = people["zhangsan"]
    with pytest.raises(Conflict, match="出结果后才能评价"):
        service.rate(zhang, application=app, channel="web", score=5)
    app = finish(app, "delivered")
    with pytest.raises(NotFound):
        service.rate(people["lisi"], application=app, channel="web", score=5)
    with pytest.raises(NotFound):
        service.find_application(app.number, people["lisi"])
    service.rate(zhang, application=app, channel="web", score=4)
    with pytest.raises(Conflict, match="不能重复评价"):
        service.rate(zhang, application=app, channel="web", score=1, bad_reason="slow")
    service.rate(zhang, application=app, channel="mobile", score=3)  # another channel, its own rating
    assert Rating.objects.filter(application=app).count() == 2


def test_a_rating_may_name_the_step_of_a_bundle(finished, people):  # noqa: F811
    subs = list(finished.subcases.order_by("pk"))
    assert len(subs) >= 2
    last = subs[-1]
    with pytest.raises(Invalid) as refused:
        service.rate(people["zhangsan"], application=finished, channel="web", score=5, subcase="NO-SUCH-SUB")
    assert refused.value.field == "subcase"
    rating = service.rate(
        people["zhangsan"], application=finished, channel="web", score=5, subcase=last.number
    )
    assert rating.subcase == last and rating.department_id == last.department_id


@pytest.mark.parametrize(
    "values",
    [
        {"score": 0},
        {"score": 6},
        {"score": "abc"},
        {"score": None},
        {"score": True},
        {"score": "9" * 40},
        {"score": 5, "channel": "fax"},
        {"score": 5, "indicators": ["overall"]},
        {"score": 5, "indicators": {"attitude": 5}},  # an on-site indicator, online
        {"score": 5, "indicators": {"overall": 9}},
        {"score": 5, "comment": "好" * 501},
        {"score": 2, "bad_reason": "nonsense"},
    ],
)
def test_bad_values_are_refused_naming_the_field(finished, people, values):  # noqa: F811
    values = {"channel": "web", **values}
    with pytest.raises(Refused):
        service.rate(people["zhangsan"], application=finished, **values)
    assert not Rating.objects.exists()


# ------------------------------------------------------------------------------ 一事一评 page


def test_the_case_page_is_the_applicants_only(finished):
    url = f"/ratings/cases/{finished.number}/"
    response = client_for().get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client_for("lisi").get(url).status_code == 404
    assert client_for("chuangkou").get(url).status_code == 404
    assert client_for("zhangsan").get("/ratings/cases/NO-SUCH-NUMBER/").status_code == 404
    assert client_for("zhangsan").get("/ratings/cases/" + "9" * 300 + "/").status_code == 404


def test_not_finished_shows_a_message_and_no_form(submit):  # noqa: F811
    app = submit()
    page = text(client_for("zhangsan").get(f"/ratings/cases/{app.number}/"))
    assert "办件出结果后才能评价" in page and 'id="rate-form"' not in page
    response = client_for("zhangsan").post(f"/ratings/cases/{app.number}/", {"score": "5"})
    assert response.status_code == 302 and not Rating.objects.exists()


def test_the_form_offers_levels_indicators_reasons_and_steps(finished):
    page = text(client_for("zhangsan").get(f"/ratings/cases/{finished.number}/"))
    assert finished.name in page and finished.number in page
    assert all(f'value="{s}"' in page for s in range(1, 6)) and all(w in page for w in LEVELS)
    for label in ("整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性"):
        assert label in page
    assert 'name="ind_attitude"' not in page  # on-site only
    assert "办理时间长、超时" in page and "差评说明" in page
    assert 'name="subcase"' in page and "评价环节" in page
    assert "网上办" in page


def test_a_bad_rating_on_the_page_without_reason_keeps_the_values(finished):
    client = client_for("zhangsan")
    url = f"/ratings/cases/{finished.number}/"
    response = client.post(url, {"score": "2", "comment": "排队太久", "ind_overall": "2"})
    page = text(response)
    assert response.status_code == 400 and "差评请选择原因" in page
    assert 'value="2" checked' in page and "排队太久" in page and 'value="2" selected' in page
    response = client.post(url, {"score": "2", "bad_reason": "slow", "comment": "排队太久"})
    page = text(response)
    assert response.status_code == 400 and "差评请填写说明" in page and 'value="slow" checked' in page
    assert not Rating.objects.exists()
    response = client.post(
        url,
        {"score": "2", "bad_reason": "slow", "reason_text": "超过承诺时限", "comment": "排队太久"},
        follow=True,
    )
    page = text(response)
    rating = Rating.objects.get()
    assert rating.channel == "web" and rating.reason == "slow" and rating.reason_text == "超过承诺时限"
    assert "感谢您的评价" in page and "差评整改进度" in page and "待核实" in page and "回访核实" in page
    assert 'id="rate-form"' not in page


def test_a_phone_rates_on_the_mobile_channel_and_once(finished):
    client = client_for("zhangsan", user_agent=PHONE_UA)
    url = f"/ratings/cases/{finished.number}/"
    assert "掌上办" in text(client.get(url))
    response = client.post(url, {"score": "5", "ind_overall": "5"}, follow=True)
    assert "感谢您的评价" in text(response)
    assert Rating.objects.get().channel == "mobile"
    page = text(client.post(url, {"score": "1", "bad_reason": "slow", "reason_text": "x"}, follow=True))
    assert "不能重复评价" in page and "您已评价" in page and Rating.objects.get().score == 5
    # on the web (a computer) the same case may still be rated: one rating per channel
    assert 'id="rate-form"' in text(client_for("zhangsan").get(url))


@pytest.mark.parametrize(
    "form",
    [
        {"score": "abc"},
        {"score": "6"},
        {"score": "\x00"},
        {"score": "9" * 40},
        {},
        {"score": "5", "comment": "好" * 501},
        {"score": "5", "comment": "a\x00b"},
        {"score": "5", "ind_overall": "x"},
        {"score": "5", "ind_overall": "0"},
        {"score": "5", "subcase": "NOPE"},
        {"score": "5", "subcase": "\x00" * 3},
        {"score": "1", "bad_reason": "x" * 500, "reason_text": "y"},
        {"score": "1", "bad_reason": "slow", "reason_text": "y" * 1000},
    ],
)
def test_bad_input_on_the_case_page_is_a_message(finished, form):
    response = client_for("zhangsan").post(f"/ratings/cases/{finished.number}/", form)
    assert response.status_code in (400, 200)
    assert not Rating.objects.exists()


# ------------------------------------------------------------------------------ 一次一评 page


def test_rating_once_only_after_done():
    ticket = kiosk_ticket()
    with pytest.raises(Conflict):
        service.rate(None, ticket=ticket, holder=True, channel="window", score=5)
    response = client_for().post(f"/ratings/tickets/{ticket.token}/", {"score": "5"}, follow=True)
    assert "办结后才能评价" in text(response) and not Rating.objects.exists()
    clerk = User.objects.get(username="chuangkou")
    queue.call_next(clerk, Window.objects.get(code="yy-1"))
    queue.finish(clerk, ticket.pk)
    page = text(client_for().get(f"/ratings/tickets/{ticket.token}/"))
    assert all(word in page for word in LEVELS)
    assert all(label in page for label in ("服务效率", "服务水平", "服务态度")) and "平台操作性" not in page
    response = client_for().post(
        f"/ratings/tickets/{ticket.token}/",
        {"score": "4", "comment": "很好", "ind_attitude": "5"},
        follow=True,
    )
    rating = Rating.objects.get()
    assert (rating.score, rating.comment, rating.channel) == (4, "很好", "window")
    assert rating.indicators == {"attitude": 5} and rating.rater is None and "感谢您的评价" in text(response)
    assert rating.hall == city() and rating.window.code == "yy-1"
    assert rating.staff.username == "chuangkou"
    second = client_for().post(f"/ratings/tickets/{ticket.token}/", {"score": "1"}, follow=True)
    assert "不能重复评价" in text(second) and Rating.objects.get().score == 4
    with pytest.raises(Conflict, match="不能重复评价"):
        service.rate(None, ticket=ticket, holder=True, channel="window", score=2, bad_reason="slow")


@pytest.mark.parametrize(
    "form",
    [
        {"score": "6"},
        {"score": "0"},
        {"score": "abc"},
        {"score": "\x00"},
        {"score": "9" * 40},
        {},
        {"score": "5", "comment": "好" * 501},
        {"score": "5", "comment": "a\x00b"},
        {"score": "5", "ind_attitude": "7"},
        {"score": "2"},
    ],
)
def test_rating_refuses_bad_input_with_a_message(form):
    ticket = done_ticket()
    response = client_for().post(f"/ratings/tickets/{ticket.token}/", form, follow=True)
    assert response.status_code in (200, 400)
    assert not Rating.objects.exists()


def test_rate_refuses_bad_scores_as_invalid():
    ticket = done_ticket()
    for score in (0, 6, "x", None, True):
        with pytest.raises(Refused):
            service.rate(None, ticket=ticket, holder=True, channel="window", score=score)
    with pytest.raises(Invalid):
        service.rate(
            None, ticket=ticket, holder=True, channel="web", score=5
        )  # a visit is rated at the window
    assert not Rating.objects.exists()


def test_the_ticket_page_needs_the_token_and_shows_no_personal_data(people):  # noqa: F811
    zhang = people["zhangsan"]
    ticket = done_ticket(id_number=zhang.id_number, name=zhang.real_name)
    assert ticket.person_id == zhang.pk
    page = text(client_for().get(f"/ratings/tickets/{ticket.token}/"))
    assert ticket.number in page and zhang.real_name not in page and zhang.id_number not in page
    assert client_for().get("/ratings/tickets/not-a-real-token-at-all/").status_code == 404
    assert client_for().get("/ratings/tickets/" + "a" * 500 + "/").status_code == 404
    with pytest.raises(NotFound):
        service.rate(people["lisi"], ticket=ticket, channel="window", score=5)  # not the holder, no token
    # the holder signed in: the rating is theirs (and shows in 我的评价)
    client_for("zhangsan").post(f"/ratings/tickets/{ticket.token}/", {"score": "5"})
    assert Rating.objects.get().rater == zhang
    page = text(client_for("zhangsan").get("/ratings/mine/"))
    assert "窗口服务：综合受理" in page and "非常满意" in page


def test_the_halls_ticket_page_links_here_once_done():
    ticket = done_ticket()
    page = text(client_for().get(f"/halls/ticket/{ticket.token}/"))
    assert f'href="/ratings/tickets/{ticket.token}/"' in page and "评价本次窗口服务" in page


# ------------------------------------------------------------------------------ 我的评价


def test_mine_lists_ratings_progress_answers_and_what_waits(submit, people):  # noqa: F811
    zhang = people["zhangsan"]
    rated, waiting = finish(submit()), finish(submit(), "closed")
    assert client_for().get("/ratings/mine/").status_code == 302
    page = text(client_for("zhangsan").get("/ratings/mine/"))
    assert page.count("去评价") == 2 and f'href="/ratings/cases/{rated.number}/"' in page
    rating = service.rate(
        zhang, application=rated, channel="web", score=1, bad_reason="attitude", reason_text="态度差"
    )
    Rectification.objects.filter(rating=rating).update(
        answer="已对窗口人员批评教育", answered_at=timezone.now(), verified_at=timezone.now()
    )
    page = text(client_for("zhangsan").get("/ratings/mine/"))
    assert "非常不满意" in page and "服务态度不好" in page and "已对窗口人员批评教育" in page
    assert "差评整改进度" in page and rated.name in page
    assert page.count("去评价") == 1 and f'href="/ratings/cases/{waiting.number}/"' in page
    assert "已对窗口人员批评教育" not in text(client_for("lisi").get("/ratings/mine/"))


# ------------------------------------------------------------------------------ invitations


def test_the_case_page_invites_the_rating_once_the_results_are_out(submit):  # noqa: F811
    app = submit()
    url = f"/cases/{app.number}/"
    link = f'href="/ratings/cases/{app.number}/"'
    assert link not in text(client_for("zhangsan").get(url))
    finish(app)
    page = text(client_for("zhangsan").get(url))
    assert link in page and "评价本次服务" in page
    assert link not in text(client_for("ducha").get(url))  # the supervisor sees the case, not the link


def test_the_result_notification_invites_the_rating(submit, people):  # noqa: F811
    from onething.cases import lifecycle

    app = submit()
    Application.objects.filter(pk=app.pk).update(status="decided", decided_at=timezone.now())
    lifecycle.result_ready(Application.objects.get(pk=app.pk), people["chuangkou"], method="window")
    note = Notification.objects.get(recipient=people["zhangsan"], event="case.result_ready")
    assert "办理结果已制作" in note.title and f"/ratings/cases/{app.number}/" in note.body


def test_the_progress_the_rater_sees_follows_the_status():
    from onething.ratings.pages.citizen import progress

    now = timezone.now()

    def steps(**fields):
        shown = progress(Rectification(**fields))["steps"]
        return [("done" if s["done"] else "") + ("current" if s["current"] else "") for s in shown]

    assert steps(status="verifying") == ["current", "", "", ""]
    assert steps(status="handling", verified_at=now) == ["done", "current", "", ""]
    assert steps(status="answered", verified_at=now, answered_at=now) == ["done", "done", "current", ""]
    # unsatisfied at the return visit: back to 整改并答复
    reopened = dict(verified_at=now, answered_at=now, revisited_at=now, reopened=1)
    assert steps(status="handling", **reopened) == ["done", "current", "", ""]
    assert steps(status="closed", closed_at=now, **reopened) == ["done"] * 4
    assert steps(status="voided", verified_at=now) == ["done", "", "", ""]
