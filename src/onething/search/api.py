"""Search and browse API, mounted under ``/api/v1/catalog``.

``GET /search`` is a public interface (mobile apps and the national platform call it): its
path, parameters and the ``kind``/``code``/``name``/``score`` fields of a result are fixed.
"""

from __future__ import annotations

from ninja import Router, Schema

from onething.core.errors import responses
from onething.core.text import Int
from onething.search import browse as browsing
from onething.search import params
from onething.search.engine import search as run_search

router = Router(tags=["search"])


class SearchResult(Schema):
    kind: str
    code: str
    name: str
    score: float
    department: str = ""
    region: str | None = None
    region_name: str = ""
    audience: str = "both"
    themes: list[str] = []


class SearchOut(Schema):
    results: list[SearchResult]


@router.get(
    "/search",
    response=responses(SearchOut),
    summary="搜索事项和一件事",
    description="中文全文检索：分词、繁简转换、口语同义词；一两个字的查询也可；"
    "未切换输入法时输入的拼音（全拼，可带空格；或词语首字母，如 sbk）按索引中的词语读作汉字。"
    "region 为行政区划代码时，只返回该区划及其上级、下级区划的事项和一件事。",
)
def search(request, q: str = "", region: str = "", limit: Int() = 20):
    query = params.clean_query(q)
    scope = params.clean_region(region)
    return {"results": run_search(query, scope, params.clean_limit(limit))}


class BrowseResult(Schema):
    kind: str
    code: str
    name: str
    department: str = ""
    region: str | None = None
    region_name: str = ""
    audience: str = "both"
    themes: list[str] = []
    summary: str = ""


class BrowseOut(Schema):
    count: int
    results: list[BrowseResult]


@router.get("/browse", response=responses(BrowseOut), summary="按主题、部门、区划浏览（一件事在前）")
def browse(
    request,
    theme: str = "",
    audience: str = "",
    region: str = "",
    department: str = "",
    limit: Int() = 50,
    offset: Int() = 0,
):
    return browsing.browse(
        theme=params.clean_theme(theme),
        audience=params.clean_audience(audience),
        scope=params.clean_region(region),
        department=params.clean_department(department),
        limit=params.clean_limit(limit, default=50),
        offset=params.clean_offset(offset),
    )


class ThemeCount(Schema):
    theme: str
    bundles: int
    items: int
    count: int


class ThemeGroup(Schema):
    group: str
    label: str
    themes: list[ThemeCount]


class ThemesOut(Schema):
    groups: list[ThemeGroup]


@router.get("/themes", response=responses(ThemesOut), summary="主题（个人生命周期、企业生命周期）及数量")
def themes(request, audience: str = "", region: str = ""):
    groups = browsing.themes(params.clean_audience(audience), params.clean_region(region))
    return {"groups": groups}
