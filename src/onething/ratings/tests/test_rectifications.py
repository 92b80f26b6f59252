"""差评整改 through the functions: a 差评 opens the loop; 核实 with each outcome (fix, plan,
explain), 答复 (the rater is told), 回访 — 满意 closes it, 不满意 sends it back to handling on a
new answer clock. The projection follows (整改应办, 按时整改, 回访) and equals a rebuild; bad
input names its field and writes nothing; roles and states are the engine's (403 / 409).

The helpers at the top (a finished application, a 差评 of it, the people) are shared by the
other loop tests of this app (``test_appeals``, ``test_loop_clocks``, ``test_staff_pages``,
``test_rect_api``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest
from django.db.models import Sum
from django.utils import timezone

from onething.accounts.models import User
from onething.audit.log import history
from onething.audit.models import AuditRecord
from onething.cases.models import Application
from onething.cases.tests.conftest import ANSWERS, BUNDLE, FORM, at
from onething.clocks import service as clocks
from onething.core.errors import Refused, status_of
from onething.kernel.errors import NotPermitted
from onething.notifications.models import Notification
from onething.ratings import deadlines, projection, rectifications, rules
from onething.ratings.machines import REVIEWER, UNIT
from onething.ratings.models import Rating, RatingFact, Rectification
from onething.workflow.engine import IllegalTransition

pytestmark = pytest.mark.django_db

R = Rectification.Status
#: the 新生儿出生 application's first sub-case is 卫健's: its 部门管理员 answers for the 差评
UNIT_ADMIN = "shuju_weijian"
PEOPLE = ("zhangsan", "lisi", UNIT_ADMIN, "shenpi_weijian", "ducha", "admin", "bumen_admin", "chuangkou")
MEASURES = ("ratings", "given", "bad", "score_sum", "rect_due", "rect_on_time", "revisited")

_keys = itertools.count(1)


def people() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=PEOPLE)}


def finished_application(person: User, decided: dt.datetime) -> Application:
    """A 新生儿出生 application of ``person`` with its result out at ``decided`` (ratings does
    not test the case lifecycle: the status is set directly)."""
    from onething.cases import intake

    plan = intake.load_plan("bundle", BUNDLE, ANSWERS)
    asked = {f.element for f in plan.form}
    form = {k: v for k, v in intake.flatten(FORM).items() if k in asked}
    app = intake.submit(
        person,
        kind="bundle",
        code=BUNDLE,
        answers=ANSWERS,
        form=form,
        idempotency_key=f"ratings-loop-{next(_keys)}",
        now=decided - dt.timedelta(days=1),
    ).application
    Application.objects.filter(pk=app.pk).update(status=Application.Status.RESULT_READY, decided_at=decided)
    return Application.objects.get(pk=app.pk)


def bad_rating(
    now: dt.datetime | None = None,
    *,
    person: str = "zhangsan",
    score: int = 1,
    reason: str = "slow",
    comment: str = "等了很久，超过了承诺时间",
    channel: str = "web",
    application: Application | None = None,
) -> Rating:
    """A 差评 of a finished application (``application``, else a new one), given at ``now``
    (its rectification opened)."""
    from onething.ratings import service

    now = now or at("2026-09-30")
    rater = User.objects.get(username=person)
    app = application or finished_application(rater, now - dt.timedelta(hours=2))
    return service.rate(
        rater,
        application=app,
        channel=channel,
        score=score,
        comment=comment,
        bad_reason=reason,
        indicators={"overall": score, "efficiency": 2},
        now=now,
    )


def rect_of(rating: Rating) -> Rectification:
    return Rectification.objects.select_related("rating").get(rating=rating)


def sums(rating: Rating, dim: str = "all", key: str = "") -> Counter:
    """The projection's measures of ``rating``'s day, region and ``dim``/``key``."""
    rows = RatingFact.objects.filter(
        day=timezone.localdate(rating.created_at),
        dim=dim,
        key=key,
        region_code=rating.region.code,
    )
    got = rows.aggregate(**{m: Sum(m) for m in MEASURES})
    return Counter({m: v or 0 for m, v in got.items()})


def unit_roles() -> set[str]:
    return {UNIT}


def full_loop(rating, who, *, outcome="fix", verify_on="2026-10-08", answer_on="2026-10-13", **kw):
    rect = rect_of(rating)
    extra = {"plan": "更新办事指南", "plan_due": "2026-10-30"} if outcome == "plan" else {}
    rect = rectifications.verify(
        rect,
        who,
        roles=unit_roles(),
        note="已电话回访张三，情况属实",
        outcome=outcome,
        now=at(verify_on),
        **extra,
    )
    rect = rectifications.answer(
        rect, who, roles=unit_roles(), answer="已整改：增加窗口人手", now=at(answer_on)
    )
    return rect


# ------------------------------------------------------------------------------ the loop


@pytest.mark.parametrize("outcome", list(rules.OUTCOMES))
def test_the_whole_loop_closes_with_a_satisfied_revisit(outcome):
    p = people()
    admin = p[UNIT_ADMIN]
    rating = bad_rating(at("2026-09-30"))
    rect = rect_of(rating)
    assert rect.status == R.VERIFYING and rect.stage == rules.VERIFY
    assert rect.department_id == rating.department_id and rect.hall_id is None
    # 30 September (Wednesday): 1 October – 7 October is 国庆; the next working day is 8 October
    assert rect.due_date == dt.date(2026, 10, 8)
    assert admin.notifications.filter(
        event="ratings.bad", link=f"/ratings/rectifications/{rect.pk}/"
    ).exists()
    before = sums(rating)
    assert (before["bad"], before["rect_due"], before["revisited"]) == (1, 0, 0)

    extra = {"plan": "更新办事指南，培训窗口人员", "plan_due": "2026-10-30"} if outcome == "plan" else {}
    rect = rectifications.verify(
        rect,
        admin,
        roles={UNIT},
        note="已电话回访张三，情况属实",
        outcome=outcome,
        now=at("2026-10-08"),
        **extra,
    )
    assert rect.status == R.HANDLING and rect.stage == rules.ANSWER
    assert rect.outcome == outcome and rect.verified_by == admin and rect.verify_note.startswith("已电话")
    assert clocks.get((deadlines.RECT_KIND, str(rect.pk)), rules.VERIFY).stopped_at == at("2026-10-08")
    if outcome == "plan":
        # the plan's deadline lengthens the 5 working days to it (30 October is a Friday)
        assert rect.plan_due == dt.date(2026, 10, 30) and rect.due_date == dt.date(2026, 10, 30)
    else:
        # 9, 10 (Saturday, a make-up working day), 12, 13, 14 October
        assert rect.due_date == dt.date(2026, 10, 14) and rect.plan == "" and rect.plan_due is None

    rect = rectifications.answer(
        rect, admin, roles={UNIT}, answer="已整改：增加窗口人手", now=at("2026-10-13")
    )
    assert rect.status == R.ANSWERED and rect.on_time is True and rect.counted_due is True
    assert rect.stage == rules.REVISIT and rect.due_date == dt.date(2026, 10, 15)  # 14, 15 October
    told = p["zhangsan"].notifications.get(event="ratings.answer")
    assert told.link == "/ratings/mine/" and told.body == "已整改：增加窗口人手"
    after = sums(rating)
    assert (after["rect_due"], after["rect_on_time"]) == (1, 1)
    assert sums(rating, "department", rating.department_id)["rect_on_time"] == 1

    rect = rectifications.revisit(
        rect, admin, roles={UNIT}, satisfaction="satisfied", note="张三表示满意", now=at("2026-10-15")
    )
    assert rect.status == R.CLOSED and rect.closed_at == at("2026-10-15")
    assert rect.stage == "" and rect.due_date is None and rect.satisfaction == "satisfied"
    assert sums(rating)["revisited"] == 1
    assert [h.action for h in history("rectification", str(rect.pk))] == [
        "rectification.open",
        "rectification.verify",
        "rectification.answer",
        "rectification.revisit",
    ]
    assert history("rectification", str(rect.pk))[1].reason == "已电话回访张三，情况属实"
    # nothing runs any more
    assert all(c.stopped_at is not None for c in clocks.clocks_of((deadlines.RECT_KIND, str(rect.pk))))


def test_basic_satisfaction_closes_too():
    admin = people()[UNIT_ADMIN]
    rect = full_loop(bad_rating(), admin)
    rect = rectifications.revisit(
        rect, admin, roles={UNIT}, satisfaction="basic", note="基本满意", now=at("2026-10-14")
    )
    assert rect.status == R.CLOSED


def test_an_unsatisfied_rater_sends_it_back_to_handling_and_the_first_round_counts():
    admin = people()[UNIT_ADMIN]
    rating = bad_rating()
    rect = full_loop(rating, admin)
    rect = rectifications.revisit(
        rect, admin, roles={UNIT}, satisfaction="unsatisfied", note="仍不满意", now=at("2026-10-15")
    )
    assert rect.status == R.HANDLING and rect.reopened == 1 and rect.closed_at is None
    # a new answer clock from 15 October: 16, 19, 20, 21, 22 October
    assert rect.stage == rules.ANSWER and rect.due_date == dt.date(2026, 10, 22)
    assert admin.notifications.filter(event="ratings.bad", title__contains="回访不满意").exists()
    assert sums(rating)["revisited"] == 1

    # the second answer is late, but 按时整改 is the first round's
    rect = rectifications.answer(rect, admin, roles={UNIT}, answer="再次整改", now=at("2026-10-26"))
    assert rect.status == R.ANSWERED and rect.on_time is True
    rect = rectifications.revisit(
        rect, admin, roles={UNIT}, satisfaction="satisfied", note="满意", now=at("2026-10-27")
    )
    assert rect.status == R.CLOSED and rect.reopened == 1
    got = sums(rating)
    assert (got["rect_due"], got["rect_on_time"], got["revisited"]) == (1, 1, 1)
    # the live projection is what a rebuild computes
    projection.rebuild()
    assert sums(rating) == got


def test_a_late_answer_is_due_but_not_on_time():
    admin = people()[UNIT_ADMIN]
    rating = bad_rating()
    rect = full_loop(rating, admin, answer_on="2026-10-16")  # due 14 October
    assert rect.on_time is False and rect.counted_due is True
    got = sums(rating)
    assert (got["rect_due"], got["rect_on_time"]) == (1, 0)


def test_only_the_unit_acts_and_only_in_its_state():
    p = people()
    rect = rect_of(bad_rating())
    before = AuditRecord.objects.count()
    with pytest.raises(NotPermitted):
        rectifications.verify(
            rect, p["ducha"], roles={REVIEWER}, note="x", outcome="fix", now=at("2026-10-08")
        )
    with pytest.raises(IllegalTransition) as exc:
        rectifications.answer(rect, p[UNIT_ADMIN], roles={UNIT}, answer="答复", now=at("2026-10-08"))
    assert status_of(exc.value) == 409 and "待核实" in exc.value.message
    assert AuditRecord.objects.count() == before
    assert rect_of(rect.rating).status == R.VERIFYING


# ------------------------------------------------------------------------------ bad input

BAD = [
    ("verify", {"note": "回访\x00记录"}, "verify_note"),
    ("verify", {"note": "长" * (rules.NOTE_MAX + 1)}, "verify_note"),
    ("verify", {"note": "   "}, "verify_note"),
    ("verify", {"outcome": "ignore"}, "outcome"),
    ("verify", {"outcome": ""}, "outcome"),
    ("verify", {"outcome": "plan", "plan": ""}, "plan"),
    ("verify", {"outcome": "plan", "plan_due": None}, "plan_due"),
    ("verify", {"outcome": "plan", "plan_due": "2026-13-01"}, "plan_due"),
    ("verify", {"outcome": "plan", "plan_due": "十月底"}, "plan_due"),
    ("verify", {"outcome": "plan", "plan_due": "2026-10-07"}, "plan_due"),  # before the day
    ("verify", {"outcome": "plan", "plan": "方案\x00"}, "plan"),
    ("answer", {"answer": ""}, "answer"),
    ("answer", {"answer": "答\x00复"}, "answer"),
    ("answer", {"answer": "长" * 5000}, "answer"),
    ("revisit", {"satisfaction": "happy"}, "satisfaction"),
    ("revisit", {"note": ""}, "revisit_note"),
    ("revisit", {"note": "x\x00"}, "revisit_note"),
]


@pytest.mark.parametrize(
    ("step", "values", "field"), BAD, ids=[f"{s}-{f}-{i}" for i, (s, _, f) in enumerate(BAD)]
)
def test_bad_input_names_the_field_and_writes_nothing(step, values, field):
    admin = people()[UNIT_ADMIN]
    rating = bad_rating()
    rect = rect_of(rating)
    if step != "verify":
        rect = rectifications.verify(
            rect, admin, roles={UNIT}, note="核实", outcome="fix", now=at("2026-10-08")
        )
    if step == "revisit":
        rect = rectifications.answer(rect, admin, roles={UNIT}, answer="答复", now=at("2026-10-09"))
    state = Rectification.objects.filter(pk=rect.pk).values().get()
    before = (AuditRecord.objects.count(), Notification.objects.count(), sums(rating))
    args = {
        "verify": {"note": "核实", "outcome": "plan", "plan": "方案", "plan_due": "2026-10-30"},
        "answer": {"answer": "答复"},
        "revisit": {"satisfaction": "satisfied", "note": "满意"},
    }[step]
    with pytest.raises(Refused) as exc:
        getattr(rectifications, step)(rect, admin, roles={UNIT}, **{**args, **values}, now=at("2026-10-08"))
    assert status_of(exc.value) == 400 and exc.value.field == field, exc.value.message
    assert exc.value.message and "\x00" not in exc.value.message
    assert Rectification.objects.filter(pk=rect.pk).values().get() == state
    assert (AuditRecord.objects.count(), Notification.objects.count(), sums(rating)) == before
