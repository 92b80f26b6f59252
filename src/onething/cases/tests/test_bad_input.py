"""Bad input is a 4xx naming the field, never a 500, and nothing is written: the reproductions
of the PostgreSQL attack run, one test each (this suite runs on SQLite and on PostgreSQL).

NUL and lone surrogates are what PostgreSQL refuses or cannot even encode; over-long values are
what its columns refuse; the strict-type cases are values that were silently taken for others
(``true`` as one day, ``"yes"`` as a pass, ``²`` as a digit).
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from onething.audit.models import AuditRecord
from onething.cases import intake, lifecycle
from onething.cases.models import Application, Delivery, Extension, Inspection, Material, SubCase
from onething.cases.tests.conftest import ANSWERS, BUNDLE, FORM, in_days, sample_pdf

pytestmark = pytest.mark.django_db
URL = "/api/v1/applications"
NUL, SURROGATE = "a\x00b", "a\ud800b"


def post_json(client, url, data, **headers):
    """The body as an attacker sends it: JSON with ``\\uXXXX`` escapes (lone surrogates too)."""
    return client.post(url, json.dumps(data, ensure_ascii=True), content_type="application/json", **headers)


@pytest.fixture
def api(people, token_for):
    def make(username):
        return Client(HTTP_AUTHORIZATION=token_for(people[username]))

    return make


@pytest.fixture
def web(people):
    def make(username):
        client = Client()
        client.force_login(people[username])
        return client

    return make


def intake_body(**overrides):
    plan = intake.load_plan("bundle", BUNDLE, ANSWERS)
    asked = {f.element for f in plan.form}
    form = {k: v for k, v in intake.flatten(FORM).items() if k in asked}
    return {"bundle": BUNDLE, "answers": ANSWERS, "form": form, "channel": "web", **overrides}


def written() -> tuple[int, ...]:
    """What a refused request must not change."""
    return (
        Application.objects.count(),
        SubCase.objects.count(),
        Material.objects.count(),
        AuditRecord.objects.count(),
        Extension.objects.count(),
        Inspection.objects.count(),
        Delivery.objects.count(),
    )


def assert_refused(response, field: str | None = None, status: tuple[int, ...] = (400, 422)):
    assert response.status_code in status, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert error["message"] and not error["message"].isascii()  # a Chinese message
    if field is not None:
        assert error["field"] == field or error["field"].startswith(f"{field}."), error


def accept_all(app, clerk):
    """受理 with every missing material received on paper: the sub-cases start."""
    lifecycle.accept(app, clerk, received=[m["material"] for m in lifecycle.missing_materials(app)])


# ------------------------------------------------------------------------------- case actions (API)

#: every body-taking action: (path after the number, a valid body, the text field to spoil)
ACTIONS = [
    ("pre-review", {"reason": "ok"}, "reason"),
    ("accept", {"reason": "ok"}, "reason"),
    (
        "accept-with-gaps",
        {"gaps": ["bank-account"], "commitment_date": "2026-12-20", "reason": "ok"},
        "reason",
    ),
    ("accept-on-commitment", {"commitment_text": "承诺", "signed_by_name": "张三"}, "commitment_text"),
    ("accept-on-commitment", {"commitment_text": "承诺", "signed_by_name": "张三"}, "signed_by_name"),
    ("reject", {"reason": "ok"}, "reason"),
    ("correction", {"items": ["缺材料"], "reason": "ok"}, "reason"),
    ("resubmit", {"reason": "ok"}, "reason"),
    ("withdraw", {"reason": "ok"}, "reason"),
    ("inspection", {"on": "2026-12-20", "location": "现场"}, "location"),
    ("inspection/result", {"result": "passed", "findings": "ok"}, "findings"),
    ("deliver", {"method": "mail", "tracking_number": "SF1", "address": "岳阳"}, "tracking_number"),
    ("deliver", {"method": "mail", "tracking_number": "SF1", "address": "岳阳"}, "address"),
    ("close", {"reason": "ok"}, "reason"),
    ("subcases/{sub}/decide", {"decision": "refused", "reasons": "ok"}, "reasons"),
    ("subcases/{sub}/special-procedure", {"kind": "hearing", "reason": "ok"}, "reason"),
    ("subcases/{sub}/special-procedure/end", {"reason": "ok"}, "reason"),
    ("subcases/{sub}/extend", {"days": 2, "reason": "ok"}, "reason"),
    ("subcases/{sub}/post-check", {"passed": True, "result": "ok"}, "result"),
]


@pytest.mark.parametrize(
    "bad", [NUL, SURROGATE, "\x07", "长" * 5000], ids=["nul", "surrogate", "bell", "long"]
)
@pytest.mark.parametrize(("path", "valid", "field"), ACTIONS, ids=[f"{a[0]}:{a[2]}" for a in ACTIONS])
def test_case_action_refuses_bad_text(api, submit, path, valid, field, bad):
    app = submit()
    sub = app.subcases.order_by("number").first()
    before = written()
    url = f"{URL}/{app.number}/" + path.format(sub=sub.number)
    r = post_json(api("chuangkou"), url, {**valid, field: bad})
    assert_refused(r, field)
    assert written() == before


def test_extension_refusal_refuses_nul(api, submit, people):
    app = submit()
    accept_all(app, people["chuangkou"])
    sub = app.subcases.get(department__code__isnull=False, status="in_review", position=1)
    ext = lifecycle.request_extension(sub, people["shenpi_weijian"], days=2, reason="需核实")
    before = written()
    r = post_json(api("ducha"), f"/api/v1/extensions/{ext.pk}/refuse", {"reason": NUL})
    assert_refused(r, "reason")
    assert written() == before and Extension.objects.get(pk=ext.pk).status == "pending"


# ------------------------------------------------------------------------------- intake (API)


@pytest.mark.parametrize(
    "overrides",
    [
        {"bundle": NUL},
        {"bundle": None, "item": NUL},
        {"enterprise": NUL},
        {"channel": "window", "applicant": {"name": NUL, "id_number": "430602199001011235"}},
        {"channel": "agent", "applicant": {"name": "李四", "id_number": NUL}},
        {"channel": "agent", "applicant": {"name": "李四", "id_number": "430602199001011235", "phone": NUL}},
        {"channel": "agent", "authorisation": {"document": NUL}},
        {"answers": {**ANSWERS, "parents_married": SURROGATE}},
        {"answers": {SURROGATE: True}},
        {"form": {"child.name": SURROGATE}},
        {"form": {"child.name": NUL}},
        {"channel": "agent", "authorisation": {"document": SURROGATE}},
    ],
    ids=lambda o: ",".join(o),
)
def test_intake_refuses_bad_text_before_it_hashes(api, overrides):
    before = written()
    r = post_json(api("zhangsan"), URL, intake_body(**overrides), HTTP_IDEMPOTENCY_KEY="bad-1")
    assert_refused(r)
    assert written() == before


@pytest.mark.parametrize("key", ["k\x00", "k\x1b", "k" * 101], ids=["nul", "escape", "long"])
def test_idempotency_key_header_is_checked(api, key):
    before = written()
    r = api("zhangsan").post(
        URL, json.dumps(intake_body()), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert_refused(r, "Idempotency-Key")
    assert written() == before


@pytest.mark.parametrize(
    "authorisation",
    [
        {"document": "委托书-1", "extra": "x" * 100},
        {"document": "委托书-1", "valid_until": "9999-12-31"},
        {"document": {"nested": {"deeper": {}}}},
        {"document": "x" * 201},
    ],
    ids=["unknown-key", "far-date", "nested", "long"],
)
def test_authorisation_has_a_schema(api, authorisation):
    applicant = {"name": "李四", "id_number": "430602199001011235"}
    body = intake_body(channel="agent", applicant=applicant, authorisation=authorisation)
    r = post_json(api("zhangsan"), URL, body)
    assert_refused(r)


def test_authorisation_of_twelve_megabytes_is_refused(api):
    deep = {"document": "委托书"}
    node = deep
    for _ in range(900):
        node["n"] = {}
        node = node["n"]
    body = intake_body(channel="agent", applicant={"name": "李四", "id_number": "430602199001011235"})
    body["authorisation"] = deep
    r = post_json(api("zhangsan"), URL, body)
    assert_refused(r)


@pytest.mark.parametrize(
    ("element", "value"),
    [("child.birth_date", "9999-12-31"), ("child.birth_date", "20261101"), ("child.name", "长" * 201)],
)
def test_form_values_are_bounded(api, element, value):
    body = intake_body()
    body["form"] = {**body["form"], element: value}
    r = post_json(api("zhangsan"), URL, body)
    assert_refused(r, f"form.{element}")


@pytest.mark.parametrize("value", ["1e999999999", "1_000", "-1", "٣", "３", True, "NaN", -5])
def test_form_numbers_are_plain_and_in_range(value):
    for kind in ("integer", "decimal"):
        _, reason = intake._check_value(kind, value, [])
        assert reason, (kind, value)
    assert intake._check_value("integer", "12", []) == (12, None)
    assert intake._check_value("decimal", "100.50", []) == ("100.50", None)


# ------------------------------------------------------------------------------- strict types (API)


def test_booleans_are_booleans_and_days_are_numbers(api, submit, people):
    app = submit()
    accept_all(app, people["chuangkou"])
    sub = app.subcases.filter(status="in_review").order_by("number").first()
    url = f"{URL}/{app.number}/subcases/{sub.number}/extend"
    for days in (True, "٣", "３", 1.5):
        assert_refused(post_json(api("shenpi_weijian"), url, {"days": days, "reason": "需核实"}), "days")
    assert not Extension.objects.filter(subcase=sub).exists()
    r = post_json(api("chuangkou"), f"{URL}/{app.number}/accept", {"on_the_spot": "yes"})
    assert_refused(r, "on_the_spot")


def test_post_check_pass_must_be_a_boolean(api, submit, people):
    app = submit()
    sub = app.subcases.order_by("number").first()
    r = post_json(
        api("shenpi_weijian"),
        f"{URL}/{app.number}/subcases/{sub.number}/post-check",
        {"passed": "yes", "result": "ok"},
    )
    assert_refused(r, "passed")


def test_commitment_date_within_a_year(api, submit):
    app = submit()
    body = {"gaps": ["bank-account"], "commitment_date": "9999-12-31"}
    assert_refused(
        post_json(api("chuangkou"), f"{URL}/{app.number}/accept-with-gaps", body), "commitment_date"
    )
    body["commitment_date"] = in_days(400)
    assert_refused(
        post_json(api("chuangkou"), f"{URL}/{app.number}/accept-with-gaps", body), "commitment_date"
    )
    assert Application.objects.get(pk=app.pk).status == "submitted"


def test_correction_items_are_bounded(api, submit):
    app = submit()
    url = f"{URL}/{app.number}/correction"
    assert_refused(post_json(api("chuangkou"), url, {"items": ["缺"] * 10_000, "reason": "补正"}), "items")
    assert_refused(post_json(api("chuangkou"), url, {"items": ["缺" * 201], "reason": "补正"}), "items")
    assert_refused(post_json(api("chuangkou"), url, {"items": [SURROGATE], "reason": "补正"}), "items")
    assert Application.objects.get(pk=app.pk).status == "submitted"


# ------------------------------------------------------------------------------- query and path


@pytest.mark.parametrize(
    "url",
    [
        f"{URL}?status=%00",
        "/api/v1/catalog/browse?theme=%00",
        "/api/v1/catalog/search?q=%00",
        "/api/v1/catalog/browse?offset=100000000000000000000",
        "/api/v1/catalog/browse?offset=-1",
    ],
)
def test_query_parameters_are_checked(api, url):
    r = api("zhangsan").get(url)
    assert_refused(r)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/applications/%00", "/api/v1/catalog/items/%00", "/api/v1/catalog/bundles/a%00b/plan"],
)
def test_api_path_segments_are_checked(api, url):
    r = api("zhangsan").get(url)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "url",
    [
        "/cases/verify/%00/",
        "/cases/%00/",
        "/items/%00/",
        "/bundles/%00/",
        "/guide/items/%00/",
        "/search/?q=%00",
    ],
)
def test_page_routes_are_checked(web, url):
    r = web("zhangsan").get(url)
    assert r.status_code in (400, 404)
    assert "<html" in r.content.decode() and "Traceback" not in r.content.decode()


# ------------------------------------------------------------------------------- web forms


WEB_TOO_LONG = [
    ("deliver", {"method": "mail", "tracking_number": "S" * 61}, "“快递单号”不能超过60个字符"),
    (
        "deliver",
        {"method": "mail", "tracking_number": "SF1", "address": "路" * 301},
        "“邮寄地址”不能超过300个字符",
    ),
    ("schedule_inspection", {"on": in_days(3), "location": "路" * 301}, "“核查地点”不能超过300个字符"),
    (
        "accept_on_commitment",
        {"commitment_text": "承诺", "signed_by_name": "张" * 101},
        "“承诺人姓名”不能超过100个字符",
    ),
    ("reject", {"reason": "长" * 1_000_000}, "“理由”不能超过2000个字符"),
    ("pre_review", {"reason": "长" * 1_000_000}, "“理由”不能超过2000个字符"),
    ("request_correction", {"items": "缺\n" * 60, "reason": "补正"}, "最多50项"),
]


@pytest.mark.parametrize(
    ("event", "data", "message"), WEB_TOO_LONG, ids=[f"{e}:{m}" for e, _, m in WEB_TOO_LONG]
)
def test_web_actions_use_the_api_limits(web, submit, event, data, message):
    app = submit()
    before = written()
    r = web("chuangkou").post(f"/cases/{app.number}/act/{event}/", data, follow=True)
    assert r.status_code == 200 and message in r.content.decode()
    assert written() == before


def test_web_extension_days_are_ascii_digits(web, submit, people):
    app = submit()
    accept_all(app, people["chuangkou"])
    sub = app.subcases.filter(status="in_review").order_by("number").first()
    for days in ("²", "３", "٣", "1_0"):
        r = web("shenpi_weijian").post(
            f"/cases/{app.number}/act/extend/",
            {"sub": sub.number, "days": days, "reason": "需核实"},
            follow=True,
        )
        assert "延长工作日数应为正整数" in r.content.decode()
    assert not Extension.objects.filter(subcase=sub).exists()


def test_web_nul_in_any_field_is_refused_with_a_page(web, submit):
    app = submit()
    before = written()
    r = web("chuangkou").post(f"/cases/{app.number}/act/reject/", {"reason": NUL})
    assert r.status_code == 400 and "“理由”含有不可见的控制字符" in r.content.decode()
    assert written() == before


def test_window_intake_checks_received_before_it_commits(web):
    clerk = web("chuangkou")
    url = f"/cases/window/new/bundle/{BUNDLE}/"
    plan = intake.load_plan("bundle", BUNDLE, ANSWERS)
    data = {f"a.{k}": "true" if v else "false" for k, v in ANSWERS.items()}
    flat = intake.flatten(FORM)
    data |= {f"f.{f.element}": flat.get(f.element, "") for f in plan.form}
    data |= {
        "applicant_name": "王芳",
        "applicant_id_number": "430602199201011221",
        "received": ["no-such-material"],
        "idempotency_key": "window-1",
    }
    before = written()
    for _ in range(2):  # the retry with the same key is refused the same way
        r = clerk.post(url, data)
        assert r.status_code == 400 and "no-such-material" in r.content.decode()
        assert written() == before
    paper = next(line.material for line in plan.materials if not line.exempt)
    data["received"] = [paper]
    r = clerk.post(url, data)
    assert r.status_code == 302, r.context["error"].message
    app = Application.objects.get(idempotency_key="window-1")
    assert list(app.materials.filter(source="paper").values_list("material", flat=True)) == [paper]


# ------------------------------------------------------------------------------- transport


def test_multipart_without_boundary_is_a_json_error(api, submit):
    app = submit()
    r = api("zhangsan").post(
        f"{URL}/{app.number}/materials/bank-account", b"--x\r\n", content_type="multipart/form-data"
    )
    assert_refused(r, status=(400,))


def test_over_long_file_name_is_a_json_error_or_accepted(api, submit):
    app = submit()
    upload = SimpleUploadedFile("长" * 300 + ".pdf", sample_pdf(), content_type="application/pdf")
    r = api("zhangsan").post(f"{URL}/{app.number}/materials/bank-account", {"file": upload})
    assert r.status_code in (201, 400), r.content[:300]
    assert r["Content-Type"].startswith("application/json")
    if r.status_code == 201:
        assert len(Material.objects.get(pk=r.json()["id"]).filename) <= 200


def test_unauthenticated_post_is_401_not_csrf(submit):
    app = submit()
    client = Client(enforce_csrf_checks=True)
    r = client.post(
        f"{URL}/{app.number}/reject", json.dumps({"reason": "x"}), content_type="application/json"
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    r = client.post(URL, json.dumps(intake_body()), content_type="application/json")
    assert r.status_code == 401


def test_login_with_an_over_long_username_is_a_form_error():
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    r = client.post("/login/", {"username": "x" * 256, "password": "pw", "csrfmiddlewaretoken": token})
    assert r.status_code == 200 and "用户名或密码错误" in r.content.decode()
    assert "用户名不能超过150个字符" in r.context["form"].errors["username"][0]


def test_an_over_large_body_is_a_413_in_the_error_shape(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = post_json(api("zhangsan"), URL, intake_body(form={"child.name": "长" * 2000}))
    assert r.status_code == 413 and r.json()["error"]["message"] == "“提交的内容”过大"
    r = api("zhangsan").post("/api/v1/applications/x/reject", {"reason": "长" * 2000})
    assert r.status_code == 413 and r.json()["error"]["field"] == "body"
