"""Masking of personal numbers (公民身份号码, mobile phone and bank card numbers) for people who
do not own them.

- A structured field shows a person's number through :func:`id_for_viewer` /
  :func:`phone_for_viewer`.
- Free text (reasons, findings, correction items, notices, notifications, log lines) goes
  through :func:`mask_text`, the one entry point for text; :func:`text_for` applies it to
  everyone but the owner. The patterns live in the kernel
  (``kernel.codes.mask_personal_numbers_in_text``), which the layers below this app (error
  bodies, notifications) call directly.
"""

from __future__ import annotations

import logging

from onething.kernel.codes import (
    mask_id_number,
    mask_personal_numbers_in,
    mask_personal_numbers_in_text,
    mask_phone,
)


def mask_text(text: str) -> str:
    """``text`` with every personal number in it masked (platform numbers, USCCs, dates and
    amounts left as they are)."""
    return mask_personal_numbers_in_text(text)


def mask_values(value):
    """``value`` with :func:`mask_text` applied to every string in it (lists and dicts too)."""
    return mask_personal_numbers_in(value)


def text_for(text: str, *, owner: bool) -> str:
    """Free text as a viewer sees it: in full for the owner of the case, masked for anyone else."""
    return text if owner else mask_text(text)


def id_for_viewer(value: str, viewer, owner) -> str:
    """The ID number as ``viewer`` may see it: in full for its owner, masked for anyone else."""
    if viewer is not None and owner is not None and getattr(viewer, "pk", None) == getattr(owner, "pk", None):
        return value
    return mask_id_number(value)


def phone_for_viewer(value: str, viewer, owner) -> str:
    if viewer is not None and owner is not None and getattr(viewer, "pk", None) == getattr(owner, "pk", None):
        return value
    return mask_phone(value)


class MaskPersonalNumbersFilter(logging.Filter):
    """Logging filter: rewrites the formatted message with personal numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        return True
