"""The policy format's vocabulary and value rules, in plain Python.

Shared by the pydantic model (`model`) and the fast structural check (`plain`), so both apply
the same rules; importing this never loads pydantic.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

from policytui.textsafe import quoted_start

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


@lru_cache(maxsize=1024)
def regex_problem(pattern: str) -> str | None:
    """Why `pattern` does not compile as a Python regular expression, or may take exponential
    time on an argument a caller chooses; None when it is fine."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"does not compile: {exc}"
    except (OverflowError, RecursionError, ValueError) as exc:
        # re.compile raises these for absurd repeat counts and nesting; still "does not compile".
        return f"does not compile: {exc}"
    if _repeat_in_a_repeat(pattern):
        return ("repeats a group that holds a repeat of its own, which can take exponential "
                "time on an argument a caller crafts (make the inner repeat possessive, as in "
                "'[a-z]++', or the group atomic, as in '(?>...)')")
    return None


def _repeat_in_a_repeat(pattern: str) -> bool:
    """Does the pattern repeat, a varying number of times, something that itself holds a
    varying repeat ("([a-z0-9]+/?)+", "(a*)*")? Python's matcher then tries exponentially many
    ways to split a nearly matching text, and one call's argument holds the gateway (which
    matches on its event loop) for minutes. A possessive repeat ("[a-z]++") or an atomic
    group ("(?>...)") gives nothing back, so nothing in one counts. Alternatives that overlap
    ("(a|ab)+") are not found."""
    try:
        # The parser `re` itself compiles with (private, so typeshed does not list it).
        from re import _constants as sre  # type: ignore[attr-defined]
        from re import _parser as parser  # type: ignore[attr-defined]
        tree = parser.parse(pattern)
    except Exception:  # noqa: BLE001 - the pattern compiled: a parser we cannot read is no finding
        return False
    varying = (sre.MAX_REPEAT, sre.MIN_REPEAT)

    def walk(items: Any, inside: bool) -> bool:
        for op, arg in items:
            if op in varying:
                low, high, body = arg
                # A repeat of one thing at most ("/?") splits no text two ways.
                varies = low != high and high > 1
                if varies and inside:
                    return True
                if walk(body, inside or varies):
                    return True
            elif op in (sre.POSSESSIVE_REPEAT, sre.ATOMIC_GROUP):
                body = arg[2] if op == sre.POSSESSIVE_REPEAT else arg
                if walk(body, False):  # gives nothing back, but may blow up inside
                    return True
            elif op == sre.SUBPATTERN:
                if walk(arg[3], inside):
                    return True
            elif op == sre.BRANCH:
                if any(walk(branch, inside) for branch in arg[1]):
                    return True
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                if walk(arg[1], inside):
                    return True
            elif op == sre.GROUPREF_EXISTS:
                if any(branch is not None and walk(branch, inside) for branch in arg[1:]):
                    return True
        return False

    return walk(tree, False)


def value_problem(op: str, value: Any) -> str | None:
    """Why `value` does not suit `op`, or None. Shared by the model and the validator's messages."""
    if _holds_non_finite(value):
        # Written out it would be `NaN` or `Infinity`, which is not JSON: no gateway could
        # read the saved file back.
        return "the value holds NaN or infinity, which JSON cannot hold"
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
            # Its start only: a pattern pasted by mistake would push the reason off the screen.
            return f"regex {quoted_start(value)} {problem}"
    elif op == "contains":
        if isinstance(value, (dict, list)):
            return "op 'contains' needs a single value, not a list or object"
    return None


def _holds_non_finite(value: Any) -> bool:
    if type(value) is float:
        return not math.isfinite(value)
    if not isinstance(value, (list, dict)):
        return False
    pending = [value]  # a loop, not recursion: an edited value may nest deeply
    while pending:
        item = pending.pop()
        for inner in item.values() if isinstance(item, dict) else item:
            if type(inner) is float and not math.isfinite(inner):
                return True
            if isinstance(inner, (list, dict)):
                pending.append(inner)
    return False


def describe_condition(path: str, op: str, value: Any) -> str:
    """A condition's short human form, e.g. `args.action eq "delete"`."""
    return f"{path} {op} {json.dumps(value, ensure_ascii=False)}"


# The most calls a limit may allow in one window. A billion a minute is beyond any gateway;
# a larger number is a slip of the keyboard (10^23 was taken), and this bound keeps `max` within
# every store's and exporter's integers (SQLite's and Cedar's are 64-bit). The JSON Schema's
# `maximum` says the same, so validate, the editor and the gateway accept the same limits.
MAX_CALLS = 1_000_000_000


def calls_range_sentence(value: object) -> str:
    """The one sentence for a `max` outside 1..MAX_CALLS."""
    return f"max calls must be a whole number from 1 to {MAX_CALLS:,}, not {value}"


def pin_setting_on(own: Any) -> bool:
    """Whether policytui's own extension object (a policy's `x-policytui`) turns pinning on: its
    `pin` is there and not false. A value that is neither true nor false (`"true"`, `1`, `null`,
    written by hand) is read the stricter way, as on; validating the policy warns of it."""
    return isinstance(own, dict) and "pin" in own and own["pin"] is not False
