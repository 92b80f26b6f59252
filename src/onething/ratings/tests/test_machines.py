"""Every (state, event, role) of 好差评's machines — 差评整改, 申诉复核, 事项缺陷 — through the
engine, on real rows: a legal firing lands on a declared target with exactly one audit record;
anything else is refused (403 for a role, 409 for a state or a guard) and changes nothing.
Each guard refuses alone (``reason_given``, ``outside_unit``)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from onething.accounts.models import User
from onething.cases.tests.conftest import at
from onething.ratings import machines
from onething.ratings.models import Appeal, Defect, Rectification
from onething.ratings.tests.test_rectifications import bad_rating, rect_of
from onething.workflow.tests.table import check_every_firing, guards_refusing_alone

pytestmark = pytest.mark.django_db

ROLES = (machines.UNIT, machines.REVIEWER, machines.SYSTEM)
MODELS = {machines.RECTIFICATION: Rectification, machines.APPEAL: Appeal, machines.DEFECT: Defect}
#: a context in which every guard holds: a reason, and a reviewer outside the rated unit
PERMISSIVE = {"reason": "理由", "in_unit": False}
SPOILERS = {"reason_given": {"reason": "  "}, "outside_unit": {"in_unit": True}}


def _row(machine):
    rating = bad_rating(at("2026-09-30"))
    if machine is machines.RECTIFICATION:
        return rect_of(rating)
    if machine is machines.APPEAL:
        return Appeal.objects.create(
            rating=rating,
            status=Appeal.Status.PENDING,
            ground="mistaken",
            statement="误评",
            filed_by=User.objects.get(username="shuju_weijian"),
            filed_at=timezone.now(),
        )
    return Defect.objects.create(
        item_code=rating.item_code,
        item_name=rating.item_name,
        reason="slow",
        department_id=rating.department_id,
        region_id=rating.region_id,
        status=Defect.Status.OPEN,
        count=3,
        window_days=30,
        opened_at=timezone.now(),
    )


@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_every_state_event_and_role(machine):
    check_every_firing(machine, MODELS[machine], _row(machine), ROLES, PERMISSIVE)


@pytest.mark.parametrize("machine", list(MODELS), ids=lambda m: m.name)
def test_each_guard_refuses_alone(machine):
    expected = {machines.RECTIFICATION: 3, machines.APPEAL: 5, machines.DEFECT: 1}
    assert guards_refusing_alone(machine, PERMISSIVE, SPOILERS) == expected[machine]


def test_the_reviewer_of_the_rated_unit_is_refused_with_the_guards_sentence():
    refusal = machines.APPEAL.fire(
        Appeal.Status.PENDING, "uphold", {machines.REVIEWER}, context={"reason": "成立", "in_unit": True}
    )
    assert refusal.guard == "outside_unit" and refusal.message == "被评价单位的人员不能复核本单位的申诉"
    # no context at all is not "outside": the guard wants to be told
    assert machines.APPEAL.fire(
        Appeal.Status.PENDING, "dismiss", {machines.REVIEWER}, context={"reason": "x"}
    ).guard


def test_no_lifecycle_can_get_stuck():
    for machine in MODELS:
        assert machine.stuck_states() == set(), machine.name
        assert machine.reachable() >= set(machine.states), machine.name


def test_state_labels_are_the_models_choices():
    for machine, model in MODELS.items():
        assert machine.choices() == list(model._meta.get_field("status").choices)


def test_revisit_leads_to_closed_or_back_to_handling_only():
    R = Rectification.Status
    assert set(machines.RECTIFICATION.events["revisit"].targets) == {R.CLOSED, R.HANDLING}
    refused = machines.RECTIFICATION.fire(
        R.ANSWERED, "revisit", {machines.UNIT}, target=R.VERIFYING, context={"reason": "x"}
    )
    assert refused.reason == "undeclared_target"
