"""Signed envelopes between province nodes (跨省通办), and the receipts that answer them.

Every message one node sends another is an :class:`Envelope` sealed as a compact JWS (RFC 7515)
signed with the sender's Ed25519 key (EdDSA, RFC 8037), protected header
``{"alg": "EdDSA", "kid": <key id>, "typ": "onething-envelope+jws"}``. Its claims say who sent
it to whom (``sender``, ``recipient``: GB/T 2260 node codes; ``via``: the hub that relays it,
``""`` point-to-point), which message it is (``message_id``, a UUID unique per sender), which
case it belongs to and where it stands in that case (``case``, ``seq``), what it says (``kind``,
``payload``), when it was sent (``sent_at``) and the deadline state (``deadline``: due dates and
pauses, so both sides show the same remaining time). A hub routes on :func:`peek` and relays
the token unchanged: it holds no sender's key, so it can neither alter nor forge a message.

Why a sequence number per case: the network may drop, delay, duplicate and reorder messages,
and the relay retries until delivery, so a case's status change can arrive before the forward
it follows. ``seq`` counts the messages of one ``(sender, recipient, case)`` from 1; the inbox
applies them in that order and holds a message whose predecessor has not arrived
(:func:`in_order` says which held ones may go now). Node-level messages (``case == ""``) may
carry ``seq`` 0: they are not ordered.

Why a digest: :func:`digest` (SHA-256 of the token's bytes) names exactly one sealed message.
A token has one spelling only (canonical base64url, canonical JSON, deterministic Ed25519), so
the receiver's :class:`Receipt` quotes the digest of what it applied, held or refused, and
both message logs can be checked against each other offline.

What this module does not do: exactly-once effect is the inbox's job. A replayed token opens
to the same envelope again (same ``message_id``, same digest); the inbox, unique on
``(sender, message_id)``, answers it with the receipt it already gave. Nor does it know which
key belongs to which node: :func:`open_envelope` trusts every key it is given, so the caller
reads the claimed ``sender`` with :func:`peek` and passes *that sender's* pinned keys only. An
envelope signed by another node then names a key that is not among them and is refused as
``untrusted_key``.

Pure: no Django, no database; keys are PEM bytes (private) and JWK mappings (public).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import OKPKey

TYPE = "onething-envelope+jws"
RECEIPT_TYPE = "onething-receipt+jws"
#: RFC 9864 deprecates the polymorphic ``EdDSA`` for ``Ed25519``; today's verifiers expect
#: ``EdDSA``, so that is written, and joserfc's warning about it is silenced here only.
ALG = "EdDSA"
#: the largest token accepted or sealed (a case forward carries materials by content address,
#: not inline, so this is generous)
MAX_TOKEN = 16 * 1024 * 1024
#: what a receipt says happened to the envelope it answers
APPLIED, REFUSED, HELD = "applied", "refused", "held"
OUTCOMES = (APPLIED, REFUSED, HELD)
#: why an envelope or receipt was refused
MALFORMED, UNTRUSTED_KEY, BAD_SIGNATURE, WRONG_RECIPIENT, WRONG_TYPE = (
    "malformed",
    "untrusted_key",
    "bad_signature",
    "wrong_recipient",
    "wrong_type",
)
CODES = (MALFORMED, UNTRUSTED_KEY, BAD_SIGNATURE, WRONG_RECIPIENT, WRONG_TYPE)

_HEADER_KEYS = frozenset({"alg", "kid", "typ"})
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_NODE = re.compile(r"[0-9]{6}")
_KIND = re.compile(r"[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


class EnvelopeRefused(Exception):
    """An envelope or receipt that is not accepted: ``code`` for machines (one of
    :data:`CODES`), ``reason`` a Chinese sentence for the message log."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def __repr__(self) -> str:
        return f"EnvelopeRefused({self.code!r}, {self.reason!r})"


def _malformed(reason: str) -> EnvelopeRefused:
    return EnvelopeRefused(MALFORMED, reason)


# -- field checks (each names the field in its refusal) ---------------------------------------


def _node(value: Any, field: str, *, blank: bool = False) -> str:
    if blank and value == "":
        return value
    if not isinstance(value, str) or not _NODE.fullmatch(value):
        raise _malformed(f"{field}（节点代码）必须是 6 位数字的行政区划代码。")
    return value


def _message_id(value: Any) -> str:
    try:
        canonical = str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        canonical = None
    if canonical is None or canonical != value:
        raise _malformed("message_id（消息编号）必须是小写、带连字符的 UUID 文本。")
    return value


def _text(value: Any, field: str, *, limit: int = 64) -> str:
    if not isinstance(value, str) or len(value) > limit or _SPACE_OR_CONTROL.search(value):
        raise _malformed(f"{field}必须是不超过 {limit} 个字符、不含空白和控制字符的文本。")
    return value


def _moment(value: Any, field: str) -> str:
    valid = isinstance(value, str) and _RFC3339.fullmatch(value)
    if valid:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            valid = False
    if not valid:
        raise _malformed(f"{field}必须是带时区偏移的 RFC 3339 时间，如 2026-09-30T10:00:00+08:00。")
    return value


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _malformed(f"{field}必须是 JSON 对象。")
    return dict(value)


def _only(claims: Any, required: frozenset[str], optional: frozenset[str], what: str) -> None:
    if not isinstance(claims, Mapping):
        raise _malformed(f"{what}的内容必须是 JSON 对象。")
    missing = sorted(required - claims.keys())
    if missing:
        raise _malformed(f"{what}缺少字段：{'、'.join(missing)}。")
    unknown = sorted(str(k) for k in claims.keys() - required - optional)
    if unknown:
        raise _malformed(f"{what}含有未知字段：{'、'.join(unknown)}。")


# -- the envelope ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    #: the sending node's code (GB/T 2260, 6 digits)
    sender: str
    #: the receiving node's code
    recipient: str
    #: a UUID (canonical text), unique per sender: the inbox's deduplication key with ``sender``
    message_id: str
    #: the case (application number) it belongs to; ``""`` for node-level messages
    case: str
    #: its place within ``(sender, recipient, case)``, from 1; 0 only for node-level messages
    seq: int
    #: what it says: ``case.forward``, ``case.status``, ``case.result``, ``node.ping`` …
    kind: str
    #: the message itself: a JSON object
    payload: Mapping[str, Any]
    #: when the sender committed it (RFC 3339 with offset)
    sent_at: str
    #: the case's deadline state (due dates, pauses) so both sides show the same remaining time
    deadline: Mapping[str, Any] | None = None
    #: the hub node relaying it (``""`` point-to-point)
    via: str = ""

    def claims(self) -> dict[str, Any]:
        """The JWS payload: every field by its name."""
        return {
            "sender": self.sender,
            "recipient": self.recipient,
            "message_id": self.message_id,
            "case": self.case,
            "seq": self.seq,
            "kind": self.kind,
            "payload": dict(self.payload) if isinstance(self.payload, Mapping) else self.payload,
            "sent_at": self.sent_at,
            "deadline": dict(self.deadline) if isinstance(self.deadline, Mapping) else self.deadline,
            "via": self.via,
        }

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Envelope:
        """The envelope these claims describe, every field checked; refuses (``malformed``)
        missing, unknown or ill-typed fields."""
        _only(claims, _ENVELOPE_REQUIRED, _ENVELOPE_OPTIONAL, "信封")
        sender = _node(claims["sender"], "sender")
        recipient = _node(claims["recipient"], "recipient")
        if sender == recipient:
            raise _malformed("sender 与 recipient 不能是同一个节点。")
        via = _node(claims.get("via", ""), "via", blank=True)
        if via in (sender, recipient):
            raise _malformed("via（中转枢纽）不能是发送方或接收方本身。")
        case = _text(claims["case"], "case（办件编号）")
        seq = claims["seq"]
        if type(seq) is not int or seq < (0 if case == "" else 1):
            raise _malformed("seq（序号）必须是不小于 1 的整数（不属于办件的节点消息可以为 0）。")
        deadline = claims.get("deadline")
        return cls(
            sender=sender,
            recipient=recipient,
            message_id=_message_id(claims["message_id"]),
            case=case,
            seq=seq,
            kind=_kind(claims["kind"]),
            payload=_object(claims["payload"], "payload（消息内容）"),
            sent_at=_moment(claims["sent_at"], "sent_at（发送时间）"),
            deadline=None if deadline is None else _object(deadline, "deadline（时限状态）"),
            via=via,
        )


def _kind(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64 or not _KIND.fullmatch(value):
        raise _malformed("kind（消息类型）必须是不超过 64 个字符的小写点分名称，如 case.forward。")
    return value


_ENVELOPE_REQUIRED = frozenset(
    {"sender", "recipient", "message_id", "case", "seq", "kind", "payload", "sent_at"}
)
_ENVELOPE_OPTIONAL = frozenset({"deadline", "via"})


# -- keys --------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(segment: str) -> bytes:
    """Strict base64url: the alphabet only, no padding, and the one canonical spelling (no
    stray bits in the last character), so no two tokens carry the same bytes."""
    if not _SEGMENT.fullmatch(segment):
        raise _malformed("令牌的某一段不是 base64url 编码。")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise _malformed("令牌的某一段不是 base64url 编码。") from None
    if _b64(data) != segment:
        raise _malformed("令牌的某一段不是规范的 base64url 编码。")
    return data


def new_private_key() -> bytes:
    """A fresh Ed25519 signing key, PEM (PKCS #8, unencrypted)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_jwk(pem: bytes) -> dict[str, str]:
    """The public JWK ``{"kty": "OKP", "crv": "Ed25519", "x": …}`` of a private or public PEM."""
    try:
        key: Any = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        try:
            key = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError):
            raise _malformed("密钥不是可读的 PEM。") from None
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise _malformed("密钥不是 Ed25519 密钥。")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw)}


def key_id(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint of an Ed25519 JWK: SHA-256 over its required members
    (``crv``, ``kty``, ``x``, in that order, no whitespace), base64url without padding."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise _malformed("公钥必须是 Ed25519 的 JWK（kty 为 OKP，crv 为 Ed25519）。")
    members = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}
    text = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return _b64(hashlib.sha256(text.encode("ascii")).digest())


# -- sealing and opening -----------------------------------------------------------------------


def _canonical(claims: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8; unlike the audit chain's ``canonical`` nothing is
    coerced with ``str()``: what is sealed must open to the same values."""
    try:
        return json.dumps(
            claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
    except (TypeError, ValueError, RecursionError):
        raise _malformed("内容只能包含 JSON 值（对象、数组、字符串、有限数字、布尔、null）。") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_unique_pairs,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _malformed(f"{what}不是有效的 JSON。") from None
    if not isinstance(value, dict):
        raise _malformed(f"{what}必须是 JSON 对象。")
    return value


def _text_token(token: Any) -> str:
    if isinstance(token, bytes | bytearray):
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            raise _malformed("令牌只能由 ASCII 字符组成。") from None
    if not isinstance(token, str):
        raise _malformed("令牌必须是文本。")
    if len(token) > MAX_TOKEN:
        raise _malformed("令牌超过 16 MiB 的上限。")
    return token


def peek(token: str | bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(header, claims)`` of a token WITHOUT verifying it: for a hub to route on and for
    logging a refused envelope. Nothing read here may be trusted; refuses (``malformed``)
    anything that is not three canonical base64url segments of JSON objects."""
    text = _text_token(token)
    parts = text.split(".")
    if len(parts) != 3:
        raise _malformed("令牌必须是以点分隔的三段（JWS 紧凑序列化）。")
    header = _json_object(_unb64(parts[0]), "令牌头")
    claims = _json_object(_unb64(parts[1]), "令牌内容")
    _unb64(parts[2])
    return header, claims


class _Registry(jws.JWSRegistry):
    """joserfc refuses a payload over 128,000 bytes by default (reported as a bad signature):
    an envelope may be as large as :data:`MAX_TOKEN`."""

    max_payload_length = MAX_TOKEN


_REGISTRY = _Registry(algorithms=[ALG])


def _sign(claims: Mapping[str, Any], private_pem: bytes, kid: str, typ: str) -> str:
    if not isinstance(kid, str) or not kid:
        raise _malformed("kid（密钥编号）不能为空。")
    try:
        key = OKPKey.import_key(private_pem)
    except (JoseError, ValueError, TypeError):
        raise _malformed("签名密钥不是可读的 Ed25519 私钥。") from None
    if key.curve_name != "Ed25519" or not key.is_private:
        raise _malformed("签名密钥必须是 Ed25519 私钥。")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SecurityWarning)
        token = jws.serialize_compact(
            {"alg": ALG, "kid": kid, "typ": typ}, _canonical(claims), key, registry=_REGISTRY
        )
    if len(token) > MAX_TOKEN:
        raise _malformed("封装后的令牌超过 16 MiB 的上限。")
    return token


def _verify(token: str | bytes, keys: Mapping[str, Mapping[str, Any]], typ: str, what: str) -> dict[str, Any]:
    """The verified claims of a token of type ``typ`` signed by one of ``keys``."""
    header, _ = peek(token)
    if set(header) != _HEADER_KEYS:
        raise _malformed(f"{what}的令牌头只能有 alg、kid、typ 三项。")
    if header["typ"] != typ:
        raise EnvelopeRefused(WRONG_TYPE, f"令牌类型是 {header['typ']!r}，而这里需要{what}。")
    if header["alg"] != ALG:
        raise EnvelopeRefused(BAD_SIGNATURE, f"签名算法必须是 {ALG}，不接受 {header['alg']!r}。")
    kid = header["kid"]
    if not isinstance(kid, str) or kid not in keys:
        raise EnvelopeRefused(UNTRUSTED_KEY, f"签名密钥 {kid!r} 不在对方节点受信任的密钥中。")
    try:
        key = OKPKey.import_key(dict(keys[kid]))
    except (JoseError, ValueError, TypeError, KeyError):
        raise EnvelopeRefused(UNTRUSTED_KEY, f"受信任的密钥 {kid!r} 无法使用。") from None
    if key.curve_name != "Ed25519":
        raise EnvelopeRefused(UNTRUSTED_KEY, f"受信任的密钥 {kid!r} 不是 Ed25519 公钥。")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=SecurityWarning)
            verified = jws.deserialize_compact(_text_token(token), key, registry=_REGISTRY)
    except (JoseError, ValueError, TypeError):
        raise EnvelopeRefused(BAD_SIGNATURE, f"{what}的签名验证失败，内容可能被篡改。") from None
    return _json_object(verified.payload, "令牌内容")


def seal(envelope: Envelope, private_pem: bytes, kid: str) -> str:
    """The envelope as a compact JWS signed with ``private_pem`` under key id ``kid``.
    The envelope is checked first: a node never sends what its peer would refuse."""
    claims = Envelope.from_claims(envelope.claims()).claims()
    return _sign(claims, private_pem, kid, TYPE)


def open_envelope(
    token: str | bytes,
    keys: Mapping[str, Mapping[str, Any]],
    *,
    recipient: str | None = None,
) -> Envelope:
    """The envelope a token carries, once its signature holds under one of ``keys``
    (key id → public JWK). Pass only the keys pinned for the node the token claims as its
    ``sender`` (:func:`peek` it first): this function cannot tell whose key is whose.

    Refuses (:class:`EnvelopeRefused`) a token that is garbage or too large, is not an
    envelope (``wrong_type``), names a key not given (``untrusted_key``), does not verify
    (``bad_signature``), carries ill-formed claims (``malformed``) or, when ``recipient`` is
    given, is addressed to another node (``wrong_recipient``). A replayed token opens again
    to the same envelope: deduplicating is the inbox's job."""
    claims = _verify(token, keys, TYPE, "信封")
    envelope = Envelope.from_claims(claims)
    if recipient is not None and envelope.recipient != recipient:
        raise EnvelopeRefused(
            WRONG_RECIPIENT, f"信封是发给节点 {envelope.recipient} 的，不是本节点 {recipient}。"
        )
    return envelope


def digest(token: str | bytes) -> str:
    """SHA-256 (hex) of the token's bytes: the name of one sealed message in receipts and logs.
    A token is ASCII; anything else is hashed as UTF-8 so even garbage can be logged."""
    data = bytes(token) if isinstance(token, bytes | bytearray) else str(token).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


# -- receipts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receipt:
    """The receiving node's signed answer to one envelope."""

    #: the node that received the envelope (and signs this receipt)
    receiver: str
    #: the node that sent it
    sender: str
    #: the envelope's message id
    message_id: str
    #: :func:`digest` of the envelope token answered
    digest: str
    #: ``applied``, ``refused`` or ``held`` (waiting for an earlier message of its case)
    outcome: str
    #: when the receiver recorded it (RFC 3339 with offset)
    at: str
    #: why, in Chinese, when refused or held
    reason: str = ""

    def claims(self) -> dict[str, Any]:
        return {
            "receiver": self.receiver,
            "sender": self.sender,
            "message_id": self.message_id,
            "digest": self.digest,
            "outcome": self.outcome,
            "at": self.at,
            "reason": self.reason,
        }

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Receipt:
        _only(claims, _RECEIPT_REQUIRED, frozenset({"reason"}), "回执")
        receiver = _node(claims["receiver"], "receiver")
        sender = _node(claims["sender"], "sender")
        if receiver == sender:
            raise _malformed("receiver 与 sender 不能是同一个节点。")
        found = claims["digest"]
        if not isinstance(found, str) or not _HEX64.fullmatch(found):
            raise _malformed("digest（信封摘要）必须是 64 位小写十六进制的 SHA-256。")
        if claims["outcome"] not in OUTCOMES:
            raise _malformed("outcome（处理结果）只能是 applied、refused 或 held。")
        reason = claims.get("reason", "")
        if not isinstance(reason, str) or len(reason) > 2000:
            raise _malformed("reason（原因）必须是不超过 2000 个字符的文本。")
        return cls(
            receiver=receiver,
            sender=sender,
            message_id=_message_id(claims["message_id"]),
            digest=found,
            outcome=claims["outcome"],
            at=_moment(claims["at"], "at（回执时间）"),
            reason=reason,
        )


_RECEIPT_REQUIRED = frozenset({"receiver", "sender", "message_id", "digest", "outcome", "at"})


def seal_receipt(receipt: Receipt, private_pem: bytes, kid: str) -> str:
    """The receipt as a compact JWS (``typ`` :data:`RECEIPT_TYPE`) signed by the receiver."""
    claims = Receipt.from_claims(receipt.claims()).claims()
    return _sign(claims, private_pem, kid, RECEIPT_TYPE)


def open_receipt(token: str | bytes, keys: Mapping[str, Mapping[str, Any]]) -> Receipt:
    """The receipt a token carries, once its signature holds under one of ``keys``: pass only
    the keys pinned for the node that should have received the envelope. Refuses like
    :func:`open_envelope`."""
    return Receipt.from_claims(_verify(token, keys, RECEIPT_TYPE, "回执"))


# -- ordering ----------------------------------------------------------------------------------


def in_order(applied: int, held: Iterable[int]) -> list[int]:
    """The held sequence numbers of one case that may be applied now, in order: ``applied + 1``,
    ``applied + 2`` … while there is no gap. ``applied`` is the highest applied so far (0 when
    none); duplicates and numbers at or below it are ignored."""
    waiting = set(held)
    ready: list[int] = []
    following = applied + 1
    while following in waiting:
        ready.append(following)
        following += 1
    return ready
