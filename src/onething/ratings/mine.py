"""What a person sees of 好差评: their ratings (those they gave, and the default ratings of
their services) and their finished services still waiting for a rating."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from onething.cases.models import Application
from onething.halls.models import Ticket
from onething.ratings.models import Rating
from onething.ratings.service import FINISHED


def my_ratings(user) -> QuerySet[Rating]:
    defaulted = Q(source=Rating.Source.DEFAULTED) & (
        Q(application__applicant=user, ticket__isnull=True) | Q(ticket__person=user)
    )
    return Rating.objects.filter(Q(rater=user) | defaulted).select_related(
        "rectification", "application", "ticket"
    )


def waiting(user, *, applications: int = 50, tickets: int = 20) -> dict:
    """The person's finished applications without a case rating, and finished window visits
    without a rating, newest first."""
    apps = (
        Application.objects.filter(applicant=user, status__in=sorted(FINISHED))
        .filter(~Exists(Rating.objects.filter(application=OuterRef("pk"), ticket__isnull=True)))
        .order_by("-updated_at")[:applications]
    )
    visits = (
        Ticket.objects.filter(person=user, status=Ticket.Status.DONE)
        .filter(~Exists(Rating.objects.filter(ticket=OuterRef("pk"))))
        .select_related("hall", "service")
        .order_by("-finished_at")[:tickets]
    )
    return {"applications": list(apps), "tickets": list(visits)}
