"""The gateway: refuse what can never be stored before any view runs.

Control characters (NUL …) and lone surrogates are never typed by a person, PostgreSQL
refuses NUL outright, and a lone surrogate cannot even be encoded for a hash. This middleware
asks ``kernel.text`` about every place a request carries text — the path, query parameters,
form fields and file names, the ``Idempotency-Key`` header, and every string (and key) of a
JSON body — and answers a refusal naming the field: the API's JSON error shape under
``/api/``, a Chinese page elsewhere. A malformed multipart body (no boundary, broken headers)
is answered the same way instead of with Django's bare 400.

Each field's own limits (length, format) are checked by the schemas and forms
(``core.text``); this is the floor under all of them, so a new endpoint is covered before
anyone remembers it.
"""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from onething.core import text
from onething.core.text import refused
from onething.kernel.text import TextError, check_json, text_problem

#: header values that reach the database
CHECKED_HEADERS = ("Idempotency-Key",)
#: JSON bodies are bounded by DATA_UPLOAD_MAX_MEMORY_SIZE; their strings are checked here and
#: their structure by each schema, so the walk allows what the largest schema allows
JSON_BODY_LIMITS = {"max_depth": 12, "max_items": 100_000, "max_key": 200, "max_string": 1_000_000}


class Refusal(Exception):
    def __init__(self, field: str, reason: str, status: int = 400):
        super().__init__(reason)
        self.field, self.reason, self.status = field, reason, status


def _check(value: str, field: str, status: int = 400) -> None:
    reason = text_problem(value, multiline=True)
    if reason:
        raise Refusal(field, reason, status)


def _check_request(request: HttpRequest) -> None:
    _check(request.path_info, "path", 404)
    for key, values in request.GET.lists():
        _check(key, key)
        for value in values:
            _check(value, key)
    for header in CHECKED_HEADERS:
        if header in request.headers:
            _check(request.headers[header], header)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form, files = request.POST, request.FILES
        except MultiPartParserError:
            raise Refusal("file", "上传内容格式不正确（multipart 请求体无法解析）")
        except RequestDataTooBig:
            raise Refusal("body", "过大", 413)
        except (TooManyFieldsSent, TooManyFilesSent):
            raise Refusal("body", "含有过多的字段或文件")
        for key, values in form.lists():
            _check(key, key)
            for value in values:
                _check(value, key)
        for key, uploads in files.lists():
            for upload in uploads:
                _check(upload.name or "", key)
    elif content_type == "application/json":
        try:
            body = request.body
        except RequestDataTooBig:
            raise Refusal("body", "过大", 413)
        try:
            document = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            return  # the schema answers "请求体不是合法的 JSON"
        try:
            check_json(document, **JSON_BODY_LIMITS)
        except TextError as exc:
            raise Refusal(exc.path or "body", exc.reason)


class RefuseUnstorableInput:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            _check_request(request)
        except Refusal as exc:
            return self._answer(request, exc)
        return self.get_response(request)

    @staticmethod
    def _answer(request: HttpRequest, exc: Refusal) -> HttpResponse:
        error = refused(exc.field, exc.reason, exc.status)
        if exc.status == 404:
            error.code, error.message = "not_found", "未找到"
        if request.path_info.startswith("/api/"):
            return JsonResponse(error.body(), status=error.status, json_dumps_params={"ensure_ascii": False})
        if request.path_info.startswith("/open311/"):  # GeoReport v2's error form
            body = [{"code": error.status, "description": error.message}]
            return JsonResponse(
                body, status=error.status, safe=False, json_dumps_params={"ensure_ascii": False}
            )
        template = "404.html" if exc.status == 404 else "400.html"
        return render(request, template, {"message": error.message}, status=error.status)


class SurfaceLabels:
    """Field names in messages by the app a request is for (``text.register_surface``): a
    12345 form's ``address`` is 地址, a case's is 邮寄地址."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        labels = text.surface_labels(request.path_info)
        if not labels:
            return self.get_response(request)
        with text.labelled(labels):
            return self.get_response(request)
