"""``onething.core.rows.insert_rows`` writes exactly what the ORM would: same columns, same values.

Here rather than in ``core/tests``: it needs real models, which live in the layers above ``core``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from onething.audit.models import AuditRecord
from onething.core.rows import insert_rows
from onething.notifications.models import Notification

AT = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)


def _stored(model, pk) -> dict:
    return model_to_dict(model.objects.get(pk=pk), exclude=["id"])


@pytest.mark.django_db
def test_rows_read_back_equal_to_the_orm(make_user):
    person = make_user("rows-person")
    data = {"答案": [1, "二", None], "nested": {"ok": True}, "when": "2026-11-21"}
    orm = AuditRecord.objects.create(
        at=AT, actor=person, action="a", object_type="t", object_id="1", data=data
    )
    lean = AuditRecord(at=AT, actor=person, action="a", object_type="t", object_id="1", data=data)
    insert_rows([lean])
    assert lean.pk is not None and lean.pk != orm.pk and not lean._state.adding
    assert _stored(AuditRecord, lean.pk) == _stored(AuditRecord, orm.pk)


@pytest.mark.django_db
def test_many_rows_in_one_statement_with_auto_now_add(make_user):
    person = make_user("rows-many")
    rows = [Notification(recipient=person, event="e", title=f"第{k}条", body="正文") for k in range(7)]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(rows)
    assert len([q for q in queries.captured_queries if q["sql"].startswith("INSERT")]) == 1
    stored = list(Notification.objects.filter(recipient=person).order_by("id"))
    assert [n.title for n in stored] == [f"第{k}条" for k in range(7)]
    assert [n.pk for n in stored] == [r.pk for r in rows]
    assert all(n.created_at is not None for n in stored)


@pytest.mark.django_db
def test_mixed_models_are_refused(make_user):
    person = make_user("rows-mixed")
    with pytest.raises(TypeError):
        insert_rows([Notification(recipient=person, event="e", title="t"), AuditRecord(at=AT)])
    assert not Notification.objects.filter(recipient=person).exists()


def test_nothing_to_insert_touches_no_database():
    insert_rows([])  # no django_db mark: a query would fail the test


@pytest.mark.django_db
def test_an_application_with_dates_json_and_flags_reads_back_equal(demo):
    """Every column type intake writes: dates, booleans, JSON, foreign keys, text."""
    from onething.accounts.models import User
    from onething.cases.models import Application, SubCase
    from onething.directory.models import Department

    person = User.objects.get(username="zhangsan")
    values = dict(
        kind="bundle",
        code="X",
        name="测试",
        region_id="430602",
        applicant=person,
        submitted_by=person,
        answers={"married": True, "n": 2},
        plan={"members": [{"item": "a", "after": []}], "limit_days": 20},
        form={"child.birth_date": "2026-11-01"},
        limit_days=20,
        started_on=dt.date(2026, 11, 23),
        due_date=dt.date(2026, 12, 21),
        timed=True,
    )
    orm = Application(number="430602-20261121-900001", **values)
    orm.save(force_insert=True)
    lean = Application(number="430602-20261121-900002", **values)
    insert_rows([lean])
    skip = ["id", "number", "created_at", "updated_at"]
    stored = {
        f: model_to_dict(Application.objects.get(pk=pk), exclude=skip)
        for f, pk in (("o", orm.pk), ("l", lean.pk))
    }
    assert stored["l"] == stored["o"]
    subs = [
        SubCase(
            application=lean,
            number=f"{lean.number}-0{n}",
            position=n,
            item_code="i",
            item_name="事项",
            department=Department.objects.first(),
            region_id="430602",
            after=["a"],
            limit_days=5,
        )
        for n in (1, 2)
    ]
    insert_rows(subs, keys=False)
    assert list(lean.subcases.order_by("position").values_list("number", "after")) == [
        (f"{lean.number}-01", ["a"]),
        (f"{lean.number}-02", ["a"]),
    ]
