"""Development channel: writes the message to the log (personal numbers masked by the log filter).

Idempotent by message id within a process: a message redelivered to the same process (its
claim went stale while a slow send was still running) is logged once. Across a crash the
line carries the id (``#123``), so a reader of the log can drop a repeat.
"""

import logging
import threading
from collections import OrderedDict

from onething.notifications.registry import Backend, Message, register

logger = logging.getLogger("onething.notifications")

_seen: OrderedDict[int, None] = OrderedDict()
_seen_lock = threading.Lock()
SEEN_MAX = 10_000  # ids remembered per process


def _first_time(message_id: int | None) -> bool:
    if message_id is None:
        return True
    with _seen_lock:
        if message_id in _seen:
            return False
        _seen[message_id] = None
        if len(_seen) > SEEN_MAX:
            _seen.popitem(last=False)
        return True


@register("console")
class ConsoleBackend(Backend):
    label = "控制台（开发）"

    def send(self, message: Message) -> None:
        if not _first_time(message.id):
            return
        logger.info(
            "通知 #%s %s → 用户%s：%s %s",
            message.id,
            message.event,
            message.recipient_id,
            message.title,
            message.body,
        )
