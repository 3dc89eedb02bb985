"""EditorState: decisions, limits, conditions, undo, dirty tracking, drift and saving."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_server_fixture

from policytui.editor import (
    EditError,
    EditorState,
    RowFilter,
    make_condition,
    make_limit,
    parse_condition_value,
)
from policytui.policy.files import PolicyFileConflict
from policytui.toolinfo import ServerListing


def kestra() -> ServerListing:
    data = load_server_fixture("kestra-head-14fe3a3")
    return ServerListing.from_tool_dicts(data["tools"], server_name="kestra", transport="stdio")


@pytest.fixture
def state(tmp_path: Path) -> EditorState:
    return EditorState.open(kestra(), tmp_path / "policy.json")


def doc(state: EditorState) -> dict:
    return state.policy.to_document()


def test_new_policy_is_default_deny_and_clean(state: EditorState) -> None:
    assert doc(state) == {"version": "1", "default": "deny"}
    assert not state.dirty
    assert len(state.rows) == 39
    row = state.rows[state.row_indexes["manage_flow"][0]]
    assert (row.decision, row.explicit) == ("deny", False)
    assert row.category == "Destructive"


def test_allow_under_default_deny_adds_empty_rule(state: EditorState) -> None:
    state.set_decision(["list_flows_in_namespace"], "allow")
    assert doc(state)["tools"] == {"list_flows_in_namespace": {}}
    assert state.dirty
    row = state.rows[state.row_indexes["list_flows_in_namespace"][0]]
    assert (row.decision, row.explicit) == ("allow", True)


def test_allow_under_default_allow_needs_no_entry(state: EditorState) -> None:
    state.toggle_default()
    state.set_decision(["search_flows"], "allow")
    assert "tools" not in doc(state)


def test_deny_then_allow_keeps_limits(state: EditorState) -> None:
    state.add_limit("manage_flow", make_limit("manage_flow_rate", "minute", 30, "grant"))
    state.set_decision(["manage_flow"], "deny")
    assert doc(state)["tools"]["manage_flow"]["action"] == "deny"
    state.set_decision(["manage_flow"], "allow")
    assert doc(state)["tools"]["manage_flow"] == {
        "limits": [{"counter": "manage_flow_rate", "window": "minute", "max": 30, "scope": "grant"}]
    }


def test_hide_and_unhide(state: EditorState) -> None:
    state.set_decision(["delete_flow_logs"], "hide")
    assert doc(state)["hide"] == ["delete_flow_logs"]
    state.set_decision(["delete_flow_logs"], "approve")
    assert "hide" not in doc(state)
    assert doc(state)["tools"]["delete_flow_logs"] == {"action": "require_approval"}


def test_hide_star_blocks_per_tool_decisions(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"version": "1", "default": "deny", "hide": ["*"]}\n')
    state = EditorState.open(kestra(), path)
    with pytest.raises(EditError, match="hidden"):
        state.set_decision(["manage_flow"], "allow")
    assert doc(state) == {"version": "1", "default": "deny", "hide": ["*"]}
    assert not state.dirty


def test_bulk_deny_destructive_is_one_undo_step(state: EditorState) -> None:
    view = state.view(RowFilter(categories=frozenset({"Destructive"})))
    names = [state.rows[i].name for i in view]
    assert "manage_flow" in names and len(names) >= 3
    changed = state.set_decision(names, "deny")
    assert changed == len(names)
    assert all(doc(state)["tools"][n] == {"action": "deny"} for n in names)
    assert state.undo() is not None
    assert doc(state) == {"version": "1", "default": "deny"}
    assert not state.dirty
    state.redo()
    assert len(doc(state)["tools"]) == len(names)


def test_undo_restores_key_order_exactly(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    original = {
        "version": "1", "default": "deny",
        "tools": {"search_flows": {}, "manage_flow": {"reason": "x", "x-note": 1}, "find_flow": {}},
    }
    path.write_text(json.dumps(original))
    state = EditorState.open(kestra(), path)
    state.clear_rules(["manage_flow"])
    assert list(doc(state)["tools"]) == ["search_flows", "find_flow"]
    state.undo()
    assert doc(state) == original
    assert list(doc(state)["tools"]) == ["search_flows", "manage_flow", "find_flow"]
    assert not state.dirty


def test_approval_condition_from_schema_enum(state: EditorState) -> None:
    condition = make_condition("args.action", "eq", "delete")
    state.add_condition("manage_flow", "require_approval_if", condition)
    assert doc(state)["tools"]["manage_flow"] == {
        "require_approval_if": [{"path": "args.action", "op": "eq", "value": "delete"}]
    }
    row = state.rows[state.row_indexes["manage_flow"][0]]
    assert row.approval == 'if args.action eq "delete"'
    assert state.try_call("manage_flow", {"action": "delete"}).outcome.value == "needs_approval"
    assert state.try_call("manage_flow", {"action": "enable"}).outcome.value == "allowed"


def test_shared_limits_and_removal(state: EditorState) -> None:
    state.add_limit(None, make_limit("all_calls", "hour", "500"))
    assert doc(state)["all_tools"] == {"limits": [{"counter": "all_calls", "window": "hour", "max": 500}]}
    state.remove_limit(None, 0)
    assert "all_tools" not in doc(state)


@pytest.mark.parametrize(
    ("counter", "window", "max_calls", "message"),
    [("c", "minute", "0", "at least 1"), ("c", "minute", "ten", "whole number"), ("", "minute", 3, "counter")],
)
def test_bad_limits_are_one_sentence(counter: str, window: str, max_calls: object, message: str) -> None:
    with pytest.raises(EditError, match=message):
        make_limit(counter, window, max_calls)  # type: ignore[arg-type]


def test_condition_values_parse_per_op() -> None:
    assert parse_condition_value("a, b", "in") == ["a", "b"]
    assert parse_condition_value('["a", 1]', "not_in") == ["a", 1]
    assert parse_condition_value("10", "gt") == 10
    assert parse_condition_value("2.5", "lte") == 2.5
    assert parse_condition_value("false", "exists") is False
    assert parse_condition_value("5", "eq", "integer") == 5
    assert parse_condition_value("5", "eq", "string") == "5"
    with pytest.raises(EditError):
        parse_condition_value("many", "gt")
    with pytest.raises(EditError, match="compile"):
        make_condition("args.q", "regex", "(")


def test_failed_edit_changes_nothing(state: EditorState) -> None:
    state.set_decision(["search_flows"], "allow")
    before = doc(state)
    with pytest.raises(EditError):
        state.edit_rule("search_flows", reason=None, conditions={"bogus": []})
    assert doc(state) == before


def test_save_writes_fingerprints_and_becomes_clean(state: EditorState, tmp_path: Path) -> None:
    state.set_decision(["search_flows"], "allow")
    state.save()
    written = json.loads((tmp_path / "policy.json").read_text())
    assert written["tools"] == {"search_flows": {}}
    fingerprints = written["x-policytui"]["fingerprints"]
    assert fingerprints["search_flows"] == state.tools_by_name["search_flows"].fingerprint()
    assert len(fingerprints) == 39
    assert not state.dirty
    assert state.preview_text() == (tmp_path / "policy.json").read_text()
    assert state.diff_against((tmp_path / "policy.json").read_text()) == ""
    state.undo()
    assert state.dirty


def test_save_refuses_when_file_changed_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"version": "1", "default": "deny"}\n')
    state = EditorState.open(kestra(), path)
    path.write_text('{"version": "1", "default": "allow"}\n')
    state.toggle_default()
    with pytest.raises(PolicyFileConflict):
        state.save()
    assert json.loads(path.read_text())["default"] == "allow"
    state.save(force=True)
    assert json.loads(path.read_text())["default"] == "allow"  # our toggle made it allow too
    assert (tmp_path / "policy.json.bak").exists()


def test_invalid_file_is_never_replaced_without_consent(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    text = '{"version": "1", "default": "deny", "tools": {"x": {"limts": []}}}\n'
    path.write_text(text)
    state = EditorState.open(kestra(), path)
    assert state.load_problems and "limts" in " ".join(state.load_problems)
    assert state.needs_overwrite_consent
    state.set_decision(["search_flows"], "allow")
    with pytest.raises(EditError, match="invalid"):
        state.save()
    assert path.read_text() == text
    state.save(force=True)
    assert json.loads(path.read_text())["tools"] == {"search_flows": {}}
    assert not state.needs_overwrite_consent


def test_drift_new_changed_missing(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    first = kestra()
    state = EditorState.open(first, path)
    state.set_decision(["search_flows", "find_flow"], "allow")
    state.save()
    data = json.loads(path.read_text())
    data["tools"]["gone_tool"] = {"action": "deny"}
    data["x-policytui"]["fingerprints"]["gone_tool"] = "sha256:0"
    del data["x-policytui"]["fingerprints"]["manage_flow"]
    data["x-policytui"]["fingerprints"]["find_flow"] = "sha256:old"
    path.write_text(json.dumps(data))

    again = EditorState.open(kestra(), path)
    drift = {r.name: r.drift for r in again.rows if r.drift}
    assert drift == {"manage_flow": "new", "find_flow": "changed", "gone_tool": "missing"}
    assert again.view(RowFilter(drift_only=True)) == [
        again.row_indexes[n][0] for n in again.tool_names() + ["gone_tool"] if n in drift
    ]
    again.save()
    saved = json.loads(path.read_text())
    assert saved["tools"]["gone_tool"] == {"action": "deny"}  # kept, not dropped
    assert saved["x-policytui"]["fingerprints"]["gone_tool"] == "sha256:0"
    assert saved["x-policytui"]["fingerprints"]["find_flow"] == first.tool("find_flow").fingerprint()


def test_filter_and_sort(state: EditorState) -> None:
    names = lambda idx: [state.rows[i].name for i in idx]  # noqa: E731
    assert names(state.view(RowFilter(text="FLOW_LOGS"))) == ["delete_flow_logs"]
    state.set_decision(["search_flows"], "allow")
    assert names(state.view(RowFilter(decisions=frozenset({"allow"})))) == ["search_flows"]
    by_severity = state.view(RowFilter(), "severity", reverse=True)
    assert state.rows[by_severity[0]].severity == "Critical"
    assert names(state.view(RowFilter(), "name"))[0] == "add_execution_labels"


def test_preset_replaces_rules_and_keeps_metadata(state: EditorState) -> None:
    from policytui.risk.presets import PRESETS

    state.set_override("search_flows", "Destructive")
    state.apply_preset(PRESETS[0])
    document = doc(state)
    assert document["x-policytui"]["overrides"] == {"search_flows": "Destructive"}
    assert document.get("tools") or document.get("hide")
    state.undo()
    assert doc(state)["x-policytui"]["overrides"] == {"search_flows": "Destructive"}
    state.undo()
    assert "x-policytui" not in doc(state)
    assert state.classifications["search_flows"].category != "Destructive"


def test_history_is_bounded(tmp_path: Path) -> None:
    state = EditorState(kestra(), None, path=tmp_path / "p.json", history_limit=5)
    for _ in range(12):
        state.toggle_default()
    undone = 0
    while state.undo() is not None:
        undone += 1
    assert undone == 5


def test_duplicate_names_are_flagged(tmp_path: Path) -> None:
    tools = [
        {"name": "same", "inputSchema": {"type": "object"}},
        {"name": "same", "description": "other", "inputSchema": {"type": "object"}},
    ]
    state = EditorState.open(ServerListing.from_tool_dicts(tools), tmp_path / "p.json")
    assert len(state.rows) == 2 and all(r.duplicate for r in state.rows)
    state.set_decision(["same"], "deny")
    assert all(r.decision == "deny" for r in state.rows)


def test_hand_written_policy_flags_only_missing_tools(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"version": "1", "default": "deny", "tools": {"gone": {}, "find_flow": {}}}')
    state = EditorState.open(kestra(), path)
    assert {r.name: r.drift for r in state.rows if r.drift} == {"gone": "missing"}


def test_an_edit_reversed_by_hand_is_clean_again(state: EditorState) -> None:
    state.set_decision(["search_flows"], "allow")
    assert state.dirty
    state.clear_rules(["search_flows"])
    assert not state.dirty


def test_edits_while_saving_never_reach_the_file_being_written(state: EditorState, tmp_path: Path) -> None:
    state.set_decision(["search_flows"], "deny")
    pending = state.prepare_save()
    state.set_decision(["search_flows"], "allow")  # typed while the save runs in the background
    state.set_override("search_flows", "Destructive")
    result = state.write(pending)
    state.mark_saved(pending, result)
    written = (tmp_path / "policy.json").read_text()
    assert result.text == written
    document = json.loads(written)
    assert document["tools"] == {"search_flows": {"action": "deny"}}
    assert "overrides" not in document["x-policytui"]
    assert state.dirty  # the edits made while saving are still unsaved


def test_rules_made_by_a_bulk_edit_do_not_share_extension_data(state: EditorState) -> None:
    names = state.tool_names()
    state.set_decision(names, "allow")
    first, second = state.policy.rule(names[0]), state.policy.rule(names[1])
    assert first is not None and second is not None
    first.extensions["x-note"] = "only here"
    assert second.extensions == {}
    assert doc(state)["tools"][names[1]] == {}
    assert all(row.decision == "allow" and row.explicit for row in state.rows)
    state.undo()
    assert all(row.decision == "deny" and not row.explicit for row in state.rows)
