"""重复诉求 through intake: below the threshold none, at it one (per item, department, hall),
a further complaint grows the open one; only the rolling window counts, and only complaints
after the last fix; its clock turns red after 10 working days and escalates; the owner's fix
stops it; a filing that loses the race to open it is added to the winner."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from onething.accounts.models import User
from onething.catalog.models import Item, PublishState
from onething.clocks import scan
from onething.clocks import service as clocks
from onething.hotline import intake, recurrences
from onething.hotline.models import Recurrence, Ticket
from onething.kernel.errors import Invalid, NotPermitted
from onething.notifications.models import Notification

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
#: a Monday in 2025, before the demo's history (the baseline's tickets run up to today)
NOW = dt.datetime(2025, 11, 3, 10, 0, tzinfo=TZ)
ITEM = "430600-WJ-2001-01"
WEIJIAN = "11430600MB06000535"
SHICHANG = "11430600MB0600018G"
HALL = "yueyang-city-hall"


@pytest.fixture(autouse=True)
def no_demo_recurrences():
    """The baseline's demo opened recurrences of its own (undone with the test)."""
    Recurrence.objects.all().delete()


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """The clock scan at a moment, its callbacks told (they run after the commit)."""

    def at(moment: dt.datetime):
        with django_capture_on_commit_callbacks(execute=True):
            return scan.scan(moment)

    return at


def user(name: str) -> User:
    return User.objects.get(username=name)


def complain(
    n: int = 1, *, at: dt.datetime = NOW, now: dt.datetime | None = None, category="complaint", **about
):
    """``n`` tickets about ``about`` (item=, department=, hall=), received at ``at``."""
    out = []
    for i in range(n):
        data = {
            "category": category,
            "channel": "hotline",
            "content": f"第{i + 1}次反映：办事难",
            "region": "430602",
            "caller": {"name": "王女士", "phone": f"1390000{i:04d}"},
            "received_at": at.isoformat(),
            **about,
        }
        out.append(intake.file(data, actor=user("jiexian"), role="operator", now=now or at).ticket)
    return out


def test_opens_at_the_threshold_once_and_grows():
    department = Item.objects.get(code=ITEM, state=PublishState.PUBLISHED).department_id
    assert department == WEIJIAN
    first = complain(2, item=ITEM)
    assert not Recurrence.objects.exists()
    third = complain(1, item=ITEM)[0]
    item = Recurrence.objects.get(subject="item")
    assert (item.key, item.status, item.count, item.window_days) == (ITEM, "open", 3, 30)
    assert item.tickets == [t.number for t in [*first, third]]
    assert item.department_id == WEIJIAN and item.hall_id is None and item.region_id == "430600"
    clock = clocks.get(recurrences.owner(item), recurrences.CLOCK)
    assert clock is not None and clock.stopped_at is None
    assert item.due_date == dt.date(2025, 11, 17)  # 10 working days after Monday 3 November
    note = Notification.objects.get(
        recipient=user("chengban_weijian"), event="hotline.recurrence", link=recurrences.link(item)
    )
    assert "重复诉求整改" in note.title and "2025-11-17" in note.title
    # the item's department is a subject of its own: the same three complaints
    assert Recurrence.objects.get(subject="department").key == WEIJIAN
    fourth = complain(1, item=ITEM, at=NOW + dt.timedelta(hours=1))[0]
    assert Recurrence.objects.filter(subject="item").count() == 1
    item.refresh_from_db()
    assert item.count == 4 and item.tickets[-1] == fourth.number and item.status == "open"


def test_only_the_rolling_window_and_the_categories_count():
    complain(1, department=SHICHANG, at=NOW - dt.timedelta(days=30, minutes=1), now=NOW)  # outside
    complain(2, department=SHICHANG, category="consult")  # not a complaint
    complain(1, department=SHICHANG, at=NOW - dt.timedelta(days=29), now=NOW)  # a late letter, inside
    complain(1, department=SHICHANG)
    assert not Recurrence.objects.exists()
    complain(1, department=SHICHANG)
    found = Recurrence.objects.get()
    assert (found.subject, found.key, found.count, found.department_id) == (
        "department",
        SHICHANG,
        3,
        SHICHANG,
    )
    assert len(found.tickets) == 3
    assert Notification.objects.filter(
        recipient=user("chengban_shichang"), event="hotline.recurrence"
    ).exists()


def test_a_hall_is_a_subject_its_managers_own():
    complain(2, hall=HALL, category="not_done")
    assert not Recurrence.objects.exists()
    complain(1, hall=HALL, category="not_done")
    found = Recurrence.objects.get()
    assert (found.subject, found.key, found.hall_id, found.department_id) == ("hall", HALL, HALL, None)
    assert Notification.objects.filter(recipient=user("dating"), event="hotline.recurrence").exists()
    assert not Notification.objects.filter(
        recipient=user("chengban_weijian"), event="hotline.recurrence"
    ).exists()
    assert recurrences.roles_for(user("dating"), found) == {"handler"}
    assert recurrences.roles_for(user("chuangkou"), found) == set()


def test_clock_turns_red_after_ten_working_days_and_escalates(run):
    complain(3, department=SHICHANG)
    found = Recurrence.objects.get()
    told = Notification.objects.filter(event="hotline.recurrence")
    told.delete()
    run(NOW + dt.timedelta(days=3))
    run(dt.datetime(2025, 11, 17, 23, 0, tzinfo=TZ))  # the last day: not yet red
    assert not told.filter(recipient=user("ducha")).exists()
    assert told.filter(recipient=user("chengban_shichang"), title__contains="黄牌").count() == 1
    assert clocks.get(recurrences.owner(found), recurrences.CLOCK).warning == "yellow"
    run(dt.datetime(2025, 11, 18, 0, 1, tzinfo=TZ))
    assert clocks.get(recurrences.owner(found), recurrences.CLOCK).warning == "red"
    red = told.get(recipient=user("ducha"))
    assert "红牌" in red.title and red.link == recurrences.link(found)
    assert told.filter(recipient=user("chengban_shichang"), title__contains="红牌").count() == 1
    assert not told.filter(recipient=user("chengban_weijian")).exists()


def test_fix_closes_it_and_only_later_complaints_count_again(run):
    complain(3, department=SHICHANG)
    found = Recurrence.objects.get()
    handler = user("chengban_shichang")
    with pytest.raises(NotPermitted):
        recurrences.fix(
            found, user("ducha"), roles=recurrences.roles_for(user("ducha"), found), note="已整改"
        )
    with pytest.raises(Invalid) as exc:
        recurrences.fix(found, handler, roles=recurrences.roles_for(handler, found), note=" ")
    assert exc.value.field == "note"
    done = recurrences.fix(
        found,
        handler,
        roles=recurrences.roles_for(handler, found),
        note="已优化窗口办理流程",
        now=NOW + dt.timedelta(days=1),
    )
    assert (done.status, done.fix_note, done.fixed_by) == ("fixed", "已优化窗口办理流程", handler)
    assert clocks.get(recurrences.owner(done), recurrences.CLOCK).stopped_at is not None
    later = NOW + dt.timedelta(days=2)
    complain(2, department=SHICHANG, at=later)  # the three before the fix no longer count
    assert Recurrence.objects.filter(status="open").count() == 0
    complain(1, department=SHICHANG, at=later)
    again = Recurrence.objects.get(status="open")
    assert again.count == 3 and again.pk != done.pk
    # scanning after the fix tells nobody about the fixed one
    Notification.objects.all().delete()
    run(dt.datetime(2025, 11, 18, 0, 1, tzinfo=TZ))
    assert not Notification.objects.filter(link=recurrences.link(done)).exists()
    assert Notification.objects.filter(link=recurrences.link(again), title__contains="黄牌").exists()


def test_a_filing_that_loses_the_race_is_added_to_the_open_one(monkeypatch):
    complain(3, department=SHICHANG)
    found = Recurrence.objects.get()
    real = recurrences._open_one
    calls = []

    def blind_once(subject):
        calls.append(subject["key"])
        return None if len(calls) == 1 else real(subject)

    monkeypatch.setattr(recurrences, "_open_one", blind_once)
    fourth = complain(1, department=SHICHANG)[0]
    assert Recurrence.objects.filter(status="open").count() == 1
    found.refresh_from_db()
    assert found.count == 4 and fourth.number in found.tickets
    assert Ticket.objects.filter(number=fourth.number).exists()  # the filing itself went through


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="real concurrency needs PostgreSQL (SQLite serialises writers)",
)
def test_filings_at_the_same_instant_open_one_recurrence():
    from tests.plugins.concurrency import together

    complain(2, department=SHICHANG)
    outcomes = together([lambda: complain(1, department=SHICHANG)[0] for _ in range(4)])
    assert all(isinstance(o, Ticket) for o in outcomes), outcomes
    found = Recurrence.objects.get(subject="department", key=SHICHANG, status="open")
    assert found.count == len(set(found.tickets)) == 6
    assert {o.number for o in outcomes} <= set(found.tickets)
