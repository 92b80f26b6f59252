"""The inbox page ``/me/notifications/``: the signed-in person's messages, newest first,
marked read by POST forms (CSRF), so it works without JavaScript."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from onething.core.errors import ApiError
from onething.core.text import integer, refused
from onething.notifications import inbox

MAX_PAGE = 100_000
MAX_ID = 2**63 - 1
UNREAD_VALUES = {"1": True, "true": True, "0": False, "false": False, "": False}


def _filters(request) -> tuple[int, bool]:
    """(page, unread) from the query string; a bad value is a 400 naming the field."""
    number = integer(request.GET.get("page") or "1", "page", minimum=1, maximum=MAX_PAGE)
    raw = request.GET.get("unread", "")
    if raw not in UNREAD_VALUES:
        raise refused("unread", "取值不在允许范围内（1 或 0）")
    return number, UNREAD_VALUES[raw]


def _query(number: int, unread: bool) -> str:
    params = {
        k: v for k, v in (("unread", "1" if unread else ""), ("page", number if number > 1 else "")) if v
    }
    return f"?{urlencode(params)}" if params else ""


@login_required
@require_GET
def inbox_page(request):
    try:
        number, unread = _filters(request)
    except ApiError as exc:
        return render(request, "400.html", {"message": exc.message}, status=400)
    found = inbox.page(request.user, number, unread=unread)
    here = reverse("notifications:inbox")
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": found,
            "unread": unread,
            "unread_total": inbox.unread_count(request.user),
            "here": here + _query(number, unread),
            "all_url": here,
            "unread_url": here + _query(1, True),
            "previous_url": here + _query(number - 1, unread) if found.has_previous else "",
            "next_url": here + _query(number + 1, unread) if found.has_next else "",
        },
    )


def _back(request) -> str:
    """Where a mark-read form returns: the inbox page it came from, nowhere else."""
    here = reverse("notifications:inbox")
    target = request.POST.get("next", "")
    if target.startswith(here) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return here


def _openable(link: str, request) -> bool:
    return link.startswith("/") and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()})


@login_required
@require_POST
def mark_read(request, pk: int):
    note = inbox.mark_read(request.user, pk) if pk <= MAX_ID else None
    if note is None:
        raise Http404("未找到该消息")
    if request.POST.get("open") and _openable(note.link, request):
        return redirect(note.link)
    return redirect(_back(request))


@login_required
@require_POST
def mark_all_read(request):
    inbox.mark_all_read(request.user)
    return redirect(_back(request))
