"""Window figures API (``GET /halls/{hall}/figures?from=&to=``): the figures of one hall for a
period, for the staff who may see that hall (platform admins, supervisors of its region,
its clerks); anyone else gets 404."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from onething.accounts.auth import authenticated
from onething.core.errors import responses
from onething.core.text import Date, Text
from onething.halls import figures
from onething.kernel.errors import NotFound

router = Router(tags=["halls"], auth=authenticated)


class QueueFigures(Schema):
    volume: int
    served: int
    called: int
    no_show: int
    transferred: int
    wait_avg: float | None
    wait_p90: float | None
    service_avg: float | None
    service_p90: float | None
    stay_avg: float | None
    stay_p90: float | None
    no_show_rate: float | None
    transfer_rate: float | None


class WindowFigures(QueueFigures):
    window: str
    hall: str
    number: str
    name: str


class StaffFigures(QueueFigures):
    staff: str
    name: str


class ServiceFigures(QueueFigures):
    service: str
    name: str


class DayFigures(QueueFigures):
    day: str


class HourFigures(QueueFigures):
    hour: int


class HallFigures(Schema):
    hall: str
    first: str = Field(alias="from")
    to: str
    windows: list[WindowFigures]
    staff: list[StaffFigures]
    services: list[ServiceFigures]
    days: list[DayFigures]
    hours: list[HourFigures]
    totals: QueueFigures


@router.get(
    "/{hall}/figures",
    response=responses(HallFigures, 400, 401, 404),
    by_alias=True,
    summary="大厅窗口数据（等候、办理、逗留时长，过号率、转移率）",
)
def hall_figures(
    request: HttpRequest,
    hall: Text(40),
    first: Annotated[Date() | None, Query(alias="from")] = None,
    last: Annotated[Date() | None, Query(alias="to")] = None,
) -> dict:
    found = figures.visible_halls(request.auth).filter(code=hall).first()
    if found is None:
        raise NotFound("未找到该大厅", "hall")
    first_day, last_day = figures.period(first, last)
    data = figures.report([found], first_day, last_day)
    return {
        "hall": found.code,
        "from": data["from"],
        "to": data["to"],
        "windows": data["windows"],
        "staff": data["staff"],
        "services": data["services"],
        "days": data["days"],
        "hours": data["hours"],
        "totals": data["totals"],
    }
