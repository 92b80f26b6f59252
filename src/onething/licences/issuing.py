"""Issuing, suspending, resuming and revoking e-licences (through the ``licences.licence`` machine).

:func:`issue` runs inside the caller's transaction — the approval of a sub-case issues its
licence and both commit or neither does. It allocates the serial (per type, issuer and year,
under the counter's row lock), builds the GB/T 36904 identifier, draws random status-list
indices, signs the credential with the active key, registers the face with the document
service (rendered on first download) and tells the holder through the outbox.

:func:`change` fires suspend / resume / revoke, sets the licence's bits in the status lists in
the same transaction, and tells the holder. :func:`reissue` (变更换发) revokes a licence with the
reason ``reissue`` and issues version + 1 with the same serial.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from onething.accounts.models import EnterpriseAuthorisation, User
from onething.core import text
from onething.directory.models import Department
from onething.documents import kinds
from onething.documents import service as documents
from onething.kernel import codes
from onething.kernel.errors import Invalid, NotFound
from onething.licences import credentials, rules, statuslists
from onething.licences.machines import ISSUER, LICENCE, SYSTEM
from onething.licences.models import Counter, Licence, LicenceType
from onething.notifications.service import notify
from onething.workflow import engine

logger = logging.getLogger("onething.licences")

KIND = kinds.register("licences.licence", "电子证照")


@dataclass
class Request:
    """What an issuing needs, in plain values (cases builds it from an approved sub-case)."""

    type: LicenceType
    issuer: Department
    holder_kind: str
    holder_id: str
    holder_name: str
    fields: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    issued_on: dt.date | None = None
    valid_until: dt.date | None = None


def _next_serial(kind: LicenceType, issuer: Department, year: int) -> int:
    counter, _ = Counter.objects.select_for_update().get_or_create(type=kind, issuer=issuer, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def holders(licence: Licence) -> list[User]:
    """The people who hold ``licence``: the person, or those authorised for the enterprise."""
    if licence.holder_kind == "enterprise":
        today = timezone.localdate()
        return [
            a.user
            for a in EnterpriseAuthorisation.objects.filter(enterprise_id=licence.holder_id).select_related(
                "user"
            )
            if a.is_valid(today)
        ]
    return list(User.objects.filter(id_number=licence.holder_id, is_active=True))


def _check(request: Request) -> None:
    if request.holder_kind == "enterprise":
        problem = codes.validate_uscc(request.holder_id)
    else:
        problem = codes.validate_id_number(request.holder_id)
    if problem:
        raise Invalid(f"持证主体的{rules.holder_label(request.holder_kind)}{problem}", "holder")
    if not request.type.active:
        raise Invalid(f"证照类型“{request.type.name}”未启用", "type")


def issue(
    request: Request,
    *,
    actor=None,
    roles=frozenset({SYSTEM}),
    now=None,
    version: int = 1,
    serial: str = "",
    replaces: Licence | None = None,
) -> Licence:
    """Issue one licence (caller's transaction, or its own)."""
    _check(request)
    now = now or timezone.now()
    issued_on = request.issued_on or timezone.localdate(now)
    with transaction.atomic():
        if not serial:
            serial = rules.serial(issued_on.year, _next_serial(request.type, request.issuer, issued_on.year))
        sequence = int(serial[4:])
        revocation_list, revocation_index = statuslists.allocate(statuslists.REVOCATION)
        suspension_list, suspension_index = statuslists.allocate(statuslists.SUSPENSION)
        licence = Licence(
            identifier=codes.licence_identifier(request.type.code, request.issuer.code, serial, version),
            type=request.type,
            name=request.type.name,
            number=rules.licence_number(request.issuer.region_id, int(serial[:4]), sequence),
            version=version,
            holder_kind=request.holder_kind,
            holder_id=request.holder_id,
            holder_name=request.holder_name,
            issuer=request.issuer,
            issued_on=issued_on,
            valid_until=request.valid_until or rules.valid_until(issued_on, request.type.validity_years),
            fields=request.fields,
            revocation_list=revocation_list,
            revocation_index=revocation_index,
            suspension_list=suspension_list,
            suspension_index=suspension_index,
            source=request.source[:100],
            replaces=replaces,
            created_at=now,
        )
        licence.credential, licence.kid = credentials.sign_credential(licence)
        licence.document = documents.issue(
            kind=KIND,
            number=licence.identifier,
            issuer=request.issuer.name,
            issued_on=issued_on,
            title=licence.name,
            content={"identifier": licence.identifier, "credential": licence.credential},
            owner=f"licences.licence:{licence.identifier}",
        )
        engine.create(
            LICENCE,
            licence,
            "issue",
            roles=roles,
            actor=actor,
            at=now,
            save_as="licence_id",
            subject=("licence", licence.identifier),
            source=licence.source,
        )
        for person in holders(licence):
            notify(
                person,
                "licences.issued",
                f"您的电子证照“{licence.name}”已签发",
                f"证照编号 {licence.number}，颁发机构 {licence.issuer.name}。可在“我的证照”查看、下载和授权使用。",
                f"/licences/{licence.identifier}/",
            )
    return licence


CHANGE_TITLES = {"suspend": "已暂停使用", "resume": "已恢复有效", "revoke": "已废止"}


def change(
    licence: Licence, event: str, actor, *, reason_code: str = "", reason: Any = "", roles=None, now=None
) -> Licence:
    """Suspend, resume or revoke ``licence`` (``event``) with the reason, through the machine."""
    if event not in CHANGE_TITLES:
        raise Invalid("操作应为 suspend、resume 或 revoke", "action")
    reason = text.clean(reason, "reason", max_length=500)
    now = now or timezone.now()
    with transaction.atomic():
        # lock the licence row only: locking the issuer's department too would deadlock with an
        # issue of the same department (its INSERT checks that row while holding a list lock)
        licence = Licence.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=licence.pk)
        if roles is None:
            from onething.licences.access import roles_for  # access imports the machine's roles

            roles = roles_for(actor, licence)
        context = {"reason": reason, "reason_code": reason_code}
        engine.fire(
            LICENCE,
            licence,
            event,
            roles=roles,
            actor=actor,
            at=now,
            reason=reason,
            context=context,
            subject=("licence", licence.identifier),
            reason_code=reason_code,
        )
        if event == "revoke":
            licence.reason_code, licence.reason = reason_code, reason
            statuslists.set_bit(licence.revocation_list_id, licence.revocation_index, True)
            statuslists.set_bit(licence.suspension_list_id, licence.suspension_index, False)
        elif event == "suspend":
            licence.reason_code, licence.reason = "", reason
            statuslists.set_bit(licence.suspension_list_id, licence.suspension_index, True)
        else:
            licence.reason_code, licence.reason = "", ""
            statuslists.set_bit(licence.suspension_list_id, licence.suspension_index, False)
        licence.save(update_fields=["status", "reason_code", "reason"])
        why = rules.REASON_CODES.get(reason_code, "")
        for person in holders(licence):
            notify(
                person,
                f"licences.{event}",
                f"您的电子证照“{licence.name}”{CHANGE_TITLES[event]}",
                "；".join(part for part in (why, reason) if part),
                f"/licences/{licence.identifier}/",
            )
    return licence


def reissue(
    licence: Licence, actor, *, fields: dict[str, Any] | None = None, reason: str = "", now=None
) -> Licence:
    """变更换发: revoke ``licence`` (reason ``reissue``) and issue its next version."""
    with transaction.atomic():
        old = change(licence, "revoke", actor, reason_code="reissue", reason=reason, now=now)
        request = Request(
            type=old.type,
            issuer=old.issuer,
            holder_kind=old.holder_kind,
            holder_id=old.holder_id,
            holder_name=old.holder_name,
            fields={**old.fields, **(fields or {})},
            source=old.source,
        )
        serial = old.identifier.split(".")[7]
        return issue(
            request,
            actor=actor,
            roles={ISSUER},
            now=now,
            version=old.version + 1,
            serial=serial,
            replaces=old,
        )


def get_type(name: str) -> LicenceType | None:
    """The active licence type a catalog result's ``license_type`` names."""
    return LicenceType.objects.filter(name=name, active=True).first() if name else None


def find(identifier: str) -> Licence:
    if codes.validate_licence_identifier(identifier or ""):
        raise NotFound("未找到该证照", "identifier")
    found = Licence.objects.select_related("issuer", "type").filter(identifier=identifier).first()
    if found is None:
        raise NotFound("未找到该证照", "identifier")
    return found
