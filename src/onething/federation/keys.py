"""This node's envelope signing keys: ids, rotation with an overlap.

The private key of each :class:`~onething.federation.models.NodeKey` is a PEM file
``<kid>.pem`` (mode 0600) in ``ONETHING_NODE_KEY_DIR`` (default ``<ONETHING_VAR_DIR>/node-keys``)
— outside the database, so a database dump signs nothing. ``node init`` creates the first key
(:func:`create_key`); :func:`rotate` makes a new key the current one and gives the old one a
``valid_until``: until then it still verifies (peers that have not re-trusted the new descriptor
yet, envelopes still in flight), after that it is out of the descriptor.

A ``kid`` is the key's whole RFC 7638 thumbprint (``envelope.key_id``), so anyone can recompute
it from the JWK and a descriptor cannot pair an id with another key.

A lost private key is not replaced behind the operator's back (peers have pinned the public
key, so a fresh one would be refused everywhere): :func:`private_pem` says which file is missing
and ``onething node rotate`` makes a new key whose descriptor the peers then trust.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from onething.federation.models import NodeKey
from onething.kernel import envelope
from onething.kernel.errors import Conflict, NotFound


def key_dir() -> Path:
    return Path(settings.ONETHING["NODE_KEY_DIR"])


def _path(kid: str) -> Path:
    return key_dir() / f"{kid}.pem"


def _write_private(kid: str, pem: bytes) -> None:
    folder = key_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(_path(kid), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


#: private keys read by this process, by (directory, kid): a key file never changes (a new key has
#: a new kid)
_pems: dict[tuple[str, str], bytes] = {}


def private_pem(kid: str) -> bytes:
    """The PEM of this node's key ``kid`` (:class:`NotFound` when its file is missing)."""
    slot = (str(key_dir()), kid)
    pem = _pems.get(slot)
    if pem is None:
        try:
            pem = _pems[slot] = _path(kid).read_bytes()
        except FileNotFoundError:
            raise NotFound(
                f"节点签名密钥 {kid} 的私钥不在 {key_dir()}（ONETHING_NODE_KEY_DIR）；"
                "请恢复该文件，或运行 onething node rotate 生成新密钥并把新的描述文件发给各信任节点"
            ) from None
    return pem


def _new(now: dt.datetime) -> NodeKey:
    """A fresh key: its private PEM written to the key directory, its row not saved yet."""
    pem = envelope.new_private_key()
    jwk = envelope.public_jwk(pem)
    kid = envelope.key_id(jwk)
    _write_private(kid, pem)
    return NodeKey(kid=kid, public_jwk=jwk, created_at=now, current=True)


def _discard(key: NodeKey) -> None:
    _path(key.kid).unlink(missing_ok=True)


def current_key() -> NodeKey:
    """The key that signs now (:class:`NotFound` before ``node init``)."""
    found = NodeKey.objects.filter(current=True).first()
    if found is None:
        raise NotFound("本节点还没有签名密钥：请先运行 onething node init --code … --name … --url …")
    return found


def create_key(now: dt.datetime | None = None) -> NodeKey:
    """The node's first key, current. Once there is a current key, :func:`rotate` makes the next."""
    if NodeKey.objects.filter(current=True).exists():
        raise Conflict("本节点已有当前签名密钥；更换密钥请运行 onething node rotate")
    key = _new(now or timezone.now())
    try:
        with transaction.atomic():
            key.save(force_insert=True)
    except IntegrityError:  # another process created the first key at the same moment: use theirs
        _discard(key)
        return NodeKey.objects.get(current=True)
    return key


def rotate(overlap_days: int = 7, now: dt.datetime | None = None) -> NodeKey:
    """A new current key; the old one keeps verifying for ``overlap_days`` (its ``valid_until``)."""
    if overlap_days < 0:
        raise ValueError("overlap_days must not be negative")
    now = now or timezone.now()
    key = _new(now)
    try:
        with transaction.atomic():
            NodeKey.objects.select_for_update().filter(current=True).update(
                current=False, valid_until=now + dt.timedelta(days=overlap_days)
            )
            key.save(force_insert=True)
    except BaseException:
        _discard(key)
        raise
    return key


def valid_keys(now: dt.datetime | None = None) -> list[NodeKey]:
    """This node's keys that still verify at ``now``: the current one first, then newest first."""
    now = now or timezone.now()
    return [k for k in NodeKey.objects.order_by("-current", "-created_at") if k.valid_at(now)]
