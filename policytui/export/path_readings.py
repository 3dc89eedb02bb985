"""Which conditions a gateway that compares arguments as sent cannot judge as `decide` does.

`decide` judges every argument also as a server reads it (`server_readings` in
`policytui.decision.conditions`): a path with its dot segments, repeated slashes, trailing
slash and escapes resolved (`/srv/../etc` is `/etc`, `root/` is `root`), a text cut where a
URL's query begins (`root?x` is `root`), JSON text parsed. Intercept (its engine compares the
argument as sent: `==` on `%v`, `strings.Contains`, Go's `regexp`) and PolicyLayer (whose
documents describe no such reading) cannot say any of that, so:

- a refusal (the call passes while the argument differs from a text or number, does not
  contain a text, or does not match a pattern) lets through every other text a server reads
  as the refused one, and every text or number has such texts (`x/`, `x?`, `./x`): it cannot
  be kept;
- a match of a whole text (`require eq`, `in`) holds on every reading when the text is one a
  server reads as itself (`/srv/a`); not when it is not (`a/`, `/e//`, JSON text), since
  `decide` then refuses even that text. A text found inside a longer one (`contains`, an open
  pattern) may be gone once the longer one is resolved (`/srv/a/../../etc`): only a pattern
  anchored at both ends that matches none of the characters a reading acts on is kept;
- a call passing while an argument is absent (`deny_if args.force exists`) passes one that
  holds it under a key in another letter case (`Force`), which a server on Go's encoding/json
  reads as it, and, for a nested one (`args.q.p`), one whose parent is JSON text holding it,
  which the server parses.

Nor can any of them refuse a call holding an argument twice, under keys alike but for letter
case (`action` and `Action`), as policytui's gateway refuses it: each reads the key a condition
names as spelled, where a server on Go's encoding/json reads the two as one key, the last. A
tool whose conditions are exported is kept as written, and one warning names such tools.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from policytui.decision.conditions import is_relative_path, pasted_into_a_url, resolve_path
from policytui.decision.relative_paths import folders_named
from policytui.export.normal_forms import (
    anchored_at_both_ends,
    names_only_what_it_matches,
    plain_regex,
)
from policytui.export.result import ExportWarning
from policytui.textsafe import a_few

if TYPE_CHECKING:
    from policytui.policy.model import Condition, ToolRule

# The characters a reading of an ASCII text acts on: a path's separators, escapes and home
# (`/`, `\`, `%`, `~`), a URL's query and fragment (`?`, `#`), and the openings of a JSON list
# or object (`[`, `{`), which a server may parse and write out again otherwise.
_READ_OTHERWISE = frozenset("/\\%~?#[{")


def _read_as_written(text: str) -> bool:
    """Does every server reading leave `text` as it is?"""
    if resolve_path(text) != text or pasted_into_a_url(text) != text:
        return False
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return True
    return not (parsed is None or isinstance(parsed, (list, dict)))


def _named_characters(pattern: str) -> set[str]:
    """Every character `pattern` (ASCII, naming what it matches) may match: its literals,
    escaped characters, and each set's members and ranges."""
    named: set[str] = set()
    i, in_set = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            named.add(pattern[i + 1])
            i += 2
            continue
        if in_set:
            if char == "]":
                in_set = False
            elif pattern[i + 1:i + 2] == "-" and pattern[i + 2:i + 3] not in ("", "]"):
                named.update(chr(code) for code in range(ord(char), ord(pattern[i + 2]) + 1))
                i += 3
                continue
            else:
                named.add(char)
        elif char == "[":
            in_set = True
        elif char == "{" and "}" in pattern[i:]:
            i = pattern.index("}", i)  # a count (`{2,3}`), which matches nothing itself
        elif char not in "^$*+?()|":
            named.add(char)
        i += 1
    return named


def _pattern_read_as_written(pattern: str) -> bool:
    """Is every text `pattern` matches one a server reads as itself?"""
    return (anchored_at_both_ends(pattern) and names_only_what_it_matches(pattern)
            and not _named_characters(pattern) & _READ_OTHERWISE)


def judged_otherwise_as_sent(path: str, op: str, value: Any, *, passes_when_it_holds: bool) -> bool:
    """May a gateway comparing arguments as sent pass a call that `decide`, reading them as a
    server does too, refuses, for a condition `path op value` that lets a call through when it
    holds (`require`) or when it does not (`deny_if`, `require_approval_if`)?"""
    if op == "exists":
        # A call that passes while an argument is absent: `args.force` is absent from
        # `{"Force": true}` as sent, present to a server on Go's encoding/json, which matches
        # keys whatever their letter case; `args.q.p` is absent from `{"q": "{\"p\": 1}"}` as
        # sent, present once the server parses the JSON text (and neither gateway walks into a
        # list, `args.items.0`).
        return bool(value) != passes_when_it_holds
    items = value if isinstance(value, list) else [value]
    compared = [item for item in items
                if isinstance(item, str) or (isinstance(item, (int, float)) and not isinstance(item, bool))]
    if op in ("eq", "in", "neq", "not_in"):
        if (op in ("eq", "in")) == passes_when_it_holds:
            # `require path in ["/srv/a", "b"]`: `decide` also reads `b` as opened in /srv, where
            # it is /srv/b, not listed (`policytui.decision.relative_paths`).
            relative_read_otherwise = bool(folders_named(op, value))
            return any(isinstance(item, str) and (not _read_as_written(item) or (
                relative_read_otherwise and is_relative_path(item))) for item in compared)
        return bool(compared)  # a refusal: `x/`, `x?` and `./x` read as `x`, `5/` as 5
    if op == "contains" and isinstance(value, str):
        return value != "" or not passes_when_it_holds
    if op == "regex" and isinstance(value, str):
        if not passes_when_it_holds:
            return True
        plain = plain_regex(value)
        if plain is not None and plain[1] and plain[2]:
            return not _read_as_written(plain[0])  # `^text$`: the text itself, as `eq` above
        return not _pattern_read_as_written(value)
    return False


def reading_warning(target: str, condition: Condition | None = None) -> str:
    if condition is not None and condition.op == "exists":
        return (f"{target} looks for the argument as spelled, while policytui also finds it as a "
                "server reads it (under a key in another letter case, as Go's encoding/json "
                "does; inside JSON text the server parses), so a call holding `Force` for "
                "`force` would pass there; the tool is exported as denied")
    return (f"{target} compares the argument as sent, while policytui also judges it as a server "
            "reads it (a path's . and .. segments, repeated or trailing slashes and escapes "
            "resolved, a URL's query cut, JSON text parsed), so a text such as /srv/../etc would "
            "pass there; the tool is exported as denied")


def condition_read_otherwise(base: str, rule: ToolRule,
                             guarded: Callable[[Condition, bool], bool] | None = None,
                             ) -> tuple[str, Condition] | None:
    """The first condition of `rule` (its path under `base`, and itself) that a gateway
    comparing arguments as sent may pass where `decide` refuses; None when there is none.
    `guarded(condition, passes_when_it_holds)`: the caller's export denies such readings of
    that condition by other means (it is left out of the question)."""
    groups = (("require", rule.require, True), ("deny_if", rule.deny_if, False),
              ("require_approval_if", rule.require_approval_if, False))
    for kind, conditions, passes_when_it_holds in groups:
        for index, condition in enumerate(conditions or []):
            if guarded is not None and guarded(condition, passes_when_it_holds):
                continue
            if judged_otherwise_as_sent(condition.path, condition.op, condition.value,
                                        passes_when_it_holds=passes_when_it_holds):
                return f"{base}.{kind}[{index}]", condition
    return None


def letter_case_warning(target: str, tools: list[str]) -> list[ExportWarning]:
    """The one warning, for an export keeping the argument conditions of `tools`, that the
    target reads an argument by its key as spelled (none when `tools` is empty)."""
    if not tools:
        return []
    return [ExportWarning(
        "tools",
        f"{target} reads an argument a condition names by its key as spelled, so it cannot refuse "
        "a call holding two keys alike but for letter case (`action` and `Action`), as "
        "policytui's gateway does, and a server on Go's encoding/json reads the two as one "
        f"key, the last; the conditions of {a_few(tools)} are exported as written",
    )]
