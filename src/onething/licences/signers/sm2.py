"""``sm2``: SM2 signatures with the SM3 digest (GB/T 32918.2 / GM/T 0003.2) through gmssl.

Installed with the ``sm`` extra (``pip install onething[sm]``); ``load_builtin`` skips this
module when gmssl is missing, so a deployment without it keeps working on Ed25519.

Names. The IANA JOSE registries have neither an SM2 signature algorithm nor an SM2 curve, so
both are private names (RFC 7515 §4.1.1: agreed between the parties):

- ``alg`` ``SM2SM3`` — the curve and the digest, in the manner of ``ES256``. It is written in
  every protected header and in the published JWK (``alg``), so a verifier learns it from the
  JWK set.
- JWK ``{"kty": "EC", "crv": "SM2", "x": …, "y": …}`` — the affine coordinates as 32-byte
  big-endian integers, base64url without padding (as RFC 7518 §6.2 for the NIST curves); the
  ``kid`` is its RFC 7638 thumbprint over ``crv``, ``kty``, ``x``, ``y`` (``licences.keys``).

Signature. The JWS signing input is the ASCII ``base64url(header).base64url(payload)``. It is
signed as GM/T 0003.2 says: ``e = SM3(Z_A || M)`` with
``Z_A = SM3(ENTL || ID || a || b || x_G || y_G || x_A || y_A)`` and the default user ID
``1234567812345678`` (GM/T 0009, built into gmssl's ``sign_with_sm3``/``verify_with_sm3``). The JWS
signature is ``r || s`` as two 32-byte big-endian integers (64 bytes, like ES256 — not the DER
``SEQUENCE`` of X.509 and GM/T 0009), base64url. A verifier on OpenSSL 3 passes the ID
(``-pkeyopt distid:1234567812345678``): its ``pkeyutl`` default is the empty ID.

Private key. A PEM ``PRIVATE KEY``: PKCS#8 ``PrivateKeyInfo`` with ``id-ecPublicKey`` and the
named curve ``sm2`` (1.2.156.10197.1.301), holding an RFC 5915 ``ECPrivateKey`` with its public
key — what ``openssl genpkey -algorithm SM2`` writes: OpenSSL 3 reads this node's keys, and a
key made by OpenSSL signs here (both tested).

gmssl is pure Python: no constant-time arithmetic (a signing key should live on a machine where
other users cannot time it), and slow — a scalar multiplication is ~10 ms and its SM3 ~10 µs a
byte, so a signature of a 2–3 KB credential takes tens of milliseconds (Ed25519: under one).
Its pitfalls are avoided here: nonces and keys come from :mod:`secrets` (gmssl's
``func.random_hex`` is :mod:`random`); the public key is set without the constructor, whose
``lstrip("04")`` strips every leading 0 and 4 digit, not a prefix (a key whose x begins with
``04`` would be corrupted); and what gmssl does not check is checked before it runs — the JWK is
a point on the curve, ``1 <= r, s < n``, ``r + s != n``.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import secrets

from Cryptodome.IO import PEM, PKCS8  # pycryptodomex: a dependency of gmssl 3.2
from Cryptodome.Util.asn1 import DerBitString, DerObjectId, DerOctetString, DerSequence
from gmssl import sm2 as gmssl_sm2

from onething.licences.signers import BadSignature, register

ALG = "SM2SM3"
CRV = "SM2"

ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
SM2_CURVE = "1.2.156.10197.1.301"

_TABLE = gmssl_sm2.default_ecc_table
P = int(_TABLE["p"], 16)
N = int(_TABLE["n"], 16)
A = int(_TABLE["a"], 16)
B = int(_TABLE["b"], 16)
SIZE = 32  # bytes of a coordinate, a scalar, r and s

_B64URL = re.compile(r"[A-Za-z0-9_-]*", re.ASCII)


# ------------------------------------------------------------------------------ encodings


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: object) -> bytes:
    """Strict base64url without padding: one spelling per byte string (no malleable tokens)."""
    if not isinstance(text, str) or len(text) % 4 == 1 or not _B64URL.fullmatch(text):
        raise ValueError("不是 base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(data) != text:  # unused trailing bits set
        raise ValueError("不是规范的 base64url")
    return data


def _jwk(public: bytes) -> dict[str, str]:
    return {"kty": "EC", "crv": CRV, "x": _b64encode(public[:SIZE]), "y": _b64encode(public[SIZE:])}


def _public_from_jwk(jwk: object) -> bytes:
    """``x || y`` (64 bytes) of an SM2 JWK whose point is on the curve, or :class:`BadSignature`."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != CRV:
        raise BadSignature("不是 SM2 公钥")
    if jwk.get("alg", ALG) != ALG:
        raise BadSignature(f"该公钥用于“{jwk.get('alg')}”")
    try:
        x, y = _b64decode(jwk.get("x")), _b64decode(jwk.get("y"))
    except ValueError:
        raise BadSignature("SM2 公钥坐标不是 base64url") from None
    if len(x) != SIZE or len(y) != SIZE:
        raise BadSignature("SM2 公钥坐标长度不对")
    xi, yi = int.from_bytes(x, "big"), int.from_bytes(y, "big")
    if xi >= P or yi >= P or (yi * yi - (xi * xi * xi + A * xi + B)) % P:
        raise BadSignature("SM2 公钥不在曲线上")
    return x + y  # the cofactor is 1: a point on the curve is in the group


def _private_pem(d: int, public: bytes) -> bytes:
    ec_private_key = DerSequence(
        [1, DerOctetString(d.to_bytes(SIZE, "big")), DerBitString(b"\x04" + public, explicit=1)]
    ).encode()
    der = PKCS8.wrap(ec_private_key, ID_EC_PUBLIC_KEY, key_params=DerObjectId(SM2_CURVE))
    return (PEM.encode(der, "PRIVATE KEY") + "\n").encode("ascii")


def _load_private(pem: bytes) -> tuple[int, bytes]:
    """(d, x || y) of a PKCS#8 SM2 private key; ValueError if it is not one."""
    try:
        der, marker, encrypted = PEM.decode(pem.decode("ascii"))
        if marker != "PRIVATE KEY" or encrypted:
            raise ValueError(marker)
        oid, inner, params = PKCS8.unwrap(der)
        if oid != ID_EC_PUBLIC_KEY or params is None or DerObjectId().decode(params).value != SM2_CURVE:
            raise ValueError(oid)
        ec = DerSequence().decode(inner, nr_elements=(2, 3, 4))
        if ec[0] != 1:
            raise ValueError("ECPrivateKey version")
        scalar = DerOctetString().decode(ec[1]).payload
        embedded = None
        for element in ec[2:]:
            if isinstance(element, bytes) and element[:1] == b"\xa1":
                embedded = DerBitString(explicit=1).decode(element).value
    except (ValueError, TypeError, IndexError, EOFError, UnicodeDecodeError) as exc:
        raise ValueError("不是 SM2 私钥（PKCS#8 PEM）") from exc
    d = int.from_bytes(scalar, "big")
    if len(scalar) != SIZE or not 1 <= d <= N - 2:
        raise ValueError("SM2 私钥超出范围")
    public = _public(d)
    if embedded is not None and embedded != b"\x04" + public:
        raise ValueError("SM2 私钥文件中的公钥与私钥不符")
    return d, public


# ------------------------------------------------------------------------------ SM2 (gmssl)


def _engine(public: bytes, d: int | None = None) -> gmssl_sm2.CryptSM2:
    engine = gmssl_sm2.CryptSM2(private_key="", public_key="")
    engine.public_key = public.hex()  # not through __init__: its lstrip("04") corrupts keys
    engine.private_key = "" if d is None else f"{d:064x}"
    return engine


@functools.lru_cache(maxsize=16)
def _public(d: int) -> bytes:
    """``d·G`` as ``x || y`` (a scalar multiplication: cached, signing needs it for Z_A)."""
    point = _engine(b"")._kg(d, _TABLE["g"])
    if point is None or len(point) != 4 * SIZE:
        raise ValueError("SM2 私钥超出范围")
    return bytes.fromhex(point)


def _sign(d: int, public: bytes, message: bytes, k: int | None = None) -> bytes:
    """``r || s`` of ``message`` (Z_A with the default ID); ``k`` only for known-answer tests."""
    engine = _engine(public, d)
    for _ in range(64):
        nonce = k if k is not None else secrets.randbelow(N - 1) + 1  # [1, n-1]
        signature = engine.sign_with_sm3(message, f"{nonce:064x}")
        if signature is not None:  # None: r = 0, r + k = n or s = 0 — draw another k
            return bytes.fromhex(signature)
        if k is not None:
            break
    raise ValueError("SM2 签名失败")


def _verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(signature) != 2 * SIZE:
        return False
    r, s = int.from_bytes(signature[:SIZE], "big"), int.from_bytes(signature[SIZE:], "big")
    if not (1 <= r < N and 1 <= s < N) or (r + s) % N == 0:
        return False
    try:
        return _engine(public).verify_with_sm3(signature.hex(), message) is True
    except (TypeError, ValueError, IndexError):  # gmssl returns None for the point at infinity
        return False


# ------------------------------------------------------------------------------ the signer


@register("sm2", "SM2/SM3（国密）")
class Sm2:
    alg = ALG

    def generate(self):
        d = secrets.randbelow(N - 2) + 1  # [1, n-2] (GB/T 32918.1)
        public = _public(d)
        return _private_pem(d, public), _jwk(public)

    def sign(self, private_pem, header, payload):
        d, public = _load_private(private_pem)
        protected = {"alg": ALG, **{k: v for k, v in header.items() if k != "alg"}}
        head = _b64encode(json.dumps(protected, ensure_ascii=False, separators=(",", ":")).encode())
        signing_input = f"{head}.{_b64encode(payload)}"
        return f"{signing_input}.{_b64encode(_sign(d, public, signing_input.encode('ascii')))}"

    def verify(self, public_jwk, token):
        public = _public_from_jwk(public_jwk)
        if not isinstance(token, str) or token.count(".") != 2:
            raise BadSignature("不是紧凑 JWS")
        head, body, sig = token.split(".")
        try:
            header = json.loads(_b64decode(head).decode("utf-8"))
            payload, signature = _b64decode(body), _b64decode(sig)
        except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
            raise BadSignature("不是紧凑 JWS") from None
        if not isinstance(header, dict) or header.get("alg") != ALG:
            raise BadSignature(f"签名算法不是 {ALG}")
        if "crit" in header:  # RFC 7515 §4.1.11: no extension is understood here
            raise BadSignature("不支持的 crit 扩展")
        if not _verify(public, f"{head}.{body}".encode("ascii"), signature):
            raise BadSignature("SM2 签名不符")
        return header, payload
