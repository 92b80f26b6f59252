"""Template context shared by every portal page."""

from django.conf import settings


def portal(request):
    return {"PUBLIC_URL": settings.PUBLIC_URL, "SITE_NAME": "一件事 · 一次办"}
