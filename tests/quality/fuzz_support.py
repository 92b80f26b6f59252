"""What the fuzzers share: the bad values, fresh cases in every state, a cheap row count.

* **Bad values** — what an attacker types and no person does: NUL and the other control
  characters (\\x01–\\x1f except tab and newline, \\x7f), lone surrogates (only reachable through
  a JSON escape ``"\\ud800"`` or invalid UTF-8 ``%ED%A0%80``), over-long strings (past the
  documented limit, ten times it, 100 000 characters), non-ASCII digits (``٣ ３ ²``) and
  impossible dates.
* **Fresh cases** (:class:`Cases`) — applications, sub-cases, 延期 requests and post-checks in
  the state an action needs, made with the domain functions (``intake.submit``,
  ``cases.lifecycle``) by the demo people, so a bad value reaches the code behind the state
  check instead of a 409.
* **Per example** (:func:`rolled_back`) — each example runs in a savepoint that is rolled
  back: every example finds its case as fresh as the first did (shrinking replays the same
  request on the same state), and on PostgreSQL a failed statement does not poison the test's
  transaction for every later example.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from hypothesis import strategies as st

# ------------------------------------------------------------------------------- bad values

#: C0 controls except tab and newline, and DEL
CONTROL_CHARACTERS = tuple(chr(c) for c in [*range(0x00, 0x20), 0x7F] if chr(c) not in "\t\n")
#: lone surrogates: not text at all, they cannot be encoded, stored or hashed
LONE_SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")
NASTY_CHARACTERS = ("\x00", *LONE_SURROGATES, *CONTROL_CHARACTERS[1:])
#: the length of "very long" wherever no limit is documented
LONG = 100_000
#: when no limit is known: just past the usual column sizes
DEFAULT_LENGTHS = (61, 101, 201, 301, 2001, 4001)
BAD_DATES = (
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2026-13-01",
    "99999-01-01",
    "+2026-12-01",
    "2026-12-01T00:00:00",
    "20261201",
    "12/01/2026",
    "明天",
    "２０２６-１２-０１",
    "",
)
#: numbers a person does not mean: non-ASCII digits, beyond 64 bits, not integers
BAD_INTEGERS = (
    "٣",
    "３",
    "²",
    "1_000",
    "100000000000000000000",
    "-100000000000000000000",
    "9223372036854775808",
    "-1",
    "0",
    "1e3",
    "3.0",
    "0x10",
    " 3",
    "NaN",
    "∞",
)
BAD_JSON_NUMBERS = (10**20, -(10**20), 2**63, -(2**63) - 1, 1e308, -1, 0, 0.5)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def long_text(base: str, length: int) -> str:
    """``base`` repeated to exactly ``length`` characters."""
    base = base or "长"
    return (base * (length // len(base) + 1))[:length]


def lengths(max_length: int | None) -> tuple[int, ...]:
    """Over-long: just past the documented limit, ten times it, and :data:`LONG`."""
    if max_length:
        return (max_length + 1, 10 * max_length, LONG)
    return (*DEFAULT_LENGTHS, LONG)


def with_character(value: str, char: str) -> str:
    """``value`` with its middle character replaced by ``char``: the length stays, so a value
    at its documented limit (an 18-character USCC) gets past the length check."""
    value = value or "正常文字"
    middle = len(value) // 2
    return value[:middle] + char + value[middle + 1 :]


def nasty_text(original: str = "", max_length: int | None = None) -> st.SearchStrategy[str]:
    """A bad version of ``original``: a nasty character in place of one of its characters or
    added, nasty characters only, or over-long (with or without a nasty character in it)."""
    base = original if isinstance(original, str) and original else "正常文字"
    char = st.one_of(st.sampled_from(("\x00", "\ud800")), st.sampled_from(NASTY_CHARACTERS))
    replaced = st.tuples(char, st.integers(0, len(base) - 1)).map(
        lambda t: base[: t[1]] + t[0] + base[t[1] + 1 :]
    )
    inserted = st.tuples(char, st.integers(0, len(base))).map(lambda t: base[: t[1]] + t[0] + base[t[1] :])
    only = st.lists(char, min_size=1, max_size=3).map("".join)
    long = st.sampled_from(lengths(max_length)).map(lambda n: long_text(base, n))
    long_nasty = st.tuples(st.sampled_from(lengths(max_length)), char).map(
        lambda t: long_text(base, t[0] // 2) + t[1] + long_text(base, t[0] - t[0] // 2)
    )
    options = [replaced, inserted, only, long, long_nasty]
    if isinstance(original, str) and DATE.match(original):
        options.append(st.sampled_from(BAD_DATES))
    return st.one_of(*options)


def nasty_integer_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(BAD_INTEGERS), nasty_text("3"))


def percent(value: str) -> str:
    """``value`` percent-encoded as UTF-8 for a URL; a lone surrogate becomes ``%ED%A0%80``
    (invalid UTF-8, which is what reaches a server when someone types it)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def raw_header(value: str) -> str:
    """``value`` as a WSGI header string: its UTF-8 bytes (invalid ones for a surrogate), one
    Latin-1 character per byte — what the server sees when a client sends those bytes."""
    return value.encode("utf-8", "surrogatepass").decode("latin-1")


def _visible(text: str) -> str:
    return "".join(
        c
        if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF
        else f"\\x{ord(c):02x}"
        if ord(c) < 0x100
        else f"\\u{ord(c):04x}"
        for c in text
    )


def describe(value, limit: int = 60) -> str:
    """A short, readable description of a (possibly huge) bad value for failure messages:
    control characters and surrogates escaped (``\\x00``, ``\\ud800``), Chinese as it is."""
    if isinstance(value, str):
        shown = _visible(value[:limit])
        return f"'{shown}'" + (f"…（共 {len(value)} 字符）" if len(value) > limit else "")
    if isinstance(value, (list, tuple)):
        if len(value) > 5:
            return f"[{describe(value[0], 20)} × {len(value)}]"
        inner = ", ".join(describe(v, limit) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, bytes):
        return repr(value[:limit]) + (f"…（共 {len(value)} 字节）" if len(value) > limit else "")
    return _visible(repr(value))[: limit * 2]


# ------------------------------------------------------------------------------- per example


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint and undo whatever it wrote."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


class _Collect(logging.Handler):
    def __init__(self, found: list[str]):
        super().__init__(logging.ERROR)
        self.found = found

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.found.append("".join(traceback.format_exception(*record.exc_info)))


@contextmanager
def server_errors() -> Iterator[list[str]]:
    """Tracebacks the application logs while the block runs (the API answers a 500 and logs
    the exception; it does not raise it)."""
    found: list[str] = []
    handler = _Collect(found)
    loggers = [logging.getLogger(name) for name in ("onething.api", "django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield found
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def traceback_tail(text: str, lines: int = 14) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


# ------------------------------------------------------------------------------- row count

#: every table a case action writes to: a refused request must leave all of them as they were
CASE_MODELS = (
    "cases.Application",
    "cases.SubCase",
    "cases.Material",
    "cases.Notice",
    "cases.CorrectionRequest",
    "cases.Commitment",
    "cases.Extension",
    "cases.Inspection",
    "cases.PostCheck",
    "cases.SpecialProcedure",
    "cases.Delivery",
    "audit.AuditRecord",
    "notifications.Notification",
    "notifications.OutboxMessage",
    "documents.Document",
    "clocks.Clock",
)


def case_rows() -> dict[str, int]:
    """Rows in every case table, in one query."""
    from django.apps import apps
    from django.db import connection

    models = [apps.get_model(label) for label in CASE_MODELS]
    quote_name = connection.ops.quote_name
    # a refused online submission keeps what was typed and chosen as a draft (the person loses
    # nothing): the draft and its own audit record are not case data
    where = {"audit.AuditRecord": " WHERE object_type <> 'draft'"}
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {quote_name(m._meta.db_table)}{where.get(m._meta.label, '')})"  # noqa: S608
        for m in models
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")  # table names from the models
        row = cursor.fetchone()
    return {m._meta.label: int(n) for m, n in zip(models, row, strict=True)}


def fuzz_settings(max_examples: int):
    """The hypothesis settings of every fuzzer: bounded, derandomised, no example database."""
    from hypothesis import HealthCheck, Phase, settings

    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )


# ------------------------------------------------------------------------------- fresh cases

BUNDLE = "430600-YJS-XSECS"  # 新生儿出生一件事 (岳阳市)
#: 食品经营许可 (岳阳市): an item with on-site inspection
INSPECTED_ITEM = "430600-SCJG-0103-01"
#: the demo enterprise, lisi is its legal representative
ENTERPRISE = "91430600MA4L00001C"
#: how a case of each variant is filed: (kind, code, answers key, submitter, extra intake args)
VARIANTS = (
    ("bundle", BUNDLE, "plain", "zhangsan", {}),
    ("bundle", BUNDLE, "local", "zhangsan", {}),
    ("item", INSPECTED_ITEM, "none", "lisi", {"enterprise": ENTERPRISE}),
)


@functools.lru_cache(maxsize=1)
def tiny_pdf() -> bytes:
    """A real one-page PDF (uploads are parsed, not only sniffed)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def answers_for(name: str) -> dict:
    from onething.cases.tests.conftest import ANSWERS, ANSWERS_LOCAL

    return {"plain": ANSWERS, "local": ANSWERS_LOCAL, "none": {}}[name]


def form_for(kind: str, code: str, answers: dict) -> dict:
    """A valid flat form for the plan of ``kind``/``code`` with ``answers``."""
    from onething.cases import intake
    from onething.cases.tests.conftest import FORM
    from onething.cases.tests.conftest import form_for as samples

    plan = intake.load_plan(kind, code, answers)
    flat = intake.flatten(FORM)
    fields = [f.as_dict() for f in plan.form]
    fallback = samples(fields)
    return {f["element"]: flat.get(f["element"], fallback[f["element"]]) for f in fields}


class Cases:
    """Makes cases in a given state for the fuzzers (every call a new application)."""

    def __init__(self):
        from onething.accounts.models import User
        from onething.cases.tests.conftest import DEMO_PEOPLE

        self.people = {u.username: u for u in User.objects.filter(username__in=DEMO_PEOPLE)}
        self.clerk = self.people["chuangkou"]
        self.supervisor = self.people["ducha"]
        self._keys = itertools.count(1)

    # -- intake

    def submitted(self, variant: int = 0, by=None):
        from onething.cases import intake

        kind, code, answers, submitter, extra = VARIANTS[variant % len(VARIANTS)]
        answers = answers_for(answers)
        return intake.submit(
            by or self.people[submitter],
            kind=kind,
            code=code,
            answers=answers,
            form=form_for(kind, code, answers),
            idempotency_key=f"fuzz-{next(self._keys)}",
            **extra,
        ).application

    def materials(self, app) -> list[str]:
        """Codes of the materials the applicant has to hand in."""
        return [m["material"] for m in app.plan.get("materials", []) if not m.get("exempt")]

    def upload(self, app, material: str):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from onething.cases import intake

        upload = SimpleUploadedFile("scan.pdf", tiny_pdf(), content_type="application/pdf")
        return intake.store_upload(app, material, upload, app.submitted_by)

    def complete(self, variant: int = 0, by=None):
        """Submitted with every material uploaded: ready for 受理."""
        app = self.submitted(variant, by)
        for material in self.materials(app):
            self.upload(app, material)
        return app

    def pre_reviewed(self, variant: int = 0):
        from onething.cases import lifecycle

        return lifecycle.pre_review(self.complete(variant), self.clerk)

    def correction(self, variant: int = 0):
        from onething.cases import lifecycle

        return lifecycle.request_correction(
            self.submitted(variant), self.clerk, items=["补充出生医学证明复印件"], reason="材料不清晰"
        )

    def accepted(self, variant: int = 0):
        from onething.cases import lifecycle

        return lifecycle.accept(self.complete(variant), self.clerk)

    def rejected(self, variant: int = 0):
        from onething.cases import lifecycle

        return lifecycle.reject(self.submitted(variant), self.clerk, reason="不属于本大厅受理范围")

    # -- back office

    def approver_of(self, sub):
        from onething.accounts.models import StaffRole

        for user in self.people.values():
            if any(
                r.role == StaffRole.APPROVER and r.department_id == sub.department_id for r in user.roles()
            ):
                return user
        return None

    def in_review(self, variant: int = 0):
        """(application, a sub-case in review that has a demo approver)."""
        app = self.accepted(variant)
        subs = list(app.subcases.filter(status="in_review").order_by("position"))
        sub = next((s for s in subs if self.approver_of(s) is not None), subs[0])
        return app, sub

    def special(self, variant: int = 0):
        from onething.cases import lifecycle

        app, sub = self.in_review(variant)
        lifecycle.start_special_procedure(sub, self.approver_of(sub), kind="hearing", reason="需要听证")
        return app, sub

    def in_state(self, state: str, variant: int = 0):
        """(application, sub-case or None, extension or None) freshly made in ``state``: the
        states both fuzzers act on; any other name is a method of this class."""
        sub = ext = None
        if state == "closable":
            app = self.delivered(variant) if variant % 2 else self.rejected(variant)
        elif state in ("inspection_due", "inspection_scheduled"):
            app = getattr(self, state)()
        elif state in ("in_review", "special"):
            app, sub = getattr(self, state)(variant)
        elif state == "pending_extension":
            app, sub, ext = self.pending_extension(variant)
        elif state == "post_check":
            app = self.decided(variant)
            sub = app.subcases.filter(post_check__isnull=False).order_by("position").first()
        else:
            app = getattr(self, state)(variant)
        return app, sub, ext

    def pending_extension(self, variant: int = 0):
        from onething.cases import lifecycle

        app, sub = self.in_review(variant)
        ext = lifecycle.request_extension(sub, self.approver_of(sub), days=2, reason="需调取外地档案")
        return app, sub, ext

    def decided(self, variant: int = 0):
        """告知承诺: every sub-case approved at once, a post-check open for each."""
        from onething.cases import lifecycle

        return lifecycle.accept_on_commitment(
            self.complete(variant), self.clerk, commitment_text="本人承诺所填信息真实", signed_by_name="张三"
        )

    def result_ready(self, variant: int = 0):
        from onething.cases import lifecycle

        return lifecycle.result_ready(self.decided(variant), self.clerk, method="window")

    def delivered(self, variant: int = 0):
        from onething.cases import lifecycle

        return lifecycle.deliver(self.result_ready(variant), self.clerk, method="window")

    def inspection_due(self):
        """An accepted application of an item that needs the joint on-site inspection."""
        return self.accepted(2)

    def inspection_scheduled(self):
        from django.utils import timezone

        from onething.cases import lifecycle

        app = self.inspection_due()
        lifecycle.schedule_inspection(
            app, self.clerk, on=timezone.localdate() + dt.timedelta(days=3), location="经营场所"
        )
        return app

    def uploaded(self, variant: int = 0):
        """(application, material) with one uploaded file."""
        app = self.submitted(variant)
        return app, self.upload(app, self.materials(app)[0])
