"""W3C Bitstring Status Lists for the licences' statuses (revocation and suspension).

Every licence gets one bit in a revocation list and one in a suspension list, at an index drawn
at random (``kernel.statuslist``), so a verifier that downloads a list to check a licence learns
nothing about which licence it checks, and the lists do not leak the order of issue. A list is
opened when none of its purpose is less than half full; a random free index is then found in
one or two draws (each draw is one lookup in the unique index).

The bit is written in the transaction that changes the licence's status, under the list's row
lock. :func:`credential` is the list published as a signed ``BitstringStatusListCredential``.
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from onething.kernel import statuslist
from onething.licences import keys
from onething.licences.models import Licence, StatusList

_rng = secrets.SystemRandom()

REVOCATION, SUSPENSION = "revocation", "suspension"
_INDEX_FIELD = {REVOCATION: "revocation_index", SUSPENSION: "suspension_index"}
_LIST_FIELD = {REVOCATION: "revocation_list", SUSPENSION: "suspension_list"}


def _open_list(purpose: str) -> StatusList:
    """The list of ``purpose`` that takes new licences, locked (caller's transaction)."""
    size = int(settings.ONETHING["LICENCE_STATUS_LIST_SIZE"])
    current = (
        StatusList.objects.select_for_update()
        .filter(purpose=purpose)
        .order_by("-id")
        .only("id", "size", "used")
        .first()
    )
    if current is not None and current.used < current.size // 2:
        return current
    return StatusList.objects.create(purpose=purpose, size=size, bits=bytes(size // 8))


def allocate(purpose: str) -> tuple[StatusList, int]:
    """A list of ``purpose`` and a random index not yet taken in it (caller's transaction: the
    list's row lock is held until the licence row that takes the index is committed)."""
    target = _open_list(purpose)
    field = _INDEX_FIELD[purpose]
    existing = Licence.objects.filter(**{_LIST_FIELD[purpose]: target})
    index = statuslist.allocate(lambda i: existing.filter(**{field: i}).exists(), target.size, _rng)
    StatusList.objects.filter(pk=target.pk).update(used=F("used") + 1)
    return target, index


def set_bit(status_list_id: int, index: int, value: bool) -> None:
    """Set a licence's bit (caller's transaction, the licence already locked)."""
    row = StatusList.objects.select_for_update().get(pk=status_list_id)
    bits = statuslist.Bitstring(row.size, bytes(row.bits))
    bits.set(index, value)
    row.bits = bits.to_bytes()
    row.updated_at = timezone.now()
    row.save(update_fields=["bits", "updated_at"])


def url(status_list: StatusList | int) -> str:
    pk = status_list if isinstance(status_list, int) else status_list.pk
    return settings.PUBLIC_URL + reverse("api:licence_status_list", args=[pk])


def entry(licence: Licence, purpose: str) -> dict:
    """The ``credentialStatus`` entry of ``licence`` for ``purpose``."""
    list_id = getattr(licence, f"{_LIST_FIELD[purpose]}_id")
    index = getattr(licence, _INDEX_FIELD[purpose])
    return {
        "id": f"{url(list_id)}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": url(list_id),
    }


#: signed lists by (id, updated_at): a list is encoded and signed once per change, not per GET
_signed: dict[tuple[int, str], str] = {}
_SIGNED_KEPT = 32


def credential(status_list: StatusList) -> str:
    """The list as a signed ``BitstringStatusListCredential`` (compact JWS, ``vc+jwt``)."""
    key = (status_list.pk, status_list.updated_at.isoformat())
    found = _signed.get(key)
    if found is None:
        if len(_signed) >= _SIGNED_KEPT:
            _signed.clear()
        found = _signed[key] = _sign_list(status_list)
    return found


def _sign_list(status_list: StatusList) -> str:
    from onething.licences.credentials import issuer_id  # the issuer's identity is one rule

    bits = statuslist.Bitstring(status_list.size, bytes(status_list.bits))
    address = url(status_list)
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": address,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": status_list.updated_at.isoformat(timespec="seconds"),
        "credentialSubject": {
            "id": f"{address}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": statuslist.encode(bits),
        },
    }
    token, _ = keys.sign({"typ": "vc+jwt"}, json.dumps(payload, ensure_ascii=False).encode())
    return token


def bit(status_list: StatusList, index: int) -> bool:
    return statuslist.Bitstring(status_list.size, bytes(status_list.bits)).get(index)
