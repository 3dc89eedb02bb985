"""Showing values from policy files in messages.

Policy files are untrusted: a tool name may carry an escape sequence, so messages print them
through `visible` (from `policytui.textsafe`) and these short renderings of values.
"""

from __future__ import annotations

import json
from typing import Any

from policytui.textsafe import visible

__all__ = ["describe_value", "show_value", "visible"]


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
