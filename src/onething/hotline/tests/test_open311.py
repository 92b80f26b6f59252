"""Open311 GeoReport v2 (``/open311/v2/``), walked by a small client written from the
standard (not from our code): form-encoded POST with ``api_key``, JSON arrays back, the
standard's field names and types, errors as ``[{"code", "description"}]``.

The walk: list the services, define one, file a request, read it by id, list with every
standard filter and paging; a bad key is 403, a missing parameter 400 naming it, an unknown id
404; a 举报 is never listed; the key opens nothing else of the API."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from onething.accounts.models import User
from onething.hotline import intake, service
from onething.hotline.models import Open311Client, Ticket

pytestmark = pytest.mark.django_db

ID_NUMBER = "430602199001011234"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")

#: GeoReport v2 — GET services: fields of a service
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
#: GeoReport v2 — GET requests / GET request: fields of a service request
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
OPTIONAL_TEXT = {"status_notes", "agency_responsible", "service_notice", "address_id", "zipcode", "media_url"}


class GeoReport:
    """A GeoReport v2 client: ``{endpoint}/{resource}.json``; POST is form-encoded."""

    def __init__(self, endpoint: str = "/open311/v2", api_key: str | None = None):
        self.endpoint, self.api_key, self.http = endpoint, api_key, Client()

    def _url(self, resource: str, fmt: str = "json") -> str:
        return f"{self.endpoint}/{resource}.{fmt}"

    @staticmethod
    def _array(response) -> list:
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert isinstance(body, list), body
        return body

    def get(self, resource: str, fmt: str = "json", **params):
        response = self.http.get(self._url(resource, fmt), params)
        return response.status_code, self._array(response)

    def definition(self, code: str):
        """GET services/{code}: a service definition is an object (errors stay an array)."""
        response = self.http.get(self._url(f"services/{code}"))
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert isinstance(body, dict if response.status_code == 200 else list), body
        return response.status_code, body

    def post(self, resource: str, **params):
        form = {k: v for k, v in params.items() if v is not None}
        if self.api_key is not None and "api_key" not in form:
            form["api_key"] = self.api_key
        response = self.http.post(
            self._url(resource), urlencode(form), content_type="application/x-www-form-urlencoded"
        )
        return response.status_code, self._array(response)

    @staticmethod
    def error(status: int, body: list) -> str:
        """The standard's error form: an array of ``{"code": int, "description": str}``."""
        assert body and all(set(e) == {"code", "description"} for e in body), body
        assert body[0]["code"] == status and isinstance(body[0]["description"], str)
        return body[0]["description"]

    @staticmethod
    def check_request(item: dict) -> dict:
        assert set(item) == REQUEST_FIELDS, set(item) ^ REQUEST_FIELDS
        assert item["status"] in ("open", "closed")
        for name in ("service_request_id", "service_code", "service_name", "description", "address"):
            assert isinstance(item[name], str) and item[name], name
        for name in OPTIONAL_TEXT:
            assert item[name] is None or isinstance(item[name], str), name
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert item[name] is None or W3C.match(item[name]), (name, item[name])
        assert W3C.match(item["requested_datetime"])
        for name in ("lat", "long"):
            assert item[name] is None or isinstance(item[name], float), name
        return item


@pytest.fixture
def api_key() -> str:
    out = io.StringIO()
    call_command("open311_client", name="岳阳市数字城管", region="430600", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.fixture
def client(api_key) -> GeoReport:
    return GeoReport(api_key=api_key)


def filed_by_operator(days_ago: int = 0, **changes) -> Ticket:
    data = {
        "category": "complaint",
        "channel": "hotline",
        "content": "店铺卫生差",
        "region": "430602",
        "caller": {"name": "张先生", "phone": "13800000000"},
        **changes,
    }
    data["received_at"] = (timezone.now() - dt.timedelta(days=days_ago)).isoformat()
    return intake.file(data, actor=User.objects.get(username="jiexian"), role="operator").ticket


def ids(body: list) -> list[str]:
    return [r["service_request_id"] for r in body]


def test_the_key_is_a_scoped_service_token(api_key):
    found = Open311Client.objects.select_related("token").get()
    assert found.region_id == "430600" and found.token.sharing_requests == []
    assert api_key.startswith("ot_") and found.token.key_hash != api_key
    # refused everywhere else: the REST API does not take it
    assert Client().get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {api_key}").status_code == 401


def test_services_and_a_definition(client):
    status, listed = client.get("services")
    assert status == 200 and [s["service_code"] for s in listed] == [
        "consult",
        "help",
        "complaint",
        "report",
        "suggestion",
        "not_done",
    ]
    for item in listed:
        assert set(item) == SERVICE_FIELDS
        assert item["metadata"] is False and item["type"] in ("realtime", "batch", "blackbox")
        assert item["group"] == "12345" and isinstance(item["keywords"], str)
    assert next(s for s in listed if s["service_code"] == "complaint")["service_name"] == "投诉"
    status, definition = client.definition("complaint")
    assert status == 200 and definition == {"service_code": "complaint", "attributes": []}
    status, body = client.definition("gossip")
    assert status == 404 and client.error(404, body)
    status, body = client.get("services", fmt="xml")
    assert status == 400 and "JSON" in client.error(400, body)


def test_file_a_request_and_read_it_back(client):
    status, body = client.post(
        "requests",
        service_code="complaint",
        description=f"路灯不亮，联系人身份证{ID_NUMBER}",
        lat="29.371234",
        long="113.128765",
        address_string="岳阳楼区洞庭南路",
        first_name="先生",
        last_name="李",
        phone="13912345678",
        email="li@example.com",
        device_id="dev-1",
        account_id="acc-7",
        jurisdiction_id="430602",
    )
    assert status == 201 and len(body) == 1
    created = body[0]
    assert set(created) >= {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] == "acc-7" and isinstance(created["service_notice"], str)
    number = created["service_request_id"]
    ticket = Ticket.objects.get(number=number)
    assert (ticket.channel, ticket.category, ticket.region_id) == ("open311", "complaint", "430602")
    assert (ticket.caller_name, ticket.caller_phone) == ("李先生", "13912345678")

    status, body = client.get(f"requests/{number}")
    assert status == 200 and len(body) == 1
    item = client.check_request(body[0])
    assert item["service_request_id"] == number and item["status"] == "open"
    assert item["service_code"] == "complaint" and item["service_name"] == "投诉"
    assert ID_NUMBER not in item["description"] and item["description"].startswith("路灯不亮")
    assert "13912345678" not in str(item) and "李先生" not in str(item)
    assert (item["lat"], item["long"]) == (29.371234, 113.128765)
    assert item["address"] == "岳阳楼区洞庭南路" and item["agency_responsible"] is None
    assert item["expected_datetime"] == f"{ticket.finish_due.isoformat()}T17:30:00+08:00"
    # anyone may read it, no key needed
    assert GeoReport().get(f"requests/{number}")[0] == 200


def test_a_request_without_a_point_carries_its_region_and_the_client_scope(client):
    status, body = client.post(
        "requests", service_code="suggestion", description="建议增设公交站", jurisdiction_id="110000"
    )
    assert status == 201
    ticket = Ticket.objects.get(number=body[0]["service_request_id"])
    assert ticket.region_id == "430600"  # outside the client's region: its own region
    item = client.get(f"requests/{ticket.number}")[1][0]
    assert item["address"] == "岳阳市" and item["lat"] is None and item["long"] is None


def test_errors_are_the_standard_array(client):
    status, body = GeoReport(api_key="ot_not-a-key").post(
        "requests", service_code="complaint", description="x"
    )
    assert status == 403 and client.error(403, body)
    status, body = GeoReport().post("requests", service_code="complaint", description="x")
    assert status == 400 and "api_key" in client.error(400, body)
    status, body = client.post("requests", description="路灯不亮")
    assert status == 400 and "service_code" in client.error(400, body)
    status, body = client.post("requests", service_code="complaint")
    assert status == 400 and "description" in client.error(400, body)
    status, body = client.post("requests", service_code="complaint", description="x", lat="29.1")
    assert status == 400 and "long" in client.error(400, body)
    # a NUL byte never reaches the view: the platform's gateway middleware refuses it (400), in
    # the standard's error form
    nul = urlencode({"api_key": client.api_key, "service_code": "complaint", "description": "路灯\x00不亮"})
    refused = Client().post(
        "/open311/v2/requests.json", nul, content_type="application/x-www-form-urlencoded"
    )
    assert refused.status_code == 400
    assert client.error(400, refused.json())
    status, body = client.post("requests", service_code="gossip", description="x")
    assert status == 404 and client.error(404, body)
    status, body = client.get("requests/12345-20260101-999999")
    assert status == 404 and client.error(404, body)
    for bad in (
        {"status": "pending"},
        {"start_date": "last week"},
        {"page_size": "0"},
        {"service_code": "x"},
    ):
        status, body = client.get("requests", **bad)
        assert status == 400 and next(iter(bad)) in client.error(400, body), bad
    assert Ticket.objects.filter(channel="open311").count() == 0
    Open311Client.objects.get().token.revoke()
    status, body = client.post("requests", service_code="complaint", description="路灯不亮")
    assert status == 403 and client.error(403, body)


def test_listing_with_the_standard_filters_and_paging(client):
    old = filed_by_operator(days_ago=100, content="三个月前的投诉")
    complaint = filed_by_operator(days_ago=2)
    consult = filed_by_operator(days_ago=1, category="consult")
    report = filed_by_operator(category="report", anonymous=True, caller=None, content="举报某店")
    closed = filed_by_operator(category="consult", content="社保卡怎么办")
    service.resolve(closed, User.objects.get(username="jiexian"), roles={"operator"}, reply="到社保窗口办理")
    filed = client.post("requests", service_code="help", description="老人走失求助")[1][0][
        "service_request_id"
    ]

    ours = {t.number for t in (old, complaint, consult, report, closed)} | {filed}

    def mine(body: list) -> list[str]:  # the baseline holds demo tickets too
        return [number for number in ids(body) if number in ours]

    status, listed = client.get("requests")
    assert status == 200 and len(listed) <= 1000
    for item in listed:
        client.check_request(item)
    assert all(r["service_code"] != "report" for r in listed)
    assert mine(listed) == [filed, closed.number, consult.number, complaint.number]  # newest first, 90 days
    assert client.get(f"requests/{report.number}")[0] == 404  # a 举报 is never shown
    assert client.get("requests", service_code="report") == (200, [])

    closed_ones = client.get("requests", status="closed")[1]
    assert mine(closed_ones) == [closed.number] and {r["status"] for r in closed_ones} == {"closed"}
    open_ones = client.get("requests", status="open")[1]
    assert mine(open_ones) == [filed, consult.number, complaint.number]
    assert {r["status"] for r in open_ones} == {"open"}
    assert set(mine(client.get("requests", status="open,closed")[1])) == set(mine(listed))
    consults = client.get("requests", service_code="consult")[1]
    assert mine(consults) == [closed.number, consult.number]
    assert {r["service_code"] for r in consults} == {"consult"}
    by_id = client.get("requests", service_request_id=f"{old.number},{complaint.number},{report.number}")[1]
    assert set(ids(by_id)) == {old.number, complaint.number}  # by id: the window does not apply
    start = (timezone.now() - dt.timedelta(days=101)).isoformat(timespec="seconds")
    end = (timezone.now() - dt.timedelta(days=99)).isoformat(timespec="seconds")
    assert mine(client.get("requests", start_date=start, end_date=end)[1]) == [old.number]
    since = (timezone.now() - dt.timedelta(hours=36)).isoformat(timespec="seconds")
    assert mine(client.get("requests", start_date=since)[1]) == [filed, closed.number, consult.number]
    assert mine(client.get("requests", end_date=end)[1]) == [old.number]  # 90 days before end_date
    every = ",".join(sorted(ours))
    newest = [filed, closed.number, consult.number, complaint.number, old.number]
    assert ids(client.get("requests", service_request_id=every, page_size="2")[1]) == newest[:2]
    assert ids(client.get("requests", service_request_id=every, page_size="2", page="2")[1]) == newest[2:4]
    assert client.get("requests", service_request_id=every, page_size="2", page="9")[1] == []
    assert ids(client.get("requests", page_size="3")[1]) == ids(listed)[:3]
    notes = next(r for r in listed if r["service_request_id"] == closed.number)
    assert notes["status"] == "closed" and "到社保窗口办理" in notes["status_notes"]
    assert all("13800000000" not in str(r) and "张先生" not in str(r) for r in listed)
