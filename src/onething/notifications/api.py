"""Inbox API: ``GET /api/v1/me/notifications`` and ``POST /api/v1/me/notifications/{id}/read``.

The router is mounted by ``conf/api.py`` with the platform's authentication (bearer token
or session): this app sits below ``accounts`` and does not import it. A message that is not
the caller's is 404, like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema

from onething.core.errors import ApiError, responses
from onething.core.text import Int, RowId
from onething.notifications import inbox

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    event: str
    title: str
    body: str
    link: str
    created_at: dt.datetime
    read: bool
    read_at: dt.datetime | None


class InboxOut(Schema):
    results: list[NotificationOut]
    page: int
    page_size: int
    has_next: bool
    unread: int


def _person(request: HttpRequest):
    person = getattr(request, "auth", None)
    if person is None or not getattr(person, "is_authenticated", False):
        raise ApiError(401, "unauthenticated", "请先登录或提供有效的访问令牌")
    return person


def _out(note) -> dict:
    return {
        "id": note.pk,
        "event": note.event,
        "title": note.title,
        "body": note.body,
        "link": note.link,
        "created_at": note.created_at,
        "read": note.read_at is not None,
        "read_at": note.read_at,
    }


@router.get("", response=responses(InboxOut, 401), summary="我的站内消息")
def list_notifications(
    request: HttpRequest,
    unread: Literal["1", "0", "true", "false"] | None = None,
    page: Int(1, 100_000) = 1,
    page_size: Int(1, inbox.MAX_PAGE_SIZE) = inbox.PAGE_SIZE,
):
    """The signed-in person's messages, newest first; ``unread=1`` only the unread ones.
    ``unread`` in the answer counts all their unread messages."""
    person = _person(request)
    found = inbox.page(person, page, page_size, unread=unread in ("1", "true"))
    return {
        "results": [_out(n) for n in found.items],
        "page": found.number,
        "page_size": found.size,
        "has_next": found.has_next,
        "unread": inbox.unread_count(person),
    }


@router.post("/{id}/read", response=responses(NotificationOut, 401, 404), summary="标记站内消息为已读")
def mark_read(request: HttpRequest, id: RowId):
    note = inbox.mark_read(_person(request), id)
    if note is None:
        raise ApiError(404, "not_found", "未找到该消息", "id")
    return _out(note)
