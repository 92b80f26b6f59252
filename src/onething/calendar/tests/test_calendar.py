"""The official working-day calendar as data: seeded, cross-checked, loaded, edited, served.

Legal deadlines are computed on this table, so it must match the State Council schedules,
refuse years nobody has loaded, and pick up an administrator's correction at once.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

import holidays
import pytest
from conftest import without_placeholder_years
from django.core.management import CommandError, call_command

from onething.calendar import service
from onething.calendar.models import CalendarDay, CalendarYear
from onething.kernel.tests.test_workdays import HOLIDAYS, MAKEUP
from onething.kernel.workdays import default_workday

D = dt.date
CALENDAR_2027 = resources.files("onething.calendar").joinpath("tests/data/calendar-2027.json")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seeded_calendar(db):
    """The migration seeds the table; a transactional test elsewhere may have flushed it.
    These tests are about the official years only: the suite's placeholders go."""
    if not CalendarYear.objects.filter(year=2026).exists():
        service.seed_from_chinese_calendar()
    without_placeholder_years()


def _days(year: int) -> list[dt.date]:
    first = D(year, 1, 1)
    return [first + dt.timedelta(days=n) for n in range((D(year + 1, 1, 1) - first).days)]


# ------------------------------------------------------------------ seeding


def test_migration_seeds_2004_to_2026_from_chinese_calendar():
    years = set(CalendarYear.objects.values_list("year", flat=True))
    assert set(range(2004, 2027)) <= years
    assert 2027 not in years
    assert CalendarYear.objects.get(year=2026).source.startswith("chinese-calendar")
    assert service.chinese_calendar_years() == range(2004, 2027)


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_matches_the_state_council_schedule(year):
    """Every day of the year: holidays off, make-up days on, every other day Monday–Friday."""
    calendar = service.get_calendar()
    off, on = set(HOLIDAYS[year]), set(MAKEUP[year])
    for day in _days(year):
        expected = False if day in off else True if day in on else default_workday(day)
        assert calendar.is_workday(day) is expected, day


@pytest.mark.parametrize("year", [2025, 2026])
def test_holidays_package_days_are_days_off(year):
    """Cross-check with an independent source: every holiday `holidays` knows is a day off.
    (`holidays` has no make-up working days; those are checked against domain facts above.)"""
    calendar = service.get_calendar()
    listed = holidays.China(years=year)
    assert len(listed) > 10
    for day, name in listed.items():
        assert calendar.is_workday(day) is False, f"{day} {name}"


def test_2026_has_248_working_days_in_the_table():
    assert service.get_calendar().workdays_in_year(2026) == 248


def test_reseeding_a_year_gives_the_same_days():
    before = set(CalendarDay.objects.filter(year_id=2026).values_list("date", "workday", "name"))
    assert service.seed_from_chinese_calendar([2026]) == [2026]
    after = set(CalendarDay.objects.filter(year_id=2026).values_list("date", "workday", "name"))
    assert before == after
    names = {n for _, _, n in after}
    assert {"春节", "国庆节"} <= names


def test_load_year_refuses_dates_of_another_year():
    with pytest.raises(ValueError, match="不属于 2027 年"):
        service.load_year(2027, [(D(2026, 10, 1), "国庆节")], [])
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_load_year_keeps_only_exceptions():
    service.load_year(2027, [(D(2027, 1, 1), "元旦"), (D(2027, 1, 2), "周六")], [(D(2027, 2, 20), "调休")])
    stored = set(CalendarDay.objects.filter(year_id=2027).values_list("date", "workday"))
    assert stored == {(D(2027, 1, 1), False), (D(2027, 2, 20), True)}  # Saturday 1/2 is off anyway


def test_day_outside_its_year_is_invalid():
    from django.core.exceptions import ValidationError

    day = CalendarDay(year_id=2026, date=D(2025, 3, 3), workday=False)
    with pytest.raises(ValidationError, match="不属于 2026 年"):
        day.clean()


# ------------------------------------------------------------------ loading a new year


def test_load_calendar_command_makes_2027_usable():
    with pytest.raises(service.YearNotLoaded):
        service.get_calendar().is_workday(D(2027, 2, 8))
    out = _call("load_calendar", str(CALENDAR_2027))
    assert "已载入 2027 年" in out
    calendar = service.get_calendar()
    assert calendar.is_workday(D(2027, 2, 8)) is False
    assert calendar.is_workday(D(2027, 2, 20)) is True  # Saturday make-up day
    # Fri 2/5 → 2/8–12 off → Mon 2/15
    assert calendar.add_workdays(D(2027, 2, 5), 1) == D(2027, 2, 15)
    # and arithmetic now runs across the year boundary
    assert calendar.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"holidays": []}),
        json.dumps({"year": "abc"}),
        json.dumps({"year": 2027, "holidays": [["2027-02-30", "x"]]}),
        json.dumps({"year": 2027, "holidays": [["2028-01-01", "x"]]}),
        json.dumps([1, 2]),
    ],
)
def test_load_calendar_refuses_bad_files(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match="日历文件无效"):
        _call("load_calendar", str(path))
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_load_calendar_missing_file(tmp_path):
    with pytest.raises(CommandError, match="日历文件无效"):
        _call("load_calendar", str(tmp_path / "nope.json"))


# ------------------------------------------------------------------ API


def test_api_add_workdays(client):
    response = client.get("/api/v1/calendar/add-workdays", {"start": "2026-09-30", "days": 1})
    assert response.status_code == 200
    assert response.json() == {"date": "2026-10-08"}
    response = client.get("/api/v1/calendar/add-workdays", {"start": "2026-02-24", "days": -1})
    assert response.json() == {"date": "2026-02-14"}


def test_api_is_workday(client):
    assert client.get("/api/v1/calendar/is-workday", {"date": "2026-02-14"}).json() == {"workday": True}
    assert client.get("/api/v1/calendar/is-workday", {"date": "2026-10-05"}).json() == {"workday": False}


def test_api_workdays_between(client):
    response = client.get("/api/v1/calendar/workdays-between", {"start": "2026-09-30", "end": "2026-10-10"})
    assert response.json() == {"workdays": 3}


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("is-workday", {"date": "2027-01-04"}, "date"),
        ("add-workdays", {"start": "2027-01-04", "days": 1}, "start"),
        ("add-workdays", {"start": "2026-12-30", "days": 5}, "days"),
        ("workdays-between", {"start": "2026-12-01", "end": "2027-01-10"}, "end"),
        ("workdays-between", {"start": "2003-12-01", "end": "2026-01-10"}, "start"),
    ],
)
def test_api_refuses_unloaded_years_naming_the_field(client, url, params, field):
    response = client.get(f"/api/v1/calendar/{url}", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "year_not_loaded"
    assert error["field"] == field
    assert "尚未载入" in error["message"]


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("is-workday", {"date": "2026-13-01"}, "date"),
        ("is-workday", {}, "date"),
        ("add-workdays", {"start": "2026-01-05", "days": "x"}, "days"),
        ("add-workdays", {"start": "2026-01-05", "days": 99999}, "days"),
    ],
)
def test_api_bad_input_is_a_4xx_in_the_error_shape(client, url, params, field):
    response = client.get(f"/api/v1/calendar/{url}", params)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


# ------------------------------------------------------------------ admin edit, no restart


def _admin_post_data(year: CalendarYear, extra_day: tuple[str, bool, str] | None = None) -> dict:
    days = list(year.days.order_by("date"))
    data = {
        "year": str(year.year),
        "source": year.source,
        "days-TOTAL_FORMS": str(len(days) + 1),
        "days-INITIAL_FORMS": str(len(days)),
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }
    for n, day in enumerate(days):
        data.update(
            {
                f"days-{n}-id": str(day.pk),
                f"days-{n}-year": str(year.year),
                f"days-{n}-date": day.date.isoformat(),
                f"days-{n}-name": day.name,
            }
        )
        if day.workday:
            data[f"days-{n}-workday"] = "on"
    if extra_day:
        n = len(days)
        date, workday, name = extra_day
        data.update({f"days-{n}-year": str(year.year), f"days-{n}-date": date, f"days-{n}-name": name})
        if workday:
            data[f"days-{n}-workday"] = "on"
    return data


def test_admin_edit_changes_results_without_restart(client, make_user):
    """An administrator adds an extra day off in the admin; the running process computes
    with it on the next call (the calendar cache notices the change)."""
    admin = make_user("cal-admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert service.get_calendar().is_workday(D(2026, 3, 10)) is True  # warm the cache
    assert client.get("/api/v1/calendar/add-workdays", {"start": "2026-03-09", "days": 1}).json() == {
        "date": "2026-03-10"
    }
    year = CalendarYear.objects.get(year=2026)
    response = client.post(
        "/admin/calendar/calendaryear/2026/change/", _admin_post_data(year, ("2026-03-10", False, "临时休假"))
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CalendarDay.objects.filter(date=D(2026, 3, 10), workday=False).exists()
    assert service.get_calendar().is_workday(D(2026, 3, 10)) is False
    assert client.get("/api/v1/calendar/add-workdays", {"start": "2026-03-09", "days": 1}).json() == {
        "date": "2026-03-11"
    }


def test_admin_changelist_shows_counts(client, make_user):
    client.force_login(make_user("cal-admin2", is_staff=True, is_superuser=True))
    response = client.get("/admin/calendar/calendaryear/")
    assert response.status_code == 200
    assert "2026年" in response.content.decode()


def test_editing_a_day_directly_is_noticed():
    calendar = service.get_calendar()
    assert calendar.is_workday(D(2026, 2, 14)) is True
    day = CalendarDay.objects.get(date=D(2026, 2, 14))
    day.workday = False
    day.save()
    assert service.get_calendar().is_workday(D(2026, 2, 14)) is False
    day.delete()  # back to the default: Saturday is off
    assert service.get_calendar().is_workday(D(2026, 2, 14)) is False
    assert service.get_calendar().is_workday(D(2026, 2, 28)) is True


def _call(*args) -> str:
    import io

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
