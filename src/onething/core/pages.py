"""What every app's pages share: how a refused action is reported, and a row id read from a
URL or a form."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404

#: the largest primary key a bigint column holds
MAX_ROW_ID = 2**63 - 1


def row_id(value, maximum: int = MAX_ROW_ID) -> int:
    """A row id from the URL or a form, or a 404 (never a database error)."""
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk <= maximum:
        raise Http404
    return pk


def refused(request, exc: Exception, about: str = "") -> None:
    """The one way a page reports a refused action: the rule's Chinese sentence as a message
    (``about`` names the object when the page lists several), never an error page."""
    message = getattr(exc, "message", None) or str(exc)
    messages.error(request, f"{about}：{message}" if about else message)
