"""Domain errors: raised by services, turned into `{"code", "detail"}` by the API's handler."""

from typing import Any


class DomainError(Exception):
    """A refusal a person can act on. `code` is stable and machine-readable."""

    status_code = 400
    code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, status_code: int | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Forbidden(DomainError):
    status_code = 403
    code = "permission_denied"
