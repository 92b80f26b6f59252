"""用证: the holder's consent, and using a licence instead of submitting it.

- :func:`give` records a consent — licence type × item or bundle × purpose × validity — as a
  signed receipt (a JWS the holder can keep and anyone can check against the JWK set);
  :func:`withdraw` ends it. Both go through the ``licences.consent`` machine.
- :func:`use` is the only way a department obtains a licence for an application: it finds the
  holder's licence of the type, refuses without a consent in force (nothing is read), verifies
  the credential (signature, trust, status) and logs the use — allowed or refused — where the
  holder sees it (:class:`~onething.licences.models.LicenceUse`).
- :func:`candidates` tells the apply page which of a material's licences the applicant holds.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from onething.core import text
from onething.kernel.errors import Invalid, NotFound, NotPermitted
from onething.licences import credentials, keys, rules
from onething.licences.machines import CONSENT, HOLDER
from onething.licences.models import Consent, Licence, LicenceType, LicenceUse
from onething.workflow import engine


def types_for_material(material: str) -> list[LicenceType]:
    """Active licence types whose licences stand for ``material`` (a material type code)."""
    return [t for t in LicenceType.objects.filter(active=True) if material in (t.materials or [])]


def licences_of(holder_id: str, kinds: list[LicenceType], today: dt.date | None = None) -> list[Licence]:
    """The holder's usable licences of these types (valid, not expired), newest first."""
    if not holder_id or not kinds:
        return []
    rows = Licence.objects.filter(
        holder_id=holder_id, type__in=kinds, status=Licence.Status.VALID
    ).select_related("issuer", "type")
    today = today or timezone.localdate()
    return [lic for lic in rows.order_by("-issued_on", "-id") if not lic.expired(today)]


def consent_for(
    holder_id: str, kind: LicenceType, scopes: list[tuple[str, str]], today=None
) -> Consent | None:
    """A consent in force for this holder, type and one of ``scopes`` ((scope, code) pairs)."""
    today = today or timezone.localdate()
    for consent in Consent.objects.filter(holder_id=holder_id, type=kind, status=Consent.Status.GIVEN):
        if (consent.scope, consent.scope_code) in scopes and consent.in_force(today):
            return consent
    return None


# ---------------------------------------------------------------------------------- consent


def _receipt(consent: Consent) -> str:
    body = {
        "type": "LicenceUseConsent",
        "holder": consent.holder_id,
        "licenceType": consent.type_id,
        "licenceTypeName": consent.type.name,
        "scope": consent.scope,
        "scopeCode": consent.scope_code,
        "scopeName": consent.scope_name,
        "purpose": consent.purpose,
        "validUntil": consent.valid_until.isoformat(),
        "givenAt": consent.created_at.isoformat(timespec="seconds"),
        "issuer": credentials.issuer_id(),
    }
    token, _ = keys.sign({"typ": "consent+jwt"}, json.dumps(body, ensure_ascii=False).encode())
    return token


def give(
    user,
    *,
    holder_id: str,
    kind: LicenceType,
    scope: str,
    scope_code: str,
    scope_name: str,
    purpose,
    valid_until: dt.date | None = None,
    now=None,
) -> Consent:
    """The holder (``user``, for themself or an enterprise they act for) authorises a use."""
    from onething.licences.access import holder_ids

    now = now or timezone.now()
    today = timezone.localdate(now)
    if holder_id not in holder_ids(user):
        raise NotPermitted("只有持证人本人（或企业的授权人）可以授权使用证照")
    if scope not in dict(Consent.SCOPES):
        raise Invalid("授权范围应为事项或一件事", "scope")
    purpose = text.clean(purpose, "purpose", max_length=200, required=True)
    scope_code = text.clean(scope_code, "scope_code", max_length=64, required=True)
    scope_name = text.clean(scope_name, "scope_name", max_length=200) or scope_code
    valid_until = valid_until or today + dt.timedelta(days=rules.CONSENT_DAYS_AT_APPLY)
    if not today <= valid_until <= today + dt.timedelta(days=rules.CONSENT_MAX_DAYS):
        raise Invalid(f"授权有效期应在今天到{rules.CONSENT_MAX_DAYS // 366}年之内", "valid_until")
    with transaction.atomic():
        consent = Consent(
            user=user,
            holder_id=holder_id,
            type=kind,
            scope=scope,
            scope_code=scope_code,
            scope_name=scope_name,
            purpose=purpose,
            valid_until=valid_until,
            created_at=now,
        )
        consent.receipt = _receipt(consent)
        engine.create(
            CONSENT,
            consent,
            "give",
            roles={HOLDER},
            actor=user,
            at=now,
            save_as="consent_id",
            scope=scope_code,
            licence_type=kind.code,
        )
    return consent


def withdraw(user, consent: Consent, *, now=None) -> Consent:
    from onething.licences.access import holder_ids

    now = now or timezone.now()
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        roles = {HOLDER} if consent.holder_id in holder_ids(user) else set()
        if not roles:
            raise NotFound("未找到该授权")
        engine.fire(CONSENT, consent, "withdraw", roles=roles, actor=user, at=now)
        consent.withdrawn_at = now
        consent.save(update_fields=["status", "withdrawn_at"])
    return consent


# ---------------------------------------------------------------------------------- use


@dataclass
class Use:
    """A licence obtained for an application: the verified reference."""

    licence: Licence
    verification: credentials.Verification
    consent: Consent
    record: LicenceUse

    def reference(self) -> dict:
        v = self.verification
        return {
            "identifier": self.licence.identifier,
            "name": self.licence.name,
            "number": self.licence.number,
            "issuer": self.licence.issuer.name,
            "issued_on": self.licence.issued_on.isoformat(),
            "valid_until": self.licence.valid_until.isoformat() if self.licence.valid_until else None,
            "verification": v.as_dict(),
            "consent": self.consent.pk,
            "fields": self.licence.fields,
        }


class ConsentRequired(NotPermitted):
    default_code = "consent_required"


def _log(licence, *, consent, department, actor, purpose, application, allowed, reason, now) -> LicenceUse:
    return LicenceUse.objects.create(
        licence=licence,
        consent=consent,
        department_id=department,
        actor=actor if getattr(actor, "pk", None) else None,
        purpose=purpose[:200],
        application=application[:40],
        allowed=allowed,
        reason=reason[:300],
        at=now,
    )


def use(
    *,
    holder_id: str,
    material: str,
    scopes: list[tuple[str, str]],
    department: str,
    purpose: str,
    application: str = "",
    identifier: str = "",
    actor=None,
    now=None,
) -> Use:
    """Obtain the holder's licence for ``material`` for a department's handling of an application.

    Raises ``NotFound`` when the holder has no usable licence of a type that stands for the
    material, :class:`ConsentRequired` (403) without a consent in force for the type and one of
    ``scopes`` — nothing is read then — and ``NotPermitted`` when the credential does not verify.
    Every outcome with a licence is logged for the holder.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    kinds = types_for_material(material)
    found = licences_of(holder_id, kinds, today)
    if identifier:
        found = [lic for lic in found if lic.identifier == identifier]
    if not found:
        raise NotFound("持证人没有可用的该类电子证照", "material")
    licence = found[0]
    consent = consent_for(holder_id, licence.type, scopes, today)
    if consent is None:
        _log(
            licence,
            consent=None,
            department=department,
            actor=actor,
            purpose=purpose,
            application=application,
            allowed=False,
            reason="持证人未授权该用途",
            now=now,
        )
        raise ConsentRequired(f"持证人未授权本次办理使用“{licence.name}”（可在“我的证照”授权）")
    verification = credentials.verify(licence.credential, today=today)
    if not verification.genuine:
        _log(
            licence,
            consent=consent,
            department=department,
            actor=actor,
            purpose=purpose,
            application=application,
            allowed=False,
            reason=verification.message,
            now=now,
        )
        raise NotPermitted(f"电子证照“{licence.name}”不可使用：{verification.message}")
    record = _log(
        licence,
        consent=consent,
        department=department,
        actor=actor,
        purpose=purpose,
        application=application,
        allowed=True,
        reason="",
        now=now,
    )
    return Use(licence=licence, verification=verification, consent=consent, record=record)


def candidates(holder_id: str, materials: list[str]) -> dict[str, list[Licence]]:
    """Material code → the holder's usable licences standing for it (the apply page offers them)."""
    out: dict[str, list[Licence]] = {}
    for material in materials:
        found = licences_of(holder_id, types_for_material(material))
        if found:
            out[material] = found
    return out
