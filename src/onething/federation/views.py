"""The node-to-node HTTP surface (``/federation/v1/``): thin, the inbox does the work.

- ``POST envelopes`` — the body is one envelope, a compact JWS (any content type;
  ``application/jose`` is the right one). 200 with this node's signed receipt
  (``application/jose``) for an envelope recorded now or before — applied, held or refused for
  a business reason alike; 400/403 ``{"error": {"code", "message"}}`` for an envelope that is
  not heard (403: a key not trusted or a signature that does not hold; 400: anything else), so
  the sender keeps it and retries after the cause is fixed (a new key trusted, say); 413 over
  :data:`~onething.kernel.envelope.MAX_TOKEN`; 503 when this node cannot record it now (not
  initialised, a handler failed, the database is away): nothing was kept, retry later.
- ``GET descriptor`` — this node's descriptor (public: identity and public keys only).

The body is read from the request stream up to ``MAX_TOKEN`` (16 MiB) for this endpoint only:
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (12 MiB, ``request.body``) stays the limit everywhere else. The
gateway middleware does not read an ``application/jose`` body.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from onething.federation import inbox, nodes
from onething.kernel import envelope
from onething.kernel.envelope import EnvelopeRefused
from onething.kernel.errors import NotFound

logger = logging.getLogger(__name__)

JOSE = "application/jose"
#: refusals that say "not who it claims to be" rather than "not well-formed"
_FORBIDDEN = (envelope.UNTRUSTED_KEY, envelope.BAD_SIGNATURE)


def _error(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": code, "message": message}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _body(request) -> bytes | None:
    """The request body up to ``MAX_TOKEN`` bytes (``None`` when it is longer)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > envelope.MAX_TOKEN:
        return None
    body = request.read(envelope.MAX_TOKEN + 1)
    return None if len(body) > envelope.MAX_TOKEN else body


@csrf_exempt
@require_POST
def envelopes(request):
    body = _body(request)
    if body is None:
        return _error(413, "too_large", f"报文超过 {envelope.MAX_TOKEN // (1024 * 1024)} MiB 的上限。")
    try:
        received = inbox.receive(body.strip())
    except EnvelopeRefused as exc:
        return _error(403 if exc.code in _FORBIDDEN else 400, exc.code, exc.reason)
    except NotFound as exc:  # the node is not initialised, or its key file is missing
        logger.error("federation inbox unavailable: %s", exc.message)
        return _error(503, "unavailable", "本节点暂时无法接收报文，请稍后重试。", Retry_After="60")
    except Exception:
        logger.exception("federation inbox: the envelope could not be recorded")
        return _error(
            503, "unavailable", "本节点处理该报文时出错，未作任何记录，请稍后重试。", Retry_After="30"
        )
    return HttpResponse(received.receipt, content_type=JOSE)


@require_GET
def descriptor(request):
    try:
        found = nodes.descriptor()
    except NotFound:
        return _error(404, "not_found", "本节点尚未初始化。")
    response = JsonResponse(found, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=300"
    return response
