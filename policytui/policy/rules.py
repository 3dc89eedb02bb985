"""The policy format's vocabulary and value rules, in plain Python.

Shared by the pydantic model (`model`) and the fast structural check (`plain`), so both apply
the same rules; importing this never loads pydantic.
"""

from __future__ import annotations

import json
import re
from typing import Any

WINDOWS: tuple[str, ...] = ("minute", "hour", "day")
SCOPES: tuple[str, ...] = ("grant", "session", "global")
ACTIONS: tuple[str, ...] = ("allow", "deny", "require_approval")
DEFAULTS: tuple[str, ...] = ("allow", "deny")
OPS: tuple[str, ...] = (
    "eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "contains", "exists",
)
NUMERIC_OPS = frozenset({"lt", "lte", "gt", "gte"})
LIST_OPS = frozenset({"in", "not_in"})
WINDOW_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}

PATH_PATTERN = r"^args(\.[^.]+)+$"
PATH_RE = re.compile(PATH_PATTERN)


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` does not compile as a Python regular expression, or None."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"does not compile: {exc}"
    except (OverflowError, RecursionError, ValueError) as exc:
        # re.compile raises these for absurd repeat counts and nesting; still "does not compile".
        return f"does not compile: {exc}"
    return None


def value_problem(op: str, value: Any) -> str | None:
    """Why `value` does not suit `op`, or None. Shared by the model and the validator's messages."""
    if op in LIST_OPS:
        if not isinstance(value, list):
            return f"op {op!r} needs a list value"
    elif op in NUMERIC_OPS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"op {op!r} needs a number value"
    elif op == "exists":
        if not isinstance(value, bool):
            return "op 'exists' needs true or false as its value"
    elif op == "regex":
        if not isinstance(value, str):
            return "op 'regex' needs a pattern string as its value"
        problem = regex_problem(value)
        if problem:
            return f"regex {value!r} {problem}"
    elif op == "contains":
        if isinstance(value, (dict, list)):
            return "op 'contains' needs a single value, not a list or object"
    return None


def describe_condition(path: str, op: str, value: Any) -> str:
    """A condition's short human form, e.g. `args.action eq "delete"`."""
    return f"{path} {op} {json.dumps(value, ensure_ascii=False)}"
