"""API building blocks: authentication, the one error body, pagination, route scoping marks.

The NinjaAPI itself is assembled in config/api.py from each app's `api.router`, because the
shared kernel depends on no app of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DataError, models
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.module_loading import import_string
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PageNumberPagination
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyHeader, SessionAuth

from linli.core.errors import ApplicationError, ValidationFailed
from linli.core.middleware import current_request
from linli.core.scoping import scope_of

F = TypeVar("F", bound=Callable[..., Any])


class ErrorBody(Schema):
    code: str
    message: str
    detail: Any = None


ERROR_RESPONSES: dict[int, type[Schema]] = {
    401: ErrorBody,
    403: ErrorBody,
    404: ErrorBody,
    409: ErrorBody,
    422: ErrorBody,
}


ERROR_DESCRIPTIONS = {
    "401": "未登录或令牌无效",
    "403": "无权执行（只读账号或令牌、辖区以外）",
    "404": "不存在，或不在您的辖区内",
    "409": "与现有数据冲突，或已被他人修改",
    "422": "提交的数据不符合要求",
}


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _nul_refused() -> ValidationFailed:
    return ValidationFailed(
        "nul_character", "提交的数据含有空字符（U+0000），不能保存或查询，请删除后重试"
    )


class NulRefusingParser(Parser):
    """Bodies and query strings without NUL characters: PostgreSQL can neither store nor
    compare one, and SQLite would store it — the same 422 on both databases instead."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        # JSON can carry a NUL only as the escape \u0000: look further only when it is there
        if b"\\u0000" in request.body and _holds_nul(data):
            raise _nul_refused()
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        parsed = super().parse_querydict(data, list_fields, request)
        if _holds_nul(parsed):
            raise _nul_refused()
        return parsed


class LinliNinjaAPI(NinjaAPI):
    """NinjaAPI whose schema documents the one error body on every operation."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault(
            "ErrorBody",
            {
                "title": "ErrorBody",
                "type": "object",
                "properties": {
                    "code": {"type": "string", "title": "Code"},
                    "message": {"type": "string", "title": "Message (中文)"},
                    "detail": {"title": "Detail"},
                },
                "required": ["code", "message"],
            },
        )
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_DESCRIPTIONS.items():
                    responses.setdefault(status, {"description": description, "content": body})
        return schema


class BearerTokenAuth(APIKeyHeader):
    """`Authorization: Bearer <token>` for other systems; tokens are hashed at rest."""

    param_name = "Authorization"
    openapi_description = "管理员创建的 API 令牌：Authorization: Bearer <token>"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key or not key.startswith("Bearer "):
            return None
        # The kernel knows no app: the token store is named in settings (accounts provides it).
        token_lookup = import_string(settings.LINLI_API_TOKEN_AUTHENTICATOR)
        token = token_lookup(key.removeprefix("Bearer ").strip())
        if token is not None:
            context = current_request.get()
            if context is not None:
                context.user = token.created_by
        return token


class StaffSessionAuth(SessionAuth):
    """Browser session (with CSRF) for the platform's own pages."""


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON without \\u escapes: Chinese stays readable in logs and clients."""

    json_dumps_params = {"ensure_ascii": False}


MAX_PAGE = 10_000_000


class LinliPagination(PageNumberPagination):
    """Page-number pagination on every list: ?page=N&page_size=M (at most 500)."""

    class Input(PageNumberPagination.Input):
        # A page beyond this would put the offset past what the databases' 64-bit integers
        # hold (a 500 instead of a 422); no list has ten million pages.
        page: int = Field(1, ge=1, le=MAX_PAGE)


def patch_changes(payload: Schema, model: type[models.Model]) -> dict[str, Any]:
    """The fields a PATCH sets (`exclude_unset`), its JSON nulls checked against `model`: a
    null clears a text field that may be blank (""), and is refused with a Chinese 422 for a
    field that may not be empty — unchecked it reached the database as a NOT NULL error (500).
    Keys that are not the model's fields (`type_code`, `head_id`…) are the caller's to map."""
    data = payload.dict(exclude_unset=True)
    fields: dict[str, Any] = {}
    for concrete in model._meta.concrete_fields:
        fields[concrete.name] = fields[concrete.attname] = concrete
    refused: dict[str, str] = {}
    for key, value in data.items():
        field = fields.get(key)
        if value is not None or field is None or field.null:
            continue
        if isinstance(field, models.CharField | models.TextField) and field.blank:
            data[key] = ""
        else:
            refused[key] = str(field.verbose_name)
    if refused:
        raise ValidationFailed(
            "null_not_allowed",
            f"以下字段不能为空：{'、'.join(refused.values())}",
            {"fields": sorted(refused)},
        )
    return data


def write_allowed(request: HttpRequest) -> None:
    """Refuse writes to read-only principals (leaders, read tokens)."""
    if not scope_of(request.auth).can_write:  # type: ignore[attr-defined]
        raise ApplicationError("read_only", "当前账号或令牌为只读，不能修改数据", status=403)


def scoped_to(model: type) -> Callable[[F], F]:
    """Mark an API operation as reading/writing rows of `model` (for the scoping test)."""

    def mark(func: F) -> F:
        func.linli_scoped_model = model  # type: ignore[attr-defined]
        return func

    return mark


def not_region_data(reason: str) -> Callable[[F], F]:
    """Mark an operation that serves no region-scoped row (e.g. the caller's own profile)."""

    def mark(func: F) -> F:
        func.linli_unscoped_reason = reason  # type: ignore[attr-defined]
        return func

    return mark


def _error(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, detail: Any = None
):
    return api.create_response(
        request, {"code": code, "message": message, "detail": detail}, status=status
    )


def install_error_handlers(api: NinjaAPI) -> None:
    """Every failure answers {"code", "message", "detail"} with a Chinese message."""

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError):  # type: ignore[no-untyped-def]
        return api.create_response(request, exc.as_body(), status=exc.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError):  # type: ignore[no-untyped-def]
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors
        ]
        return _error(api, request, 422, "invalid_input", "提交的数据不符合要求", errors)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: Exception):  # type: ignore[no-untyped-def]
        return _error(api, request, 401, "unauthenticated", "请先登录或提供有效的 API 令牌")

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: Exception):  # type: ignore[no-untyped-def]
        return _error(api, request, 403, "forbidden", "没有权限执行此操作")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception):  # type: ignore[no-untyped-def]
        return _error(api, request, 404, "not_found", "未找到该记录，或您无权查看")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError):  # type: ignore[no-untyped-def]
        # django-ninja wraps whatever the body parser raised in "400 Cannot parse request body"
        cause = exc.__cause__
        if isinstance(cause, ApplicationError):  # NulRefusingParser's refusal
            return api.create_response(request, cause.as_body(), status=cause.status)
        if isinstance(cause, ValueError):  # json.JSONDecodeError, a body in another encoding
            return _error(api, request, 400, "invalid_json", "请求内容不是有效的 JSON（UTF-8）")
        messages = {
            401: ("unauthenticated", "请先登录或提供有效的 API 令牌"),
            403: ("forbidden", "没有权限执行此操作"),
            404: ("not_found", "未找到该记录，或您无权查看"),
            405: ("method_not_allowed", "不支持该请求方法"),
            409: ("conflict", "数据已被他人修改，请刷新后重试"),
        }
        code, message = messages.get(exc.status_code, ("error", "请求无法处理"))
        return _error(api, request, exc.status_code, code, message, str(exc) or None)

    @api.exception_handler(MultiPartParserError)
    def malformed_upload(request: HttpRequest, exc: Exception):  # type: ignore[no-untyped-def]
        # e.g. "Content-Type: multipart/form-data" without a boundary: the client's mistake
        return _error(
            api, request, 400, "malformed_upload", "上传的数据格式不正确，请重新选择文件上传"
        )

    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def unstorable_value(request: HttpRequest, exc: Exception):  # type: ignore[no-untyped-def]
        # The database refuses a value it cannot hold or compare — a NUL character in a filter
        # or a text (PostgreSQL), an integer past 64 bits (SQLite's driver) — before anything
        # is written: the input's fault, a 422. Logged all the same, in case a value of ours is
        # the one refused.
        import logging

        logging.getLogger("linli.api").warning("value refused by the database: %s", exc)
        message = "提交的数据含有无法保存或查询的内容（如空字符或超出范围的数值），请检查后重试"
        return _error(api, request, 422, "invalid_value", message)

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception):  # type: ignore[no-untyped-def]
        import logging

        logging.getLogger("linli.api").exception("unhandled API error")
        return _error(api, request, 500, "server_error", "服务器内部错误，请稍后重试")
