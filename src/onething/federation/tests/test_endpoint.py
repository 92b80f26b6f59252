"""``POST /federation/v1/envelopes`` and ``GET /federation/v1/descriptor`` through Django's client."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from onething.federation import handlers, nodes
from onething.federation.models import Inbound, LogEntry
from onething.federation.tests import test_inbox
from onething.federation.tests.test_inbox import CASE, PeerNode, effect_rows, receipt_of
from onething.kernel import envelope

#: the fixtures this module shares with the inbox tests
effects, hubei, hunan, key_dir = test_inbox.effects, test_inbox.hubei, test_inbox.hunan, test_inbox.key_dir

pytestmark = pytest.mark.django_db

URL = "/federation/v1/envelopes"


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)  # a peer has no session and no CSRF token


def post(client: Client, token: str | bytes, content_type: str = "application/jose", **extra):
    return client.post(URL, data=token, content_type=content_type, **extra)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]


def test_an_envelope_is_answered_with_its_receipt(client, hubei, effects):
    token = hubei.seal(case=CASE, seq=1, kind="test.record")
    response = post(client, token)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jose"
    receipt = receipt_of(response.content.decode())
    assert (receipt.outcome, receipt.digest) == ("applied", envelope.digest(token))

    again = post(client, token)
    assert again.status_code == 200 and again.content == response.content
    assert effect_rows() == 1 and Inbound.objects.count() == 1


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/octet-stream", "application/x-www-form-urlencoded"]
)
def test_any_content_type_is_read_as_the_token(client, hubei, content_type):
    response = post(client, hubei.seal() + "\n", content_type)
    assert response.status_code == 200, response.content
    assert receipt_of(response.content.decode()).outcome == "applied"


def test_held_and_business_refusals_are_receipts_too(client, hubei, effects):
    held = post(client, hubei.seal(case=CASE, seq=2, kind="test.record"))
    assert held.status_code == 200 and receipt_of(held.content.decode()).outcome == "held"
    refused = post(client, hubei.seal(kind="test.refuse"))
    assert refused.status_code == 200 and receipt_of(refused.content.decode()).outcome == "refused"


def test_an_untrusted_sender_is_forbidden(client, hunan):
    stranger = PeerNode("440000", "广东省", "https://gd.example.cn")
    response = post(client, stranger.seal())
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "untrusted_key" and "440000" in error["message"] and "信任" in error["message"]
    assert not Inbound.objects.exists() and LogEntry.objects.get().event == "refused"


def test_a_bad_signature_is_forbidden_and_garbage_is_a_bad_request(client, hubei):
    head, body, signature = hubei.seal().split(".")
    flipped = signature[:8] + ("A" if signature[8] != "A" else "B") + signature[9:]
    response = post(client, f"{head}.{body}.{flipped}")
    assert response.status_code == 403 and error_of(response)["code"] == "bad_signature"

    for garbage in (b"", b"hello", "令牌".encode()):
        response = post(client, garbage)
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "malformed" and error["message"]
    assert not Inbound.objects.exists()
    assert set(LogEntry.objects.values_list("event", flat=True)) == {"refused"}


def test_an_envelope_for_another_node_is_a_bad_request(client, hubei):
    response = post(client, hubei.seal(recipient="440000"))
    assert response.status_code == 400
    assert error_of(response)["code"] == "wrong_recipient"


def test_a_crashing_handler_answers_503_and_keeps_nothing(client, hubei, effects):
    response = post(client, hubei.seal(case=CASE, seq=1, kind="test.crash"))
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "稍后重试" in error_of(response)["message"]
    assert not Inbound.objects.exists() and effect_rows() == 0 and not LogEntry.objects.exists()


def test_an_uninitialised_node_answers_503(client, key_dir):
    response = post(client, PeerNode().seal())
    assert response.status_code == 503 and error_of(response)["code"] == "unavailable"


def test_an_envelope_larger_than_the_global_body_limit_passes(client, hubei, effects):
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE * 7 // 8)  # base64 makes it 4/3 as long
    token = hubei.seal(kind="test.record", payload={"materials": big})
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(token) <= envelope.MAX_TOKEN
    response = post(client, token)
    assert response.status_code == 200, response.content[:500]
    assert Inbound.objects.get().token == token and effect_rows() == 1


def test_a_body_over_the_envelope_limit_is_refused_unread(client, hubei):
    response = post(client, hubei.seal(), CONTENT_LENGTH=str(envelope.MAX_TOKEN + 1))
    assert response.status_code == 413 and error_of(response)["code"] == "too_large"
    assert not Inbound.objects.exists() and not LogEntry.objects.exists()


def test_only_post(client, hubei):
    assert client.get(URL).status_code == 405


def test_the_descriptor_is_public(client, hunan):
    response = client.get("/federation/v1/descriptor")
    assert response.status_code == 200
    assert response.json() == nodes.descriptor()
    assert "湖南省" in response.content.decode()  # readable Chinese
    assert "d" not in response.json()["keys"][0]["jwk"]  # public keys only


def test_no_descriptor_before_init(client, key_dir):
    response = client.get("/federation/v1/descriptor")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_node_ping_is_registered():
    assert "node.ping" in handlers.HANDLERS
