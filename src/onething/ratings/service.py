"""Giving a rating: 一事一评 of a finished application, 一次一评 of a finished queue ticket.

:func:`rate` checks who rates (only the person served; anyone else gets 404), what is rated
(finished) and the values (a clear Chinese error naming the field), then writes the rating,
its projection rows, and — for a 差评 — its rectification and the recurrence check, all in
one transaction. The second rating of the same service on the same channel is refused (409),
under concurrency too: the service row is locked and a partial unique index stands behind it.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from onething.audit.log import record
from onething.cases.models import Application, SubCase
from onething.core import text
from onething.halls.models import Ticket
from onething.kernel.errors import Conflict, Invalid, NotFound
from onething.ratings import defects, projection, rectifications, rules
from onething.ratings.models import Rating

#: application states whose results are out (or whose refusal is): the service is done
FINISHED = frozenset(
    {
        Application.Status.RESULT_READY,
        Application.Status.DELIVERED,
        Application.Status.CLOSED,
        Application.Status.REJECTED,
    }
)
NOT_FOUND = "未找到该办件或排队号"


def served(person, application: Application | None = None, ticket: Ticket | None = None) -> bool:
    """Whether ``person`` is the one served (the applicant; the ticket's holder)."""
    if person is None or not getattr(person, "pk", None):
        return False
    if application is not None:
        return application.applicant_id == person.pk
    return ticket is not None and ticket.person_id == person.pk


def finished(application: Application | None = None, ticket: Ticket | None = None) -> bool:
    if application is not None:
        return application.status in FINISHED
    return ticket is not None and ticket.status == Ticket.Status.DONE


def served_at(application: Application | None = None, ticket: Ticket | None = None):
    if ticket is not None:
        return ticket.finished_at or ticket.issued_at
    return application.closed_at or application.decided_at or application.updated_at


def find_application(number: Any, person) -> Application:
    """The application ``number`` of ``person`` (404 for anyone else, as if it did not exist)."""
    number = text.clean(number, "application", max_length=40)
    app = Application.objects.filter(number=number).first() if number else None
    if app is None or not served(person, application=app):
        raise NotFound(NOT_FOUND, "application")
    return app


def find_ticket(ticket_id: Any, person) -> Ticket:
    pk = text.integer(ticket_id, "ticket", minimum=1, maximum=2**62)
    ticket = Ticket.objects.filter(pk=pk).first()
    if ticket is None or not served(person, ticket=ticket):
        raise NotFound(NOT_FOUND, "ticket")
    return ticket


def clean_values(channel, score, indicators, comment, bad_reason, reason_text) -> dict:
    """The rating's values, cleaned, or :class:`Invalid` naming the field."""
    channel = text.clean(channel, "channel", max_length=20)
    if channel not in rules.CHANNELS:
        raise Invalid(f"“评价渠道”应为 {'、'.join(rules.CHANNELS)} 之一", "channel")
    if score in (None, ""):
        raise Invalid("请选择评价等级（非常满意至非常不满意）", "score")
    score = text.integer(score, "score", minimum=1, maximum=5)
    asked = rules.indicators_of(channel)
    if indicators in (None, ""):
        indicators = {}
    if not isinstance(indicators, dict):
        raise Invalid("“分项评价”应为“指标: 等级”的对象", "indicators")
    cleaned = {}
    for key, value in indicators.items():
        if key not in asked:
            raise Invalid(
                f"“分项评价”中的“{str(key)[:20]}”不是该渠道的评价指标（{'、'.join(asked.values())}）",
                "indicators",
            )
        if value in (None, ""):
            continue
        cleaned[key] = text.integer(value, f"indicators.{key}", minimum=1, maximum=5)
    comment = text.clean(comment, "comment", max_length=rules.COMMENT_MAX, multiline=True)
    bad_reason = text.clean(bad_reason, "bad_reason", max_length=20)
    reason_text = text.clean(reason_text, "reason_text", max_length=rules.REASON_TEXT_MAX, multiline=True)
    if rules.is_bad(score):
        if bad_reason not in rules.REASONS:
            raise Invalid("差评请选择原因", "bad_reason")
        if bad_reason == "other" and not (reason_text or comment):
            raise Invalid("选择“其他”时请说明原因", "reason_text")
    else:
        bad_reason, reason_text = "", ""
    return dict(
        channel=channel,
        score=score,
        indicators=cleaned,
        comment=comment,
        reason=bad_reason,
        reason_text=reason_text,
    )


def rated_objects(
    application: Application | None, ticket: Ticket | None, subcase: SubCase | None, channel: str
) -> dict:
    """Who and what a rating is about, copied onto it."""
    if ticket is not None:
        hall = ticket.hall
        staff_id = ticket.session.clerk_id if ticket.session_id else None
        objects = dict(
            region_id=hall.region_id,
            hall=hall,
            window_id=ticket.window_id,
            staff_id=staff_id,
            department=None,
            service_code="",
            service_name=ticket.service.name,
            item_code="",
            item_name="",
        )
        if application is not None:
            objects.update(service_code=application.code, service_name=application.name)
        return objects
    sub = subcase
    if sub is None:
        sub = application.subcases.order_by("pk").select_related("department").first()
    staff_id = sub.handler_id if sub else None
    if channel in rules.ONSITE_CHANNELS and application.submitted_by_id not in (
        None,
        application.applicant_id,
    ):
        staff_id = application.submitted_by_id
    return dict(
        region_id=application.region_id,
        hall_id=application.hall_id,
        window_id=application.window_id,
        staff_id=staff_id,
        department_id=sub.department_id if sub else None,
        service_code=application.code,
        service_name=application.name,
        item_code=sub.item_code if sub else application.code,
        item_name=sub.item_name if sub else application.name,
    )


def rate(
    person,
    *,
    application: Application | None = None,
    ticket: Ticket | None = None,
    channel: Any = None,
    score: Any = None,
    indicators: Any = None,
    comment: Any = "",
    bad_reason: Any = "",
    reason_text: Any = "",
    subcase: Any = None,
    holder: bool = False,
    now=None,
) -> Rating:
    """Record ``person``'s rating of ``application`` or ``ticket`` (a window visit).

    ``holder``: the caller proved it holds the ticket (its page's random token) — a ticket
    taken at the kiosk without an account is rated that way, without a rater."""
    now = now or timezone.now()
    if ticket is None and application is None:
        raise Invalid("请指定评价的办件或排队号", "application")
    if ticket is not None:
        if not (holder or served(person, ticket=ticket)):
            raise NotFound(NOT_FOUND, "ticket")
    elif not served(person, application=application):
        raise NotFound(NOT_FOUND, "application")
    values = clean_values(channel, score, indicators, comment, bad_reason, reason_text)
    if ticket is not None and values["channel"] not in rules.ONSITE_CHANNELS:
        raise Invalid("窗口服务（排队号）的评价渠道为 window", "channel")
    with transaction.atomic():
        if ticket is not None:
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("hall", "service", "session")
                .get(pk=ticket.pk)
            )
            application = application or Application.objects.filter(ticket=ticket).first()
            if not finished(ticket=ticket):
                raise Conflict("办结后才能评价", "ticket")
            taken = Rating.objects.filter(ticket=ticket, channel=values["channel"])
        else:
            application = Application.objects.select_for_update().get(pk=application.pk)
            if not finished(application=application):
                raise Conflict("办件出结果后才能评价", "application")
            taken = Rating.objects.filter(application=application, ticket=None, channel=values["channel"])
        if taken.exists():
            raise Conflict("该服务已在此渠道评价过，不能重复评价", "channel")
        sub = None
        if subcase not in (None, "") and ticket is None:
            sub = SubCase.objects.filter(application=application, number=str(subcase)[:44]).first()
            if sub is None:
                raise Invalid("“评价环节”不是本办件的子件", "subcase")
        objects = rated_objects(application, ticket, sub, values["channel"])
        rater = person if getattr(person, "pk", None) else None
        rating = Rating(
            application=application,
            subcase=sub,
            ticket=ticket,
            source=Rating.Source.GIVEN,
            rater=rater,
            rater_name=(getattr(rater, "real_name", "") or "") if rater else (ticket.name if ticket else ""),
            rater_phone=(getattr(rater, "phone", "") or "") if rater else "",
            served_at=served_at(application if ticket is None else None, ticket),
            created_at=now,
            **values,
            **objects,
        )
        try:
            with transaction.atomic():
                rating.save()
        except IntegrityError:
            raise Conflict("该服务已在此渠道评价过，不能重复评价", "channel") from None
        record(
            "rating.given",
            "rating",
            rating.pk,
            actor=rater,
            data={
                "score": rating.score,
                "channel": rating.channel,
                "application": application.number if application else None,
                "ticket": ticket.pk if ticket else None,
            },
            at=now,
        )
        projection.record_rating(rating)
        if rating.bad:
            rectifications.open_for(rating, now)
            defects.note_bad(rating, now)
    return rating
