"""Making untrusted text safe to show in a terminal.

Policy files and server tool lists are untrusted: a tool name may carry an escape sequence that
would recolour or rewrite the terminal. Everything printed from them goes through `visible`,
which keeps ordinary text and shows control and direction-changing characters as escapes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

# C0/C1 controls, DEL, line/paragraph separators and the bidi overrides/isolates that can
# make text read differently from what it is.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with control and bidi characters shown as \\xNN / \\uNNNN escapes."""
    text = _UNSAFE.sub(_escape, text)
    if any(unicodedata.category(c) == "Cs" for c in text):  # lone surrogates cannot be printed
        text = "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) == "Cs" else c for c in text)
    return text


def show_value(value: Any, limit: int = 60) -> str:
    """A short JSON rendering of a value for a message: `"minutes"`, `5`, `[...]`."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > limit:
        shown = shown[: limit - 4] + '..."'
    return shown


def describe_value(value: Any) -> str:
    """What kind of value this is, for "expected X, not Y" messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {show_value(value)}"
    if isinstance(value, str):
        return f"the text {show_value(value)}"
    if isinstance(value, list):
        return "a list"
    return "an object"
