"""Lets reads that are not handed a user answer within the signed-in person's mechanism
(members.selectors.mechanism_current; docs/decisions.md, "mechanism scope")."""

from .selectors import _request


class MechanismMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The request, not its user: DRF authenticates later (basic auth) and sets request.user then;
        # and request.user stays lazy until a selector asks for the mechanism.
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
