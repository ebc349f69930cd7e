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


ERROR_SCHEMA = {
    "type": "object",
    "description": "错误：`code` 为稳定的错误代码，`detail` 为中文说明；字段校验错误按字段名列出说明。",
    "properties": {"code": {"type": "string"}, "detail": {}, "field": {}},
    "additionalProperties": True,
}
ERROR_RESPONSES = {
    "400": "请求有误（参数、内容或版本号不合规定），附中文说明。",
    "401": "未登录或用户名、密码不正确。",
    "403": "无权进行此操作。",
    "404": "不存在，或不属于您可见的范围。",
    "409": "状态已变化（已被他人修改、重复提交或当前状态不允许），请刷新后重试。",
}


def schema_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the errors the API answers
    (core.api.exception_handler, DRF's authentication and validation), in one shape, so the schema
    matches the answers (tests/test_api_schema.py runs schemathesis against it)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for _path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            # 404 everywhere: an object, and a whole list, that is not the user's does not exist for them
            codes = ["400", "401", "403", "404"]
            if method.lower() in ("post", "put", "patch", "delete"):
                codes.append("409")
            for code in codes:
                operation["responses"].setdefault(code, {"description": ERROR_RESPONSES[code], "content": content})
    return result
