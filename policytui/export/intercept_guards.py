"""Conditions Intercept adds in front of a kept condition so it passes no call `decide` refuses.

Intercept's engine (`internal/engine/operators.go`) compares `eq`, `neq`, `in` and `not_in` on
the values' text (`fmt.Sprintf("%v")`) unless both are numbers, so the text "5" equals the
number 5 and "true" the boolean true; `lt`..`gte` hold only for numbers; `regex` (Go's RE2)
holds only for texts. `decide` counts an argument of another type than the value
compared with against the caller, and judges a text also as a server reads it (a path
resolved, a URL's query cut). So:

- a number compared (`deny_if n eq 5`, `require n in [1, 2]`) is kept with `lte` the largest
  double, which every number passes and no text, boolean or list does: exact;
- a text matched (`require eq 5`, the text) that Go writes a number, boolean, null or list as
  is kept with `regex ^`, which only a text passes: exact (`/srv/a` needs nothing);
- a text refused (`deny_if path eq /etc`, `require kind not_in [root]`) is kept with a `regex`
  that only texts every server reading leaves as they are pass (`SAFE_TEXT`): no dot segment,
  repeated or trailing slash, `%`, `?`, `#`, `:`, `~` or character NFC makes ASCII. Any other
  text is denied, a little more than `decide` denies, never less;
- a boolean compared cannot be kept: no Intercept condition tells the texts "true" and
  "false" from the booleans, and `decide` refuses those texts; the tool is denied.

The PolicyLayer export uses SAFE_TEXT too, as a `require` `regex` in front of a refused text:
the pattern means the same in RE2, JavaScript and Python.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from typing import Any, Literal

from policytui.decision.relative_paths import folders_named

# Characters no text SAFE_TEXT passes holds: a reading of a path or URL acts on them (`\\` only
# in a URL, which needs a `:`), or NFC makes them ASCII (U+212A is `K`).
_EXCLUDED = "/\\\\%?#:~\u212a\u1fef\u037e"
_CHAR = f"[^{_EXCLUDED}]"
_NOT_A_DOT = f"[^.{_EXCLUDED}]"
# How a path segment may begin so that it is neither empty nor `.` nor `..`: a character not a
# dot, a dot and one, or two dots and any character.
_OPENING = f"(?:{_NOT_A_DOT}|\\.{_NOT_A_DOT}|\\.\\.{_CHAR})"
# Written for RE2 and Python alike: no lookaround, and `$` is not before a final newline in
# RE2; a newline is one of the characters a segment may hold, so both read it the same. The
# repeated group holds no repeat of its own (each turn is one character, or a slash and an
# opening), so no engine backtracks on it and policytui's own check of patterns accepts it.
SAFE_TEXT = f"^(?:/?{_OPENING}(?:{_CHAR}|/{_OPENING})*)?$"
# SAFE_TEXT for a refusal that names an absolute path (`deny_if path eq /srv/a`): `decide` reads a
# relative path as opened in a folder the refusal names (`a` may be /srv/a:
# `policytui.decision.relative_paths`), so only an absolute path passes, or `/` itself.
SAFE_PATH = f"^/(?:{_OPENING}(?:{_CHAR}|/{_OPENING})*)?$"
# The ASCII characters another spelling of which (U+212A for `K`) SAFE_TEXT denies: a refused
# text holding them (`/srv/Keys`) needs no other check of its Unicode spellings.
SPELLINGS_DENIED = frozenset(unicodedata.normalize("NFC", char) for char in "\u212a\u1fef\u037e")
IS_TEXT = "^"
LARGEST_DOUBLE = sys.float_info.max

_SAFE = re.compile(SAFE_TEXT)

Guard = Literal["number", "text", "safe_text", "safe_path", "boolean"]
# The guards that deny every reading `decide` judges otherwise of the condition behind them.
GUARDS_EVERY_READING = frozenset(("number", "safe_text", "safe_path"))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _may_be_the_text_of_another_kind(text: str) -> bool:
    """Might Go's `%v` of a number, boolean, null, list or object be `text` ("5", "true",
    "<nil>", "[a b]", "map[a:1]"), so that Intercept's `==` finds them equal?"""
    if text in ("true", "false", "<nil>") or text.startswith(("[", "map[")):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def passes_safe_text(text: str) -> bool:
    """Does `text` pass the SAFE_TEXT rule (as RE2 reads it: `$` only at the very end)?"""
    return _SAFE.fullmatch(text) is not None


def guard_for(op: str, value: Any, *, passes_when_it_holds: bool) -> Guard | None:
    """What must stand in front of the condition `op value` in Intercept; None when nothing
    (another op, an empty or mixed list, a refused text that is not itself SAFE_TEXT)."""
    if op not in ("eq", "neq", "in", "not_in"):
        return None
    items = value if isinstance(value, list) else [value]
    if not items:
        return None
    if any(isinstance(item, bool) for item in items):
        return "boolean"
    if all(_is_number(item) for item in items):
        return "number"
    if not all(isinstance(item, str) for item in items):
        return None
    if (op in ("eq", "in")) == passes_when_it_holds:
        return "text" if any(_may_be_the_text_of_another_kind(item) for item in items) else None
    # A refused text must itself be one every reading leaves alone, and none a JSON text
    # written out again reads as (`[1]` is how "[ 1]" reads, `null` how " null" does): then a
    # text read as it is passes only where decide does.
    if all(passes_safe_text(item) and item != "null" and item[:1] not in ("[", "{") for item in items):
        return "safe_path" if folders_named(op, value) else "safe_text"
    return None


def spellings_denied_in_front(condition: Any, passes_when_it_holds: bool) -> frozenset[str]:
    """For `normal_forms.condition_judged_otherwise`: the characters whose other spellings the
    SAFE_TEXT condition in front of this one denies (none when there is no such condition)."""
    guard = guard_for(condition.op, condition.value, passes_when_it_holds=passes_when_it_holds)
    return SPELLINGS_DENIED if guard in ("safe_text", "safe_path") else frozenset()


def guard_condition(path: str, guard: Guard) -> dict[str, Any]:
    """The Intercept condition a guard stands for (not for "boolean", which denies the tool)."""
    if guard == "number":
        return {"path": path, "op": "lte", "value": LARGEST_DOUBLE}
    if guard == "text":
        return {"path": path, "op": "regex", "value": IS_TEXT}
    return {"path": path, "op": "regex", "value": SAFE_PATH if guard == "safe_path" else SAFE_TEXT}


def safe_text_warning(target: str = "Intercept", guard: Guard = "safe_text") -> str:
    relative = (", and so is a relative path (a server may open it in the folder the condition "
                "names)" if guard == "safe_path" else "")
    return (f"{target} compares the argument as sent, so only texts a server reads as written pass "
            "here: a text with a . or .. segment, a repeated or trailing slash, or any of % ? # : ~ "
            f"is denied, and so is an argument that is not text{relative}; a little more than "
            "policytui denies, never less")


def boolean_warning(target: str = "Intercept") -> str:
    return (f'{target} reads the texts "true" and "false" as the booleans true and false, which '
            f"policytui refuses as the wrong type; no {target} condition tells them apart, so the "
            "tool is exported as denied")
