"""The crash test's channel (loaded by the server and consumer processes through
``ONETHING_NOTIFY_MODULES``): the ``file`` channel — idempotent by message id — that also
logs every attempt and then lingers, so a SIGKILL lands between the provider accepting a
message and the outbox marking it sent."""

import os
import time

from onething.notifications.backends.file import FileBackend
from onething.notifications.registry import Message, register


@register("crashfile")
class CrashFile(FileBackend):
    label = "崩溃测试文件"

    def send(self, message: Message) -> None:
        with open(os.environ["CRASH_CHANNEL_ATTEMPTS"], "a") as attempts:
            attempts.write(f"{message.id}\n")
        super().send(message)
        time.sleep(float(os.environ.get("CRASH_CHANNEL_DELAY", "0")))
