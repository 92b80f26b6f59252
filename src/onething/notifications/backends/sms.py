"""SMS (短信) through an HTTP gateway configured by ``ONETHING_SMS_URL``.

No gateway is reachable from development machines, so without the setting the message is
recorded in :data:`OUTBOX` (inspected by tests) instead of being sent.
"""

from __future__ import annotations

import json
import os
import urllib.request

from onething.notifications.registry import Backend, Message, register

OUTBOX: list[tuple[str, str]] = []


@register("sms")
class SmsBackend(Backend):
    label = "短信"

    def send(self, message: Message) -> None:
        if not message.phone:
            return
        text = f"【一件事】{message.title}"
        url = os.environ.get("ONETHING_SMS_URL", "")
        if not url.startswith(("http://", "https://")):
            OUTBOX.append((message.phone, text))
            return
        body = json.dumps({"phone": message.phone, "text": text}).encode()
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - scheme checked above
            pass
