"""事项缺陷: recurring 差评 about one item for one reason open a task for the item's department
to fix the catalog (guide, materials, limit); its effect is tracked as the item's 差评率
before and after the fix."""

from __future__ import annotations

import datetime as dt

from onething.ratings.models import Rating


def note_bad(rating: Rating, now: dt.datetime) -> None:
    """Called for each new 差评 in its transaction: open a defect when the item's 差评 for the
    same reason within the region's rolling window reach the threshold (filled in below)."""
