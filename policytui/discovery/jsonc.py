"""Reading JSON config files that may carry comments and trailing commas (VS Code's JSONC)."""

from __future__ import annotations

import json
from typing import Any


def loads_lenient(text: str) -> Any:
    """Parse JSON; if that fails, retry with // and /* */ comments and trailing commas removed."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        cleaned = _drop_trailing_commas(_drop_comments(text))
        if cleaned == text:
            raise
        return json.loads(cleaned)


def _scan(text: str):
    """Yield (index, char, inside_string) for every character, honouring escapes."""
    in_string = False
    escaped = False
    for i, ch in enumerate(text):
        if in_string:
            yield i, ch, True
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
            yield i, ch, True
            continue
        yield i, ch, False


def _drop_comments(text: str) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            in_string = ch != '"'
            i += 1
        elif ch == '"':
            in_string = True
            out.append(ch)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end == -1 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end == -1 else end + 2
            out.append(" ")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _drop_trailing_commas(text: str) -> str:
    out: list[str] = []
    for i, ch, in_string in _scan(text):
        if ch == "," and not in_string:
            rest = text[i + 1 :].lstrip()
            if rest[:1] in ("]", "}"):
                continue
        out.append(ch)
    return "".join(out)
