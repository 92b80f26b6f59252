"""Which apps own clocks, and what they want done when one turns yellow or red.

An owning app registers its kind once (in its ``AppConfig.ready``)::

    from onething.clocks import registry

    registry.register("cases.subcase", on_yellow=tell_handlers, on_red=escalate)

Clocks stay ignorant of people: the callbacks receive the :class:`Mark` of every clock of
that kind that turned yellow (or red) at once — the scan may mark thousands — with the
policy's audience codes, and decide whom to tell and whom to escalate to. A callback is
called after the marking committed, never while a clock row is locked, so it may lock its
owner rows (the owner-before-clock lock order of transitions is never inverted).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

logger = logging.getLogger("onething.clocks")


@dataclass(frozen=True, slots=True)
class Mark:
    """A clock that has just turned ``level``."""

    owner_kind: str
    owner_id: str
    name: str
    level: str
    due_at: dt.datetime
    audience: tuple[str, ...]


Callback = Callable[[list[Mark]], Any]


@dataclass(frozen=True)
class Kind:
    kind: str
    on_yellow: Callback | None = None
    on_red: Callback | None = None


_KINDS: dict[str, Kind] = {}


def register(kind: str, *, on_yellow: Callback | None = None, on_red: Callback | None = None) -> Kind:
    """Register (or replace) an owner kind such as ``"cases.subcase"``."""
    if not kind or len(kind) > 50:
        raise ValueError(f"计时对象类型“{kind}”须为 1 至 50 个字符")
    _KINDS[kind] = Kind(kind, on_yellow, on_red)
    return _KINDS[kind]


def unregister(kind: str) -> None:
    _KINDS.pop(kind, None)


def get(kind: str) -> Kind | None:
    return _KINDS.get(kind)


def require(kind: str) -> Kind:
    """The registered kind; a clock for an unregistered kind would warn nobody."""
    found = _KINDS.get(kind)
    if found is None:
        raise LookupError(f"计时对象类型“{kind}”未登记：所属应用须先调用 clocks.registry.register")
    return found


@lru_cache(maxsize=1024)
def audience(text: str) -> tuple[str, ...]:
    """``"handler approvers，supervisors"`` → the codes (cached: a scan sees few distinct texts)."""
    return tuple(part for part in text.replace(",", " ").replace("，", " ").split() if part)


def tell(marks: Iterable[Mark]) -> int:
    """Call each kind's callback once per level with its marks; returns the calls made.

    One failing callback is logged and does not keep the other kinds from being told.
    """
    grouped: dict[tuple[str, str], list[Mark]] = {}
    for mark in marks:
        grouped.setdefault((mark.owner_kind, mark.level), []).append(mark)
    calls = 0
    for level in ("red", "yellow"):
        for (kind, mark_level), batch in grouped.items():
            if mark_level != level:
                continue
            registered = _KINDS.get(kind)
            callback = (
                None
                if registered is None
                else (registered.on_red if level == "red" else registered.on_yellow)
            )
            if callback is None:
                if registered is None:
                    logger.warning("计时对象类型 %s 未登记：%d 个%s计时无人告知", kind, len(batch), level)
                continue
            try:
                callback(batch)
                calls += 1
            except Exception:
                logger.exception("计时对象类型 %s 的%s回调失败（%d 个计时）", kind, level, len(batch))
    return calls
