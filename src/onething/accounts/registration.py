"""Real-name registration (实名注册) and password reset by phone (找回密码).

A citizen registers with name, 公民身份号码 (its GB 11643 check character verified), mobile
phone verified by an SMS code, and a password that passes Django's validators. The account's
username is the phone number. An ID number or phone number already registered is refused,
naming the field.

Each step is throttled with the login's limits (``accounts.throttle``): codes per phone and
per address, failed registrations and resets per phone and per address. The functions take
the client's address and ``now`` from the view and raise domain errors (``kernel.errors``,
:class:`~onething.accounts.throttle.Throttled`) whose ``field`` is the form field concerned.

Two registrations with the same ID number or phone at once: on PostgreSQL each takes a
transaction-scoped advisory lock per number before it looks for an existing account, so the
second waits for the first and then sees it; SQLite's immediate transactions serialise them
anyway (one writer at a time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from django.db import IntegrityError, connection, transaction

from onething.accounts import throttle, verification
from onething.accounts.models import PhoneCode, User
from onething.kernel import codes, text
from onething.kernel.codes import mask_phone
from onething.kernel.errors import Invalid

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
NAME_MAX = User._meta.get_field("real_name").max_length
REGISTER, RESET = PhoneCode.Purpose.REGISTER, PhoneCode.Purpose.RESET

PHONE_TAKEN = "该手机号码已注册，请直接登录；忘记密码可通过手机验证码重置"
ID_TAKEN = "该公民身份号码已注册，请用注册时的手机号码登录；忘记密码可通过手机验证码重置"


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def check_phone(phone: str) -> str:
    phone = normalise_phone(phone)
    if not MOBILE.match(phone):
        raise Invalid("手机号码应为11位数字，以1开头", "phone")
    return phone


def check_name(value: str) -> str:
    try:
        value = text.clean_text(value, max_length=NAME_MAX)
    except text.TextError as exc:
        raise Invalid(f"姓名{exc.reason}", "real_name")
    if not value:
        raise Invalid("请填写姓名", "real_name")
    return value


def check_id_number(value: str) -> str:
    value = (value or "").strip().upper()
    reason = codes.validate_id_number(value)
    if reason:
        raise Invalid(f"公民身份号码{reason}", "id_number")
    return value


def phone_taken(phone: str) -> bool:
    return User.objects.filter(phone=phone).exists() or User.objects.filter(username=phone).exists()


def id_number_taken(id_number: str) -> bool:
    return User.objects.filter(id_number=id_number).exists()


def _lock(*numbers: str) -> None:
    """PostgreSQL: one advisory lock per number, until the transaction ends (sorted: no deadlock)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for number in sorted(set(numbers)):
            digest = hashlib.blake2b(f"onething.accounts.identity:{number}".encode(), digest_size=8).digest()
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


# ------------------------------------------------------------------------------- codes


def send_code(phone: str, purpose: str, *, ip: str, now: dt.datetime) -> verification.Sent:
    """Send a code to ``phone`` for ``purpose`` (queued; sent after the commit).

    Registration refuses a phone already registered. A reset for a phone without an account
    answers the same as one with (no code is sent), so the page does not tell whose number it is.
    """
    phone = check_phone(phone)
    purpose = PhoneCode.Purpose(purpose)
    pairs = [(throttle.CODE_PHONE, phone), (throttle.CODE_IP, ip)]
    throttle.check(pairs, now, "获取验证码过于频繁", "phone")
    wait = verification.resend_wait(phone, purpose, now)
    if wait:
        raise throttle.Throttled(f"验证码已发送，请{wait}秒后再重新获取", "phone", retry_after=wait)
    via = verification.channel()
    if via is None:
        raise verification.unavailable()
    with transaction.atomic():
        throttle.hit(pairs, now)
        if purpose == REGISTER and phone_taken(phone):
            refusal = Invalid(PHONE_TAKEN, "phone", code="phone_taken")
        else:
            refusal = None
            row, code = verification.issue(phone, purpose, now)
            if purpose == REGISTER or User.objects.filter(phone=phone, is_active=True).exists():
                verification.queue_delivery(row, code, via)
            else:
                via = None
    if refusal is not None:
        raise refusal
    return verification.Sent(mask_phone(phone), via)


# ------------------------------------------------------------------------------- registration


def register(
    *, real_name: str, id_number: str, phone: str, code: str, password: str, ip: str, now: dt.datetime
) -> User:
    """Create the citizen's account (username: the phone number). The password has passed the
    validators already (the form runs them with the would-be user)."""
    real_name = check_name(real_name)
    phone = check_phone(phone)
    id_number = check_id_number(id_number)
    pairs = [(throttle.REGISTER_PHONE, phone), (throttle.REGISTER_IP, ip)]
    throttle.check(pairs, now, "注册尝试次数过多")
    user = None
    with transaction.atomic():
        _lock(phone, id_number)
        if phone_taken(phone):
            refusal = Invalid(PHONE_TAKEN, "phone", code="phone_taken")
        elif id_number_taken(id_number):
            refusal = Invalid(ID_TAKEN, "id_number", code="id_number_taken")
        else:
            refusal = verification.consume(phone, REGISTER, code, now)
        if refusal is None:
            user = User(username=phone, real_name=real_name, id_number=id_number, phone=phone)
            user.set_password(password)
            try:
                with transaction.atomic():
                    user.save()
            except IntegrityError:  # the username was taken by other means since the check
                refusal, user = Invalid(PHONE_TAKEN, "phone", code="phone_taken"), None
        if refusal is not None:
            throttle.hit(pairs, now)  # committed with the attempt the code check counted
    if refusal is not None:
        raise refusal
    throttle.clear(pairs[:1])
    return user


# ------------------------------------------------------------------------------- reset


def reset_password(*, phone: str, code: str, password: str, ip: str, now: dt.datetime) -> User:
    """Set a new password for the active account of ``phone``. A phone without an account is
    refused like a wrong code. Other sessions of the account end (the password hash changed)."""
    phone = check_phone(phone)
    pairs = [(throttle.RESET_PHONE, phone), (throttle.RESET_IP, ip)]
    throttle.check(pairs, now, "重置密码尝试次数过多")
    with transaction.atomic():
        refusal = verification.consume(phone, RESET, code, now)
        user = User.objects.select_for_update().filter(phone=phone, is_active=True).order_by("pk").first()
        if refusal is None and user is None:
            refusal = Invalid("短信验证码不正确", "code", code="code_wrong")
        if refusal is not None:
            throttle.hit(pairs, now)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
    if refusal is not None:
        raise refusal
    throttle.clear(pairs[:1])
    _unlock_login(user)
    return user


def reset_user(phone: str) -> User | None:
    """The account a reset for ``phone`` would change (for the password validators)."""
    return User.objects.filter(phone=normalise_phone(phone), is_active=True).order_by("pk").first()


def _unlock_login(user: User) -> None:
    """A person who proved the phone may log in again at once (axes' lockout of the username)."""
    from axes.utils import reset

    reset(username=user.username)
