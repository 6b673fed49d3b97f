"""Typed API errors, built from the `Status` body the API server returns with every failure."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldCause:
    field: str
    reason: str
    message: str


class ApiError(Exception):
    """A request the API server answered with a failure (or, with status 0, one that never got an answer)."""

    status: int = 0
    default_reason: str = ""

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        reason: str | None = None,
        causes: list[FieldCause] | None = None,
        retry_after: float | None = None,
    ) -> None:
        if status is not None:
            self.status = status
        self.reason = reason if reason is not None else self.default_reason
        self.message = message
        self.causes: list[FieldCause] = causes or []
        self.retry_after = retry_after
        super().__init__(message)

    def __str__(self) -> str:
        # The API server's message already lists the field causes.
        return f"{self.status} {self.reason}: {self.message}" if self.reason else f"{self.status}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, reason={self.reason!r}, message={self.message!r})"


class BadRequest(ApiError):
    status = 400
    default_reason = "BadRequest"


class Unauthorized(ApiError):
    status = 401
    default_reason = "Unauthorized"


class Forbidden(ApiError):
    status = 403
    default_reason = "Forbidden"


class NotFound(ApiError):
    status = 404
    default_reason = "NotFound"


class MethodNotAllowed(ApiError):
    status = 405
    default_reason = "MethodNotAllowed"


class Conflict(ApiError):
    """409 Conflict: typically a stale resourceVersion on update, or a server-side apply field conflict."""

    status = 409
    default_reason = "Conflict"


class AlreadyExists(ApiError):
    status = 409
    default_reason = "AlreadyExists"


class Gone(ApiError):
    """410: the resourceVersion (or continue token) asked for is older than what the server still keeps."""

    status = 410
    default_reason = "Expired"


class UnsupportedMediaType(ApiError):
    status = 415
    default_reason = "UnsupportedMediaType"


class Invalid(ApiError):
    """422: the object failed validation; `causes` names each offending field."""

    status = 422
    default_reason = "Invalid"


class TooManyRequests(ApiError):
    status = 429
    default_reason = "TooManyRequests"


class ServerError(ApiError):
    status = 500
    default_reason = "InternalError"


class ApiConnectionError(ApiError):
    """The request got no HTTP answer (connection refused or reset, timeout). `status` is 0."""

    status = 0
    default_reason = "ConnectionError"


class NoKindMatch(LookupError):
    """The API server does not serve this group/version/kind (yet: a CRD may still be being installed)."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    410: Gone,
    415: UnsupportedMediaType,
    422: Invalid,
    429: TooManyRequests,
}


def error_class(status: int, reason: str) -> type[ApiError]:
    if status == 409:
        return AlreadyExists if reason == "AlreadyExists" else Conflict
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)


_UNTYPED_APPLY = "failed to create typed patch object"


def error_from_status(status: Mapping[str, Any], http_status: int | None = None) -> ApiError:
    """Build the typed error for a `Status` object (from an error response or a watch ERROR event)."""
    code = http_status if http_status is not None else int(status.get("code") or 0)
    reason = str(status.get("reason") or "")
    message = str(status.get("message") or "")
    details = status.get("details") or {}
    causes = [
        FieldCause(field=str(c.get("field", "")), reason=str(c.get("reason", "")), message=str(c.get("message", "")))
        for c in details.get("causes") or []
        if isinstance(c, Mapping)
    ]
    retry_after = details.get("retryAfterSeconds")
    if code >= 500 and message.startswith(_UNTYPED_APPLY):
        # The API server answers a server-side apply whose body does not fit the kind's schema (a field it does not
        # declare) with 500; it is the request's fault and fails the same way every time, so not worth a retry.
        code, reason = BadRequest.status, BadRequest.default_reason
    cls = error_class(code, reason)
    return cls(
        message,
        status=code,
        reason=reason or cls.default_reason,
        causes=causes,
        retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
    )


def error_from_response(http_status: int, body: bytes, retry_after_header: str | None = None) -> ApiError:
    """Build the typed error for a failed HTTP response; the body is a `Status` when the API server wrote it."""
    status: Mapping[str, Any] = {}
    try:
        decoded = json.loads(body) if body else {}
        if isinstance(decoded, dict) and decoded.get("kind") == "Status":
            status = decoded
    except ValueError:
        pass
    if not status:
        status = {"message": body[:500].decode("utf-8", "replace").strip()}
    error = error_from_status(status, http_status)
    if retry_after_header is not None:
        with contextlib.suppress(ValueError):
            error.retry_after = float(retry_after_header)
    return error
