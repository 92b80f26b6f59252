"""Appointments: slots on the official calendar, booking rules, cancel / late cancel / no-show,
reschedule, holds, reminders, arrival as a ticket served at its time, and the API and pages."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from onething.accounts.models import User
from onething.calendar.models import CalendarDay
from onething.directory.models import Hall, Window
from onething.halls import booking, queue, rules
from onething.halls.models import Appointment, Closure, HallPolicy, Slot, Ticket
from onething.kernel.errors import Conflict, DomainError, Invalid, NotFound
from onething.notifications.models import Notification

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
CITY = "yueyang-city-hall"


def at(y, m, d, hh=0, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


def _hall() -> Hall:
    return Hall.objects.get(code=CITY)


def _user(name: str) -> User:
    return User.objects.get(username=name)


def _days_with_slots(hall, first, last, service="zonghe") -> set[dt.date]:
    rows = Slot.objects.filter(
        hall=hall, service_id=service, start__gte=at(first.year, first.month, first.day)
    )
    rows = rows.filter(start__lt=at(last.year, last.month, last.day) + dt.timedelta(days=1))
    return {s.start.astimezone(TZ).date() for s in rows}


# ------------------------------------------------------------------------------- slots


def test_slots_follow_the_2026_national_day_holiday_and_its_make_up_days():
    hall = _hall()
    first, last = dt.date(2026, 9, 14), dt.date(2026, 10, 16)
    rows = CalendarDay.objects.filter(date__range=(first, last))
    holidays = {d.date for d in rows if not d.workday}
    make_up = {d.date for d in rows if d.workday}
    # the seeded calendar: 10-01..10-07 off (with Mid-autumn 09-25), weekend working days around it
    national_day = {dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(7)}
    assert {d for d in national_day if d.weekday() < 5} <= holidays
    assert make_up and all(d.weekday() >= 5 for d in make_up)
    made = booking.ensure_slots(hall, days=(last - first).days + 1, today=first)
    assert made > 0
    open_days = _days_with_slots(hall, first, last)
    for day in holidays:
        assert day not in open_days, day
    for day in make_up:
        assert day in open_days, day  # 调休上班日 is open
    ordinary_weekend = {
        first + dt.timedelta(days=i)
        for i in range((last - first).days + 1)
        if (first + dt.timedelta(days=i)).weekday() >= 5
    } - make_up
    assert not ordinary_weekend & open_days
    assert dt.date(2026, 10, 8) in open_days and dt.date(2026, 10, 5) not in open_days
    # idempotent
    assert booking.ensure_slots(hall, days=(last - first).days + 1, today=first) == 0
    # default sessions 09:00-12:00 and 13:30-17:00 in 30 minutes: 6 + 7 slots a day
    day = Slot.objects.filter(
        hall=hall, service_id="zonghe", start__gte=at(2026, 10, 8), start__lt=at(2026, 10, 9)
    ).order_by("start")
    times = [s.start.astimezone(TZ).strftime("%H:%M") for s in day]
    assert times[0] == "09:00" and times[5] == "11:30" and times[6] == "13:30" and times[-1] == "16:30"
    assert len(times) == 13


def test_closures_and_a_year_not_loaded_give_no_slots():
    hall = _hall()
    Closure.objects.create(
        hall=hall, first_day=dt.date(2026, 11, 3), last_day=dt.date(2026, 11, 4), reason="系统升级"
    )
    booking.ensure_slots(hall, days=5, today=dt.date(2026, 11, 2))
    days = _days_with_slots(hall, dt.date(2026, 11, 2), dt.date(2026, 11, 6))
    assert days == {dt.date(2026, 11, 2), dt.date(2026, 11, 5), dt.date(2026, 11, 6)}
    assert booking.ensure_slots(hall, days=10, today=dt.date(2091, 1, 1)) == 0  # YearNotLoaded: closed


def test_every_day_halls_open_on_holidays_and_sessions_may_end_at_midnight():
    hall = _hall()
    hall.opening = {"every_day": True, "sessions": [["20:00", "24:00"]]}
    hall.save()
    booking.ensure_slots(hall, days=2, today=dt.date(2026, 10, 3))
    rows = Slot.objects.filter(
        hall=hall, service_id="zonghe", start__gte=at(2026, 10, 3), start__lt=at(2026, 10, 5)
    )
    starts = sorted(s.start for s in rows)
    assert len(starts) == 16 and starts[0] == at(2026, 10, 3, 20)
    assert max(s.end for s in rows) == at(2026, 10, 5)


def test_capacity_is_the_windows_serving_the_service_times_per_window():
    hall = _hall()
    serving = [code for code, served in queue.offer.hall_services(hall).items() if "zonghe" in served]
    assert len(serving) >= 3
    booking.ensure_slots(hall, days=1, today=dt.date(2026, 11, 9))
    slot = Slot.objects.filter(hall=hall, service_id="zonghe", start=at(2026, 11, 9, 9)).get()
    assert slot.capacity == rules.DEFAULTS["per_window"] * len(serving)
    specialist = Slot.objects.get(hall=hall, service_id="shebao", start=at(2026, 11, 9, 9))
    assert specialist.capacity == rules.DEFAULTS["per_window"] * (len(serving) + 1)  # yy-8 as well
    Window.objects.filter(code=serving[0]).update(active=False)
    HallPolicy.objects.filter(hall=hall).update(per_window=3)
    booking.ensure_slots(hall, days=1, today=dt.date(2026, 11, 10))
    slot = Slot.objects.get(hall=hall, service_id="zonghe", start=at(2026, 11, 10, 9))
    assert slot.capacity == 3 * (len(serving) - 1)


def test_slots_for_shows_only_what_can_be_booked_now():
    hall = _hall()
    now = at(2026, 10, 8, 9, 40)  # notice 60 min: 10:40 is the earliest start
    rows = booking.slots_for(hall, "zonghe", dt.date(2026, 10, 8), now=now)
    assert rows[0]["start"] == at(2026, 10, 8, 11) and all(r["left"] == r["capacity"] for r in rows)
    assert booking.slots_for(hall, "zonghe", dt.date(2026, 10, 3), now=now) == []  # holiday
    assert booking.slots_for(hall, "zonghe", dt.date(2026, 10, 30), now=now) == []  # beyond 14 days
    with pytest.raises(Invalid):
        booking.slots_for(hall, "nope", dt.date(2026, 10, 9), now=now)


# ------------------------------------------------------------------------------- booking rules


def test_booking_rules_notice_horizon_per_person_and_slot_times():
    hall, me = _hall(), _user("zhangsan")
    now = at(2026, 10, 8, 8, 30)
    with pytest.raises(Invalid) as notice:
        booking.book(me, hall, "zonghe", at(2026, 10, 8, 9, 0), now=now)
    assert notice.value.field == "start" and "提前" in notice.value.message
    with pytest.raises(Invalid) as horizon:
        booking.book(me, hall, "zonghe", at(2026, 10, 22, 9, 0), now=now)
    assert horizon.value.field == "start"
    with pytest.raises(Invalid) as odd:
        booking.book(me, hall, "zonghe", at(2026, 10, 9, 9, 10), now=now)
    assert odd.value.field == "start"
    with pytest.raises(Invalid):
        booking.book(me, hall, "zonghe", at(2026, 10, 10, 9, 0).replace(day=11), now=now)  # a Sunday
    first = booking.book(me, hall, "zonghe", at(2026, 10, 9, 9, 0), now=now)
    assert first.status == "booked" and len(first.code) == 8 and not set(first.code) & set("0O1I")
    assert Slot.objects.get(pk=first.slot_id).booked == 1
    with pytest.raises(Conflict) as limit:
        booking.book(me, hall, "shebao", at(2026, 10, 9, 14, 0), now=now)
    assert "每人每天" in limit.value.message
    assert booking.book(me, hall, "zonghe", at(2026, 10, 12, 9, 0), now=now).status == "booked"
    assert Notification.objects.filter(recipient=me, event="halls.appointment").count() == 2
    with pytest.raises(NotFound):
        booking.book(me, "no-such-hall", "zonghe", at(2026, 10, 12, 9, 0), now=now)


def test_a_full_slot_answers_409():
    hall, now = _hall(), at(2026, 10, 8, 8, 0)
    booking.ensure_slots(hall, days=1, today=dt.date(2026, 10, 9))
    Slot.objects.filter(hall=hall, service_id="zonghe", start=at(2026, 10, 9, 10)).update(capacity=1)
    booking.book(_user("zhangsan"), hall, "zonghe", at(2026, 10, 9, 10), now=now)
    with pytest.raises(Conflict) as full:
        booking.book(_user("lisi"), hall, "zonghe", at(2026, 10, 9, 10), now=now)
    assert full.value.message == "该时段已约满，请选择其他时段" and full.value.field == "start"


def test_cancel_late_cancel_and_no_show_are_distinct_and_counted():
    hall, me = _hall(), _user("zhangsan")
    now = at(2026, 10, 8, 8, 0)
    early = booking.book(me, hall, "zonghe", at(2026, 10, 13, 9), now=now)
    late = booking.book(me, hall, "zonghe", at(2026, 10, 9, 15), now=now)
    missed = booking.book(me, hall, "zonghe", at(2026, 10, 12, 9), now=now)
    with pytest.raises(DomainError) as no_reason:
        booking.cancel(me, early.pk, "", now=now)
    assert "原因" in getattr(no_reason.value, "message", "")
    with pytest.raises(NotFound):
        booking.cancel(_user("lisi"), early.pk, "有事", now=now)
    assert booking.cancel(me, early.pk, "时间冲突", now=now).status == "cancelled"
    assert booking.cancel(me, late.pk, "临时出差", now=at(2026, 10, 9, 8)).status == "late_cancelled"
    assert Slot.objects.get(pk=early.slot_id).booked == 0 and Slot.objects.get(pk=late.slot_id).booked == 0
    assert booking.mark_no_shows(now=at(2026, 10, 12, 9, 45)) == 0  # end 09:30 + 30 min not yet passed
    assert booking.mark_no_shows(now=at(2026, 10, 12, 10, 0)) == 1
    assert Appointment.objects.get(pk=missed.pk).status == "no_show"
    result = booking.counts(hall, dt.date(2026, 10, 9), dt.date(2026, 10, 13))
    assert (result["cancelled"], result["late_cancelled"], result["no_show"], result["booked"]) == (
        1,
        1,
        1,
        0,
    )
    assert result["total"] == 3
    assert Appointment.objects.get(pk=late.pk).reason == "临时出差"


def test_reschedule_keeps_the_old_record_with_its_reason():
    hall, me = _hall(), _user("zhangsan")
    now = at(2026, 10, 8, 8, 0)
    old = booking.book(me, hall, "zonghe", at(2026, 10, 9, 9), now=now)
    new = booking.reschedule(me, old.pk, at(2026, 10, 9, 14), "上午有会", now=now)  # same day: allowed
    old.refresh_from_db()
    assert old.status == "rescheduled" and old.reason == "上午有会" and old.rescheduled_to_id == new.pk
    assert new.status == "booked" and new.start == at(2026, 10, 9, 14) and new.code != old.code
    assert Slot.objects.get(pk=old.slot_id).booked == 0 and Slot.objects.get(pk=new.slot_id).booked == 1
    with pytest.raises(DomainError):
        booking.reschedule(me, new.pk, at(2026, 10, 12, 9), "", now=now)
    assert Appointment.objects.filter(person=me).count() == 2  # nothing written by the refusal
    result = booking.counts(hall, dt.date(2026, 10, 9), dt.date(2026, 10, 9))
    assert result["rescheduled"] == 1 and result["booked"] == 1


def test_an_expired_hold_frees_its_seat():
    hall, now = _hall(), at(2026, 10, 8, 8, 0)
    booking.ensure_slots(hall, days=1, today=dt.date(2026, 10, 9))
    Slot.objects.filter(hall=hall, service_id="zonghe", start=at(2026, 10, 9, 10)).update(capacity=1)
    held = booking.hold(_user("zhangsan"), hall, "zonghe", at(2026, 10, 9, 10), now=now)
    assert held.status == "held" and held.held_until == now + dt.timedelta(minutes=10)
    with pytest.raises(Conflict):
        booking.book(_user("lisi"), hall, "zonghe", at(2026, 10, 9, 10), now=now + dt.timedelta(minutes=5))
    assert booking.expire_holds(now=now + dt.timedelta(minutes=5)) == 0
    assert booking.expire_holds(now=now + dt.timedelta(minutes=11)) == 1
    held.refresh_from_db()
    assert held.status == "expired" and Slot.objects.get(pk=held.slot_id).booked == 0
    with pytest.raises(Conflict):
        booking.confirm(_user("zhangsan"), held.pk, now=now + dt.timedelta(minutes=12))
    assert booking.book(_user("lisi"), hall, "zonghe", at(2026, 10, 9, 10), now=now).status == "booked"


def test_a_held_then_confirmed_booking_and_a_stale_hold_freed_by_the_next_booking():
    hall, now = _hall(), at(2026, 10, 8, 8, 0)
    booking.ensure_slots(hall, days=1, today=dt.date(2026, 10, 9))
    Slot.objects.filter(hall=hall, service_id="zonghe", start=at(2026, 10, 9, 11)).update(capacity=1)
    mine = booking.hold(_user("zhangsan"), hall, "zonghe", at(2026, 10, 9, 11), now=now)
    assert booking.confirm(_user("zhangsan"), mine.pk, now=now).status == "booked"
    booking.ensure_slots(hall, days=1, today=dt.date(2026, 10, 12))
    Slot.objects.filter(hall=hall, service_id="zonghe", start=at(2026, 10, 12, 14)).update(capacity=1)
    stale = booking.hold(_user("zhangsan"), hall, "zonghe", at(2026, 10, 12, 14), now=now)
    other = booking.book(
        _user("lisi"), hall, "zonghe", at(2026, 10, 12, 14), now=now + dt.timedelta(minutes=30)
    )
    assert other.status == "booked" and Appointment.objects.get(pk=stale.pk).status == "expired"
    assert Slot.objects.get(pk=other.slot_id).booked == 1


def test_the_reminder_is_sent_the_day_before_once():
    hall, me = _hall(), _user("zhangsan")
    appointment = booking.book(me, hall, "zonghe", at(2026, 10, 9, 9), now=at(2026, 10, 7, 8))
    assert booking.send_reminders(now=at(2026, 10, 7, 20)) == 0  # two days before
    assert booking.send_reminders(now=at(2026, 10, 8, 18)) == 1
    note = Notification.objects.get(recipient=me, event="halls.reminder")
    assert appointment.code in note.body and hall.address in note.body and "09:00" in note.body
    assert booking.send_reminders(now=at(2026, 10, 8, 19)) == 0
    assert Appointment.objects.get(pk=appointment.pk).reminded_at == at(2026, 10, 8, 18)


# ------------------------------------------------------------------------------- arriving


def test_arrival_makes_a_ticket_called_first_when_due():
    hall, me = _hall(), _user("zhangsan")
    appointment = booking.book(me, hall, "zonghe", at(2026, 10, 9, 10), now=at(2026, 10, 8, 8))
    with pytest.raises(Conflict):
        booking.arrive(me, appointment.pk, now=at(2026, 10, 9, 8, 30))  # more than an hour early
    with pytest.raises(NotFound):
        booking.arrive(_user("lisi"), appointment.pk, now=at(2026, 10, 9, 9, 30))
    kiosk = _user("quhao")
    walk_in = queue.issue(kiosk, hall, "zonghe", now=at(2026, 10, 9, 9, 0))
    ticket = booking.arrive(me, appointment.pk, now=at(2026, 10, 9, 9, 20))
    assert ticket.appointment_id == appointment.pk and ticket.appointment_at == at(2026, 10, 9, 10)
    assert ticket.channel == "appointment" and ticket.person_id == me.pk
    assert Appointment.objects.get(pk=appointment.pk).status == "arrived"
    clerk, window = _user("chuangkou"), Window.objects.get(code="yy-1")
    # before its time less the grace the appointment waits like anyone: the walk-in came first
    first = queue.call_next(clerk, window, now=at(2026, 10, 9, 9, 30))
    assert first.pk == walk_in.pk
    queue.finish(clerk, first.pk, now=at(2026, 10, 9, 9, 31))
    later = queue.issue(kiosk, hall, "zonghe", now=at(2026, 10, 9, 9, 40))
    called = queue.call_next(clerk, window, now=at(2026, 10, 9, 9, 55))  # due (10:00 - 10 min)
    assert called.pk == ticket.pk and later.status == "waiting"
    with pytest.raises(DomainError):
        booking.arrive(me, appointment.pk, now=at(2026, 10, 9, 9, 56))  # arrived once


def test_the_kiosk_checks_in_by_code_case_insensitively():
    hall = _hall()
    appointment = booking.book(_user("lisi"), hall, "shebao", at(2026, 10, 9, 14), now=at(2026, 10, 8, 8))
    kiosk = _user("quhao")
    with pytest.raises(NotFound):
        booking.arrive_by_code(kiosk, hall, "ZZZZZZZZ", now=at(2026, 10, 9, 13, 30))
    ticket = booking.arrive_by_code(kiosk, hall, appointment.code.lower(), now=at(2026, 10, 9, 13, 30))
    assert (
        isinstance(ticket, Ticket)
        and ticket.appointment_id == appointment.pk
        and ticket.channel == "appointment"
    )
    other = Hall.objects.get(code="pingjiang-county-hall")
    with pytest.raises(NotFound):
        booking.arrive_by_code(kiosk, other, appointment.code, now=at(2026, 10, 9, 13, 30))


# ------------------------------------------------------------------------------- API and pages


def _future_start(hall, service="zonghe") -> dt.datetime:
    """A slot three open days from the wall clock (the API takes its time from it)."""
    day = booking.open_days(hall)[3]
    booking.ensure_slots(hall, days=1, today=day)
    return booking.slots_for(hall, service, day)[0]["start"]


def _post(client, url, token, body):
    return client.post(url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=token)


def test_api_slots_booking_409_and_404_for_someone_elses(token_for):
    hall, client = _hall(), Client()
    start = _future_start(hall)
    day = start.astimezone(TZ).date().isoformat()
    listed = client.get(f"/api/v1/halls/{CITY}/slots", {"service": "zonghe", "date": day})
    assert listed.status_code == 200, listed.content
    first = listed.json()["slots"][0]
    assert first["start"].endswith("+08:00") and first["left"] == first["capacity"]
    Slot.objects.filter(hall=hall, service_id="zonghe", start=start).update(capacity=1)
    me, other = token_for(_user("zhangsan")), token_for(_user("lisi"))
    made = _post(
        client, "/api/v1/appointments", me, {"hall": CITY, "service": "zonghe", "start": first["start"]}
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "booked" and body["start"] == first["start"] and body["code"]
    full = _post(
        client, "/api/v1/appointments", other, {"hall": CITY, "service": "zonghe", "start": first["start"]}
    )
    assert full.status_code == 409 and full.json()["error"]["field"] == "start"
    bad = _post(
        client, "/api/v1/appointments", other, {"hall": CITY, "service": "zonghe", "start": "明天上午"}
    )
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "start"
    assert (
        _post(
            client, "/api/v1/appointments", other, {"hall": CITY, "service": "zonghe", "start": "x\x00"}
        ).status_code
        == 400
    )
    url = f"/api/v1/appointments/{body['id']}"
    assert client.get(url, HTTP_AUTHORIZATION=other).status_code == 404
    assert _post(client, f"{url}/cancel", other, {"reason": "x"}).status_code == 404
    assert client.get(url, HTTP_AUTHORIZATION=me).json()["code"] == body["code"]
    assert [a["id"] for a in client.get("/api/v1/appointments", HTTP_AUTHORIZATION=me).json()["results"]] == [
        body["id"]
    ]
    assert _post(client, f"{url}/cancel", me, {"reason": ""}).status_code in (400, 409)
    cancelled = _post(client, f"{url}/cancel", me, {"reason": "不去了"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] in {"cancelled", "late_cancelled"}
    assert client.get(
        f"/api/v1/halls/{CITY}/slots", {"service": "zonghe", "date": "2026-13-01"}
    ).status_code in (400, 422)
    assert client.get("/api/v1/halls/nope/slots", {"service": "zonghe", "date": day}).status_code == 404


def test_api_reschedule_and_arrive(token_for):
    hall, client = _hall(), Client()
    start = _future_start(hall)
    me = token_for(_user("zhangsan"))
    made = _post(
        client, "/api/v1/appointments", me, {"hall": CITY, "service": "zonghe", "start": start.isoformat()}
    ).json()
    later = start + dt.timedelta(minutes=30)
    moved = _post(
        client,
        f"/api/v1/appointments/{made['id']}/reschedule",
        me,
        {"start": later.isoformat(), "reason": "改时间"},
    )
    assert moved.status_code == 201, moved.content
    assert Appointment.objects.get(pk=made["id"]).rescheduled_to_id == moved.json()["id"]
    early = _post(client, f"/api/v1/appointments/{moved.json()['id']}/arrive", me, {})
    assert early.status_code == 409  # days before its time


def test_pages_book_and_list_cancel(client):
    hall = _hall()
    start = _future_start(hall)
    day = start.astimezone(TZ).date().isoformat()
    client.force_login(_user("zhangsan"))
    url = f"/halls/{CITY}/book/"
    page = client.get(url)
    assert page.status_code == 200 and "综合受理" in page.content.decode()
    page = client.get(url, {"service": "zonghe"})
    assert day in page.content.decode()
    page = client.get(url, {"service": "zonghe", "date": day, "start": start.isoformat()})
    assert "确认预约" in page.content.decode()
    done = client.post(url, {"service": "zonghe", "date": day, "start": start.isoformat()}, follow=True)
    text = done.content.decode()
    assert done.redirect_chain[-1][0].endswith("/halls/appointments/")
    appointment = Appointment.objects.get(person__username="zhangsan")
    assert f"预约成功，预约号 {appointment.code}" in text and "已预约" in text and "取消预约" in text
    again = client.post(url, {"service": "zonghe", "date": day, "start": start.isoformat()}, follow=True)
    assert "每人每天" in again.content.decode()  # a message, not an error page
    client.post(f"/halls/appointments/{appointment.pk}/cancel/", {"reason": "有事"})
    assert Appointment.objects.get(pk=appointment.pk).status in {"cancelled", "late_cancelled"}
    client.force_login(_user("lisi"))
    refused = client.post(f"/halls/appointments/{appointment.pk}/arrive/", follow=True)
    assert refused.status_code == 200 and "未找到该预约" in refused.content.decode()
    assert not Ticket.objects.filter(appointment=appointment).exists()
    assert client.get("/halls/no-such-hall/book/").status_code == 404
