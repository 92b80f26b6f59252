"""告知承诺事后核查: within 20 working days of an approval on commitment, the department checks
the commitment was true (machine :data:`onething.cases.machines.POST_CHECK`)."""

from __future__ import annotations

from django.db import transaction

from onething.cases import inputs
from onething.cases.lifecycle.base import InvalidAction, clock, fire, load_sub, roles, tell_applicant
from onething.cases.machines import POST_CHECK
from onething.cases.models import PostCheck


def record_post_check(
    check: PostCheck, actor, *, passed: bool, result: str, now=None, today=None
) -> PostCheck:
    """The commitment turned out true (``passed``) or not; an untrue one is told to the applicant."""
    now, today = clock(now, today)
    if not isinstance(passed, bool):
        raise InvalidAction("核查结论应为属实（true）或不实（false）", "passed")
    result = inputs.long_text(result, "result")
    if not result:
        raise InvalidAction("请填写核查结果", "result")
    with transaction.atomic():
        app, sub = load_sub(check.subcase)
        check = PostCheck.objects.select_for_update().get(pk=check.pk)
        fire(
            POST_CHECK,
            check,
            "record_post_check",
            actor,
            now,
            roles=roles(actor, app, sub),
            reason=result,
            target=PostCheck.Status.PASSED if passed else PostCheck.Status.FAILED,
            subject=("subcase", sub.number),
            passed=passed,
        )
        check.result = result
        check.checked_by = actor
        check.checked_at = now
        check.save()
        if not passed:
            tell_applicant(app, "post_check", f"{sub.item_name}：事后核查发现承诺不实", result)
    return check
