"""Masking of personal numbers (公民身份号码, phone numbers) for people who do not own them.

Anything that shows a person's ID number to someone else goes through :func:`id_for_viewer`;
the log filter masks any 18-character ID number that slips into a log line.
"""

from __future__ import annotations

import logging
import re

from onething.kernel.codes import mask_id_number, mask_phone

ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])([1-8][0-9]{16}[0-9Xx])(?![0-9A-Za-z])")


def mask_text(text: str) -> str:
    """Mask every ID-number-shaped run of characters in ``text``."""
    return ID_NUMBER_IN_TEXT.sub(lambda m: mask_id_number(m.group(1)), text)


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
    """Logging filter: rewrites the formatted message with ID numbers masked."""

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
