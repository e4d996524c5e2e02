"""One error shape everywhere: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.http import Http404, HttpRequest, JsonResponse, RawPostDataException
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from hejie.core.errors import DomainError, RateLimited

logger = logging.getLogger("hejie.api")

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              409: "conflict", 410: "gone", 413: "too_large", 415: "unsupported_media", 422: "invalid",
              429: "rate_limited"}


def error_body(code: str, message: str, fields: dict | None = None, details: dict | None = None) -> dict:
    """``details``: what an error says beyond the three keys (a 410's ``removed_at`` and ``removal``)."""
    return {"error": {"code": code, "message": message, "fields": fields or {}, **(details or {})}}


def _field_name(loc) -> str:
    # drop the "body"/"query"/"path" prefix and the payload's parameter name
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "form", "file", "cookie"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in ("payload", "data", "filters", "params"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(err: dict) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return _("必填")
    if kind == "extra_forbidden":
        return _("不认识的字段")
    if kind == "value_error" and (ctx := err.get("ctx") or {}).get("error"):
        return str(ctx["error"])  # our validators' own message, without pydantic's "Value error, "
    return str(err.get("msg", "invalid"))


@csrf_exempt  # a POST to no operation is a 404, not the pages' CSRF refusal
def not_found_view(request: HttpRequest, rest: str = "") -> JsonResponse:
    """A path under /api/ that names no operation: the API's JSON 404, not the pages' HTML one."""
    return JsonResponse(error_body("not_found", _("没有这个接口"), details=None), status=404,
                        json_dumps_params={"ensure_ascii": False})


def install(api: NinjaAPI) -> None:
    def respond(request, status, code, message, fields=None, headers=None, details=None):
        response = api.create_response(request, error_body(code, message, fields, details), status=status)
        for key, value in (headers or {}).items():
            response[key] = value
        return response

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return respond(request, exc.status, exc.code, exc.message, exc.fields, headers, exc.details())

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        fields: dict[str, str] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(err.get("loc", ())), _message(err))
        return respond(request, 422, "invalid", _("输入有误，请检查标出的字段"), fields)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return respond(request, 401, "unauthorized",
                       _("请先登录，或令牌已失效"),
                       headers={"WWW-Authenticate": "Bearer"})

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        status = exc.status_code
        message = str(exc)
        if status == 400 and "parse" in message.lower():
            message = _("请求体不是有效的JSON")
        return respond(request, status, HTTP_CODES.get(status, "error"), message)

    @api.exception_handler(RawPostDataException)
    def body_already_parsed(request, exc):
        # a multipart form sent to an operation that takes JSON: the edge has parsed the form (to check it)
        return respond(request, 400, "bad_request", _("请求体不是有效的JSON"))

    @api.exception_handler(MultiPartParserError)
    def multipart_error(request, exc):
        return respond(request, 400, "bad_request", _("multipart 请求无法解析"))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404, "not_found", _("不存在"))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        return respond(request, 413, "too_large", _("请求过大"))

    @api.exception_handler(TooManyFilesSent)
    def too_many_files(request, exc):
        return respond(request, 413, "too_large", _("一次上传的文件过多"))

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return respond(request, 500, "server_error", _("服务器内部错误，已记录"))
