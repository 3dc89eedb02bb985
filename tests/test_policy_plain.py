"""The fast check of `validate` and `check` (no pydantic) against the full validator.

`policy.plain.accepts` must accept exactly the documents the pydantic model accepts;
`validate_text(model=False)` must report exactly what `validate_text` reports (every error and
warning, with line and column); and `decide` must answer the same on the plain view as on the
model. Checked over generated policies that carry every kind of problem the validator knows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from policytui.decision import Approval, CounterStore, decide
from policytui.policy.jsonpos import MAX_DEPTH
from policytui.policy.legacy import upgrade_document
from policytui.policy.model import OPS, Policy
from policytui.policy.plain import PolicyView, accepts
from policytui.policy.schema import SCHEMA_URL
from policytui.policy.validate import Report, validate_text
from policytui.toolinfo import ToolInfo

ROOT = Path(__file__).resolve().parent.parent
POLICIES = Path(__file__).parent / "fixtures" / "policies"
CORPUS = sorted(POLICIES.glob("*/*.json"))


def model_accepts(document: Any) -> bool:
    try:
        Policy.from_document(document)
    except ValidationError:
        return False
    return True


def problems(report: Report) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    def rows(items: list[Any]) -> list[tuple[Any, ...]]:
        return [(p.path, p.message, p.line, p.col, p.location) for p in items]

    return rows(report.errors), rows(report.warnings)


# ---- generated documents: near-valid policies with every kind of damage ------------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6), st.sampled_from(
        ["", "minute", "hour", "day", "grant", "global", "eq", "in", "args.a", "(", "[a-z]+",
         "a{99999999999}", "1", "deny", "allow", "require_approval", "a:b", "é", "\\", "*"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the well-formed value, sometimes any JSON at all (wrong types, nulls)."""
    return st.one_of(strategy, strategy, strategy, strategy, json_values)


def with_extras(obj: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """Unknown keys, x-* keys (any value), near-miss spellings, keys of other objects."""
    keys = st.sampled_from(["x-note", "x-", "x-policytui", "limts", "scope", "note", "value",
                            "X-up", "$schema", "schema_", "rate_limit", "action", "tools"])
    return st.one_of(
        obj, obj, obj,
        st.tuples(obj, st.dictionaries(keys, json_values, max_size=2)).map(
            lambda pair: {**pair[0], **pair[1]}),
    )


def drop_some(obj: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """Sometimes without a required key."""
    required = ["counter", "window", "max", "path", "op", "value", "version", "default"]
    return st.tuples(obj, st.sets(st.sampled_from(required), max_size=1)).map(
        lambda pair: {k: v for k, v in pair[0].items() if k not in pair[1]})


values_for_ops = st.one_of(
    json_values, st.lists(st.sampled_from(["get", "delete", 1, 2.5, True, None]), max_size=3),
    st.sampled_from([0, 5, 1000, -1.5, "^del", "([a-z]+", "(?P<x>a)(?P=x)", "[", "a{2,1}",
                     "get", True, False, "a:b"]),
)
conditions = drop_some(with_extras(st.fixed_dictionaries({
    "path": maybe(st.sampled_from(["args.action", "args.a.b", "args.0", "args.", "action",
                                   "args..a", "args.a\n", "args.n", "args.x:y"])),
    "op": maybe(st.sampled_from(OPS)),
    "value": values_for_ops,
})))
limits = drop_some(with_extras(st.fixed_dictionaries(
    {"counter": maybe(st.sampled_from(["c", "writes", "", "a:b"])),
     "window": maybe(st.sampled_from(["minute", "hour", "day", "minutes"])),
     "max": maybe(st.one_of(st.integers(-2, 50), st.sampled_from(
         [1.0, 2.5, True, 0.0, 30.0, 1e300, 10**30, -1.0])))},
    optional={"scope": maybe(st.sampled_from(["grant", "session", "global", "user"]))},
)))
legacy_rate_limits = st.fixed_dictionaries(
    {"max": maybe(st.sampled_from([10, 0, 2.0, "5"])),
     "window": maybe(st.sampled_from([60, 3600, 86400, 61, 60.0]))},
    optional={"burst": st.just(3)},
)
tool_rules = with_extras(st.fixed_dictionaries({}, optional={
    "action": maybe(st.sampled_from(["allow", "deny", "require_approval", "block"])),
    "reason": maybe(st.text(max_size=5)),
    "require": maybe(st.lists(conditions, max_size=2)),
    "deny_if": maybe(st.lists(conditions, max_size=2)),
    "require_approval_if": maybe(st.lists(conditions, max_size=2)),
    "limits": maybe(st.lists(limits, max_size=2)),
    "rate_limit": maybe(legacy_rate_limits),
}))
TOOL_NAMES = ["a", "b", "", "x-t", "*", "del:ete", "é"]
policies = drop_some(with_extras(st.fixed_dictionaries(
    {"version": maybe(st.sampled_from(["1", "1", "2", 1])),
     "default": maybe(st.sampled_from(["allow", "deny"]))},
    optional={
        "$schema": maybe(st.just(SCHEMA_URL)),
        "hide": maybe(st.lists(st.sampled_from(["a", "*", "", "b"]), max_size=2)),
        "all_tools": maybe(with_extras(st.fixed_dictionaries(
            {}, optional={"limits": maybe(st.lists(limits, max_size=2))}))),
        "tools": maybe(st.dictionaries(st.sampled_from(TOOL_NAMES), maybe(tool_rules),
                                       max_size=3)),
    },
)))


# Well-formed policies (with x-* data), so that decisions are compared on many valid ones.
PATHS = st.sampled_from(["args.action", "args.a.b", "args.n", "args.0", "args.x:y", "args.a"])
valid_conditions = st.one_of(
    st.fixed_dictionaries({"path": PATHS, "op": st.sampled_from(["eq", "neq"]),
                           "value": json_values}),
    st.fixed_dictionaries({"path": PATHS, "op": st.sampled_from(["in", "not_in"]),
                           "value": st.lists(json_scalars, max_size=3)}),
    st.fixed_dictionaries({"path": PATHS, "op": st.sampled_from(["lt", "lte", "gt", "gte"]),
                           "value": st.one_of(st.integers(-5, 2000), st.floats(-10, 10))}),
    st.fixed_dictionaries({"path": PATHS, "op": st.just("exists"), "value": st.booleans()}),
    st.fixed_dictionaries({"path": PATHS, "op": st.just("regex"),
                           "value": st.sampled_from(["^del", "get|drop", "a:b", ""])}),
    st.fixed_dictionaries({"path": PATHS, "op": st.just("contains"), "value": json_scalars}),
)
valid_limits = st.fixed_dictionaries(
    {"counter": st.sampled_from(["c", "writes", "a:b"]),
     "window": st.sampled_from(["minute", "hour", "day"]),
     "max": st.one_of(st.integers(1, 4), st.sampled_from([1.0, 3.0]))},
    optional={"scope": st.sampled_from(["grant", "session", "global"]),
              "x-note": json_values},
)
valid_rules = st.fixed_dictionaries({}, optional={
    "action": st.sampled_from(["allow", "deny", "require_approval"]),
    "reason": st.text(max_size=5),
    "require": st.lists(valid_conditions, max_size=2),
    "deny_if": st.lists(valid_conditions, max_size=2),
    "require_approval_if": st.lists(valid_conditions, max_size=2),
    "limits": st.lists(valid_limits, max_size=2),
    "x-policytui": json_values,
})
valid_policies = st.fixed_dictionaries(
    {"version": st.just("1"), "default": st.sampled_from(["allow", "deny"])},
    optional={
        "$schema": st.just(SCHEMA_URL),
        "hide": st.lists(st.sampled_from(["a", "*", "b"]), max_size=2),
        "all_tools": st.fixed_dictionaries({}, optional={
            "limits": st.lists(valid_limits, max_size=2)}),
        "tools": st.dictionaries(st.sampled_from(TOOL_NAMES[:2] + TOOL_NAMES[3:]), valid_rules,
                                 max_size=3),
        "x-policytui": json_values,
    },
)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


DEEP = [
    {"version": "1", "default": "deny", "x-deep": nested(MAX_DEPTH - 2)},
    {"version": "1", "default": "deny", "x-deep": nested(MAX_DEPTH)},
    {"version": "1", "default": "deny", "x-deep": nested(MAX_DEPTH + 1)},
    {"version": "1", "default": "deny", "tools": {"a": {"deny_if": [
        {"path": "args.a", "op": "eq", "value": nested(MAX_DEPTH - 5)}]}}},
    {"version": "1", "default": "deny", "tools": {"a": {"deny_if": [
        {"path": "args.a", "op": "eq", "value": nested(MAX_DEPTH - 4)}]}}},
]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(policies, policies, valid_policies))
@example({"version": "1", "default": "deny", "schema_": "x"})
@example({"version": "1", "default": "deny", "tools": {"a": {"limits": [
    {"counter": "c", "window": "minute", "max": 1e300}]}}})
@example({"version": "1", "default": "deny", "tools": {"a": {"limits": [
    {"counter": "c", "window": "minute", "max": 10**30}]}}})
@example({"version": "1", "default": "deny", "hide": None})
@example({"version": "1", "default": "deny", "tools": {"a": {"require": [
    {"path": "args.a", "op": "exists", "value": None}]}}})
@example({"version": "1", "default": "deny", "tools": {"a": {"require": [
    {"path": "args.a", "op": "regex", "value": "("}]}}})
@example({"version": "1", "default": "deny", "tools": {"a": {"x-a": None}}})
def test_the_fast_check_accepts_exactly_what_the_model_accepts(document: Any) -> None:
    document = upgrade_document(document).document
    assert (accepts(document) is not None) == model_accepts(document), json.dumps(document)


@pytest.mark.parametrize("document", DEEP)
def test_the_fast_check_leaves_deep_documents_to_the_full_validator(document: Any) -> None:
    # Past the depth the validator allows, the fast check refuses and the full one explains;
    # below it, it agrees with the model.
    found = accepts(document)
    if found is not None:
        assert model_accepts(document)
    text = json.dumps(document)
    assert problems(validate_text(text, model=False)) == problems(validate_text(text))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_the_fast_path_reports_the_corpus_as_the_full_validator(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    fast, full = validate_text(text, model=False), validate_text(text)
    assert problems(fast) == problems(full)
    assert fast.ok == full.ok


# Text-level damage the document cannot carry: repeated keys, NaN, unpaired surrogates.
def _damaged(text: str, how: str) -> str:
    if how == "duplicate top key":
        return text.replace("{", '{"default": "allow", ', 1)
    if how == "duplicate nested key":
        return text.replace('"counter": ', '"counter": "dup", "counter": ', 1)
    if how == "duplicate x key":
        return text.replace('"x-note": ', '"x-note": 1, "x-note": ', 1)
    if how == "NaN":
        return text.replace('"max": ', '"max": NaN, "x-n": ', 1)
    if how == "surrogate":
        return text.replace('"reason": "', '"reason": "\\ud800', 1)
    if how == "escaped colon":
        return text.replace('"reason": "', '"reason": "\\u003a', 1)
    if how == "trailing comma":
        return text.replace("}", ",}", 1)
    return text


TEXT_DAMAGE = ["none", "none", "none", "duplicate top key", "duplicate nested key",
               "duplicate x key", "NaN", "surrogate", "escaped colon", "trailing comma"]

server_tools = [
    ToolInfo(name="a", input_schema={"type": "object", "properties": {
        "action": {"type": "string", "enum": ["get", "delete"]}, "n": {"type": "number"}}}),
    ToolInfo(name="c", input_schema={"type": "object", "properties": {"x": {}}}),
]


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(policies, valid_policies), st.sampled_from(TEXT_DAMAGE), st.sampled_from([None, 0, 2]), st.booleans())
def test_the_fast_path_reports_what_the_full_validator_reports(
    document: Any, damage: str, indent: int | None, with_tools: bool
) -> None:
    text = _damaged(json.dumps(document, indent=indent, ensure_ascii=False), damage)
    tools = server_tools if with_tools else None
    fast = validate_text(text, tools=tools, model=False)
    full = validate_text(text, tools=tools)
    assert problems(fast) == problems(full), text
    assert fast.ok == full.ok
    assert (fast.view is not None) == full.ok
    # Without warnings (what `check` asks for) the verdict and the errors stay the same.
    quiet = validate_text(text, tools=tools, model=False, warnings=False)
    assert problems(quiet)[0] == problems(full)[0]


call_args = st.one_of(
    st.just({}),
    st.fixed_dictionaries({}, optional={
        "action": st.sampled_from(["get", "delete", "drop", 1, None, ["get"], "a:b"]),
        "a": st.one_of(json_values, st.fixed_dictionaries({"b": json_values})),
        "n": st.one_of(st.integers(-10, 2000), st.floats(allow_nan=True), st.text(max_size=2)),
        "x:y": json_values,
    }),
)


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(valid_policies, valid_policies, policies), st.sampled_from(TOOL_NAMES + ["zz"]),
       call_args,
       st.sampled_from([None, Approval.APPROVED, Approval.REJECTED, Approval.TIMED_OUT]),
       st.integers(0, 3))
def test_check_decides_the_same_on_the_view_as_on_the_model(
    document: Any, tool: str, args: dict[str, Any], approval: Approval | None, used: int
) -> None:
    text = json.dumps(document, ensure_ascii=False)
    full = validate_text(text)
    assume(full.policy is not None)
    view = validate_text(text, model=False, warnings=False).view
    # The plain view, unless the text needs the full path (e.g. an escaped surrogate pair).
    assert isinstance(view, PolicyView) or (view is not None and "\\u" in text)
    counters = CounterStore()
    for name in ("c", "writes", "a:b"):
        for _ in range(used):
            for scope, scope_id in (("grant", "default"), ("session", "default"),
                                    ("global", "*")):
                for window in ("minute", "hour", "day"):
                    from policytui.decision.counters import CounterKey, window_start

                    counters.charge([CounterKey(name, scope, scope_id, window,
                                                window_start(window, 1000.0))])
    on_model = decide(full.policy, tool, args, counters, now=1000.0, approval=approval)
    on_view = decide(cast(Policy, view), tool, args, counters, now=1000.0, approval=approval)
    assert on_view == on_model


# ---- the commands as a user runs them -----------------------------------------------------


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    """The installed command, with Python's import log on stderr."""
    command = Path(sys.executable).parent / "policytui"
    return subprocess.run([sys.executable, "-X", "importtime", str(command), *argv],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def _imported(result: subprocess.CompletedProcess[str]) -> list[str]:
    heavy = ("pydantic", "pydantic_core", "jsonschema", "rich", "mcp", "textual")
    names = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
             if line.startswith("import time:")}
    return sorted(name for name in names if name.split(".")[0] in heavy)


def test_validate_and_check_of_a_valid_file_load_neither_pydantic_nor_jsonschema(
    tmp_path: Path,
) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({
        "version": "1", "default": "deny", "hide": ["gone"],
        "tools": {"manage_flow": {"deny_if": [{"path": "args.action", "op": "eq",
                                               "value": "delete"}],
                                  "limits": [{"counter": "w", "window": "minute", "max": 2}]},
                  "gone": {"action": "deny"}},
    }, indent=2))
    result = _run("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "hidden wins" in result.stdout and "(line 5, col 5)" in result.stdout
    assert _imported(result) == []
    result = _run("check", str(path), "manage_flow", "--args", '{"action": "delete"}')
    assert result.returncode == 1
    assert 'denied: denied because args.action eq "delete"' in result.stdout
    assert _imported(result) == []


def test_an_invalid_file_still_gets_every_message_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{\n  "version": "1",\n  "default": "deny",\n  "tools": {\n'
                    '    "a": {"limts": [], "deny_if": [{"path": "args.x", "op": "regex", '
                    '"value": "("}]}\n  }\n}\n')
    result = _run("validate", str(path))
    assert result.returncode == 1
    assert 'tools.a.limts: unknown key "limts" (did you mean "limits"?) (line 5, col 11)' \
        in result.stdout
    assert "tools.a.deny_if[0].value: regex \"(\" does not compile" in result.stdout
    result = _run("check", str(path), "a")
    assert result.returncode == 3
    assert "unknown key \"limts\"" in result.stdout
    assert "cannot decide calls against an invalid policy" in result.stdout


def test_a_pattern_a_caller_could_make_take_exponential_time_is_refused(tmp_path: Path) -> None:
    """`([a-z0-9]+/?)+` backtracks exponentially on "aaaa...!": one call's argument would hold
    the gateway. validate says so, and no front end loads the policy; a possessive inner repeat
    is the way out the message names."""
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"read_file": {
        "deny_if": [{"path": "args.path", "op": "regex", "value": "^([a-z0-9]+/?)+$"}]}}}))
    result = _run("validate", str(path))
    assert result.returncode == 1
    assert "repeats a group that holds a repeat of its own" in result.stdout
    assert "'[a-z]++'" in result.stdout
    gateway = _run("gateway", "--policy", str(path), "--", sys.executable, "-c", "pass")
    assert gateway.returncode != 0 and "is not a valid policy" in gateway.stderr
    assert "Traceback" not in gateway.stderr
    path.write_text(path.read_text().replace("+/?)+", "++/?)+"))
    assert _run("validate", str(path)).returncode == 0

