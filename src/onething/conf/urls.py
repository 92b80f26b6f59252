"""Root URLconf: health, API, admin and the web portal."""

from django.contrib import admin
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from onething.conf.api import api
from onething.licences.views import jwks


@require_GET
def healthz(request):
    """Liveness and database reachability for load balancers and ``make run``."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": database})


admin.site.site_header = "一件事 平台管理"
admin.site.site_title = "一件事 平台管理"
admin.site.index_title = "管理首页"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(".well-known/jwks.json", jwks, name="jwks"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("search/", include("onething.search.urls")),
    path("guide/", include("onething.guides.urls")),
    path("cases/", include("onething.cases.urls")),
    path("sharing/", include(("onething.sharing.urls", "sharing"))),
    path("licences/", include(("onething.licences.urls", "licences"))),
    path("halls/", include("onething.halls.urls")),
    path("ratings/", include(("onething.ratings.urls", "ratings"))),
    path("hotline/", include(("onething.hotline.urls", "hotline"))),
    path("open311/v2/", include(("onething.hotline.open311.urls", "open311"))),
    path("federation/v1/", include(("onething.federation.urls", "federation"))),
    path("me/notifications/", include("onething.notifications.urls")),
    path("documents/", include("onething.documents.urls")),
    path("", include("onething.web.urls")),
]
