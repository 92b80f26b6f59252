"""The staff desks: the window (find an application; items to file for, by department; 容缺 of
non-key materials only), the approver's queue (ordered by urgency, counted, said in words; a
decision with its result file), the refusal notices' remedies, masked form data, and the
supervisor's board (counts, filters, 督办 through the engine and the outbox, Excel export)."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from onething.accounts.models import StaffRole, User
from onething.audit.models import AuditRecord
from onething.cases import deadlines, intake, lifecycle, urgency
from onething.cases.models import Application, Channel, Notice, ResultFile
from onething.cases.tests.conftest import ANSWERS, FORM, at, form_for, in_days, sample_pdf, sample_png
from onething.notifications.models import Notification, OutboxMessage

pytestmark = pytest.mark.django_db

ZHANG_ID = "430602199001011235"
ZHANG = {"name": "张三", "id_number": ZHANG_ID, "phone": "13800000001"}
WANG_ID = "430602199201011221"
WANG = {"name": "王芳", "id_number": WANG_ID, "phone": "13900000002"}
BIRTH = "430600-WJ-2001-01"  # 出生医学证明办理: 1 working day (卫健)
HYGIENE = "430600-WJ-0101-01"  # 卫生许可证核发（公共场所）: 5 working days (卫健)
BIRTH_DISTRICT = "430602-WJ-2001-01"  # the same in 岳阳楼区 (区卫健局)
TODAY = dt.date(2026, 11, 30)  # a Monday; the scan runs at 10:00


def login(people, username):
    c = Client()
    c.force_login(people[username])
    return c


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html  # strict CSP
    return html


def filed(
    submit, people, code: str, on: str, who=ZHANG, accept: bool = True, received: list[str] | None = None
) -> Application:
    """An item filed at the city hall's window on ``on`` with ``received`` on paper (default:
    every material), accepted unless ``accept`` is false."""
    plan = intake.load_plan("item", code, {})
    app = submit(
        actor=people["chuangkou"],
        kind="item",
        code=code,
        answers={},
        form=form_for([f.as_dict() for f in plan.form]),
        channel=Channel.WINDOW,
        on_behalf=who,
        received=[m.material for m in plan.materials if not m.exempt] if received is None else received,
        now=at(on),
    )
    if accept:
        lifecycle.accept(app, people["chuangkou"], now=at(on))
    return Application.objects.get(pk=app.pk)


def scan(capture, day: dt.date = TODAY) -> None:
    with capture(execute=True):
        deadlines.scan(day, dt.datetime.combine(day, dt.time(10), tzinfo=at("2026-11-30").tzinfo))


@pytest.fixture
def on_today(monkeypatch):
    """Pages take today from the wall clock: make it :data:`TODAY`."""
    from django.utils import timezone

    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, *a: real(value, *a) if value else TODAY)


@pytest.fixture
def lights(submit, people, django_capture_on_commit_callbacks):
    """卫健's work on :data:`TODAY`: two reds (due 11-24 and 11-26), a yellow (due today), a case
    with time to go, one decided after it went yellow; and a red of the district's 卫健."""
    cases = {
        "red_older": filed(submit, people, BIRTH, "2026-11-23"),
        "red_newer": filed(submit, people, BIRTH, "2026-11-25", who=WANG),
        "yellow": filed(submit, people, HYGIENE, "2026-11-23"),
        "normal": filed(submit, people, HYGIENE, "2026-11-27"),
        "finished": filed(submit, people, HYGIENE, "2026-11-23", who=WANG),
        "district": filed(submit, people, BIRTH_DISTRICT, "2026-11-23"),
    }
    scan(django_capture_on_commit_callbacks)
    finished = cases["finished"].subcases.get()
    assert finished.warning == "yellow"
    lifecycle.decide(
        finished,
        people["shenpi_weijian"],
        decision="refused",
        reasons="检测报告不合格",
        now=at("2026-11-30", 11),
    )
    return {name: app.subcases.get() for name, app in cases.items()}


# ------------------------------------------------------------------------------- window


def test_window_finds_by_number_name_and_exact_id_number(submit, people):
    mine = filed(submit, people, BIRTH, "2026-11-23", accept=False)
    hers = filed(submit, people, HYGIENE, "2026-11-23", who=WANG, accept=False)
    clerk = login(people, "chuangkou")

    def find(query) -> tuple[list[str], str]:
        """The applications the results link to, and the results' text."""
        page = html_of(clerk.post("/cases/window/", {"q": query}))
        section = page[page.index('id="find-results"') : page.index('id="waiting-title"')]
        return re.findall(r'href="/cases/([^/"]+)/"', section), section

    found, text = find(ZHANG_ID)
    assert found == [mine.number] and "按公民身份号码" in text
    assert ZHANG_ID not in text and "4306**********1235" in text  # shown masked, the query too
    for partial in (ZHANG_ID[:17], ZHANG_ID[1:], "4306", ZHANG_ID[:-1] + "X"):
        assert find(partial)[0] == [], partial  # an ID number matches exactly
    assert find(ZHANG_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９")))[0] == [mine.number]
    assert find(f"{ZHANG_ID[:6]} {ZHANG_ID[6:14]} {ZHANG_ID[14:]}")[0] == [mine.number]  # read out in groups
    found, text = find("王芳")
    assert found == [hers.number] and "4306**********1221" in text and WANG_ID not in text
    assert find(hers.number)[0] == [hers.number]
    assert set(find("430600-2026")[0]) == {mine.number, hers.number}  # the beginning of a number
    assert find(f"{mine.number}-01")[0] == [mine.number]  # a sub-case number finds its application
    # only the hall's: an online application of another region is not found
    elsewhere = submit(
        kind="item",
        code="430626-WJ-2001-01",
        answers={},
        form=form_for([f.as_dict() for f in intake.load_plan("item", "430626-WJ-2001-01", {}).form]),
    )
    assert find(elsewhere.number)[0] == []
    # not a clerk: 404
    assert login(people, "zhangsan").post("/cases/window/", {"q": ZHANG_ID}).status_code == 404


def test_window_items_are_grouped_by_department_and_searchable(people):
    clerk = login(people, "chuangkou")
    page = html_of(clerk.get("/cases/window/"))
    groups = re.findall(r'<details class="offer-group"[^>]*><summary>([^<]+)</summary>', page)
    assert len(groups) > 5 and any(g.startswith("一件事") for g in groups)
    assert any(g.startswith("岳阳市卫生健康委员会（") for g in groups)
    assert len(set(groups)) == len(groups)  # one group per department
    regions = re.findall(r'<details class="offer-region"[^>]*><summary>([^<]+)</summary>', page)
    names = [r.split("（")[0] for r in regions]
    assert names[:2] == ["岳阳市", "岳阳楼区"] and "平江县" in names and len(set(names)) == len(names)
    # regions and departments are closed by default (the bundles open): no 14,000-pixel column
    assert (
        page.count('<details class="offer-group" open>')
        == page.count('<details class="offer-region" open>')
        == 0
    )
    assert 'id="offer-bundles" open' in page and "新生儿出生一件事" in page
    found = html_of(clerk.get("/cases/window/", {"offer": "卫生许可"}))
    assert "卫生许可证核发（公共场所）" in found and "出生医学证明办理" not in found
    assert "新生儿出生一件事" not in found and '<details class="offer-group" open>' in found
    assert "“卫生许可”：" in found
    assert f"/cases/window/new/item/{HYGIENE}/" in found
    assert "没有名称或编码含" in html_of(clerk.get("/cases/window/", {"offer": "不存在的事项"}))


def test_gap_acceptance_offers_only_non_key_materials(submit, people):
    plan = intake.load_plan("item", HYGIENE, {})
    app = submit(kind="item", code=HYGIENE, answers={}, form=form_for([f.as_dict() for f in plan.form]))
    clerk = login(people, "chuangkou")
    page = html_of(clerk.get(f"/cases/{app.number}/"))
    form = page[page.index('id="gaps-form"') :]
    form = form[: form.index("</form>")]
    gaps = set(re.findall(r'name="gaps" value="([^"]+)"', form))
    assert gaps == {"layout-plan", "hygiene-testing-report"}  # plan, report: may follow later
    # the application form (a key material) is never offered as 容缺, only as received on paper
    assert re.findall(r'name="received" value="([^"]+)"', form) == ["hygiene-license-application"]
    assert "核心材料，不能容缺" in form
    # and the rule refuses it anyway
    r = clerk.post(
        f"/cases/{app.number}/act/accept_with_gaps/",
        {
            "gaps": ["hygiene-license-application", "layout-plan", "hygiene-testing-report"],
            "commitment_date": in_days(7),
        },
        follow=True,
    )
    assert "是核心材料，不能容缺" in r.content.decode()
    r = clerk.post(
        f"/cases/{app.number}/act/accept_with_gaps/",
        {
            "gaps": ["layout-plan", "hygiene-testing-report"],
            "received": ["hygiene-license-application"],
            "commitment_date": in_days(7),
        },
    )
    app.refresh_from_db()
    assert app.status == "accepted" and app.intake == "gaps"


def test_only_key_materials_missing_offers_no_gap_acceptance(submit, people):
    app = filed(
        submit,
        people,
        HYGIENE,
        "2026-11-20",
        accept=False,
        received=["layout-plan", "hygiene-testing-report"],
    )
    page = html_of(login(people, "chuangkou").get(f"/cases/{app.number}/"))
    assert 'id="gaps-form"' not in page and 'id="gaps-none"' in page and "卫生许可申请书" in page


# ------------------------------------------------------------------------------- personal data


def test_bank_account_is_masked_for_staff_unless_their_step_needs_it(submit, people):
    account = "62220202001122"  # 14 digits: no card pattern catches it, the field does
    plan = intake.load_plan("bundle", "430600-YJS-XSECS", ANSWERS)
    asked = {f.element for f in plan.form}
    form = {k: v for k, v in intake.flatten({**FORM, "bank": {"account": account}}).items() if k in asked}
    app = submit(form=form)
    lifecycle.accept(
        app, people["chuangkou"], received=["maternal-health-handbook", "bank-account"], now=at("2026-11-23")
    )
    masked = "6222******1122"

    def shown(username):
        page = login(people, username).get(f"/cases/{app.number}/").content.decode()
        return account in page, masked in page

    assert shown("zhangsan") == (True, False)  # the owner
    assert shown("chuangkou") == (False, True)
    assert shown("shenpi_weijian") == (False, True)  # 卫健's items do not ask for it
    insurance = app.subcases.get(item_code="430600-YB-0501-01")  # 生育保险待遇: pays into it
    for sub in app.subcases.order_by("position"):
        sub.refresh_from_db()
        if sub.pk != insurance.pk and sub.status == "in_review":
            lifecycle.decide(sub, people["shenpi_weijian"], decision="approved", now=at("2026-11-23", 11))
    insurance.refresh_from_db()
    assert insurance.status == "in_review"
    assert shown("shenpi_yibao") == (True, False)  # the step needs it while it runs
    lifecycle.decide(insurance, people["shenpi_yibao"], decision="approved", now=at("2026-11-23", 12))
    assert shown("shenpi_yibao") == (False, True)  # and no longer once decided
    api = login(people, "chuangkou").get(f"/api/v1/applications/{app.number}")
    assert api.status_code == 200 and account not in api.content.decode()


# ------------------------------------------------------------------------------- queue


def test_the_queue_is_ordered_by_urgency_counted_and_said_in_words(lights, people, on_today):
    page = html_of(login(people, "shenpi_weijian").get("/cases/approver/"))
    page = page[page.index('id="queue-counts"') :]
    listed = re.findall(r'data-level="(\w+)"', page)
    numbers = re.findall(r"(430600-20261\d{3}-\d{6}-01)", page)
    order = [lights[k].number for k in ("red_older", "red_newer", "yellow", "normal")]
    assert [n for n in dict.fromkeys(numbers) if n in order] == order
    assert listed == ["red", "red", "yellow", "normal"]
    assert lights["finished"].number not in page  # decided: off the queue
    assert lights["district"].number not in page  # another department's
    counts = {
        k: re.search(rf'id="count-{k}">(\d+)', page).group(1) for k in ("red", "yellow", "normal", "total")
    }
    assert counts == {"red": "2", "yellow": "1", "normal": "1", "total": "4"}
    # coloured and said: 红灯 overdue 4 and 2 working days (25, 26, 27, 30 / 27, 30), 黄灯 today
    assert '<span class="badge badge-danger light">红灯：已超期4个工作日</span>' in page
    assert '<span class="badge badge-danger light">红灯：已超期2个工作日</span>' in page
    assert '<span class="badge badge-warn light">黄灯：剩余1个工作日</span>' in page
    assert page.count("badge-warn light") == 1


def test_a_light_follows_the_clock_and_never_shows_on_a_decided_subcase(lights, people, on_today):
    finished, yellow, normal = lights["finished"], lights["yellow"], lights["normal"]
    assert finished.warning == "yellow" and urgency.light(finished, TODAY) is None
    assert normal.warning == "" and urgency.light(normal, TODAY) is None
    assert str(urgency.light(yellow, TODAY)) == "黄灯：剩余1个工作日"
    assert str(urgency.light(yellow, TODAY - dt.timedelta(days=3))) == "黄灯：剩余2个工作日"  # Fri
    # the level is the clock's: a due date alone does not make a case yellow
    normal.due_date = TODAY
    assert urgency.light(normal, TODAY) is None
    # the case page says it the same way, and not for the decided one
    weijian = login(people, "shenpi_weijian")

    def progress(sub):
        page = html_of(weijian.get(f"/cases/{sub.application.number}/"))
        return page[page.index('id="subcases"') : page.index("</ol>", page.index('id="subcases"'))]

    assert '<span class="badge badge-warn light">黄灯：剩余1个工作日</span>' in progress(yellow)
    assert "黄灯" not in progress(finished) and "light" not in progress(finished)


def test_the_application_light_is_coloured_worded_and_gone_once_decided(lights):
    app = lights["yellow"].application
    Application.objects.filter(pk=app.pk).update(warning="yellow")
    app.refresh_from_db()
    assert str(urgency.application_light(app)) == "黄灯：临近承诺办结日期"
    assert urgency.application_light(app).badge == "badge-warn"
    app.status = Application.Status.DECIDED
    assert urgency.application_light(app) is None


# ------------------------------------------------------------------------------- result files


def test_a_decision_carries_its_result_file_for_applicant_and_staff(submit, people):
    app = filed(submit, people, BIRTH, "2026-11-23")
    sub = app.subcases.get()
    approver = login(people, "shenpi_weijian")
    page = html_of(approver.get(f"/cases/{app.number}/"))
    assert 'enctype="multipart/form-data" class="stack decide-form"' in page and 'name="result"' in page
    body = sample_png("出生医学证明")
    r = approver.post(
        f"/cases/{app.number}/decide/",
        {
            "sub": sub.number,
            "decision": "approved",
            "reasons": "材料齐全",
            "result": SimpleUploadedFile("许可证-430602199001011235.png", body),
        },
        follow=True,
    )
    assert "办理结果文件已上传" in r.content.decode()
    sub.refresh_from_db()
    assert sub.status == "approved"
    [result] = ResultFile.objects.filter(subcase=sub)
    assert result.content_type == "image/png" and result.size == len(body)
    assert AuditRecord.objects.filter(action="subcase.result_file", object_id=sub.number).count() == 1
    url = f"/cases/{app.number}/results/{result.pk}/"
    for username in ("zhangsan", "chuangkou", "shenpi_weijian", "ducha"):
        page = html_of(login(people, username).get(f"/cases/{app.number}/"))
        assert url in page and "办理结果文件" in page, username
        download = login(people, username).get(url)
        assert download.status_code == 200 and b"".join(download.streaming_content) == body
        assert download["Content-Disposition"].startswith("attachment")
        assert download["X-Content-Type-Options"] == "nosniff"
    # the typed file name keeps its ID number for the owner only
    assert "430602199001011235.png" in login(people, "zhangsan").get(f"/cases/{app.number}/").content.decode()
    assert (
        "430602199001011235" not in login(people, "chuangkou").get(f"/cases/{app.number}/").content.decode()
    )
    for username in ("shenpi_yibao", "lisi"):
        assert login(people, username).get(url).status_code == 404


def test_a_refused_file_decides_nothing_and_a_refused_decision_keeps_no_file(submit, people):
    app = filed(submit, people, HYGIENE, "2026-11-23")
    sub = app.subcases.get()
    approver = login(people, "shenpi_weijian")
    r = approver.post(
        f"/cases/{app.number}/decide/",
        {"sub": sub.number, "decision": "approved", "result": SimpleUploadedFile("x.pdf", b"not a pdf")},
        follow=True,
    )
    assert "仅支持 PDF、JPEG、PNG 文件" in r.content.decode()
    sub.refresh_from_db()
    assert sub.status == "in_review" and not ResultFile.objects.exists()
    r = approver.post(  # 不予 without reasons: refused, the (valid) file is not kept
        f"/cases/{app.number}/decide/",
        {"sub": sub.number, "decision": "refused", "result": SimpleUploadedFile("r.pdf", sample_pdf())},
        follow=True,
    )
    assert "不予许可须说明理由" in r.content.decode()
    sub.refresh_from_db()
    assert sub.status == "in_review" and not ResultFile.objects.exists()
    # another department's approver: 404, nothing decided
    r = login(people, "shenpi_yibao").post(
        f"/cases/{app.number}/decide/", {"sub": sub.number, "decision": "approved"}
    )
    assert r.status_code == 404


# ------------------------------------------------------------------------------- remedies


def _pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", out.decode())


REMEDIES = ["行政复议", "六十日", "岳阳市人民政府", "上一级主管部门", "行政诉讼", "六个月", "人民法院"]


def test_the_refusal_notice_states_reasons_and_remedies(submit, people):
    app = filed(submit, people, HYGIENE, "2026-11-23")
    sub = app.subcases.get()
    lifecycle.decide(
        sub, people["shenpi_weijian"], decision="refused", reasons="检测报告不合格", now=at("2026-11-24")
    )
    notice = Notice.objects.get(application=app, kind="refusal")
    assert notice.department_name == "岳阳市卫生健康委员会" and notice.number.startswith("不许字")
    page = login(people, "zhangsan").get(f"/cases/{app.number}/").content.decode()
    url = f"/cases/{app.number}/notices/{notice.id}.pdf"
    assert url in page and "不予行政许可决定书" in page
    text = _pdf_text(login(people, "zhangsan").get(url).content)
    for phrase in ["不予行政许可决定书", "第三十八条", "检测报告不合格", sub.number, *REMEDIES]:
        assert phrase in text, phrase
    # the 办结通知书 repeats the remedies for the refused item
    completion = Notice.objects.get(application=app, kind="completion")
    text = _pdf_text(
        login(people, "zhangsan").get(f"/cases/{app.number}/notices/{completion.id}.pdf").content
    )
    for phrase in REMEDIES:
        assert phrase in text, phrase


def test_the_rejection_notice_states_remedies_and_the_district_government(submit, people):
    app = filed(submit, people, BIRTH_DISTRICT, "2026-11-20", accept=False, received=[])
    lifecycle.reject(app, people["chuangkou"], reason="不属于本机关职权范围", now=at("2026-11-23"))
    notice = Notice.objects.get(application=app, kind="rejection")
    text = _pdf_text(login(people, "zhangsan").get(f"/cases/{app.number}/notices/{notice.id}.pdf").content)
    for phrase in [
        "不予受理决定书",
        "第三十二条",
        "不属于本机关职权范围",
        *REMEDIES[:2],
        "岳阳楼区人民政府",
        *REMEDIES[3:],
    ]:
        assert phrase in text, phrase


# ------------------------------------------------------------------------------- supervisor


def test_the_board_counts_filters_and_exports(lights, people, on_today):
    ducha = login(people, "ducha")
    page = html_of(ducha.get("/cases/supervisor/"))
    for key in ("red_older", "red_newer", "yellow", "district"):
        assert lights[key].number in page, key
    for key in ("normal", "finished"):
        assert lights[key].number not in page, key  # no light, or decided
    counts = {k: re.search(rf'id="count-{k}">(\d+)', page).group(1) for k in ("red", "yellow", "total")}
    assert counts == {"red": "3", "yellow": "1", "total": "4"}
    departments = re.findall(
        r"<tr><td>([^<]+)</td><td class=\"num\" data-label=\"红灯\">(\d+)</td><td class=\"num\" data-label=\"黄灯\">(\d+)</td>",
        page,
    )
    assert ("岳阳市卫生健康委员会", "2", "1") in departments and (
        "岳阳市岳阳楼区卫生健康局",
        "1",
        "0",
    ) in departments
    assert "黄灯：剩余1个工作日" in page and "红灯：已超期4个工作日" in page

    red = html_of(ducha.get("/cases/supervisor/", {"level": "red"}))
    assert lights["yellow"].number not in red and lights["red_older"].number in red
    assert 'id="count-yellow">1' in red  # the level counts ignore the level filter
    district = html_of(ducha.get("/cases/supervisor/", {"region": "430602"}))
    assert lights["district"].number in district and lights["red_older"].number not in district
    city_health = lights["yellow"].department_id
    dept = html_of(ducha.get("/cases/supervisor/", {"department": city_health, "level": "yellow"}))
    assert lights["yellow"].number in dept and lights["red_older"].number not in dept
    assert f"?level=yellow&amp;department={city_health}" in dept  # the export keeps the filters
    ignored = html_of(ducha.get("/cases/supervisor/", {"department": "not-mine", "level": "purple"}))
    assert lights["district"].number in ignored

    from openpyxl import load_workbook

    export = ducha.get("/cases/supervisor/export.xlsx", {"level": "red"})
    assert export.status_code == 200 and export["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "红灯" in rows[0][0] and rows[1][:3] == ["子件编号", "办件编号", "事项"]
    assert sorted(r[0] for r in rows[2:]) == sorted(
        lights[k].number for k in ("red_older", "red_newer", "district")
    )
    cells = " ".join(str(v) for row in rows for v in row if v is not None)
    assert ZHANG_ID not in cells and WANG_ID not in cells and "13800000001" not in cells
    assert "4306**********1235" in cells and "138****0001" in cells and "红灯：已超期4个工作日" in cells
    assert AuditRecord.objects.filter(action="supervision.export", actor=people["ducha"]).count() == 1
    # not a supervisor: 404
    assert login(people, "shenpi_weijian").get("/cases/supervisor/export.xlsx").status_code == 404


def test_supervise_is_audited_and_told_to_the_department_through_the_outbox(
    lights, people, settings, make_user
):
    settings.ONETHING = {**settings.ONETHING, "NOTIFICATION_BACKENDS": ["inbox", "sms"]}
    sub = lights["red_older"]
    approvers = set(
        User.objects.filter(
            staff_roles__role=StaffRole.APPROVER, staff_roles__department_id=sub.department_id
        )
    )
    User.objects.filter(pk__in=[u.pk for u in approvers]).update(phone="13700000009")  # SMS needs one
    ducha = login(people, "ducha")
    board = html_of(ducha.get("/cases/supervisor/", {"level": "red"}))
    assert f'action="/cases/supervisor/supervise/{sub.number}/"' in board
    note = f"请今日办结，申请人 {ZHANG_ID} 已多次来电"
    r = ducha.post(f"/cases/supervisor/supervise/{sub.number}/", {"note": note, "level": "red"})
    assert r.status_code == 302 and r["Location"] == "/cases/supervisor/?level=red"
    [entry] = AuditRecord.objects.filter(action="subcase.supervise", object_id=sub.number)
    assert entry.reason == note and entry.actor == people["ducha"] and entry.data["warning"] == "red"
    sub.refresh_from_db()
    assert sub.status == "in_review"  # recorded only
    sms = OutboxMessage.objects.filter(event="case.supervise", channel="sms")
    assert {m.recipient for m in sms} == approvers and approvers
    inbox = Notification.objects.filter(event="case.supervise", recipient=people["shenpi_weijian"])
    for message in [*sms, *inbox]:
        assert (
            sub.number in message.title
            and ZHANG_ID not in message.body
            and "4306**********1235" in message.body
        )
    assert not OutboxMessage.objects.filter(event="case.supervise", recipient=people["zhangsan"]).exists()
    # the board says it; the department sees it in the history; the applicant does not
    assert "已督办 1 次" in html_of(ducha.get("/cases/supervisor/"))
    number = sub.application.number
    assert "督办" in login(people, "shenpi_weijian").get(f"/cases/{number}/").content.decode()
    assert "督办" not in login(people, "zhangsan").get(f"/cases/{number}/").content.decode()

    # a note is required: the form comes back with the error
    r = ducha.post(f"/cases/supervisor/supervise/{sub.number}/", {"note": "  "})
    assert (
        r.status_code == 400
        and "督办意见" in r.content.decode()
        and 'aria-invalid="true"' in r.content.decode()
    )
    # a decided sub-case cannot be pressed (the engine refuses; nothing recorded)
    finished = lights["finished"]
    r = ducha.post(f"/cases/supervisor/supervise/{finished.number}/", {"note": "催办"}, follow=True)
    assert "当前状态“不予许可”不能执行“督办”" in r.content.decode()
    assert not AuditRecord.objects.filter(action="subcase.supervise", object_id=finished.number).exists()
    # outside the supervisor's regions: 404; not a supervisor: 404
    pingjiang = make_user("ducha_pj", roles=[(StaffRole.SUPERVISOR, {"region_id": "430626"})])
    other = Client()
    other.force_login(pingjiang)
    assert other.post(f"/cases/supervisor/supervise/{sub.number}/", {"note": "x"}).status_code == 404
    assert (
        login(people, "shenpi_weijian")
        .post(f"/cases/supervisor/supervise/{sub.number}/", {"note": "x"})
        .status_code
        == 404
    )
    assert AuditRecord.objects.filter(action="subcase.supervise").count() == 1
