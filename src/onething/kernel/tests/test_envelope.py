"""Signed envelopes between nodes: what is sealed opens unchanged, and nothing else opens. Any
changed byte, a key of another node, a key nobody trusts, the wrong addressee or the wrong kind
of token is refused with a code; a replay opens to the same message (the inbox dedupes it);
the held messages of a case go in sequence order only."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
import warnings

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from onething.kernel.envelope import (
    MAX_TOKEN,
    RECEIPT_TYPE,
    TYPE,
    Envelope,
    EnvelopeRefused,
    Receipt,
    digest,
    in_order,
    key_id,
    new_private_key,
    open_envelope,
    open_receipt,
    peek,
    public_jwk,
    seal,
    seal_receipt,
)

PROPERTY = settings(derandomize=True, max_examples=300, deadline=None)

HUNAN, HUBEI, HUB = "430000", "420000", "100000"
HUNAN_PEM, HUBEI_PEM = new_private_key(), new_private_key()
HUNAN_JWK, HUBEI_JWK = public_jwk(HUNAN_PEM), public_jwk(HUBEI_PEM)
HUNAN_KID, HUBEI_KID = key_id(HUNAN_JWK), key_id(HUBEI_JWK)
#: what Hubei pins for Hunan, and Hunan for Hubei
HUNAN_KEYS, HUBEI_KEYS = {HUNAN_KID: HUNAN_JWK}, {HUBEI_KID: HUBEI_JWK}


def envelope(**changes) -> Envelope:
    fields = {
        "sender": HUNAN,
        "recipient": HUBEI,
        "message_id": "5f0c1d8e-3b7a-4c2e-9a61-2d4f8b0e7c15",
        "case": "4306002026093000001",
        "seq": 3,
        "kind": "case.forward",
        "payload": {"form": {"姓名": "张三", "年龄": 41, "材料": ["sha256:ab", "sha256:cd"]}},
        "sent_at": "2026-09-30T10:00:00+08:00",
        "deadline": {"due": "2026-10-20", "paused": False, "used_workdays": 2},
        "via": "",
    }
    return Envelope(**{**fields, **changes})


def refusal(call, *args, **kwargs) -> EnvelopeRefused:
    with pytest.raises(EnvelopeRefused) as caught:
        call(*args, **kwargs)
    assert caught.value.reason and caught.value.reason == str(caught.value)
    return caught.value


# -------------------------------------------------------------------------- round trip


def test_a_sealed_envelope_opens_to_the_same_envelope():
    sent = envelope()
    token = seal(sent, HUNAN_PEM, HUNAN_KID)
    assert open_envelope(token, HUNAN_KEYS, recipient=HUBEI) == sent
    assert open_envelope(token, HUNAN_KEYS) == sent


def test_the_header_is_the_documented_one_and_plain_joserfc_verifies_it():
    token = seal(envelope(via=HUB), HUNAN_PEM, HUNAN_KID)
    header, claims = peek(token)
    assert header == {"alg": "EdDSA", "kid": HUNAN_KID, "typ": TYPE}
    assert claims == envelope(via=HUB).claims()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        verified = jws.deserialize_compact(token, OKPKey.import_key(HUNAN_JWK), algorithms=["EdDSA"])
    assert json.loads(verified.payload) == claims


def test_an_envelope_of_several_mib_opens():
    """joserfc's own payload limit (128,000 bytes) is raised to MAX_TOKEN: a large forward
    is not refused as a bad signature."""
    sent = envelope(payload={"materials": "x" * (3 * 1024 * 1024)})
    token = seal(sent, HUNAN_PEM, HUNAN_KID)
    assert 4 * 1024 * 1024 < len(token) < MAX_TOKEN
    assert open_envelope(token, HUNAN_KEYS) == sent


def test_sealing_and_opening_leak_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        token = seal(envelope(), HUNAN_PEM, HUNAN_KID)
        open_envelope(token, HUNAN_KEYS)


def test_sealing_is_deterministic_so_a_digest_names_one_message():
    first = seal(envelope(), HUNAN_PEM, HUNAN_KID)
    assert seal(envelope(), HUNAN_PEM, HUNAN_KID) == first
    assert digest(first) == hashlib.sha256(first.encode("ascii")).hexdigest()
    assert digest(first.encode("ascii")) == digest(first)
    assert digest(seal(envelope(seq=4), HUNAN_PEM, HUNAN_KID)) != digest(first)


def test_a_node_level_message_may_have_seq_zero_and_no_deadline():
    ping = envelope(case="", seq=0, kind="node.ping", payload={}, deadline=None)
    assert open_envelope(seal(ping, HUNAN_PEM, HUNAN_KID), HUNAN_KEYS) == ping


def test_from_claims_fills_the_optional_fields():
    claims = envelope().claims()
    del claims["deadline"], claims["via"]
    assert Envelope.from_claims(claims) == envelope(deadline=None, via="")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
codes = st.from_regex(r"\A[0-9]{6}\Z")


@st.composite
def envelopes(draw):
    sender = draw(codes)
    recipient = draw(codes.filter(lambda code: code != sender))
    case = draw(st.one_of(st.just(""), st.from_regex(r"\A[A-Za-z0-9._:-]{1,40}\Z")))
    return Envelope(
        sender=sender,
        recipient=recipient,
        message_id=str(draw(st.uuids())),
        case=case,
        seq=draw(st.integers(min_value=0 if case == "" else 1, max_value=2**53)),
        kind=draw(st.sampled_from(["case.forward", "case.status", "case.result", "node.ping"])),
        payload=draw(st.dictionaries(st.text(), json_values, max_size=5)),
        sent_at=draw(st.sampled_from(["2026-09-30T10:00:00+08:00", "2026-01-01T00:00:00.5Z"])),
        deadline=draw(st.none() | st.dictionaries(st.text(), json_values, max_size=3)),
        via=draw(st.sampled_from(["", HUB]).filter(lambda via: via not in (sender, recipient))),
    )


@PROPERTY
@given(envelopes())
def test_any_valid_envelope_survives_the_round_trip(sent):
    assert open_envelope(seal(sent, HUNAN_PEM, HUNAN_KID), HUNAN_KEYS) == sent
    assert Envelope.from_claims(json.loads(json.dumps(sent.claims()))) == sent


# -------------------------------------------------------------------------- tampering

SEALED = seal(envelope(), HUNAN_PEM, HUNAN_KID)


@PROPERTY
@given(st.data())
def test_any_changed_byte_is_refused(data):
    raw = bytearray(SEALED.encode("ascii"))
    position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="position")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != raw[position]), label="byte")
    raw[position] = byte
    with pytest.raises(EnvelopeRefused) as caught:
        open_envelope(bytes(raw), HUNAN_KEYS, recipient=HUBEI)
    assert caught.value.code in {"malformed", "bad_signature", "untrusted_key", "wrong_type"}
    if byte < 128:  # the same change handed over as text
        with pytest.raises(EnvelopeRefused):
            open_envelope(raw.decode("ascii"), HUNAN_KEYS, recipient=HUBEI)


def test_a_signature_spelled_with_stray_bits_is_refused():
    # 64 signature bytes take 86 base64url characters; the last one carries 2 bits and 4
    # unused ones. Changing only the unused bits decodes to the same signature, so a lax
    # decoder would accept a second spelling (and a second digest) of the same message.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(SEALED[-1])
    assert last % 16 == 0
    twin = SEALED[:-1] + alphabet[last + 1]
    assert base64.urlsafe_b64decode(twin.split(".")[2] + "==") == base64.urlsafe_b64decode(
        SEALED.split(".")[2] + "=="
    )
    assert refusal(open_envelope, twin, HUNAN_KEYS).code == "malformed"


def test_a_replayed_token_opens_to_the_same_message_for_the_inbox_to_dedupe():
    first = open_envelope(SEALED, HUNAN_KEYS, recipient=HUBEI)
    again = open_envelope(SEALED, HUNAN_KEYS, recipient=HUBEI)
    assert again == first and again.message_id == first.message_id


def test_an_unknown_key_is_refused():
    assert refusal(open_envelope, SEALED, HUBEI_KEYS).code == "untrusted_key"
    assert refusal(open_envelope, SEALED, {}).code == "untrusted_key"


def test_a_key_of_another_sender_is_refused():
    # Hubei signs with its own key an envelope that claims to come from Hunan: the receiver
    # passes the keys it pinned for Hunan, the claimed sender, and Hubei's key is not there.
    forged = seal(envelope(recipient="440000"), HUBEI_PEM, HUBEI_KID)
    assert peek(forged)[1]["sender"] == HUNAN
    assert refusal(open_envelope, forged, HUNAN_KEYS).code == "untrusted_key"
    # … and naming Hunan's key id does not help: the signature does not hold under it
    disguised = seal(envelope(recipient="440000"), HUBEI_PEM, HUNAN_KID)
    assert refusal(open_envelope, disguised, HUNAN_KEYS).code == "bad_signature"


def test_an_envelope_for_another_node_is_refused():
    refused = refusal(open_envelope, SEALED, HUNAN_KEYS, recipient="440000")
    assert refused.code == "wrong_recipient"
    assert HUBEI in refused.reason and "440000" in refused.reason


def test_a_receipt_is_not_an_envelope_and_an_envelope_is_not_a_receipt():
    receipt = seal_receipt(answer(), HUBEI_PEM, HUBEI_KID)
    assert refusal(open_envelope, receipt, HUBEI_KEYS).code == "wrong_type"
    assert refusal(open_receipt, SEALED, HUNAN_KEYS).code == "wrong_type"


def forge(header: dict, payload: bytes, pem: bytes = HUNAN_PEM) -> str:
    """A correctly signed token with a header and payload of the test's choosing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return jws.serialize_compact(header, payload, OKPKey.import_key(pem), algorithms=["EdDSA"])


def test_unsigned_and_unusual_headers_are_refused():
    claims = json.dumps(envelope().claims()).encode()
    segment = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()

    def unsigned(header):
        head = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
        return f"{head}.{segment}."

    none = unsigned({"alg": "none", "kid": HUNAN_KID, "typ": TYPE})
    assert refusal(open_envelope, none, HUNAN_KEYS).code == "malformed"  # empty signature
    signed_none = unsigned({"alg": "none", "kid": HUNAN_KID, "typ": TYPE}) + "AAAA"
    assert refusal(open_envelope, signed_none, HUNAN_KEYS).code == "bad_signature"
    extra = forge({"alg": "EdDSA", "kid": HUNAN_KID, "typ": TYPE, "cty": "json"}, claims)
    assert refusal(open_envelope, extra, HUNAN_KEYS).code == "malformed"
    jwt = forge({"alg": "EdDSA", "kid": HUNAN_KID, "typ": "JWT"}, claims)
    assert refusal(open_envelope, jwt, HUNAN_KEYS).code == "wrong_type"
    assert open_envelope(forge({"alg": "EdDSA", "kid": HUNAN_KID, "typ": TYPE}, claims), HUNAN_KEYS)


def test_signed_but_ill_formed_claims_are_refused():
    header = {"alg": "EdDSA", "kid": HUNAN_KID, "typ": TYPE}
    good = json.dumps(envelope().claims())
    twice = good[:-1] + ', "seq": 4}'  # a duplicate key: which seq would apply?
    for payload in (twice, "[1, 2]", good.replace("41", "NaN"), '{"sender": "430000"}', "\xff"):
        data = payload.encode("latin-1" if payload == "\xff" else "utf-8")
        assert refusal(open_envelope, forge(header, data), HUNAN_KEYS).code == "malformed"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sender": "43000"}, "sender"),
        ({"sender": "４３００００"}, "sender"),  # full-width digits are not a code
        ({"recipient": 420000}, "recipient"),
        ({"recipient": HUNAN}, "recipient"),
        ({"via": HUNAN}, "via"),
        ({"via": "1"}, "via"),
        ({"message_id": "not-a-uuid"}, "message_id"),
        ({"message_id": "5F0C1D8E-3B7A-4C2E-9A61-2D4F8B0E7C15"}, "message_id"),
        ({"message_id": "5f0c1d8e3b7a4c2e9a612d4f8b0e7c15"}, "message_id"),
        ({"case": "430600 001"}, "case"),
        ({"case": "x" * 65}, "case"),
        ({"seq": 0}, "seq"),
        ({"seq": -1, "case": ""}, "seq"),
        ({"seq": True}, "seq"),
        ({"seq": 1.0}, "seq"),
        ({"kind": "Case Forward"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"payload": [1, 2]}, "payload"),
        ({"payload": "{}"}, "payload"),
        ({"deadline": ["2026-10-20"]}, "deadline"),
        ({"sent_at": "2026-09-30T10:00:00"}, "sent_at"),
        ({"sent_at": "2026-09-30 10:00:00+08:00"}, "sent_at"),
        ({"sent_at": "2026-02-30T10:00:00+08:00"}, "sent_at"),
    ],
)
def test_each_ill_formed_field_is_refused_by_name(changes, field):
    claims = {**envelope().claims(), **changes}
    refused = refusal(Envelope.from_claims, claims)
    assert refused.code == "malformed" and field in refused.reason
    # and the sender cannot seal it either: a node never sends what its peer would refuse
    assert refusal(seal, envelope(**changes), HUNAN_PEM, HUNAN_KID).code == "malformed"


def test_missing_and_unknown_claims_are_refused():
    claims = envelope().claims()
    del claims["kind"]
    assert "kind" in refusal(Envelope.from_claims, claims).reason
    assert "priority" in refusal(Envelope.from_claims, {**envelope().claims(), "priority": 1}).reason
    assert refusal(Envelope.from_claims, ["not", "a", "mapping"]).code == "malformed"


def test_a_payload_of_non_json_values_is_not_sealed():
    from datetime import date

    for payload in ({"due": date(2026, 10, 20)}, {"ratio": float("nan")}, {"ids": {1, 2}}):
        assert refusal(seal, envelope(payload=payload), HUNAN_PEM, HUNAN_KID).code == "malformed"


def test_tokens_over_16_mib_are_refused_and_never_sealed():
    assert refusal(peek, "a" * (MAX_TOKEN + 1)).code == "malformed"
    assert refusal(open_envelope, "a" * (MAX_TOKEN + 1), HUNAN_KEYS).code == "malformed"
    big = envelope(payload={"blob": "x" * (12 * 1024 * 1024 + 1)})  # base64 makes it > 16 MiB
    assert refusal(seal, big, HUNAN_PEM, HUNAN_KID).code == "malformed"


def test_a_public_key_cannot_seal():
    public_pem = (
        serialization.load_pem_private_key(HUNAN_PEM, None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert refusal(seal, envelope(), public_pem, HUNAN_KID).code == "malformed"
    assert refusal(seal, envelope(), HUNAN_PEM, "").code == "malformed"


def test_an_unusable_trusted_key_refuses_instead_of_crashing():
    assert refusal(open_envelope, SEALED, {HUNAN_KID: {"kty": "RSA"}}).code == "untrusted_key"
    x25519 = OKPKey.generate_key("X25519").as_dict(private=False)
    assert refusal(open_envelope, SEALED, {HUNAN_KID: x25519}).code == "untrusted_key"


# -------------------------------------------------------------------------- peek


def test_peek_reads_without_verifying():
    header, claims = peek(seal(envelope(), HUBEI_PEM, "someone-else"))
    assert header["kid"] == "someone-else" and claims["recipient"] == HUBEI


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "a.b", "a.b.c.d", "e30.e30.", "e30=.e30.AAAA", "W10.e30.AAAA", "e30.W10.AAAA", "é.e30.AAAA"],
)
def test_peek_refuses_garbage(garbage):
    assert refusal(peek, garbage).code == "malformed"


@PROPERTY
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200), st.integers(), st.none()))
def test_garbage_only_ever_raises_a_refusal(garbage):
    with pytest.raises(EnvelopeRefused):
        open_envelope(garbage, HUNAN_KEYS)
    with pytest.raises(EnvelopeRefused):
        open_receipt(garbage, HUBEI_KEYS)
    if isinstance(garbage, str | bytes):
        assert len(digest(garbage)) == 64


# -------------------------------------------------------------------------- receipts


def answer(**changes) -> Receipt:
    fields = {
        "receiver": HUBEI,
        "sender": HUNAN,
        "message_id": envelope().message_id,
        "digest": digest(SEALED),
        "outcome": "applied",
        "at": "2026-09-30T10:00:01+08:00",
        "reason": "",
    }
    return Receipt(**{**fields, **changes})


@pytest.mark.parametrize(
    "receipt",
    [
        answer(),
        answer(outcome="held", reason="等待序号 2 的消息。"),
        answer(outcome="refused", reason="签名无效。"),
    ],
)
def test_a_receipt_round_trips(receipt):
    token = seal_receipt(receipt, HUBEI_PEM, HUBEI_KID)
    assert peek(token)[0] == {"alg": "EdDSA", "kid": HUBEI_KID, "typ": RECEIPT_TYPE}
    assert open_receipt(token, HUBEI_KEYS) == receipt


RECEIPT = seal_receipt(answer(), HUBEI_PEM, HUBEI_KID)


@PROPERTY
@given(st.data())
def test_any_changed_byte_of_a_receipt_is_refused(data):
    raw = bytearray(RECEIPT.encode("ascii"))
    position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="position")
    raw[position] = data.draw(st.integers(0, 255).filter(lambda b: b != raw[position]))
    with pytest.raises(EnvelopeRefused):
        open_receipt(bytes(raw), HUBEI_KEYS)


def test_a_receipt_signed_by_anyone_but_the_receiver_is_refused():
    assert refusal(open_receipt, RECEIPT, HUNAN_KEYS).code == "untrusted_key"
    assert refusal(open_receipt, seal_receipt(answer(), HUNAN_PEM, HUBEI_KID), HUBEI_KEYS).code == (
        "bad_signature"
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"outcome": "done"}, "outcome"),
        ({"digest": "ABC"}, "digest"),
        ({"digest": digest(SEALED).upper()}, "digest"),
        ({"receiver": HUNAN}, "receiver"),
        ({"message_id": "x"}, "message_id"),
        ({"at": "yesterday"}, "at"),
        ({"reason": None}, "reason"),
    ],
)
def test_an_ill_formed_receipt_is_refused_by_name(changes, field):
    refused = refusal(seal_receipt, answer(**changes), HUBEI_PEM, HUBEI_KID)
    assert refused.code == "malformed" and field in refused.reason


# -------------------------------------------------------------------------- keys

#: RFC 8037 appendix A.1–A.3: the Ed25519 example key and its RFC 7638 thumbprint
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_key_id_is_the_rfc_7638_thumbprint_of_the_rfc_8037_example():
    assert key_id({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}) == RFC8037_THUMBPRINT
    # member order and extra members (d, kid, use) do not change it
    assert key_id({"x": RFC8037_X, "use": "sig", "crv": "Ed25519", "kty": "OKP", "d": RFC8037_D}) == (
        RFC8037_THUMBPRINT
    )


def test_public_jwk_of_the_rfc_8037_private_key_is_its_example_public_key():
    private = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(RFC8037_D + "="))
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert public_jwk(pem) == {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_jwk(public_pem) == public_jwk(pem)


def test_new_keys_are_distinct_ed25519_keys_and_key_id_agrees_with_joserfc():
    assert HUNAN_PEM.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert HUNAN_KID != HUBEI_KID
    assert OKPKey.import_key(HUNAN_JWK).thumbprint() == HUNAN_KID


def test_keys_that_are_not_ed25519_are_refused():
    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert refusal(public_jwk, p256).code == "malformed"
    assert refusal(public_jwk, b"not a key").code == "malformed"
    assert refusal(key_id, {"kty": "OKP", "crv": "X25519", "x": RFC8037_X}).code == "malformed"
    assert refusal(seal, envelope(), p256, "k").code == "malformed"


# -------------------------------------------------------------------------- ordering


def test_in_order_takes_the_contiguous_run_after_the_applied():
    assert in_order(0, [1, 2, 3]) == [1, 2, 3]
    assert in_order(2, [5, 3, 4, 7]) == [3, 4, 5]
    assert in_order(2, [4, 5]) == []  # 3 is missing: everything waits
    assert in_order(3, [1, 2, 3, 4, 4]) == [4]  # already applied and duplicates are ignored
    assert in_order(0, []) == []


@PROPERTY
@given(st.integers(0, 50), st.lists(st.integers(-5, 80), max_size=40), st.randoms())
def test_in_order_properties(applied, held, random):
    ready = in_order(applied, held)
    # contiguous from applied + 1, and only numbers that were held
    assert ready == list(range(applied + 1, applied + 1 + len(ready)))
    assert set(ready) <= set(held)
    # maximal: the next one is not held, so nothing beyond a gap is ever released
    assert applied + len(ready) + 1 not in held
    # order and repetition of the held numbers do not matter
    shuffled = held * 2
    random.shuffle(shuffled)
    assert in_order(applied, shuffled) == ready
    # applying the run and asking again releases nothing more
    assert in_order(applied + len(ready), held) == []


def test_message_ids_come_from_uuid4_text():
    fresh = envelope(message_id=str(uuid.uuid4()))
    assert open_envelope(seal(fresh, HUNAN_PEM, HUNAN_KID), HUNAN_KEYS).message_id == fresh.message_id
