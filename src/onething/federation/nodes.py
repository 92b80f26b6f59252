"""This node's identity, its descriptor, and the peers it trusts.

- :func:`init` gives the node its code, name, URL and first signing key (``onething node init``).
- :func:`descriptor` is what a peer needs to hear this node: code, name, URL, hub or not, and the
  public keys that still verify, each with its id, the current one marked
  (``onething node descriptor``).
- :func:`trust` pins a peer's descriptor (``onething node trust``); trusting it again later (after
  the peer rotated its key, moved, …) updates it.
- :func:`trusted_keys` is what the inbox asks: the keys of a sender that verify now.

A descriptor travels as a file between operators; :func:`trust` believes nothing in it that it
can check itself: every ``kid`` must be the RFC 7638 thumbprint of its key, a key is an Ed25519
public key (a descriptor carrying a private key is refused), exactly one key is current, and the
code is a node code.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from onething.federation import keys
from onething.federation.models import Node, NodeKey, Peer, PeerKey
from onething.kernel import codes, envelope
from onething.kernel.errors import Conflict, Invalid, NotFound
from onething.kernel.text import text_problem

NAME_MAX = 100
URL_MAX = 200
#: the most keys a descriptor may list (current + those in their overlap)
MAX_KEYS = 20
_BASE64URL = re.compile(r"[A-Za-z0-9_-]{43}")


# ------------------------------------------------------------------------------ checks


def code_problem(code: Any, *, hub: bool) -> str | None:
    """Why ``code`` is not a node code, or ``None``: a province node is a province-level
    GB/T 2260 code (``PP0000`` of a real province); a hub may have any 6-digit code of its own."""
    if not isinstance(code, str) or len(code) != 6 or not code.isascii() or not code.isdigit():
        return "应为6位数字的行政区划代码"
    if hub:
        return None
    if codes.region_level(code) != "province" or code[:2] not in codes.PROVINCE_PREFIXES:
        return "省级节点应为省级行政区划代码（如 430000）；枢纽节点请加 --hub"
    return None


def _code(code: Any, *, hub: bool, label: str = "节点代码") -> str:
    reason = code_problem(code, hub=hub)
    if reason:
        raise Invalid(f"{label} {code!r} 无效：{reason}", "code")
    return code


def _name(name: Any, label: str = "节点名称") -> str:
    reason = text_problem(name, max_length=NAME_MAX)
    if reason:
        raise Invalid(f"{label}{reason}", "name")
    name = name.strip()
    if not name:
        raise Invalid(f"{label}不能为空", "name")
    return name


def _url_of(url: Any, label: str = "节点网址") -> str:
    reason = text_problem(url, max_length=URL_MAX)
    if reason:
        raise Invalid(f"{label}{reason}", "url")
    url = url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or any(c.isspace() for c in url)
    ):
        raise Invalid(
            f"{label} {url!r} 无效：应为 http:// 或 https:// 开头的网址（主机名、可选端口和路径，不含账号、查询或锚点）",
            "url",
        )
    return url


# ------------------------------------------------------------------------------ this node


def this_node() -> Node:
    """This node (:class:`NotFound` before ``onething node init``)."""
    node = Node.objects.first()
    if node is None:
        raise NotFound("本节点尚未初始化：请先运行 onething node init --code 区划代码 --name 名称 --url 网址")
    return node


def init(code: str, name: str, url: str, *, hub: bool = False) -> Node:
    """Give this node its identity and first signing key.

    Running it again with the same code is harmless (name, URL and the hub flag are updated to
    what is given; the keys stay); another code is refused: peers know this node by its code.
    """
    hub = bool(hub)
    code, name, url = _code(code, hub=hub), _name(name), _url_of(url)
    with transaction.atomic():
        node = Node.objects.select_for_update().first()
        if node is not None and node.code != code:
            raise Conflict(
                f"本节点已初始化为 {node.code}（{node.name}），不能改为 {code}：各信任节点以代码识别本节点",
                "code",
            )
        if node is None:
            node = Node.objects.create(code=code, name=name, url=url, hub=hub)
        elif (node.name, node.url, node.hub) != (name, url, hub):
            node.name, node.url, node.hub = name, url, hub
            node.save(update_fields=["name", "url", "hub"])
        if not NodeKey.objects.filter(current=True).exists():
            keys.create_key()
    return node


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def descriptor(now: dt.datetime | None = None) -> dict:
    """What a peer needs to trust this node: identity and the public keys valid at ``now``."""
    node = this_node()
    return {
        "code": node.code,
        "name": node.name,
        "url": node.url,
        "hub": node.hub,
        "keys": [
            {"kid": k.kid, "jwk": k.public_jwk, "current": k.current, "valid_until": _iso(k.valid_until)}
            for k in keys.valid_keys(now)
        ],
    }


# ------------------------------------------------------------------------------ peers


def _jwk(jwk: Any, where: str) -> dict:
    if not isinstance(jwk, dict):
        raise Invalid(f"{where}的 jwk 应为 JSON 对象", "keys")
    if "d" in jwk:
        raise Invalid(f"{where}含有私钥（jwk.d）：描述文件只应包含公钥，不予信任", "keys")
    x = jwk.get("x")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(x, str):
        raise Invalid(f"{where}应为 Ed25519 公钥（kty=OKP，crv=Ed25519，x）", "keys")
    try:
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)) if _BASE64URL.fullmatch(x) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise Invalid(f"{where}的 x 应为32字节公钥的 base64url 编码", "keys")
    return {"kty": "OKP", "crv": "Ed25519", "x": x}


def _valid_until(value: Any, where: str) -> dt.datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None or timezone.is_naive(parsed):
        raise Invalid(f"{where}的 valid_until 应为带时区的 ISO 8601 时间或 null", "keys")
    return parsed


def _descriptor_keys(listed: Any) -> list[dict]:
    """The keys of a descriptor, each checked: ``[{"kid", "jwk", "current", "valid_until"}]``."""
    if not isinstance(listed, list) or not listed:
        raise Invalid("描述文件的 keys 应为非空列表", "keys")
    if len(listed) > MAX_KEYS:
        raise Invalid(f"描述文件的 keys 不能超过{MAX_KEYS}个", "keys")
    out: list[dict] = []
    for position, item in enumerate(listed, 1):
        where = f"描述文件的第{position}个密钥"
        if not isinstance(item, dict):
            raise Invalid(f"{where}应为 JSON 对象", "keys")
        kid = item.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 64:
            raise Invalid(f"{where}缺少密钥标识 kid", "keys")
        where = f"描述文件的密钥 {kid}"
        jwk = _jwk(item.get("jwk"), where)
        expected = envelope.key_id(jwk)
        if expected != kid:
            raise Invalid(f"{where}的标识与公钥不符（该公钥的 RFC 7638 指纹为 {expected}），不予信任", "keys")
        current = item.get("current", False)
        if not isinstance(current, bool):
            raise Invalid(f"{where}的 current 应为 true 或 false", "keys")
        out.append(
            {
                "kid": kid,
                "jwk": jwk,
                "current": current,
                "valid_until": _valid_until(item.get("valid_until"), where),
            }
        )
    kids = [k["kid"] for k in out]
    if len(set(kids)) != len(kids):
        raise Invalid("描述文件中有重复的密钥标识", "keys")
    if sum(k["current"] for k in out) != 1:
        raise Invalid("描述文件应恰好有一个当前密钥（current: true）", "keys")
    return out


def trust(descriptor: dict, *, via: str = "", now: dt.datetime | None = None) -> Peer:
    """Trust (or trust again) the peer a descriptor describes; ``via`` is the code of a trusted
    hub to route through ("" = point-to-point).

    Trusting again updates the name, URL and keys: the descriptor's keys are pinned (its current
    one marked current); a key pinned before and absent now is dropped at once — the peer's
    descriptor lists every key it still signs with (a rotated-out key stays listed, with its
    ``valid_until``, for the overlap), so an absent key was retired or withdrawn.
    """
    now = now or timezone.now()
    if not isinstance(descriptor, dict):
        raise Invalid("描述文件应为 JSON 对象（onething node descriptor 的输出）")
    hub = descriptor.get("hub", False)
    if not isinstance(hub, bool):
        raise Invalid("描述文件的 hub 应为 true 或 false", "hub")
    code = _code(descriptor.get("code"), hub=hub, label="描述文件的节点代码")
    name = _name(descriptor.get("name"), label="描述文件的节点名称")
    url = _url_of(descriptor.get("url"), label="描述文件的节点网址")
    listed = _descriptor_keys(descriptor.get("keys"))
    kids = [k["kid"] for k in listed]

    node = Node.objects.first()
    if (node is not None and node.code == code) or NodeKey.objects.filter(kid__in=kids).exists():
        raise Invalid("这是本节点自己的描述文件：不能信任本节点自己", "code")
    taken = PeerKey.objects.filter(kid__in=kids).exclude(peer__code=code).select_related("peer").first()
    if taken is not None:
        raise Invalid(f"密钥 {taken.kid} 已属于信任节点 {taken.peer}，不能再用于 {code}", "keys")
    via = via or ""
    if via:
        if via == code:
            raise Invalid("经由枢纽不能是该节点自己", "via")
        if not Peer.objects.filter(code=via, hub=True).exists():
            raise Invalid(f"经由枢纽 {via} 不是已信任的枢纽节点：请先信任该枢纽的描述文件", "via")

    with transaction.atomic():
        peer = Peer.objects.select_for_update().filter(code=code).first()
        if peer is None:
            peer = Peer(code=code, trusted_at=now)
        peer.name, peer.url, peer.hub, peer.via = name, url, hub, via
        peer.descriptor, peer.updated_at = descriptor, now
        peer.save()
        # the new descriptor is the peer's word on its keys: one it no longer lists (rotated
        # out past its overlap, or withdrawn after a compromise) stops verifying at once
        peer.keys.exclude(kid__in=kids).delete()
        peer.keys.filter(kid__in=kids, current=True).update(current=False)
        for item in listed:
            PeerKey.objects.update_or_create(
                peer=peer,
                kid=item["kid"],
                defaults={
                    "public_jwk": item["jwk"],
                    "current": item["current"],
                    "valid_until": item["valid_until"],
                },
            )
    return peer


def trusted_keys(sender_code: str, now: dt.datetime | None = None) -> dict[str, dict]:
    """The public keys of peer ``sender_code`` that verify at ``now``, by kid ({} for an unknown
    sender: an envelope from it is refused)."""
    now = now or timezone.now()
    return {
        k.kid: k.public_jwk
        for k in PeerKey.objects.filter(peer__code=sender_code).order_by("-current", "kid")
        if k.valid_at(now)
    }


def peers() -> list[Peer]:
    """The trusted peers with their keys, by code."""
    return list(Peer.objects.prefetch_related("keys").order_by("code"))
