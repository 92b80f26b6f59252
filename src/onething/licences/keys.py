"""This node's signing keys: ids, rotation, the published JWK set.

The private key of each :class:`~onething.licences.models.SigningKey` is a PEM file
``<kid>.pem`` (mode 0600) in ``ONETHING_LICENCE_KEY_DIR`` — outside the database, so a
database dump signs nothing. The first signature creates the first key. :func:`rotate` makes a
new key the active one; the old key is retired, not deleted: it stays in
``/.well-known/jwks.json`` so that every licence it signed still verifies.

A ``kid`` is the start of the key's RFC 7638 thumbprint (:data:`KID_LENGTH` characters, 96
bits: short, because it is in every QR code), so anyone can recompute it from the JWK.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from onething.licences import signers
from onething.licences.models import SigningKey

KID_LENGTH = 16


def key_dir() -> Path:
    return Path(settings.ONETHING["LICENCE_KEY_DIR"])


def thumbprint(jwk: dict) -> str:
    """RFC 7638: SHA-256 of the required members in lexical order, base64url without padding."""
    required = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}
    members = required.get(jwk.get("kty"), tuple(sorted(k for k in jwk if k not in ("kid", "use", "alg"))))
    data = json.dumps({k: jwk[k] for k in members}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _write_private(kid: str, pem: bytes) -> None:
    folder = key_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{kid}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


#: private keys read this process, by kid (a key file never changes: a new key has a new kid)
_pems: dict[str, bytes] = {}


def private_pem(kid: str) -> bytes:
    pem = _pems.get(kid)
    if pem is None:
        try:
            pem = _pems[kid] = (key_dir() / f"{kid}.pem").read_bytes()
        except FileNotFoundError:
            raise LookupError(f"签名密钥 {kid} 的私钥不在 {key_dir()}（ONETHING_LICENCE_KEY_DIR）") from None
    return pem


def _has_private(kid: str) -> bool:
    return kid in _pems or (key_dir() / f"{kid}.pem").exists()


def _create(signer_key: str) -> SigningKey:
    signer = signers.get(signer_key)
    pem, jwk = signer.generate()
    kid = thumbprint(jwk)[:KID_LENGTH]
    _write_private(kid, pem)
    jwk = {**jwk, "kid": kid, "alg": signer.alg, "use": "sig"}
    return SigningKey(kid=kid, signer=signer_key, public_jwk=jwk, active=True)


def active() -> SigningKey:
    """The key that signs now (created on first use)."""
    found = SigningKey.objects.filter(active=True).only("kid", "signer").first()
    if found is not None and _has_private(found.kid):
        return found
    if found is not None:  # the private key is gone (a new machine, a lost volume): rotate
        return rotate()
    key = _create(settings.ONETHING["LICENCE_SIGNER"])
    try:
        with transaction.atomic():
            key.save(force_insert=True)
    except IntegrityError:  # another process created one at the same moment: use theirs
        return SigningKey.objects.get(active=True)
    return key


def rotate(signer_key: str | None = None) -> SigningKey:
    """Make a new active key; the current one is retired but stays published."""
    key = _create(signer_key or settings.ONETHING["LICENCE_SIGNER"])
    with transaction.atomic():
        SigningKey.objects.select_for_update().filter(active=True).update(
            active=False, retired_at=timezone.now()
        )
        key.save(force_insert=True)
    return key


def sign(header: dict, payload: bytes) -> tuple[str, str]:
    """(compact JWS, kid) signed with the active key."""
    key = active()
    return signers.get(key.signer).sign(private_pem(key.kid), {**header, "kid": key.kid}, payload), key.kid


def jwks() -> dict:
    """The JWK set: every key of this node, active and retired (licences they signed stay valid)."""
    return {"keys": [k.public_jwk for k in SigningKey.objects.order_by("-active", "-created_at")]}
