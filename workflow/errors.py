"""The one mapping from domain errors (`core.errors`) to what a person or a program sees.

Decided once, for pages and the API alike:

| what happened | page | API (`core.api.exception_handler`) |
|---|---|---|
| the object is not the user's to see (selectors' `get_…_or_404`) | 404 | 404 |
| the user sees it but their role may not do this (`NotAllowed`) | 403, the error page says why | 403 `{code, detail}` |
| the input is wrong (`DomainError`) | the form again, message on its field, nothing typed lost: 400 | 400 `{code, detail, field}` |
| the object moved under the user (`Conflict`: stale form, double submit, refused transition) | as above with 409; a button without a form goes back to the page it came from with the message (302), or, with no page to go back to, an error page with 409 | 409 `{code, detail}` |

Views catch `DomainError` only where they have a form to draw again (`form_error`); everything else
a service raises reaches `DomainErrorMiddleware`, which applies the table. The status of each class
is its `status` attribute, so the API and the pages cannot disagree."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import DomainError, NotAllowed
from core.handlers import error_page


def form_error(form, exc: DomainError) -> int:
    """Put the service's message on the form (on its field when the form has it); returns the HTTP
    status to answer with. A `NotAllowed` is re-raised: it is not the input's fault."""
    if isinstance(exc, NotAllowed):
        raise exc
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return exc.status


def back_url(request) -> str:
    """The page the request came from, if it is this site's; else ""."""
    back = request.META.get("HTTP_REFERER", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return ""


def error_response(request, exc: DomainError):
    """The page answer for a domain error no view handled (see the table above)."""
    if isinstance(exc, NotAllowed):
        return error_page(request, 403, "没有权限", exc.message)
    back = back_url(request) if request.method == "POST" else ""
    if back:
        messages.error(request, exc.message)
        return redirect(back)
    return error_page(request, exc.status, "无法办理", exc.message)


class DomainErrorMiddleware:
    """Applies `error_response` to a `DomainError` that escapes a page view (the API maps its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if isinstance(exc, DomainError) and not request.path.startswith("/api/"):
            return error_response(request, exc)
        return None
