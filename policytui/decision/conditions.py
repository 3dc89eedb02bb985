"""Evaluating argument conditions, fail-closed.

`evaluate` answers True, False, or None when the argument is missing or of the wrong type for
the op. The caller turns None against the agent: a `require` fails, a `deny_if` or
`require_approval_if` holds. Only `exists` can never be None.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policytui.policy.model import Condition

_MISSING = object()


def lookup(args: Any, path: str) -> Any:
    """The value at `args.a.b` (numeric parts index lists), or the _MISSING marker."""
    node: Any = args
    for part in path.split(".")[1:]:
        if isinstance(node, dict):
            if part not in node:
                return _MISSING
            node = node[part]
        elif isinstance(node, list) and part.isdigit():
            index = int(part)
            if index >= len(node):
                return _MISSING
            node = node[index]
        else:
            return _MISSING
    return node


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_number(value: Any) -> bool:
    # NaN compares false with everything, so `gt 1000` would let it through: it is no number.
    if isinstance(value, float) and math.isnan(value):
        return False
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _same(a: Any, b: Any) -> bool:
    """JSON equality, all the way down: 1 == 1.0, but true is not 1, nor [true] [1]."""
    kind = _json_kind(a)
    if kind != _json_kind(b):
        return False
    if kind == "array":
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if kind == "object":
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def evaluate(condition: Condition, args: Any) -> bool | None:
    """Does the condition hold for these call arguments? None = missing or wrong type."""
    try:
        return _evaluate(condition, args)
    except Exception:  # noqa: BLE001
        # A condition edited in memory past validation (a pattern that does not compile, a
        # text where a number belongs) must not crash a gateway; it counts against the caller.
        return None


def _evaluate(condition: Condition, args: Any) -> bool | None:
    actual = lookup(args, condition.path)
    op, expected = condition.op, condition.value
    if op == "exists":
        return (actual is not _MISSING) == bool(expected)
    if actual is _MISSING:
        return None
    if op in ("eq", "neq"):
        if _json_kind(actual) != _json_kind(expected):
            return None
        equal = _same(actual, expected)
        return equal if op == "eq" else not equal
    if op in ("in", "not_in"):
        if isinstance(actual, (dict, list)):
            return None
        # Like eq: an argument of a kind none of the listed values has ("5" against [5, 6])
        # is the wrong type, not simply "not in the list".
        if expected and all(_json_kind(item) != _json_kind(actual) for item in expected):
            return None
        found = any(_same(actual, item) for item in expected)
        return found if op == "in" else not found
    if op in ("lt", "lte", "gt", "gte"):
        if not _is_number(actual):
            return None
        if op == "lt":
            return actual < expected
        if op == "lte":
            return actual <= expected
        if op == "gt":
            return actual > expected
        return actual >= expected
    if op == "regex":
        if not isinstance(actual, str):
            return None
        return _compiled(expected).search(actual) is not None
    if op == "contains":
        if isinstance(actual, str):
            return (expected in actual) if isinstance(expected, str) else None
        if isinstance(actual, list):
            return any(_same(item, expected) for item in actual)
        return None
    return None  # an op the model does not know never allows anything
