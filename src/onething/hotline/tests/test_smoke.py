"""The loop end to end through the functions (a first check; the full tests are beside it)."""

from __future__ import annotations

import datetime as dt

import pytest

from onething.accounts.models import User
from onething.hotline import intake, service
from onething.hotline.models import Ticket

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


def test_call_to_return_visit():
    jiexian = User.objects.get(username="jiexian")
    handler = User.objects.get(username="chengban_shichang")
    dept = handler.staff_roles.get().department
    now = dt.datetime(2026, 9, 30, 16, 0, tzinfo=TZ)
    filed = intake.file(
        {
            "category": "complaint",
            "channel": "hotline",
            "content": "店铺卫生差",
            "region": "430602",
            "caller": {"name": "张先生", "phone": "13800000000"},
            "received_at": "2026-09-30T15:50:00+08:00",
        },
        actor=jiexian,
        role="operator",
        now=now,
    )
    t = filed.ticket
    assert t.status == "received" and t.finish_due == dt.date(2026, 10, 13)
    assert t.dispatch_due.astimezone(TZ) == dt.datetime(2026, 9, 30, 16, 50, tzinfo=TZ)
    t = service.dispatch(t, jiexian, roles={"operator"}, department=dept.pk, now=now)
    assert t.status == "dispatched" and t.sign_due == dt.date(2026, 10, 8)
    t = service.sign(t, handler, roles={"handler"}, now=now)
    t = service.answer(t, handler, roles={"handler"}, reply="已责令整改", now=now)
    t = service.finish(t, jiexian, roles={"operator"}, now=now)
    assert t.status == "finished" and t.on_time
    t = service.revisit(t, jiexian, roles={"operator"}, satisfaction="satisfied", note_text="满意", now=now)
    assert t.status == "closed"
    assert Ticket.objects.get(pk=t.pk).status == "closed"
    assert service.follow(t.number, filed.lookup_code.lower()).pk == t.pk
