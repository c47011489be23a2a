"""One error type for the whole platform, rendered the same way by the API and the pages."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A business error with a stable code, a Chinese message for people, and details.

    `status` is the HTTP status the API answers with (409 for conflicts, 422 for invalid
    input, 403 for refusals, 404 for what the caller may not see).
    """

    status = 400

    def __init__(
        self, code: str, message: str, detail: Any = None, *, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        if status is not None:
            self.status = status

    def as_body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class ValidationFailed(ApplicationError):
    status = 422


class Conflict(ApplicationError):
    status = 409


class Forbidden(ApplicationError):
    status = 403


class NotFound(ApplicationError):
    status = 404
