"""帮办代办: a hall's 帮办 staff member (``StaffRole.ASSISTANT``) files for someone through intake
(channel ``agent``) and the record of it — who for whom, why, under which authorisation, at
which hall and ticket — is written in the same transaction (:class:`~onething.cases.models.Assistance`).

- :func:`is_assistant` / :func:`assistant_halls` — who may file as 帮办.
- :func:`clean` — the intake input ``assistance: {"reason", "authorisation", "project"?, "note"?}``.
- :func:`write` — the record, inside intake's transaction.
- :func:`lines_for` — what the application's page says about it (the applicant sees it in
  their history); :func:`made_by` — the records an assistant made.
"""

from __future__ import annotations

from typing import Any

from onething.accounts.masking import text_for
from onething.accounts.models import StaffRole
from onething.cases.models import Application, Assistance
from onething.core import text
from onething.kernel import errors

REASONS = dict(Assistance.REASONS)


def assistant_halls(user) -> list:
    """The halls where ``user`` is 帮办代办人员."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [r.hall for r in user.roles() if r.role == StaffRole.ASSISTANT and r.hall is not None]


def is_assistant(user) -> bool:
    return bool(assistant_halls(user))


def clean(value: Any) -> dict[str, str] | None:
    """The 帮办 input as intake records it (``None`` when not given)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise errors.Invalid("帮办代办信息格式不正确", "assistance")
    limits = {"reason": 20, "authorisation": 200, "project": 200, "note": 500}
    for key in value:
        if key not in limits:
            raise errors.Invalid(f"帮办代办信息不包含字段 {str(key)[:40]}", f"assistance.{str(key)[:40]}")
    data = {
        key: text.clean(value.get(key), f"assistance.{key}", max_length=limit, multiline=key == "note")
        for key, limit in limits.items()
    }
    if data["reason"] not in REASONS:
        raise errors.Invalid("帮办原因应为：" + "、".join(REASONS.values()), "assistance.reason")
    if not data["authorisation"]:
        raise errors.Invalid(
            "请填写授权依据（委托书编号、授权书或现场口头授权的记录）", "assistance.authorisation"
        )
    if data["reason"] == "enterprise_project" and not data["project"]:
        raise errors.Invalid("企业项目帮办请填写项目名称", "assistance.project")
    return data


def write(application: Application, helper, hall, data: dict[str, str], *, ticket=None, now) -> Assistance:
    """The record, in the caller's (intake's) transaction."""
    return Assistance.objects.create(
        application=application,
        ticket=ticket,
        hall=hall,
        helper=helper,
        for_name=application.applicant_name[:50],
        for_id_number=application.applicant_id_number,
        enterprise=application.enterprise,
        reason=data["reason"],
        project=data.get("project", ""),
        authorisation=data["authorisation"],
        note=data.get("note", ""),
        created_at=now,
    )


def lines_for(application: Application, *, owner: bool) -> list[dict[str, str]]:
    """The application's 帮办 records as its page shows them (typed texts masked for all but
    the owner)."""
    rows = Assistance.objects.filter(application=application).select_related("helper", "hall")
    return [
        {
            "helper": a.helper.real_name or a.helper.username,
            "hall": a.hall.name,
            "reason": a.get_reason_display(),
            "project": text_for(a.project, owner=owner),
            "authorisation": text_for(a.authorisation, owner=owner),
            "note": text_for(a.note, owner=owner),
            "at": a.created_at,
        }
        for a in rows
    ]


def made_by(user, limit: int = 100):
    """The 帮办 records ``user`` made, newest first."""
    return (
        Assistance.objects.filter(helper=user)
        .select_related("application", "hall")
        .order_by("-created_at")[:limit]
    )
