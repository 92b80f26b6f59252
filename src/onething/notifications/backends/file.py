"""Development channel: appends each message as a JSON line to a file, once per message id.

Where SMS and email would go in production, a developer (or a test that runs real server and
consumer processes) reads ``ONETHING_NOTIFY_FILE`` (default ``var/notifications.jsonl``).
It is idempotent across processes: under an exclusive lock it reads the ids written since it
last looked and skips a message whose id is already there — the receiving side of
exactly-once, as an SMS gateway deduplicating by client reference would be.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from pathlib import Path

from django.conf import settings

from onething.notifications.registry import Backend, Message, register


def path() -> Path:
    configured = os.environ.get("ONETHING_NOTIFY_FILE", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "notifications.jsonl"


class _Seen:
    """Ids already in the file, read incrementally (offset of what this process has read)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.file: tuple[int, int] | None = None  # (device, inode) the ids belong to
        self.offset = 0
        self.ids: set[int] = set()
        self.torn = False  # the file ends in a partial line (a writer died mid-line)

    def update(self, handle) -> None:
        stat = os.fstat(handle.fileno())
        if self.file != (stat.st_dev, stat.st_ino) or stat.st_size < self.offset:
            self.file, self.offset, self.ids = (stat.st_dev, stat.st_ino), 0, set()
        handle.seek(self.offset)
        data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a partial last line is not an id (yet)
        for line in complete.splitlines():
            try:
                self.ids.add(int(json.loads(line)["id"]))
            except (ValueError, KeyError, TypeError):
                continue
        self.offset += len(complete)
        self.torn = len(complete) < len(data)


_seen = _Seen()


@register("file")
class FileBackend(Backend):
    label = "文件（开发）"

    def send(self, message: Message) -> None:
        target = path()
        target.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {
                "id": message.id,
                "recipient": message.recipient_id,
                "event": message.event,
                "title": message.title,
                "body": message.body,
                "link": message.link,
            },
            ensure_ascii=False,
        )
        with _seen.lock, open(target, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                _seen.update(handle)
                if message.id is not None and message.id in _seen.ids:
                    return  # delivered before (a retry after a crash): once is enough
                handle.seek(0, os.SEEK_END)
                handle.write((b"\n" if _seen.torn else b"") + line.encode() + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
                _seen.offset = handle.tell()
                if message.id is not None:
                    _seen.ids.add(message.id)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
