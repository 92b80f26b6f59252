"""电子证照 API (``/api/v1/licences`` and ``/api/v1/me/licences``).

The public interfaces (PRODUCT.md C9): ``GET /me/licences``; ``GET /licences/{identifier}``
(holder or issuer); ``GET /licences/{identifier}/status`` (public); ``POST
/licences/{identifier}/revoke`` (the issuing department's admin); the JWK set is at
``/.well-known/jwks.json`` (``views.jwks``). The rest is ours: suspend and resume, the status
lists, verification of any credential, consents and uses, 加注件 links. A department obtains
a licence for an application through the cases API (``POST /applications/{number}/licences``,
403 without the holder's consent). Outside the caller's scope a licence is 404.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.responses import Status

from onething.accounts.auth import authenticated
from onething.accounts.masking import text_for
from onething.core.errors import responses
from onething.core.text import Date, Int, RowId, Text
from onething.kernel.errors import NotFound, NotPermitted
from onething.licences import access, credentials, issuing, rules, sharelinks, statuslists, wallet
from onething.licences.machines import HOLDER, LICENCE
from onething.licences.models import Consent, Licence, LicenceType, LicenceUse, StatusList

router = Router(tags=["licences"], auth=authenticated)
me_router = Router(tags=["licences"], auth=authenticated)


class LicenceOut(Schema):
    identifier: str
    name: str
    type_code: str
    number: str
    holder: dict
    issuer: dict
    issued_on: str
    valid_until: str | None
    status: str
    status_name: str
    fields: dict
    credential: str
    actions: list[str]


class LicenceList(Schema):
    results: list[LicenceOut]


class StatusOut(Schema):
    identifier: str
    status: str


class ChangeIn(Schema):
    reason: Text(500) = ""
    reason_code: Text(12) | None = None


class CredentialVerifyIn(Schema):
    credential: Text(20000)


class CredentialVerifyOut(Schema):
    genuine: bool
    message: str
    identifier: str
    name: str
    issuer: str
    kid: str
    trusted_via: str
    status: str
    checked_at: str


class ConsentIn(Schema):
    licence_type: Text(21)
    holder: Text(18) | None = None
    scope: Text(10)
    scope_code: Text(64)
    scope_name: Text(200) = ""
    purpose: Text(200)
    valid_until: Date() | None = None


class ConsentOut(Schema):
    id: int
    licence_type: str
    licence_type_name: str
    holder: str
    scope: str
    scope_code: str
    scope_name: str
    purpose: str
    valid_until: str
    status: str
    created_at: str
    withdrawn_at: str | None
    receipt: str


class ConsentList(Schema):
    results: list[ConsentOut]


class LicenceUseOut(Schema):
    at: str
    licence: str
    licence_name: str
    department: str
    purpose: str
    application: str
    allowed: bool
    reason: str


class LicenceUseList(Schema):
    results: list[LicenceUseOut]


class ShareIn(Schema):
    recipient: Text(100)
    purpose: Text(200)
    days: Int(1, 90) = 7


class ShareOut(Schema):
    url: str
    expires_at: str


# ------------------------------------------------------------------------------------ shapes


def licence_out(licence: Licence, user) -> dict:
    """A licence for its holder or issuer (both may see it whole)."""
    roles = access.roles_for(user, licence)
    return {
        "identifier": licence.identifier,
        "name": licence.name,
        "type_code": licence.type_id,
        "number": licence.number,
        # the holder's number in full for the holder; masked for the issuer's staff (a person's
        # number, not an enterprise's credit code), who issued the credential that carries it
        "holder": {
            "kind": licence.holder_kind,
            "id": licence.holder_id if HOLDER in roles else text_for(licence.holder_id, owner=False),
            "name": licence.holder_name,
        },
        "issuer": {"code": licence.issuer_id, "name": licence.issuer.name},
        "issued_on": licence.issued_on.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "status": licence.public_status(),
        "status_name": credentials.STATUS_WORDS.get(licence.public_status(), ""),
        "fields": licence.fields,
        "credential": licence.credential,
        "actions": LICENCE.allowed(licence.status, roles),
    }


def consent_out(consent: Consent) -> dict:
    return {
        "id": consent.pk,
        "licence_type": consent.type_id,
        "licence_type_name": consent.type.name,
        "holder": consent.holder_id,
        "scope": consent.scope,
        "scope_code": consent.scope_code,
        "scope_name": consent.scope_name,
        "purpose": consent.purpose,
        "valid_until": consent.valid_until.isoformat(),
        "status": consent.status if consent.in_force() or consent.status != "given" else "expired",
        "created_at": consent.created_at.isoformat(timespec="seconds"),
        "withdrawn_at": consent.withdrawn_at.isoformat(timespec="seconds") if consent.withdrawn_at else None,
        "receipt": consent.receipt,
    }


def use_out(use: LicenceUse) -> dict:
    return {
        "at": use.at.isoformat(timespec="seconds"),
        "licence": use.licence.identifier,
        "licence_name": use.licence.name,
        "department": use.department.name if use.department_id else "",
        "purpose": use.purpose,
        "application": use.application,
        "allowed": use.allowed,
        "reason": use.reason,
    }


def visible_licence(user, identifier: str) -> Licence:
    licence = issuing.find(identifier)
    if not access.visible(user).filter(pk=licence.pk).exists():
        raise NotFound("未找到该证照", "identifier")
    return licence


def reason_code_of(payload: ChangeIn) -> str:
    """The reason code given, or the one the reason's words name (``{"reason": "吊销"}``);
    撤销 when neither says."""
    if payload.reason_code:
        return payload.reason_code
    for code, word in rules.REASON_CODES.items():
        if payload.reason.startswith(word):
            return code
    return "withdraw"


# ------------------------------------------------------------------------------------ routes


@me_router.get("", response=responses(LicenceList, 401), summary="我的证照")
def my_licences(request: HttpRequest) -> dict:
    rows = access.held(request.user).order_by("-issued_on", "-id")[:500]
    return {"results": [licence_out(lic, request.user) for lic in rows]}


@me_router.get("/consents", response=responses(ConsentList, 401), summary="我的用证授权")
def my_consents(request: HttpRequest) -> dict:
    rows = Consent.objects.filter(holder_id__in=access.holder_ids(request.user)).select_related("type")[:500]
    return {"results": [consent_out(c) for c in rows]}


@me_router.post(
    "/consents", response=responses(ConsentOut, 401, 403, 404, status=201), summary="授权使用证照"
)
def give_consent(request: HttpRequest, payload: ConsentIn):
    kind = LicenceType.objects.filter(code=payload.licence_type, active=True).first()
    if kind is None:
        raise NotFound("未找到该证照类型", "licence_type")
    holder = payload.holder or (request.user.id_number or "")
    consent = wallet.give(
        request.user,
        holder_id=holder,
        kind=kind,
        scope=payload.scope,
        scope_code=payload.scope_code,
        scope_name=payload.scope_name,
        purpose=payload.purpose,
        valid_until=payload.valid_until,
    )
    return Status(201, consent_out(consent))


@me_router.post(
    "/consents/{consent_id}/withdraw", response=responses(ConsentOut, 401, 404, 409), summary="撤回授权"
)
def withdraw_consent(request: HttpRequest, consent_id: RowId) -> dict:
    consent = Consent.objects.filter(pk=consent_id, holder_id__in=access.holder_ids(request.user)).first()
    if consent is None:
        raise NotFound("未找到该授权")
    return consent_out(wallet.withdraw(request.user, consent))


@me_router.get("/uses", response=responses(LicenceUseList, 401), summary="我的证照使用记录")
def my_uses(request: HttpRequest) -> dict:
    rows = LicenceUse.objects.filter(licence__holder_id__in=access.holder_ids(request.user)).select_related(
        "licence", "department"
    )[:500]
    return {"results": [use_out(u) for u in rows]}


@router.get("/issued", response=responses(LicenceList, 401, 403), summary="本部门签发的证照")
def issued(request: HttpRequest, status: Text(10) | None = None) -> dict:
    departments = access.issuing_departments(request.user)
    if not departments:
        raise NotPermitted("仅发证部门的工作人员可以查看")
    rows = Licence.objects.filter(issuer_id__in=departments).select_related("issuer", "type")
    if status:
        rows = rows.filter(status=status)
    return {"results": [licence_out(lic, request.user) for lic in rows.order_by("-id")[:500]]}


@router.post(
    "/verify", auth=None, response=responses(CredentialVerifyOut), summary="核验电子证照凭证（公开）"
)
def verify(request: HttpRequest, payload: CredentialVerifyIn) -> dict:
    return credentials.verify(payload.credential).as_dict()


STATUS_LIST_RESPONSE = {
    "responses": {
        200: {
            "description": "已签名的 BitstringStatusListCredential（紧凑 JWS，可用 /.well-known/jwks.json 核验）",
            "content": {"application/vc+jwt": {"schema": {"type": "string"}}},
        }
    }
}


@router.get(
    "/status-lists/{list_id}",
    auth=None,
    url_name="licence_status_list",
    response=responses(None, 404),
    summary="证照状态列表（W3C Bitstring Status List）",
    openapi_extra=STATUS_LIST_RESPONSE,
)
def status_list(request: HttpRequest, list_id: RowId) -> HttpResponse:
    found = get_object_or_404(StatusList, pk=list_id)
    response = HttpResponse(statuslists.credential(found), content_type="application/vc+jwt")
    response["Cache-Control"] = "public, max-age=300"
    return response


@router.get("/{identifier}", response=responses(LicenceOut, 401, 404), summary="证照详情（持证人或发证部门）")
def get_licence(request: HttpRequest, identifier: Text(120)) -> dict:
    return licence_out(visible_licence(request.user, identifier), request.user)


@router.get(
    "/{identifier}/status",
    auth=None,
    url_name="licence_status",
    response=responses(StatusOut, 404),
    summary="证照状态（公开）",
)
def licence_status(request: HttpRequest, identifier: Text(120)) -> dict:
    licence = issuing.find(identifier)
    return {"identifier": licence.identifier, "status": licence.public_status()}


def _change(request, identifier: str, event: str, payload: ChangeIn) -> dict:
    licence = visible_licence(request.user, identifier)
    code = reason_code_of(payload) if event == "revoke" else ""
    changed = issuing.change(licence, event, request.user, reason_code=code, reason=payload.reason)
    return licence_out(changed, request.user)


@router.post(
    "/{identifier}/revoke",
    response=responses(LicenceOut, 401, 403, 404, 409),
    summary="废止证照（发证部门管理员）",
)
def revoke(request: HttpRequest, identifier: Text(120), payload: ChangeIn) -> dict:
    return _change(request, identifier, "revoke", payload)


@router.post(
    "/{identifier}/suspend", response=responses(LicenceOut, 401, 403, 404, 409), summary="暂停使用证照"
)
def suspend(request: HttpRequest, identifier: Text(120), payload: ChangeIn) -> dict:
    return _change(request, identifier, "suspend", payload)


@router.post(
    "/{identifier}/resume", response=responses(LicenceOut, 401, 403, 404, 409), summary="恢复证照有效"
)
def resume(request: HttpRequest, identifier: Text(120), payload: ChangeIn) -> dict:
    return _change(request, identifier, "resume", payload)


@router.post(
    "/{identifier}/share", response=responses(ShareOut, 401, 404, status=201), summary="生成加注件分享链接"
)
def share(request: HttpRequest, identifier: Text(120), payload: ShareIn):
    licence = visible_licence(request.user, identifier)
    link, address = sharelinks.create(
        request.user, licence, recipient=payload.recipient, purpose=payload.purpose, days=payload.days
    )
    return Status(201, {"url": address, "expires_at": link.expires_at.isoformat(timespec="seconds")})
