"""Personal numbers typed into free text reach their owner only.

The demo journeys run with 公民身份号码 (18 and 15 digits), mobile phone and bank card numbers,
written together, in groups and with dashes, typed into every free-text field: the form,
correction items and reasons, resubmission, pre-review and 容缺 reasons, special procedures,
extension requests and refusals, decisions, inspection location and findings, 告知承诺 text and
post-check results, delivery address, the agent's authorisation, rejections.

Then everything a non-owner can get is scanned — the progress API, the lists, the extension
and post-check APIs, the answers to the actions they took, every page (detail, window, queue,
supervisor board, post-checks), every notice PDF by both download routes, their inbox, and the
log — for the clerk (also when they filed the case for the applicant), every involved and
uninvolved approver, the supervisor, the agent and another citizen: no planted number appears in
full, and each text is there masked. The owner (the applicant person) sees each text in full
wherever it is shown to them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass

import pytest
from django.test import Client

from onething.accounts.masking import mask_text
from onething.kernel.codes import id_number_check_char, luhn_valid

cases_conftest = pytest.importorskip("onething.cases.tests.conftest")
ANSWERS, BUNDLE, FORM, at, form_for = (
    cases_conftest.ANSWERS,
    cases_conftest.BUNDLE,
    cases_conftest.FORM,
    cases_conftest.at,
    cases_conftest.form_for,
)
TRANSPORT_BUNDLE = "430600-YJS-KBYSQY"
ENTERPRISE = "91430600MA4L00001C"  # the demo enterprise; lisi is its 法定代表人
TRANSPORT_ANSWERS = {"transport_type": "普通货运", "drivers_qualified": True, "has_employees": False}
STAFF = (
    "chuangkou",
    "shenpi_weijian",
    "shenpi_yibao",
    "shenpi_gongan",
    "shenpi_renshe",
    "shenpi_shichang",
    "ducha",
)

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------- planted numbers


@dataclass
class Planted:
    field: str
    text: str
    numbers: tuple[str, ...]  # as the digits run
    written: tuple[str, ...]  # as typed (grouped, dashed)
    owner: str  # username of the case's applicant person
    owner_sees: bool  # the field is shown to the applicant somewhere
    staff_sees: bool  # the field is shown to staff somewhere


class Plants:
    """Distinct, valid personal numbers for each free-text field, in varying layouts."""

    def __init__(self) -> None:
        self.all: list[Planted] = []

    def __call__(
        self, field: str, *, owner="zhangsan", owner_sees: bool = True, staff_sees: bool = True
    ) -> str:
        n = len(self.all) + 1
        first17 = f"43060219850101{n:03d}"
        id_number = first17 + id_number_check_char(first17)
        old_id = f"430602850101{n:03d}"
        mobile = f"139{n:08d}"
        mobile_written = (
            mobile,
            f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
            f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
        )[n % 3]
        body = f"622202{n:012d}"
        card = next(body + d for d in "0123456789" if luhn_valid(body + d))
        card_written = card if n % 2 else " ".join(card[i : i + 4] for i in range(0, len(card), 4))
        text = f"{field}：身份证号{id_number}，旧证{old_id}，手机{mobile_written}，银行卡号{card_written}。"
        self.all.append(
            Planted(
                field,
                text,
                (id_number, old_id, mobile, card),
                (id_number, old_id, mobile_written, card_written),
                owner,
                owner_sees,
                staff_sees,
            )
        )
        return text


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def leaks(text: str, plants: Plants, viewer: str = "") -> list[str]:
    """The planted numbers that appear in full in ``text`` (however the text wraps), but for
    those of cases ``viewer`` owns."""
    shown = flat(text)
    return [
        f"{p.field}: {number}"
        for p in plants.all
        if p.owner != viewer
        for number, written in zip(p.numbers, p.written, strict=True)
        if number in shown or flat(written) in shown
    ]


# ------------------------------------------------------------------------------- journeys


def sample_form(intake, kind: str, code: str, answers: dict) -> dict:
    asked = {f.element for f in intake.load_plan(kind, code, answers).form}
    return {k: v for k, v in intake.flatten(FORM).items() if k in asked}


def post(client: Client, url: str, data: dict, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def subcase(app, item: str):
    return app.subcases.get(item_code=item)


def run_journeys(people, plant: Plants, api) -> tuple[list, list[tuple[str, object, object]]]:
    """Every journey of the scan; returns the applications and the actions' API answers
    (who asked, what, the response)."""
    from onething.accounts.models import Enterprise, EnterpriseAuthorisation, StaffRole, User
    from onething.cases import intake, lifecycle
    from onething.cases.models import PostCheck

    zs, clerk, weijian, yibao, ducha = (
        people[u] for u in ("zhangsan", "chuangkou", "shenpi_weijian", "shenpi_yibao", "ducha")
    )
    form = sample_form(intake, "bundle", BUNDLE, ANSWERS)
    assert "applicant.address" in form
    materials = ["maternal-health-handbook", "bank-account"]
    apps = []

    def submit(actor, key, now, **kw):
        kw.setdefault("kind", "bundle")
        kw.setdefault("code", BUNDLE)
        kw.setdefault("answers", ANSWERS)
        return intake.submit(actor, idempotency_key=key, now=now, **kw).application

    # A 网上办 by zhangsan: 补正, 重新提交, 预审, 容缺受理, 特别程序, 延期 (refused, approved),
    # decisions, 邮寄送达, 归档
    a = submit(zs, "scan-a", at("2026-11-20"), form={**form, "applicant.address": plant("A.form.address")})
    lifecycle.request_correction(
        a,
        clerk,
        items=[plant("A.correction.item.1"), plant("A.correction.item.2")],
        reason=plant("A.correction.reason"),
        now=at("2026-11-20", 11),
    )
    lifecycle.resubmit(a, zs, reason=plant("A.resubmit"), now=at("2026-11-23"))
    lifecycle.pre_review(a, clerk, reason=plant("A.pre_review"), now=at("2026-11-23", 11))
    lifecycle.accept_with_gaps(
        a,
        clerk,
        gaps=["maternal-health-handbook"],
        commitment_date=dt.date(2026, 11, 30),
        received=["bank-account"],
        reason=plant("A.gaps"),
        now=at("2026-11-23", 14),
    )
    first = "430600-WJ-2001-01"
    lifecycle.start_review(subcase(a, first), weijian, now=at("2026-11-23", 15))
    lifecycle.start_special_procedure(
        subcase(a, first),
        weijian,
        kind="expert_review",
        reason=plant("A.special.start"),
        now=at("2026-11-23", 16),
    )
    lifecycle.end_special_procedure(
        subcase(a, first), weijian, reason=plant("A.special.end"), now=at("2026-11-24")
    )
    refused = lifecycle.extend(
        subcase(a, first),
        weijian,
        days=2,
        reason=plant("A.extension.refused", owner_sees=False),
        now=at("2026-11-24", 11),
    )
    lifecycle.refuse_extension(
        refused, ducha, reason=plant("A.extension.refusal", owner_sees=False), now=at("2026-11-24", 14)
    )
    approved = lifecycle.extend(
        subcase(a, first), weijian, days=2, reason=plant("A.extension.approved"), now=at("2026-11-24", 15)
    )
    lifecycle.approve_extension(approved, ducha, now=at("2026-11-25"))
    lifecycle.decide(
        subcase(a, first), weijian, decision="approved", reasons=plant("A.decide.1"), now=at("2026-11-25", 11)
    )
    lifecycle.decide(
        subcase(a, "430600-WJ-2002-01"),
        weijian,
        decision="approved",
        reasons=plant("A.decide.2"),
        now=at("2026-11-25", 14),
    )
    lifecycle.decide(
        subcase(a, "430600-YB-0501-01"),
        yibao,
        decision="refused",
        reasons=plant("A.decide.3"),
        now=at("2026-11-26"),
    )
    lifecycle.result_ready(a, clerk, method="mail", now=at("2026-11-26", 14))
    lifecycle.deliver(
        a,
        clerk,
        method="mail",
        tracking_number="EMS1234567890",
        address=plant("A.delivery.address", owner_sees=False, staff_sees=False),
        now=at("2026-11-27"),
    )
    lifecycle.close(a, clerk, reason=plant("A.close"), now=at("2026-11-27", 14))
    apps.append(a)

    # B 开办运输企业: one joint inspection (location, findings), a refusal after it
    plan = intake.load_plan("bundle", TRANSPORT_BUNDLE, TRANSPORT_ANSWERS)
    transport_form = form_for([f.as_dict() for f in plan.form])
    typed = [f.element for f in plan.form if f.type in ("text", "address")]
    assert typed, "开办运输企业的申请表没有可填写文字的字段"
    for element in typed:
        transport_form[element] = plant(f"B.form.{element}")
    b = submit(
        zs, "scan-b", at("2026-11-20"), code=TRANSPORT_BUNDLE, answers=TRANSPORT_ANSWERS, form=transport_form
    )
    received = [m["material"] for m in b.plan["materials"] if not m["exempt"]]
    lifecycle.accept(b, clerk, received=received, now=at("2026-11-23"))
    lifecycle.decide(
        subcase(b, "430600-SCJG-0101-01"),
        people["shenpi_shichang"],
        decision="approved",
        reasons=plant("B.decide.market"),
        now=at("2026-11-23", 11),
    )
    inspected = subcase(b, "430600-JT-0101-01")
    jiaotong = User.objects.create_user("shenpi_jiaotong_scan", password="pw-for-tests-only")
    StaffRole.objects.create(user=jiaotong, role="approver", department_id=inspected.department_id)
    people["shenpi_jiaotong_scan"] = jiaotong
    lifecycle.schedule_inspection(
        b, clerk, on=dt.date(2026, 11, 26), location=plant("B.inspection.location"), now=at("2026-11-24")
    )
    lifecycle.record_inspection(
        b, clerk, result="failed", findings=plant("B.inspection.findings"), now=at("2026-11-26")
    )
    lifecycle.decide(
        subcase(b, "430600-JT-0101-01"),
        jiaotong,
        decision="refused",
        reasons=plant("B.decide.transport"),
        now=at("2026-11-26", 14),
    )
    apps.append(b)

    # C 告知承诺: the commitment text, post-checks found untrue and true, one left open
    c = submit(zs, "scan-c", at("2026-11-20"), form=form)
    lifecycle.accept_on_commitment(
        c,
        clerk,
        commitment_text=plant("C.commitment", owner_sees=False, staff_sees=False),
        signed_by_name="张三",
        received=materials,
        now=at("2026-11-23"),
    )
    checks = PostCheck.objects.filter(subcase__application=c)
    lifecycle.record_post_check(
        checks.get(subcase__item_code="430600-YB-0501-01"),
        yibao,
        passed=False,
        result=plant("C.post_check.failed"),
        now=at("2026-12-01"),
    )
    lifecycle.record_post_check(
        checks.get(subcase__item_code="430600-WJ-2001-01"),
        weijian,
        passed=True,
        result=plant("C.post_check.passed"),
        now=at("2026-12-01", 11),
    )
    apps.append(c)

    # D 帮办代办: lisi applies for zhangsan (the authorisation text), refused at the window
    d = submit(
        people["lisi"],
        "scan-d",
        at("2026-11-20"),
        form=form,
        channel="agent",
        on_behalf={"name": "张三", "id_number": zs.id_number, "phone": "13800000001"},
        agent_authorisation={"document": plant("D.authorisation")},
    )
    assert d.applicant_id == zs.pk and d.agent_id == people["lisi"].pk
    lifecycle.reject(d, clerk, reason=plant("D.reject"), now=at("2026-11-20", 15))
    apps.append(d)

    # E the clerk takes it in for zhangsan: at the window, and at the self-service terminal
    # (where the clerk who filed it holds the applicant's role, yet is not the owner)
    for channel in ("window", "self_service"):
        e = submit(
            clerk,
            f"scan-e-{channel}",
            at("2026-11-20"),
            form=form,
            channel=channel,
            on_behalf={"name": "张三", "id_number": zs.id_number, "phone": "13800000001"},
        )
        assert e.applicant_id == zs.pk and e.submitted_by_id == clerk.pk
        lifecycle.request_correction(
            e,
            clerk,
            items=[plant(f"E.{channel}.correction.item")],
            reason=plant(f"E.{channel}.correction.reason"),
            now=at("2026-11-20", 11),
        )
        lifecycle.resubmit(e, zs, reason=plant(f"E.{channel}.resubmit"), now=at("2026-11-23"))
        lifecycle.reject(e, clerk, reason=plant(f"E.{channel}.reject"), now=at("2026-11-23", 11))
        apps.append(e)

    # G for an enterprise: lisi (法定代表人) applies; a colleague authorised for the same
    # enterprise sees the case, yet the numbers typed into it are not theirs
    enterprise = Enterprise.objects.get(uscc=ENTERPRISE)
    colleague = User.objects.create_user("scan-colleague", password="pw-for-tests-only")
    EnterpriseAuthorisation.objects.create(enterprise=enterprise, user=colleague, role="agent")
    people["scan-colleague"] = colleague
    g = submit(people["lisi"], "scan-g", at("2026-11-20"), form=form, enterprise=ENTERPRISE)
    assert g.applicant_id == people["lisi"].pk and g.enterprise_id == enterprise.pk
    lifecycle.request_correction(
        g,
        clerk,
        items=[plant("G.correction.item", owner="lisi")],
        reason=plant("G.correction.reason", owner="lisi"),
        now=at("2026-11-20", 11),
    )
    lifecycle.resubmit(g, people["lisi"], reason=plant("G.resubmit", owner="lisi"), now=at("2026-11-23"))
    lifecycle.reject(g, clerk, reason=plant("G.reject", owner="lisi"), now=at("2026-11-23", 11))
    apps.append(g)

    # F through the API, today: the answers to the staff's actions are scanned too; an
    # extension request stays pending for the supervisor's board
    answers: list[tuple[str, object, object]] = []
    created = post(
        api(zs),
        "/api/v1/applications",
        {
            "bundle": BUNDLE,
            "answers": ANSWERS,
            "form": {**form, "applicant.address": plant("F.form.address")},
        },
        HTTP_IDEMPOTENCY_KEY="scan-f",
    )
    assert created.status_code == 201, created.content.decode()[:300]
    number = created.json()["number"]
    url = f"/api/v1/applications/{number}"
    steps = [
        (
            clerk,
            f"{url}/correction",
            {"items": [plant("F.correction.item")], "reason": plant("F.correction.reason")},
        ),
        (zs, f"{url}/resubmit", {"reason": plant("F.resubmit")}),
        (clerk, f"{url}/accept", {"received": materials, "reason": plant("F.accept")}),
        (
            weijian,
            f"{url}/subcases/{number}-01/extend",
            {"days": 2, "reason": plant("F.extension.pending", owner_sees=False)},
        ),
    ]
    for actor, step, data in steps:
        response = post(api(actor), step, data)
        assert response.status_code in (200, 202), (step, response.content.decode()[:300])
        answers.append((f"POST {step}", actor, response))
    from onething.cases.models import Application

    apps.append(Application.objects.get(number=number))
    return apps, answers


# ------------------------------------------------------------------------------- what a person gets


_pdf_texts: dict[str, str] = {}


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    digest = hashlib.sha256(data).hexdigest()
    if digest not in _pdf_texts:
        _pdf_texts[digest] = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return _pdf_texts[digest]


def readable(response) -> str:
    if response.get("Content-Type", "").startswith("application/pdf"):
        return pdf_text(response.content)
    return response.content.decode("utf-8", "replace")


def everything_for(user, apps, api) -> list[tuple[str, str]]:
    """(where, text) of every answer ``user`` gets (status 200) and of their inbox."""
    from onething.cases.models import Extension
    from onething.notifications.models import Notification

    web = Client()
    web.force_login(user)
    bearer = api(user)
    api_urls = [
        "/api/v1/applications",
        "/api/v1/extensions",
        *(f"/api/v1/post-checks?status={s}" for s in ("open", "passed", "failed")),
        "/api/v1/post-checks",
        "/api/v1/accounts/me",
    ]
    pages = [
        "/cases/",
        "/cases/window/",
        "/cases/approver/",
        "/cases/supervisor/",
        *(f"/cases/post-checks/?status={s}" for s in ("open", "passed", "failed")),
    ]
    for app in apps:
        api_urls.append(f"/api/v1/applications/{app.number}")
        pages.append(f"/cases/{app.number}/")
        for notice in app.notices.all():
            api_urls.append(f"/api/v1/applications/{app.number}/notices/{notice.id}.pdf")
            pages.append(f"/cases/{app.number}/notices/{notice.id}.pdf")
        api_urls += [f"/api/v1/extensions/{e.pk}" for e in Extension.objects.filter(subcase__application=app)]
    got = []
    for client, urls in ((bearer, api_urls), (web, pages)):
        for url in urls:
            response = client.get(url)
            if response.status_code == 200:
                got.append((f"GET {url}", readable(response)))
    for message in Notification.objects.filter(recipient=user):
        got.append((f"站内消息 {message.event}", f"{message.title}\n{message.body}"))
    return got


# ------------------------------------------------------------------------------- the scan


def test_typed_personal_numbers_reach_no_one_but_their_owner(
    demo, make_user, token_for, settings, tmp_path, caplog, django_capture_on_commit_callbacks
):
    from onething.accounts.models import User
    from onething.notifications.models import Notification

    settings.MEDIA_ROOT = tmp_path / "uploads"
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="onething")
    names = ("zhangsan", "lisi", *STAFF)
    people = {u.username: u for u in User.objects.filter(username__in=names)}
    tokens: dict[int, str] = {}

    def api(user) -> Client:
        if user.pk not in tokens:
            tokens[user.pk] = token_for(user)
        return Client(HTTP_AUTHORIZATION=tokens[user.pk])

    plant = Plants()
    with django_capture_on_commit_callbacks(execute=True):  # notifications are sent after commit
        apps, answers = run_journeys(people, plant, api)
    assert Notification.objects.filter(recipient__username__in=STAFF).exists()
    everyone = [people[u] for u in sorted(people)] + [make_user("scan-outsider")]
    got = {}
    for person in everyone:
        got[person.username] = everything_for(person, apps, api) + [
            (where, readable(r)) for where, actor, r in answers if actor.pk == person.pk
        ]
    scanned = sum(len(answered) for answered in got.values())
    seen = {(username, where) for username, answered in got.items() for where, _ in answered}
    for username, app in [
        ("lisi", apps[3]),  # the agent
        ("chuangkou", apps[5]),  # the clerk who filed it at the self-service terminal
        ("scan-colleague", apps[6]),  # the enterprise's other authorised person
        ("shenpi_yibao", apps[0]),
        ("ducha", apps[1]),
    ]:
        assert (username, f"GET /cases/{app.number}/") in seen, (username, app.number)
    assert ("ducha", "GET /cases/supervisor/") in seen and (
        "shenpi_gongan",
        f"GET /cases/{apps[0].number}/",
    ) not in seen

    # nobody but the owner gets a planted number in full, anywhere
    found = [
        f"{username} {where} → {leak}"
        for username, answered in got.items()
        for where, text in answered
        for leak in leaks(text, plant, username)
    ]
    assert not found, "非本人看到了完整的个人号码：\n" + "\n".join(found[:40])
    assert scanned > 300, f"只扫描了 {scanned} 个响应"

    # the texts are there for the others, masked (the scan did not pass because nothing was shown)
    def shown_to(usernames) -> str:
        return flat("\n".join(text for u in usernames for _, text in got[u]))

    hidden = [
        p.field
        for p in plant.all
        if p.staff_sees and flat(mask_text(p.text)) not in shown_to(u for u in got if u != p.owner)
    ]
    assert not hidden, f"这些文字未以脱敏形式出现在他人可见的任何响应中：{hidden}"

    # the owner sees every text shown to them in full, in the notices' PDFs too
    missing = [p.field for p in plant.all if p.owner_sees and flat(p.text) not in shown_to([p.owner])]
    assert not missing, f"申请人本人看不到自己办件中的这些文字（或被脱敏了）：{missing}"
    issued = json.dumps([n.content for app in apps for n in app.notices.all()], ensure_ascii=False)
    in_notices = [p for p in plant.all if p.text in issued]
    assert len(in_notices) >= 5, [p.field for p in in_notices]
    pdfs = {u: flat("\n".join(text for where, text in got[u] if where.endswith(".pdf"))) for u in got}
    masked_for_owner = [p.field for p in in_notices if flat(p.text) not in pdfs[p.owner]]
    assert not masked_for_owner, f"申请人本人下载的文书中这些文字不完整：{masked_for_owner}"

    # and nothing of it was logged in full
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not leaks(logged, plant), f"日志中出现了完整的个人号码：{leaks(logged, plant)[:10]}"
