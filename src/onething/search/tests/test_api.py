"""The public search, browse and themes API and the portal pages."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
URL = "/api/v1/catalog/search"


def test_search_shape(demo, api_client):
    response = api_client.get(URL, {"q": "生孩子", "limit": 5})
    assert response.status_code == 200
    results = response.json()["results"]
    assert 0 < len(results) <= 5
    assert {"kind", "code", "name", "score"} <= set(results[0])
    assert results[0]["kind"] in ("item", "bundle")


def test_search_region_param(demo, api_client):
    results = api_client.get(URL, {"q": "社保", "region": "430602"}).json()["results"]
    assert results and "430626" not in {r["region"] for r in results}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({}, "q"),
        ({"q": "社" * 101}, "q"),
        ({"q": "社保", "limit": 0}, "limit"),
        ({"q": "社保", "limit": 101}, "limit"),
        ({"q": "社保", "limit": "abc"}, "limit"),
        ({"q": "社保", "region": "abc"}, "region"),
        ({"q": "社保", "region": "999999"}, "region"),
    ],
)
def test_bad_input_is_a_4xx_with_the_error_shape(demo, api_client, params, field):
    response = api_client.get(URL, params)
    assert 400 <= response.status_code < 500
    error = response.json()["error"]
    assert error["field"] == field
    assert error["code"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])


@pytest.mark.parametrize("q", ["\x00", "a\x00b", "'\"%_*", "NEAR(", "税 OR", "()!<->&|", "　", "🙂"])
def test_odd_queries_never_fail(demo, api_client, q):
    response = api_client.get(URL, {"q": q})
    assert response.status_code in (200, 400)
    assert "results" in response.json() or "error" in response.json()


def test_openapi_documents_every_status(demo, api_client):
    spec = api_client.get("/api/v1/openapi.json").json()
    for path in ("search", "browse", "themes"):
        statuses = set(spec["paths"][f"/api/v1/catalog/{path}"]["get"]["responses"])
        assert {"200", "400", "422"} <= statuses


def test_browse_lists_bundles_first(demo, api_client):
    body = api_client.get("/api/v1/catalog/browse", {"theme": "生育"}).json()
    kinds = [r["kind"] for r in body["results"]]
    assert kinds[0] == "bundle" and "item" in kinds
    assert kinds == sorted(kinds, key=lambda k: k != "bundle")
    assert body["count"] == len(body["results"])
    assert all("生育" in r["themes"] for r in body["results"])


def test_browse_filters(demo, api_client):
    get = api_client.get
    enterprise = get("/api/v1/catalog/browse", {"theme": "开办", "audience": "enterprise"}).json()
    assert enterprise["results"] and all(r["audience"] != "person" for r in enterprise["results"])
    local = get("/api/v1/catalog/browse", {"theme": "身后", "region": "430602"}).json()["results"]
    assert local and "430626" not in {r["region"] for r in local}
    by_department = get("/api/v1/catalog/browse", {"department": "11430600MB0600046D"}).json()["results"]
    assert by_department and {r["department"] for r in by_department} == {"岳阳市公安局"}
    page = get("/api/v1/catalog/browse", {"theme": "生育", "limit": 2, "offset": 2}).json()
    assert len(page["results"]) == 2


@pytest.mark.parametrize(
    "params",
    [{"audience": "robot"}, {"region": "12"}, {"department": "x"}, {"limit": 1000}, {"offset": -1}],
)
def test_browse_bad_input(demo, api_client, params):
    response = api_client.get("/api/v1/catalog/browse", params)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == next(iter(params))


def test_themes_lists_life_events_and_enterprise_stages(demo, api_client):
    groups = {g["group"]: g for g in api_client.get("/api/v1/catalog/themes").json()["groups"]}
    person = {t["theme"]: t for t in groups["person"]["themes"]}
    enterprise = {t["theme"]: t for t in groups["enterprise"]["themes"]}
    assert list(person)[:3] == ["生育", "教育", "就业"]
    assert person["生育"]["bundles"] >= 1 and person["生育"]["items"] > 5
    assert {"开办", "变更", "经营", "注销"} <= set(enterprise)
    assert person["生育"]["count"] == person["生育"]["bundles"] + person["生育"]["items"]


def test_results_page(demo, client):
    response = client.get("/search/", {"q": "生孩子"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "新生儿出生一件事" in html and 'class="result-list"' in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline scripts or styles


def test_results_page_bad_input_and_empty(demo, client):
    response = client.get("/search/", {"q": "社" * 101})
    assert response.status_code == 400
    assert "不能超过" in response.content.decode()
    assert client.get("/search/").status_code == 200
    assert "没有找到" in client.get("/search/", {"q": "量子纠缠"}).content.decode()


def test_browse_page(demo, client):
    html = client.get("/search/browse", {"theme": "生育"}).content.decode()
    assert "新生儿出生一件事" in html and "企业生命周期" in html
    assert client.get("/search/browse").status_code == 200
    assert client.get("/search/browse", {"region": "bad"}).status_code == 400
