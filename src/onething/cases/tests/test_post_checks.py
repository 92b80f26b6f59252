"""告知承诺事后核查: the API (list with filters, recording) and the approver's page — only
approvers of the sub-case's department may record (404 with no data for anyone else), a
check is recorded once (409), and a commitment found untrue notifies the applicant."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from onething.cases import lifecycle
from onething.cases.models import PostCheck
from onething.cases.tests.conftest import at
from onething.cases.tests.test_lifecycle import upload_all
from onething.notifications.models import Notification

pytestmark = pytest.mark.django_db
URL = "/api/v1/post-checks"


@pytest.fixture
def committed(submit, people, upload_factory):
    """新生儿出生 accepted on commitment: 卫健 has sub-cases 01 and 02, 医保 has 03."""
    app = submit()
    upload_all(app, people, upload_factory)
    lifecycle.accept_on_commitment(
        app,
        people["chuangkou"],
        commitment_text="本人承诺所填信息真实",
        signed_by_name="张三",
        now=at("2026-11-23"),
    )
    return app


@pytest.fixture
def api(people, token_for):
    def make(username):
        return Client(HTTP_AUTHORIZATION=token_for(people[username]))

    return make


def login(people, username):
    c = Client()
    c.force_login(people[username])
    return c


def record_url(app, sub):
    return f"/api/v1/applications/{app.number}/subcases/{app.number}-{sub}/post-check"


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def no_data(response, app):
    text = response.content.decode()
    assert app.number not in text and "新生儿" not in text and "张小宝" not in text and "王芳" not in text


# ------------------------------------------------------------------------------- API


def test_list_is_scoped_filtered_and_ordered(committed, api):
    app = committed
    PostCheck.objects.filter(subcase__number=f"{app.number}-02").update(due_date=dt.date(2026, 12, 1))
    r = api("shenpi_weijian").get(URL)
    assert r.status_code == 200
    rows = r.json()
    assert [c["subcase"] for c in rows] == [f"{app.number}-02", f"{app.number}-01"]  # by due date
    assert rows[0]["status"] == "open" and rows[0]["application"] == app.number
    assert rows[0]["department"]["name"] and rows[1]["due_date"] == "2026-12-21"
    assert [c["subcase"] for c in api("shenpi_yibao").get(URL).json()] == [f"{app.number}-03"]
    assert len(api("ducha").get(URL).json()) == 3  # the supervisor: the whole region
    for username in ("shenpi_gongan", "zhangsan", "chuangkou", "lisi"):
        r = api(username).get(URL)
        assert r.status_code == 200 and r.json() == [], username
    assert api("shenpi_weijian").get(URL + "?status=passed").json() == []
    r = post(
        api("shenpi_weijian"), record_url(app, "01"), {"passed": True, "result": "现场核实，出生信息属实"}
    )
    assert r.status_code == 200
    assert [c["subcase"] for c in api("shenpi_weijian").get(URL + "?status=passed").json()] == [
        f"{app.number}-01"
    ]
    assert [c["subcase"] for c in api("shenpi_weijian").get(URL + "?status=open").json()] == [
        f"{app.number}-02"
    ]
    assert api("shenpi_weijian").get(URL + "?status=failed").json() == []
    r = api("shenpi_weijian").get(URL + "?status=closed")
    assert r.status_code == 422 and r.json()["error"]["field"] == "status"
    assert Client().get(URL).status_code == 401


def test_approver_records_and_applicant_is_told_when_untrue(
    committed, api, people, django_capture_on_commit_callbacks
):
    app = committed
    with django_capture_on_commit_callbacks(execute=True):
        r = post(
            api("shenpi_yibao"), record_url(app, "03"), {"passed": False, "result": "经核查，母亲未参保"}
        )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "failed" and body["status_name"] == "承诺不实"
    assert body["result"] == "经核查，母亲未参保" and body["checked_by"] and body["checked_at"]
    check = PostCheck.objects.get(subcase__number=f"{app.number}-03")
    assert check.status == "failed" and check.checked_by == people["shenpi_yibao"]
    told = Notification.objects.filter(recipient=people["zhangsan"], event="case.post_check")
    assert told.count() == 1 and "承诺不实" in told.get().title
    # recorded once: a second attempt is an illegal transition
    r = post(api("shenpi_yibao"), record_url(app, "03"), {"passed": True, "result": "再次核查"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
    check.refresh_from_db()
    assert check.status == "failed" and check.result == "经核查，母亲未参保"
    # the progress view shows the outcome with the sub-case
    view = api("zhangsan").get(f"/api/v1/applications/{app.number}").json()
    checks = {s["number"]: s["post_check"] for s in view["subcases"]}
    assert checks[f"{app.number}-03"]["status"] == "failed"
    assert checks[f"{app.number}-01"]["status"] == "open"


def test_only_the_departments_approvers_may_record(committed, api):
    app = committed
    # another department, the window, the supervisor, the applicant: the post-check does not exist
    for username, sub in [
        ("shenpi_yibao", "01"),
        ("shenpi_gongan", "03"),
        ("chuangkou", "03"),
        ("ducha", "03"),
        ("zhangsan", "03"),
        ("lisi", "03"),
    ]:
        r = post(api(username), record_url(app, sub), {"passed": True, "result": "属实"})
        assert r.status_code == 404, username
        assert r.json()["error"]["code"] == "not_found"
        no_data(r, app)
    assert not PostCheck.objects.exclude(status="open").exists()
    # unknown application or sub-case
    r = post(api("shenpi_yibao"), f"/api/v1/applications/{app.number}/subcases/nope/post-check", {})
    assert r.status_code in (404, 422)
    r = post(api("shenpi_yibao"), record_url(app, "09"), {"passed": True, "result": "属实"})
    assert r.status_code == 404
    r = post(
        api("shenpi_yibao"),
        "/api/v1/applications/430600-20990101-000001/subcases/430600-20990101-000001-01/post-check",
        {"passed": True, "result": "属实"},
    )
    assert r.status_code == 404


def test_result_is_required(committed, api):
    app = committed
    for body in ({"passed": True, "result": ""}, {"passed": True, "result": "   "}):
        r = post(api("shenpi_yibao"), record_url(app, "03"), body)
        assert r.status_code == 400
        error = r.json()["error"]
        assert error["field"] == "result" and "核查结果" in error["message"]
    r = post(api("shenpi_yibao"), record_url(app, "03"), {"passed": True})
    assert r.status_code == 422 and r.json()["error"]["field"] == "result"
    r = post(api("shenpi_yibao"), record_url(app, "03"), {"result": "属实"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "passed"
    assert PostCheck.objects.get(subcase__number=f"{app.number}-03").status == "open"


def test_subcase_without_post_check_is_not_found(submit, api):
    app = submit()  # not accepted on commitment: no post-check
    r = post(api("shenpi_yibao"), record_url(app, "03"), {"passed": True, "result": "属实"})
    assert r.status_code == 404


# ------------------------------------------------------------------------------- web


def test_post_check_page_marks_overdue_and_due_soon(committed, people):
    app = committed
    today = timezone.localdate()
    PostCheck.objects.filter(subcase__number=f"{app.number}-01").update(due_date=today - dt.timedelta(days=1))
    PostCheck.objects.filter(subcase__number=f"{app.number}-02").update(due_date=today + dt.timedelta(days=2))
    r = login(people, "shenpi_weijian").get("/cases/post-checks/")
    html = r.content.decode()
    assert r.status_code == 200
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html
    first, second = html.index(f'id="pc-{app.number}-01"'), html.index(f'id="pc-{app.number}-02"')
    assert first < second  # the most pressing first
    assert "badge-danger" in html[first:second] and "已过核查期限" in html[first:second]
    assert "badge-warn" in html[second:] and "即将到期" in html[second:]
    assert html.count('class="stack post-check-form"') == 2
    assert f"{app.number}-03" not in html  # 医保's post-check is not 卫健's business
    html = login(people, "shenpi_yibao").get("/cases/post-checks/").content.decode()
    assert f'id="pc-{app.number}-03"' in html and f"{app.number}-01" not in html
    # only approvers have the page
    for username in ("zhangsan", "chuangkou", "ducha"):
        assert login(people, username).get("/cases/post-checks/").status_code == 404, username
    # linked from the approver queue and the staff tiles
    weijian = login(people, "shenpi_weijian")
    assert 'href="/cases/post-checks/"' in weijian.get("/cases/approver/").content.decode()
    assert "2 项待核查" in weijian.get("/cases/approver/").content.decode()
    assert 'href="/cases/post-checks/"' in weijian.get("/cases/").content.decode()
    assert 'href="/cases/post-checks/"' not in login(people, "zhangsan").get("/cases/").content.decode()


def test_record_from_the_page(committed, people, django_capture_on_commit_callbacks):
    app = committed
    weijian = login(people, "shenpi_weijian")
    url = f"/cases/post-checks/{app.number}-01/"
    # result missing: shown at the field, the chosen outcome kept, nothing recorded
    r = weijian.post(url, {"outcome": "failed", "result": "  "})
    html = r.content.decode()
    assert r.status_code == 400
    assert re.search(r'<p class="error" id="result-error-\d+">请填写核查结果</p>', html)
    assert 'value="failed" checked' in html
    r = weijian.post(url, {"result": "已核实"})
    assert r.status_code == 400 and re.search(r'id="outcome-error-\d+">请选择核查结论', r.content.decode())
    assert ">已核实</textarea>" in r.content.decode()
    assert PostCheck.objects.get(subcase__number=f"{app.number}-01").status == "open"
    # another department's approver, the applicant, the window: 404, nothing changes
    for username in ("shenpi_yibao", "zhangsan", "chuangkou"):
        r = login(people, username).post(url, {"outcome": "passed", "result": "属实"})
        assert r.status_code == 404, username
        no_data(r, app)
    assert login(people, "shenpi_weijian").get(url).status_code == 405
    assert weijian.post("/cases/post-checks/nope/", {"outcome": "passed", "result": "x"}).status_code == 404
    # recorded
    with django_capture_on_commit_callbacks(execute=True):
        r = weijian.post(url, {"outcome": "failed", "result": "出生医学证明信息与医院记录不符"})
    assert r.status_code == 302 and r["Location"] == "/cases/post-checks/"
    check = PostCheck.objects.get(subcase__number=f"{app.number}-01")
    assert check.status == "failed" and check.result == "出生医学证明信息与医院记录不符"
    assert Notification.objects.filter(recipient=people["zhangsan"], event="case.post_check").exists()
    page = weijian.get("/cases/post-checks/").content.decode()
    assert "已记录事后核查结果" in page and f'id="pc-{app.number}-01"' not in page
    page = weijian.get("/cases/post-checks/?status=failed").content.decode()
    assert f'id="pc-{app.number}-01"' in page and "出生医学证明信息与医院记录不符" in page
    # a second attempt (e.g. a colleague's stale page) is refused, the first result stands
    r = weijian.post(url, {"outcome": "passed", "result": "属实"}, follow=True)
    assert "当前状态“承诺不实”不能执行“记录事后核查结果”" in r.content.decode()
    check.refresh_from_db()
    assert check.status == "failed"


def test_detail_page_shows_post_check_status(committed, people):
    app = committed
    lifecycle.record_post_check(
        PostCheck.objects.get(subcase__number=f"{app.number}-03"),
        people["shenpi_yibao"],
        passed=True,
        result="医保参保信息属实",
    )
    html = login(people, "zhangsan").get(f"/cases/{app.number}/").content.decode()
    assert html.count('class="post-check"') == 3
    assert "核查属实" in html and "医保参保信息属实" in html and "待核查" in html
    # the approver is pointed to the page where open checks are recorded
    html = login(people, "shenpi_weijian").get(f"/cases/{app.number}/").content.decode()
    assert f'href="/cases/post-checks/#pc-{app.number}-01"' in html
