"""The 12345 demo (``load-demo``): tickets in every state through the real functions, cards
in the ledger, 张三's ticket to rate, and a second run that creates nothing."""

from __future__ import annotations

import pytest

from onething.accounts.models import User
from onething.clocks.models import Clock
from onething.hotline import service
from onething.hotline.demo import ANONYMOUS_CODE, ANONYMOUS_CONTENT, create_demo_hotline
from onething.hotline.models import Article, Card, Extension, Recurrence, Ticket

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        Article.objects.count(),
        Card.objects.count(),
        Extension.objects.count(),
    )


def _without_demo() -> None:
    """Start from no 12345 data: the baseline may hold the demo already, without its clocks
    (the baseline forgets every clock)."""
    Card.objects.all().delete()
    Extension.objects.all().delete()
    Recurrence.objects.all().delete()
    Ticket.objects.update(primary=None)
    Ticket.objects.all().delete()
    Article.objects.all().delete()


def test_demo_covers_the_loop_and_is_idempotent(django_capture_on_commit_callbacks):
    _without_demo()
    # the scan tells the owners (writes the cards) after its commit; here: when the block ends
    with django_capture_on_commit_callbacks(execute=True):
        lines = create_demo_hotline()
    assert any("12345" in line for line in lines)

    states = set(Ticket.objects.values_list("status", flat=True))
    assert states == set(Ticket.Status.values)
    assert set(Ticket.objects.values_list("category", flat=True)) == {
        "consult",
        "help",
        "complaint",
        "report",
        "suggestion",
        "not_done",
    }
    assert Ticket.objects.filter(category="not_done", complexity="complex").exists()
    assert Ticket.objects.filter(returns__gt=0).exists()  # 退单
    assert Ticket.objects.filter(reopened__gt=0).exists()  # 回访不满意
    assert Ticket.objects.filter(primary__isnull=False).count() >= 2  # merges
    assert Ticket.objects.exclude(rated_at=None).exists()
    assert Extension.objects.filter(status=Extension.Status.APPROVED).exists()
    assert Article.objects.filter(region_id="430600", published=True).count() >= 8
    # filed through intake: every ticket taken in has its finish clock (a redirected one none)
    clocked = set(
        Clock.objects.filter(owner_kind="hotline.ticket", name="finish").values_list("owner_id", flat=True)
    )
    taken = Ticket.objects.exclude(status=Ticket.Status.REDIRECTED)
    assert {str(pk) for pk in taken.values_list("pk", flat=True)} <= clocked
    assert not clocked & {
        str(pk) for pk in Ticket.objects.filter(status="redirected").values_list("pk", flat=True)
    }

    assert Card.objects.filter(level="yellow").exists()
    assert Card.objects.filter(level="red").exists()
    assert Card.objects.filter(department__isnull=False).exists()  # a department's card
    assert Card.objects.filter(department__isnull=True).exists()  # the centre's

    zhangsan = User.objects.get(username="zhangsan")
    mine = Ticket.objects.get(caller=zhangsan, channel="mobile")
    assert mine.status == Ticket.Status.FINISHED and mine.rated_at is None and mine.reply

    anonymous = Ticket.objects.get(content=ANONYMOUS_CONTENT)
    assert anonymous.anonymous and not anonymous.caller_phone
    assert service.follow(anonymous.number, ANONYMOUS_CODE).pk == anonymous.pk

    before = _counts()
    again = create_demo_hotline()
    assert _counts() == before
    assert not any("生成" in line for line in again)
