"""Start, pause, resume, extend and stop clocks; policies and office hours per region.

The owning app calls these inside its own transaction, *after* locking its owner row: each
function locks the clock row itself (``SELECT … FOR UPDATE``), so the lock order is always
owner, then clock — the order the scan never inverts (it takes clock rows with ``SKIP
LOCKED`` and tells the owners only after it committed, see ``clocks.scan``).

Semantics for working days are those of ``cases/deadlines.py``: the start day does not count,
a pause gives back the working days in (pause day, resume day], extensions add days, and
``due = add_workdays(start, limit + paused + extension)``. The level a transition leaves is
stored at once (``classify`` at the transition's moment); when it rises, the owner kind's
callback is told after the commit, exactly as if the scan had marked it — so each rise is
told once, whoever noticed it.

A calendar year that is not loaded raises :class:`CalendarMissing` (no HTTP status: the
API layer maps ``code = "calendar_not_loaded"`` to a 409, as cases does today).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from onething.calendar.service import get_calendar
from onething.clocks import registry
from onething.clocks.models import Clock, ClockPolicy, Level, OfficeHours
from onething.core.rows import insert_rows
from onething.directory.models import Region
from onething.kernel import workhours
from onething.kernel.errors import Conflict
from onething.kernel.workdays import WorkdayCalendar, YearNotLoaded

Owner = models.Model | tuple[str, Any]
RegionRef = Region | str | None
RANK = {Level.NONE: 0, Level.YELLOW: 1, Level.RED: 2}
WORKING_UNITS = frozenset({workhours.WORKING_DAYS, workhours.WORKING_HOURS})


class CalendarMissing(Conflict):
    """The official calendar of a year a clock (or any working-day arithmetic) reaches into has
    not been loaded: a domain conflict (the API answers 409), never a guess."""

    def __init__(self, exc: YearNotLoaded):
        self.year = exc.year
        super().__init__(
            f"{exc.year}年的工作日历尚未载入，无法计算办理期限，请联系系统管理员", code="calendar_not_loaded"
        )


class NoSuchClock(LookupError):
    code = "not_found"
    field = None

    def __init__(self, kind: str, owner_id: str, name: str):
        self.message = f"未找到计时“{name}”（{kind} {owner_id}）"
        super().__init__(self.message)


class NoSuchPolicy(LookupError):
    code = "not_found"
    field = "policy"

    def __init__(self, code: str, region: str | None):
        where = f"区划 {region}" if region else "全平台"
        self.message = f"未找到适用于{where}的时限策略“{code}”"
        super().__init__(self.message)


class Start(NamedTuple):
    """One clock to start with :func:`start_many`."""

    owner: Owner
    name: str
    policy: ClockPolicy | str
    region: RegionRef = None
    limit: int | None = None  # the owner's own limit (an item's promised days), else the policy's


# ------------------------------------------------------------------------------ lookups


def owner_key(owner: Owner) -> tuple[str, str]:
    """(kind, id) of an owner: a model instance (kind = ``app_label.model``) or a pair."""
    if isinstance(owner, tuple):
        kind, owner_id = owner
    else:
        kind, owner_id = owner._meta.label_lower, owner.pk
    if owner_id is None or owner_id == "":
        raise ValueError("对象尚未保存，无法计时")
    return kind, str(owner_id)


def _region_code(region: RegionRef) -> str | None:
    if region is None or region == "":
        return None
    return region.pk if isinstance(region, Region) else str(region)


def _region_chain(region: RegionRef) -> list[str]:
    """The region and its ancestors, most specific first."""
    if region is None or region == "":
        return []
    if isinstance(region, Region):
        path = region.path
    else:
        path = Region.objects.filter(code=region).values_list("path", flat=True).first() or str(region)
    return list(reversed(path.split("/")))


def _most_specific(rows: Iterable, chain: list[str]):
    rank = {code: n for n, code in enumerate(chain)}
    best, best_rank = None, None
    for row in rows:
        r = len(chain) if row.region_id is None else rank.get(row.region_id)
        if r is not None and (best_rank is None or r < best_rank):
            best, best_rank = row, r
    return best


def policy_for(code: str, region: RegionRef = None) -> ClockPolicy:
    """The active policy ``code`` for ``region``: its own, else the nearest ancestor's, else the
    platform-wide one."""
    chain = _region_chain(region)
    rows = ClockPolicy.objects.filter(code=code, active=True).filter(
        Q(region__isnull=True) | Q(region__in=chain)
    )
    policy = _most_specific(rows, chain)
    if policy is None:
        raise NoSuchPolicy(code, _region_code(region))
    return policy


def office_hours_for(region: RegionRef = None) -> workhours.OfficeHours:
    """The region's office hours, else the nearest ancestor's, the platform default row, or
    09:00–12:00 and 13:30–17:30."""
    chain = _region_chain(region)
    rows = OfficeHours.objects.filter(Q(region__isnull=True) | Q(region__in=chain))
    found = _most_specific(rows, chain)
    return found.office_hours() if found is not None else workhours.DEFAULT_OFFICE_HOURS


def get(owner: Owner, name: str) -> Clock | None:
    kind, owner_id = owner_key(owner)
    return Clock.objects.filter(owner_kind=kind, owner_id=owner_id, name=name).first()


def clocks_of(owner: Owner) -> list[Clock]:
    kind, owner_id = owner_key(owner)
    return list(Clock.objects.filter(owner_kind=kind, owner_id=owner_id).order_by("id"))


def clocks_of_many(kind: str, owner_ids) -> dict[str, list[Clock]]:
    """The clocks of many owners of one kind in one read (a scan callback's batch), by owner id."""
    found: dict[str, list[Clock]] = {}
    ids = [str(i) for i in owner_ids]
    for clock in Clock.objects.filter(owner_kind=kind, owner_id__in=ids).order_by("id"):
        found.setdefault(clock.owner_id, []).append(clock)
    return found


def classify(clock: Clock, now: dt.datetime) -> str:
    """The level a clock deserves at ``now``; a paused or stopped clock keeps its last one."""
    if not clock.running:
        return clock.warning
    return workhours.classify(clock.due_at, clock.yellow_at, now)


# ------------------------------------------------------------------------- computation


class _Context:
    """Calendar and office hours, read at most once per call and only when a unit needs them."""

    def __init__(self, calendar: WorkdayCalendar | None = None):
        self._calendar = calendar
        self._hours: dict[str | None, workhours.OfficeHours] = {}
        self.tz = timezone.get_default_timezone()

    def calendar(self, unit: str) -> WorkdayCalendar | None:
        if unit not in WORKING_UNITS:
            return None
        if self._calendar is None:
            self._calendar = get_calendar()
        return self._calendar

    def hours(self, unit: str, region_id: str | None) -> workhours.OfficeHours:
        if unit != workhours.WORKING_HOURS:
            return workhours.DEFAULT_OFFICE_HOURS
        if region_id not in self._hours:
            self._hours[region_id] = office_hours_for(region_id)
        return self._hours[region_id]


def _recompute(clock: Clock, context: _Context) -> None:
    """Due and yellow moments from the snapshot, start, time paused and extensions."""
    try:
        clock.due_at, clock.yellow_at = workhours.schedule(
            clock.unit,
            clock.started_at,
            clock.limit,
            context.calendar(clock.unit),
            context.hours(clock.unit, clock.region_id),
            paused=clock.paused,
            extension=clock.extension,
            rule=clock.rule,
            lead=clock.lead,
            tz=context.tz,
        )
    except YearNotLoaded as exc:
        raise CalendarMissing(exc) from exc


def _new_clock(
    kind: str,
    owner_id: str,
    name: str,
    policy: ClockPolicy,
    at: dt.datetime,
    region_id,
    limit: int | None = None,
) -> Clock:
    return Clock(
        owner_kind=kind,
        owner_id=owner_id,
        name=name,
        policy=policy,
        policy_version=policy.version,
        region_id=region_id,
        unit=policy.unit,
        limit=policy.limit if limit is None else limit,
        rule=policy.rule,
        lead=policy.lead,
        yellow_audience=policy.yellow_audience,
        red_audience=policy.red_audience,
        started_at=at,
        paused_at=None,
        paused=0,
        extension=0,
        running=True,
        warning=Level.NONE,
        warned_at=None,
        stopped_at=None,
    )


def _mark(clock: Clock, level: str) -> registry.Mark:
    text = clock.red_audience if level == Level.RED else clock.yellow_audience
    return registry.Mark(
        clock.owner_kind, clock.owner_id, clock.name, level, clock.due_at, registry.audience(text)
    )


def _set_level(clock: Clock, level: str, at: dt.datetime, told: list[registry.Mark]) -> None:
    """Store the level; a rise is told (once, after the commit), a fall is silent."""
    previous = clock.warning
    clock.warning = level
    if RANK[level] > RANK[previous]:
        clock.warned_at = at
        told.append(_mark(clock, level))


def _tell_after_commit(marks: list[registry.Mark]) -> None:
    if marks:
        transaction.on_commit(lambda: registry.tell(marks))


def _locked(kind: str, owner_id: str, name: str) -> Clock | None:
    return Clock.objects.select_for_update().filter(owner_kind=kind, owner_id=owner_id, name=name).first()


def _policy(policy: ClockPolicy | str, region: RegionRef, cache: dict | None = None) -> ClockPolicy:
    if isinstance(policy, ClockPolicy):
        return policy
    key = (policy, _region_code(region))
    if cache is not None and key in cache:
        return cache[key]
    found = policy_for(policy, region)
    if cache is not None:
        cache[key] = found
    return found


# ------------------------------------------------------------------------- transitions

_STATE_FIELDS = ["paused_at", "paused", "extension", "due_at", "yellow_at", "running", "warning", "warned_at"]


def start(
    owner: Owner,
    name: str,
    policy: ClockPolicy | str,
    at: dt.datetime,
    region: RegionRef = None,
    *,
    limit: int | None = None,
    calendar: WorkdayCalendar | None = None,
) -> Clock:
    """Start the clock ``name`` of ``owner`` at ``at`` under ``policy`` (an instance, or a
    code resolved for ``region``). ``region`` also chooses the office hours. ``limit``: the
    owner's own limit in the policy's unit (a case's promised working days), when the policy
    gives the unit and the warning rule but each owner its limit.

    Starting a clock that exists restarts it: a new snapshot of the policy, nothing paused or
    extended, no warning yet.
    """
    kind, owner_id = owner_key(owner)
    registry.require(kind)
    resolved = _policy(policy, region)
    clock = _new_clock(kind, owner_id, name, resolved, at, _region_code(region), limit)
    _recompute(clock, _Context(calendar))
    told: list[registry.Mark] = []
    _set_level(clock, classify(clock, at), at, told)
    with transaction.atomic():
        existing = _locked(kind, owner_id, name)
        if existing is not None:
            clock.pk = existing.pk
            clock.save(force_update=True)
        else:
            clock.save(force_insert=True)
        _tell_after_commit(told)
    return clock


def start_many(
    starts: Iterable[Start], at: dt.datetime, *, calendar: WorkdayCalendar | None = None
) -> list[Clock]:
    """Start many new clocks at ``at`` with one INSERT (intake's hot path).

    Each must be new (the unique owner/name constraint refuses a second one); policies given
    by code are resolved once per (code, region).
    """
    context = _Context(calendar)
    policies: dict = {}
    clocks: list[Clock] = []
    told: list[registry.Mark] = []
    for item in starts:
        kind, owner_id = owner_key(item.owner)
        registry.require(kind)
        resolved = _policy(item.policy, item.region, policies)
        clock = _new_clock(kind, owner_id, item.name, resolved, at, _region_code(item.region), item.limit)
        _recompute(clock, context)
        _set_level(clock, classify(clock, at), at, told)
        clocks.append(clock)
    if clocks:
        with transaction.atomic():
            insert_rows(clocks)
            _tell_after_commit(told)
    return clocks


def pause(owner: Owner, name: str, at: dt.datetime) -> Clock | None:
    """Stop the clock (补正, special procedures). A missing, paused or stopped clock is left
    as it is, as ``cases.deadlines.pause`` does."""
    kind, owner_id = owner_key(owner)
    with transaction.atomic():
        clock = _locked(kind, owner_id, name)
        if clock is None or not clock.running:
            return clock
        clock.paused_at = at
        clock.running = False
        clock.save(update_fields=["paused_at", "running"])
    return clock


def resume(owner: Owner, name: str, at: dt.datetime, *, calendar: WorkdayCalendar | None = None) -> int:
    """Restart a paused clock; the due moment moves by the time paused, which is returned in
    steps (working/natural days, or minutes for hour units). Not paused: 0."""
    kind, owner_id = owner_key(owner)
    with transaction.atomic():
        clock = _locked(kind, owner_id, name)
        if clock is None or clock.paused_at is None:
            return 0
        context = _Context(calendar)
        try:
            steps = workhours.steps_between(
                clock.unit,
                clock.paused_at,
                at,
                context.calendar(clock.unit),
                context.hours(clock.unit, clock.region_id),
                context.tz,
            )
        except YearNotLoaded as exc:
            raise CalendarMissing(exc) from exc
        clock.paused += steps
        clock.paused_at = None
        clock.running = True
        _recompute(clock, context)
        told: list[registry.Mark] = []
        _set_level(clock, classify(clock, at), at, told)
        clock.save(update_fields=_STATE_FIELDS)
        _tell_after_commit(told)
    return steps


def extend(
    owner: Owner, name: str, amount: int, at: dt.datetime, *, calendar: WorkdayCalendar | None = None
) -> Clock:
    """Add ``amount`` units (days, or hours for hour units) to the limit (延期)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ValueError("延长量必须为正整数")
    kind, owner_id = owner_key(owner)
    with transaction.atomic():
        clock = _locked(kind, owner_id, name)
        if clock is None:
            raise NoSuchClock(kind, owner_id, name)
        clock.extension += amount * clock.steps_per_unit
        _recompute(clock, _Context(calendar))
        told: list[registry.Mark] = []
        if clock.running:
            _set_level(clock, classify(clock, at), at, told)
        clock.save(update_fields=_STATE_FIELDS)
        _tell_after_commit(told)
    return clock


def add_paused(
    owner: Owner, name: str, amount: int, at: dt.datetime, *, calendar: WorkdayCalendar | None = None
) -> Clock | None:
    """Time that did not count for a part (a sub-case's special procedure) does not count on
    this clock either: ``amount`` units are added to its paused time, as if it had paused."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError("暂停量必须为非负整数")
    kind, owner_id = owner_key(owner)
    with transaction.atomic():
        clock = _locked(kind, owner_id, name)
        if clock is None or not amount:
            return clock
        clock.paused += amount * clock.steps_per_unit
        _recompute(clock, _Context(calendar))
        told: list[registry.Mark] = []
        if clock.running:
            _set_level(clock, classify(clock, at), at, told)
        clock.save(update_fields=_STATE_FIELDS)
        _tell_after_commit(told)
    return clock


def stop(owner: Owner, name: str, at: dt.datetime) -> Clock | None:
    """The matter is done: the clock stops for good; its last warning stays as history."""
    kind, owner_id = owner_key(owner)
    with transaction.atomic():
        clock = _locked(kind, owner_id, name)
        if clock is None or clock.stopped_at is not None:
            return clock
        clock.running = False
        clock.paused_at = None
        clock.stopped_at = at
        clock.save(update_fields=["running", "paused_at", "stopped_at"])
    return clock


def adopt(owner: Owner, name: str, source: Clock, at: dt.datetime) -> Clock:
    """Give ``owner`` a running clock ``name`` that is a copy of ``source`` — the same policy
        snapshot, start, time paused and extensions, hence the same due moment (a merged 12345
        ticket is due when its earliest member is). An existing clock of that name is replaced;
        the copy runs even when ``source`` is paused (the merged ticket is being worked), from
    the due moment ``source`` has now; its level is that at ``at`` (a rise is told after the
    commit)."""
    kind, owner_id = owner_key(owner)
    registry.require(kind)
    clock = Clock(
        owner_kind=kind,
        owner_id=owner_id,
        name=name,
        policy_id=source.policy_id,
        policy_version=source.policy_version,
        region_id=source.region_id,
        unit=source.unit,
        limit=source.limit,
        rule=source.rule,
        lead=source.lead,
        yellow_audience=source.yellow_audience,
        red_audience=source.red_audience,
        started_at=source.started_at,
        paused_at=None,
        paused=source.paused,
        extension=source.extension,
        due_at=source.due_at,
        yellow_at=source.yellow_at,
        running=True,
        warning=Level.NONE,
    )
    told: list[registry.Mark] = []
    _set_level(clock, classify(clock, at), at, told)
    with transaction.atomic():
        existing = _locked(kind, owner_id, name)
        if existing is not None:
            clock.pk = existing.pk
            clock.save(force_update=True)
        else:
            clock.save(force_insert=True)
        _tell_after_commit(told)
    return clock
