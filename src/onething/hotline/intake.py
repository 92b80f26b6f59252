"""受理: a ticket is taken in (a hotline call, the portal, a 办不成事 window, a letter, an
Open311 client) — cleaned whole first (a 400 naming the field, nothing written), numbered,
created through the engine with its ``dispatch`` and ``finish`` clocks in one transaction.

A matter the hotline does not take (``rules.NOT_TAKEN``) is recorded as redirected, with the
channel the caller was told, and runs no clock. A 举报 may be anonymous: no name or phone is
kept, and the caller follows it by its number and the lookup code shown once at intake.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from onething.cases.models import Application
from onething.cases.numbering import next_sequence
from onething.catalog.models import Item, PublishState
from onething.core import text
from onething.directory.models import Department, Hall, Region
from onething.hotline import deadlines, recurrences, rules
from onething.hotline.machines import CALLER, OPERATOR, SYSTEM, TICKET, WINDOW
from onething.hotline.models import Ticket
from onething.kernel.errors import Invalid
from onething.workflow.engine import create

PHONE = re.compile(r"^[0-9+\-() ]{3,20}$")
LOOKUP_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: how far back a received moment may lie (a letter read late), and how far ahead (clock skew)
OLDEST = dt.timedelta(days=366)
SKEW = dt.timedelta(minutes=5)
SEQUENCE_KEY = "12345"


class Filed(NamedTuple):
    ticket: Ticket
    lookup_code: str


def lookup_hash(number: str, code: str) -> str:
    return hashlib.sha256(f"{number}:{code.strip().upper()}".encode()).hexdigest()


def new_lookup_code() -> str:
    return "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(rules.LOOKUP_LENGTH))


def allocate_number(day: dt.date) -> str:
    """``12345-20261203-000012``: readable on the phone, one sequence per day (its own short
    transaction, as case numbers are)."""
    return f"12345-{day:%Y%m%d}-{next_sequence(SEQUENCE_KEY, day):06d}"


# ------------------------------------------------------------------------------ input


def choice(value: Any, field: str, choices: dict, *, default: str | None = None) -> str:
    value = text.clean(value, field, max_length=40)
    if not value:
        if default is not None:
            return default
        raise Invalid(f"请选择“{text.label(field)}”", field)
    if value not in choices:
        raise Invalid(
            f"“{text.label(field)}”应为{'、'.join(f'{k}（{v}）' for k, v in choices.items())}之一", field
        )
    return value


def received_moment(value: Any, now: dt.datetime) -> dt.datetime:
    if value in (None, ""):
        return now
    if isinstance(value, dt.datetime):
        moment = value
    else:
        raw = text.clean(value, "received_at", max_length=40)
        try:
            moment = parse_datetime(raw)
        except ValueError:
            moment = None
        if moment is None:
            raise Invalid("“受理时间”应为日期时间，格式如 2026-12-03T09:30:00+08:00", "received_at")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now + SKEW:
        raise Invalid("“受理时间”不能晚于现在", "received_at")
    if moment < now - OLDEST:
        raise Invalid("“受理时间”不能早于一年前", "received_at")
    return moment


def coordinate(value: Any, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(f"“{text.label(field)}”应为数字", field) from None
    if not number.is_finite() or abs(number) > limit:
        raise Invalid(f"“{text.label(field)}”应在 -{limit} 至 {limit} 之间", field)
    return number.quantize(Decimal("0.000001"))


def region_of(value: Any, field: str = "region") -> Region:
    code = text.clean(value, field, max_length=12, required=True)
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Invalid(f"未知的区划代码“{code}”", field)
    return region


def department_of(value: Any, field: str = "department") -> Department | None:
    code = text.clean(value, field, max_length=18)
    if not code:
        return None
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise Invalid(f"未知的部门“{code}”", field)
    return department


def caller_of(value: Any) -> tuple[str, str]:
    if value in (None, ""):
        return "", ""
    if not isinstance(value, dict):
        raise Invalid('“诉求人”应为 JSON 对象：{"name", "phone"}', "caller")
    name = text.clean(value.get("name"), "caller.name", max_length=rules.NAME_MAX)
    phone = text.clean(value.get("phone"), "caller.phone", max_length=rules.PHONE_MAX)
    if phone and not PHONE.match(phone):
        raise Invalid("“联系电话”只能包含数字、空格和 + - ( )", "caller.phone")
    return name, phone


def flag(value: Any, field: str) -> bool:
    if value in (None, "", False, "false", "0", "off"):
        return False
    if value in (True, "true", "1", "on"):
        return True
    raise Invalid(f"“{text.label(field)}”应为是或否", field)


def in_region(region: Region, within: Region | None) -> bool:
    """Whether ``region`` is ``within`` or below it (None: anywhere)."""
    return within is None or region.code == within.code or region.path.startswith(f"{within.path}/")


# ------------------------------------------------------------------------------ filing


def file(
    data: dict,
    *,
    actor=None,
    role: str,
    scope: Region | None = None,
    hall: Hall | None = None,
    now: dt.datetime | None = None,
) -> Filed:
    """Take in a ticket. ``role``: the machine role filing it (``operator``, ``window``,
    ``caller``, ``system``); ``scope``: the region the filer may file for (an operator's,
    an Open311 client's), else any; ``hall``: the 办不成事 window's hall."""
    now = now or timezone.now()
    if not isinstance(data, dict):
        raise Invalid("请求体应为 JSON 对象", "body")
    category = choice(data.get("category"), "category", rules.CATEGORIES)
    complexity = choice(data.get("complexity"), "complexity", rules.COMPLEXITIES, default="ordinary")
    channel = choice(data.get("channel"), "channel", rules.CHANNELS)
    if role == WINDOW and channel != "window":
        raise Invalid("办不成事窗口受理的工单，来源渠道应为 window（办不成事反映窗口）", "channel")
    if role == CALLER and channel not in ("web", "mobile"):
        raise Invalid("网上反映的来源渠道应为 web（网站）或 mobile（移动端）", "channel")
    if role == SYSTEM and channel != "open311":
        raise Invalid("外部系统提交的工单，来源渠道应为 open311", "channel")
    received_at = received_moment(data.get("received_at"), now)
    if role == CALLER:  # a person's own submission is received when it is sent
        received_at = now
    content = text.clean(
        data.get("content"), "content", max_length=rules.CONTENT_MAX, multiline=True, required=True
    )
    region = region_of(data.get("region"))
    if not in_region(region, scope):
        raise Invalid(f"区划“{region.name}”不在您的受理范围内", "region")
    anonymous = flag(data.get("anonymous"), "anonymous")
    if anonymous and category != "report":
        raise Invalid("只有举报可以匿名反映", "anonymous")
    name, phone = caller_of(data.get("caller"))
    caller = None
    if role == CALLER and actor is not None:
        caller = actor
        name = name or actor.real_name or actor.username
        phone = phone or actor.phone
    if anonymous:
        name, phone, caller = "", "", None
        if role == CALLER:  # an anonymous 举报 online leaves no trace of who sent it
            actor = None
    address = text.clean(data.get("address"), "address", max_length=rules.ADDRESS_MAX)
    lat = coordinate(data.get("lat"), "lat", 90)
    long = coordinate(data.get("long"), "long", 180)
    if (lat is None) != (long is None):
        raise Invalid("“纬度”和“经度”须同时填写", "lat" if lat is None else "long")

    application = None
    number_given = text.clean(data.get("application"), "application", max_length=40)
    if number_given:
        application = Application.objects.filter(number=number_given).first()
        if application is None or (role == CALLER and application.applicant_id != getattr(actor, "pk", None)):
            raise Invalid(f"未找到办件“{number_given}”", "application")
    item_code = text.clean(data.get("item"), "item", max_length=64)
    item_name = ""
    department = department_of(data.get("department"))
    if item_code:
        item = (
            Item.objects.filter(code=item_code, state=PublishState.PUBLISHED)
            .select_related("department")
            .first()
        )
        if item is None:
            raise Invalid(f"未找到事项“{item_code}”", "item")
        item_name = item.name
        department = department or item.department
    elif application is not None:
        item_code, item_name = application.code, application.name
    hall_code = text.clean(data.get("hall"), "hall", max_length=40)
    if hall is None and hall_code:
        hall = Hall.objects.filter(code=hall_code).first()
        if hall is None:
            raise Invalid(f"未知的大厅“{hall_code}”", "hall")
    if hall is None and application is not None and application.hall_id:
        hall = application.hall
    redirect = text.clean(data.get("redirect"), "redirect", max_length=20)
    if redirect and redirect not in rules.NOT_TAKEN:
        raise Invalid(
            "“不予受理事项”应为" + "、".join(f"{k}（{v[0]}）" for k, v in rules.NOT_TAKEN.items()) + "之一",
            "redirect",
        )
    if redirect and role not in (OPERATOR, WINDOW):
        raise Invalid("只有热线中心或窗口可以登记不予受理事项", "redirect")

    number = allocate_number(timezone.localdate(received_at))
    code = new_lookup_code()
    ticket = Ticket(
        number=number,
        lookup_hash=lookup_hash(number, code),
        category=category,
        complexity=complexity if category == "not_done" else "ordinary",
        channel=channel,
        received_at=received_at,
        region=region,
        anonymous=anonymous,
        caller_name=name,
        caller_phone=phone,
        caller=caller,
        content=content,
        address=address,
        lat=lat,
        long=long,
        application=application,
        item_code=item_code,
        item_name=item_name,
        department=department,
        hall=hall,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    with transaction.atomic():
        if redirect:
            matter, where = rules.NOT_TAKEN[redirect]
            ticket.redirect_matter = redirect
            ticket.redirect_channel = where
            create(TICKET, ticket, "redirect", roles=[role], actor=actor, at=now, reason=f"{matter}：{where}")
            ticket.save()
            return Filed(ticket, code)
        create(
            TICKET,
            ticket,
            "receive",
            roles=[role],
            actor=actor,
            at=now,
            save_as="ticket",
            category=category,
            channel=channel,
            received_at=received_at.isoformat(),
        )
        deadlines.start_intake(ticket)
        deadlines.project(ticket)
        ticket.save()
        recurrences.check(ticket, now)
    return Filed(ticket, code)
