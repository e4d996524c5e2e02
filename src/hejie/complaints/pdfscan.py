"""Does a PDF carry active content? Read by a real parser, in a process of its own.

``evidence._check_pdf`` runs this file as a script (``python -I pdfscan.py``, the
PDF on stdin, one line of JSON on stdout) under a memory and CPU limit: a PDF is
a program for a parser written in C++ (qpdf, through pikepdf), and a small file
can expand to gigabytes (a compressed object stream of spaces) or exercise a
parser bug. The limit ends such a file's process, not the web process. The
script imports only the standard library and pikepdf, never Django or Hejie.

The PDF is parsed, not searched as bytes: qpdf decodes name escapes
(``/J#61vaScript`` is ``/JavaScript``), reads compressed object streams and
repairs what a viewer would repair. Every object is walked: the trailer, every
indirect object (those inside object streams too) and the dictionaries and
arrays inside them. A second reading of the raw name tokens outside stream data
sees objects left out of the cross-reference table the parser follows.
"""

from __future__ import annotations

import io
import json
import re
import resource
import sys

import pikepdf

# a name anywhere in the file (as a key or a value) -> why the file is refused
NAMES = {
    "/JS": "javascript", "/JavaScript": "javascript",
    "/AA": "auto_action",
    "/Launch": "launch",
    "/EmbeddedFile": "embedded_file", "/EmbeddedFiles": "embedded_file", "/FileAttachment": "embedded_file",
    "/RichMedia": "rich_media", "/RichMediaContent": "rich_media", "/RichMediaExecute": "rich_media",
    "/3D": "rich_media",
    "/XFA": "xfa",
    "/SubmitForm": "form_data", "/ImportData": "form_data",
    "/GoToR": "other_file", "/GoToE": "other_file",
}
# the actions a PDF may carry (links and jumps within the file); any other action type is refused
ACTIONS_OK = {"/GoTo", "/URI", "/Named"}
NAMED_OK = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
ACTION_KEYS = ("/A", "/OpenAction", "/Next")
REASONS = ("javascript", "launch", "auto_action", "embedded_file", "rich_media", "xfa", "form_data",
           "other_file", "action")

_STREAM_DATA = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)
_RAW_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def raw_reasons(data: bytes) -> set[str]:
    """The refused names among the raw name tokens outside stream data (escapes decoded)."""
    found = set()
    for match in _RAW_NAME.finditer(_STREAM_DATA.sub(b"stream endstream", data)):
        token = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        reason = NAMES.get("/" + token.decode("latin-1"))
        if reason:
            found.add(reason)
    return found


def action_reason(action) -> str | None:
    """Why an action dictionary (the value of /A, /OpenAction, /Next) is refused, if it is."""
    if not isinstance(action, pikepdf.Dictionary) or action.get("/S") is None:
        return None  # a destination (array or dictionary): its keys are walked anyway
    kind = str(action.get("/S"))
    if kind in NAMES:
        return NAMES[kind]
    if kind not in ACTIONS_OK:
        return "action"
    if kind == "/Named" and str(action.get("/N", "")) not in NAMED_OK:
        return "action"
    return None


def _direct(value) -> bool:
    """A direct dictionary, array or name (numbers and strings come back as Python values or
    carry nothing to check; indirect objects are walked from ``pdf.objects``)."""
    return isinstance(value, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Name)) and not value.is_indirect


def walk_reasons(pdf: pikepdf.Pdf) -> set[str]:
    found: set[str] = set()
    stack: list = [pdf.trailer, *pdf.objects]
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Name):
            if str(obj) in NAMES:
                found.add(NAMES[str(obj)])
        elif isinstance(obj, pikepdf.Array):
            stack.extend(item for item in obj if _direct(item))
        elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            for key in obj.keys():
                if key in NAMES:
                    found.add(NAMES[key])
                value = obj.get(key)
                if key in ACTION_KEYS:
                    for action in (value if isinstance(value, pikepdf.Array) else [value]):
                        reason = action_reason(action)
                        if reason:
                            found.add(reason)
                if _direct(value):
                    stack.append(value)
            if str(obj.get("/Type", "")) == "/Action":
                reason = action_reason(obj)
                if reason:
                    found.add(reason)
    return found


def scan(data: bytes) -> dict:
    """``{"verdict": "ok" | "active" | "encrypted" | "broken", "reasons": [...]}``."""
    if b"%%EOF" not in data[-2048:]:
        return {"verdict": "broken", "reasons": []}
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                return {"verdict": "encrypted", "reasons": []}
            if len(pdf.pages) < 1:
                return {"verdict": "broken", "reasons": []}
            found = walk_reasons(pdf)
    except pikepdf.PasswordError:
        return {"verdict": "encrypted", "reasons": []}
    except (pikepdf.PdfError, pikepdf.ForeignObjectError, ValueError, TypeError, KeyError, RuntimeError,
            RecursionError, OverflowError):
        return {"verdict": "broken", "reasons": []}
    found |= raw_reasons(data)
    reasons = [reason for reason in REASONS if reason in found]
    return {"verdict": "active" if reasons else "ok", "reasons": reasons}


def main() -> None:
    memory_mb, cpu_seconds = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    data = sys.stdin.buffer.read()
    sys.stdout.write(json.dumps(scan(data)) + "\n")


if __name__ == "__main__":
    main()
