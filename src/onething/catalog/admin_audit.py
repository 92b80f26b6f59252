"""Admin page of the conformance audit (同一事项标准化比对, 五级十二同).

The same findings as ``onething conformance-audit`` and ``GET /api/v1/catalog/conformance``
(one function, :func:`onething.catalog.conformance.audit`, over the published items), shown
to catalog maintainers at ``/admin/catalog/conformance/``. A department admin sees the
deviations of their own department's implementations; a platform admin sees all of them.

The page is added to the admin site's URLs and to the 事项目录 section of the admin index
here, so ``admin.py`` only has to import this module.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse

from onething.catalog.conformance import audit
from onething.catalog.publishing import current_many

URL_NAME = "catalog_conformance"
TITLE = "同一事项标准化比对"


def _scope(user) -> set[str] | None:
    from onething.catalog.admin import managed_departments

    return managed_departments(user)


def _allowed(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm("catalog.view_item")


def conformance_view(request):
    """Deviations of published implementations from their basic item's standard."""
    if not _allowed(request.user):
        raise PermissionDenied
    basic_code = (request.GET.get("basic_code") or "").strip()[:32]
    items = list(current_many("item").values())
    if basic_code:
        items = [i for i in items if i["basic_code"] == basic_code]
    findings = audit(items)
    scope = _scope(request.user)
    if scope is not None:
        department_of = {i["code"]: i["department"] for i in items}
        findings = [f for f in findings if department_of.get(f.code) in scope]
    context = {
        **admin.site.each_context(request),
        "title": TITLE,
        "findings": findings,
        "basic_code": basic_code,
        "scoped": scope is not None,
        "item_count": len(items),
    }
    return TemplateResponse(request, "admin/catalog/conformance_audit.html", context)


def _with_audit_urls(get_urls):
    def get_urls_with_audit():
        view = admin.site.admin_view(conformance_view)
        return [path("catalog/conformance/", view, name=URL_NAME), *get_urls()]

    return get_urls_with_audit


def _with_audit_entry(get_app_list):
    def get_app_list_with_audit(request, app_label=None):
        apps = get_app_list(request, app_label)
        if _allowed(request.user):
            for app in apps:
                if app.get("app_label") == "catalog":
                    app["models"].append(
                        {
                            "name": TITLE,
                            "object_name": "ConformanceAudit",
                            "perms": {"view": True},
                            "admin_url": reverse(f"admin:{URL_NAME}"),
                            "add_url": None,
                            "view_only": True,
                        }
                    )
        return apps

    return get_app_list_with_audit


if not getattr(admin.site, "_onething_conformance_audit", False):
    admin.site.get_urls = _with_audit_urls(admin.site.get_urls)
    admin.site.get_app_list = _with_audit_entry(admin.site.get_app_list)
    admin.site._onething_conformance_audit = True
