"""Working-day calendar API: ``add-workdays``, ``is-workday``, ``workdays-between``."""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema
from pydantic import Field

from onething.calendar.service import YearNotLoaded, get_calendar
from onething.core.errors import ApiError, responses

router = Router(tags=["calendar"])


class DateOut(Schema):
    date: dt.date


class WorkdayOut(Schema):
    workday: bool


class CountOut(Schema):
    workdays: int


class AddWorkdaysIn(Schema):
    start: dt.date = Field(description="起算日期（当日不计入）")
    days: int = Field(ge=-3650, le=3650, description="工作日数")


class DateIn(Schema):
    date: dt.date


class BetweenIn(Schema):
    start: dt.date
    end: dt.date


def _not_loaded(exc: YearNotLoaded, field: str) -> ApiError:
    return ApiError(400, "year_not_loaded", f"{exc.year}年的工作日历尚未载入，无法计算", field)


@router.get("/add-workdays", response=responses(DateOut), summary="第N个工作日")
def add_workdays(request, params: Query[AddWorkdaysIn]):
    """The N-th working day after ``start`` on the official calendar (the start day is not counted)."""
    try:
        return {"date": get_calendar().add_workdays(params.start, params.days)}
    except YearNotLoaded as exc:
        # the start year itself, or a later/earlier year the count runs into
        raise _not_loaded(exc, "start" if exc.year == params.start.year else "days")


@router.get("/is-workday", response=responses(WorkdayOut), summary="是否工作日")
def is_workday(request, params: Query[DateIn]):
    try:
        return {"workday": get_calendar().is_workday(params.date)}
    except YearNotLoaded as exc:
        raise _not_loaded(exc, "date")


@router.get("/workdays-between", response=responses(CountOut), summary="两日期间的工作日数")
def workdays_between(request, params: Query[BetweenIn]):
    """Working days in (start, end]."""
    try:
        return {"workdays": get_calendar().workdays_between(params.start, params.end)}
    except YearNotLoaded as exc:
        raise _not_loaded(exc, "end" if exc.year == params.end.year else "start")
