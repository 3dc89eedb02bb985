"""Validation messages a person can act on: path, line, column and one sentence per problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policytui.policy.jsonpos import scan
from policytui.policy.model import Policy
from policytui.policy.validate import Problem, format_path, validate_policy, validate_text
from policytui.toolinfo import ToolInfo

FIXTURES = Path(__file__).parent / "fixtures"


def messages(text: str, **kw: object) -> list[str]:
    report = validate_text(text, **kw)  # type: ignore[arg-type]
    return [p.format() for p in report.errors]


def warnings(text: str, **kw: object) -> list[str]:
    report = validate_text(text, **kw)  # type: ignore[arg-type]
    assert report.ok, [p.format() for p in report.errors]
    return [p.format() for p in report.warnings]


def test_the_documented_example_message() -> None:
    text = (
        '{\n  "version": "1",\n  "default": "deny",\n  "tools": {\n    "manage_flow": {\n'
        '      "limits": [\n        {"counter": "c", "window": "minutes", "max": 3}\n'
        "      ]\n    }\n  }\n}\n"
    )
    assert messages(text) == [
        'tools.manage_flow.limits[0].window: "minutes" is not one of minute, hour, day '
        "(line 7, col 36)"
    ]


def test_all_problems_are_reported_at_once_in_document_order() -> None:
    text = json.dumps({
        "version": "2", "default": "maybe", "limts": [],
        "tools": {"a": {"action": "block", "limits": [{"counter": "", "window": "x", "max": 0}]}},
    }, indent=1)
    found = messages(text)
    paths = [m.split(":")[0] for m in found]
    assert paths == ["version", "default", "limts", "tools.a.action",
                     "tools.a.limits[0].counter", "tools.a.limits[0].window",
                     "tools.a.limits[0].max"]
    lines = [int(m.rsplit("(line ", 1)[1].split(",")[0]) for m in found]
    assert lines == sorted(lines)


def test_unknown_key_points_at_the_key_and_suggests_the_fix() -> None:
    text = '{"version": "1", "default": "deny",\n "tools": {"t": {"limts": []}}}'
    (message,) = messages(text)
    assert message == 'tools.t.limts: unknown key "limts" (did you mean "limits"?) (line 2, col 18)'


def test_no_duplicate_messages_from_conditional_subschemas() -> None:
    text = json.dumps({"version": "1", "default": "deny", "tools": {"t": {"deny_if": [
        {"path": "args.a", "op": "regex", "value": "("}]}}})
    (message,) = messages(text)
    assert 'regex "(" does not compile' in message
    assert message.startswith("tools.t.deny_if[0].value:")


def test_json_syntax_error_has_line_and_column() -> None:
    (message,) = messages('{\n  "version": "1",\n  "default": "deny",\n}\n')
    assert message.startswith("invalid JSON: expected a key in double quotes")
    assert "trailing comma" in message
    assert message.endswith("(line 4, col 1)")


def test_duplicate_keys_are_errors_pointing_at_the_second() -> None:
    text = '{"version": "1",\n "default": "deny",\n "default": "allow"}'
    report = validate_text(text)
    assert report.policy is None
    (problem,) = report.errors
    assert (problem.path, problem.line, problem.col) == ("default", 3, 2)
    assert "first at line 2, col 2" in problem.message


def test_regex_that_does_not_compile_is_an_error() -> None:
    text = json.dumps({"version": "1", "default": "deny", "tools": {"t": {"require": [
        {"path": "args.a", "op": "regex", "value": "[a-"}]}}})
    assert any("does not compile" in m for m in messages(text))


def test_legacy_rate_limit_is_rewritten_with_a_warning() -> None:
    text = json.dumps({"version": "1", "default": "deny", "tools": {"manage_flow": {
        "reason": "r", "rate_limit": {"max": 10, "window": 3600}}}})
    report = validate_text(text)
    assert report.ok
    (warning,) = report.warnings
    assert warning.path == "tools.manage_flow.rate_limit"
    assert "rewritten" in warning.message
    assert report.policy is not None
    assert report.policy.to_document()["tools"]["manage_flow"] == {
        "reason": "r",
        "limits": [{"counter": "manage_flow_rate", "window": "hour", "max": 10}],
    }


@pytest.mark.parametrize("seconds,window", [(60, "minute"), (3600, "hour"), (86400, "day")])
def test_legacy_windows(seconds: int, window: str) -> None:
    text = json.dumps({"version": "1", "default": "deny", "tools": {"t": {
        "limits": [{"counter": "x", "window": "day", "max": 1}],
        "rate_limit": {"max": 2, "window": seconds}}}})
    policy = validate_text(text).policy
    assert policy is not None
    limits = policy.to_document()["tools"]["t"]["limits"]
    assert limits[1] == {"counter": "t_rate", "window": window, "max": 2}


def test_legacy_rate_limit_with_an_odd_window_is_an_error() -> None:
    text = json.dumps({"version": "1", "default": "deny", "tools": {"t": {
        "rate_limit": {"max": 2, "window": 120}}}})
    (message,) = messages(text)
    assert message.startswith("tools.t.rate_limit.window: 120 is not a legacy window")


def test_semantic_warnings() -> None:
    text = json.dumps({
        "version": "1", "default": "deny", "hide": ["h", "e"],
        "tools": {
            "h": {"reason": "read-only mirror"},
            "e": {},
            "d": {"action": "deny", "limits": [{"counter": "w", "window": "minute", "max": 1}]},
            "a": {"limits": [{"counter": "w", "window": "hour", "max": 1, "scope": "global"}]},
        },
    }, indent=1)
    found = warnings(text)
    assert any(m.startswith('hide[0]: "h" is hidden and also has a rule') for m in found)
    # An empty rule ({}: allowed) loses nothing while hidden; unhiding brings it back.
    assert not any(m.startswith("hide[1]") for m in found), found
    assert any(m.startswith("tools.d.limits: the tool is denied") for m in found)
    assert any(m.startswith('tools.a.limits[0].window: counter "w" is counted per minute')
               for m in found)
    assert any(m.startswith('tools.a.limits[0].scope: counter "w" has scope grant')
               for m in found)


def test_rule_under_hide_star_warns() -> None:
    text = json.dumps({"version": "1", "default": "deny", "hide": ["*"], "tools": {"t": {}}})
    (message,) = warnings(text)
    assert message.startswith('tools.t: hide lists "*"')


def test_tools_the_server_does_not_have() -> None:
    tools = [ToolInfo(name="manage_flow", input_schema={"type": "object", "properties": {
        "action": {"anyOf": [{"enum": ["get", "delete"]}, {"type": "null"}]}}})]
    text = json.dumps({"version": "1", "default": "deny", "hide": ["ghost"], "tools": {
        "manage_flwo": {},
        "manage_flow": {"deny_if": [{"path": "args.action", "op": "eq", "value": "delet"},
                                    {"path": "args.acton", "op": "exists", "value": True}]},
    }})
    found = warnings(text, tools=tools)
    assert any('hide[0]: the server has no tool "ghost"' in m for m in found)
    assert any('tools.manage_flwo: the server has no tool "manage_flwo" (did you mean '
               '"manage_flow"?)' in m for m in found)
    assert any('"delet" is not a value "action" takes' in m for m in found)
    assert any('has no argument "acton"' in m for m in found)
    assert warnings(text) == []  # without a tool list, none of these apply


def test_validate_policy_works_on_a_model_without_positions() -> None:
    policy = Policy.from_document({"version": "1", "default": "deny", "hide": ["a"],
                                   "tools": {"a": {"action": "deny"}}})
    report = validate_policy(policy)
    assert report.ok and report.policy is policy
    (warning,) = report.warnings
    assert (warning.line, warning.col) == (None, None)
    assert warning.format() == warning.path + ": " + warning.message


def test_format_escapes_terminal_control_characters() -> None:
    problem = Problem('tools["a\x1b[31m"]', "bad \x9b thing", 1, 2)
    shown = problem.format()
    assert "\x1b" not in shown and "\x9b" not in shown
    assert "\\x1b" in shown


def test_format_path_quotes_odd_names() -> None:
    assert format_path(("tools", "manage_flow", "limits", 0, "window")) == (
        "tools.manage_flow.limits[0].window")
    assert format_path(("tools", "a.b")) == 'tools["a.b"]'
    assert format_path(()) == ""


def test_every_bad_corpus_file_gives_clear_errors() -> None:
    for path in sorted((FIXTURES / "policies" / "bad").glob("*.json")):
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue  # the file layer reports these (see test_policy_files)
        report = validate_text(text)
        assert not report.ok, path.name
        assert report.policy is None
        for problem in report.errors:
            assert problem.line is not None, (path.name, problem)
            assert "\n" not in problem.format()


def test_every_good_corpus_file_is_valid() -> None:
    for path in sorted((FIXTURES / "policies" / "good").glob("*.json")):
        report = validate_text(path.read_text("utf-8"))
        assert report.ok, (path.name, [p.format() for p in report.errors])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[]",: \n\t0123456789.-eEtruefalsnNaIy\\\x00é', max_size=40))
def test_any_text_gives_a_report_never_an_exception(text: str) -> None:
    report = validate_text(text)
    assert report.ok == (report.policy is not None)
    for problem in report.errors:
        assert problem.format()


@settings(max_examples=150, deadline=None)
@given(st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=12,
))
def test_scanner_finds_every_value_at_its_real_offset(document: object) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    positions = scan(text)
    lines = text.split("\n")

    def walk(node: object, location: tuple) -> None:
        line, col = positions.values[location]
        rest = lines[line - 1][col - 1 :]
        assert json.JSONDecoder().raw_decode(rest + "\n".join([""] + lines[line:]))[0] == node
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, location + (key,))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, location + (i,))

    walk(document, ())


@settings(max_examples=150, deadline=None)
@given(st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=12,
), st.booleans())
def test_on_demand_locator_agrees_with_the_full_scan(document: object, compact: bool) -> None:
    from policytui.policy.jsonpos import Locator

    text = json.dumps(document, indent=None if compact else 2, ensure_ascii=False)
    full = scan(text)
    locator = Locator(text)
    for location, position in full.values.items():
        assert locator.of(location) == position
    for location, position in full.keys.items():
        assert locator.of(location, key=True) == position
    # A location that is not there falls back to its nearest parent: here, the root.
    assert locator.of(("\x00not-a-key",)) == full.values[()]


@pytest.mark.parametrize("pattern,refused", [
    ("^([a-z0-9]+/?)+$", True),
    ("(a*)*", True),
    ("(\\w+\\.)+\\w+", True),
    ("(?:\\s*,\\s*)*", True),
    ("(\\w++\\.)+\\w+", False),  # possessive: gives nothing back
    ("(?>[a-z]+/?)+", False),  # atomic
    ("^([a-z0-9]++/?)+$", False),  # "/?" splits no text two ways
    ("(\\d{3}-)+", False),  # a fixed count is no choice
    ("^/srv/[a-z]+$", False),
    ("^(prod|staging)-\\d+$", False),
])
def test_a_repeat_inside_a_repeat_is_an_error(pattern: str, refused: bool) -> None:
    text = json.dumps({"version": "1", "default": "deny", "tools": {"t": {"deny_if": [
        {"path": "args.a", "op": "regex", "value": pattern}]}}})
    found = [m for m in messages(text) if "exponential time" in m]
    assert bool(found) is refused, (pattern, found)

