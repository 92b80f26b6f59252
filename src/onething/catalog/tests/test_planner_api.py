"""The plan API against the contract's worked example and the demo bundles.

The worked example of ``contracts/README.md`` is the acceptance test of the bundle plan
semantics: if these figures move, the public interface moved.
"""

from __future__ import annotations

import json

import pytest

from onething.catalog.exchange import import_document

EXAMPLE = "430600-YJS-QYZX"
MEMBERS_ALL = ["430600-SW-0701-01", "430600-RS-2001-01", "430600-GJJ-2001-01", "430600-SCJG-0101-01"]


def post_plan(client, code, answers, kind="bundles"):
    return client.post(
        f"/api/v1/catalog/{kind}/{code}/plan",
        data=json.dumps({"answers": answers}),
        content_type="application/json",
    )


@pytest.fixture
def example(db, example_document):
    import_document(example_document)


@pytest.mark.parametrize(
    ("answers", "members", "materials", "days", "applications"),
    [
        ({"has_employees": True, "has_hpf_account": True}, MEMBERS_ALL, (10, 6), (7, 5), (4, 1)),
        (
            {"has_employees": False, "has_hpf_account": False},
            ["430600-SW-0701-01", "430600-SCJG-0101-01"],
            (7, 4),
            (4, 4),
            (2, 1),
        ),
    ],
)
def test_worked_example(example, api_client, answers, members, materials, days, applications):
    response = post_plan(api_client, EXAMPLE, answers)
    assert response.status_code == 200, response.content
    plan = response.json()
    assert plan["members"] == members
    assert len(plan["form"]) == 6
    assert len({f["element"] for f in plan["form"]}) == 6
    exempt = sorted(m["material"] for m in plan["materials"] if m["exempt"])
    assert exempt == ["business-license", "legal-rep-id"]
    submit = [m for m in plan["materials"] if not m["exempt"]]
    red = plan["reduction"]
    assert (red["materials"]["separate"], red["materials"]["bundled"]) == materials
    assert len(submit) == materials[1]
    assert (red["days"]["separate"], red["days"]["bundled"]) == days
    assert plan["limit_days"] == days[1]
    assert (red["applications"]["separate"], red["applications"]["bundled"]) == applications
    assert red["inspections"] == {"separate": 0, "bundled": 0}
    assert red["visits"] == {"separate": 0, "bundled": 0}
    for line in plan["materials"]:
        assert set(line) >= {"material", "name", "originals", "copies", "required", "exempt"}


KINDERGARTEN = "430626-YJS-MBYEYKB"


def test_kindergarten_demo_bundle(demo, api_client):
    """Heilongjiang's reported case (3 → 1 applications, 26 → 15 materials, 3 → 1 inspections,
    170 → 20 days), on the Yueyang demo's 民办幼儿园 bundle: non-profit with its own canteen."""
    response = post_plan(api_client, KINDERGARTEN, {"nature": "非营利性", "has_canteen": True})
    assert response.status_code == 200, response.content
    plan = response.json()
    assert plan["members"] == [
        "430626-JY-0101-01",
        "430626-WJ-2004-01",
        "430626-JY-0102-01",
        "430626-MZ-0101-01",
        "430626-SCJG-0103-01",
    ]
    red = plan["reduction"]
    assert red["applications"] == {"separate": 5, "bundled": 1}
    assert red["materials"] == {"separate": 25, "bundled": 13}
    assert red["inspections"] == {"separate": 3, "bundled": 1}
    assert red["visits"] == {"separate": 5, "bundled": 1}
    assert red["days"] == {"separate": 60, "bundled": 20}
    assert plan["limit_source"] == "bundle"
    assert plan["inspection"] == {
        "members": ["430626-WJ-2004-01", "430626-JY-0102-01", "430626-SCJG-0103-01"],
        "joint": True,
    }
    # the canteen's food licence waits for the 民非 registration only: the 营利性 path is dropped
    food = next(m for m in plan["applicable"] if m["item"] == "430626-SCJG-0103-01")
    assert food["after"] == ["430626-MZ-0101-01"]
    assert food["dropped_after"] == ["430626-SCJG-0101-01"]
    assert plan["graph"]["430626-MZ-0101-01"] == ["430626-JY-0102-01"]
    exempt = {m["material"] for m in plan["materials"] if m["exempt"]}
    assert exempt == {"id-card", "school-license", "business-license"}
    premises = next(m for m in plan["materials"] if m["material"] == "premises-use-proof")
    assert premises["items"] == ["430626-JY-0101-01", "430626-JY-0102-01", "430626-MZ-0101-01"]


def test_for_profit_without_canteen(demo, api_client):
    plan = post_plan(api_client, KINDERGARTEN, {"nature": "营利性", "has_canteen": False}).json()
    assert plan["members"] == [
        "430626-JY-0101-01",
        "430626-WJ-2004-01",
        "430626-JY-0102-01",
        "430626-SCJG-0101-01",
    ]
    assert plan["reduction"]["inspections"] == {"separate": 2, "bundled": 1}
    assert [m["item"] for m in plan["not_applicable"]] == ["430626-MZ-0101-01", "430626-SCJG-0103-01"]


def test_newborn_critical_path_without_bundle_limit(demo, api_client):
    answers = {
        "parents_local_hukou": True,
        "parents_married": True,
        "mother_insured": False,
        "want_social_card": True,
    }
    plan = post_plan(api_client, "430600-YJS-XSECS", answers).json()
    assert plan["limit_source"] == "critical_path"
    assert plan["critical_path"][0] == "430600-WJ-2001-01"
    assert plan["limit_days"] <= plan["reduction"]["days"]["separate"]
    materials = {m["material"] for m in plan["materials"]}
    assert "marriage-certificate" in materials
    assert "non-marital-birth-statement" not in materials


def test_open_questions_leave_members_undecided(demo, api_client):
    plan = post_plan(api_client, "430600-YJS-XSECS", {"parents_local_hukou": False}).json()
    assert {q["id"] for q in plan["open_questions"]} == {
        "parents_married",
        "mother_insured",
        "want_social_card",
    }
    assert plan["members"] == ["430600-WJ-2001-01", "430600-WJ-2002-01"]
    assert [m["item"] for m in plan["undecided"]] == ["430600-RS-2002-01", "430600-YB-0501-01"]
    assert "mother_insured" in plan["undecided"][1]["open_questions"]
    assert {m["item"] for m in plan["not_applicable"]} == {"430600-GA-0701-01", "430600-YB-2001-01"}


def test_no_answers_at_all_is_a_partial_plan(demo, api_client):
    response = post_plan(api_client, "430600-YJS-XSECS", {})
    assert response.status_code == 200
    assert response.json()["members"] == ["430600-WJ-2001-01", "430600-WJ-2002-01"]


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"no_such_question": True}, "answers.no_such_question"),
        ({"parents_local_hukou": "yes"}, "answers.parents_local_hukou"),
        ({"parents_local_hukou": 1}, "answers.parents_local_hukou"),
        ({"parents_local_hukou": [True]}, "answers.parents_local_hukou"),
    ],
)
def test_bad_answers_name_the_question(demo, api_client, answers, field):
    response = post_plan(api_client, "430600-YJS-XSECS", answers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field
    assert field.split(".")[1] in error["message"]


def test_choice_must_be_one_of_the_choices(demo, api_client):
    response = post_plan(api_client, KINDERGARTEN, {"nature": "公办"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "answers.nature"
    assert "非营利性" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    ['{"answers": []}', '{"answers": "x"}', "not json", '{"answers": {"a": {"b": 1}}}'],
)
def test_malformed_bodies_are_4xx(demo, api_client, body):
    response = api_client.post(
        "/api/v1/catalog/bundles/430600-YJS-XSECS/plan", data=body, content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


def test_unknown_bundle_and_item_are_404(demo, api_client):
    assert post_plan(api_client, "NO-SUCH", {}).status_code == 404
    assert post_plan(api_client, "NO-SUCH", {}, kind="items").status_code == 404
    assert post_plan(api_client, "NO-SUCH", {}).json()["error"]["code"] == "not_found"


def test_item_plan_has_the_same_shape(demo, api_client):
    response = post_plan(api_client, "430600-GA-0701-01", {"parents_married": False}, kind="items")
    assert response.status_code == 200, response.content
    plan = response.json()
    assert plan["kind"] == "item"
    assert plan["members"] == ["430600-GA-0701-01"]
    assert plan["reduction"]["applications"] == {"separate": 1, "bundled": 1}
    materials = {m["material"] for m in plan["materials"]}
    assert "non-marital-birth-statement" in materials
    assert "marriage-certificate" not in materials
    # the question text comes from the bundle that declares it
    open_plan = post_plan(api_client, "430600-GA-0701-01", {}, kind="items").json()
    assert open_plan["open_questions"][0]["text"].startswith("父母是否")
    assert post_plan(api_client, "430600-GA-0701-01", {"x": 1}, kind="items").status_code == 400


def test_an_item_no_bundle_contains_asks_in_words_of_the_same_item_elsewhere(demo, api_client):
    # 岳阳楼区's 出生登记 is in no bundle; the city's is, in 新生儿出生一件事: its question text
    # and type serve the district's item too (a person is never asked "parents_married")
    open_plan = post_plan(api_client, "430602-GA-0701-01", {}, kind="items").json()
    question = open_plan["open_questions"][0]
    assert question["id"] == "parents_married" and question["text"].startswith("父母是否")
    assert question["type"] == "boolean"
    answered = post_plan(api_client, "430602-GA-0701-01", {"parents_married": True}, kind="items")
    assert answered.status_code == 200 and not answered.json()["open_questions"]


def test_plan_operations_document_their_statuses(demo, api_client):
    spec = api_client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/catalog/bundles/{code}/plan", "/api/v1/catalog/items/{code}/plan"):
        statuses = set(spec["paths"][path]["post"]["responses"])
        assert {"200", "400", "404", "422"} <= statuses


def test_bundles_overview_and_excel(demo, api_client):
    from io import BytesIO

    from openpyxl import load_workbook

    body = api_client.get("/api/v1/catalog/bundles").json()
    assert body["basis"] == "maximal"
    assert body["count"] == len(body["bundles"]) >= 8
    row = next(b for b in body["bundles"] if b["code"] == KINDERGARTEN)
    assert row["reduction"]["applications"] == {"separate": 5, "bundled": 1}
    response = api_client.get("/api/v1/catalog/bundles/overview.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(response.content)).active
    assert ws["A1"].value == "编码"
    assert ws["B1"].value == "一件事名称"
    codes = {ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)}
    assert KINDERGARTEN in codes
    # the detail endpoint is still reachable
    assert api_client.get(f"/api/v1/catalog/bundles/{KINDERGARTEN}").status_code == 200


def test_admin_shows_the_plan_of_the_working_bundle(demo, client, make_user):
    from urllib.parse import quote

    admin = make_user("plan-admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = f"/admin/catalog/bundle/{KINDERGARTEN}/change/"
    html = client.get(url).content.decode()
    assert "规划与减环节预览" in html
    assert "最大情形" in html
    answers = quote(json.dumps({"nature": "营利性", "has_canteen": False}, ensure_ascii=False))
    html = client.get(f"{url}?plan_answers={answers}").content.decode()
    assert "企业设立登记" in html
    assert "<td>申请次数</td><td>4</td><td>1</td>" in html
    bad = client.get(f"{url}?plan_answers=%7B%22nature%22%3A1%7D").content.decode()
    assert "无法计算规划" in bad
