"""Domain errors: what a rule refused, in Chinese, without any notion of HTTP.

Domain code (lifecycles, deadlines, intake, planning) raises these; the API layer maps each
kind to its status (``core.errors.STATUS``) and the pages show the message next to the field.
So the same refusal reads the same everywhere, and a domain module never decides how a
transport reports it.

- :class:`Invalid` — the input is wrong (a field's value, a missing reason);
- :class:`NotPermitted` — this person may not do this;
- :class:`NotFound` — no such object (or not one this person may see);
- :class:`Conflict` — the input is fine but the object's state or a rule refuses it now
  (an illegal transition, a calendar year not loaded, a catalog definition fault);
- :class:`TooMany` — a quota for the period is used up;
- :class:`TooLarge` and :class:`Unsupported` — an upload over a limit, or of a kind or
  structure the platform does not accept (kinds of :class:`Invalid`).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with a stable ``code``, a Chinese ``message`` and the ``field`` it concerns."""

    default_code = "invalid"

    def __init__(self, message: str, field: str | None = None, *, code: str | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.default_code
        self.extra = extra


class Invalid(DomainError):
    default_code = "invalid"


class NotPermitted(DomainError):
    default_code = "forbidden"

    def __init__(self, message: str = "您无权执行此操作", field: str | None = None, **kwargs: Any):
        super().__init__(message, field, **kwargs)


class NotFound(DomainError):
    default_code = "not_found"


class Conflict(DomainError):
    default_code = "conflict"


class TooMany(DomainError):
    """A limit of calls or attempts in a period is used up (a quota): try again later."""

    default_code = "too_many"


class TooLarge(Invalid):
    default_code = "too_large"


class Unsupported(Invalid):
    default_code = "invalid_file"
