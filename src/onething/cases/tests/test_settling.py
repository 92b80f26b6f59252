"""From every state a case can reach, it can still be settled.

Each machine alone has no trap (``test_machines``); this checks the machines *together* — an
application and its sub-cases — through the real lifecycle functions. Hypothesis plays random
sequences of what people and the system do to a 容缺-accepted case whose items terminate on a
missed commitment (补正, resubmission, decisions, refusals, special procedures, the periodic
missed-commitment run), then, from where it ended, a driver does only what moves a case
forward (resubmit, end a special procedure, decide, hand out, archive) and must reach 已归档.
Withdrawal is left out on purpose: that the applicant can always give up proves nothing.

The example found in review is pinned: 容缺 ``terminate`` while the application is in 补正
stops every sub-case, and resubmission then left an application with nothing to decide,
red forever.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from onething.accounts.models import StaffRole, User
from onething.cases import intake, lifecycle
from onething.cases.models import Application, GapRule, SubCase
from onething.cases.tests.conftest import ANSWERS_LOCAL, at
from onething.kernel.errors import DomainError

S, SS = Application.Status, SubCase.Status
NOW = at("2026-12-01")
STEPS = ("correct", "resubmit", "approve", "refuse", "special", "end_special", "miss_commitment")


class _Rollback(Exception):
    pass


def _approver(sub: SubCase) -> User:
    return User.objects.filter(
        staff_roles__role=StaffRole.APPROVER, staff_roles__department_id=sub.department_id
    ).first()


def _first(app: Application, status: str) -> SubCase | None:
    return app.subcases.filter(status=status).order_by("position").first()


def _step(name: str, app: Application, people) -> None:
    """One thing someone does; a refusal (illegal now) is part of the game."""
    clerk, applicant = people["chuangkou"], people["zhangsan"]
    try:
        if name == "correct":
            lifecycle.request_correction(app, clerk, items=["照片不清晰"], reason="请重新上传", now=NOW)
        elif name == "resubmit":
            lifecycle.resubmit(app, applicant, now=NOW)
        elif name in ("approve", "refuse") and (sub := _first(app, SS.IN_REVIEW)) is not None:
            decision = "approved" if name == "approve" else "refused"
            lifecycle.decide(sub, _approver(sub), decision=decision, reasons="审查意见", now=NOW)
        elif name == "special" and (sub := _first(app, SS.IN_REVIEW)) is not None:
            lifecycle.start_special_procedure(
                sub, _approver(sub), kind="expert_review", reason="需专家评审", now=NOW
            )
        elif name == "end_special" and (sub := _first(app, SS.SPECIAL)) is not None:
            lifecycle.end_special_procedure(sub, _approver(sub), now=NOW)
        elif name == "miss_commitment":
            lifecycle.flag_missed_commitments(NOW.date(), NOW)
    except DomainError:
        pass


def _settle(app: Application, people, limit: int = 40) -> list[str]:
    """Move the case forward only; the states it went through (the last one is where it stopped)."""
    clerk, applicant = people["chuangkou"], people["zhangsan"]
    seen = []
    for _ in range(limit):
        app = Application.objects.get(pk=app.pk)
        seen.append(app.status)
        if app.status == S.CLOSED:
            break
        if app.status == S.CORRECTION:
            lifecycle.resubmit(app, applicant, now=NOW)
        elif app.status in (S.SUBMITTED, S.PRE_REVIEWED):
            lifecycle.accept_on_commitment(
                app, clerk, commitment_text="承诺材料真实", signed_by_name="张三", now=NOW
            )
        elif app.status in (S.ACCEPTED, S.IN_REVIEW):
            special, review = _first(app, SS.SPECIAL), _first(app, SS.IN_REVIEW)
            if special is not None:
                lifecycle.end_special_procedure(special, _approver(special), now=NOW)
            elif review is not None:
                lifecycle.decide(review, _approver(review), decision="approved", now=NOW)
            else:
                break  # running, with nothing anyone can decide: stuck
        elif app.status == S.DECIDED:
            lifecycle.result_ready(app, clerk, now=NOW)
        elif app.status == S.RESULT_READY:
            lifecycle.deliver(app, clerk, method="window", now=NOW)
        else:  # rejected, withdrawn, delivered
            lifecycle.close(app, clerk, now=NOW)
    return seen


@pytest.fixture
def gapped_case(submit, people, upload_factory):
    """新生儿出生 accepted with 母子健康手册 missing (commitment 2026-11-30); every item
    terminates on a missed commitment."""

    def make() -> Application:
        app = submit(answers=ANSWERS_LOCAL)
        intake.store_upload(app, "insurance-enrol-form", upload_factory(), people["zhangsan"])
        lifecycle.accept_with_gaps(
            app,
            people["chuangkou"],
            gaps=["maternal-health-handbook"],
            commitment_date=at("2026-11-30").date(),
            now=at("2026-11-23"),
        )
        for code in app.subcases.values_list("item_code", flat=True):
            GapRule.objects.get_or_create(item_code=code, defaults={"action": GapRule.Action.TERMINATE})
        return Application.objects.get(pk=app.pk)

    return make


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(steps=["correct", "miss_commitment"])  # the review's case: terminate during 补正
@given(steps=st.lists(st.sampled_from(STEPS), max_size=6))
def test_every_reachable_case_can_still_be_settled(gapped_case, people, steps):
    try:
        with transaction.atomic():
            app = gapped_case()
            for name in steps:
                _step(name, app, people)
            seen = _settle(app, people)
            assert seen[-1] == S.CLOSED, f"{steps} → stuck in {seen}"
            raise _Rollback
    except _Rollback:
        pass


@pytest.mark.django_db
def test_terminate_during_correction_completes_on_resubmission(gapped_case, people):
    app = gapped_case()
    lifecycle.request_correction(app, people["chuangkou"], items=["照片不清晰"], reason="请重新上传", now=NOW)
    lifecycle.flag_missed_commitments(NOW.date(), NOW)
    app = Application.objects.get(pk=app.pk)
    assert app.status == S.CORRECTION and set(app.subcases.values_list("status", flat=True)) == {SS.STOPPED}
    lifecycle.resubmit(app, people["zhangsan"], now=NOW)
    app = Application.objects.get(pk=app.pk)
    assert app.status == S.DECIDED and not app.timed
    assert app.notices.filter(kind="completion").exists()
