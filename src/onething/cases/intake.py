"""收件: turning a request into an application — plan, form check, numbering, idempotency,
material uploads.

``submit()`` is the one way an application comes into being (web, mobile, window, agent,
kiosk). It plans the bundle or item with the *published* catalog, validates the one merged
form against the plan's data elements, then writes the application, one sub-case per
applicable member, the exempt materials (obtained by the platform) and the audit record in a
single transaction. The same ``Idempotency-Key`` from the same submitter returns the
application it created the first time — also when two identical requests race: the unique
constraint decides, the loser re-reads the winner.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from onething.accounts.models import Enterprise, EnterpriseAuthorisation, StaffRole, User
from onething.audit.log import record
from onething.cases import assistance as assistance_rules
from onething.cases import exempt, numbering
from onething.cases.access import APPLICANT, CLERK, FILED_FOR_OTHERS, SYSTEM
from onething.cases.lifecycle import tell_clerks
from onething.cases.lifecycle.delivery import DELIVERY_METHODS
from onething.cases.lifecycle.intake_decisions import is_key_material
from onething.cases.machines import APPLICATION, SUBCASE
from onething.cases.models import Application, Channel, Material, SubCase
from onething.cases.uploads import (  # noqa: F401 - re-exported for the views and the API
    UPLOADABLE_STATES,
    material_response,
    open_material,
    sniff,
    store_upload,
)
from onething.catalog import planner, plans
from onething.catalog.plans import PlanInputs, published_inputs
from onething.core import text
from onething.core.rows import insert_rows
from onething.directory.models import Department, Hall, Region
from onething.halls.models import Ticket
from onething.halls.queue import session_of
from onething.kernel import codes, errors
from onething.kernel import text as textrule
from onething.workflow import engine

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_TEXT = {"string": 200, "address": 300, "text": 4000}
#: form numbers: counts and amounts, never negative; at most a trillion (no 1e999999999)
MAX_FORM_NUMBER = 10**12
FORM_EARLIEST, FORM_LATEST = text.EARLIEST, text.LATEST
DECIMAL = re.compile(r"[0-9]{1,13}(\.[0-9]{1,6})?")


#: every refusal of an intake or upload (a domain error; the API maps its kind to a status)
IntakeError = errors.DomainError


def _bad(field: str, message: str) -> errors.Invalid:
    return errors.Invalid(message, field)


# ------------------------------------------------------------------------------- plan


def catalog_inputs(kind: str, code: str) -> PlanInputs:
    """The published records planning needs (cached per process until the catalog changes)."""
    try:
        return published_inputs(kind, code)
    except errors.NotFound as exc:
        raise errors.NotFound(exc.message, kind) from exc


def load_plan(kind: str, code: str, answers: dict[str, Any] | None, *, strings: bool = False) -> planner.Plan:
    """The plan of a published bundle or item for ``answers`` (``NotFound`` when not published)."""
    return plans.plan(catalog_inputs(kind, code), answers, strings=strings)


def frozen_plan(inputs: PlanInputs, plan: planner.Plan) -> dict:
    """What the application keeps: the plan as the applicant saw it, plus routing facts."""
    data = plan.as_dict()
    record_ = inputs.record
    if inputs.kind == "bundle":
        data["lead_department"] = record_.get("lead_department")
        data["region"] = record_.get("region") or inputs.department_regions.get(
            record_.get("lead_department")
        )
    else:
        data["lead_department"] = record_.get("department")
        data["region"] = record_.get("region")
    data["member_regions"] = {c: inputs.items.get(c, {}).get("region") for c in plan.member_codes}
    data["version"] = inputs.version
    return data


def _department_region(code: str | None) -> str | None:
    return Department.objects.filter(code=code).values_list("region_id", flat=True).first() if code else None


# ------------------------------------------------------------------------------- form


def flatten(form: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"applicant": {"name": …}}`` and ``{"applicant.name": …}`` are the same form."""
    out: dict[str, Any] = {}
    for key, value in (form or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _check_value(kind: str, value: Any, choices: list[str]) -> tuple[Any, str | None]:
    """(normalised value, Chinese reason when invalid) for one data element."""
    if kind in ("string", "text", "address"):
        try:
            return textrule.clean_text(
                value, max_length=MAX_TEXT.get(kind, 200), multiline=kind == "text"
            ), None
        except textrule.TextError as exc:
            return value, exc.reason
    if kind == "integer":
        try:
            return textrule.parse_int(value, minimum=0, maximum=MAX_FORM_NUMBER), None
        except textrule.TextError as exc:
            return value, exc.reason
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, str | int | float | decimal.Decimal):
            return value, "应为数字"
        text = str(value).strip()
        if not DECIMAL.fullmatch(text):  # no exponent, sign, underscore or non-ASCII digit
            return value, "应为不小于0的数字（最多6位小数）"
        return str(decimal.Decimal(text)), None
    if kind == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false", "是", "否"):
            value = value.lower() in ("true", "是")
        return value, None if isinstance(value, bool) else "应为是或否（true/false）"
    if kind == "date":
        try:
            return textrule.parse_date(value, earliest=FORM_EARLIEST, latest=FORM_LATEST).isoformat(), None
        except textrule.TextError as exc:
            return value, exc.reason
    if kind == "choice":
        return value, None if value in choices else "应为以下之一：" + "、".join(choices)
    if not isinstance(value, str):
        return value, "格式不正确"
    reason = textrule.text_problem(value, max_length=MAX_TEXT["string"])
    if reason:
        return value, reason
    value = value.strip()
    if kind == "id_number":
        value = value.upper()
        reason = codes.validate_id_number(value)
        return value, f"公民身份号码{reason}" if reason else None
    if kind == "uscc":
        value = value.upper()
        reason = codes.validate_uscc(value)
        return value, f"统一社会信用代码{reason}" if reason else None
    if kind == "phone":
        ok = MOBILE.match(value) or LANDLINE.match(value)
        return value, None if ok else "应为11位手机号码或带区号的固定电话"
    if kind == "email":
        return value, None if EMAIL.match(value) and len(value) <= 200 else "电子邮箱格式不正确"
    if kind == "region":
        return value, None if codes.region_level(value) else "应为行政区划代码"
    return value, None


def validate_form(plan_form: list[dict], form: dict[str, Any]) -> dict[str, Any]:
    """Check ``form`` against the merged form of the plan; errors name ``form.<element>``."""
    flat = flatten(form if isinstance(form, dict) else {})
    fields = {f["element"]: f for f in plan_form}
    for key in flat:
        if key not in fields:
            raise _bad(f"form.{key}", f"“{key}”不在本件的申请表中")
    clean: dict[str, Any] = {}
    for key, spec in fields.items():
        value = flat.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.get("required", True):
                raise _bad(f"form.{key}", f"请填写“{spec['label']}”")
            continue
        value, reason = _check_value(spec.get("type", "string"), value, list(spec.get("choices") or []))
        if reason:
            raise _bad(f"form.{key}", f"“{spec['label']}”{reason}")
        clean[key] = value
    return clean


# ------------------------------------------------------------------------------- submit


@dataclass
class Submission:
    application: Application
    created: bool


def request_hash(kind: str, code: str, answers: Any, form: Any, channel: str, *who: Any) -> str:
    """What a repeated key must repeat: the request, including on whose behalf it is made
    (enterprise, represented person, authorisation) — a key reused for someone else is a 409.
    Without any of those the hash is what it was before they counted, so a retry of an older
    submission still matches."""
    parts = [kind, code, answers, form, channel, *who] if any(who) else [kind, code, answers, form, channel]
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _existing(actor, key: str, digest: str) -> Submission | None:
    if not key:
        return None
    # Almost every key is new: ask for two columns with one hand-written statement (the ORM
    # compiled this lookup anew on every intake, a tenth of its CPU), read the whole row only
    # when there is one. The partial unique index application_idempotency_once answers it.
    table = connection.ops.quote_name(Application._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, request_hash FROM {table} "  # noqa: S608 - name from the model
            "WHERE submitted_by_id = %s AND idempotency_key = %s AND idempotency_key <> ''",
            [actor.pk, key],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    pk, stored_hash = found
    if stored_hash and digest and stored_hash != digest:
        raise errors.Conflict(
            "同一幂等键已用于内容不同的申请", "Idempotency-Key", code="idempotency_conflict"
        )
    return Submission(Application.objects.get(pk=pk), False)


def submit(
    actor: User,
    *,
    kind: str,
    code: str,
    answers: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    channel: str = Channel.WEB,
    idempotency_key: str = "",
    on_behalf: dict[str, Any] | None = None,
    enterprise: str | None = None,
    agent_authorisation: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    strings: bool = False,
    received: list[str] | tuple[str, ...] = (),
    delivery: dict[str, Any] | None = None,
    provided: set[str] | None = None,
    deferred: set[str] | frozenset[str] = frozenset(),
    data_consent: bool = False,
    licence_consent: list[str] | tuple[str, ...] = (),
    ticket: Any = None,
    assistance: dict[str, Any] | None = None,
) -> Submission:
    """Create an application (or return the one this key already created).

    ``provided``: the materials whose files come with the submission (the online apply page);
    when given, every required material that is not exempt must be among them — checked
    after everything else, before anything is written. The API uploads files after creating
    the application, and the window may accept with 容缺, so neither passes it. ``deferred``:
    materials the applicant asks to supply later (申请容缺); never a key material, and the
    window still decides whether to accept with 容缺.

    ``received``: materials a window clerk took on paper at the counter, recorded in the same
    transaction (an unknown code refuses the whole intake before anything is written).

    ``data_consent``: the applicant agrees that 免提交 materials are obtained through data
    sharing; right after the commit they are fetched (``cases.exempt``). ``licence_consent``:
    the e-licences the applicant, as their holder, authorises for this application's 免提交
    materials — a type code (证照类型代码) or one licence's identifier — recorded as consents in
    the same transaction (``exempt.consent_to_licences``).

    Staff filing for someone: the hall and window are those of the clerk's open window session
    (``halls.queue.session_of``); without one, the clerk's only hall (window unknown).
    ``ticket``: the queue number the clerk has called for this visitor — linked to the
    application. ``assistance``: 帮办代办 by a hall's 帮办 staff member (channel ``agent``) —
    ``{"reason", "authorisation", "project"?, "note"?}``, recorded in the same transaction
    (``cases.assistance``).
    """
    now = now or timezone.now()
    key = text.clean(idempotency_key, "Idempotency-Key", max_length=100)
    code = text.clean(code, kind, max_length=64, required=True)
    enterprise = text.clean(enterprise, "enterprise", max_length=18).upper() or None
    if channel not in Channel.values:
        raise _bad("channel", "渠道不正确：" + "、".join(Channel.values))
    # every document is checked before it is hashed: a lone surrogate cannot even be encoded
    answers = text.document(answers or {}, "answers")
    form = text.document(form or {}, "form")
    on_behalf = _person(on_behalf)
    agent_authorisation = _authorisation(agent_authorisation)
    delivery_method, delivery_address = _delivery(delivery)
    helping = assistance_rules.clean(assistance)
    if helping is not None and not agent_authorisation:
        agent_authorisation = {"document": helping["authorisation"]}
    ticket_id = _ticket_id(ticket)
    who = (enterprise or "", on_behalf or {}, agent_authorisation or {})
    # a ticket or 帮办 record counts only when given: older requests keep their hash
    who += tuple(x for x in (ticket_id and {"ticket": ticket_id}, helping and {"assistance": helping}) if x)
    digest = request_hash(kind, code, answers, form, channel, *who) if key else ""
    found = _existing(actor, key, digest)
    if found:
        return found

    consent_types = text.clean_list(
        list(licence_consent or ()), "licence_consent", max_items=20, max_length=120
    )
    inputs = catalog_inputs(kind, code)
    plan = plans.plan(inputs, answers, strings=strings)
    if plan.open_questions:
        first = plan.open_questions[0]
        raise _bad(f"answers.{first}", f"请先回答问题 {first}")
    if not plan.members:
        raise _bad("answers", "根据您的回答，没有需要办理的事项")
    clean_form = validate_form([f.as_dict() for f in plan.form], form or {})
    paper = _received(plan, received)
    data = frozen_plan(inputs, plan)

    applicant, name, id_number, phone, hall, window = _who(actor, channel, on_behalf, clean_form)
    if channel == Channel.AGENT and hall is not None and helping is None:
        raise _bad("assistance", "帮办代办须填写帮办原因和授权依据（assistance）")
    if helping is not None and (channel != Channel.AGENT or hall is None):
        raise errors.NotPermitted("只有大厅帮办代办人员以帮办代办渠道提交时可记录帮办代办", "assistance")
    queued = _called_ticket(actor, ticket_id, hall) if ticket_id else None
    enterprise_obj = _enterprise(actor, enterprise, hall)
    agent = actor if channel == Channel.AGENT else None
    if agent is not None and not (agent_authorisation or {}).get("document"):
        raise _bad("agent_authorisation", "帮办代办须记录申请人的授权委托（authorisation.document）")
    if provided is not None:
        _require_materials(plan, provided, deferred)
    region_code = data.get("region") or (hall.region_id if hall else None)
    if region_code is None:
        raise _bad(kind, "无法确定办理区划")
    if hall is not None and not _hall_serves(hall, region_code):
        raise _bad(kind, f"本大厅（{hall.name}）不受理该区划的事项")
    departments = inputs.department_regions

    # the machine's creating event: its target is the first state, its name the audit action
    submitted = engine.initial(APPLICATION, "submit", {CLERK if channel in FILED_FOR_OTHERS else APPLICANT})
    opened = engine.initial(SUBCASE, "open", {SYSTEM})
    application = Application(
        status=submitted.target,
        kind=kind,
        code=code,
        name=plan.name,
        catalog_version=data.get("version"),
        region_id=region_code,
        hall=hall,
        window=window,
        ticket=queued,
        channel=channel,
        applicant=applicant,
        applicant_name=name,
        applicant_id_number=id_number,
        applicant_phone=phone,
        enterprise=enterprise_obj,
        agent=agent,
        agent_authorisation=agent_authorisation or {},
        submitted_by=actor,
        idempotency_key=key,
        request_hash=digest,
        answers=dict(plan.answers),
        plan=data,
        form=clean_form,
        limit_days=plan.limit_days,
        delivery_method=delivery_method,
        delivery_address=delivery_address,
        data_consent=data_consent is True,
    )
    # the number comes from its own short transaction (numbering.allocate), not this one
    application.number = numbering.allocate(region_code, timezone.localdate(now))
    try:
        with transaction.atomic():
            if queued is not None:
                _called_ticket(actor, ticket_id, hall, lock=True)  # still called by this clerk
            # the rows of one submission, written without the ORM's query compiler (a third of
            # an intake's CPU, measured): same values, see onething.core.rows
            insert_rows([application])
            insert_rows(
                [
                    SubCase(
                        status=opened.target,
                        application=application,
                        number=numbering.subcase_number(application.number, n),
                        position=n,
                        item_code=m.item,
                        item_name=m.name,
                        department_id=m.department,
                        region_id=data["member_regions"].get(m.item)
                        or departments.get(m.department)
                        or region_code,
                        after=list(m.after),
                        inspection_required=m.inspection,
                        limit_days=m.promised_limit,
                    )
                    for n, m in enumerate(plan.members, start=1)
                ],
                keys=False,
            )
            insert_rows(
                [
                    Material(
                        application=application,
                        material=line.material,
                        name=line.name,
                        source="platform",
                        exempt_via=line.exempt_via or "",
                    )
                    for line in plan.materials
                    if line.exempt
                ]
                + [
                    Material(
                        application=application,
                        material=line.material,
                        name=line.name,
                        source="paper",
                        uploaded_by=actor,
                    )
                    for line in paper
                ],
                keys=False,
            )
            record(
                submitted.audit_event,
                "application",
                application.number,
                actor=actor,
                data={
                    "kind": kind,
                    "code": code,
                    "channel": channel,
                    "members": plan.member_codes,
                    "key": key,
                    **({"received": [line.material for line in paper]} if paper else {}),
                },
                at=now,
            )
            tell_clerks(application, "submit", f"新申请待预审：{application.number}", application.name)
            from onething.notifications.service import notify

            if applicant is not None:
                notify(
                    applicant,
                    "case.submit",
                    f"已收到您的申请 {application.number}",
                    application.name,
                    f"/cases/{application.number}/",
                )
            if consent_types:
                exempt.consent_to_licences(application, actor, consent_types, now)
            if helping is not None:
                assistance_rules.write(application, actor, hall, helping, ticket=queued, now=now)
    except IntegrityError:
        # a concurrent request with the same key won the race: return its application
        found = _existing(actor, key, digest)
        if found:
            return found
        raise
    exempt.fetch_after_commit(application)
    return Submission(application, True)


def _person(on_behalf: dict[str, Any] | None) -> dict[str, str] | None:
    """The represented applicant (window, agent): name, ID number, phone — single lines."""
    if on_behalf is None:
        return None
    if not isinstance(on_behalf, dict):
        raise _bad("applicant", "申请人信息格式不正确")
    limits = {"name": 100, "id_number": 18, "phone": 20}
    for key in on_behalf:
        if key not in limits:
            raise _bad(f"applicant.{key}", f"申请人信息不包含字段 {key}")
    return {
        key: text.clean(on_behalf.get(key), f"applicant.{key}", max_length=limit)
        for key, limit in limits.items()
    }


def _authorisation(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """帮办代办: the letter of authorisation as recorded (a small document, not any JSON)."""
    if not value:
        return value
    if not isinstance(value, dict):
        raise _bad("authorisation", "授权委托应为 JSON 对象")
    value = dict(text.document(value, "authorisation", max_depth=1, max_items=10, max_string=500))
    if "document" in value:
        value["document"] = text.clean(value["document"], "authorisation.document", max_length=200)
    return value


def _received(plan: planner.Plan, received) -> list:
    """The plan's lines for the paper materials received at the counter (each once)."""
    codes_ = text.clean_list(list(received or ()), "received", max_items=100, max_length=64)
    lines = {line.material: line for line in plan.materials if not line.exempt}
    unknown = [c for c in codes_ if c not in lines]
    if unknown:
        raise _bad("received", f"材料 {unknown[0]} 不在本件的材料清单中")
    return [lines[c] for c in dict.fromkeys(codes_)]


def _who(actor: User, channel: str, on_behalf: dict | None, form: dict) -> tuple:
    """(applicant user or None, name, id number, phone, hall, window) for this submission."""
    hall = window = None
    if channel in (Channel.WINDOW, Channel.SELF_SERVICE, Channel.CROSS_PROVINCE) and on_behalf is not None:
        hall, window = _counter(actor, StaffRole.WINDOW_CLERK, "只有综合窗口人员可以代为收件")
    elif channel == Channel.AGENT and on_behalf is not None and assistance_rules.is_assistant(actor):
        hall, window = _counter(actor, StaffRole.ASSISTANT, "只有帮办代办人员可以帮办代办")
    if on_behalf is not None and channel in (
        Channel.WINDOW,
        Channel.AGENT,
        Channel.SELF_SERVICE,
        Channel.CROSS_PROVINCE,
    ):
        name = str(on_behalf.get("name") or "").strip()
        id_number = str(on_behalf.get("id_number") or "").strip().upper()
        phone = str(on_behalf.get("phone") or "").strip()
        if not name:
            raise _bad("applicant.name", "请填写申请人姓名")
        reason = codes.validate_id_number(id_number)
        if reason:
            raise _bad("applicant.id_number", f"申请人公民身份号码{reason}")
        if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
            raise _bad("applicant.phone", "联系电话格式不正确")
        applicant = User.objects.filter(id_number=id_number).first()
        return applicant, name, id_number, phone, hall, window
    if channel in (Channel.WINDOW, Channel.AGENT):
        raise _bad("applicant", "窗口收件和帮办代办须提供申请人身份信息（applicant）")
    return (
        actor,
        actor.real_name or form.get("applicant.name") or actor.username,
        actor.id_number or form.get("applicant.id_number", ""),
        actor.phone or form.get("applicant.phone", ""),
        hall,
        window,
    )


def _counter(actor: User, role: str, refusal: str) -> tuple:
    """(hall, window) where ``actor`` files for someone: the hall and window of their open
    window session; without one, their only hall of ``role`` (window unknown). With several
    halls and no session the hall is not known: they sign in at a window first."""
    session = session_of(actor)
    if session is not None and role == StaffRole.WINDOW_CLERK:
        return session.window.hall, session.window
    halls = list({r.hall_id: r.hall for r in actor.roles() if r.role == role and r.hall}.values())
    if not halls:
        raise errors.NotPermitted(refusal, "channel")
    if len(halls) > 1:
        raise errors.Invalid("您在多个大厅任职，请先在窗口签到", "window")
    return halls[0], None


def _ticket_id(value: Any) -> int | None:
    """The queue number's id as given (a positive integer), or ``None``."""
    if value is None or value == "":
        return None
    return text.integer(value, "ticket", minimum=1, maximum=2**63 - 1)


def called_ticket(actor: User, value: Any, hall: Hall | None) -> Ticket:
    """The ticket ``value`` (an id as typed) when ``actor`` has called it at ``hall``."""
    return _called_ticket(actor, _ticket_id(value) or 0, hall)


def _called_ticket(actor: User, ticket_id: int, hall: Hall | None, *, lock: bool = False):
    """The ticket ``actor`` is serving now: 404 when it is not of their hall, 409 when it is
    not the one they have called."""
    rows = Ticket.objects.select_for_update() if lock else Ticket.objects
    found = rows.filter(pk=ticket_id).first()
    if found is None or hall is None or found.hall_id != hall.pk:
        raise errors.NotFound("未找到该排队号", "ticket")
    if found.status != Ticket.Status.CALLED or found.clerk_id != actor.pk:
        raise errors.Conflict(f"{found.number} 号不是您当前呼叫的号", "ticket")
    return found


def _require_materials(plan, provided: set[str], deferred) -> None:
    for line in plan.materials:
        if not line.required or line.exempt or line.material in provided:
            continue
        if line.material in deferred and not is_key_material({"kind": line.kind}):
            continue
        if line.material in deferred:
            raise _bad(f"m.{line.material}", f"“{line.name}”是核心材料，不能容缺，请上传")
        raise _bad(f"m.{line.material}", f"请上传“{line.name}”（必须提交的材料）")


def _delivery(delivery: dict[str, Any] | None) -> tuple[str, str]:
    """出件方式, asked once when applying: window pickup (the default), mail (with the address)
    or electronic delivery."""
    delivery = delivery or {}
    method = text.clean(delivery.get("method"), "delivery_method", max_length=20) or "window"
    if method not in DELIVERY_METHODS:
        raise _bad("delivery_method", "出件方式应为：" + "、".join(DELIVERY_METHODS.values()))
    address = text.clean(delivery.get("address"), "delivery_address", max_length=300)
    if method == "mail" and not address:
        raise _bad("delivery_address", "选择邮寄送达时请填写邮寄地址")
    return method, address if method == "mail" else ""


def _enterprise(actor: User, uscc: str | None, hall: Hall | None) -> Enterprise | None:
    """The enterprise applied for. Whoever submits must hold its valid authorisation —
    online, on a phone and as an agent alike (everyone authorised for an enterprise sees its
    applications, so an unchecked USCC would show them someone else's case). Only a window
    clerk at the counter (``hall``) is exempt: they check the letter of authorisation in person.
    """
    if not uscc:
        return None
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    if enterprise is None:
        raise _bad("enterprise", f"未找到统一社会信用代码为 {uscc} 的企业")
    if hall is None:
        authorisation = EnterpriseAuthorisation.objects.filter(enterprise=enterprise, user=actor).first()
        if authorisation is None or not authorisation.is_valid():
            raise errors.NotPermitted("您未获该企业授权办理此事项", "enterprise")
    return enterprise


def _hall_serves(hall: Hall, region_code: str) -> bool:
    """A hall takes in items of its own region and of the regions below it."""
    path = Region.objects.filter(code=region_code).values_list("path", flat=True).first() or region_code
    return hall.scope_code in path.split("/")


def hall_offers(hall: Hall) -> tuple[list[dict], list[dict]]:
    """(bundles, items) a window clerk of ``hall`` may take in."""
    from onething.catalog.models import Revision

    bundles, items = [], []
    paths = dict(Region.objects.values_list("code", "path"))
    for kind, code, data in Revision.objects.filter(
        kind__in=["bundle", "item"], current=True, withdrawn=False
    ).values_list("kind", "code", "data"):
        region = data.get("region") or _department_region(data.get("lead_department"))
        if region and hall.scope_code in paths.get(region, region).split("/"):
            (bundles if kind == "bundle" else items).append({"code": code, "name": data.get("name", code)})
    return sorted(bundles, key=lambda b: b["code"]), sorted(items, key=lambda i: i["code"])


# ------------------------------------------------------------------------------- materials
# Uploads (type sniffing, structure checks, storage, downloads) live in onething.cases.uploads;
# sniff, store_upload, open_material, material_response and UPLOADABLE_STATES are imported
# above so that callers keep using them through this module.
