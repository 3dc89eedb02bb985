"""The top level of a JSON-RPC message too deeply nested to parse, read without parsing it.

Python's JSON parser gives up on a text nested near its recursion limit (some 976 levels in
the gateway's reader), the MCP SDK's at 200: a server's answer nested that deep would be
dropped unread and its call left waiting for the call time-out. The answer still names its
call: `shallow_read` finds the members of the outer object with a scan that keeps no stack,
so the call it answers can be failed at once, as an answer that is no valid result.

Only the outer object's keys are decoded (each one a JSON string, cheap); the one value read
is the id, and only when it is not itself an array or object. A text whose brackets do not
balance, or that holds more than one JSON value, is no message: None.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# A JSON string (escapes included), a quote that opens a string never closed, or one of the
# characters that shape the structure. What lies between (numbers, literals, blank space) is
# skipped: it never changes the depth. The lone quote ends the scan: skipped, the scan would
# try a string again at each quote after it, each try reading to the end of the text (minutes
# for a megabyte of escaped quotes).
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|"|[\[\]{}:,]')
_SPACE = " \t\n\r"
_scalar = json.JSONDecoder()


@dataclass(frozen=True)
class Shallow:
    """What the outer object of a message says of itself."""

    answer: bool  # it names no method: an answer (a result or an error), not a request
    request_id: int | str | None  # its one id, when that is a string or an integer; else None


def shallow_read(text: str) -> Shallow | None:
    """The outer object of `text` read without parsing what it holds, or None when `text`
    is not one object whose brackets balance."""
    start = len(text) - len(text.lstrip(_SPACE))
    if text[start:start + 1] != "{":
        return None
    depth = 0
    key_next = False
    key: str | None = None
    values: dict[str, list[int]] = {}  # each key of the outer object: where its values begin
    end = -1
    for token in _TOKEN.finditer(text, start):
        mark = token.group()
        if mark == '"':
            return None  # a string never closed: no JSON value
        if mark[0] == '"':
            if depth == 1 and key_next:
                try:
                    key = json.loads(mark)
                except ValueError:
                    return None
                key_next = False
        elif mark in "[{":
            depth += 1
            key_next = depth == 1
        elif mark in "]}":
            depth -= 1
            if depth == 0:
                end = token.end()
                break
        elif depth == 1 and mark == ":" and key is not None:
            values.setdefault(key, []).append(token.end())
            key = None
        elif depth == 1 and mark == ",":
            key_next = True
    if end < 0 or text[end:].strip(_SPACE):
        return None
    return Shallow(answer="method" not in values, request_id=_one_id(text, values.get("id", [])))


def _one_id(text: str, starts: list[int]) -> int | str | None:
    """The value of the one member `id`, when it is a string or an integer (two members
    `id` are ambiguous: None)."""
    if len(starts) != 1:
        return None
    at = starts[0]
    while at < len(text) and text[at] in _SPACE:
        at += 1
    if text[at:at + 1] in ("[", "{", ""):
        return None  # no id a request carries; and a nested value is not parsed
    try:
        value, _ = _scalar.raw_decode(text, at)
    except ValueError:
        return None
    return value if type(value) in (int, str) else None
