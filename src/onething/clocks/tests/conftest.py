"""Fixtures for the clock tests: a registered owner kind that records what it is told, and
policies made to measure. Owners are ``("tests.ticket", "<id>")`` pairs: clocks need no
owner model."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from onething.clocks import registry
from onething.clocks.models import ClockPolicy

TZ = ZoneInfo("Asia/Shanghai")
KIND = "tests.ticket"


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A fixed moment on ``day`` in Asia/Shanghai."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=TZ)


def midnight(day: str) -> dt.datetime:
    return at(day, 0)


def ticket(number: int | str) -> tuple[str, str]:
    return (KIND, str(number))


class Told:
    """What the registered callbacks were called with, per call."""

    def __init__(self):
        self.calls: list[tuple[str, list[registry.Mark]]] = []

    def yellow(self, marks):
        self.calls.append(("yellow", list(marks)))

    def red(self, marks):
        self.calls.append(("red", list(marks)))

    def marks(self, level: str | None = None) -> list[tuple[str, str]]:
        return [(m.owner_id, m.name) for lv, ms in self.calls for m in ms if level in (None, lv)]


@pytest.fixture
def told():
    record = Told()
    registry.register(KIND, on_yellow=record.yellow, on_red=record.red)
    yield record
    registry.unregister(KIND)


@pytest.fixture
def policy(db):
    """``policy(limit, unit=…, code=…, **fields)`` → a saved platform-wide policy."""

    def make(limit: int, unit: str = "working_days", code: str | None = None, **fields) -> ClockPolicy:
        return ClockPolicy.objects.create(
            code=code or f"p-{unit}-{limit}-{ClockPolicy.objects.count()}",
            name=fields.pop("name", "测试时限"),
            unit=unit,
            limit=limit,
            **fields,
        )

    return make
