"""The one error shape of the public API: ``{"error": {"code", "message", "field"}}``.

Handlers raise :class:`ApiError` (or let a validation error surface); the API root turns
either into a 4xx JSON response with a Chinese message. Every operation declares the error
statuses it can return with :func:`responses`, so the OpenAPI document tells the truth and
schemathesis can hold us to it.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema

from onething.kernel import errors as domain
from onething.kernel.codes import mask_personal_numbers_in


def mask_personal_numbers(value: Any) -> Any:
    """``value`` with every personal number (公民身份号码, mobile phone, bank card) in its strings
    masked, recursively through lists and dicts.

    Error bodies often quote what the client sent (a code from the path, a field value); the
    client may be a clerk typing someone else's number, and error bodies end up in logs and
    screenshots. So no error body ever carries a personal number in full. (This layer sits
    below ``accounts``: it calls the kernel's masking that ``accounts.masking`` wraps.)
    """
    return mask_personal_numbers_in(value)


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorBody


class ApiError(Exception):
    """An error the client caused or must know about; becomes a 4xx JSON response."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, **extra: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body; personal numbers anywhere in it are masked (see :func:`mask_personal_numbers`)."""
        error: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        error.update(self.extra)
        return {"error": mask_personal_numbers(error)}


#: the HTTP status of each kind of domain error (most specific first)
STATUS: tuple[tuple[type[domain.DomainError], int], ...] = (
    (domain.TooLarge, 413),
    (domain.Unsupported, 415),
    (domain.Invalid, 400),
    (domain.NotPermitted, 403),
    (domain.NotFound, 404),
    (domain.Conflict, 409),
    (domain.TooMany, 429),
)

#: what an action may be refused with: a domain error, or an error the API layer raised itself
Refused = (ApiError, domain.DomainError)


def status_of(exc: Exception) -> int:
    """The HTTP status of a refusal (:data:`Refused`)."""
    if isinstance(exc, ApiError):
        return exc.status
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def from_domain(exc: domain.DomainError) -> ApiError:
    """The API's rendering of a domain error: its status from :data:`STATUS`."""
    return ApiError(status_of(exc), exc.code, exc.message, exc.field, **exc.extra)


def not_found(what: str, field: str | None = None) -> ApiError:
    return ApiError(404, "not_found", f"未找到{what}", field)


def forbidden(message: str = "无权访问该对象") -> ApiError:
    return ApiError(403, "forbidden", message)


def invalid(field: str | None, message: str, code: str = "invalid") -> ApiError:
    return ApiError(400, code, message, field)


#: statuses every operation can return: validation of its parameters and body
COMMON_ERRORS = (400, 422)


def responses(ok: Any, *errors: int, status: int = 200) -> dict[int, Any]:
    """Response declaration for an operation: the success schema plus the error statuses."""
    out: dict[int, Any] = {status: ok}
    for code in (*COMMON_ERRORS, *errors):
        out[code] = ErrorOut
    return out
