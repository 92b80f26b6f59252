"""What every app's pages share: how a refused action is reported."""

from __future__ import annotations

from django.contrib import messages


def refused(request, exc: Exception, about: str = "") -> None:
    """The one way a page reports a refused action: the rule's Chinese sentence as a message
    (``about`` names the object when the page lists several), never an error page."""
    message = getattr(exc, "message", None) or str(exc)
    messages.error(request, f"{about}：{message}" if about else message)
