"""好差评 rates and rankings API (mounted at ``/api/v1/ratings``):

- ``GET /ratings/figures?region=&from=&to=&by=`` — the rows of one dimension (``by``: region,
  department, item, service, hall, window, staff, channel, all) for a region and period;
- ``GET /ratings/rankings?region=&from=&to=&by=region|department`` — 区划排名 or 部门排名.

For supervisors (their regions), platform admins and department admins (their department's
rows only); a region unknown or outside the caller's scope is 404. Blank ``region``: the
caller's first region; blank period: the current month so far. Rates are fractions 0–1 (or
null), with their numerators and denominators.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from onething.accounts.auth import authenticated
from onething.core.errors import responses
from onething.core.text import Text
from onething.kernel.errors import NotFound
from onething.ratings import figures

router = Router(tags=["ratings"], auth=authenticated)


class Parts(Schema):
    good_rate: int
    bad_rate: int
    fixed_rate: int
    revisit_rate: int
    coverage: int


class FigureRow(Schema):
    key: str
    label: str
    ratings: int
    given: int
    defaulted: int
    good: int
    bad: int
    good_rate: float | None
    bad_rate: float | None
    fixed_rate: float | None
    revisit_rate: float | None
    coverage: float | None
    average: float | None
    indicators: dict[str, float | None]
    numerators: Parts
    denominators: Parts


class RankedRow(FigureRow):
    rank: int


class RatingFigures(Schema):
    region: str
    first: str = Field(alias="from")
    to: str
    by: str
    rows: list[FigureRow]


class Rankings(Schema):
    region: str
    first: str = Field(alias="from")
    to: str
    by: str
    rows: list[RankedRow]


Param = Annotated[Text(20) | None, Query()]


def _scope(request: HttpRequest, region: str | None):
    region, departments = figures.region_for(figures.scope_of(request.auth), region)
    return region, departments


@router.get(
    "/figures",
    response=responses(RatingFigures, 400, 401, 404),
    by_alias=True,
    summary="好差评统计（好评率、差评率、差评整改率、回访率、主动评价率、平均分）",
)
def rating_figures(
    request: HttpRequest,
    region: Param = None,
    first: Annotated[Text(20) | None, Query(alias="from")] = None,
    last: Annotated[Text(20) | None, Query(alias="to")] = None,
    by: Param = None,
) -> dict:
    found, departments = _scope(request, region)
    dim = figures.dimension(by)
    if dim not in figures.DEPARTMENT_DIMS and departments is not None:
        raise NotFound("部门管理员只能查看本部门的评价统计（按区划、部门、事项、工作人员）", "by")
    start, end = figures.period(first, last)
    rows = figures.rates(found, start=start, end=end, dim=dim, departments=departments)
    return {
        "region": found.code,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "by": dim,
        "rows": [r.as_dict() for r in rows],
    }


@router.get(
    "/rankings",
    response=responses(Rankings, 400, 401, 404),
    by_alias=True,
    summary="好差评排名（区划排名、部门排名）",
)
def rating_rankings(
    request: HttpRequest,
    region: Param = None,
    first: Annotated[Text(20) | None, Query(alias="from")] = None,
    last: Annotated[Text(20) | None, Query(alias="to")] = None,
    by: Param = None,
) -> dict:
    found, departments = _scope(request, region)
    by = figures.dimension(by)
    start, end = figures.period(first, last)
    rows = figures.rankings(found, start, end, by, departments=departments)
    return {
        "region": found.code,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "by": by,
        "rows": [r.as_dict() for r in rows],
    }
