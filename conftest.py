"""Shared test fixtures.

Every database test starts from the same baseline: the official calendar (seeded by a data
migration) and the demo catalog (Yueyang) with its accounts. Both are written once into the
test database at session start (per xdist worker), and their rows are then kept in memory
(:class:`BaselineSnapshot`). A transactional test (``transaction=True``, ``transactional_db``,
``live_server``) ends by writing the snapshot back instead of Django's flush (DELETE + bulk
``COPY``/``executemany``, ~0.1–0.3 s, :func:`_restore_instead_of_flush`); and before every
database test — before any of its fixtures, so outside its transaction —
:func:`pytest_runtest_setup` checks that the baseline is there and restores it if anything
else removed it. Test order (random, parallel) never matters.

Why not restore in a fixture, as this file once did: pytest-django opens the test's
transaction in its own autouse fixture, which runs before any autouse fixture of this file for
tests that carry the ``django_db`` marker (most modules set ``pytestmark``). A restore done
there (re-importing the demo catalog, 5–25 s on PostgreSQL) was rolled back with the test, so
the next marked test found the baseline missing and re-imported it again — the chains of
~10 s set-ups of issue #11.

The root conftest also shapes the CI passes (``BACKEND_SENSITIVE``, ``EMBEDDED``) and holds the
hypothesis ``ci`` profile: docs/development.md, "How the suite is shaped".
"""

from __future__ import annotations

import json
import os
import time
from importlib import resources

import pytest
from django.core.management import call_command

# ------------------------------------------------------------------------------- hypothesis


def _hypothesis_profiles() -> None:
    """``ci`` (``CI`` set, as ``.ci/run`` does): derandomised, no example database — a CI run is
    reproducible and its examples do not depend on what an earlier run found. Property tests
    keep the example counts they declare; the fuzzers take theirs from ``ONETHING_FUZZ_EXAMPLES``
    (fixed per pass in the Makefile). ``HYPOTHESIS_PROFILE`` picks a profile by name."""
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
    profile = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else None)
    if profile:
        settings.load_profile(profile)


_hypothesis_profiles()


# ------------------------------------------------------------------------------- passes

#: Test modules (or folders) whose outcome depends on the database backend. CI runs the whole
#: suite once on PostgreSQL (production) and, on SQLite (the embedded mode), only what is marked
#: ``sqlite`` (these, plus any test with ``@pytest.mark.sqlite``) or ``embedded``. Add a module
#: here — with the reason — when its code takes a different path per backend (``connection.vendor``,
#: raw SQL, locking, text the backends store differently). See docs/development.md, "How the
#: suite is shaped".
BACKEND_SENSITIVE = {
    "src/onething/search/tests/test_search.py": "one search interface, two engines: SQLite FTS5, PostgreSQL tsvector",
    "src/onething/search/tests/test_index.py": "index maintenance: FTS5 triggers vs a generated tsvector column",
    "src/onething/search/tests/test_api.py": "search, browse and themes through both engines",
    "src/onething/cases/tests/test_bad_input.py": "NUL and over-long text: PostgreSQL refuses them, SQLite stores them",
    "src/onething/cases/tests/test_api.py": "idempotent intake: the unique-constraint race handled in a savepoint",
    "src/onething/catalog/tests/test_publishing.py": "revisions are immutable by a trigger, one per backend",
    "src/onething/audit/tests/test_audit.py": "chain linking under row locks (NOWAIT on PostgreSQL; SQLite serialises)",
    "tests/core/test_insert_rows.py": "core.rows: PostgreSQL's recordset path beside the generic one",
    "tests/core/test_background.py": "the after-commit worker's own connections (per thread vs the psycopg pool)",
    "tests/quality/test_api_fuzz.py": "fuzzers: faults of one backend (NUL, lengths, 64-bit integers) are what they look for",
    "tests/quality/test_form_fuzz.py": "fuzzers: faults of one backend (NUL, lengths, 64-bit integers) are what they look for",
    "tests/quality/test_import_fuzz.py": "fuzzers: faults of one backend (NUL, lengths, 64-bit integers) are what they look for",
    "src/onething/notifications/tests/test_delivery.py": "outbox claims: SKIP LOCKED on PostgreSQL, serialised on SQLite",
    "src/onething/clocks/tests/test_scan.py": "the scan: one UPDATE … FROM per batch on PostgreSQL, small batches on SQLite",
    "src/onething/cases/tests/test_numbering.py": "numbers on their own connection on PostgreSQL, in place on SQLite",
    "src/onething/halls/tests/test_booking_concurrency.py": "the last places of a slot booked at once: row locks on PostgreSQL (skipped on SQLite)",
    "src/onething/halls/tests/test_queue_concurrency.py": "two windows calling next and kiosks issuing at once: row locks on PostgreSQL (skipped on SQLite)",
    "src/onething/ratings/tests/test_projection.py": "the rates' projection is written by raw SQL (INSERT … ON CONFLICT DO UPDATE) on both engines",
    "src/onething/hotline/tests/test_merge_concurrency.py": "two operators merging one ticket at once: row locks on PostgreSQL (skipped on SQLite)",
    "src/onething/hotline/tests/test_recurrences.py": "filings at the same instant open one recurrence: a partial unique index and savepoints on PostgreSQL",
    "src/onething/federation/tests/test_inbox_concurrency.py": "one envelope delivered twice at once: the sequence row lock and the unique index's wait on PostgreSQL (skipped on SQLite)",
}
#: The embedded mode itself: a real server on its own SQLite file, whatever the pass's database —
#: SQLite pass only (on PostgreSQL it would repeat the same run).
EMBEDDED = {
    "src/onething/cases/tests/test_crash.py": "SIGKILL of gunicorn on a SQLite file (WAL)",
}


def _in(table: dict[str, str], nodeid: str) -> bool:
    path = nodeid.split("::", 1)[0]
    return any(path == key or (key.endswith("/") and path.startswith(key)) for key in table)


def pytest_collection_modifyitems(items):
    """Mark the passes (``sqlite``, ``embedded``) and keep coverage tracing out of the slow
    suites' test bodies (``no_cover``: fuzzers and browsers are CPU-bound, and the coverage
    gate is about the unit and integration tests)."""
    for item in items:
        if _in(BACKEND_SENSITIVE, item.nodeid):
            item.add_marker(pytest.mark.sqlite)
        if _in(EMBEDDED, item.nodeid):
            item.add_marker(pytest.mark.embedded)
        if item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.no_cover)


# ------------------------------------------------------------------------------- the baseline


def _load_demo() -> None:
    # 好差评's demo (a finished case of 张三, months of generated ratings) stays out of the
    # baseline: the ratings tests make what they count (``ratings/tests/test_demo.py`` loads it)
    call_command("load_demo", "--without-ratings", "--without-hotline", verbosity=0, stdout=_Null())


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
        _forget_demo_history()


def _forget_demo_history() -> None:
    """The baseline is the demo's data, not the history of setting it up.

    Loading the demo fires real machines (its data-sharing requests are submitted, checked and
    approved through the engine), so it writes audit records, inbox and outbox messages, gateway
    calls and the clocks of the requests it leaves waiting. Tests of those logs and of the scan
    assert exact contents from empty, so each test starts with an empty audit chain, inbox,
    outbox and call log and no running clock; the demo's rows themselves stay."""
    from onething.audit.models import AuditRecord, ChainHead
    from onething.clocks.models import Clock
    from onething.notifications.models import Notification, OutboxMessage
    from onething.sharing.models import Call

    for model in (AuditRecord, ChainHead, Notification, OutboxMessage, Call, Clock):
        model.objects.all().delete()


def _baseline_present() -> bool:
    from onething.calendar.models import CalendarYear
    from onething.catalog.models import Revision

    return CalendarYear.objects.exists() and Revision.objects.filter(kind="bundle").exists()


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


class BaselineSnapshot:
    """Every row of every Django table right after the baseline was loaded, kept in memory.

    :meth:`restore` empties all Django tables (``DELETE``: contenttypes and permissions that
    ``flush`` re-created get their original ids back) and writes the rows back in one
    transaction — foreign keys are deferred, so table order does not matter. PostgreSQL: ``COPY
    … TO/FROM STDOUT`` in text format (exact for every type; generated columns such as the
    search ``tsv`` are left out and recomputed), then sequences are moved forward if they are
    behind the restored ids. SQLite: ``executemany``; the search FTS5 table follows through
    its triggers. Only tables without a model (none on PostgreSQL; FTS5's own on SQLite) are
    not copied.
    """

    def __init__(self) -> None:
        from django.db import connection

        self.vendor = connection.vendor
        self.tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        self.rows: list[tuple[str, str, object]] = []  # (table, column list, data)
        self.sequences: list[tuple[str, str, str]] = []  # (sequence, table, column)
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in self.tables:
                if self.vendor == "postgresql":
                    cursor.execute(
                        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                        "current_schema() AND table_name = %s AND is_generated = 'NEVER' "
                        "ORDER BY ordinal_position",
                        [table],
                    )
                    columns = ", ".join(quote(c) for (c,) in cursor.fetchall())
                    with cursor.copy(f"COPY {quote(table)} ({columns}) TO STDOUT") as copy:
                        data = b"".join(bytes(chunk) for chunk in copy)
                    if data:
                        for sequence in connection.introspection.get_sequences(cursor, table):
                            self.sequences.append((sequence["name"], table, sequence["column"]))
                else:
                    cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - names from Django
                    data = cursor.fetchall()
                    columns = ", ".join(quote(d[0]) for d in cursor.description)
                if data:
                    self.rows.append((table, columns, data))

    def restore(self) -> None:
        from django.contrib.contenttypes.models import ContentType
        from django.db import connection, transaction

        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            # DELETE, not flush's TRUNCATE: the tables are (nearly) empty, and on PostgreSQL a
            # TRUNCATE of 50 tables costs ~1 s of file operations and a slow commit
            for table in self.tables:
                cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 - names from Django
            for table, columns, data in self.rows:
                if self.vendor == "postgresql":
                    with cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                        copy.write(data)
                else:
                    marks = ", ".join(["%s"] * len(data[0]))
                    cursor.executemany(f"INSERT INTO {quote(table)} ({columns}) VALUES ({marks})", data)  # noqa: S608
            if self.sequences:  # only a reset_sequences test can leave one behind the ids
                moves = ", ".join(
                    f"setval('{quote(seq)}', GREATEST((SELECT COALESCE(MAX({quote(col)}), 1) "  # noqa: S608
                    f"FROM {quote(table)}), (SELECT last_value FROM {quote(seq)})))"
                    for seq, table, col in self.sequences
                )
                cursor.execute(f"SELECT {moves}")
        ContentType.objects.clear_cache()


class _Baseline:
    """Per worker: the snapshot and the database blocker (set by :func:`django_db_setup`)."""

    snapshot: BaselineSnapshot | None = None
    blocker = None
    #: restores this session: count, seconds (one line of the terminal summary)
    restores = 0
    seconds = 0.0

    @classmethod
    def restore(cls) -> None:
        started = time.perf_counter()
        cls.snapshot.restore()
        cls.restores += 1
        cls.seconds += time.perf_counter() - started


def _restore_instead_of_flush(flush):
    """``TransactionTestCase._fixture_teardown`` that writes the baseline back instead of
    flushing: ``flush`` TRUNCATEs every table (~1 s on PostgreSQL, more on a busy server, and
    it waits for every other connection's locks), re-creates contenttypes and permissions,
    and the baseline would then be restored anyway. Django's flush still runs for tests that
    ask for something else (``available_apps``, ``serialized_rollback``, other databases)."""

    def teardown(self):
        if (
            _Baseline.snapshot is None
            or self.available_apps is not None
            or self.serialized_rollback
            or list(self._databases_names(include_mirrors=False)) != ["default"]
        ):
            return flush(self)
        _Baseline.restore()

    return teardown


DB_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def _uses_db(item) -> bool:
    return bool(item.get_closest_marker("django_db") or DB_FIXTURES & set(getattr(item, "fixturenames", ())))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.test import TransactionTestCase

    with django_db_blocker.unblock():
        _ensure_baseline()
        _Baseline.snapshot = BaselineSnapshot()
    _Baseline.blocker = django_db_blocker
    flush = TransactionTestCase._fixture_teardown
    TransactionTestCase._fixture_teardown = _restore_instead_of_flush(flush)
    yield
    TransactionTestCase._fixture_teardown = flush
    _Baseline.snapshot = _Baseline.blocker = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a database test's fixtures (no transaction is open yet): if the baseline is gone
    (a transactional test that Django flushed, see :func:`_restore_instead_of_flush`), write the
    snapshot back — committed, once."""
    if _Baseline.snapshot is None or not _uses_db(item):
        return
    with _Baseline.blocker.unblock():
        if not _baseline_present():
            _Baseline.restore()


def pytest_sessionfinish(session):
    output = getattr(session.config, "workeroutput", None)  # an xdist worker: tell the controller
    if output is not None:
        output["baseline_restores"] = (_Baseline.restores, _Baseline.seconds)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    restores, seconds = getattr(node, "workeroutput", {}).get("baseline_restores", (0, 0.0))
    _Baseline.restores += restores
    _Baseline.seconds += seconds


def pytest_terminal_summary(terminalreporter):
    """One line in the report: how often the baseline was written back, and what it cost."""
    if _Baseline.restores:
        terminalreporter.write_line(
            f"baseline restored {_Baseline.restores}× after transactional tests "
            f"({_Baseline.seconds:.1f} s in all)"
        )


@pytest.fixture(autouse=True, scope="session")
def _after_commit_inline():
    """Tests read the audit chain and the inbox right after a change: do the after-commit work
    in the committing thread. Servers use a worker thread (``AFTER_COMMIT = "background"``);
    ``tests/core`` tests that worker, and the crash test's real server runs it.
    """
    from django.conf import settings

    settings.ONETHING["AFTER_COMMIT"] = "inline"


@pytest.fixture
def demo(db):
    """The demo catalog and accounts (always present: see :func:`pytest_runtest_setup`)."""


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
