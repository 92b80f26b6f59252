"""一次一评 at the window: the visitor rates a finished ticket once (``WindowRating``).

Only whoever holds the ticket's random token can reach :func:`rate` (the ticket page), and
only once the ticket is done; a second rating of the same ticket is refused.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from onething.core import text
from onething.core.errors import ApiError
from onething.halls.models import Ticket, WindowRating
from onething.kernel.errors import Conflict, Invalid

#: score → word, best first (the five levels of 好差评)
LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

COMMENT_MAX = 500


def rate(ticket: Ticket, score, comment="", now=None) -> WindowRating:
    """Record the rating of ``ticket`` (done, not yet rated)."""
    now = now or timezone.now()
    try:
        score = text.integer(score, "score", minimum=1, maximum=5)
    except ApiError:
        raise Invalid("请选择评价等级（非常满意至非常不满意）", "score") from None
    try:
        comment = text.clean(comment, "comment", max_length=COMMENT_MAX, multiline=True)
    except ApiError as exc:
        raise Invalid(exc.message.replace("“comment”", "“意见”"), "comment") from None
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status != Ticket.Status.DONE:
            raise Conflict("办结后才能评价", "score")
        if WindowRating.objects.filter(ticket=locked).exists():
            raise Conflict("该服务已评价", "score")
        try:
            with transaction.atomic():
                return WindowRating.objects.create(
                    ticket=locked, score=score, comment=comment, created_at=now
                )
        except IntegrityError:
            raise Conflict("该服务已评价", "score") from None
