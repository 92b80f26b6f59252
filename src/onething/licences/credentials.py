"""A licence as a W3C Verifiable Credential 2.0, secured as a compact JWS (``vc+jwt``), the
short signed payload its QR code carries, and verification of both.

- :func:`credential_payload` — the VC: ``id`` ``urn:gbt36904:<identifier>``, the issuer (by its
  统一社会信用代码), ``validFrom``/``validUntil``, the subject (holder and the licence's metadata
  and fields) and two ``BitstringStatusListEntry`` (revocation, suspension).
- :func:`qr_token` — what the face's QR code carries: a JWS of the identifier, the validity, a
  digest binding it to the full credential and the status URL — *no personal data*, and short
  enough for a QR code a phone reads off a screen; anyone with the JWK set verifies it offline,
  and the status URL answers online.
- :func:`verify` — a JWS from this node (any of its keys, retired ones included) or from an
  issuer on the trust list; anything else is refused with a reason a person can read.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from onething.licences import keys, signers, statuslists
from onething.licences.models import Licence, SigningKey, TrustedIssuer

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
CREDENTIAL_TYPE = "ElectronicLicenceCredential"
QR_TYP = "licence-qr+jwt"


def issuer_id(uscc: str | None = None) -> str:
    """The issuer in a credential: the department by its USCC; the node itself by its URL."""
    return f"urn:uscc:{uscc}" if uscc else settings.PUBLIC_URL


def credential_payload(licence: Licence) -> dict[str, Any]:
    subject = {
        "id": f"urn:{'uscc' if licence.holder_kind == 'enterprise' else 'cn-id'}:{licence.holder_id}",
        "holder": {"kind": licence.holder_kind, "id": licence.holder_id, "name": licence.holder_name},
        "licence": {
            "identifier": licence.identifier,
            "name": licence.name,
            "typeCode": licence.type_id,
            "number": licence.number,
            "version": licence.version,
            "issuedOn": licence.issued_on.isoformat(),
            "validUntil": licence.valid_until.isoformat() if licence.valid_until else None,
            "fields": licence.fields,
        },
    }
    payload: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "id": f"urn:gbt36904:{licence.identifier}",
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "name": licence.name,
        "issuer": {"id": issuer_id(licence.issuer_id), "name": licence.issuer.name},
        "validFrom": dt.datetime.combine(licence.issued_on, dt.time(), dt.UTC).isoformat(),
        "credentialSubject": subject,
        "credentialStatus": [
            statuslists.entry(licence, statuslists.REVOCATION),
            statuslists.entry(licence, statuslists.SUSPENSION),
        ],
    }
    if licence.valid_until:
        end = dt.datetime.combine(licence.valid_until, dt.time(23, 59, 59), dt.UTC)
        payload["validUntil"] = end.isoformat()
    return payload


def sign_credential(licence: Licence) -> tuple[str, str]:
    """(compact JWS, kid) of the licence's credential."""
    body = json.dumps(credential_payload(licence), ensure_ascii=False, separators=(",", ":"))
    return keys.sign({"typ": "vc+jwt", "cty": "vc"}, body.encode())


def status_url(identifier: str) -> str:
    return settings.PUBLIC_URL + reverse("api:licence_status", args=[identifier])


def qr_token(licence: Licence) -> str:
    """The QR code's short signed payload (no personal data)."""
    payload = {
        "id": licence.identifier,
        "vu": licence.valid_until.isoformat() if licence.valid_until else None,
        "h": _binding(licence.credential),
        "st": status_url(licence.identifier),
    }
    token, _ = keys.sign(
        {"typ": QR_TYP}, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    )
    return token


def _binding(credential: str) -> str:
    """Ties a QR payload to one credential: the first 64 bits of its SHA-256."""
    return hashlib.sha256(credential.encode()).hexdigest()[:16]


def qr_url(licence: Licence) -> str:
    """What the QR code encodes: the public verification page, carrying the signed payload."""
    return settings.PUBLIC_URL + reverse("licences:verify") + "?c=" + qr_token(licence)


# ------------------------------------------------------------------------------ verification


@dataclass
class Verification:
    """The outcome of checking a JWS, in words a verifier reads."""

    genuine: bool
    message: str
    identifier: str = ""
    name: str = ""
    issuer: str = ""
    kid: str = ""
    trusted_via: str = ""  # "本平台" or the trusted issuer's name
    status: str = ""  # valid | suspended | revoked | expired | unknown
    valid_until: str | None = None
    checked_at: dt.datetime = field(default_factory=timezone.now)
    payload: dict[str, Any] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "genuine": self.genuine,
            "message": self.message,
            "identifier": self.identifier,
            "name": self.name,
            "issuer": self.issuer,
            "kid": self.kid,
            "trusted_via": self.trusted_via,
            "status": self.status,
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
        }


STATUS_WORDS = {
    "valid": "有效",
    "suspended": "已暂停使用",
    "revoked": "已废止",
    "expired": "已过有效期",
    "unknown": "状态未能在线核验",
}


def _header(token: str) -> dict[str, Any] | None:
    try:
        head = token.split(".", 1)[0]
        data = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError, IndexError):
        return None
    return data if isinstance(data, dict) else None


def verify(token: str, *, today: dt.date | None = None) -> Verification:
    """Check a licence credential or QR payload: signature, issuer trust, then status."""
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 20000:
        return Verification(False, "不是有效的电子证照凭证")
    header = _header(token)
    if header is None or not isinstance(header.get("kid"), str):
        return Verification(False, "不是有效的电子证照凭证")
    kid, alg = header["kid"], header.get("alg", "")
    own = SigningKey.objects.filter(kid=kid).first()
    trusted = None if own else TrustedIssuer.objects.filter(kid=kid, active=True).first()
    if own is None and trusted is None:
        return Verification(False, "签发方不在本平台的信任列表中，无法确认该证照的真实性", kid=kid)
    jwk = own.public_jwk if own else trusted.public_jwk
    signer = signers.get(own.signer) if own else signers.for_alg(alg)
    if signer is None or signer.alg != alg:
        return Verification(False, f"不支持的签名算法“{alg}”", kid=kid)
    try:
        _, body = signer.verify(jwk, token)
        payload = json.loads(body)
    except (signers.BadSignature, ValueError, UnicodeDecodeError):
        return Verification(False, "签名核验失败：该凭证已被篡改或并非由所称的签发方签发", kid=kid)
    if not isinstance(payload, dict):
        return Verification(False, "不是有效的电子证照凭证", kid=kid)
    return _facts(payload, header, kid, own is not None, trusted, today or timezone.localdate())


def about(licence: Licence, today: dt.date | None = None, *, kid: str = "", payload=None) -> Verification:
    """What a verifier learns of a licence this node issued: genuine and its status, the issuer."""
    status = licence.public_status(today)
    return Verification(
        status == "valid",
        "真实有效的电子证照" if status == "valid" else f"证照真实，但{STATUS_WORDS[status]}",
        identifier=licence.identifier,
        name=licence.name,
        issuer=licence.issuer.name,
        kid=kid or licence.kid,
        trusted_via="本平台",
        status=status,
        valid_until=licence.valid_until.isoformat() if licence.valid_until else None,
        payload=payload or {},
    )


def _identifier_of(payload: dict[str, Any], header: dict[str, Any]) -> str:
    if header.get("typ") == QR_TYP:
        return str(payload.get("id") or "")
    vc_id = str(payload.get("id") or "")
    return vc_id.removeprefix("urn:gbt36904:")


def _facts(payload, header, kid, own, trusted, today) -> Verification:
    identifier = _identifier_of(payload, header)
    if own:
        licence = Licence.objects.select_related("issuer").filter(identifier=identifier).first()
        if licence is None:
            return Verification(False, "本平台未签发该证照", identifier=identifier, kid=kid)
        if header.get("typ") == QR_TYP and payload.get("h") != _binding(licence.credential):
            return Verification(False, "二维码与证照不符", identifier=identifier, kid=kid)
        return about(licence, today, kid=kid, payload=payload)
    issuer = payload.get("issuer") or {}
    issuer_name = (issuer.get("name") if isinstance(issuer, dict) else "") or trusted.name
    until = payload.get("validUntil") or payload.get("vu")
    status = "unknown"
    if isinstance(until, str) and until[:10] < today.isoformat():
        status = "expired"
    name = payload.get("name") or payload.get("n") or ""
    return Verification(
        status != "expired",
        f"签名有效（签发方：{trusted.name}），{STATUS_WORDS[status]}",
        identifier=identifier,
        name=str(name),
        issuer=str(issuer_name),
        kid=kid,
        trusted_via=trusted.name,
        status=status,
        valid_until=until if isinstance(until, str) else None,
        payload=payload,
    )
