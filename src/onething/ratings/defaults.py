"""默认评价: a service nobody rated within the region's ``default_after_days`` of its end gets
one rating of ``default_score`` (source ``defaulted``, no rater). It counts in the number of
ratings and in the ``defaulted`` measure, never as given, good or bad (so never in 好评率 or
差评率) and never opens a rectification.

:func:`apply` (the daily task, ``ratings.tasks``) walks the finished applications (their case
rating, 一事一评: a rating without a ticket) and the finished queue tickets (一次一评) that have
no rating at all, in batches of :data:`BATCH` by id. Each batch is one transaction: it locks its
rows (as :func:`service.rate` does), reads again which of them got a rating meanwhile, then
inserts the rest with one statement and adds them to the projection row by row in key order.
A person rating at the same moment waits for the batch (or the batch for them): one of the two
wins, and a second run creates nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.db.models.functions import Coalesce
from django.utils import timezone

from onething.audit.log import record
from onething.cases.models import Application, Channel, SubCase
from onething.directory.models import Region
from onething.halls.models import Ticket
from onething.ratings import projection
from onething.ratings.models import Rating
from onething.ratings.policies import Policies
from onething.ratings.service import FINISHED, rated_objects, served_at

BATCH = 500

#: an application's channel → the channel its default rating is on
RATING_CHANNEL = {
    Channel.WEB: "web",
    Channel.MOBILE: "mobile",
    Channel.WINDOW: "window",
    Channel.SELF_SERVICE: "self_service",
    Channel.AGENT: "window",
    Channel.CROSS_PROVINCE: "web",
}


def rating_channel(application: Application) -> str:
    return RATING_CHANNEL.get(application.channel, "web")


def apply(now: dt.datetime | None = None) -> int:
    """Create the default ratings that are due; returns how many were created."""
    now = now or timezone.now()
    policies = Policies()
    cutoff = now - dt.timedelta(days=policies.shortest_wait())
    return _applications(now, cutoff, policies) + _tickets(now, cutoff, policies)


def _due(region_code: str, ended: dt.datetime, now: dt.datetime, policies: Policies):
    """(default score, the moment the rating period ran out) when the service ended long
    enough ago in its region, else None. The defaulted rating is dated at that moment, so it
    counts on the day it became due however late the task runs."""
    policy = policies(region_code)
    lapsed = ended + dt.timedelta(days=policy.default_after_days)
    if lapsed < now:
        return policy.default_score, lapsed
    return None


def _applications(now, cutoff, policies: Policies) -> int:
    rated = Rating.objects.filter(application=OuterRef("pk"), ticket__isnull=True)
    candidates = (
        Application.objects.filter(status__in=sorted(FINISHED))
        .annotate(ended=Coalesce("closed_at", "decided_at", "updated_at"))
        .filter(ended__lt=cutoff)
        .filter(~Exists(rated))
        .order_by("pk")
    )
    created, last = 0, 0
    while True:
        ids = list(candidates.filter(pk__gt=last).values_list("pk", flat=True)[:BATCH])
        if not ids:
            return created
        last = ids[-1]
        created += _application_batch(ids, now, policies)


def _application_batch(ids: list[int], now, policies: Policies) -> int:
    with transaction.atomic():
        # lock first (rate() locks the same row before it looks), then read again
        locked = list(
            Application.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        taken = set(
            Rating.objects.filter(application_id__in=locked, ticket__isnull=True).values_list(
                "application_id", flat=True
            )
        )
        first_subs = Prefetch("subcases", queryset=SubCase.objects.order_by("pk"), to_attr="ordered_subcases")
        apps = (
            Application.objects.filter(
                pk__in=[pk for pk in locked if pk not in taken], status__in=sorted(FINISHED)
            )
            .prefetch_related(first_subs)
            .order_by("pk")
        )
        rows = []
        for app in apps:
            ended = served_at(app)
            due = _due(app.region_id, ended, now, policies)
            if due is None:
                continue
            score, lapsed = due
            channel = rating_channel(app)
            sub = app.ordered_subcases[0] if app.ordered_subcases else None
            objects = rated_objects(app, None, sub, channel) if sub is not None else _without_subcases(app)
            rows.append(_defaulted(score, channel, ended, lapsed, application=app, **objects))
        return _write(rows, now)


def _without_subcases(app: Application) -> dict:
    return dict(
        region_id=app.region_id,
        hall_id=app.hall_id,
        window_id=app.window_id,
        staff_id=None,
        department_id=None,
        service_code=app.code,
        service_name=app.name,
        item_code=app.code,
        item_name=app.name,
    )


def _tickets(now, cutoff, policies: Policies) -> int:
    rated = Rating.objects.filter(ticket=OuterRef("pk"))
    candidates = (
        Ticket.objects.filter(status=Ticket.Status.DONE)
        .annotate(ended=Coalesce("finished_at", "issued_at"))
        .filter(ended__lt=cutoff)
        .filter(~Exists(rated))
        .order_by("pk")
    )
    created, last = 0, 0
    while True:
        ids = list(candidates.filter(pk__gt=last).values_list("pk", flat=True)[:BATCH])
        if not ids:
            return created
        last = ids[-1]
        created += _ticket_batch(ids, now, policies)


def _ticket_batch(ids: list[int], now, policies: Policies) -> int:
    with transaction.atomic():
        locked = list(
            Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)
        )
        taken = set(Rating.objects.filter(ticket_id__in=locked).values_list("ticket_id", flat=True))
        tickets = (
            Ticket.objects.filter(pk__in=[pk for pk in locked if pk not in taken], status=Ticket.Status.DONE)
            .select_related("hall", "service", "session")
            .order_by("pk")
        )
        tickets = list(tickets)
        linked = {
            app.ticket_id: app
            for app in Application.objects.filter(ticket_id__in=[t.pk for t in tickets]).order_by("number")
        }
        rows = []
        for ticket in tickets:
            ended = served_at(None, ticket)
            due = _due(ticket.hall.region_id, ended, now, policies)
            if due is None:
                continue
            score, lapsed = due
            app = linked.get(ticket.pk)
            objects = rated_objects(app, ticket, None, "window")
            rows.append(_defaulted(score, "window", ended, lapsed, application=app, ticket=ticket, **objects))
        return _write(rows, now)


def _defaulted(score: int, channel: str, ended, lapsed, **fields) -> Rating:
    return Rating(
        source=Rating.Source.DEFAULTED,
        score=score,
        channel=channel,
        indicators={},
        served_at=ended,
        created_at=lapsed,
        **fields,
    )


def _write(rows: list[Rating], now) -> int:
    """Insert ``rows`` and add them to the projection (in the caller's transaction)."""
    if not rows:
        return 0
    Rating.objects.bulk_create(rows, batch_size=BATCH)
    _project(rows)
    record(
        "rating.defaulted",
        "rating",
        f"{rows[0].pk}…{rows[-1].pk}" if len(rows) > 1 else rows[0].pk,
        data={"count": len(rows), "ratings": [r.pk for r in rows]},
        at=now,
    )
    return len(rows)


def _project(rows: list[Rating]) -> None:
    """Each defaulted rating adds ``ratings`` and ``defaulted`` (and nothing else) to its rows;
    the batch adds them summed, one row at a time in the order every writer locks them
    (day, region, dimension, key)."""
    counts: Counter = Counter()
    paths: dict[str, str] = {}
    regions = Region.objects.in_bulk({r.region_id for r in rows})
    for rating in rows:
        rating.region = regions[rating.region_id]
        paths[rating.region_id] = rating.region.path
        day = timezone.localdate(rating.created_at)
        for dim, key in projection.keys_of(rating).items():
            counts[(day, rating.region_id, dim, key)] += 1
    grouped: dict[tuple, list] = defaultdict(list)
    for (day, code, dim, key), n in sorted(counts.items()):
        grouped[(day, code)].append((dim, key, n))
    for (day, code), entries in sorted(grouped.items()):
        for dim, key, n in entries:
            projection._upsert(day, code, paths[code], [(dim, key)], {"ratings": n, "defaulted": n})
