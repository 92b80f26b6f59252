"""SMS (短信) through an HTTP gateway configured by ``ONETHING_SMS_URL``.

The gateway receives ``{"phone", "text", "id"}``; ``id`` (``onething-<outbox id>``) is the
same on every attempt of one message, so a gateway that deduplicates by it (as the providers'
client-reference fields do) sends a retried message once. A non-2xx answer or a timeout
raises, and the outbox retries with backoff.

No gateway is reachable from development machines, so without the setting the message is
recorded in :data:`OUTBOX` (inspected by tests) instead of being sent.
"""

from __future__ import annotations

import json
import os
import urllib.request

from onething.notifications.registry import Backend, Message, Undeliverable, register

OUTBOX: list[tuple[str, str]] = []
TIMEOUT = 5  # seconds; far below the outbox's claim timeout


@register("sms")
class SmsBackend(Backend):
    label = "短信"
    needs = "phone"

    def send(self, message: Message) -> None:
        if not message.phone:
            raise Undeliverable("接收人没有手机号码")
        text = f"【一件事】{message.title}"
        url = os.environ.get("ONETHING_SMS_URL", "")
        if not url.startswith(("http://", "https://")):
            OUTBOX.append((message.phone, text))
            return
        body = json.dumps({"phone": message.phone, "text": text, "id": f"onething-{message.id}"}).encode()
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=TIMEOUT):  # noqa: S310 - scheme checked above
            pass
