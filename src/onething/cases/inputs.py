"""What staff and applicants may type into a case: the limits, in one place.

The lifecycle functions clean every value they are given with these helpers, so the API, the
pages and any other caller get the same limits and the same Chinese message naming the field
(``core.text``); the API schemas declare the same numbers so the OpenAPI document shows them.
Lengths never exceed the columns they are stored in (``cases.models``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from onething.core import text

#: reasons and remarks (预审意见, 不予受理理由, 补正说明, 延期理由, …)
REASON_MAX = 2000
#: longer texts: decision reasons, findings, post-check results, commitments
LONG_TEXT_MAX = 4000
#: a person's name (Commitment.signed_by_name, Application.applicant_name)
NAME_MAX = 100
#: Delivery.tracking_number
TRACKING_MAX = 60
#: Delivery.address, Inspection.location
ADDRESS_MAX = 300
#: catalog codes (material, item, bundle)
CODE_MAX = 64
#: material codes in one action (a plan has a few dozen materials at most)
CODES_MAX = 100
#: 补正: at most this many items, each one line; the notice lists them all
CORRECTION_ITEMS_MAX = 50
CORRECTION_ITEM_MAX = 200
#: the furthest ahead a 容缺 commitment or an inspection may be set (natural days)
AHEAD_MAX_DAYS = 366


def reason(value: Any, field: str = "reason", *, required: bool = False) -> str:
    return text.clean(value, field, max_length=REASON_MAX, multiline=True, required=required)


def long_text(value: Any, field: str, *, required: bool = False) -> str:
    return text.clean(value, field, max_length=LONG_TEXT_MAX, multiline=True, required=required)


def line(value: Any, field: str, max_length: int, *, required: bool = False) -> str:
    """A single-line value (name, tracking number, address)."""
    return text.clean(value, field, max_length=max_length, required=required)


def codes(values: Any, field: str) -> list[str]:
    """Material codes, each once, in the order given."""
    return list(dict.fromkeys(text.clean_list(values, field, max_items=CODES_MAX, max_length=CODE_MAX)))


def correction_items(values: Any) -> list[str]:
    return text.clean_list(values, "items", max_items=CORRECTION_ITEMS_MAX, max_length=CORRECTION_ITEM_MAX)


def ahead(value: Any, field: str, today: dt.date) -> dt.date:
    """A date no more than :data:`AHEAD_MAX_DAYS` after ``today`` (callers say how early)."""
    return text.date(value, field, latest=today + dt.timedelta(days=AHEAD_MAX_DAYS))
