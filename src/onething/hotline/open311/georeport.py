"""Open311 GeoReport v2 over 12345 tickets: services, requests and how they map.

A *service* is a 诉求类型 (``service_code`` = the category code); a *service request* is a
ticket (``service_request_id`` = its number). Reading is public, so what is listed is what
anyone may see: never a 举报 (its caller may be anonymous and the matter sensitive), never a
matter the hotline did not take, never a caller's name or phone, descriptions with personal
numbers masked. Filing needs an ``api_key``: a service token of an :class:`Open311Client`,
scoped to its region; tickets it files come in on the ``open311`` channel as ``system``.

Errors are :class:`Open311Error` (the standard's ``[{"code", "description"}]`` with the
HTTP status), each naming the parameter that was wrong.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from onething.accounts.masking import mask_text
from onething.accounts.models import ApiToken
from onething.clocks.service import office_hours_for
from onething.core import text
from onething.core.errors import ApiError, status_of
from onething.directory.models import Region
from onething.hotline import intake, rules
from onething.hotline.machines import SYSTEM, TICKET
from onething.hotline.models import Open311Client, Ticket
from onething.kernel.errors import DomainError

SHANGHAI = ZoneInfo("Asia/Shanghai")
T = Ticket.Status
#: requests never listed publicly: 举报 (anonymity) — and matters not taken are not requests
HIDDEN_CATEGORIES = ("report",)
CLOSED_STATES = (T.FINISHED, T.CLOSED)
DEFAULT_DAYS = 90
#: the years a date filter may name (outside them the arithmetic of the window overflows)
EARLIEST, LATEST = 1900, 2100
MAX_RESULTS = 1000
MAX_IDS = 1000
DESCRIPTIONS = {
    "consult": "政策、办事流程等咨询",
    "help": "生活、办事中遇到困难需要帮助",
    "complaint": "对政务服务、公共服务或市场主体的投诉",
    "report": "对违法违规行为的举报（可匿名；举报不公开列出）",
    "suggestion": "对政府工作和公共服务的意见建议",
    "not_done": "在政务服务中“办不成事”的反映",
}
KEYWORDS = {
    "consult": "咨询,政策,流程",
    "help": "求助,困难",
    "complaint": "投诉,服务质量",
    "report": "举报,违法",
    "suggestion": "建议,意见",
    "not_done": "办不成事,政务服务,窗口",
}
#: intake's field → the Open311 parameter a client sent it as
PARAMETERS = {
    "category": "service_code",
    "content": "description",
    "region": "jurisdiction_id",
    "address": "address_string",
    "caller": "first_name",
    "caller.name": "first_name",
    "caller.phone": "phone",
    "lat": "lat",
    "long": "long",
    "received_at": "requested_datetime",
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.code = status
        self.description = description

    def body(self) -> list[dict[str, Any]]:
        return [{"code": self.code, "description": mask_text(self.description)}]


def bad(parameter: str, reason: str) -> Open311Error:
    return Open311Error(400, f"参数 {parameter} {reason}")


def from_refusal(exc: ApiError | DomainError) -> Open311Error:
    """A domain or text refusal as Open311 sees it: the status kept, intake's field named as
    the parameter the client sent."""
    field = exc.field
    parameter = PARAMETERS.get(field or "", field)
    message = exc.message
    status = status_of(exc)
    if parameter and status == 400:
        message = f"参数 {parameter}：{message}"
    return Open311Error(status, message)


# ------------------------------------------------------------------------------ services


def service_out(code: str) -> dict[str, Any]:
    return {
        "service_code": code,
        "service_name": rules.CATEGORIES[code],
        "description": DESCRIPTIONS.get(code, rules.CATEGORIES[code]),
        "metadata": False,
        "type": "realtime",
        "keywords": KEYWORDS.get(code, ""),
        "group": "12345",
    }


def services() -> list[dict[str, Any]]:
    return [service_out(code) for code in rules.CATEGORIES]


def definition(code: str) -> dict[str, Any]:
    if code not in rules.CATEGORIES:
        raise Open311Error(404, f"未找到服务 {code[:40]}")
    return {"service_code": code, "attributes": []}


# ------------------------------------------------------------------------------ requests out


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat() if value is not None else None


def expected(ticket: Ticket, hours_cache: dict) -> str | None:
    """End of office hours (the region's last period, e.g. 17:30) on the 办结时限."""
    day = ticket.finish_due
    if day is None:
        return None
    if ticket.region_id not in hours_cache:
        hours_cache[ticket.region_id] = office_hours_for(ticket.region).periods[-1][1]
    end = hours_cache[ticket.region_id]
    return dt.datetime.combine(day, end, tzinfo=SHANGHAI).isoformat()


def status_of_ticket(ticket: Ticket) -> str:
    return "closed" if ticket.status in CLOSED_STATES else "open"


def notice(ticket: Ticket) -> str:
    due = ticket.finish_due
    if ticket.status in CLOSED_STATES:
        return "已办结"
    return f"12345已受理，将于 {due} 前办结" if due else "12345已受理"


def request_out(ticket: Ticket, hours_cache: dict) -> dict[str, Any]:
    notes = TICKET.state_label(ticket.status)
    if ticket.status in CLOSED_STATES and ticket.reply:
        notes = f"{notes}：{mask_text(ticket.reply)}"
    return {
        "service_request_id": ticket.number,
        "status": status_of_ticket(ticket),
        "status_notes": notes,
        "service_name": rules.CATEGORIES[ticket.category],
        "service_code": ticket.category,
        "description": mask_text(ticket.content),
        "agency_responsible": ticket.assigned.name if ticket.assigned_id else None,
        "service_notice": notice(ticket),
        "requested_datetime": _iso(ticket.received_at),
        "updated_datetime": _iso(ticket.updated_at),
        "expected_datetime": expected(ticket, hours_cache),
        # address_string carries the region where there is no point
        "address": mask_text(ticket.address) or ticket.region.name,
        "address_id": None,
        "zipcode": None,
        "lat": float(ticket.lat) if ticket.lat is not None else None,
        "long": float(ticket.long) if ticket.long is not None else None,
        "media_url": None,
    }


def public() -> QuerySet:
    return (
        Ticket.objects.exclude(category__in=HIDDEN_CATEGORIES)
        .exclude(status=T.REDIRECTED)
        .select_related("region", "assigned")
    )


def one(request_id: str) -> dict[str, Any]:
    ticket = public().filter(number=request_id[:40]).first()
    if ticket is None:
        raise Open311Error(404, f"未找到服务请求 {request_id[:40]}")
    return request_out(ticket, {})


# ------------------------------------------------------------------------------ request filters


def _param(query, name: str, max_length: int = 200) -> str:
    try:
        return text.clean(query.get(name), name, max_length=max_length)
    except ApiError as exc:
        raise bad(name, exc.message) from None


def moment(value: str, name: str, *, end: bool = False) -> dt.datetime:
    """A W3C datetime (``2026-09-30T15:50:00+08:00``) or date (the whole day, local)."""
    found = None
    try:
        found = parse_datetime(value)
        if found is None:
            day = parse_date(value)
            if day is not None:
                found = dt.datetime.combine(
                    day + dt.timedelta(days=1 if end else 0), dt.time(), tzinfo=SHANGHAI
                )
    except (ValueError, OverflowError):
        found = None
    if found is None or not EARLIEST <= found.year <= LATEST:
        raise bad(name, "应为 W3C 日期时间（1900—2100 年），如 2026-09-30T15:50:00+08:00")
    if timezone.is_naive(found):
        found = found.replace(tzinfo=SHANGHAI)
    return found


def positive(value: str, name: str, default: int, maximum: int) -> int:
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= maximum:
        raise bad(name, f"应为 1 至 {maximum} 的整数")
    return int(value)


def search(query, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """``GET requests``: by ``service_request_id`` (a comma list; other filters then ignored,
    as the standard says), else by ``service_code``, ``start_date``/``end_date`` (default
    the last 90 days), ``status`` (open, closed), ``jurisdiction_id``; newest first, at most
    1000, paged by ``page``/``page_size``."""
    now = now or timezone.now()
    rows = public()
    page = positive(_param(query, "page", 10), "page", 1, 100_000)
    size = positive(_param(query, "page_size", 10), "page_size", MAX_RESULTS, MAX_RESULTS)
    ids = _param(query, "service_request_id", 50_000)
    if ids:
        numbers = [part.strip() for part in ids.split(",") if part.strip()]
        if len(numbers) > MAX_IDS:
            raise bad("service_request_id", f"最多 {MAX_IDS} 个")
        rows = rows.filter(number__in=numbers)
    else:
        code = _param(query, "service_code", 200)
        if code:
            codes = [part.strip() for part in code.split(",") if part.strip()]
            unknown = [c for c in codes if c not in rules.CATEGORIES]
            if unknown:
                raise bad("service_code", f"未知的服务代码 {unknown[0][:40]}")
            rows = rows.filter(category__in=codes)
        start_raw, end_raw = _param(query, "start_date", 40), _param(query, "end_date", 40)
        end = moment(end_raw, "end_date", end=True) if end_raw else None
        start = moment(start_raw, "start_date") if start_raw else None
        if start is None and end is None:
            start = now - dt.timedelta(days=DEFAULT_DAYS)
        elif start is None:
            start = end - dt.timedelta(days=DEFAULT_DAYS)
        if end is not None and end < start:
            raise bad("end_date", "不能早于 start_date")
        rows = rows.filter(received_at__gte=start)
        if end is not None:
            rows = rows.filter(received_at__lte=end)
        status = _param(query, "status", 40)
        if status:
            wanted = {part.strip() for part in status.split(",") if part.strip()}
            if not wanted <= {"open", "closed"}:
                raise bad("status", "应为 open 或 closed")
            if wanted == {"open"}:
                rows = rows.exclude(status__in=CLOSED_STATES)
            elif wanted == {"closed"}:
                rows = rows.filter(status__in=CLOSED_STATES)
        jurisdiction = _param(query, "jurisdiction_id", 12)
        if jurisdiction:
            region = Region.objects.filter(code=jurisdiction).first()
            if region is None:
                raise bad("jurisdiction_id", f"未知的区划代码 {jurisdiction}")
            rows = rows.filter(Q(region__path=region.path) | Q(region__path__startswith=f"{region.path}/"))
    rows = rows.order_by("-received_at", "-pk")[:MAX_RESULTS]
    start_at = (page - 1) * size
    hours: dict = {}
    return [request_out(t, hours) for t in list(rows)[start_at : start_at + size]]


# ------------------------------------------------------------------------------ filing


def client_of(api_key: str) -> Open311Client:
    if not api_key:
        raise bad("api_key", "必填")
    user = ApiToken.authenticate(api_key)
    client = None
    if user is not None:
        client = (
            Open311Client.objects.select_related("region", "token").filter(token_id=user.token_id).first()
        )
    if client is None:
        raise Open311Error(403, "api_key 无效或已吊销")
    client.user = user
    return client


def _region_for(client: Open311Client, jurisdiction: str) -> Region:
    """``jurisdiction_id`` when it names a region inside the client's, else the client's."""
    if jurisdiction:
        region = Region.objects.filter(code=jurisdiction).first()
        if region is not None and intake.in_region(region, client.region):
            return region
    return client.region


def file(form, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """``POST requests``: one ticket from a client system; ``[{"service_request_id",
    "service_notice", "account_id"}]``. The notice carries the lookup code, once."""
    client = client_of(_param(form, "api_key", 200))
    code = _param(form, "service_code", 40)
    if not code:
        raise bad("service_code", "必填")
    if code not in rules.CATEGORIES:
        raise Open311Error(404, f"未找到服务 {code[:40]}")
    first, last = _param(form, "first_name", 50), _param(form, "last_name", 50)
    phone = _param(form, "phone", 40)
    address = _param(form, "address_string", rules.ADDRESS_MAX) or _param(
        form, "address_id", rules.ADDRESS_MAX
    )
    account = _param(form, "account_id", 100)
    for name in ("email", "device_id", "media_url"):  # accepted, checked, not kept
        _param(form, name, 500)
    region = _region_for(client, _param(form, "jurisdiction_id", 12))
    data = {
        "category": code,
        "channel": "open311",
        "content": form.get("description"),
        "region": region.code,
        "address": address,
        "lat": form.get("lat"),
        "long": form.get("long"),
        "caller": {"name": f"{last}{first}", "phone": phone} if (first or last or phone) else None,
    }
    try:
        filed = intake.file(data, actor=client.user, role=SYSTEM, scope=client.region, now=now)
    except (ApiError, DomainError) as exc:
        raise from_refusal(exc) from None
    ticket = filed.ticket
    return [
        {
            "service_request_id": ticket.number,
            "service_notice": f"{notice(ticket)}。查询码 {filed.lookup_code}（仅此一次显示）",
            "account_id": account or None,
        }
    ]
