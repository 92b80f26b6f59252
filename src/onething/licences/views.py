"""Pages of 电子证照 (mounted at ``/licences/``): 我的证照 with consents and the use record, a
licence's page (face, QR code, 加注件 sharing; the issuer's suspend / resume / revoke buttons
named by the machine), what a department issued, the public verification page and the page a
share link opens. ``/.well-known/jwks.json`` is :func:`jwks`.

Views are thin: they read forms, call the domain (``issuing``, ``wallet``, ``sharelinks``,
``credentials``) and render. Outside the person's scope a licence is a plain 404; a refusal is
a Chinese message on the page, never a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from onething.accounts.masking import text_for
from onething.catalog.models import Bundle, Item
from onething.core import text
from onething.core.errors import Refused
from onething.documents import render as documents_render
from onething.documents import service as documents
from onething.kernel import codes
from onething.kernel.errors import NotFound
from onething.licences import access, credentials, issuing, keys, rules, sharelinks, wallet
from onething.licences.machines import LICENCE
from onething.licences.models import Consent, Licence, LicenceType, LicenceUse, ShareLink

STATUS_BADGES = {
    "valid": "badge-ok",
    "suspended": "badge-warn",
    "revoked": "badge-danger",
    "expired": "badge-muted",
}


@require_GET
def jwks(request):
    """The node's public signing keys (active and retired) as a JWK set."""
    response = JsonResponse(keys.jwks())
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _row_id(value: str) -> int:
    """A row id from the URL, or a 404 (never a database error)."""
    try:
        return text.integer(value, "id", minimum=1, maximum=2**63 - 1)
    except Refused:
        raise Http404 from None


def _licence(request, identifier: str) -> Licence:
    try:
        licence = issuing.find(identifier)
    except NotFound:
        raise Http404 from None
    if not access.visible(request.user).filter(pk=licence.pk).exists():
        raise Http404
    return licence


def _fields(licence: Licence, *, masked: bool) -> list[dict]:
    """The licence's item-specific fields with their labels (personal numbers masked for
    anyone but the holder)."""
    return [
        {
            "label": f.get("label", f["key"]),
            "value": text_for(str(value), owner=False) if masked else value,
        }
        for f in licence.type.fields or []
        if (value := licence.fields.get(f["key"]))
    ]


def _card(licence: Licence) -> dict:
    status = licence.public_status()
    return {
        "l": licence,
        "status": status,
        "status_name": credentials.STATUS_WORDS.get(status, status),
        "badge": STATUS_BADGES.get(status, ""),
    }


@login_required
@require_GET
def mine(request):
    """我的证照: the licences held (own and the enterprises'), consents, and every use."""
    ids = access.holder_ids(request.user)
    licences = [_card(lic) for lic in access.held(request.user).order_by("-issued_on", "-id")[:200]]
    consents = Consent.objects.filter(holder_id__in=ids).select_related("type")[:200] if ids else []
    uses = (
        LicenceUse.objects.filter(licence__holder_id__in=ids).select_related("licence", "department")[:100]
        if ids
        else []
    )
    held_types = {c["l"].type_id: c["l"].type for c in licences}
    return render(
        request,
        "licences/mine.html",
        {
            "licences": licences,
            "consents": consents,
            "uses": uses,
            "today": timezone.localdate(),
            "held_types": held_types.values(),
            "issuer": bool(access.issuing_departments(request.user)),
            "has_ids": bool(ids),
            "consent_max_days": rules.CONSENT_MAX_DAYS,
        },
    )


@login_required
@require_GET
def detail(request, identifier: str):
    licence = _licence(request, identifier)
    roles = access.roles_for(request.user, licence)
    holder = access.is_holder(request.user, licence)
    actions = [LICENCE.events[name] for name in LICENCE.allowed(licence.status, roles)]
    qr_url = credentials.qr_url(licence)
    shared = request.session.pop("licence_share_url", None) if holder else None
    return render(
        request,
        "licences/detail.html",
        {
            **_card(licence),
            "holder": holder,
            "holder_id": licence.holder_id if holder else text_for(licence.holder_id, owner=False),
            "fields": _fields(licence, masked=not holder),
            "qr_svg": documents_render.qr_svg(qr_url, scale=3, title="电子证照核验二维码"),
            "qr_url": qr_url,
            "actions": actions,
            "reason_codes": rules.REASON_CODES.items(),
            "links": ShareLink.objects.filter(licence=licence).order_by("-created_at")[:20] if holder else [],
            "shared": shared,
            "shared_qr": documents_render.qr_svg(shared, scale=3, title="加注件二维码") if shared else "",
            "now": timezone.now(),
            "share_max_days": rules.SHARE_MAX_DAYS,
            "uses": licence.uses.select_related("department")[:50] if holder else [],
        },
    )


@login_required
@require_GET
def face(request, identifier: str):
    """The licence's face (PDF with the embedded font and the QR code): the holder's copy shows
    their number in full; the issuer's staff get a copy with a person's number masked."""
    licence = _licence(request, identifier)
    holder = access.is_holder(request.user, licence)
    qr_url = credentials.qr_url(licence)

    def draw() -> bytes:
        return documents_render.render_pdf(
            "licences/face.html",
            {
                "l": licence,
                "holder_id": licence.holder_id if holder else text_for(licence.holder_id, owner=False),
                "fields": _fields(licence, masked=not holder),
                "holder_label": rules.holder_label(licence.holder_kind),
                "qr_svg": documents_render.qr_svg(qr_url, scale=3, title="电子证照核验二维码"),
            },
        )

    audience = "holder" if holder else "others"
    data = documents.stored_pdf(licence.document, audience, draw) if licence.document_id else draw()
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="licence-{licence.number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def act(request, identifier: str, name: str):
    """The issuer's suspend / resume / revoke, with the reason (code) from the form."""
    licence = _licence(request, identifier)
    try:
        issuing.change(
            licence,
            name,
            request.user,
            reason_code=request.POST.get("reason_code", "") if name == "revoke" else "",
            reason=request.POST.get("reason", ""),
        )
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"证照{issuing.CHANGE_TITLES.get(name, '状态已更新')}，状态列表已同步更新")
    return redirect("licences:detail", identifier=licence.identifier)


@login_required
@require_POST
def share(request, identifier: str):
    licence = _licence(request, identifier)
    try:
        link, address = sharelinks.create(
            request.user,
            licence,
            recipient=request.POST.get("recipient", ""),
            purpose=request.POST.get("purpose", ""),
            days=request.POST.get("days", ""),
        )
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        request.session["licence_share_url"] = address
        messages.success(
            request, f"已生成加注件分享链接，有效期至 {timezone.localtime(link.expires_at):%Y-%m-%d %H:%M}"
        )
    return redirect("licences:detail", identifier=licence.identifier)


@login_required
@require_POST
def unshare(request, identifier: str, link_id: str):
    licence = _licence(request, identifier)
    link = ShareLink.objects.filter(pk=_row_id(link_id), licence=licence).first()
    if link is None:
        raise Http404
    sharelinks.revoke(request.user, link)
    messages.success(request, "已收回该分享链接")
    return redirect("licences:detail", identifier=licence.identifier)


@login_required
@require_POST
def give_consent(request):
    """A standing consent from 我的证照: type × item or bundle × purpose × validity."""
    kind = LicenceType.objects.filter(code=request.POST.get("licence_type", ""), active=True).first()
    scope_code = request.POST.get("scope_code", "").strip()
    scope = "bundle" if Bundle.objects.filter(code=scope_code).exists() else "item"
    named = (
        (Bundle if scope == "bundle" else Item)
        .objects.filter(code=scope_code)
        .values_list("name", flat=True)
        .first()
    )
    try:
        if kind is None:
            raise NotFound("请选择证照", "licence_type")
        if named is None:
            raise NotFound("请填写正确的事项或一件事编码", "scope_code")
        holder = next(
            (c.holder_id for c in access.held(request.user).filter(type=kind)), request.user.id_number or ""
        )
        wallet.give(
            request.user,
            holder_id=holder,
            kind=kind,
            scope=scope,
            scope_code=scope_code,
            scope_name=named,
            purpose=request.POST.get("purpose", "") or rules.use_purpose(named),
            valid_until=text.date(request.POST.get("valid_until"), "valid_until")
            if request.POST.get("valid_until")
            else None,
        )
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已授权：办理“{named}”时可使用您的“{kind.name}”")
    return redirect("licences:mine")


@login_required
@require_POST
def withdraw_consent(request, consent_id: str):
    consent = Consent.objects.filter(
        pk=_row_id(consent_id), holder_id__in=access.holder_ids(request.user)
    ).first()
    if consent is None:
        raise Http404
    try:
        wallet.withdraw(request.user, consent)
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已撤回对“{consent.type.name}”的授权，之后的使用将被拒绝")
    return redirect("licences:mine")


@login_required
@require_GET
def issued(request):
    """What the person's departments issued (approvers and department admins)."""
    departments = access.issuing_departments(request.user)
    if not departments:
        raise Http404
    rows = Licence.objects.filter(issuer_id__in=departments).select_related("issuer", "type").order_by("-id")
    status = request.GET.get("status", "")
    if status in Licence.Status.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "licences/issued.html",
        {
            "licences": [
                {**_card(lic), "holder_masked": text_for(lic.holder_id, owner=False)} for lic in rows[:200]
            ],
            "status": status,
            "statuses": Licence.Status.choices,
        },
    )


@require_GET
def verify(request):
    """Public verification: the QR code's signed payload (``?c=``) or an identifier (``?id=``).
    Says genuine / suspended / revoked / expired and the issuer, never the holder."""
    token = request.GET.get("c", "")
    identifier = request.GET.get("id", "").strip()
    result = None
    if token:
        result = credentials.verify(token[:20000])
    elif identifier:
        if codes.validate_licence_identifier(identifier[:120]):
            result = credentials.Verification(
                False, "证照标识格式或校验码不正确", identifier=identifier[:120]
            )
        else:
            found = Licence.objects.select_related("issuer").filter(identifier=identifier).first()
            if found is None:
                result = credentials.Verification(False, "本平台未签发该证照", identifier=identifier)
            else:
                result = credentials.about(found)
    return render(
        request,
        "licences/verify.html",
        {
            "result": result,
            "badge": STATUS_BADGES.get(result.status, "badge-danger") if result else "",
            "status_name": credentials.STATUS_WORDS.get(result.status, "") if result else "",
            "identifier": identifier[:120],
        },
        status=200,
    )


@require_GET
def shared(request, token: str):
    """The page a 加注件 link opens: the licence annotated with purpose and period."""
    try:
        link = sharelinks.open_link(token)
    except NotFound as exc:
        return render(request, "licences/shared.html", {"gone": exc.message}, status=404)
    licence = link.licence
    return render(
        request,
        "licences/shared.html",
        {
            "link": link,
            "l": licence,
            "holder_id": text_for(licence.holder_id, owner=False),
            "fields": _fields(licence, masked=True),
            "verify_url": credentials.qr_url(licence),
        },
    )
