"""Input at the edge: what no view should ever see.

PostgreSQL's text cannot hold NUL (``\\x00``) and UTF-8 cannot hold a lone
surrogate (``"\\ud800"`` is valid JSON): either one, reaching a query or a
write, is a 500 from the database driver. Rather than trusting every view,
form and schema to refuse them, :class:`EdgeInputMiddleware` looks at what a
request carries before any view runs and refuses it at once:

- the path, the query string (names and values) and every header (cookies
  included): NUL or a lone surrogate is a 422 (API) or a 400 page;
- a form body (url-encoded or multipart: field names, values and the file
  names): the same; a multipart body without a boundary, or one that does not
  parse, is a 400; too many fields or files, or a body over Django's limits,
  a 413;
- a JSON body: not UTF-8 is a 400; every string in it, keys included, at any
  depth, is checked as above (a body that is not JSON is left to the view,
  which answers 400 in its own words).

Under ``/api/`` the answer is the API's JSON error (``{"error": {"code",
"message", "fields"}}``); elsewhere it is the ``400.html`` page (or 413).
The bounded path converter (``<id:...>``) is here too: an id beyond 64 bits
is a 404, not an overflow in the database driver.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from hejie.core.errors import BadRequest, DomainError, InvalidInput, MethodNotAllowed, TooLarge

API_PREFIX = "/api/"
MAX_ID = 2**63 - 1  # the largest value a 64-bit signed integer column holds (SQLite, PostgreSQL bigint)
MAX_JSON_DEPTH = 64


class BoundedIdConverter:
    """``<id:name>``: a positive decimal id that fits a 64-bit column; anything larger does not
    match the route (so it is a 404, never an OverflowError from the database driver)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("beyond 64 bits")
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


def unstorable(text: str) -> bool:
    """NUL, or a lone surrogate (text that cannot be written as UTF-8)."""
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def _printable(name: str) -> str:
    return name.encode("unicode_escape").decode("ascii") if unstorable(name) else name


def _refused(field: str) -> InvalidInput:
    message = _("含有无法保存的字符（空字符或无效的Unicode）")
    return InvalidInput(message, fields={_printable(field) or "body": message})


def _first_bad(pairs: Iterable[tuple[str, Iterable[str]]], prefix: str = "") -> InvalidInput | None:
    for name, values in pairs:
        if unstorable(name) or any(unstorable(v) for v in values):
            return _refused(prefix + name)
    return None


def _walk_json(document: Any) -> InvalidInput | None:
    """The first string in ``document`` (keys too) that cannot be stored, as an error naming its place."""
    stack: list[tuple[str, Any, int]] = [("", document, 0)]
    while stack:
        where, value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return None  # left to the view's schema, which refuses what it does not expect
        if isinstance(value, str):
            if unstorable(value):
                return _refused(where)
        elif isinstance(value, dict):
            for key, item in value.items():
                place = f"{where}.{key}" if where else str(key)
                if unstorable(str(key)):
                    return _refused(place)
                stack.append((place, item, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}" if where else str(i), item, depth + 1) for i, item in enumerate(value))
    return None


def _media_type(request: HttpRequest) -> str:
    return (request.content_type or "").lower()


def check(request: HttpRequest) -> DomainError | None:
    """What is wrong with ``request`` at the edge, or None."""
    if unstorable(request.path_info):
        return _refused("path")
    headers = [(k.removeprefix("HTTP_").replace("_", "-").title(), [v]) for k, v in request.META.items()
               if (k.startswith("HTTP_") or k in ("CONTENT_TYPE", "CONTENT_LENGTH")) and isinstance(v, str)]
    if (bad := _first_bad(headers)) is not None:
        return bad
    if (bad := _first_bad(request.GET.lists())) is not None:
        return bad
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    media = _media_type(request)
    try:
        if media == "multipart/form-data":
            if not (request.content_params or {}).get("boundary"):
                return BadRequest(_("multipart 请求缺少 boundary"))
            return _first_bad(request.POST.lists()) or _first_bad(
                (name, [f.name or "" for f in files]) for name, files in request.FILES.lists())
        if media == "application/x-www-form-urlencoded":
            return _first_bad(request.POST.lists())
        if media == "application/json" or media.endswith("+json"):
            body = request.body
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return BadRequest(_("请求体不是有效的UTF-8"))
            try:
                document = json.loads(text)
            except (ValueError, RecursionError):
                return None  # not JSON: the view answers 400 in its own words
            return _walk_json(document)
    except MultiPartParserError:
        return BadRequest(_("multipart 请求无法解析"))
    except (RequestDataTooBig, TooManyFilesSent, TooManyFieldsSent):
        return TooLarge(_("请求过大"))
    return None


def _respond(request: HttpRequest, error: DomainError) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"error": error.as_dict()}, status=error.status,
                            json_dumps_params={"ensure_ascii": False})
    # The page is drawn for an anonymous visitor: the session is not read (its cookie may be what was refused).
    request.user = AnonymousUser()
    status = 413 if error.status == 413 else 400
    return render(request, "400.html", {"error": error}, status=status)


class EdgeInputMiddleware:
    """Refuses, before any view, a request carrying what cannot be stored or parsed (the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        error = check(request)
        if error is not None:
            return _respond(request, error)
        response = self.get_response(request)
        if (response.status_code == 405 and request.path_info.startswith(API_PREFIX)
                and not response.get("Content-Type", "").startswith("application/json")):
            # django-ninja answers a wrong method with Django's plain 405: the API's error shape instead
            answer = _respond(request, MethodNotAllowed(_("不支持这个请求方法")))
            if response.has_header("Allow"):
                answer["Allow"] = response["Allow"]
            return answer
        return response
