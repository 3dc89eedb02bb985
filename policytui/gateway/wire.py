"""The gateway's wire rules: how a client's bytes become one message, or a refusal.

A gateway that decides on its own reading of a message and then forwards the client's bytes
can be made to forward something else: another parser may split the line differently (Python
text streams end lines at a bare carriage return, which JSON allows as whitespace), keep the
other one of two duplicate keys, or read `NaN` where the gateway saw nothing. So:

- messages are framed on the `\\n` byte alone, and a line longer than `MAX_MESSAGE_BYTES` is
  refused without being parsed;
- a line is strict UTF-8 holding one standard JSON value (no byte-order mark, no `NaN` or
  `Infinity`, no number that overflows to infinity, no escaped unpaired surrogate, nothing nested
  deeper than `MAX_DEPTH`, no more than `MAX_CONTAINERS` arrays and objects) that is one
  JSON-RPC 2.0 object: only the
  members JSON-RPC defines, `"jsonrpc": "2.0"`, a string `method`, an object `params`, an id that
  is a string or an integer a JavaScript server reads exactly;
- an object anywhere in the message with the same key twice is refused as ambiguous, and so is
  one with two keys that are the same text in Unicode normal form (NFC), `café` composed and
  `cafe` with U+0301: a server that normalises keys reads them as one (`key_forms`); and one
  with two keys that differ only in letter case (`name` and `Name`, `arguments` and
  `argument\u017f`, whose long s Go folds to `s`): Go's `encoding/json` matches a key to its
  field whatever its case and keeps the last (mark3labs/mcp-go; the Go MCP SDK until
  CVE-2026-27896), so the server would run the call the gateway did not decide; and one with
  two keys that are one key in Unicode compatibility form (NFKC) with their case folded, `name`
  and the fullwidth `\uff4e\uff41\uff4d\uff45`, `file` and the ligature `\ufb01le`: a server
  that normalises keys so would read the one the gateway did not decide on;
- a message holding a NUL (`\\u0000`) in a key or a text is refused too: a server on a C
  parser (json-c) keeps texts as C strings and ends each at its first NUL, so a call of
  `"delete_flow\\u0000"` (a tool the policy does not name) runs `delete_flow` there, a
  `"name\\u0000"` key beside `"name"` is a second `name` whose value wins, and an argument
  `"secret.key\\u0000.txt"` that a condition reads as ending in `.txt` opens `secret.key`;
- whatever goes on is re-encoded from the parsed object (`encode`): compact, one line, ASCII
  only, so no raw control character or line separator ever reaches the server.

Refusals are `Refusal` exceptions carrying the JSON-RPC error the client gets, and the id to
answer under when the message has one that can be read without doubt.
"""

from __future__ import annotations

import json
import json.scanner
import math
import re
from collections.abc import Callable
from typing import Any

from policytui.decision.key_forms import (
    alike_but_for_case,
    alike_in_compatibility_form,
    alike_in_nfc,
)
from policytui.gateway.jsonenc import encoder

# JSON-RPC 2.0 error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# No MCP client request comes near this. Tool results (which can be whole files) travel the
# other way, under the larger `policytui.discovery.limits.MAX_SERVER_MESSAGE_BYTES`.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
# Ids beyond this lose precision in a JavaScript server: two ids could become one.
MAX_SAFE_ID = 2**53 - 1
# Objects and arrays nested deeper than this are refused. The MCP Python SDK's parser
# (pydantic-core) drops a message nested past 200 levels without a word: a call forwarded so
# would never be answered, keep its charge and leave its id pending in the gateway for good.
# No MCP request comes near it.
MAX_DEPTH = 128
# Arrays and objects in one message. Each costs Python about 70 bytes however small it is
# written, so 8 MiB of `[],` would parse into some 200 MB and hold the event loop meanwhile;
# a million still leaves every realistic call (a bulk insert of rows averages far more than
# eight bytes a row) and bounds the cost near 70 MB.
MAX_CONTAINERS = 1_000_000

REQUEST_MEMBERS = frozenset({"jsonrpc", "id", "method", "params"})
RESPONSE_MEMBERS = frozenset({"jsonrpc", "id", "result", "error"})

_encode = encoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def error(code: int, message: str, data: Any = None) -> dict[str, Any]:
    """A JSON-RPC error object."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return error


def is_mcp_error(exc: BaseException) -> bool:
    return hasattr(exc, "error") and hasattr(exc, "code") and hasattr(exc, "message")


def error_of(exc: BaseException) -> dict[str, Any]:
    """The JSON-RPC error object for an MCPError (upstream's own, or the gateway's); any other
    exception is the gateway's internal error, told without its details."""
    if is_mcp_error(exc):
        return error(int(exc.code), str(exc.message), exc.data)  # type: ignore[attr-defined]
    return error(INTERNAL_ERROR, "internal error in the gateway")


class Refusal(Exception):
    """A message the gateway will not act on: `error` is answered under `request_id`."""

    def __init__(self, code: int, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id

    @property
    def error(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class BatchRefusal(Refusal):
    """A batch (a JSON array of messages): refused whole, answered by `batch_refusals`."""


class _Duplicate(ValueError):
    pass


class _AlikeButForCase(ValueError):
    pass


class _AlikeInCompatibilityForm(ValueError):
    pass


def _keys_alike_in_nfc(value: Any) -> bool:
    """Whether an object in `value` holds two keys that are the same text in NFC (walked
    without recursion: `value` is nested no deeper than MAX_DEPTH, but may be wide)."""
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if alike_in_nfc(node) is not None:
                return True
            pending.extend(child for child in node.values() if isinstance(child, (dict, list)))
        elif isinstance(node, list):
            pending.extend(child for child in node if isinstance(child, (dict, list)))
    return False


def _holds_nul(value: Any) -> bool:
    """Whether a key or a text in `value` holds U+0000 (walked without recursion, as
    `_keys_alike_in_nfc`)."""
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return True
        elif isinstance(node, dict):
            if any("\x00" in key for key in node):
                return True
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return False


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Duplicate
    if len(obj) < 2:
        return obj
    joined = "".join(obj)
    if joined.isascii():
        # ASCII is its own normal and compatibility form: only letter case can make two keys one.
        if not joined.islower() and alike_but_for_case(obj) is not None:
            raise _AlikeButForCase
    # Two keys alike in NFC are left to their own refusal (`_keys_alike_in_nfc`), with its words.
    elif alike_in_compatibility_form(obj) is not None and alike_in_nfc(obj) is None:
        raise _AlikeButForCase if alike_but_for_case(obj) is not None else _AlikeInCompatibilityForm
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("a number too large for a double")
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# A JSON string, escapes included (a valid message's strings; an invalid one fails to parse anyway).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_SPACE = " \t\n\r"


def decoder(settings: json.JSONDecoder) -> Callable[[str], Any]:
    """`settings.decode`, calling the C scanner directly: the same values and the same
    refusals (ValueError), without the Python layers and regular expressions around it, which
    cost more than scanning a message does."""
    make = getattr(json.scanner, "c_make_scanner", None)
    if make is None:
        return settings.decode
    scan = make(settings)

    def decode(text: str) -> Any:
        start = 0
        if text[:1] in _JSON_SPACE and text:
            start = len(text) - len(text.lstrip(_JSON_SPACE))
        try:
            value, end = scan(text, start)
        except StopIteration:
            raise ValueError("Expecting value") from None
        if end != len(text) and text[end:].strip(_JSON_SPACE):
            raise ValueError("Extra data")
        return value

    return decode


KEYS_ALIKE_IN_NFC = ("Invalid Request: two keys in one object are the same name in Unicode normal form (NFC), "
                     "which a server may read as one key (ambiguous)")

HOLDS_NUL = ("Invalid Request: the message holds a NUL character (\\u0000), where a server that keeps texts as "
             "C strings ends the text, reading another name or value (ambiguous)")

KEYS_ALIKE_BUT_FOR_CASE = ("Invalid Request: two keys in one object differ only in letter case, "
                           "which a server may read as one key (ambiguous)")

KEYS_ALIKE_IN_COMPATIBILITY_FORM = ("Invalid Request: two keys in one object are one name in Unicode compatibility "
                                    "form (NFKC: fullwidth, a ligature), which a server may read as one key (ambiguous)")

_strict = decoder(json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_no_constant, parse_float=_finite))
_lenient_pairs = json.JSONDecoder(object_pairs_hook=list)


def valid_id(value: Any) -> bool:
    """A JSON-RPC id as MCP allows it: a string, or an integer every peer reads exactly."""
    if type(value) is str:
        return True
    return type(value) is int and -MAX_SAFE_ID <= value <= MAX_SAFE_ID


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def _too_deep(value: Any) -> bool:
    """Whether objects and arrays nest deeper than MAX_DEPTH in `value` (without recursion).

    The walk keeps one iterator per level, not every pending child: a message of millions of
    empty arrays side by side would otherwise cost hundreds of megabytes here alone."""
    if not isinstance(value, (dict, list)):
        return False
    levels = [iter(value.values() if isinstance(value, dict) else value)]
    while levels:
        for child in levels[-1]:
            if isinstance(child, (dict, list)):
                if len(levels) >= MAX_DEPTH:
                    return True
                levels.append(iter(child.values() if isinstance(child, dict) else child))
                break
        else:
            levels.pop()
    return False


def _containers(text: str) -> int:
    """How many arrays and objects `text` opens, brackets inside strings not counted."""
    return _count_brackets(_JSON_STRING.sub("", text))


def _count_brackets(text: str) -> int:
    return text.count("[") + text.count("{")


def _decode(line: bytes) -> Any:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(PARSE_ERROR, "Parse error: the message is not UTF-8") from None
    brackets = _count_brackets(text)
    # Counted before parsing, since parsing is the cost; no id is read from such a message
    # for the same reason (as for a line over the size limit).
    if brackets > MAX_CONTAINERS and _containers(text) > MAX_CONTAINERS:
        raise Refusal(PARSE_ERROR, f"Parse error: the message holds more than {MAX_CONTAINERS:,} arrays and objects")
    try:
        value = _strict(text)
        # An escaped lone surrogate ("\ud800") is JSON to Python and not to other parsers
        # (pydantic-core drops the message): ambiguous, so refused. Checked only when the
        # text has such an escape at all.
        if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
            request_id = value.get("id") if isinstance(value, dict) else None
            raise Refusal(PARSE_ERROR, "Parse error: the message holds an unpaired surrogate escape",
                          request_id if valid_id(request_id) else None)
        if brackets > MAX_DEPTH and _too_deep(value):
            request_id = value.get("id") if isinstance(value, dict) else None
            raise Refusal(PARSE_ERROR, "Parse error: the message is nested too deeply",
                          request_id if valid_id(request_id) else None)
        # A key outside ASCII, or a NUL, is in the text as itself or as a `\u` escape (a NUL only
        # as the escape: raw, it is no JSON): only then looked for. ASCII text is searched once.
        maybe_escaped = not text.isascii() or "\\u" in text
        if maybe_escaped and _keys_alike_in_nfc(value):
            request_id = value.get("id") if isinstance(value, dict) else None
            raise Refusal(INVALID_REQUEST, KEYS_ALIKE_IN_NFC, request_id if valid_id(request_id) else None)
        if maybe_escaped and "\\u0000" in text and _holds_nul(value):
            request_id = value.get("id") if isinstance(value, dict) else None
            raise Refusal(INVALID_REQUEST, HOLDS_NUL, request_id if valid_id(request_id) else None)
        return value
    except _Duplicate:
        raise Refusal(
            INVALID_REQUEST, "Invalid Request: a key appears twice in one object (ambiguous)", _readable_id(text)
        ) from None
    except _AlikeButForCase:
        raise Refusal(INVALID_REQUEST, KEYS_ALIKE_BUT_FOR_CASE, _readable_id(text)) from None
    except _AlikeInCompatibilityForm:
        raise Refusal(INVALID_REQUEST, KEYS_ALIKE_IN_COMPATIBILITY_FORM, _readable_id(text)) from None
    except RecursionError:
        raise Refusal(PARSE_ERROR, "Parse error: the message is nested too deeply") from None
    except ValueError:
        # Covers the byte-order mark, NaN/Infinity, overflowing numbers, bad syntax, two values.
        raise Refusal(PARSE_ERROR, "Parse error: the message is not one standard JSON value") from None


def decode(line: bytes) -> Any:
    """One line as the standard JSON value it holds, by the rules above (a batch is a list);
    raises Refusal."""
    return _decode(line)


def _readable_id(text: str) -> Any:
    """The id of an otherwise refused message, when it has exactly one valid `id` member."""
    try:
        pairs = _lenient_pairs.decode(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(pairs, list) or not all(isinstance(p, tuple) for p in pairs):
        return None
    ids = [value for key, value in pairs if key == "id"]
    return ids[0] if len(ids) == 1 and valid_id(ids[0]) else None


def parse(line: bytes) -> dict[str, Any]:
    """One client line as a JSON-RPC request, notification or response; raises Refusal.

    A batch (a JSON array) is refused as a whole: see `batch_refusals` for the answers.
    """
    message = _decode(line)
    if isinstance(message, list):
        raise BatchRefusal(INVALID_REQUEST, "Invalid Request: batches are not supported")
    return check(message)


def check(message: Any) -> dict[str, Any]:
    """A parsed value as a JSON-RPC message, or Refusal."""
    if not isinstance(message, dict):
        raise Refusal(INVALID_REQUEST, "Invalid Request: a message must be a JSON object")
    request_id = message.get("id")
    answer_id = request_id if valid_id(request_id) else None
    if message.get("jsonrpc") != "2.0":
        raise Refusal(INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"', answer_id)
    if "method" in message:
        if not message.keys() <= REQUEST_MEMBERS:
            raise Refusal(INVALID_REQUEST, "Invalid Request: members other than jsonrpc, id, method, params", answer_id)
        if type(message["method"]) is not str:
            raise Refusal(INVALID_REQUEST, "Invalid Request: the method must be a string", answer_id)
        if "id" in message and answer_id is None:
            raise Refusal(INVALID_REQUEST, "Invalid Request: the id must be a string or an integer")
        if "params" in message and not isinstance(message["params"], dict):
            raise Refusal(INVALID_PARAMS, "Invalid params: params must be an object", answer_id)
        return message
    if not message.keys() <= RESPONSE_MEMBERS or ("result" in message) == ("error" in message):
        raise Refusal(INVALID_REQUEST, "Invalid Request: neither a request nor a response", answer_id)
    if answer_id is None:
        raise Refusal(INVALID_REQUEST, "Invalid Request: the id must be a string or an integer")
    return message


def batch_refusals(line: bytes) -> list[Refusal]:
    """The answers to a refused batch: one per member request with a valid id, else one."""
    try:
        items = _lenient_pairs.decode(line.decode("utf-8"))
    except (ValueError, RecursionError):
        return [Refusal(INVALID_REQUEST, "Invalid Request: batches are not supported")]
    refusals = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, list) and all(isinstance(p, tuple) for p in item):
            ids = [value for key, value in item if key == "id"]
            if len(ids) == 1 and valid_id(ids[0]):
                refusals.append(Refusal(INVALID_REQUEST, "Invalid Request: batches are not supported", ids[0]))
    return refusals or [Refusal(INVALID_REQUEST, "Invalid Request: batches are not supported")]


def encode(message: dict[str, Any]) -> bytes:
    """One message as the gateway sends it: compact JSON, ASCII only, one line.

    Raises Refusal when the message cannot be written as standard JSON."""
    try:
        return _encode(message).encode("ascii") + b"\n"
    except (ValueError, TypeError, RecursionError):
        raise Refusal(INVALID_REQUEST, "Invalid Request: the message cannot be re-encoded") from None


# Framing ---------------------------------------------------------------------------------------

# What a line over the limit stands as (never valid JSON): lines are framed on the `\n` byte
# alone by `policytui.gateway.linefeed.LineFeed`, which skips such a line to its end.
OVERLONG = b"\x00overlong"
