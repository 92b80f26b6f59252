"""Validation of the public search and browse parameters, shared by the API and the pages.

Bad input is the client's fault and becomes a 4xx with a Chinese message naming the field,
never a 500 (a NUL byte or a 10 kB query must not reach the database).
"""

from __future__ import annotations

import re

from onething.core.errors import ApiError, invalid
from onething.search.query import MAX_LENGTH
from onething.search.regions import RegionScope, scope

REGION_CODE = re.compile(r"^\d{6}(\d{6})?$")
DEPARTMENT_CODE = re.compile(r"^[0-9A-Z]{18}$")
AUDIENCES = ("person", "enterprise")
MAX_LIMIT = 100
#: browsing pages through at most this many results (the catalog is far smaller; a larger
#: offset would overflow the database's bigint before it found anything)
MAX_OFFSET = 100_000


def clean_query(q: str | None) -> str:
    q = (q or "").strip()
    if not q:
        raise invalid("q", "请输入要查找的事项或一件事", "empty_query")
    if len(q) > MAX_LENGTH:
        raise invalid("q", f"查询内容不能超过{MAX_LENGTH}个字", "query_too_long")
    return q


def clean_limit(limit: int | None, default: int = 20) -> int:
    if limit is None:
        return default
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", f"limit 应在 1 到 {MAX_LIMIT} 之间")
    return limit


def clean_offset(offset: int | None) -> int:
    if offset is None:
        return 0
    if not 0 <= offset <= MAX_OFFSET:
        raise invalid("offset", f"offset 应在 0 到 {MAX_OFFSET} 之间")
    return offset


def clean_region(code: str | None) -> RegionScope | None:
    code = (code or "").strip()
    if not code:
        return None
    if not REGION_CODE.match(code):
        raise invalid("region", "行政区划代码应为6位或12位数字", "invalid_region")
    found = scope(code)
    if found is None:
        raise ApiError(400, "unknown_region", f"未知的行政区划代码 {code}", "region")
    return found


def clean_audience(audience: str | None) -> str | None:
    audience = (audience or "").strip()
    if not audience:
        return None
    if audience not in AUDIENCES:
        raise invalid("audience", "服务对象应为 person（自然人）或 enterprise（法人）")
    return audience


def clean_department(code: str | None) -> str | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    if not DEPARTMENT_CODE.match(code):
        raise invalid("department", "部门代码应为18位统一社会信用代码")
    return code


def clean_theme(theme: str | None) -> str | None:
    theme = (theme or "").strip()
    if not theme:
        return None
    if len(theme) > 20 or "|" in theme:
        raise invalid("theme", "主题名称不正确")
    return theme
