"""Shared test fixtures.

Every database test starts from the same baseline: the official calendar (seeded by a data
migration) and the demo catalog (Yueyang) with its accounts. Both are written once into the
test database at session start. A transactional test flushes the database when it ends, so
before each database test :func:`_baseline` restores whatever is missing; test order (random,
parallel) never matters.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest
from django.core.management import call_command


def _load_demo() -> None:
    call_command("load_demo", verbosity=0, stdout=_Null())


class _Null:
    def write(self, *_):
        pass

    def flush(self):
        pass


#: the source of the placeholder calendars tests get for years not yet officially published
PLACEHOLDER_CALENDAR = "测试占位：仅周末休息（非官方）"


def _ensure_baseline() -> None:
    from onething.calendar.models import CalendarYear
    from onething.calendar.service import seed_from_chinese_calendar
    from onething.catalog.models import Revision

    if not CalendarYear.objects.exists():
        seed_from_chinese_calendar()
    _placeholder_years()
    if not Revision.objects.filter(kind="bundle").exists():
        _load_demo()


def _placeholder_years() -> None:
    """Weekend-only calendars for the years after the last official one, up to next year.

    Pages and the API take today's date from the wall clock, and a case accepted in December
    has its deadline in next year, whose official schedule may not be loaded yet: the platform
    then refuses (409), as it must. So that the suite does not depend on the day it runs, tests
    get placeholders (never a deployment). Tests of that refusal remove them first
    (:func:`without_placeholder_years`).
    """
    import datetime as dt

    from onething.calendar.models import CalendarYear
    from onething.calendar.service import load_year

    last = CalendarYear.objects.order_by("-year").values_list("year", flat=True).first() or 0
    for year in range(last + 1, dt.date.today().year + 2):
        load_year(year, [], [], source=PLACEHOLDER_CALENDAR)


def without_placeholder_years() -> None:
    """Remove the placeholder calendars (inside the calling test's transaction)."""
    from onething.calendar.models import CalendarYear

    CalendarYear.objects.filter(source=PLACEHOLDER_CALENDAR).delete()


DB_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _ensure_baseline()


@pytest.fixture(autouse=True, scope="session")
def _after_commit_inline():
    """Tests read the audit chain and the inbox right after a change: do the after-commit work
    in the committing thread. Servers use a worker thread (``AFTER_COMMIT = "background"``);
    ``tests/core`` tests that worker, and the crash test's real server runs it.
    """
    from django.conf import settings

    settings.ONETHING["AFTER_COMMIT"] = "inline"


@pytest.fixture(autouse=True)
def _baseline(request):
    """Restore the calendar and demo data a previous transactional test flushed away.

    Runs before the test's own database fixtures (outside its transaction), so a restore is
    committed once and later tests find it.
    """
    if not (request.node.get_closest_marker("django_db") or DB_FIXTURES & set(request.fixturenames)):
        return
    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    with blocker.unblock():
        _ensure_baseline()


@pytest.fixture
def demo(db):
    """The demo catalog and accounts (always present: see :func:`_baseline`)."""


@pytest.fixture
def example_document():
    """The worked example from the catalog contract (企业注销一件事, 岳阳市)."""
    text = resources.files("onething.catalog").joinpath("tests/data/example-catalog.json").read_text("utf-8")
    return json.loads(text)


@pytest.fixture
def demo_document():
    text = resources.files("onething.catalog").joinpath("demo/demo-catalog.json").read_text("utf-8")
    return json.loads(text)


@pytest.fixture
def api_client(db):
    from django.test import Client

    return Client()


@pytest.fixture
def make_user(db):
    """Create a user; ``make_user("alice", roles=[("approver", {"department_id": "…"})])``."""
    from onething.accounts.models import StaffRole, User

    def make(username: str, password: str = "pw-for-tests-only", roles=(), **fields):
        user = User.objects.create_user(username=username, password=password, **fields)
        for role, scope in roles:
            StaffRole.objects.create(user=user, role=role, **scope)
        return user

    return make


@pytest.fixture
def token_for(db):
    """A bearer ``Authorization`` header value for a user."""
    from onething.accounts.models import ApiToken

    def issue(user) -> str:
        _, raw = ApiToken.issue(user, name="test")
        return f"Bearer {raw}"

    return issue
