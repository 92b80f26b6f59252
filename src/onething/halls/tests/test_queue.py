"""The queue through the API and the service functions: halls, taking a number, calling."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from onething.accounts.models import StaffRole, User
from onething.directory.models import Hall, Window
from onething.halls import queue
from onething.halls.models import Ticket, WindowSession

pytestmark = pytest.mark.django_db

OLD = "430602195001011237"  # born 1950: priority
YOUNG = "430602199001011235"


def _api(token_for, username):
    return {"HTTP_AUTHORIZATION": token_for(User.objects.get(username=username))}


def _post(client, url, headers, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


def test_halls_lists_windows_services_and_signed_in_clerks():
    body = Client().get("/api/v1/halls").json()
    city = next(h for h in body["results"] if h["code"] == "yueyang-city-hall")
    clerks = {w["code"]: w["clerk"] for w in city["windows"]}
    assert {clerks["yy-1"], clerks["yy-2"], clerks["yy-3"]} == {"chuangkou", "chuangkou2", "chuangkou3"}
    comprehensive = [w for w in city["windows"] if w["comprehensive"] and w["clerk"]]
    assert len(comprehensive) >= 3 and all("zonghe" in w["services"] for w in comprehensive)
    specialist = next(w for w in city["windows"] if w["code"] == "yy-8")
    assert specialist["services"] == ["shebao"] and not specialist["comprehensive"]
    assert {"zonghe", "shebao", "kaiban"} <= {s["code"] for s in city["services"]}
    kinds = {h["kind"] for h in body["results"]}
    assert {"hall", "township", "village", "bank"} <= kinds


def test_take_call_finish_and_409_while_holding(token_for):
    client = Client()
    kiosk = _api(token_for, "quhao")
    first = _post(client, "/api/v1/queue/tickets", kiosk, {"hall": "yueyang-city-hall", "service": "zonghe"})
    assert first.status_code == 201, first.content
    second = _post(
        client,
        "/api/v1/queue/tickets",
        kiosk,
        {"hall": "yueyang-city-hall", "service": "zonghe", "id_number": YOUNG},
    )
    assert second.json()["ahead"] == 1 and second.json()["number"][0] == "A"
    clerk = _api(token_for, "chuangkou")
    called = _post(client, "/api/v1/queue/windows/yy-1/call-next", clerk)
    assert called.status_code == 200 and called.json()["ticket"]["id"] == first.json()["id"]
    again = _post(client, "/api/v1/queue/windows/yy-1/call-next", clerk)
    assert again.status_code == 409
    other = _post(client, "/api/v1/queue/windows/yy-1/call-next", _api(token_for, "chuangkou2"))
    assert other.status_code == 404  # not their window
    done = _post(client, f"/api/v1/queue/tickets/{first.json()['id']}/finish", clerk)
    assert done.status_code == 200
    ticket = Ticket.objects.get(pk=first.json()["id"])
    assert ticket.status == "done" and ticket.service_seconds is not None
    nxt = _post(client, "/api/v1/queue/windows/yy-1/call-next", clerk)
    assert nxt.json()["ticket"]["id"] == second.json()["id"]
    assert _post(client, f"/api/v1/queue/tickets/{second.json()['id']}/no-show", clerk).status_code == 409
    _post(client, f"/api/v1/queue/tickets/{second.json()['id']}/recall", clerk)
    assert _post(client, f"/api/v1/queue/tickets/{second.json()['id']}/no-show", clerk).status_code == 200
    assert _post(client, "/api/v1/queue/windows/yy-1/call-next", clerk).status_code == 204


def test_priority_is_read_from_the_id_number_and_fairness_calls_a_normal_one():
    hall = Hall.objects.get(code="yueyang-city-hall")
    kiosk = User.objects.get(username="quhao")
    normal = queue.issue(kiosk, hall, "zonghe", id_number=YOUNG)
    olds = [queue.issue(kiosk, hall, "zonghe", id_number=OLD) for _ in range(4)]
    assert all(t.priority and t.priority_reason == "elderly" for t in olds) and not normal.priority
    clerk = User.objects.get(username="chuangkou")
    window = Window.objects.get(code="yy-1")
    order = []
    for _ in range(5):
        ticket = queue.call_next(clerk, window)
        order.append(ticket.pk)
        queue.finish(clerk, ticket.pk)
    assert order == [olds[0].pk, olds[1].pk, olds[2].pk, normal.pk, olds[3].pk]


def test_the_specialist_window_calls_only_its_service():
    hall = Hall.objects.get(code="yueyang-city-hall")
    kiosk = User.objects.get(username="quhao")
    queue.issue(kiosk, hall, "zonghe")
    clerk = User.objects.create_user("shebao_clerk", password="x")
    StaffRole.objects.create(user=clerk, role=StaffRole.WINDOW_CLERK, hall=hall)
    queue.sign_in(clerk, Window.objects.get(code="yy-8"))
    assert queue.call_next(clerk, Window.objects.get(code="yy-8")) is None
    social = queue.issue(kiosk, hall, "shebao")
    assert queue.call_next(clerk, Window.objects.get(code="yy-8")).pk == social.pk


def test_transfer_keeps_the_number_for_another_window():
    hall = Hall.objects.get(code="yueyang-city-hall")
    ticket = queue.issue(User.objects.get(username="quhao"), hall, "zonghe")
    one, two = User.objects.get(username="chuangkou"), User.objects.get(username="chuangkou2")
    queue.call_next(one, Window.objects.get(code="yy-1"))
    moved = queue.transfer(one, ticket.pk, reason="需到2号窗口核验原件", window_code="yy-2")
    assert moved.status == "waiting" and moved.number == ticket.number and moved.transfers == 1
    assert queue.call_next(one, Window.objects.get(code="yy-1")) is None
    assert queue.call_next(two, Window.objects.get(code="yy-2")).pk == ticket.pk


def test_a_clerk_role_without_a_hall_cannot_be_stored():
    from django.db import IntegrityError, transaction

    user = User.objects.create_user("nohall", password="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffRole.objects.create(user=user, role=StaffRole.WINDOW_CLERK)


def test_one_clerk_per_window():
    from onething.kernel.errors import Conflict

    hall = Hall.objects.get(code="yueyang-city-hall")
    clerk = User.objects.create_user("another", password="x")
    StaffRole.objects.create(user=clerk, role=StaffRole.WINDOW_CLERK, hall=hall)
    with pytest.raises(Conflict):
        queue.sign_in(clerk, Window.objects.get(code="yy-1"))
    session = queue.sign_in(clerk, Window.objects.get(code="yy-9"))
    assert session.status == WindowSession.Status.ACTIVE


def _hall_codes(region: str) -> set[str]:
    return {h["code"] for h in Client().get(f"/api/v1/halls?region={region}").json()["results"]}


def test_halls_of_a_region_are_those_within_it():
    assert _hall_codes("430626") == {"pingjiang-county-hall", "anding-township", "anding-village"}
    assert "yueyang-city-hall" in _hall_codes("430600") and _hall_codes("4306") == set()
