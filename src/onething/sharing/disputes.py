"""数据异议: a person (about their own data) or a using department (about data it received)
says a value is wrong; the provider answers within a working-day limit and a correction is
logged (the base-library row is changed in the same transaction, with its old value in the
audit record)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from onething.core import text
from onething.kernel.errors import Invalid, NotFound, NotPermitted
from onething.notifications.service import notify, notify_group
from onething.sharing import access, calllog, deadlines, rules
from onething.sharing.machines import DISPUTE, RAISER
from onething.sharing.models import Call, Dispute, Resource, SourceRecord
from onething.workflow import engine

D = Dispute.Status


def subjects_of(user) -> list[str]:
    """The numbers whose data this person may see and dispute: their own, and the enterprises
    they are validly authorised for."""
    if not getattr(user, "is_authenticated", False):
        return []
    out = [user.id_number] if user.id_number else []
    for auth in user.enterprise_authorisations.select_related("enterprise"):
        if auth.is_valid():
            out.append(auth.enterprise_id)
    return out


def raise_dispute(
    user, *, resource: Any, subject: Any, field: Any, claimed: Any, reason: Any, now=None
) -> Dispute:
    now = now or timezone.now()
    code = text.clean(resource, "resource", max_length=64, required=True)
    found = Resource.objects.select_related("provider").filter(code=code).first()
    if found is None:
        raise NotFound(f"数据资源 {code} 不存在", "resource")
    subject, bad = rules.validate_subject(found.subject_kind, str(subject or ""))
    if bad:
        raise Invalid(bad.message, "subject")
    key = calllog.subject_key(subject)
    department = None
    if subject not in subjects_of(user):
        # a department may dispute only data it received under an approval
        mine = access.staff_departments(user)
        used = Call.objects.filter(
            subject_key=key, resource_code=found.code, department_code__in=mine, outcome=Call.Outcome.ALLOWED
        ).values_list("department_code", flat=True)
        department = next(iter(used), None)
        if department is None:
            raise NotPermitted("只能对本人（本企业）的数据或本部门获取的数据提出异议", "subject")
    field = text.clean(field, "field", max_length=64, required=True)
    if field not in found.field_keys():
        raise Invalid(f"“数据项”{field} 不是“{found.name}”的数据项", "field")
    dispute = Dispute(
        resource=found,
        subject=subject,
        subject_key=key,
        subject_masked=rules.mask_subject(found.subject_kind, subject),
        field=field,
        claimed=text.clean(claimed, "claimed", max_length=500),
        reason=text.clean(reason, "reason", max_length=2000, multiline=True, required=True),
        raised_by=user,
        department_id=department,
        raised_at=now,
    )
    with transaction.atomic():
        engine.create(
            DISPUTE, dispute, "raise", roles=[RAISER], actor=user, at=now, save_as="id", field=field
        )
        deadlines.start(
            dispute, "answer", rules.DISPUTE_ANSWER, found.provider.region_id, timezone.localdate(now)
        )
        dispute.save()
        notify_group(
            deadlines.department_admins(found.provider_id),
            "sharing.dispute_raised",
            f"数据异议 {dispute.pk} 待核实：{found.name}（{found.field_labels()[field]}）",
            f"{dispute.due_date.isoformat()} 前答复",
            f"/sharing/disputes/{dispute.pk}/",
        )
    return dispute


def visible_disputes(user):
    rows = Dispute.objects.select_related("resource", "resource__provider")
    if access.is_authority(user):
        return rows
    return rows.filter(Q(raised_by=user) | Q(resource__provider_id__in=access.admin_departments(user)))


def answer(user, dispute_id: int, *, corrected: bool, answer: Any, value: Any = None, now=None) -> Dispute:
    """The provider's answer: corrected (the base library's value is replaced) or upheld."""
    now = now or timezone.now()
    answer = text.clean(answer, "answer", max_length=2000, multiline=True, required=True)
    with transaction.atomic():
        dispute = visible_disputes(user).select_for_update(of=("self",)).filter(pk=dispute_id).first()
        if dispute is None:
            raise NotFound("数据异议不存在", "dispute")
        roles = access.dispute_roles(user, dispute)
        event = "correct" if corrected else "uphold"
        data: dict[str, Any] = {}
        if corrected and value not in (None, ""):
            new = text.clean(value, "value", max_length=500)
            # the base library is changed here; a department's own system is corrected at its
            # source, and the record says what the value now is
            data = {"new": new, "corrected_in": "source_system"}
            row = (
                SourceRecord.objects.select_for_update()
                .filter(resource=dispute.resource, subject=dispute.subject)
                .first()
            )
            if row is not None:
                data = {"old": row.data.get(dispute.field), "new": new, "corrected_in": "library"}
                row.data = {**row.data, dispute.field: new}
                row.updated_at = now
                row.save(update_fields=["data", "updated_at"])
        engine.fire(
            DISPUTE,
            dispute,
            event,
            roles=roles,
            actor=user,
            at=now,
            reason=answer,
            context={"reason": answer},
            subject=("sharing_dispute", str(dispute.pk)),
            **data,
        )
        deadlines.stop(dispute, now)
        dispute.answer = answer
        dispute.answered_at = now
        dispute.save()
        notify(
            dispute.raised_by,
            f"sharing.dispute_{event}",
            f"数据异议 {dispute.pk} 已答复：{DISPUTE.state_label(dispute.status)}",
            answer,
            f"/sharing/disputes/{dispute.pk}/",
        )
    return dispute
