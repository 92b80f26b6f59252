"""SMS verification codes (短信验证码) for registration and password reset.

* :func:`issue` makes a 6-digit code for a phone and a purpose and stores only a keyed hash
  of it (HMAC-SHA256 under the secret key, with a per-code salt), with its expiry
  (:data:`TTL`) and an attempt count. The newest code of a phone and purpose is the only one
  that counts: asking again replaces the previous code.
* :func:`consume` checks a code typed back: wrong → one more attempt (after
  :data:`MAX_ATTEMPTS` the code is dead), right → used, once. It runs in the caller's
  transaction and locks the code row; it returns a refusal instead of raising, so the caller
  can commit the attempt it counted before it reports the refusal.
* :func:`queue_delivery` hands the text to the huey task ``accounts.tasks.send_phone_code``
  after the commit: the request never waits for an SMS gateway. The task sends through the
  notification channel plugins (``notifications.registry``): the first enabled channel that
  needs a phone (``sms``, or a deployment's own), else the ``console`` channel — the embedded
  mode's, which writes the code to the log (``make run``'s terminal). The message id is the
  negative of the code's row id (outbox rows have positive ids), the same on every retry, so a
  gateway that deduplicates by id sends a retried code once.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from onething.accounts.models import PhoneCode
from onething.kernel.codes import mask_phone
from onething.kernel.errors import Conflict, Invalid
from onething.notifications.registry import Message, Undeliverable, get_backend
from onething.notifications.routing import outbox_channels

logger = logging.getLogger("onething.accounts")

TTL = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = dt.timedelta(seconds=60)
LENGTH = 6
CONSOLE = "console"

PURPOSE_TEXT = {
    PhoneCode.Purpose.REGISTER: "注册一件事平台账户",
    PhoneCode.Purpose.RESET: "重置一件事平台账户密码",
}


@dataclass(frozen=True)
class Sent:
    """What the page tells the person: where the code went, and by which channel."""

    phone: str  # masked
    channel: str | None  # None: not sent (reset for a phone without an account)

    @property
    def to_console(self) -> bool:
        return self.channel == CONSOLE


def _hash(row: PhoneCode, code: str) -> str:
    value = f"{row.salt}:{row.phone}:{row.purpose}:{code}"
    return salted_hmac("onething.accounts.PhoneCode", value, algorithm="sha256").hexdigest()


def channel() -> str | None:
    """The channel codes go out on: an enabled channel that needs a phone, else the console."""
    enabled = outbox_channels()
    for name in enabled:
        if get_backend(name).needs == "phone":
            return name
    return CONSOLE if CONSOLE in enabled else None


def latest(phone: str, purpose: str, *, lock: bool = False) -> PhoneCode | None:
    rows = PhoneCode.objects.filter(phone=phone, purpose=purpose).order_by("-created_at", "-id")
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def resend_wait(phone: str, purpose: str, now: dt.datetime) -> int:
    """Seconds before another code may be sent to ``phone`` for ``purpose`` (0: now)."""
    row = latest(phone, purpose)
    if row is None or row.created_at + RESEND_AFTER <= now:
        return 0
    return max(1, int((row.created_at + RESEND_AFTER - now).total_seconds()) + 1)


def issue(phone: str, purpose: str, now: dt.datetime) -> tuple[PhoneCode, str]:
    """A new code for ``phone``: the stored row (hash only) and the code itself (never stored)."""
    code = f"{secrets.randbelow(10**LENGTH):0{LENGTH}d}"
    row = PhoneCode(
        phone=phone, purpose=purpose, salt=secrets.token_hex(16), created_at=now, expires_at=now + TTL
    )
    row.code_hash = _hash(row, code)
    row.save()
    return row, code


def text_of(row: PhoneCode, code: str) -> str:
    minutes = int(TTL.total_seconds() // 60)
    return f"验证码 {code}，用于{PURPOSE_TEXT[row.purpose]}，{minutes}分钟内有效。请勿告诉他人。"


def queue_delivery(row: PhoneCode, code: str, via: str) -> None:
    """Send the code after the commit, in the task consumer (never in the request)."""
    from onething.accounts.tasks import send_phone_code

    text = text_of(row, code)
    transaction.on_commit(lambda: send_phone_code(row.pk, via, text))


def deliver(code_id: int, via: str, text: str, now: dt.datetime | None = None) -> bool:
    """Send one code (the task's body). A code already used or expired is not sent; a
    channel's failure raises, and the task retries."""
    now = now or timezone.now()
    row = PhoneCode.objects.filter(pk=code_id).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return False
    message = Message(
        recipient_id=0,  # no account yet (registration), or not told who (reset)
        phone=row.phone,
        email="",
        event=f"accounts.code.{row.purpose}",
        title=text,
        body=f"发往{mask_phone(row.phone)}",
        link="",
        id=-row.pk,
    )
    try:
        get_backend(via).send(message)
    except Undeliverable as exc:
        logger.warning("验证码 #%s 无法发送：%s", row.pk, exc)
        return False
    PhoneCode.objects.filter(pk=row.pk).update(sent_at=timezone.now())
    return True


def consume(phone: str, purpose: str, code: str, now: dt.datetime) -> Invalid | None:
    """Check ``code`` against the newest code of ``phone``; ``None`` when it is right (the code
    is then used). Call inside a transaction, and commit it even when a refusal is returned:
    the refusal counted an attempt."""
    row = latest(phone, purpose, lock=True)
    if row is None:
        return Invalid("请先获取短信验证码", "code", code="code_missing")
    if row.used_at is not None:
        return Invalid("短信验证码已使用，请重新获取", "code", code="code_used")
    if row.expires_at <= now:
        return Invalid("短信验证码已过期，请重新获取", "code", code="code_expired")
    if row.attempts >= MAX_ATTEMPTS:
        return Invalid("短信验证码错误次数过多，请重新获取", "code", code="code_exhausted")
    if not constant_time_compare(_hash(row, code), row.code_hash):
        row.attempts += 1
        PhoneCode.objects.filter(pk=row.pk).update(attempts=row.attempts)
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            return Invalid("短信验证码错误次数过多，请重新获取", "code", code="code_exhausted")
        return Invalid(f"短信验证码不正确，还可尝试{left}次", "code", code="code_wrong")
    PhoneCode.objects.filter(pk=row.pk).update(used_at=now)
    return None


def unavailable() -> Conflict:
    return Conflict("短信服务暂不可用，请稍后再试或到政务服务中心窗口办理", "phone", code="sms_unavailable")
