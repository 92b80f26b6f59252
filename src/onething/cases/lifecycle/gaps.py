"""容缺 follow-up: materials promised at a 容缺受理 arrive, or the commitment date passes and the
item's :class:`~onething.cases.models.GapRule` decides (warn, 补正 or terminate)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from onething.cases.access import SYSTEM
from onething.cases.lifecycle.base import (
    RUNNING,
    fire,
    lock,
    subcases,
    tell_applicant,
    tell_clerks,
    tell_departments,
)
from onething.cases.lifecycle.correction import request_correction_locked
from onething.cases.lifecycle.review import maybe_complete, stop_sub
from onething.cases.machines import APPLICATION, DECIDED_SUBCASE
from onething.cases.models import Application, GapRule, Material, SubCase


def fulfil_gap(app: Application, material_code: str, now) -> bool:
    """A missing (容缺) material arrived; returns whether it closed a gap. Caller's transaction."""
    updated = Material.objects.filter(
        application=app, material=material_code, source="gap", fulfilled_at__isnull=True
    ).update(fulfilled_at=now)
    if (
        updated
        and not Material.objects.filter(application=app, source="gap", fulfilled_at__isnull=True).exists()
    ):
        Application.objects.filter(pk=app.pk).update(gap_overdue=False)
    return bool(updated)


def flag_missed_commitments(today: dt.date, now: dt.datetime | None = None) -> list[str]:
    """Periodic: 容缺 materials not supplied by the commitment date.

    Each application is flagged once (``gap_overdue``) and handled per the platform's
    :class:`GapRule` of its undecided member items (no rule: ``warn``):

    - ``warn``: the applicant and the window are told what is still missing;
    - ``terminate``: the item's undecided sub-case is stopped, the applicant told why;
    - ``correction``: the application goes to 补正 (the clocks stop) listing the missing
      materials, when 补正 is legal from its state — already in 补正 or decided, it is a warning.

    One transaction per application, with its audit records. Returns the numbers flagged.
    """
    now = now or timezone.now()
    ids = list(
        Material.objects.filter(source="gap", fulfilled_at__isnull=True, commitment_date__lt=today)
        .filter(application__gap_overdue=False)
        .values_list("application_id", flat=True)
        .distinct()
    )
    if not ids:
        return []
    rules = {  # one query for every rule the run may need
        rule.item_code: rule
        for rule in GapRule.objects.filter(
            item_code__in=SubCase.objects.filter(application_id__in=ids).values("item_code")
        )
    }
    flaggable = APPLICATION.events["flag_gap_overdue"].sources
    numbers: list[str] = []
    for app_id in ids:
        with transaction.atomic():
            app = lock(Application(pk=app_id))
            if app.gap_overdue or app.status not in flaggable:
                continue
            _handle_missed_commitment(app, rules, now, today)
            numbers.append(app.number)
    return numbers


def _gap_action(rules: dict[str, GapRule], sub: SubCase) -> str:
    rule = rules.get(sub.item_code)
    return rule.action if rule is not None else GapRule.Action.WARN


def _handle_missed_commitment(app: Application, rules: dict[str, GapRule], now, today) -> None:
    missing = list(
        app.materials.filter(source="gap", fulfilled_at__isnull=True).values_list("name", flat=True)
    )
    listed = "、".join(missing)
    app.gap_overdue = True
    app.save()
    subs = subcases(app)
    stopped = []
    for sub in subs:
        if _gap_action(rules, sub) == GapRule.Action.TERMINATE and sub.status not in DECIDED_SUBCASE:
            note = rules[sub.item_code].note.strip()
            why = f"容缺材料（{listed}）逾期未补齐，按本事项规定终止办理" + (f"。{note}" if note else "")
            stop_sub(sub, now, why)
            stopped.append(sub)
            tell_applicant(app, "stopped", f"{sub.item_name}：终止办理", why)
    correcting = [s for s in subs if not s.is_decided and _gap_action(rules, s) == GapRule.Action.CORRECTION]
    corrected = bool(correcting) and app.status in APPLICATION.events["request_correction"].sources
    if corrected:
        notes = [rules[s.item_code].note.strip() for s in correcting if rules[s.item_code].note.strip()]
        reason = "容缺受理承诺的材料逾期未补齐，请补齐后重新提交；补正期间暂停计时" + "".join(
            f"。{n}" for n in notes
        )
        request_correction_locked(
            app, None, [f"补齐容缺材料：{name}" for name in missing], reason, now, today
        )
    fire(
        APPLICATION,
        app,
        "flag_gap_overdue",
        None,
        now,
        roles={SYSTEM},
        reason="容缺材料逾期未补齐",
        missing=missing,
        stopped=[s.number for s in stopped],
        correction=corrected,
    )
    if not corrected:  # 补正 sends its own notice and message
        tell_applicant(app, "gap_overdue", f"您的办件 {app.number} 容缺材料已逾期", "请尽快补齐：" + listed)
    tell_clerks(app, "gap_overdue", f"办件 {app.number} 容缺材料逾期未补齐", listed)
    if stopped:
        tell_departments(app, stopped, "stopped", f"办件 {app.number} 容缺材料逾期，子件终止办理", listed)
    if app.status in RUNNING and all(s.is_decided for s in subs):
        maybe_complete(app, subs, now, today)
        app.save()
