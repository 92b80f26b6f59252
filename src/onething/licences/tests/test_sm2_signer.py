"""The ``sm2`` signer (SM2/SM3, GM/T 0003.2 with the default user ID): round trips, the standard's
own example, a second implementation (snowland-smx, ``pysmx``) and OpenSSL verifying what it signs
and the reverse, refusals of anything malformed, and a real licence signed with a rotated key."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("gmssl")
pysmx_sm2 = pytest.importorskip("pysmx.SM2")

from Cryptodome.Util.asn1 import DerSequence  # noqa: E402 - after the skip: comes with gmssl
from django.test import Client  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from onething.directory.models import Department  # noqa: E402
from onething.licences import credentials, issuing, keys, signers  # noqa: E402
from onething.licences.models import LicenceType  # noqa: E402
from onething.licences.signers import BadSignature  # noqa: E402
from onething.licences.signers import sm2 as plugin  # noqa: E402

DEFAULT_ID = "1234567812345678"
ZHANGSAN = "430602199001011235"
SIGNER = signers.get("sm2")

# GM/T 0003.5-2012 (GB/T 32918.5-2017) Annex A: signature example on the recommended curve.
KAT_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
KAT_PUBLIC = bytes.fromhex(
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
KAT_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
KAT_RS = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _point_hex(jwk: dict) -> str:
    return (_b64d(jwk["x"]) + _b64d(jwk["y"])).hex()


def _pysmx_verifies(jwk: dict, token: str) -> bool:
    """Verify with snowland-smx, from the JWK and the token alone (not the plugin's code)."""
    head, body, signature = token.split(".")
    signing_input = f"{head}.{body}".encode("ascii")
    return pysmx_sm2.Verify(_b64d(signature), signing_input, _point_hex(jwk), 64, uid=DEFAULT_ID) is True


def _pysmx_token(private_hex: str, header: dict, payload: bytes) -> str:
    """A compact JWS signed by snowland-smx (its own Z_A, SM3 and point arithmetic)."""
    head = _b64e(json.dumps(header).encode())
    signing_input = f"{head}.{_b64e(payload)}"
    nonce = f"{secrets.randbelow(plugin.N - 1) + 1:064x}"
    signature = pysmx_sm2.Sign(signing_input.encode("ascii"), private_hex, nonce, 64, uid=DEFAULT_ID)
    return f"{signing_input}.{_b64e(signature)}"


def _private_hex(pem: bytes) -> str:
    d, _ = plugin._load_private(pem)
    return f"{d:064x}"


@pytest.fixture(scope="module")
def pair():
    pem, jwk = SIGNER.generate()
    token = SIGNER.sign(pem, {"typ": "vc+jwt", "kid": "k1"}, '{"id":"证照","n":1}'.encode())
    return pem, jwk, token


# ------------------------------------------------------------------------------ the signer


def test_generate_sign_verify_round_trip(pair):
    pem, jwk, token = pair
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert set(jwk) == {"kty", "crv", "x", "y"} and (jwk["kty"], jwk["crv"]) == ("EC", "SM2")
    assert len(_b64d(jwk["x"])) == len(_b64d(jwk["y"])) == 32
    header, payload = SIGNER.verify(jwk, token)
    assert header == {"alg": "SM2SM3", "typ": "vc+jwt", "kid": "k1"}
    assert payload.decode() == '{"id":"证照","n":1}'
    assert len(_b64d(token.split(".")[2])) == 64  # r || s, not DER
    assert SIGNER.alg == "SM2SM3" and signers.for_alg("SM2SM3") is SIGNER
    assert ("sm2", "SM2/SM3（国密）") in signers.choices()


def test_the_standards_example_signature_is_reproduced():
    assert plugin._public(KAT_D) == KAT_PUBLIC
    signature = plugin._sign(KAT_D, KAT_PUBLIC, b"message digest", k=KAT_K)
    assert signature == KAT_RS
    assert plugin._verify(KAT_PUBLIC, b"message digest", KAT_RS)
    assert not plugin._verify(KAT_PUBLIC, b"message digesT", KAT_RS)


def test_two_signatures_of_the_same_input_differ_and_both_verify(pair):
    pem, jwk, _ = pair
    first, second = (SIGNER.sign(pem, {"kid": "k1"}, b"same") for _ in range(2))
    assert first.split(".")[:2] == second.split(".")[:2] and first != second  # fresh k each time
    assert SIGNER.verify(jwk, first)[1] == SIGNER.verify(jwk, second)[1] == b"same"


def test_a_key_whose_x_begins_with_04_is_not_truncated():
    """gmssl's constructor ``lstrip("04")``s the public key hex; the plugin must not go through it."""
    d = 11  # 11·G has x = 04b3cb10…
    public = plugin._public(d)
    assert public.hex().startswith("04")
    pem, jwk = plugin._private_pem(d, public), plugin._jwk(public)
    token = SIGNER.sign(pem, {"kid": "k"}, b"x")
    assert SIGNER.verify(jwk, token)[1] == b"x"
    assert _pysmx_verifies(jwk, token)


# ------------------------------------------------------------------------------ interoperability


def test_snowland_smx_verifies_what_the_plugin_signs(pair):
    _, jwk, token = pair
    assert _pysmx_verifies(jwk, token)
    head, body, signature = token.split(".")
    # and only with Z_A and the default ID: the plain digest, or another ID, does not verify
    raw = _b64d(signature)
    signing_input = f"{head}.{body}".encode()
    assert not pysmx_sm2.Verify(raw, signing_input, _point_hex(jwk), 64)
    assert not pysmx_sm2.Verify(raw, signing_input, _point_hex(jwk), 64, uid="ALICE123@YAHOO.COM")


def test_the_plugin_verifies_what_snowland_smx_signs(pair):
    pem, jwk, _ = pair
    token = _pysmx_token(_private_hex(pem), {"alg": "SM2SM3", "kid": "k1"}, b'{"from":"pysmx"}')
    header, payload = SIGNER.verify(jwk, token)
    assert header["kid"] == "k1" and payload == b'{"from":"pysmx"}'


def test_a_signature_with_another_user_id_is_refused(pair):
    pem, jwk, _ = pair
    head = _b64e(b'{"alg":"SM2SM3"}')
    signing_input = f"{head}.{_b64e(b'x')}"
    other = pysmx_sm2.Sign(signing_input.encode(), _private_hex(pem), "ab" * 32, 64, uid="ALICE123@YAHOO.COM")
    with pytest.raises(BadSignature):
        SIGNER.verify(jwk, f"{signing_input}.{_b64e(other)}")


def test_the_standards_example_verifies_in_snowland_smx_too():
    assert pysmx_sm2.Verify(KAT_RS, b"message digest", KAT_PUBLIC.hex(), 64, uid=DEFAULT_ID)


@functools.cache
def _openssl() -> str:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl")
    probe = subprocess.run([openssl, "genpkey", "-algorithm", "SM2"], capture_output=True)
    if probe.returncode or b"PRIVATE KEY" not in probe.stdout:
        pytest.skip("this openssl has no SM2")
    return openssl


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([_openssl(), *map(str, args)], capture_output=True)


# OpenSSL 3's pkeyutl signs SM2 with an *empty* ID unless told: the default ID is passed explicitly
SM3_WITH_DEFAULT_ID = ("-rawin", "-digest", "sm3", "-pkeyopt", f"distid:{DEFAULT_ID}")


def _der(raw: bytes) -> bytes:
    return DerSequence([int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")]).encode()


def test_openssl_reads_the_key_and_verifies_the_signature(pair, tmp_path):
    pem, jwk, token = pair
    (tmp_path / "key.pem").write_bytes(pem)
    spki = _run("pkey", "-in", tmp_path / "key.pem", "-pubout", "-outform", "DER")
    assert spki.returncode == 0, spki.stderr
    assert spki.stdout[-65:] == b"\x04" + bytes.fromhex(_point_hex(jwk))
    (tmp_path / "pub.der").write_bytes(spki.stdout)
    head, body, signature = token.split(".")
    (tmp_path / "msg").write_bytes(f"{head}.{body}".encode())
    (tmp_path / "sig").write_bytes(_der(_b64d(signature)))
    result = _run(
        *("pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", tmp_path / "pub.der"),
        *SM3_WITH_DEFAULT_ID,
        *("-in", tmp_path / "msg", "-sigfile", tmp_path / "sig"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_plugin_signs_with_an_openssl_key_and_verifies_openssl_signatures(tmp_path):
    generated = _run("genpkey", "-algorithm", "SM2")
    pem = generated.stdout
    _, public = plugin._load_private(pem)
    jwk = plugin._jwk(public)
    assert SIGNER.verify(jwk, SIGNER.sign(pem, {"kid": "o"}, b"ours"))[1] == b"ours"
    (tmp_path / "key.pem").write_bytes(pem)
    signing_input = _b64e(b'{"alg":"SM2SM3"}') + "." + _b64e(b"openssl")
    (tmp_path / "msg").write_bytes(signing_input.encode())
    signed = _run(
        "pkeyutl", "-sign", "-inkey", tmp_path / "key.pem", *SM3_WITH_DEFAULT_ID, "-in", tmp_path / "msg"
    )
    assert signed.returncode == 0, signed.stderr
    r, s = DerSequence().decode(signed.stdout)
    token = f"{signing_input}.{_b64e(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
    assert SIGNER.verify(jwk, token)[1] == b"openssl"


# ------------------------------------------------------------------------------ refusals


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_changed_byte_of_the_payload_fails_both_implementations(pair, data):
    _, jwk, token = pair
    head, body, signature = token.split(".")
    raw = bytearray(_b64d(body))
    raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    forged = f"{head}.{_b64e(bytes(raw))}.{signature}"
    with pytest.raises(BadSignature):
        SIGNER.verify(jwk, forged)
    assert not _pysmx_verifies(jwk, forged)


N = plugin.N


def _with_signature(token: str, raw: bytes) -> str:
    head, body, _ = token.split(".")
    return f"{head}.{body}.{_b64e(raw)}"


def _with_header(token: str, header: bytes) -> str:
    _, body, signature = token.split(".")
    return f"{_b64e(header)}.{body}.{signature}"


def _rs(r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


MALFORMED_TOKENS = {
    "not a string": lambda t: t.encode(),
    "none": lambda t: None,
    "two parts": lambda t: t.rsplit(".", 1)[0],
    "four parts": lambda t: t + ".x",
    "empty": lambda t: "",
    "padding": lambda t: t + "==",
    "standard base64": lambda t: t.replace("-", "+").replace("_", "/") if "-" in t or "_" in t else t + "+",
    "space": lambda t: " " + t,
    "non-canonical last character": lambda t: t[:-1] + chr(ord(t[-1]) ^ 1),
    "header not json": lambda t: _with_header(t, b"{alg"),
    "header not utf-8": lambda t: _with_header(t, b'{"alg":"SM2SM3","x":"\xff"}'),
    "header a list": lambda t: _with_header(t, b'["SM2SM3"]'),
    "header nested deeply": lambda t: _with_header(t, b"[" * 100_000),
    "alg none": lambda t: _with_header(t, b'{"alg":"none"}'),
    "alg EdDSA": lambda t: _with_header(t, b'{"alg":"EdDSA"}'),
    "alg missing": lambda t: _with_header(t, b'{"kid":"k1"}'),
    "crit": lambda t: _with_header(t, b'{"alg":"SM2SM3","crit":["b64"],"b64":false}'),
    "empty signature": lambda t: t.rsplit(".", 1)[0] + ".",
    "63-byte signature": lambda t: _with_signature(t, _b64d(t.split(".")[2])[:63]),
    "65-byte signature": lambda t: _with_signature(t, _b64d(t.split(".")[2]) + b"\0"),
    "DER signature": lambda t: _with_signature(t, _der(_b64d(t.split(".")[2]))),
    "r = 0": lambda t: _with_signature(t, _rs(0, 1)),
    "s = 0": lambda t: _with_signature(t, _rs(1, 0)),
    "r = n": lambda t: _with_signature(t, _rs(N, 5)),
    "s = n": lambda t: _with_signature(t, _rs(5, N)),
    "r + s = n": lambda t: _with_signature(t, _rs(7, N - 7)),
    "all ones": lambda t: _with_signature(t, b"\xff" * 64),
}


@pytest.mark.parametrize("mangle", MALFORMED_TOKENS.values(), ids=MALFORMED_TOKENS.keys())
def test_a_malformed_token_is_refused_with_bad_signature(pair, mangle):
    _, jwk, token = pair
    with pytest.raises(BadSignature):
        SIGNER.verify(jwk, mangle(token))


def _jwk_with(jwk: dict, **changes) -> dict:
    return {k: v for k, v in {**jwk, **changes}.items() if v is not None}


P = plugin.P
MALFORMED_JWKS = {
    "not a dict": lambda j: [j],
    "okp": lambda j: _jwk_with(j, kty="OKP"),
    "P-256": lambda j: _jwk_with(j, crv="P-256"),
    "no y": lambda j: _jwk_with(j, y=None),
    "x an int": lambda j: _jwk_with(j, x=5),
    "x short": lambda j: _jwk_with(j, x=_b64e(b"\1" * 31)),
    "x long": lambda j: _jwk_with(j, x=_b64e(b"\0" + _b64d(j["x"]))),
    "x padded": lambda j: _jwk_with(j, x=j["x"] + "="),
    "x = p": lambda j: _jwk_with(j, x=_b64e(P.to_bytes(32, "big"))),
    "off the curve": lambda j: _jwk_with(
        j, y=_b64e(((int.from_bytes(_b64d(j["y"]), "big") + 1) % P).to_bytes(32, "big"))
    ),
    "origin": lambda j: _jwk_with(j, x=_b64e(bytes(32)), y=_b64e(bytes(32))),
    "another alg": lambda j: _jwk_with(j, alg="ES256"),
}


@pytest.mark.parametrize("mangle", MALFORMED_JWKS.values(), ids=MALFORMED_JWKS.keys())
def test_a_malformed_public_key_is_refused_with_bad_signature(pair, mangle):
    _, jwk, token = pair
    with pytest.raises(BadSignature):
        SIGNER.verify(mangle(jwk), token)


def test_another_key_does_not_verify(pair):
    _, _, token = pair
    _, other = SIGNER.generate()
    with pytest.raises(BadSignature):
        SIGNER.verify(other, token)


B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    token=st.one_of(
        st.text(max_size=300),
        st.lists(st.text(alphabet=B64URL + "=+/. ", max_size=90), min_size=3, max_size=3).map(".".join),
    )
)
def test_garbage_is_refused_with_bad_signature_and_nothing_else(pair, token):
    _, jwk, real = pair
    for candidate in (token, real.split(".")[0] + "." + real.split(".")[1] + "." + token):
        with pytest.raises(BadSignature):
            SIGNER.verify(jwk, candidate)


def test_a_broken_private_key_file_is_an_error_not_a_signature(pair):
    pem, _, _ = pair
    ed25519_pem, _ = signers.get("ed25519").generate()
    for bad in (b"", b"-----BEGIN SM2 PRIVATE KEY-----\nabc\n-----END SM2 PRIVATE KEY-----\n", ed25519_pem):
        with pytest.raises(ValueError):
            SIGNER.sign(bad, {}, b"x")
    mismatched = plugin._private_pem(plugin._load_private(pem)[0], plugin._public(12345))
    with pytest.raises(ValueError, match="不符"):
        SIGNER.sign(mismatched, {}, b"x")


# ------------------------------------------------------------------------------ the registry


def test_without_gmssl_the_registry_still_loads(monkeypatch):
    monkeypatch.setitem(sys.modules, "gmssl", None)
    monkeypatch.delitem(sys.modules, "onething.licences.signers.sm2")
    signers.load_builtin()  # no ImportError: the extra is optional
    assert "onething.licences.signers.sm2" not in sys.modules
    assert signers.get("ed25519")


# ------------------------------------------------------------------------------ a real licence


def _issue():
    return issuing.issue(
        issuing.Request(
            type=LicenceType.objects.get(name="机动车驾驶证"),
            issuer=Department.objects.get(code="11430600MB0600046D"),
            holder_kind="person",
            holder_id=ZHANGSAN,
            holder_name="张三",
            fields={"vehicle_class": "C1"},
        )
    )


@pytest.mark.django_db
def test_a_rotated_sm2_key_signs_a_licence_that_verifies_and_is_published():
    previous = keys.active()
    key = keys.rotate("sm2")
    assert key.signer == "sm2" and key.public_jwk["alg"] == "SM2SM3"
    licence = _issue()
    assert licence.kid == key.kid
    header = json.loads(_b64d(licence.credential.split(".")[0]))
    assert header["alg"] == "SM2SM3" and header["kid"] == key.kid and header["typ"] == "vc+jwt"

    result = credentials.verify(licence.credential)
    assert result.genuine, result.message
    assert result.identifier == licence.identifier and result.kid == key.kid
    qr = credentials.verify(credentials.qr_token(licence))
    assert qr.genuine, qr.message

    published = Client().get("/.well-known/jwks.json").json()["keys"]
    sm2_key = next(k for k in published if k["kid"] == key.kid)
    assert sm2_key == {**key.public_jwk} and "d" not in sm2_key
    assert (sm2_key["kty"], sm2_key["crv"], sm2_key["alg"], sm2_key["use"]) == ("EC", "SM2", "SM2SM3", "sig")
    members = json.dumps({k: sm2_key[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    assert _b64e(hashlib.sha256(members.encode()).digest())[: keys.KID_LENGTH] == key.kid  # RFC 7638
    assert previous.kid in {k["kid"] for k in published}  # the Ed25519 key stays published

    # a relying party with only the JWK set and another SM2 library
    assert _pysmx_verifies(sm2_key, licence.credential)
    head, body, signature = licence.credential.split(".")
    payload = json.loads(_b64d(body))
    payload["credentialSubject"]["holder"]["name"] = "李四"
    forged = f"{head}.{_b64e(json.dumps(payload, ensure_ascii=False).encode())}.{signature}"
    assert not credentials.verify(forged).genuine
    assert not _pysmx_verifies(sm2_key, forged)
