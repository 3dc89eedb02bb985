"""Checking a policy and explaining every problem so a person can fix it.

`validate_text` reports, all at once: JSON syntax errors, duplicate keys, legacy shapes (rewritten,
with a warning), every structural problem the JSON Schema finds (rephrased from jsonschema's
wording), and semantic warnings from `validate_policy`. Each problem carries its JSON path
(`tools.manage_flow.limits[0].window`), the line and column of the offending key or value, and
one sentence.

`validate_policy` runs only the semantic checks on a model; the editor calls it on every change.
"""

from __future__ import annotations

import gc
import json
import re
from itertools import accumulate
from typing import TYPE_CHECKING, Any, NamedTuple

from policytui.policy.display import describe_value, show_value, visible
from policytui.policy.jsonpos import (
    MAX_DEPTH,
    JSONPositionError,
    Location,
    Locator,
    Positions,
    number_problem,
    scan,
)
from policytui.policy.legacy import upgrade_document
from policytui.policy.plain import PolicyView, accepts
from policytui.policy.rules import LIST_OPS, NUMERIC_OPS, pin_setting_on

if TYPE_CHECKING:
    from collections.abc import Sequence

    from policytui.policy.model import Limit, Policy
    from policytui.policy.plain import LimitView
    from policytui.toolinfo import ToolInfo

    # What the semantic checks read: the model, or the plain view of an accepted document.
    PolicyLike = Policy | PolicyView

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_$*-]+$")


def format_path(location: Location) -> str:
    """`("tools", "manage_flow", "limits", 0)` -> `tools.manage_flow.limits[0]`.

    Keys that are not plain words are quoted, `tools["my.tool"]`, so a dot in a tool name can
    never be mistaken for nesting.
    """
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


# NamedTuple and plain classes rather than dataclasses: `dataclasses` loads `inspect`, `ast`
# and `dis`, about a tenth of a `policytui validate` process.
class Problem(NamedTuple):
    """One thing wrong (or worth a warning) in a policy."""

    path: str
    message: str
    line: int | None = None
    col: int | None = None
    # The same place as a tuple of keys and indexes, for code that walks the document.
    location: Location = ()

    def format(self) -> str:
        """One line: `path: message (line L, col C)`, safe to print in a terminal."""
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.line is not None:
            text += f" (line {self.line}, col {self.col})"
        return visible(text)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "line": self.line, "col": self.col}


class Report:
    """Everything found in one policy. `ok` means no errors (warnings allowed)."""

    __slots__ = ("errors", "warnings", "policy", "view")

    def __init__(
        self,
        errors: list[Problem] | None = None,
        warnings: list[Problem] | None = None,
        policy: Policy | None = None,
        view: Policy | PolicyView | None = None,
    ) -> None:
        self.errors: list[Problem] = [] if errors is None else errors
        self.warnings: list[Problem] = [] if warnings is None else warnings
        # The policy as loaded (legacy shapes rewritten) when there are no errors.
        self.policy = policy
        # The valid policy as `decide` and the semantic checks read it: `policy`, or, when
        # `validate_text(..., model=False)` took the fast path, a `PolicyView` of the document.
        self.view = view

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Report):
            return NotImplemented
        return (self.errors, self.warnings, self.policy, self.view) == (
            other.errors, other.warnings, other.policy, other.view)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Report(errors={self.errors!r}, warnings={self.warnings!r}, ok={self.ok})"

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": [p.to_json() for p in self.errors],
            "warnings": [p.to_json() for p in self.warnings],
        }


class _Collector:
    """Builds Problems with positions, dropping exact repeats."""

    def __init__(self, positions: Positions | Locator | None) -> None:
        self.positions = positions
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self._seen: set[tuple[bool, str, str]] = set()

    def add(self, location: Location, message: str, *, warning: bool = False,
            at_key: bool = False, position: tuple[int, int] | None = None) -> None:
        path = format_path(location)
        marker = (warning, path, message)
        if marker in self._seen:
            return
        self._seen.add(marker)
        line = col = None
        if position is not None:
            line, col = position
        elif self.positions is not None:
            line, col = self.positions.of(location, key=at_key)
        problem = Problem(path, message, line, col, tuple(location))
        (self.warnings if warning else self.errors).append(problem)

    def report(self, policy: Policy | None = None,
               view: Policy | PolicyView | None = None) -> Report:
        def order(p: Problem) -> tuple[int, int, str]:
            return (p.line if p.line is not None else 1 << 30, p.col or 0, p.path)

        return Report(sorted(self.errors, key=order), sorted(self.warnings, key=order), policy,
                      view if view is not None else policy)


# ---------------------------------------------------------------- text -> report


def validate_text(
    text: str, *, tools: list[ToolInfo] | None = None, model: bool = True, warnings: bool = True
) -> Report:
    """Every problem in a policy file's text. `report.policy` is the loaded policy when ok.

    With `model=False` (one-shot commands that only read the policy), a valid document is
    checked without pydantic and `report.policy` stays None: `report.view` reads it. The
    report is the same either way; any document the fast check cannot vouch for goes
    through the full validator. `warnings=False` skips the semantic checks (they only ever
    warn), for `check`, which prints only the warnings about how the file is read (an
    old-format `rate_limit` rewritten, a byte order mark): on either path, so that it says the
    same of every file, not more of one the full validator reads.
    """
    # Loading a large file creates hundreds of thousands of objects, none of them in a cycle;
    # the cycle collector would walk all of them again and again meanwhile (over half the time
    # at 10,000 rules). Reference counting still frees everything as usual.
    paused = gc.isenabled()
    gc.disable()
    try:
        if not model:
            report = _validate_plain(text, tools, warnings)
            if report is not None:
                return report
        return _validate_text(text, tools=tools, warnings=warnings)
    finally:
        if paused:
            gc.enable()


def _validate_text(text: str, *, tools: list[ToolInfo] | None, warnings: bool = True) -> Report:
    if not text.strip():
        return Report([Problem("", 'the file is empty; the smallest policy is '
                               '{"version": "1", "default": "deny"}', 1, 1)])
    parsed = _parse(text)
    if isinstance(parsed, Problem):
        if _is_call_log(text):
            return Report([Problem("", CALL_LOG, 1, 1)])
        return Report([parsed])
    document, positions = parsed
    if isinstance(document, dict) and "policytuiSnapshot" in document and "version" not in document:
        # A server's tool list (`discovery.snapshot.SNAPSHOT_KEY`) in place of the policy: its
        # every key unknown to a policy would be listed, none of them saying what is wrong.
        return Report([Problem("", "this is a server's tool list written by `policytui snapshot`, "
                               "not a policy; `policytui init --from` this file writes a policy "
                               "from it", 1, 1)])
    if _is_call_record(document):
        return Report([Problem("", CALL_LOG, 1, 1)])
    out = _Collector(positions if positions is not None else Locator(text))
    if positions is not None:
        for dup in positions.duplicates:
            key = dup.location[-1]
            out.add(dup.location, f'duplicate key "{key}" (first at line {dup.first_line}, '
                    f"col {dup.first_col}); the later one would silently replace the earlier "
                    "one", position=(dup.line, dup.col))
    upgrade = upgrade_document(document)
    for note in upgrade.errors:
        out.add(note.location, note.message, at_key=note.at_key)
    for note in upgrade.warnings:
        out.add(note.location, note.message, warning=True, at_key=note.at_key)
    document = upgrade.document
    # The model and the schema accept exactly the same documents (a test keeps it so), and the
    # model is much faster; the schema runs only to explain a rejection in the user's terms.
    policy, model_errors = _build_model(document)
    if policy is None:
        before = len(out.errors)
        _schema_problems(_failing_part(document, model_errors), out)
        if len(out.errors) == before:
            for location, message in model_errors:
                out.add(location, message)
    if policy is not None and warnings:
        _add_semantic(policy, tools, out)
    return out.report(policy if not out.errors else None)


def _validate_plain(
    text: str, tools: list[ToolInfo] | None, warnings: bool = True
) -> Report | None:
    """The report of a valid document, found without pydantic; None when the document is not
    plainly valid (the full validator then reports it).

    Everything `_validate_text` would find besides the model's verdict is ruled out first:
    syntax errors and NaN (json.loads refuses), surrogates, legacy shapes, nesting deeper than
    MAX_DEPTH (`accepts` refuses), and repeated keys: the text holds one ":" per object member
    plus those in its strings, so when it holds exactly as many as the document accounts for
    (`accepts`), no member was dropped. A colon written as an escape (\\u003a) would upset the
    count, so such a text takes the full path.
    """
    try:
        document = json.loads(text, parse_constant=_reject_constant,
                              parse_float=_readable_float)
    except (ValueError, RecursionError):
        return None
    if _may_hold_surrogates(text):
        return None
    upgrade = upgrade_document(document)
    if upgrade.errors or upgrade.warnings:
        return None
    colons = accepts(document)
    if colons is None or colons != text.count(":") or "\\u003" in text:
        return None
    view = PolicyView(document)
    out = _Collector(Locator(text))
    if warnings:
        _add_semantic(view, tools, out)
    if out.errors:
        return None
    return out.report(None, view)


def _add_semantic(policy: PolicyLike, tools: list[ToolInfo] | None, out: _Collector) -> None:
    """The semantic checks' findings, placed in the text."""
    semantic = _semantic_report(policy, tools)
    for problem in semantic.errors:
        out.add(problem.location, problem.message)
    for problem in semantic.warnings:
        out.add(problem.location, problem.message, warning=True,
                at_key=_points_at_key(problem.location))


class _NonStandardNumber(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonStandardNumber(name)


def _readable_float(literal: str) -> float:
    # 1e400 would become infinity and 1e-400 zero: the scanner then says where and why.
    if number_problem(literal):
        raise _NonStandardNumber(literal)
    return float(literal)


def parse_json(text: str) -> Any:
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    return json.loads(text, parse_constant=_reject_constant)


# Text a fast parse cannot judge alone: escapes that may be unpaired surrogates.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_RAW_SURROGATE = re.compile("[\ud800-\udfff]")


def _may_hold_surrogates(text: str) -> bool:
    # Each test is skipped at C speed when the text has no "\u" or no non-ASCII character.
    if "\\u" in text and _ESCAPED_SURROGATE.search(text):
        return True
    return not text.isascii() and _RAW_SURROGATE.search(text) is not None


CALL_LOG = ("this is a log of calls, one JSON object a line (a `policytui gateway --record` "
            "recording or an audit log), not a policy; `policytui replay` tests a policy "
            "against a recording")

# Keys every line of the gateway's audit log and of its recordings has (`gateway.audit`), and
# a policy has none of.
_CALL_RECORD_KEYS = ("time", "tool", "decision", "args_sha256")


def _is_call_record(document: Any) -> bool:
    """Whether a document is one line of the audit log or a recording, not a policy."""
    return (isinstance(document, dict) and "version" not in document
            and all(key in document for key in _CALL_RECORD_KEYS))


def _is_call_log(text: str) -> bool:
    """Whether text that is not one JSON document starts with a line of calls: an audit log or a
    recording given where a policy goes, which would otherwise read as "invalid JSON" at line 2
    and leave the reader to guess why."""
    first = text.lstrip().split("\n", 1)[0]
    if not first.startswith("{"):
        return False
    try:
        return _is_call_record(json.loads(first))
    except (ValueError, RecursionError):
        return False


def _parse(text: str) -> tuple[Any, Positions | None] | Problem:
    """The document (and its positions, if a slow scan was needed), or the syntax problem."""
    duplicates = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicates
        obj = dict(pairs)
        if len(obj) != len(pairs):
            duplicates = True
        return obj

    needs_scan = False
    document: Any = None
    try:
        document = json.loads(text, parse_constant=_reject_constant,
                              parse_float=_readable_float, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as exc:
        return Problem("", f"invalid JSON: {friendly_json_error(exc, text)}", exc.lineno,
                       exc.colno)
    except RecursionError:
        return Problem("", "invalid JSON: the document is nested too deeply", 1, 1)
    except ValueError:
        # NaN, a number that cannot be read as written, or an integer too long for Python to
        # convert: the scanner says where.
        needs_scan = True
    if (needs_scan or duplicates or _may_hold_surrogates(text)
            or _deeper_than(text, MAX_DEPTH)):
        try:
            positions = scan(text)
        except JSONPositionError as exc:
            return Problem("", f"invalid JSON: {exc.message}", exc.line, exc.col)
        return document, positions
    return document, None


# A JSON string, as an "unrolled loop": runs of plain characters are taken in one step, which
# is several times faster on a large file than one alternation per character.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _deeper_than(text: str, limit: int) -> bool:
    """Do brackets nest more than `limit` deep? Works on the text at C speed; the scanner then
    decides exactly."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if len(brackets) <= limit:
        return False
    return max(accumulate(map(_STEP.__getitem__, brackets))) > limit


_JSON_MESSAGES = {
    "Expecting value": "expected a value",
    "Expecting property name enclosed in double quotes": "expected a key in double quotes",
    "Expecting ',' delimiter": "expected a comma or a closing bracket",
    "Expecting ':' delimiter": "expected a colon after the key",
    "Extra data": "unexpected text after the end of the JSON document",
    "Unterminated string starting at": "a string is not closed with a double quote",
    "Invalid control character at": "a string contains a raw control character (write it "
                                     "as an escape such as \\n)",
    "Invalid \\escape": "invalid backslash escape in a string",
    "Invalid \\uXXXX escape": "invalid \\u escape in a string (it needs four hex digits)",
    "Unexpected UTF-8 BOM (decode using utf-8-sig)": "the text starts with a byte order mark",
}


def friendly_json_error(exc: json.JSONDecodeError, text: str, whole: str = "the file") -> str:
    """What is wrong with `text` (`whole`: "the file", "the arguments"), in plain words."""
    message = _JSON_MESSAGES.get(exc.msg, exc.msg)
    before = text[: exc.pos].rstrip()
    after = text[exc.pos :].lstrip()
    if exc.msg.startswith(("Expecting", "Unterminated")) and not after and before:
        # The text stops mid-document: a file cut short (a crash or a full disk while writing).
        message += f" ({whole} ends too early: it was cut short, or a closing bracket is missing)"
    elif exc.msg.startswith("Expecting") and before.endswith(",") and after[:1] in ("}", "]"):
        message += " (a trailing comma before a closing bracket is not allowed in JSON)"
    elif text[exc.pos : exc.pos + 1] == "'":
        message += " (JSON strings use double quotes)"
    elif text[exc.pos : exc.pos + 2] in ("//", "/*"):
        message += " (JSON has no comments; use an x-* key for notes)"
    return message


def _build_model(document: Any) -> tuple[Policy | None, list[tuple[Location, str]]]:
    """The pydantic model of the document, or None and pydantic's complaints."""
    from pydantic import ValidationError

    from policytui.policy.model import Policy

    try:
        return Policy.from_document(document), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
            problems.append((location, str(error["msg"])))
        return None, problems


# ---------------------------------------------------------------- schema errors


def _failing_part(document: Any, model_errors: list[tuple[Location, str]]) -> Any:
    """The document with only the tool rules the model rejected, for a fast schema pass.

    Running jsonschema over ten thousand good rules to explain one bad one takes seconds; the
    rules the model accepted hold no schema errors either, so they are left out. Paths are kept.
    """
    if not isinstance(document, dict) or not isinstance(document.get("tools"), dict):
        return document
    bad_tools = set()
    for location, _ in model_errors:
        if len(location) < 2 or location[0] != "tools":
            if location[:1] == ("tools",):
                return document
            continue
        bad_tools.add(location[1])
    tools = document["tools"]
    return {**document, "tools": {k: v for k, v in tools.items() if k in bad_tools}}




def _schema_problems(document: Any, out: _Collector) -> None:
    from policytui.policy.schema import validator

    for error in validator().iter_errors(document):
        location: Location = tuple(error.absolute_path)
        for sub_location, message, at_key in _explain(error, document):
            out.add(location + sub_location, message, at_key=at_key)


_KIND = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}

_OP_NEEDS = {
    **{op: "a list" for op in LIST_OPS},
    **{op: "a number" for op in NUMERIC_OPS},
    "exists": "true or false",
    "regex": "a pattern (text)",
    "contains": "a single value (text, number, true/false or null)",
}


def _explain(error: Any, document: Any) -> list[tuple[Location, str, bool]]:
    """jsonschema's error as (sub-location, one sentence, points-at-key) items."""
    keyword = error.validator
    instance = error.instance
    expected = error.validator_value
    location = tuple(error.absolute_path)
    schema_path = list(error.schema_path)

    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {}))
        items: list[tuple[Location, str, bool]] = []
        for key in instance:
            if key in allowed or key.startswith("x-"):
                continue
            items.append(((key,), _unknown_key_message(key, allowed, location), True))
        return items
    if keyword == "required" and isinstance(instance, dict):
        # A key spelt wrong is both unknown and missing: the unknown key's "did you mean" line
        # says both, so the missing key it names is not said again (before it, out of order).
        misspelt = _misspelt_keys(instance, error.schema)
        return [((), f'missing required key "{key}"', False) for key in expected
                if key not in instance and key not in misspelt]
    if "then" in schema_path and location and location[-1] == "value":
        op = str(_parent(document, location).get("op"))
        if keyword == "format":
            return [((), f"regex {show_value(instance)} {error.cause or 'does not compile'}",
                     False)]
        return [((), f'op "{op}" needs {_OP_NEEDS.get(op, "another value")} as its value, '
                 f"not {describe_value(instance)}", False)]
    if keyword == "type" and not location:
        return [((), f"a policy must be a JSON object, not {describe_value(instance)}", False)]
    if keyword == "type":
        kinds = [expected] if isinstance(expected, str) else list(expected)
        want = " or ".join(_KIND.get(k, k) for k in kinds)
        return [((), f"expected {want}, not {describe_value(instance)}", False)]
    if keyword == "enum":
        options = ", ".join(str(v) for v in expected)
        return [((), f"{show_value(instance)} is not one of {options}", False)]
    if keyword == "const":
        return [((), f"must be {show_value(expected)}, not {show_value(instance)}", False)]
    if keyword in ("minimum", "maximum") and location and location[-1] == "max":
        from policytui.policy.rules import MAX_CALLS

        return [((), f"must be a whole number from 1 to {MAX_CALLS:,}, not {show_value(instance)}", False)]
    if keyword == "minimum":
        return [((), f"must be at least {expected}, not {show_value(instance)}", False)]
    if keyword == "minLength":
        if "propertyNames" in schema_path:
            return [((), "a tool name must not be empty", False)]
        return [((), "must not be empty", False)]
    if keyword == "pattern" and location and location[-1] == "path":
        return [((), f"{show_value(instance)} is not a condition path; it must be \"args.\" "
                 "followed by a dot path, e.g. args.action", False)]
    if keyword == "format":
        return [((), f"{show_value(instance)} {error.cause or 'is not valid'}", False)]
    return [((), visible(error.message), False)]


def _parent(document: Any, location: Location) -> dict[str, Any]:
    node = document
    for part in location[:-1]:
        node = node[part]
    return node if isinstance(node, dict) else {}


def _misspelt_keys(instance: dict[str, Any], schema: Any) -> set[str]:
    """The keys of an object the schema allows no others in that its unknown keys are said to
    be misspellings of ("did you mean ..."), as `_unknown_key_message` names them."""
    if not isinstance(schema, dict) or schema.get("additionalProperties") is not False:
        return set()
    allowed = list(schema.get("properties", {}))
    return {close for key in instance
            if key not in allowed and not key.startswith("x-")
            and (close := _close_key(key, allowed)) is not None}


def _close_key(key: str, allowed: list[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown_key_message(key: str, allowed: list[str], location: Location) -> str:
    close = [found] if (found := _close_key(key, allowed)) is not None else []
    if close:
        return f'unknown key "{key}" (did you mean "{close[0]}"?)'
    if key == "rate_limit":
        return 'unknown key "rate_limit" (the legacy form is only read inside a tool\'s rule)'
    names = ", ".join(allowed)
    return f'unknown key "{key}"; {_place(location)} takes {names}, or x-* keys for extension data'


def _place(location: Location) -> str:
    """What kind of object sits at `location`, for "X takes these keys" messages."""
    if not location:
        return "the top level"
    if location == ("all_tools",):
        return "all_tools"
    if len(location) == 2 and location[0] == "tools":
        return "a tool rule"
    if isinstance(location[-1], int) and location[-2] == "limits":
        return "a limit"
    if isinstance(location[-1], int):
        return "a condition"
    return "this object"


def _points_at_key(location: Location) -> bool:
    # "tools.X" warnings are about the tool's entry: point at its name, not at its "{".
    return len(location) == 2 and location[0] == "tools"


# ---------------------------------------------------------------- semantic checks


def validate_policy(
    policy: Policy,
    *,
    tools: list[ToolInfo] | None = None,
    positions: Positions | None = None,
) -> Report:
    """Semantic warnings for a valid model (and `report.policy` = policy).

    Warns about rules that can never apply, counters whose budgets are split without the user
    meaning to, and - given the server's tool list - names and arguments the server does not have.
    """
    return _semantic_report(policy, tools, positions)


def _semantic_report(
    policy: PolicyLike, tools: list[ToolInfo] | None, positions: Positions | None = None
) -> Report:
    out = _Collector(positions)
    _check_counters(policy, out)
    _check_shadowed_rules(policy, out)
    _check_credentials(policy, out)
    _check_pin_setting(policy, out)
    if tools is not None:
        _check_against_server(policy, tools, out)
    if isinstance(policy, PolicyView):
        return out.report(None, policy)
    return out.report(policy)


def _all_limits(policy: PolicyLike) -> list[tuple[Location, Limit | LimitView]]:
    found: list[tuple[Location, Limit | LimitView]] = []
    limits: Sequence[Limit | LimitView]
    for name, rule in (policy.tools or {}).items():
        limits = rule.limits or []
        for i, limit in enumerate(limits):
            found.append((("tools", name, "limits", i), limit))
    if policy.all_tools is not None:
        limits = policy.all_tools.limits or []
        for i, limit in enumerate(limits):
            found.append((("all_tools", "limits", i), limit))
    return found


def _check_counters(policy: PolicyLike, out: _Collector) -> None:
    first: dict[str, tuple[Location, Limit | LimitView]] = {}
    for location, limit in _all_limits(policy):
        if limit.counter not in first:
            first[limit.counter] = (location, limit)
            continue
        where, earlier = first[limit.counter]
        if limit.window != earlier.window:
            out.add(location + ("window",), f'counter "{limit.counter}" is counted per '
                    f'{earlier.window} at {format_path(where)} but per {limit.window} here; '
                    "each window is a separate budget, so give each window its own counter name",
                    warning=True)
        if limit.effective_scope != earlier.effective_scope:
            out.add(location + ("scope",) if limit.scope else location,
                    f'counter "{limit.counter}" has scope {earlier.effective_scope} at '
                    f"{format_path(where)} but {limit.effective_scope} here; each scope is a "
                    "separate budget, so give each scope its own counter name", warning=True)


def _says_nothing(rule: Any) -> bool:
    """A tool rule with no field set: `{}`, which only means allowed."""
    return not any(
        getattr(rule, field, None) for field in ("action", "reason", "require", "deny_if", "require_approval_if", "limits")
    )


def _check_shadowed_rules(policy: PolicyLike, out: _Collector) -> None:
    hide = policy.hide or []
    seen: set[str] = set()
    for i, name in enumerate(hide):
        if name in seen:
            out.add(("hide", i), f'"{name}" is listed in hide more than once', warning=True)
        seen.add(name)
    rules = policy.tools or {}
    for i, name in enumerate(hide):
        # An empty rule (`{}`: allowed) loses nothing while hidden, and is what unhiding the
        # tool brings back: no warning for it.
        if name != "*" and name in rules and not _says_nothing(rules[name]):
            out.add(("hide", i), f'"{name}" is hidden and also has a rule in tools; hidden '
                    f"wins, so {format_path(('tools', name))} never applies", warning=True)
    for name, rule in rules.items():
        where: Location = ("tools", name)
        if "*" in hide and name not in hide:
            out.add(where, 'hide lists "*", so every tool is hidden and this rule never applies',
                    warning=True)
        if name == "*":
            out.add(where, 'a rule for "*" applies only to a tool literally named "*"; rules '
                    "for every tool go in all_tools", warning=True)
        if rule.effective_action == "deny":
            for key in ("require", "deny_if", "require_approval_if", "limits"):
                if getattr(rule, key):
                    out.add(where + (key,), f'the tool is denied (action "deny"), so its '
                            f'"{key}" rules never take effect', warning=True)


def _check_pin_setting(policy: PolicyLike, out: _Collector) -> None:
    """An `x-policytui.pin` that is neither true nor false (written by hand: `"true"`, `1`,
    `null`): the gateway, the editor and check read it as on, the stricter reading."""
    meta = policy.extensions.get("x-policytui")
    setting = meta.get("pin") if isinstance(meta, dict) else None
    if pin_setting_on(meta) and setting is not True:
        shown = json.dumps(setting, ensure_ascii=False)
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        out.add(("x-policytui", "pin"), f"{shown} is neither true nor false, so pinning is on (the stricter "
                "reading); write true or false", warning=True)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _check_credentials(policy: PolicyLike, out: _Collector) -> None:
    """A condition's value or a reason that holds a credential (a bearer token, a JWT, an AWS
    key ID, a PEM block: the recording's rule, `policytui.redaction`): a policy is shared,
    committed and exported, and a denial's reason, which quotes the condition, goes to the
    agent, the audit log and recordings."""
    from policytui.redaction import holds_credential

    for name, rule in (policy.tools or {}).items():
        where: Location = ("tools", name)
        if isinstance(rule.reason, str) and holds_credential(rule.reason):
            out.add(where + ("reason",), "the reason holds what looks like a credential; the agent, "
                    "the audit log and recordings read the reason: take the credential out", warning=True)
        for key in ("require", "deny_if", "require_approval_if"):
            for i, condition in enumerate(getattr(rule, key) or []):
                if any(holds_credential(text) for text in _strings(condition.value)):
                    out.add(where + (key, i, "value"), "the value looks like a credential (a token, key "
                            "or password); a policy is shared and exported, and a denial's reason quotes the "
                            "value to the agent, the audit log and recordings: keep credentials out of the "
                            "policy", warning=True)


def _check_against_server(policy: PolicyLike, tools: list[ToolInfo], out: _Collector) -> None:
    by_name = {t.name: t for t in tools}
    names = ", ".join(sorted(by_name)) if len(by_name) <= 8 else f"{len(by_name)} tools"
    listed = f"it has {names}" if by_name else "it lists no tools"
    for i, name in enumerate(policy.hide or []):
        if name != "*" and name not in by_name:
            out.add(("hide", i), f'the server has no tool "{name}"{_suggest(name, by_name)}',
                    warning=True)
    for name, rule in (policy.tools or {}).items():
        tool = by_name.get(name)
        if tool is None:
            out.add(("tools", name), f'the server has no tool "{name}"'
                    f"{_suggest(name, by_name) or f' ({listed})'}", warning=True)
            continue
        for key in ("require", "deny_if", "require_approval_if"):
            for i, condition in enumerate(getattr(rule, key) or []):
                _check_condition_argument(tool, condition, ("tools", name, key, i), out)


def _suggest(name: str, names: dict[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.75)
    return f' (did you mean "{close[0]}"?)' if close else ""


def argument_enum(schema: Any) -> list[Any] | None:
    """The allowed values of an argument's schema: its `enum`, or the enum inside anyOf/oneOf."""
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("enum"), list):
        return schema["enum"]
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key) or []:
            values = argument_enum(option)
            if values is not None:
                return values
    return None


def _check_condition_argument(tool: ToolInfo, condition: Any, where: Location,
                              out: _Collector) -> None:
    properties = tool.input_schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return
    argument = condition.path.split(".")[1]
    if argument not in properties:
        out.add(where + ("path",), f'tool "{tool.name}" has no argument "{argument}" (it has '
                f"{', '.join(properties)})", warning=True)
        return
    if condition.path.count(".") != 1:
        return
    allowed = argument_enum(properties[argument])
    if allowed is None:
        return
    values = condition.value if condition.op in LIST_OPS else [condition.value]
    if condition.op in ("eq", "neq", "in", "not_in") and isinstance(values, list):
        for value in values:
            if isinstance(value, (str, int, float, bool)) and value not in allowed:
                out.add(where + ("value",), f'{show_value(value)} is not a value "{argument}" '
                        f"takes in {tool.name} (it takes {', '.join(map(str, allowed))})",
                        warning=True)
