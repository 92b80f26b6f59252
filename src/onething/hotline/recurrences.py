"""重复诉求: complaints (投诉, 办不成事) about one item, department or hall, counted over a
rolling window (``rules.RECURRENCE_DAYS``); past the threshold they become a report and a task
for the owner (machine ``hotline.recurrence``), as recurring 差评 become a catalog defect.

Placeholder: implemented in this module (``check`` is called by intake, in its transaction).
"""

from __future__ import annotations


def check(ticket, now) -> None:
    return None
