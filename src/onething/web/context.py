"""Template context shared by every portal page: site name, the main navigation and the
header's region chooser (the regions offered and the person's region, read only when a
template uses them)."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from onething.search import regions


def _is_staff_member(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    roles = getattr(user, "roles", None)
    return bool(roles()) if callable(roles) else False


def _nav(request) -> list[dict]:
    user = getattr(request, "user", None)
    entries = [
        ("/", "首页", ("/",)),
        ("/bundles/", "一件事", ("/bundles/",)),
        ("/departments/", "办事指南", ("/departments/", "/items/", "/regions/", "/guide/", "/search/")),
        ("/halls/", "服务大厅", ("/halls/",)),
    ]
    if getattr(user, "is_authenticated", False):
        entries.append(("/cases/", "我的办件", ("/cases/",)))
        entries.append(("/licences/", "我的证照", ("/licences/",)))
        if _is_staff_member(user):
            staff_pages = ("/cases/staff/", "/cases/window/", "/cases/approver/", "/cases/supervisor/")
            entries.append(("/cases/staff/", "工作台", (*staff_pages, "/cases/post-checks/")))
    path = getattr(request, "path", "")
    current = None
    # the longest matching prefix wins ("/" only matches the home page itself)
    for href, _label, prefixes in entries:
        for prefix in prefixes:
            matches = path == "/" if prefix == "/" else path.startswith(prefix)
            if matches and (current is None or len(prefix) > current[1]):
                current = (href, len(prefix))
    return [
        {"href": href, "label": label, "current": current is not None and current[0] == href}
        for href, label, _ in entries
    ]


def portal(request):
    return {
        "PUBLIC_URL": settings.PUBLIC_URL,
        "SITE_NAME": "一件事 · 一次办",
        "SITE_OWNER": "岳阳市一体化政务服务平台",
        "NAV": _nav(request),
        "REGION_CHOICES": SimpleLazyObject(regions.choices),
        "CURRENT_REGION": SimpleLazyObject(lambda: _current_region(request)),
        "REGION_OPTIONS": SimpleLazyObject(lambda: _region_options(request)),
    }


def _region_options(request) -> SafeString:
    """The chooser's ``<option>`` list, built in Python: on every page, a template loop over
    a province's regions cost 4–6 ms (bench/search_bench.py's page figure)."""
    current = _current_region(request)["code"]
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((r["code"], " selected" if r["code"] == current else "", r["name"]) for r in regions.choices()),
    )


def _current_region(request) -> dict:
    found = regions.preferred(request)
    return {"code": found.code, "name": found.name} if found is not None else {"code": "", "name": ""}
