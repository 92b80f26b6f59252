"""申诉复核: the rated unit appeals a 差评; a reviewer outside that unit decides.

Filing pauses the rectification's clock and tells the reviewers; only the unit files, once,
and only a given 差评 whose rectification is open. Upholding takes the rating out of the
figures (the projection's sums drop; the rating row, its rectification — voided — and every
audit record stay); dismissing resumes the clock with the days of the review given back. A
reviewer who belongs to the rated unit is refused by the machine's ``outside_unit`` guard
(separation of duties). Two appeals of one rating at once: one 201, one 409 (PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from django.test import Client

from onething.accounts.models import StaffRole, User
from onething.audit.log import history
from onething.audit.models import AuditRecord
from onething.cases.tests.conftest import at
from onething.clocks import service as clocks
from onething.core.errors import Refused, status_of
from onething.kernel.errors import Conflict, NotPermitted
from onething.notifications.models import Notification
from onething.ratings import access, appeals, deadlines, rectifications, rules
from onething.ratings.machines import REVIEWER, UNIT
from onething.ratings.models import Appeal, Rating, Rectification
from onething.ratings.tests.test_rectifications import UNIT_ADMIN, bad_rating, people, rect_of, sums
from onething.workflow.engine import IllegalTransition

pytestmark = pytest.mark.django_db

R = Rectification.Status
P = Appeal.Status
SEPARATION = "被评价单位的人员不能复核本单位的申诉"


def _file(rating, who, now="2026-10-09", **kw):
    return appeals.file(
        rating,
        who,
        roles=access.roles_for(who, rating),
        ground=kw.pop("ground", "mistaken"),
        statement=kw.pop("statement", "评价人所述并非本单位办理，系误评"),
        now=at(now),
    )


def _answered(rating, admin):
    rect = rectifications.verify(
        rect_of(rating), admin, roles={UNIT}, note="已回访", outcome="fix", now=at("2026-10-08")
    )
    return rectifications.answer(rect, admin, roles={UNIT}, answer="已整改", now=at("2026-10-09"))


def test_the_unit_files_the_clock_pauses_and_the_reviewers_are_told():
    p = people()
    rating = bad_rating(at("2026-09-30"))
    appeal = _file(rating, p[UNIT_ADMIN], now="2026-10-08")
    assert appeal.status == P.PENDING and appeal.filed_by == p[UNIT_ADMIN]
    rect = rect_of(rating)
    assert rect.paused is True and rect.status == R.VERIFYING
    assert clocks.get((deadlines.RECT_KIND, str(rect.pk)), rules.VERIFY).running is False
    told = set(
        Notification.objects.filter(
            event="ratings.appeal", link=f"/ratings/appeals/{appeal.pk}/"
        ).values_list("recipient__username", flat=True)
    )
    assert {"ducha", "admin"} <= told and UNIT_ADMIN not in told
    assert [h.action for h in history("rating_appeal", str(appeal.pk))] == ["rating_appeal.file"]
    # while it is pending the loop waits
    with pytest.raises(Conflict) as exc:
        rectifications.verify(
            rect, p[UNIT_ADMIN], roles={UNIT}, note="核实", outcome="fix", now=at("2026-10-09")
        )
    assert "申诉" in exc.value.message
    assert rectifications.allowed(rect, {UNIT}) == []


def test_who_may_file_and_what():
    p = people()
    rating = bad_rating()
    with pytest.raises(NotPermitted):  # a reviewer is not the unit
        _file(rating, p["ducha"])
    before = AuditRecord.objects.count()
    for bad, field in [
        ({"ground": "dislike"}, "ground"),
        ({"ground": ""}, "ground"),
        ({"statement": ""}, "statement"),
        ({"statement": "误\x00评"}, "statement"),
        ({"statement": "长" * (rules.NOTE_MAX + 1)}, "statement"),
    ]:
        with pytest.raises(Refused) as exc:
            _file(rating, p[UNIT_ADMIN], **bad)
        assert status_of(exc.value) == 400 and exc.value.field == field
    assert AuditRecord.objects.count() == before and not Appeal.objects.exists()

    _file(rating, p[UNIT_ADMIN])
    with pytest.raises(Conflict) as exc:  # one appeal per rating
        _file(rating, p[UNIT_ADMIN])
    assert status_of(exc.value) == 409 and exc.value.field == "rating"

    defaulted = bad_rating()
    Rating.objects.filter(pk=defaulted.pk).update(source=Rating.Source.DEFAULTED, score=3)
    with pytest.raises(Conflict) as exc:
        _file(Rating.objects.get(pk=defaulted.pk), p[UNIT_ADMIN])
    assert exc.value.message == "默认评价不能申诉"
    good = bad_rating(score=4)
    assert not Rectification.objects.filter(rating=good).exists()
    with pytest.raises(Conflict):
        _file(good, p[UNIT_ADMIN])


def test_a_reviewer_who_belongs_to_the_rated_unit_may_not_decide(make_user):
    p = people()
    rating = bad_rating()
    appeal = _file(rating, p[UNIT_ADMIN])
    dept = rating.department_id
    for username, role in [("dual_approver", StaffRole.APPROVER), ("dual_admin", StaffRole.DEPARTMENT_ADMIN)]:
        dual = make_user(
            username,
            roles=[(StaffRole.SUPERVISOR, {"region_id": "430600"}), (role, {"department_id": dept})],
        )
        roles = access.roles_for(dual, appeal)
        assert REVIEWER in roles
        before = AuditRecord.objects.count()
        with pytest.raises(IllegalTransition) as exc:
            appeals.decide(appeal, dual, roles=roles, uphold=True, note="成立", now=at("2026-10-10"))
        assert exc.value.message == SEPARATION and exc.value.extra["guard"] == "outside_unit"
        assert status_of(exc.value) == 409
        assert AuditRecord.objects.count() == before
        assert Appeal.objects.get(pk=appeal.pk).status == P.PENDING
        assert Rating.objects.get(pk=rating.pk).excluded is False
    # the unit itself holds no reviewer role: 403
    with pytest.raises(NotPermitted):
        appeals.decide(appeal, p[UNIT_ADMIN], roles={UNIT}, uphold=True, note="成立", now=at("2026-10-10"))


def test_upheld_the_rating_leaves_the_figures_but_its_records_stay():
    p = people()
    rating = bad_rating(at("2026-09-30"))
    rect = _answered(rating, p[UNIT_ADMIN])
    with_it = sums(rating)
    by_department = sums(rating, "department", rating.department_id)
    assert (with_it["bad"], with_it["rect_due"], with_it["rect_on_time"]) == (1, 1, 1)
    appeal = _file(rating, p[UNIT_ADMIN], now="2026-10-10")
    appeal = appeals.decide(
        appeal, p["ducha"], roles={REVIEWER}, uphold=True, note="核实为误评", now=at("2026-10-12")
    )
    assert (
        appeal.status == P.UPHELD and appeal.decided_by == p["ducha"] and appeal.decision_note == "核实为误评"
    )

    without = sums(rating)
    for measure in ("ratings", "given", "bad", "score_sum", "rect_due", "rect_on_time"):
        assert without[measure] == with_it[measure] - (rating.score if measure == "score_sum" else 1), measure
    assert sums(rating, "department", rating.department_id)["bad"] == by_department["bad"] - 1
    kept = Rating.objects.get(pk=rating.pk)
    assert kept.excluded is True and kept.score == rating.score and kept.comment == rating.comment
    rect = Rectification.objects.get(pk=rect.pk)
    assert rect.status == R.VOIDED and rect.stage == "" and rect.due_date is None and rect.paused is False
    assert all(c.stopped_at is not None for c in clocks.clocks_of((deadlines.RECT_KIND, str(rect.pk))))
    assert [h.action for h in history("rectification", str(rect.pk))] == [
        "rectification.open",
        "rectification.verify",
        "rectification.answer",
        "rectification.void",
    ]
    assert [h.action for h in history("rating_appeal", str(appeal.pk))] == [
        "rating_appeal.file",
        "rating_appeal.uphold",
    ]
    assert history("rating_appeal", str(appeal.pk))[1].reason == "核实为误评"
    told = p[UNIT_ADMIN].notifications.filter(event="ratings.appeal", title__contains="申诉成立")
    assert told.count() == 1 and told.get().body == "核实为误评"
    # a rebuild agrees: an excluded rating counts nowhere
    from onething.ratings import projection

    projection.rebuild()
    assert sums(rating) == without
    with pytest.raises(IllegalTransition):  # decided once
        appeals.decide(appeal, p["ducha"], roles={REVIEWER}, uphold=False, note="再议", now=at("2026-10-13"))


def test_dismissed_the_clock_resumes_and_the_unit_is_told():
    p = people()
    rating = bad_rating(at("2026-09-30"))
    appeal = _file(rating, p[UNIT_ADMIN], now="2026-09-30")  # the day of the rating: verify due 8 October
    appeal = appeals.decide(
        appeal, p["ducha"], roles={REVIEWER}, uphold=False, note="证据不足", now=at("2026-10-09")
    )
    assert appeal.status == P.DISMISSED
    rect = rect_of(rating)
    # paused on 30 September, resumed on 9 October: the working days 8 and 9 October are given
    # back, so the one day of 核实 becomes three — 8, 9 and 10 October (a Saturday, worked)
    assert rect.paused is False and rect.status == R.VERIFYING
    assert rect.due_date == dt_date("2026-10-10")
    assert Rating.objects.get(pk=rating.pk).excluded is False
    assert sums(rating)["bad"] == 1
    assert p[UNIT_ADMIN].notifications.filter(event="ratings.appeal", title__contains="不成立").exists()
    rect = rectifications.verify(
        rect, p[UNIT_ADMIN], roles={UNIT}, note="已回访", outcome="fix", now=at("2026-10-10")
    )
    assert rect.status == R.HANDLING
    with pytest.raises(Conflict):  # decided once: no second appeal of the same rating
        _file(rating, p[UNIT_ADMIN], now="2026-10-12")


def test_a_bad_decision_names_its_field_and_writes_nothing():
    p = people()
    appeal = _file(bad_rating(), p[UNIT_ADMIN])
    before = AuditRecord.objects.count()
    for uphold, note, field in [
        ("yes", "成立", "uphold"),
        (1, "成立", "uphold"),
        (True, "", "decision_note"),
        (True, "a\x00", "decision_note"),
    ]:
        with pytest.raises(Refused) as exc:
            appeals.decide(
                appeal, p["ducha"], roles={REVIEWER}, uphold=uphold, note=note, now=at("2026-10-10")
            )
        assert status_of(exc.value) == 400 and exc.value.field == field
    assert AuditRecord.objects.count() == before and Appeal.objects.get(pk=appeal.pk).status == P.PENDING


def dt_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


# ------------------------------------------------------------------------------ at once


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="real concurrency needs PostgreSQL (SQLite serialises writers)",
)
@pytest.mark.django_db(transaction=True)
def test_two_appeals_of_one_rating_at_once_give_one_201_and_one_409():
    from tests.plugins.concurrency import together

    rating = bad_rating(at("2026-09-30"))
    admins = [User.objects.get(username=UNIT_ADMIN), User.objects.create_user("zhenggai_b", password="x")]
    StaffRole.objects.create(
        user=admins[1], role=StaffRole.DEPARTMENT_ADMIN, department_id=rating.department_id
    )

    def post(user):
        def work():
            client = Client()
            client.force_login(user)
            response = client.post(
                f"/api/v1/ratings/{rating.pk}/appeals",
                json.dumps({"ground": "abusive", "statement": "恶意差评"}),
                content_type="application/json",
            )
            return response.status_code, response.json()

        return work

    outcomes = together([post(admins[0]), post(admins[1])])
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert sorted(code for code, _ in outcomes) == [201, 409], outcomes
    refused = next(body for code, body in outcomes if code == 409)
    assert refused["error"]["field"] == "rating"
    assert Appeal.objects.filter(rating=rating).count() == 1
    assert AuditRecord.objects.filter(action="rating_appeal.file").count() == 1
    assert Rectification.objects.get(rating=rating).paused is True
