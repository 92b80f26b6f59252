"""The applications API: idempotent intake (also under races), form validation naming the
field, progress with masking, staff actions, files, and object-level authorisation (404 with
no data for anyone who may not see the application)."""

from __future__ import annotations

import json
import os
import threading

import pytest
from django.db import connection
from django.test import Client

from onething.cases import intake
from onething.cases.models import Application, SubCase
from onething.cases.tests.conftest import ANSWERS, BUNDLE, FORM, sample_pdf
from onething.cases.tests.conftest import in_days as _in_days

pytestmark = pytest.mark.django_db
URL = "/api/v1/applications"


def body(**overrides):
    plan = intake.load_plan("bundle", BUNDLE, ANSWERS)
    asked = {f.element for f in plan.form}
    form = {k: v for k, v in intake.flatten(FORM).items() if k in asked}
    return {"bundle": BUNDLE, "answers": ANSWERS, "form": form, "channel": "web", **overrides}


@pytest.fixture
def client_for(people, token_for):
    def make(username):
        return Client(HTTP_AUTHORIZATION=token_for(people[username]))

    return make


def post(client, url, data=None, **headers):
    return client.post(url, json.dumps(data or {}), content_type="application/json", **headers)


def test_create_is_idempotent(client_for):
    c = client_for("zhangsan")
    first = post(c, URL, body(), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["status"] == "submitted" and data["created"] is True
    assert data["links"] == {"self": f"{URL}/{data['number']}"}
    assert "subcases" not in data  # compact: the progress view is one GET away
    progress = c.get(data["links"]["self"])
    assert progress.status_code == 200 and len(progress.json()["subcases"]) == 3
    again = post(c, URL, body(), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert again.status_code == 200 and again.json()["number"] == data["number"]
    assert again.json()["created"] is False
    assert Application.objects.count() == 1
    conflict = post(c, URL, body(answers={**ANSWERS, "want_social_card": True}), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "idempotency_conflict"
    # another applicant may use the same key
    other = post(client_for("lisi"), URL, body(), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert other.status_code == 201 and other.json()["number"] != data["number"]
    # without a key every request is a new application
    assert post(c, URL, body()).status_code == 201
    assert Application.objects.count() == 3


def test_lost_race_returns_the_winner(people, monkeypatch):
    """Two identical requests both miss the lookup; the unique constraint lets one win."""
    winner = intake.submit(
        people["zhangsan"],
        kind="bundle",
        code=BUNDLE,
        answers=ANSWERS,
        form=body()["form"],
        idempotency_key="race",
    )
    real = intake._existing
    calls = {"n": 0}

    def miss_once(actor, key, digest):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(actor, key, digest)

    monkeypatch.setattr(intake, "_existing", miss_once)
    loser = intake.submit(
        people["zhangsan"],
        kind="bundle",
        code=BUNDLE,
        answers=ANSWERS,
        form=body()["form"],
        idempotency_key="race",
    )
    assert not loser.created and loser.application.pk == winner.application.pk
    assert Application.objects.filter(idempotency_key="race").count() == 1
    assert SubCase.objects.filter(application=winner.application).count() == 3


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="real concurrency needs PostgreSQL (SQLite serialises writers anyway; see the race test above)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_create_one_application(demo, people, token_for):
    token = token_for(people["zhangsan"])
    results, errors = [], []
    barrier = threading.Barrier(8)

    def worker():
        try:
            c = Client(HTTP_AUTHORIZATION=token)
            barrier.wait()
            r = post(c, URL, body(), HTTP_IDEMPOTENCY_KEY="same-key")
            results.append((r.status_code, r.json().get("number")))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert {s for s, _ in results} <= {200, 201}
    assert len({n for _, n in results}) == 1
    assert Application.objects.filter(idempotency_key="same-key").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "expect"),
    [
        ("mother.id_number", "430602199201011222", "form.mother.id_number"),
        ("child.birth_date", "2026-02-30", "form.child.birth_date"),
        ("child.gender", "未知", "form.child.gender"),
        ("applicant.phone", "12345", "form.applicant.phone"),
        ("child.name", "", "form.child.name"),
        ("child.name", "张\x00小宝", "form.child.name"),
        ("nonsense.field", "x", "form.nonsense.field"),
    ],
)
def test_form_errors_name_the_field(client_for, field, value, expect):
    data = body()
    data["form"] = {**data["form"], field: value}
    r = post(client_for("zhangsan"), URL, data, HTTP_IDEMPOTENCY_KEY=f"f-{field}")
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    # the field by its path for programs, the message in words for people (its Chinese label)
    assert error["field"] == expect and "“" in error["message"]
    assert not Application.objects.exists()


def test_value_types():
    assert intake._check_value("integer", "12", [])[1] is None
    assert intake._check_value("integer", True, [])[1]
    assert intake._check_value("decimal", "1.50", [])[0] == "1.50"
    assert intake._check_value("decimal", "abc", [])[1]
    assert intake._check_value("decimal", "NaN", [])[1]
    assert intake._check_value("boolean", "是", [])[0] is True
    assert intake._check_value("boolean", "maybe", [])[1]
    assert intake._check_value("uscc", "91430600MA4L00001C", [])[1] is None
    assert "统一社会信用代码" in intake._check_value("uscc", "91430600MA4L00001D", [])[1]
    assert intake._check_value("phone", "0730-8888888", [])[1] is None
    assert intake._check_value("phone", "13800000001", [])[1] is None
    assert intake._check_value("email", "a@b.cn", [])[1] is None
    assert intake._check_value("email", "a@b", [])[1]
    assert intake._check_value("region", "430602", [])[1] is None
    assert intake._check_value("string", 5, [])[1]
    assert intake._check_value("text", "x" * 5000, [])[1]
    assert intake._check_value("id_number", 5, [])[1]


def test_bad_requests(client_for):
    c = client_for("zhangsan")
    assert post(c, URL, {"answers": {}}).json()["error"]["field"] == "bundle"
    r = post(c, URL, body(bundle="NOPE"))
    assert r.status_code == 404
    r = post(c, URL, body(answers={"parents_local_hukou": "maybe"}))
    assert r.status_code == 400 and r.json()["error"]["field"] == "answers.parents_local_hukou"
    r = post(c, URL, body(answers={"parents_local_hukou": False}))
    assert r.status_code == 400 and r.json()["error"]["field"].startswith("answers.")
    r = post(c, URL, body(channel="fax"))
    assert r.status_code == 400 and r.json()["error"]["field"] == "channel"
    r = post(c, URL, body(channel="window"))
    assert r.status_code == 400
    r = post(c, URL, body(), HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert r.status_code == 400
    assert Client().post(URL, "{}", content_type="application/json").status_code == 401


def _create(client_for, user="zhangsan", key="p-1"):
    r = post(client_for(user), URL, body(), HTTP_IDEMPOTENCY_KEY=key)
    assert r.status_code == 201
    return r.json()["number"]


def test_authorisation_boundaries(client_for, people, make_user):
    number = _create(client_for)
    owner = client_for("zhangsan").get(f"{URL}/{number}")
    assert owner.status_code == 200
    assert owner.json()["applicant"]["id_number"] == "430602199001011235"
    # the hall's clerk and the region's supervisor see it, personal numbers masked
    for username in ("chuangkou", "ducha"):
        r = client_for(username).get(f"{URL}/{number}")
        assert r.status_code == 200, username
        text = r.content.decode()
        assert "430602199001011235" not in text and "430602199201011221" not in text
        assert r.json()["applicant"]["id_number"] == "4306**********1235"
    # approvers of a department with a sub-case see only their own sub-cases
    r = client_for("shenpi_yibao").get(f"{URL}/{number}")
    assert r.status_code == 200
    assert [s["item"] for s in r.json()["subcases"]] == ["430600-YB-0501-01"]
    # others: 404 with no data
    for username in ("lisi", "shenpi_gongan", "shenpi_shichang"):
        r = client_for(username).get(f"{URL}/{number}")
        assert r.status_code == 404, username
        assert number not in r.content.decode() and "张" not in r.content.decode()
        assert post(client_for(username), f"{URL}/{number}/accept").status_code == 404
    other_clerk = make_user("clerk2", roles=[("window_clerk", {"hall_id": "pingjiang-county-hall"})])
    other_sup = make_user("sup2", roles=[("supervisor", {"region_id": "430626"})])
    from onething.accounts.models import ApiToken

    for user in (other_clerk, other_sup):
        _, raw = ApiToken.issue(user)
        assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(f"{URL}/{number}").status_code == 404
    assert client_for("lisi").get(f"{URL}/430600-20990101-000001").status_code == 404
    # sub-case of another department: 404 even for an approver who sees the application
    sub = f"{number}-01"
    r = post(client_for("shenpi_yibao"), f"{URL}/{number}/subcases/{sub}/decide", {"decision": "approved"})
    assert r.status_code == 404
    # visible but not allowed: 403 (the applicant cannot accept their own application)
    r = post(client_for("zhangsan"), f"{URL}/{number}/accept")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    # lists are scoped the same way
    assert [a["number"] for a in client_for("zhangsan").get(URL).json()] == [number]
    assert client_for("lisi").get(URL).json() == []
    assert [a["number"] for a in client_for("ducha").get(URL).json()] == [number]
    assert [a["number"] for a in client_for("shenpi_yibao").get(URL + "?status=submitted").json()] == [number]


def test_enterprise_and_agent_applications(client_for, people, token_for):
    # lisi is the legal representative of the demo enterprise
    r = post(client_for("zhangsan"), URL, body(enterprise="91430600MA4L00001C"))
    assert r.status_code == 403
    r = post(client_for("lisi"), URL, body(enterprise="91430600MA4L00001C"))
    assert r.status_code == 201
    r = post(client_for("lisi"), URL, body(enterprise="91430600MA4L00001D"))
    assert r.status_code == 400
    agent_body = body(channel="agent", applicant={"name": "李四", "id_number": "430626198805052012"})
    r = post(client_for("zhangsan"), URL, agent_body)
    assert r.status_code == 400 and r.json()["error"]["field"] == "agent_authorisation"
    agent_body["authorisation"] = {"document": "授权委托书-001", "valid_until": "2026-12-31"}
    r = post(client_for("zhangsan"), URL, agent_body)
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    app = Application.objects.get(number=number)
    assert app.applicant == people["lisi"] and app.agent == people["zhangsan"]
    assert client_for("lisi").get(f"{URL}/{number}").status_code == 200
    assert client_for("zhangsan").get(f"{URL}/{number}").status_code == 200


def test_an_agent_needs_the_enterprises_authorisation_too(client_for, people):
    """An agent naming an enterprise it holds no authorisation for is refused: otherwise
    everyone authorised for that enterprise would see a case filed by a stranger."""
    agent_body = body(
        channel="agent",
        applicant={"name": "李四", "id_number": "430626198805052012"},
        authorisation={"document": "授权委托书-002"},
        enterprise="91430600MA4L00001C",
    )
    before = Application.objects.count()
    r = post(client_for("zhangsan"), URL, agent_body)
    assert r.status_code == 403 and r.json()["error"]["field"] == "enterprise"
    assert Application.objects.count() == before


def test_a_key_reused_for_someone_else_is_a_conflict(client_for):
    """The idempotency hash covers on whose behalf: same key, other represented person → 409."""
    clerk = client_for("chuangkou")
    first = body(channel="window", applicant={"name": "张三", "id_number": "430602199001011235"})
    r = post(clerk, URL, first, HTTP_IDEMPOTENCY_KEY="same-key-1")
    assert r.status_code == 201
    other = body(channel="window", applicant={"name": "王芳", "id_number": "430602199201011221"})
    r = post(clerk, URL, other, HTTP_IDEMPOTENCY_KEY="same-key-1")
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict"
    assert post(clerk, URL, first, HTTP_IDEMPOTENCY_KEY="same-key-1").status_code == 200


def test_window_intake_on_behalf(client_for):
    c = client_for("chuangkou")
    r = post(c, URL, body(channel="window", applicant={"name": "王五", "id_number": "430602199001011234"}))
    assert r.status_code == 400 and r.json()["error"]["field"] == "applicant.id_number"
    r = post(
        c,
        URL,
        body(channel="window", applicant={"name": "王五", "id_number": "430602199001011235", "phone": "1"}),
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "applicant.phone"
    r = post(c, URL, body(channel="window", applicant={"name": "张三", "id_number": "430602199001011235"}))
    assert r.status_code == 201
    number = r.json()["number"]
    app = Application.objects.get(number=number)
    assert app.hall_id == "yueyang-city-hall" and app.applicant.username == "zhangsan"
    # the applicant sees what the window filed for them
    assert client_for("zhangsan").get(f"{URL}/{number}").status_code == 200
    # an applicant cannot file at a window
    r = post(
        client_for("lisi"),
        URL,
        body(channel="window", applicant={"name": "张三", "id_number": "430602199001011235"}),
    )
    assert r.status_code == 403


def _pdf(**kw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("a.pdf", sample_pdf("x" * kw.get("size", 10)), content_type="image/png")


def test_staff_actions_end_to_end(client_for, settings):
    number = _create(client_for)
    applicant, clerk = client_for("zhangsan"), client_for("chuangkou")
    for material in ("maternal-health-handbook", "bank-account"):
        r = applicant.post(f"{URL}/{number}/materials/{material}", {"file": _pdf()})
        assert r.status_code == 201, r.content
        assert r.json()["content_type"] == "application/pdf"
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = applicant.post(
        f"{URL}/{number}/materials/bank-account", {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00evil")}
    )
    assert r.status_code == 415
    settings.ONETHING = {**settings.ONETHING, "UPLOAD_MAX_BYTES": 100}
    r = applicant.post(f"{URL}/{number}/materials/bank-account", {"file": _pdf(size=200)})
    assert r.status_code == 413
    r = applicant.post(f"{URL}/{number}/materials/id-card", {"file": _pdf()})
    assert r.status_code == 400  # exempt: obtained by the platform
    r = applicant.post(f"{URL}/{number}/materials/nothing", {"file": _pdf()})
    assert r.status_code == 404
    assert (
        client_for("ducha").post(f"{URL}/{number}/materials/bank-account", {"file": _pdf()}).status_code
        == 403
    )

    assert post(clerk, f"{URL}/{number}/pre-review").json()["status"] == "pre_reviewed"
    r = post(clerk, f"{URL}/{number}/accept", {"reason": "材料齐全"})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    data = r.json()
    assert data["due_date"] and data["subcases"][0]["status"] == "in_review"
    again = post(clerk, f"{URL}/{number}/accept")
    assert again.status_code == 409 and "不能执行" in again.json()["error"]["message"]

    # the material download goes through the authorisation check
    material = next(m for m in data["materials"] if m["source"] == "upload")
    url = f"{URL}/{number}/materials/{material['id']}/file"
    assert applicant.get(url).status_code == 200
    assert b"".join(applicant.get(url).streaming_content).startswith(b"%PDF")
    assert client_for("lisi").get(url).status_code == 404
    assert applicant.get(f"{URL}/{number}/materials/999999/file").status_code == 404

    weijian, yibao = client_for("shenpi_weijian"), client_for("shenpi_yibao")
    sub1 = f"{number}-01"
    assert post(weijian, f"{URL}/{number}/subcases/{sub1}/start").json()["status"] == "in_review"
    r = post(
        weijian, f"{URL}/{number}/subcases/{sub1}/special-procedure", {"kind": "testing", "reason": "检验"}
    )
    assert r.json()["status"] == "special"
    assert (
        post(weijian, f"{URL}/{number}/subcases/{sub1}/special-procedure/end").json()["status"] == "in_review"
    )
    # naming an approver no longer applies an extension: it is a request for a supervisor
    r = post(
        weijian,
        f"{URL}/{number}/subcases/{sub1}/extend",
        {"days": 2, "reason": "复杂", "approved_by": "ducha"},
    )
    assert r.status_code == 202 and r.json()["status"] == "pending"
    r = post(weijian, f"{URL}/{number}/subcases/{sub1}/extend", {"days": 2, "reason": "复杂"})
    assert r.status_code == 409  # one pending request per sub-case
    r = post(weijian, f"{URL}/{number}/subcases/{sub1}/decide", {"decision": "maybe"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "decision"
    assert (
        post(weijian, f"{URL}/{number}/subcases/{sub1}/decide", {"decision": "approved"}).json()["status"]
        == "approved"
    )
    assert (
        post(weijian, f"{URL}/{number}/subcases/{number}-02/decide", {"decision": "approved"}).status_code
        == 200
    )
    r = post(yibao, f"{URL}/{number}/inspection", {"on": "2026-12-01"})
    assert r.status_code == 409
    assert (
        post(yibao, f"{URL}/{number}/subcases/{number}-03/decide", {"decision": "approved"}).status_code
        == 200
    )
    data = applicant.get(f"{URL}/{number}").json()
    assert data["status"] == "decided"
    assert {n["kind"] for n in data["notices"]} == {"acceptance", "completion"}
    assert [h["action"] for h in data["history"]][:2] == ["提交申请", "上传材料"]
    assert (
        post(clerk, f"{URL}/{number}/result-ready", {"method": "window"}).json()["status"] == "result_ready"
    )
    assert post(clerk, f"{URL}/{number}/deliver", {"method": "window"}).json()["status"] == "delivered"
    assert post(clerk, f"{URL}/{number}/close").json()["status"] == "closed"


def test_reject_correction_withdraw_via_api(client_for):
    clerk, applicant = client_for("chuangkou"), client_for("zhangsan")
    n1 = _create(client_for, key="r1")
    r = post(clerk, f"{URL}/{n1}/reject", {"reason": "不属于受理范围"})
    assert r.json()["status"] == "rejected"
    n2 = _create(client_for, key="r2")
    assert (
        post(clerk, f"{URL}/{n2}/correction", {"items": ["缺少银行账户"], "reason": "补正"}).json()["status"]
        == "correction"
    )
    assert post(applicant, f"{URL}/{n2}/resubmit").json()["status"] == "submitted"
    r = post(
        clerk,
        f"{URL}/{n2}/accept-with-gaps",
        {"gaps": ["maternal-health-handbook", "bank-account"], "commitment_date": _in_days(14)},
    )
    assert r.status_code == 200 and r.json()["intake"] == "gaps"
    assert post(applicant, f"{URL}/{n2}/withdraw", {"reason": "不办了"}).json()["status"] == "withdrawn"
    n3 = _create(client_for, key="r3")
    r = post(
        clerk, f"{URL}/{n3}/accept-on-commitment", {"commitment_text": "承诺属实", "signed_by_name": "张三"}
    )
    assert r.status_code == 200 and r.json()["status"] == "decided"
    n4 = _create(client_for, key="r4")
    r = post(clerk, f"{URL}/{n4}/accept", {"received": ["maternal-health-handbook", "bank-account"]})
    assert r.json()["status"] == "accepted"
    r = post(client_for("shenpi_yibao"), f"{URL}/{n4}/correction", {"items": ["账户"], "reason": "账户有误"})
    assert r.json()["status"] == "correction"
    r = post(clerk, f"{URL}/{n4}/inspection/result", {"result": "passed"})
    assert r.status_code == 409


def test_openapi_declares_statuses(client_for):
    doc = Client().get("/api/v1/openapi.json").json()
    create = doc["paths"]["/api/v1/applications"]["post"]["responses"]
    assert {"200", "201", "400", "401", "404", "409"} <= set(create)


def test_a_catalog_fault_reads_the_same_in_the_plan_api_and_at_intake(client_for, monkeypatch):
    """One plan wrapper: a fault of the published definition (a member withdrawn after
    publication) is a 409 naming the catalog both when planning and when applying; before,
    intake turned it into a 400 as if the applicant had answered wrongly."""
    from onething.catalog import planner

    payload = body()  # planned before the fault

    def broken(*args, **kwargs):
        raise planner.DefinitionError("members", "成员事项已撤回")

    monkeypatch.setattr(planner, "plan_bundle", broken)
    c = client_for("zhangsan")
    planned = post(c, f"/api/v1/catalog/bundles/{BUNDLE}/plan", {"answers": ANSWERS})
    applied = post(c, URL, payload)
    assert planned.status_code == applied.status_code == 409
    assert planned.json()["error"]["message"] == applied.json()["error"]["message"]
    assert "一件事定义有误" in applied.json()["error"]["message"]
    assert not Application.objects.exists()
