"""A corpus of bad input sent to every operation the OpenAPI schema lists (generated from the
schema, so a new operation is covered the day it is added): NUL and lone-surrogate text, text
over its ``maxLength``, integers that are not whole or not 64-bit, malformed JSON and multipart
bodies, and bad headers, anonymous and signed in as each role. No answer may be a 500, and every
refusal is the API's JSON error. (schemathesis, in test_schema_fuzz.py, explores the valid side.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hejie.accounts.services import token_create
from hejie.api.v1 import api

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema()
HUGE = "99999999999999999999"
TEXT_CORPUS = ["a\x00b", "x\udfffy"]
INT_CORPUS = ["0.5", "1.0", "-1", HUGE, "9223372036854775808", ""]


def deref(node: Any) -> Any:
    """``node`` with its $ref followed (one level at a time, as needed)."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SCHEMA
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def kinds(schema: dict) -> set[str]:
    schema = deref(schema)
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()):
            found |= kinds(sub)
    return found


def max_length(schema: dict) -> int | None:
    schema = deref(schema)
    if "maxLength" in schema:
        return int(schema["maxLength"])
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()):
            if (n := max_length(sub)) is not None:
                return n
    return None


def example(schema: dict) -> Any:
    """A plain value of the schema's type (the other fields of a body while one is bad)."""
    schema = deref(schema)
    kind = kinds(schema) - {"null"}
    if "enum" in schema:
        return schema["enum"][0]
    if "object" in kind or "properties" in schema:
        return {name: example(sub) for name, sub in schema.get("properties", {}).items()}
    if "array" in kind:
        return []
    if "integer" in kind:
        return 1
    if "number" in kind:
        return 1
    if "boolean" in kind:
        return True
    return "x"


def bad_values(schema: dict) -> list[Any]:
    """What to put in one field of this schema."""
    kind = kinds(schema)
    values: list[Any] = []
    if "string" in kind or not kind:
        values += TEXT_CORPUS
        if (n := max_length(schema)) is not None:
            values.append("长" * (n + 1))
    if "integer" in kind or "number" in kind:
        values += [0.5, 2**64, -(2**64), "1", 1e308]
    values += [[], None, "x" * 100_000]
    return values


def operations():
    for path, methods in SCHEMA["paths"].items():
        for method, operation in methods.items():
            yield pytest.param(method.upper(), path, operation, id=f"{method.upper()} {path}")


def fill_path(path: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    return path


def requests_for(method: str, path: str, operation: dict) -> list[dict]:
    """Each bad request for one operation: one bad part at a time, the rest plain."""
    parameters = [deref(p) for p in operation.get("parameters", [])]
    plain_path = {p["name"]: "1" for p in parameters if p["in"] == "path"}
    out: list[dict] = []
    for p in parameters:
        schema = p.get("schema", {})
        values = (INT_CORPUS if {"integer", "number"} & kinds(schema) else [])
        values += ["a%00b", "%ED%A0%80"]
        if (n := max_length(schema)) is not None:
            values.append("x" * (n + 1))
        for value in values:
            if p["in"] == "path":
                out.append({"path": fill_path(path, {**plain_path, p["name"]: value})})
            elif p["in"] == "query":
                out.append({"path": fill_path(path, plain_path) + f"?{p['name']}={value}"})
            elif p["in"] == "header":
                raw = value.replace("%00", "\x00")
                out.append({"path": fill_path(path, plain_path), "headers": {p["name"]: raw}})
    base = fill_path(path, plain_path)
    body = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        schema = deref(body["application/json"]["schema"])
        plain = example(schema)
        for name, sub in schema.get("properties", {}).items():
            for value in bad_values(sub):
                out.append({"path": base, "json": {**plain, name: value}})
        for raw in ("{", "[]", "null", '"x"', "1" * 5000, "[" * 100_000 + "]" * 100_000, '{"a": ' * 5000 + "1" +
                    "}" * 5000, b"\xff\xfe\x00", '{"x": "\\ud800"}', '{"\\u0000": 1}'):
            out.append({"path": base, "raw": raw, "content_type": "application/json"})
    if "multipart/form-data" in body:
        nul_name = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a\x00.png"\r\n\r\n\x00\r\n--x--\r\n'
        for content_type in ("multipart/form-data", "multipart/form-data; boundary=",
                             "multipart/form-data; boundary=x"):
            out.append({"path": base, "raw": nul_name, "content_type": content_type})
        schema = deref(body["multipart/form-data"]["schema"])
        for name, sub in schema.get("properties", {}).items():
            if "string" in kinds(sub) and deref(sub).get("format") != "binary":
                for value in ["\x00", "a\x00b", "x" * ((max_length(sub) or 10_000) + 1)]:
                    out.append({"path": base, "form": {name: value}})
    out.append({"path": base, "headers": {"Authorization": "Bearer \x00"}})
    out.append({"path": base, "headers": {"Authorization": "Bearer " + "a" * 10_000}})
    out.append({"path": base, "headers": {"Accept-Language": "\x00"}})
    return out


@pytest.fixture
def tokens(make_user, business, delivered):
    staff = make_user("business", business=business, is_business_admin=True)
    return [None, token_create(user=delivered.consumer), token_create(user=staff),
            token_create(user=make_user("council", region="420100"))]


def send(client, method: str, request: dict, token: str | None):
    headers = dict(request.get("headers", {}))
    if token and "Authorization" not in headers:
        headers["Authorization"] = f"Bearer {token}"
    if "json" in request:
        data, content_type = json.dumps(request["json"]), "application/json"
    elif "form" in request:
        return client.generic(method, request["path"], _multipart(request["form"]),
                              content_type="multipart/form-data; boundary=BoUnDaRy", headers=headers)
    else:
        data, content_type = request.get("raw", ""), request.get("content_type", "application/json")
    return client.generic(method, request["path"], data, content_type=content_type, headers=headers)


def _multipart(fields: dict[str, str]) -> bytes:
    parts = [f'--BoUnDaRy\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return ("".join(parts) + "--BoUnDaRy--\r\n").encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("method, path, operation", list(operations()))
def test_bad_input_to_every_operation_is_never_a_500(client, tokens, method, path, operation):
    corpus = requests_for(method, path, operation)
    assert corpus, "every operation gets bad input"
    failures = []
    for request in corpus:
        for token in tokens:
            response = send(client, method, request, token)
            shown = {k: (v[:80] if isinstance(v, str | bytes) else v) for k, v in request.items()}
            if response.status_code >= 500:
                failures.append((response.status_code, shown, response.content[:200]))
            elif response.status_code >= 400 and not response["Content-Type"].startswith("application/json"):
                failures.append((response.status_code, shown, "not the API's JSON error"))
    assert failures == [], failures[:5]


def test_the_corpus_covers_every_operation_of_the_schema():
    listed = {(m.upper(), p) for p, ms in SCHEMA["paths"].items() for m in ms}
    assert len(listed) == len(list(operations())) > 60
