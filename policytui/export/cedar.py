"""Export to ToolHive's Cedar authorization configuration (`type: cedarv1`, JSON).

ToolHive asks Cedar about every `tools/call` as `Action::"call_tool"` on `Tool::"<name>"`, with
each top-level argument `x` in the context as `arg_x`: strings and booleans as they are,
numbers as Cedar `decimal` values, objects and arrays only as `arg_x_present: true`, and null
left out. Any evaluation error is a deny there. `tools/list` is filtered by asking the same
question with no arguments.

How each part maps:

- `default: "allow"`: one `permit` for every tool; `default: "deny"`: a `permit` per allowed tool.
- `hide` and `action: "deny"`: a `forbid` for the tool (`hide: ["*"]`: a `forbid` for all).
- `require`, `deny_if` (and `require_approval_if`, fail-closed): one `forbid ... unless { ... }`
  per tool whose condition is true exactly when `decide` would let the call through, written
  with `has` guards so a missing argument is a plain "no" rather than an error. Where the type
  of an argument must be checked, the check errors on the wrong type, which ToolHive turns into
  a deny, as `decide` counts a wrong type against the caller.
- `regex` conditions that are plain text with an optional `^` and `$` become `like` patterns.
- What Cedar cannot hold is exported fail-closed: approvals become denials, a tool with rate
  limits is forbidden (Cedar keeps no counters), `all_tools.limits` forbid every call, and a
  condition that cannot be written (other regular expressions, nested paths, null or object values, numbers Cedar's
  decimal cannot hold) forbids its tool. So does one Cedar would judge otherwise than `decide`,
  which also reads texts in Unicode normal form (`normal_forms`): a refusal of a text with
  another spelling, or a match a combining accent may undo. Each case is one warning.

Prompts and resources are permitted, because policytui's own gateway does not govern them.
"""

from __future__ import annotations

import itertools
import json
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from policytui.decision.conditions import resolve_path
from policytui.decision.relative_paths import folders_named
from policytui.export.common import extension_warnings, json_text
from policytui.export.normal_forms import match_may_be_lost, plain_regex, refusal_may_be_passed
from policytui.export.path_readings import letter_case_warning
from policytui.export.result import ExportResult, ExportWarning
from policytui.policy.model import Condition, Policy, ToolRule

TARGET = "ToolHive's Cedar configuration"

CALL = 'action == Action::"call_tool"'
# Cedar's decimal: a signed 64-bit count of ten-thousandths.
_DECIMAL_MAX = Decimal("922337203685477.5807")
_DECIMAL_MIN = Decimal("-922337203685477.5808")
# A suffix ToolHive itself uses for object and array arguments: a condition on an argument
# named like that could read ToolHive's marker instead of the value.
_PRESENT = "_present"


class _Unwritable(Exception):
    """A condition Cedar cannot check; its tool is exported as denied."""


@dataclass
class CedarPlan:
    """What the export promises, tool by tool (the differential test checks these promises).

    `exact`: Cedar allows exactly the calls `decide` allows (a call held for approval counts as
    not allowed). `stricter`: Cedar allows only calls `decide` allows, and denies some more.
    `denied`: every call is denied. A tool not named follows the default, exactly, unless
    `deny_all` is set.
    """

    deny_all: bool = False
    exact: set[str] = field(default_factory=set)
    stricter: set[str] = field(default_factory=set)
    denied: set[str] = field(default_factory=set)


def cedar_string(text: str) -> str:
    """`text` as a Cedar string literal."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            if 0xD800 <= code <= 0xDFFF:
                raise _Unwritable("a lone surrogate cannot be written in Cedar")
            out.append(f"\\u{{{code:x}}}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _like_pattern(text: str) -> str:
    """A Cedar `like` pattern matching any string that contains `text`."""
    body = cedar_string(text)[1:-1].replace("*", "\\*")
    return f'"*{body}*"'


def cedar_decimal(value: Any) -> str:
    """A JSON number as a Cedar decimal literal; _Unwritable when Cedar cannot hold it exactly."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Unwritable("not a number")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:
        raise _Unwritable("not a finite number") from exc
    if not number.is_finite() or not (_DECIMAL_MIN <= number <= _DECIMAL_MAX):
        raise _Unwritable("outside the range of Cedar's decimal")
    if number != number.quantize(Decimal("0.0001")):
        raise _Unwritable("more than four decimal places")
    text = format(number.quantize(Decimal("0.0001")), "f").rstrip("0")
    if text.endswith("."):
        text += "0"
    return f'decimal("{text}")'


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return cedar_string(value)
    if isinstance(value, (int, float)):
        return cedar_decimal(value)
    raise _Unwritable("null, object and array values cannot be compared in Cedar")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


_IS_BOOL = "({v} == true || {v} == false)"
# These two error for any other type: ToolHive denies on an error, as decide denies a call
# whose argument has the wrong type.
_IS_STRING = '{v} like "*"'
_IS_NUMBER = '({v}.lessThan(decimal("0.0")) || true)'


def _kind_check(kinds: set[str], v: str) -> str:
    """True for an argument of one of `kinds`, an error or false for any other."""
    if kinds >= {"string", "number", "boolean"}:
        return "true"
    if kinds == {"string", "number"}:
        return "!" + _IS_BOOL.format(v=v)
    parts = []
    if "boolean" in kinds:
        parts.append(_IS_BOOL.format(v=v))
    if "string" in kinds:
        parts.append(_IS_STRING.format(v=v))
    if "number" in kinds:
        parts.append(_IS_NUMBER.format(v=v))
    return "(" + " || ".join(parts) + ")"


_COMPARE = {
    "lt": "lessThan",
    "lte": "lessThanOrEqual",
    "gt": "greaterThan",
    "gte": "greaterThanOrEqual",
}
_OPPOSITE = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
# An argument number past the range of Cedar's decimal is left out of ToolHive's context, so a
# condition that such a number satisfies in `decide` (`gte 5`, `neq 5`) is false there: written
# with `has`, it denies those calls, which is stricter, not exact.
_NUMBERS_EXACT = False


def _argument(condition: Condition) -> str:
    parts = condition.path.split(".")
    if len(parts) != 2:
        raise _Unwritable("ToolHive passes only top-level arguments to Cedar")
    name = parts[1]
    if name.endswith(_PRESENT):
        raise _Unwritable(f"ToolHive uses names ending in {_PRESENT!r} for its own markers")
    return name


# A text argument that begins like JSON: "[" or "{", blank space, or "null". The MCP Python
# SDK turns such text into a list, an object or null for a parameter not typed as text, and
# `decide` judges it both ways (a condition that disagrees counts against the caller). Cedar
# cannot parse JSON, so these are all denied where a condition reads the argument as text: a
# little more than `decide` denies ("[WIP] fix", " hello"), never less.
_JSON_OPENINGS = ("[", "{", " ", "\t", "\n", "\r", "null")


def _begins_like_json(text: str) -> bool:
    return text.startswith(_JSON_OPENINGS)


# A text argument a server may resolve as a path or URL (`/srv/../etc/passwd`, `//etc/passwd`):
# `decide` judges it also as resolved (`resolve_path`), which Cedar cannot do, so where a
# condition reads the argument as text, every text `resolve_path` may change is denied. Cedar's
# `like` cannot say all of what `resolve_path` looks at, so it denies a little more: any dot
# segment, repeated slash, percent escape it may decode or leading `~`, except in prose (blank
# space in it, not beginning like a path, no colon before a slash) and a URL of a common scheme
# with no other "//"; in a text with a colon before a slash (it may be a URL), a backslash, a
# `;`, a tab or line break, or a control character or space at either end; anywhere, a
# character NFC turns into ASCII.
_DOT_SEGMENTS = ("*/./*", "*/../*", "*/.", "*/..", "./*", "../*", "*%2e*", "*%2E*", "*%2f*", "*%2F*",
                 "*%25*", "*%2d*", "*%2D*", "*%3*", "*%4*", "*%5*", "*%6*", "*%7*", "~*")
_PATH_OPENINGS = ("/*", ".*", "~*")
_URL_SCHEMES = ("http", "https", "ftp", "ftps", "sftp", "ws", "wss", "s3", "gs", "file", "git", "ssh")


def _like_texts(*patterns: str) -> tuple[str, ...]:
    """`like` patterns written as Cedar string bodies (`*` stays the wildcard)."""
    return tuple(cedar_string(pattern)[1:-1] for pattern in patterns)


_MAY_BE_A_URL = _like_texts("*:*/*", "*:*\\*")
_URL_ODDITIES = _like_texts("*\\*", "*;*", "*\t*", "*\n*", "*\r*",
                            *(chr(code) + "*" for code in range(0x21)),
                            *("*" + chr(code) for code in range(0x21)))
# The characters NFC turns into ASCII (U+212A KELVIN SIGN is `K`).
_NFC_ASCII_SOURCES = "\u212a\u1fef\u037e"
_NFC_TO_ASCII = _like_texts(*(f"*{char}*" for char in _NFC_ASCII_SOURCES))
# A scheme a WHATWG parser reads with any slashes after its colon (`https:h/a` is
# `https://h/a`), spelled in any case: Cedar's `like` has no case-insensitive match, so every
# spelling is listed, and only the lowercase ones followed by two slashes and a host (or a
# `file://` URL) are read as written.
_SPECIAL_SCHEMES = ("http", "https", "ws", "wss", "ftp", "file")
_SPECIAL_SPELLINGS = _like_texts(*sorted(
    "".join(letters) + ":*"
    for scheme in _SPECIAL_SCHEMES
    for letters in itertools.product(*((c, c.upper()) for c in scheme))))
_TWO_SLASHES_AND_A_HOST = _like_texts(*(f"{scheme}://*" for scheme in _SPECIAL_SCHEMES))
_MORE_SLASHES = _like_texts(*(f"{scheme}:///*" for scheme in _SPECIAL_SCHEMES[:-1]), "file:////*")
_TRIMMED_OR_DROPPED = _like_texts("*\t*", "*\n*", "*\r*", *(chr(code) + "*" for code in range(0x21)))


def _like_any(v: str, patterns: tuple[str, ...]) -> str:
    return "(" + " || ".join(f'{v} like "{pattern}"' for pattern in patterns) + ")"


def _may_resolve(v: str) -> str:
    """True for a text argument `resolve_path` may read otherwise than as written."""
    dots = _like_any(v, _DOT_SEGMENTS)
    url = _like_any(v, tuple(f"{scheme}://*" for scheme in _URL_SCHEMES))
    slashes = f'({v} like "*//*" && !({url} && !({v} like "*//*//*")))'
    may_be_a_url = _like_any(v, _MAY_BE_A_URL)
    # A colon with a tab or line break in the text or blank space before it may be a URL too:
    # a parser drops the one and trims the other (` https:h` fetches h).
    hidden_scheme = f'({v} like "*:*" && {_like_any(v, _TRIMMED_OR_DROPPED)})'
    prose = (f'({v} like "* *" && !{_like_any(v, _PATH_OPENINGS)} && !{may_be_a_url}'
             f' && !{hidden_scheme})')
    odd_url = f"({may_be_a_url} && {_like_any(v, _URL_ODDITIES)})"
    odd_scheme = (f"({_like_any(v, _SPECIAL_SPELLINGS)} && !({_like_any(v, _TWO_SLASHES_AND_A_HOST)}"
                  f" && !{_like_any(v, _MORE_SLASHES)}))")
    # A file path's trailing slash is dropped (a URL's kept, and `/` is itself).
    plain_url = f'({url} && !({v} like "*//*//*"))'
    trailing = f'({v} like "*/" && !({v} == "/") && !{plain_url})'
    changed = f"{dots} || {slashes} || {odd_url} || {odd_scheme} || {hidden_scheme} || {trailing}"
    # Cut at a `?` or `#` (a value pasted into a URL), prose or not: left as written only with
    # blank space before the cut, which Cedar can tell only where there is one `?` or `#`.
    one_after_a_space = (f'(({v} like "* *?*" && !({v} like "*?*?*") && !({v} like "*#*"))'
                         f' || ({v} like "* *#*" && !({v} like "*#*#*") && !({v} like "*?*")))')
    cut = f'(({v} like "*?*" || {v} like "*#*") && !{plain_url} && !{one_after_a_space})'
    return f"({_like_any(v, _NFC_TO_ASCII)} || {cut} || (!{prose} && ({changed})))"


def _not_json_text(v: str) -> str:
    """True for a text argument read the same way by `decide` and by Cedar: it does not begin
    like JSON, nor has it a path `resolve_path` may change (false otherwise; an error, which
    ToolHive denies, for any other type)."""
    likes = " || ".join(f'{v} like "{cedar_string(opening)[1:-1]}*"' for opening in _JSON_OPENINGS)
    return f"!({likes}) && !{_may_resolve(v)}"


def _json_literal(value: Any) -> None:
    """A listed or compared text that itself begins like JSON cannot be matched as `decide`
    does (it may read the argument as a list or object); nor can one that resolves as a path
    to another text (`decide` never finds an argument equal to it)."""
    if isinstance(value, str) and _begins_like_json(value):
        raise _Unwritable("a compared text that begins like JSON may reach the server as a list or object")
    if isinstance(value, str) and resolve_path(value) != value:
        raise _Unwritable("a compared text that a server resolves as a path to another text cannot be matched")


# What the characters NFC turns into ASCII stand for: wherever a condition reads an argument
# as text, an argument holding one of them is denied (`_may_resolve`), so these other spellings
# never pass.
_SPELLINGS_DENIED = frozenset(unicodedata.normalize("NFC", char) for char in _NFC_ASCII_SOURCES)


def _refusable(text: str, *, within: bool) -> None:
    """A refusal of `text` (with `within`: of texts containing it) compared as written lets
    through another Unicode spelling that `decide`, and a server, read in NFC as refused."""
    if refusal_may_be_passed(text, within=within, refused_elsewhere=_SPELLINGS_DENIED):
        raise _Unwritable(f"Cedar compares texts as written, so another Unicode spelling of "
                          f"{json.dumps(text)} (accents composed or decomposed, an equivalent "
                          f"character) would pass this refusal")


def _matchable(text: str, *, open_start: bool, open_end: bool) -> None:
    """A text that holds `text` as written, with more before or after it, may not hold it in
    NFC (a combining accent after its last letter joins the two), where `decide` refuses it."""
    if match_may_be_lost(text, open_start=open_start, open_end=open_end):
        raise _Unwritable(f"Cedar compares texts as written, so a text holding {json.dumps(text)} "
                          f"beside a combining accent passes there, though in Unicode normal form "
                          f"it no longer holds it")


def _condition(condition: Condition, want: bool) -> tuple[str, bool]:
    """A Cedar expression true exactly when `evaluate(condition)` is `want` (not None).

    Returns the expression and whether it is exact (False: it may be false, or error, for
    some calls where `evaluate` gives `want`, so Cedar denies more).

    A condition that names an absolute path (`deny_if path eq "/srv/a"`) is judged by `decide`
    on a relative path placed in the folders it names too (`a` may be /srv/a:
    `policytui.decision.relative_paths`), which Cedar cannot do: there only an absolute path
    passes (a little more than `decide` denies, except where the text matched is absolute).
    """
    expression, exact = _condition_as_written(condition, want)
    if not folders_named(condition.op, condition.value):
        return expression, exact
    v = f"context[{cedar_string(f'arg_{_argument(condition)}')}]"
    items = condition.value if isinstance(condition.value, list) else [condition.value]
    matched_absolute = (condition.op in ("eq", "in") and want
                        and all(isinstance(item, str) and item.startswith("/") for item in items))
    return f'({expression} && {v} like "/*")', exact and matched_absolute


def _condition_as_written(condition: Condition, want: bool) -> tuple[str, bool]:
    """`_condition` for an argument judged as sent and as a server resolves it, not as a
    relative path placed in a folder."""
    name = _argument(condition)
    key = cedar_string(f"arg_{name}")
    has = f"context has {key}"
    v = f"context[{key}]"
    op, value = condition.op, condition.value
    if op == "exists":
        # Only string, boolean and number arguments are visible as themselves; ToolHive drops
        # null, so "absent" cannot be told from "null" and only "present" can be written.
        if bool(value) != want:
            raise _Unwritable("ToolHive cannot tell an absent argument from a null one")
        return has, False
    if op in ("eq", "neq"):
        _json_literal(value)
        literal = _literal(value)
        equal = (op == "eq") == want
        if equal:
            return f"({has} && {v} == {literal})", True
        if isinstance(value, bool):
            return f"({has} && {v} == {'false' if value else 'true'})", True
        if isinstance(value, str):
            _refusable(value, within=False)
            return (f"({has} && {_IS_STRING.format(v=v)} && {v} != {literal} && "
                    f"{_not_json_text(v)})"), False
        return f"({has} && ({v}.lessThan({literal}) || {v}.greaterThan({literal})))", _NUMBERS_EXACT
    if op in ("in", "not_in"):
        items = list(value)
        for item in items:
            _json_literal(item)
        literals = [_literal(item) for item in items]
        found = "(" + " || ".join(f"{v} == {lit}" for lit in literals) + ")" if literals else "false"
        member = (op == "in") == want
        if member:
            return f"({has} && {found})", True
        for item in items:
            if isinstance(item, str):
                _refusable(item, within=False)
        if not items:
            # decide answers "not in []" for a null argument too; Cedar never sees null.
            return has, False
        kinds = {_kind(item) for item in items}
        if len(kinds) > 1:
            # decide counts "5" against [5, "prod"], or "yes" against [true, "x"], as the wrong
            # type (a validator may coerce it into a listed value); Cedar cannot tell which
            # texts a validator would coerce.
            raise _Unwritable("a list mixing numbers, texts and booleans cannot be matched as a "
                              "validator coerces one into another")
        check = _kind_check(kinds, v)
        if kinds == {"string"}:
            return f"({has} && {check} && !{found} && {_not_json_text(v)})", False
        return f"({has} && {check} && !{found})", kinds == {"bool"} or _NUMBERS_EXACT
    if op in _COMPARE:
        literal = _literal(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Unwritable("a comparison needs a number")
        use = op if want else _OPPOSITE[op]
        return f"({has} && {v}.{_COMPARE[use]}({literal}))", _NUMBERS_EXACT
    if op == "contains":
        if not isinstance(value, str):
            # decide looks into arrays, which ToolHive shows to Cedar only as "present".
            return "false", False
        pattern = _like_pattern(value)
        if want:
            _matchable(value, open_start=True, open_end=True)
        else:
            _refusable(value, within=True)
        # Array arguments (decide looks into them) are not visible: those calls are denied, and
        # so is text that begins like JSON (a server may read it as an array).
        if want:
            return f"({has} && {v} like {pattern} && {_not_json_text(v)})", False
        return f"({has} && !({v} like {pattern}) && {_not_json_text(v)})", False
    if op == "regex":
        plain = plain_regex(value)
        if plain is None:
            raise _Unwritable("Cedar has no regular expressions; only a plain text with ^ or $ can be written")
        body, start, end = plain
        if want:
            _matchable(body, open_start=not start, open_end=not end)
        else:
            _refusable(body, within=not (start and end))
        # A text ending with a newline is read two ways by `$` (`_regex_as_like`): a pattern the
        # call must match holds only where both readings match, one it must not match refuses
        # where either does, as `decide` judges it.
        patterns = _regex_as_like(value, strict=want)
        assert patterns is not None
        # `like` errors on a non-string, which ToolHive denies, as decide does for a regex.
        matched = "(" + " || ".join(f"{v} like {p}" for p in patterns) + ")"
        if want:
            return f"({has} && {matched} && {_not_json_text(v)})", False
        return f"({has} && !{matched} && {_not_json_text(v)})", False
    raise _Unwritable(f"Cedar has no {op!r} operator")


def _regex_as_like(pattern: Any, strict: bool = False) -> list[str] | None:
    """`like` patterns matching exactly what `re.search(pattern, text)` finds, for patterns that
    are plain text with an optional leading ^ and trailing $; None for anything else.

    Python's `$` also matches before a final newline, so `abc$` is "ends with abc" or "ends
    with abc and a newline"; Go's and JavaScript's `$` only the first, which `strict` keeps
    (`decide` has both readings agree: `policytui.decision.conditions`).
    """
    plain = plain_regex(pattern)
    if plain is None:
        return None
    body, start, end = plain
    text = cedar_string(body)[1:-1].replace("*", "\\*")
    head = "" if start else "*"
    if not end:
        return [f'"{head}{text}*"']
    if strict:
        return [f'"{head}{text}"']
    return [f'"{head}{text}"', f'"{head}{text}\\n"']


def _tool_id(name: str) -> str:
    return f"Tool::{cedar_string(name)}"


class _Exporter:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.policies: list[str] = []
        self.warnings: list[ExportWarning] = []
        self.plan = CedarPlan()
        self.conditioned: list[str] = []  # the tools whose conditions are written

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(ExportWarning(path, message))

    def forbid(self, name: str) -> None:
        self.policies.append(f"forbid(principal, {CALL}, resource == {_tool_id(name)});")

    def permit(self, name: str) -> None:
        if self.policy.default != "allow":
            self.policies.append(f"permit(principal, {CALL}, resource == {_tool_id(name)});")

    def tool(self, name: str, rule: ToolRule) -> None:
        base = f"tools.{name}"
        if rule.reason:
            # Listed, since the agent loses the words that tell it why (the decision is kept).
            self.warn(f"{base}.reason", "Cedar policies carry no message: ToolHive denies with its "
                      "own words, not this reason")
        action = rule.effective_action
        if action == "deny":
            self.forbid(name)
            self.plan.exact.add(name)
            return
        if action == "require_approval":
            self.warn(f"{base}.action", "needs human approval, which Cedar cannot ask for; the tool is forbidden")
            self.forbid(name)
            self.plan.denied.add(name)
            return
        if rule.limits:
            self.warn(
                f"{base}.limits",
                "Cedar keeps no counters, so a rate limit cannot be enforced; the tool is forbidden",
            )
            self.forbid(name)
            self.plan.denied.add(name)
            return
        terms: list[str] = []
        exact = True
        groups = (
            ("require", rule.require or [], True),
            ("deny_if", rule.deny_if or [], False),
            ("require_approval_if", rule.require_approval_if or [], False),
        )
        for kind, conditions, want in groups:
            for i, condition in enumerate(conditions):
                path = f"{base}.{kind}[{i}]"
                try:
                    term, is_exact = _condition(condition, want)
                except _Unwritable as why:
                    self.warn(path, f"cannot be checked in Cedar ({why}); the tool is forbidden")
                    self.forbid(name)
                    self.plan.denied.add(name)
                    return
                if not is_exact:
                    exact = False
                    self.warn(path, _stricter(condition))
                terms.append(term)
        if rule.require_approval_if:
            self.warn(
                f"{base}.require_approval_if",
                "approval cannot be asked for in Cedar; the calls that would wait for a human are denied",
            )
        self.permit(name)
        if terms:
            self.policies.append(
                f"forbid(principal, {CALL}, resource == {_tool_id(name)}) unless {{ {' && '.join(terms)} }};"
            )
            self.conditioned.append(name)
            if _needs_arguments(rule):
                self.warn(
                    base,
                    "ToolHive filters tools/list by asking with no arguments, so this tool, whose "
                    "conditions need arguments, is left out of the list (calls are decided as here)",
                )
        (self.plan.exact if exact else self.plan.stricter).add(name)

    def run(self) -> ExportResult:
        policy = self.policy
        if policy.default == "allow":
            self.policies.append(f"permit(principal, {CALL}, resource);")
        # Prompts and resources pass policytui's gateway untouched; the same here.
        self.policies.append(
            "permit(principal, action in [Action::\"list_tools\", Action::\"list_prompts\", "
            "Action::\"list_resources\", Action::\"get_prompt\", Action::\"read_resource\"], resource);"
        )
        hidden = list(policy.hide or [])
        if "*" in hidden:
            self.policies.append(f"forbid(principal, {CALL}, resource);")
        for name in hidden:
            if name != "*":
                try:
                    self.forbid(name)
                except _Unwritable as why:
                    # Unreachable by a JSON client in practice; forbid everything rather than
                    # let a hidden tool through.
                    self.warn("hide", f"a hidden tool name cannot be written in Cedar ({why}); every call is forbidden")
                    self.policies.append(f"forbid(principal, {CALL}, resource);")
                    self.plan.deny_all = True
        for name, rule in (policy.tools or {}).items():
            if policy.is_hidden(name):
                continue
            try:
                self.tool(name, rule)
            except _Unwritable as why:
                self.plan.denied.add(name)
                if policy.default == "allow":
                    # Left out, the blanket permit would allow it: forbid every call instead.
                    self.warn(f"tools.{name}", f"the tool name cannot be written in Cedar ({why}); every call is forbidden")
                    self.policies.append(f"forbid(principal, {CALL}, resource);")
                    self.plan.deny_all = True
                else:
                    self.warn(f"tools.{name}", f"the tool name cannot be written in Cedar ({why}); it was left out (denied by default)")
        if policy.all_tools is not None and policy.all_tools.limits:
            self.warn(
                "all_tools.limits",
                "Cedar keeps no counters, so limits on all tools cannot be enforced; every call is forbidden",
            )
            self.policies.append(f"forbid(principal, {CALL}, resource);")
            self.plan.deny_all = True
        # ToolHive puts each argument in the context under its key as sent (`arg_Action`).
        self.warnings.extend(letter_case_warning("ToolHive", self.conditioned))
        self.warnings.extend(extension_warnings(policy, TARGET))
        doc = {
            "version": "1.0",
            "type": "cedarv1",
            "cedar": {"policies": self.policies, "entities_json": "[]"},
        }
        text = json_text(doc)
        return ExportResult(text, self.warnings)


def _needs_arguments(rule: ToolRule) -> bool:
    """Does any condition fail for a call with no arguments (so ToolHive's list drops the tool)?"""
    from policytui.decision.conditions import evaluate

    for condition in rule.require or []:
        if evaluate(condition, {}) is not True:
            return True
    for condition in (rule.deny_if or []) + (rule.require_approval_if or []):
        if evaluate(condition, {}) is not False:
            return True
    return False


_STRICTER = {
    "exists": "ToolHive shows null, object and array arguments differently, so such calls are denied here",
    "in": "ToolHive never shows a null argument, so such calls are denied here",
    "not_in": "ToolHive never shows a null argument, so such calls are denied here",
    "contains": "ToolHive shows array arguments only as present, so such calls are denied here",
}


_JSON_TEXT = ("text that begins like JSON ('[', '{', blank space or 'null') is denied here, "
              "as a server may read it as a list, an object or null, and so is a path a "
              "server may resolve to another ('/srv/../etc', '//etc')")
_ARRAYS_AND_JSON_TEXT = ("ToolHive shows array arguments only as present, and a server may read "
                         "text that begins like JSON ('[', '{', blank space or 'null') as an "
                         "array or resolve a path ('/srv/../etc') to another: such calls are denied here")
_NUMBERS = ("ToolHive leaves out an argument number past its decimal range (about 9.2e14), so "
            "such calls are denied here; it also rounds numbers to four decimal places, so an "
            "argument less than 0.0001 past the bound is compared rounded and may pass")


def _stricter(condition: Condition) -> str:
    """Why Cedar denies more than `decide` for this condition."""
    op, value = condition.op, condition.value
    values = value if isinstance(value, list) else [value]
    numbers = any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if op in _COMPARE or (op in ("eq", "neq", "in", "not_in") and numbers):
        return _NUMBERS
    if op == "contains":
        return _ARRAYS_AND_JSON_TEXT
    if op in ("regex", "eq", "neq") or (op in ("in", "not_in") and condition.value):
        return _JSON_TEXT
    return _STRICTER.get(op, _STRICTER["exists"])


def export_cedar(policy: Policy) -> tuple[ExportResult, CedarPlan]:
    """The policy as ToolHive's Cedar configuration, its warnings and what it promises."""
    exporter = _Exporter(policy)
    result = exporter.run()
    return result, exporter.plan
