"""The REST API root ``/api/v1/``: one NinjaAPI, the error handlers, and every app's router.

Each app owns its router (``<app>/api/``); this module only mounts them, so the OpenAPI
document at ``/api/v1/openapi.json`` is the sum of what the apps declare.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from onething.accounts.api import router as accounts_router
from onething.accounts.auth import authenticated
from onething.calendar.api import router as calendar_router
from onething.cases.api import router as cases_router
from onething.cases.api.extensions import router as extensions_router
from onething.cases.api.post_checks import router as post_checks_router
from onething.cases.api.post_checks import subcase_router as post_check_subcase_router
from onething.catalog.api import router as catalog_router
from onething.core.errors import ApiError, from_domain
from onething.core.text import refused
from onething.documents.api import router as documents_router
from onething.guides.api import router as guides_router
from onething.halls.api import queue_router
from onething.halls.api import router as halls_router
from onething.halls.api.appointments import appointments_router, slots_router
from onething.halls.api.figures import router as figures_router
from onething.hotline.api.hotline import router as hotline_router
from onething.hotline.api.ledger import router as hotline_ledger_router
from onething.hotline.api.tickets import router as tickets_router
from onething.kernel.errors import DomainError
from onething.licences.api import me_router as my_licences_router
from onething.licences.api import router as licences_router
from onething.notifications.api import router as notifications_router
from onething.ratings.api.figures import router as rating_figures_router
from onething.ratings.api.ratings import router as ratings_router
from onething.ratings.api.rectifications import router as rectifications_router
from onething.search.api import router as search_router
from onething.sharing.api import router as sharing_router

logger = logging.getLogger("onething.api")

PYDANTIC_MESSAGES = {
    "missing": "必填",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为布尔值（true/false）",
    "bool_type": "应为布尔值（true/false）",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "string_too_long": "过长",
    "string_too_short": "过短",
    "greater_than_equal": "过小",
    "less_than_equal": "过大",
    "greater_than": "过小",
    "less_than": "过大",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不正确",
    "json_invalid": "请求体不是合法的 JSON",
    "extra_forbidden": "不允许的字段",
}

api = NinjaAPI(
    title="OneThing 一件事 API",
    version="1",
    description="一体化政务服务平台开放接口：事项目录、搜索、一件事规划、工作日历、办件。",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _json_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return api.create_response(request, error.body(), status=error.status)


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _json_error(request, exc)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A rule refused (lifecycle, deadlines, intake, planning): its kind decides the status."""
    return _json_error(request, from_domain(exc))


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header")]
    loc = [part for part in loc if part not in ("payload", "filters")] or loc
    field = ".".join(loc) or None
    kind = first.get("type", "")
    if kind == "invalid_text":  # core.text's own reasons ("含有不可见的控制字符", "不能超过…")
        reason = str(first.get("ctx", {}).get("reason") or first.get("msg"))
    elif kind == "string_too_long" and first.get("ctx", {}).get("max_length"):
        reason = f"过长（最多{first['ctx']['max_length']}个字符）"
    else:
        reason = PYDANTIC_MESSAGES.get(kind, "格式不正确")
    error = refused(field, reason, 422)
    error.code = "validation_error"
    return _json_error(request, error)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _json_error(request, ApiError(401, "unauthenticated", "请先登录或提供有效的访问令牌"))


HTTP_MESSAGES = {403: "无权访问", 404: "未找到", 405: "不支持该请求方法", 429: "请求过于频繁"}


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = HTTP_MESSAGES.get(exc.status_code) or (str(exc) if exc.status_code < 500 else "服务暂时不可用")
    return _json_error(request, ApiError(exc.status_code, "http_error", message))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    """``get_object_or_404`` and friends: the one error shape, never Django's ``{"detail": …}``."""
    return _json_error(request, ApiError(404, "not_found", "未找到"))


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _json_error(request, ApiError(403, "forbidden", "无权访问"))


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug: log it with its traceback, answer 500 in the API's shape (no traceback to clients).

    Under DEBUG the exception propagates to Django's debug page instead. The fuzzers fail on
    any 5xx, so this handler only shapes what a client sees; it never hides a fault.
    """
    if settings.DEBUG:
        raise exc
    logger.error("API 内部错误 %s %s", request.method, request.path, exc_info=exc)
    return _json_error(request, ApiError(500, "server_error", "服务器内部错误，请稍后再试"))


api.add_router("/catalog", search_router)
api.add_router("/catalog", catalog_router)
api.add_router("/catalog", guides_router)
api.add_router("/calendar", calendar_router)
api.add_router("/accounts", accounts_router)
api.add_router("/applications", cases_router)
api.add_router("/extensions", extensions_router)
api.add_router("/applications", post_check_subcase_router)
api.add_router("/post-checks", post_checks_router)
api.add_router("/me/notifications", notifications_router, auth=authenticated)
api.add_router("/documents", documents_router)
api.add_router("/sharing", sharing_router)
api.add_router("/licences", licences_router)
api.add_router("/me/licences", my_licences_router)
api.add_router("/halls", halls_router)
api.add_router("/halls", slots_router)
api.add_router("/halls", figures_router)
api.add_router("/appointments", appointments_router)
api.add_router("/queue", queue_router)
api.add_router("/ratings", ratings_router)
api.add_router("/ratings", rectifications_router)
api.add_router("/ratings", rating_figures_router)
api.add_router("/tickets", tickets_router)
api.add_router("/hotline", hotline_router)
api.add_router("/hotline", hotline_ledger_router)
