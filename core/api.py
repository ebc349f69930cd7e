from django.http import Http404
from rest_framework import pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError

API_PAGE_SIZE_MAX = 100


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DRF's limit/offset pages with a ceiling: `limit` above 100 gives 100 rows, and an `offset`
    past the end (even one beyond PostgreSQL's bigint, which the database would refuse) gives an
    empty page instead of a server error. A `limit` or `offset` that is not a number falls back to the
    defaults, as DRF does."""

    max_limit = API_PAGE_SIZE_MAX

    def get_limit(self, request):
        number = _whole_number(request.query_params.get(self.limit_query_param, ""))
        return min(number, self.max_limit) if number else self.default_limit

    def get_offset(self, request):
        number = _whole_number(request.query_params.get(self.offset_query_param, ""))
        return min(number, self.count) if number else 0


def _whole_number(text: str) -> int | None:
    """The number a query parameter spells, any length (a 10,000-digit one counts as very large;
    Python refuses to parse more than 4300 digits), or None."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 20 else 10**20


def exception_handler(exc, context):
    """Domain errors become JSON with their stable code and Chinese message."""
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        return Response({"code": "not_found", "detail": "未找到。"}, status=status.HTTP_404_NOT_FOUND)
    return drf_exception_handler(exc, context)
