"""The Open311 GeoReport v2 endpoints as plain Django views (``/open311/v2/``).

Thin: each view checks the format (only JSON is served) and the method, calls
:mod:`georeport` and writes its answer — an array, as the standard's JSON always is; an
error is ``[{"code", "description"}]`` with the matching HTTP status. Filing is a
form-encoded POST authenticated by ``api_key``, not a browser session: CSRF-exempt.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from onething.hotline.open311 import georeport
from onething.hotline.open311.georeport import Open311Error

logger = logging.getLogger("onething.open311")


def answer(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def error(exc: Open311Error) -> JsonResponse:
    return answer(exc.body(), exc.code)


def _check(request: HttpRequest, fmt: str, methods: tuple[str, ...]) -> None:
    if fmt != "json":
        raise Open311Error(400, f"不支持的格式 {fmt[:10]}：本接口仅支持 JSON（.json）")
    if request.method not in methods:
        raise Open311Error(405, f"不支持的请求方法 {request.method}")


def services(request: HttpRequest, fmt: str) -> JsonResponse:
    try:
        _check(request, fmt, ("GET", "HEAD"))
        return answer(georeport.services())
    except Open311Error as exc:
        return error(exc)


def service(request: HttpRequest, code: str, fmt: str) -> JsonResponse:
    try:
        _check(request, fmt, ("GET", "HEAD"))
        return answer(georeport.definition(code))
    except Open311Error as exc:
        return error(exc)


@csrf_exempt
def requests(request: HttpRequest, fmt: str) -> JsonResponse:
    try:
        _check(request, fmt, ("GET", "HEAD", "POST"))
        if request.method == "POST":
            return answer(georeport.file(request.POST), 201)
        return answer(georeport.search(request.GET))
    except Open311Error as exc:
        return error(exc)


def one_request(request: HttpRequest, request_id: str, fmt: str) -> JsonResponse:
    try:
        _check(request, fmt, ("GET", "HEAD"))
        return answer([georeport.one(request_id)])
    except Open311Error as exc:
        return error(exc)
