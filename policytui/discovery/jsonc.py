"""Reading JSON config files that may carry comments and trailing commas (VS Code's JSONC)."""

from __future__ import annotations

import json
from typing import Any


def loads_lenient(text: str) -> Any:
    """Parse JSON; if that fails, retry with // and /* */ comments and trailing commas removed."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        cleaned = _strip_jsonc(text)
        if cleaned == text:
            raise
        return json.loads(cleaned)


def _strip_jsonc(text: str) -> str:
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
            if ch == '"':
                in_string = False
            i += 1
            continue
        if ch == '"':
            in_string = True
            out.append(ch)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end == -1 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end == -1 else end + 2
        elif ch == ",":
            # A comma followed only by whitespace and a closing bracket is a trailing comma.
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j < n and text[j] in "]}":
                i += 1
            else:
                out.append(ch)
                i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)
