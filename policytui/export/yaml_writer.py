"""A small YAML writer for exported policies (no YAML library needed at run time).

Only what the exporters produce: mappings, sequences and JSON scalars. Every string is written
double-quoted with YAML escapes, so no value can turn into another type ("yes", "1e3", "null")
or smuggle in structure, and characters YAML forbids in a file (controls, U+2028 and friends)
are escaped rather than written raw. Keys are strings and quoted the same way.
"""

from __future__ import annotations

import math
from typing import Any

from policytui.export.common import HIDDEN_CHARACTERS

_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
}


class Flow:
    """Marks a list or mapping to be written inline (`[1, 2]`, `{a: 1}`), e.g. a condition value."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _printable(code: int) -> bool:
    # YAML 1.1/1.2 printable set, minus the characters YAML treats as line breaks (U+0085,
    # U+2028, U+2029) and the byte order mark, which a parser would not keep as written, and
    # minus bidi overrides and invisible marks, which make a name read as another on screen.
    if code == 0x85 or HIDDEN_CHARACTERS.match(chr(code)):
        return False
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def quote(text: str) -> str:
    """`text` as a YAML double-quoted scalar that reads back as exactly `text`."""
    out = ['"']
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
            continue
        code = ord(char)
        if _printable(code):
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def scalar(value: Any) -> str:
    """One JSON scalar in YAML form."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a policy value is not a finite number")
        if value.is_integer() and abs(value) < 1e16:
            return f"{value:.1f}"
        text = repr(value)
        # YAML 1.1 readers (PyYAML) want a dot in the mantissa and a signed exponent.
        if "e" in text:
            mantissa, exponent = text.split("e")
            if "." not in mantissa:
                mantissa += ".0"
            if exponent[0] not in "+-":
                exponent = "+" + exponent
            text = f"{mantissa}e{exponent}"
        return text
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")


def _flow(value: Any) -> str:
    if isinstance(value, Flow):
        value = value.value
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{" + ", ".join(f"{quote(str(k))}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return scalar(value)


def _is_block(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple)) and not isinstance(value, Flow) and bool(value)


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{quote(str(key)) if not _plain_key(key) else key}:"
            if _is_block(item):
                lines.append(head)
                lines.extend(_lines(item, indent + 2))
            else:
                lines.append(f"{head} {_flow(item)}")
        return lines
    if isinstance(value, (list, tuple)):
        for item in value:
            if _is_block(item):
                inner = _lines(item, indent + 2)
                # The first line of the item goes after the dash.
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_flow(item)}")
        return lines
    return [pad + _flow(value)]


_PLAIN_KEYS = frozenset(
    {
        "version", "description", "default", "hide", "tools", "rules", "name", "action",
        "conditions", "path", "op", "value", "on_deny", "rate_limit", "state", "counter",
        "window", "increment",
    }
)


def _plain_key(key: Any) -> bool:
    # The format's own field names are written bare, as people write them; everything else
    # (tool names above all, which come from servers) is quoted.
    return isinstance(key, str) and key in _PLAIN_KEYS


def dump(document: dict[str, Any]) -> str:
    """The document as block-style YAML text ending with a newline."""
    return "\n".join(_lines(document, 0)) + "\n"
