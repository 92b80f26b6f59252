"""办件生命周期: the functions that move applications and their parts through their machines.

The machines themselves — states, events, roles, guards, labels — are declared in
:mod:`onething.cases.machines`; every function here fires their events through the workflow
engine (:mod:`onething.workflow.engine`), which alone sets a state field and writes the event's
audit record, in the function's one transaction. The modules, by concern:

- :mod:`.intake_decisions` — 预审, 受理, 容缺受理, 告知承诺受理, 不予受理;
- :mod:`.correction` — 补正, 补正后重新提交, 撤回;
- :mod:`.review` — 签收, 决定, 办结, 终止;
- :mod:`.special` — 特别程序;
- :mod:`.extensions` — 延期 requests and approvals;
- :mod:`.inspections` — 联合现场核查;
- :mod:`.post_checks` — 告知承诺事后核查;
- :mod:`.delivery` — 出件, 送达, 归档;
- :mod:`.supervision` — 督办;
- :mod:`.gaps` — 容缺 materials and missed commitments.

Time is always passed in (``now``; ``today`` defaults to ``now``'s local date): nothing here
reads the wall clock on its own when the caller gives a time, so tests control the calendar.
"""

from __future__ import annotations

from onething.cases.lifecycle.base import (
    CaseError,
    IllegalTransition,
    InvalidAction,
    NotPermitted,
    context,
    tell_clerks,
)
from onething.cases.lifecycle.correction import request_correction, resubmit, withdraw
from onething.cases.lifecycle.delivery import close, deliver, result_ready
from onething.cases.lifecycle.extensions import (
    MAX_EXTENSION_DAYS,
    approve_extension,
    extend,
    refuse_extension,
    request_extension,
)
from onething.cases.lifecycle.gaps import flag_missed_commitments, fulfil_gap
from onething.cases.lifecycle.inspections import record_inspection, schedule_inspection
from onething.cases.lifecycle.intake_decisions import (
    KEY_MATERIAL_KINDS,
    POST_CHECK_DAYS,
    accept,
    accept_on_commitment,
    accept_with_gaps,
    is_key_material,
    missing_materials,
    pre_review,
    reject,
)
from onething.cases.lifecycle.post_checks import record_post_check
from onething.cases.lifecycle.review import decide, start_review
from onething.cases.lifecycle.special import end_special_procedure, start_special_procedure
from onething.cases.lifecycle.supervision import supervise
from onething.cases.machines import APPLICATION, RUNNING, SUBCASE


def allowed_events(status: str, roles: set[str], subcase: bool = False) -> list[str]:
    """Events the holder of ``roles`` may fire in ``status`` (for showing buttons)."""
    return (SUBCASE if subcase else APPLICATION).allowed(status, roles)


__all__ = [
    "APPLICATION",
    "KEY_MATERIAL_KINDS",
    "MAX_EXTENSION_DAYS",
    "POST_CHECK_DAYS",
    "RUNNING",
    "SUBCASE",
    "CaseError",
    "IllegalTransition",
    "InvalidAction",
    "NotPermitted",
    "accept",
    "accept_on_commitment",
    "accept_with_gaps",
    "allowed_events",
    "approve_extension",
    "close",
    "context",
    "decide",
    "deliver",
    "end_special_procedure",
    "extend",
    "flag_missed_commitments",
    "fulfil_gap",
    "is_key_material",
    "missing_materials",
    "pre_review",
    "record_inspection",
    "record_post_check",
    "refuse_extension",
    "reject",
    "request_correction",
    "request_extension",
    "resubmit",
    "result_ready",
    "schedule_inspection",
    "start_review",
    "start_special_procedure",
    "supervise",
    "tell_clerks",
    "withdraw",
]
