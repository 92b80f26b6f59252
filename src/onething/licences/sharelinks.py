"""加注件: the holder shows a licence to a third party (a bank, a landlord) for a stated purpose
and period, as a link or QR code that stops working when the period ends, when the holder
takes it back, or when the licence is revoked. The page it opens shows the licence annotated
with the purpose and period (加注), personal numbers masked; each view is counted and logged
as a use for the holder to see. Only the SHA-256 of the link's random token is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from onething.core import text
from onething.kernel.errors import Invalid, NotFound
from onething.licences import rules
from onething.licences.models import Licence, LicenceUse, ShareLink

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(user, licence: Licence, *, recipient, purpose, days, now=None) -> tuple[ShareLink, str]:
    """A new share link; returns it and its URL (shown once: only its digest is kept)."""
    from onething.licences.access import is_holder

    now = now or timezone.now()
    if not is_holder(user, licence):
        raise NotFound("未找到该证照")
    if licence.public_status() != "valid":
        raise Invalid("只有有效的证照可以分享", "licence")
    recipient = text.clean(recipient, "recipient", max_length=100, required=True)
    purpose = text.clean(purpose, "purpose", max_length=200, required=True)
    days = text.integer(days, "days", minimum=1, maximum=rules.SHARE_MAX_DAYS)
    token = secrets.token_urlsafe(32)
    link = ShareLink.objects.create(
        licence=licence,
        created_by=user,
        token_sha256=_digest(token),
        recipient=recipient,
        purpose=purpose,
        expires_at=now + dt.timedelta(days=days),
        created_at=now,
    )
    return link, url(token)


def url(token: str) -> str:
    return settings.PUBLIC_URL + reverse("licences:shared", args=[token])


def open_link(token: str, *, now=None) -> ShareLink:
    """The link behind ``token`` while it works (a view is counted and logged), else NotFound."""
    now = now or timezone.now()
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        raise NotFound("该分享链接无效")
    link = (
        ShareLink.objects.select_related("licence__issuer", "licence__type")
        .filter(token_sha256=_digest(token))
        .first()
    )
    if link is None:
        raise NotFound("该分享链接无效")
    if not link.open_at(now) or link.licence.public_status(timezone.localdate(now)) != "valid":
        raise NotFound("该分享链接已过期或已被持证人收回")
    with transaction.atomic():
        ShareLink.objects.filter(pk=link.pk).update(views=F("views") + 1)
        LicenceUse.objects.create(
            licence=link.licence,
            purpose=f"加注件：{link.purpose}（提供给{link.recipient}）",
            allowed=True,
            reason="通过分享链接查看",
            at=now,
        )
    return link


def revoke(user, link: ShareLink, *, now=None) -> None:
    from onething.licences.access import is_holder

    if not is_holder(user, link.licence):
        raise NotFound("未找到该分享")
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now or timezone.now())
