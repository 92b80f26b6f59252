"""Every staff and admin URL, and every authenticated API operation, refuses anonymous users.

The URL list is not typed in: it is read from the URL resolver and the OpenAPI document, so a
page or operation added tomorrow is covered without touching this file. A page that must be
public (e.g. verifying a notice by its QR code) is listed in ``PUBLIC_PAGES`` with a reason.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

#: URL names under the staff prefixes that are public on purpose: name -> reason
PUBLIC_PAGES = {
    "admin:login": "登录页",
    "cases:verify": "扫描通知书二维码核验真伪（公开）",
    "cases:verify_notice": "扫描通知书二维码核验真伪（公开）",
    "hotline:follow": "12345工单凭编号和查询码查询进度（公开，匿名举报人也用）",
    "hotline:follow_ticket": "12345工单凭编号和查询码查询进度（公开，匿名举报人也用）",
}
#: portal pages for staff, wherever they are mounted (names or routes containing these words)
STAFF_WORDS = re.compile(
    r"desk|clerk|window|approv|supervis|staff|backoffice|workbench|oversight|dashboard|intake"
)
STAFF_PREFIXES = ("admin/", "cases/", "hotline/")

SAMPLE = {"int": "1", "str": "x1", "slug": "x1", "uuid": "00000000-0000-0000-0000-000000000001", "path": "x1"}


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (f"{namespace}{p.name}" if p.name else None), p


def _concrete(route: str, name: str | None) -> str | None:
    """A URL for ``route`` with sample values; real primary keys for admin object URLs."""
    if route.startswith("^") or "(?P" in route:  # regex routes (admin catch-all, shortcuts)
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "1" if "id" in m[1] else "x1", route)
        route = route.replace("^", "").replace("$", "").replace("\\", "")
        if "(" in route or "*" in route or "+" in route:
            return None
    pk = _admin_object_pk(name)

    def value(m):
        converter, param = (m[1] or "str"), m[2]
        if param == "object_id" and pk is not None:
            return str(pk)
        return SAMPLE.get(converter, "1")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _admin_object_pk(name: str | None):
    if not name or not name.startswith("admin:"):
        return None
    for model, _ in admin.site._registry.items():
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(base):
            obj = model._default_manager.order_by("pk").first()
            return obj.pk if obj is not None else None
    return None


def staff_urls():
    out = []
    for route, name, _pattern in _walk(get_resolver().url_patterns):
        is_staff = route.startswith(STAFF_PREFIXES) or bool(STAFF_WORDS.search(f"{name or ''} {route}"))
        if not is_staff or name in PUBLIC_PAGES:
            continue
        out.append((route, name))
    return out


def _login_paths() -> set[str]:
    return {urlsplit(resolve_url(settings.LOGIN_URL)).path, "/admin/login/"}


def assert_refused(client: Client, response, url: str, method: str) -> None:
    status = response.status_code
    hops = 0
    while status in (301, 302, 303, 307, 308) and hops < 3:  # e.g. admin logout → admin index → login
        target = urlsplit(response["Location"]).path
        if target in _login_paths():
            return
        response, status, hops = client.get(target), None, hops + 1
        status = response.status_code
    if status in (301, 302, 303, 307, 308):
        raise AssertionError(f"{method} {url} 对匿名用户重定向到 {response['Location']}，应转到登录页")
    else:
        assert status in (400, 401, 403, 404, 405), f"{method} {url} 对匿名用户返回 {status}，应拒绝访问"


@pytest.mark.django_db
def test_staff_and_admin_pages_refuse_anonymous(demo):
    urls = staff_urls()
    assert any(route.startswith("admin/") for route, _ in urls), "未找到任何 /admin/ 页面"
    client = Client()
    checked = 0
    for route, name in urls:
        url = _concrete(route, name)
        if url is None:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert_refused(client, response, f"{url}（{name}）", method.upper())
            checked += 1
    assert checked >= 20


# --- the API ---------------------------------------------------------------------------------


def _openapi(client: Client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def _sample_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.django_db
def test_authenticated_operations_refuse_anonymous(demo):
    client = Client()
    document = _openapi(client)
    secured = [(p, m, o) for p, m, o in _operations(document) if o.get("security")]
    assert secured, "OpenAPI 文档中没有需要登录的接口"
    for path, method, operation in secured:
        assert "401" in operation["responses"], f"{method.upper()} {path} 需要登录却未声明 401"
        url = _sample_path(path)
        for headers in (
            {},
            {"HTTP_AUTHORIZATION": "Bearer ot_not-a-real-token"},
            {"HTTP_AUTHORIZATION": "Basic eDp5"},
        ):
            if method == "get":
                response = client.get(url, **headers)
            else:
                response = getattr(client, method)(url, data="{}", content_type="application/json", **headers)
            assert response.status_code == 401, (
                f"{method.upper()} {path} 未登录访问返回 {response.status_code}，应为 401"
            )
            assert response.json()["error"]["code"] == "unauthenticated"


#: API operations that must require a signed-in user: (path prefix, allowed public operations)
PRIVATE_API_PREFIXES = ("/api/v1/applications", "/api/v1/accounts")
PUBLIC_OPERATIONS: set[tuple[str, str]] = set()


@pytest.mark.django_db
def test_private_api_areas_declare_authentication(demo):
    document = _openapi(Client())
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(document)
        if path.startswith(PRIVATE_API_PREFIXES)
        and not operation.get("security")
        and (method, path) not in PUBLIC_OPERATIONS
    ]
    assert not missing, f"这些接口涉及个人或办件数据，却没有声明需要登录：{missing}"
