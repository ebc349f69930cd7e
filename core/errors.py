"""Domain errors: a stable code for programs, a Chinese message for people.

Services raise them; `core.api.exception_handler` and the views' form handling turn them into
HTTP responses and form errors, so no caller has to know a service's internals."""


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field

    def __str__(self):
        return self.message


class NotAllowed(DomainError):
    code = "not_allowed"
    status = 403


class Conflict(DomainError):
    """The object changed under the user (a double submit, a stale form, a race)."""

    code = "conflict"
    status = 409
