"""Presets turn classifications into valid policies whose decisions make sense call by call."""

from __future__ import annotations

import json

import pytest
from conftest import load_server_fixture

from policytui.decision import Approval, CounterStore, Outcome, decide
from policytui.policy.files import dumps_policy
from policytui.policy.model import Policy
from policytui.policy.validate import validate_policy, validate_text
from policytui.risk import classify_all
from policytui.risk.overrides import (
    override_problems,
    read_overrides,
    write_overrides,
)
from policytui.risk.presets import PRESETS, UnknownPreset, build_policy, counter_name
from policytui.toolinfo import ServerListing, ToolInfo

ALLOWED, DENIED, HIDDEN, APPROVAL = (Outcome.ALLOWED, Outcome.DENIED, Outcome.HIDDEN,
                                     Outcome.NEEDS_APPROVAL)
NOW = 1_800_000_000.0


@pytest.fixture(scope="module")
def kestra() -> ServerListing:
    return ServerListing.from_tool_dicts(load_server_fixture("kestra-head-14fe3a3")["tools"])


@pytest.fixture(scope="module")
def policies(kestra) -> dict[str, Policy]:
    return {name: build_policy(kestra, name) for name in PRESETS}


def outcome(policy: Policy, tool: str, args: dict | None = None) -> Outcome:
    return decide(policy, tool, args or {}, now=NOW).outcome


def test_preset_names():
    assert PRESETS == ("recommended", "read-only", "lockdown", "permissive-with-approval")
    with pytest.raises(UnknownPreset, match="choose one of recommended"):
        build_policy([], "yolo")


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_is_valid_without_warnings(kestra, policies, preset):
    policy = policies[preset]
    report = validate_policy(policy, tools=kestra.tools)
    assert report.ok and not report.warnings, [p.format() for p in report.errors + report.warnings]
    text = dumps_policy(policy)
    again = validate_text(text, tools=kestra.tools)
    assert again.ok and not again.warnings
    assert Policy.from_document(json.loads(text)).to_document() == policy.to_document()


@pytest.mark.parametrize("preset", PRESETS)
def test_presets_are_deterministic(kestra, preset):
    assert dumps_policy(build_policy(kestra, preset)) == dumps_policy(build_policy(kestra, preset))


# What each preset does with Kestra's tools, call by call.
RECOMMENDED_CASES = [
    ("list_namespaces", {}, ALLOWED),
    ("search_flows", {"query": "x"}, ALLOWED),
    ("execute_flow", {"namespace": "a", "flow_id": "b"}, ALLOWED),
    ("invite_user", {"email": "a@b"}, ALLOWED),
    ("delete_flow_logs", {}, HIDDEN),
    ("delete_execution_logs", {}, HIDDEN),
    ("create_flow_from_yaml", {"yaml_definition": "id: x"}, APPROVAL),  # create or update
    ("manage_flow", {"action": "get_yaml"}, ALLOWED),
    ("manage_flow", {"action": "list_revisions"}, ALLOWED),
    ("manage_flow", {"action": "enable"}, ALLOWED),
    ("manage_flow", {"action": "delete"}, APPROVAL),
    ("manage_flow", {"action": "drop_everything"}, DENIED),  # unknown action: fail closed
    ("manage_flow", {}, DENIED),  # no action named: the gateway cannot know the default
    ("manage_kv_store", {"action": "get"}, ALLOWED),
    ("manage_kv_store", {"action": "set"}, APPROVAL),
    ("manage_kv_store", {"action": "delete"}, APPROVAL),
    ("manage_executions", {"action": "kill"}, APPROVAL),
    ("manage_executions", {"action": "pause"}, ALLOWED),
    ("namespace_file_action", {"action": "search"}, ALLOWED),
    ("namespace_file_action", {"action": "move"}, APPROVAL),
    ("a_tool_added_later", {}, DENIED),
]


@pytest.mark.parametrize("tool,args,expected", RECOMMENDED_CASES)
def test_recommended_decisions(policies, tool, args, expected):
    assert outcome(policies["recommended"], tool, args) is expected


def test_recommended_rate_limits_per_category(policies):
    policy = policies["recommended"]
    limits = {name: rule.limits[0].max for name, rule in policy.tools.items() if rule.limits}
    assert limits["execute_flow"] == 10  # Execute
    assert limits["invite_user"] == 30  # Write
    assert limits["manage_flow"] == 30  # strictest of its rate-limited actions (enable: Write)
    assert limits["manage_tests"] == 10  # run: Execute
    assert "list_namespaces" not in limits  # Read: unlimited
    rule = policy.rule("execute_flow")
    assert rule.limits[0].to_document() == {"counter": "execute_flow_rate", "window": "minute",
                                            "max": 10, "scope": "grant"}
    assert counter_name("execute_flow") == "execute_flow_rate"


def test_recommended_limit_is_enforced_by_decide(policies):
    policy = policies["recommended"]
    counters = CounterStore()
    for _ in range(10):
        decision = decide(policy, "execute_flow", {}, counters, now=NOW)
        assert decision.outcome is ALLOWED
        counters.charge(decision.charges)
    eleventh = decide(policy, "execute_flow", {}, counters, now=NOW)
    assert eleventh.outcome is DENIED and "rate limit 10 per minute" in eleventh.reason


def test_recommended_approval_then_human_answer(policies):
    policy = policies["recommended"]
    args = {"action": "delete", "namespace": "n", "flow_id": "f"}
    assert decide(policy, "manage_flow", args, now=NOW,
                  approval=Approval.APPROVED).outcome is ALLOWED
    rejected = decide(policy, "manage_flow", args, now=NOW, approval=Approval.REJECTED)
    assert rejected.outcome is DENIED and "a human rejected" in rejected.reason


def test_recommended_unknown_action_names_the_allowed_ones(policies):
    decision = decide(policies["recommended"], "manage_flow", {"action": "nuke"}, now=NOW)
    assert decision.outcome is DENIED
    assert decision.agent_text().startswith(
        '[POLICY DENIED] required condition not met: args.action in ["enable", "disable", '
        '"list_revisions"')


READ_ONLY_CASES = [
    ("list_namespaces", {}, ALLOWED),
    ("get_execution_logs", {"execution_id": "x"}, ALLOWED),
    ("execute_flow", {}, DENIED),
    ("invite_user", {}, DENIED),
    ("delete_flow_logs", {}, DENIED),
    ("manage_flow", {"action": "get_yaml"}, ALLOWED),
    ("manage_flow", {"action": "enable"}, DENIED),
    ("manage_flow", {"action": "delete"}, DENIED),
    ("manage_kv_store", {"action": "list"}, ALLOWED),
    ("manage_kv_store", {"action": "set"}, DENIED),
    ("manage_tests", {"action": "run"}, DENIED),  # no read action at all
    ("a_tool_added_later", {}, DENIED),
]


@pytest.mark.parametrize("tool,args,expected", READ_ONLY_CASES)
def test_read_only_decisions(policies, tool, args, expected):
    assert outcome(policies["read-only"], tool, args) is expected


def test_read_only_restricts_multi_action_tools_with_require(policies):
    rule = policies["read-only"].rule("manage_flow")
    assert [c.to_document() for c in rule.require] == [
        {"path": "args.action", "op": "in",
         "value": ["list_revisions", "list_dependencies", "get_yaml"]}]
    assert policies["read-only"].rule("manage_tests") is None


@pytest.mark.parametrize("tool,expected", [
    ("list_namespaces", DENIED), ("execute_flow", DENIED), ("delete_flow_logs", HIDDEN),
    ("manage_flow", HIDDEN), ("invite_user", DENIED),
])
def test_lockdown_decisions(policies, tool, expected):
    assert outcome(policies["lockdown"], tool, {"action": "get_yaml"}) is expected


PERMISSIVE_CASES = [
    ("list_namespaces", {}, ALLOWED),
    ("invite_user", {}, ALLOWED),
    ("a_tool_added_later", {}, ALLOWED),
    ("execute_flow", {}, APPROVAL),
    ("delete_flow_logs", {}, APPROVAL),
    ("create_flow_from_yaml", {}, APPROVAL),
    ("manage_flow", {"action": "get_yaml"}, ALLOWED),
    ("manage_flow", {"action": "enable"}, ALLOWED),
    ("manage_flow", {"action": "delete"}, APPROVAL),
    ("manage_flow", {"action": "unknown"}, DENIED),
    ("manage_tests", {"action": "run"}, APPROVAL),
]


@pytest.mark.parametrize("tool,args,expected", PERMISSIVE_CASES)
def test_permissive_with_approval_decisions(policies, tool, args, expected):
    assert outcome(policies["permissive-with-approval"], tool, args) is expected


def test_every_kestra_tool_has_a_sensible_recommended_outcome(kestra, policies):
    """Reads pass, deletions vanish, nothing is silently allowed without a rule."""
    classes = classify_all(kestra.tools)
    policy = policies["recommended"]
    for t in kestra.tools:
        c = classes[t.name]
        args = {c.action_path.split(".")[1]: next(iter(c.actions))} if c.actions else {}
        got = outcome(policy, t.name, args)
        if c.category == "Read":
            assert got is ALLOWED, t.name
        elif c.category == "Destructive" and c.severity == "Critical" and not c.actions:
            assert got is HIDDEN, t.name
        else:
            assert got in (ALLOWED, APPROVAL), t.name
            assert policy.rule(t.name) is not None, t.name


# ----- other shapes -------------------------------------------------------------------------


def tools(*specs: tuple[str, dict]) -> list[ToolInfo]:
    return [ToolInfo(name=n, input_schema={"type": "object", "properties": p}) for n, p in specs]


def test_financial_and_code_running_tools():
    listing = tools(("create_payment", {"amount": {"type": "integer"}}),
                    ("run_shell", {"command": {"type": "string"}}),
                    ("frobnicate", {}))
    recommended = build_policy(listing, "recommended")
    assert outcome(recommended, "create_payment") is APPROVAL
    assert outcome(recommended, "run_shell") is APPROVAL  # arbitrary commands
    # Other: nothing tells what it does, so it fails closed to a human, rate-limited.
    assert outcome(recommended, "frobnicate") is APPROVAL
    assert recommended.rule("frobnicate").limits[0].max == 60
    permissive = build_policy(listing, "permissive-with-approval")
    assert outcome(permissive, "create_payment") is APPROVAL
    assert outcome(permissive, "frobnicate") is ALLOWED
    lockdown = build_policy(listing, "lockdown")
    assert lockdown.hide == ["create_payment"]


def test_overridden_multi_action_tool_is_treated_as_one_thing(kestra):
    classes = classify_all(kestra.tools, {"manage_flow": "Read"})
    policy = build_policy(kestra, "recommended", classes)
    assert policy.rule("manage_flow").to_document() == {}
    assert outcome(policy, "manage_flow", {"action": "delete"}) is ALLOWED


def test_duplicate_tool_names_get_one_rule():
    listing = tools(("delete_x", {}), ("delete_x", {}), ("list_x", {}), ("list_x", {}))
    policy = build_policy(listing, "recommended")
    assert policy.hide == ["delete_x"]
    assert list(policy.tools) == ["list_x"]


def test_a_tool_named_star_never_hides_everything():
    listing = [ToolInfo(name="*", annotations={"destructiveHint": True}),
               ToolInfo(name="list_x")]
    policy = build_policy(listing, "recommended")
    assert not policy.hide
    assert outcome(policy, "*") is DENIED
    assert outcome(policy, "list_x") is ALLOWED


def test_empty_server():
    assert build_policy([], "recommended").to_document() == {"version": "1", "default": "deny"}


# ----- overrides stored in the policy --------------------------------------------------------


def test_overrides_round_trip_and_strict_export_strips_them():
    policy = Policy.new()
    write_overrides(policy, {"manage_flow": "read", "delete_x": "Write"})
    doc = policy.to_document()
    assert doc["x-policytui"] == {"overrides": {"delete_x": "Write", "manage_flow": "Read"}}
    again = Policy.from_document(json.loads(dumps_policy(policy)))
    assert read_overrides(again) == {"delete_x": "Write", "manage_flow": "Read"}
    stripped = {k: v for k, v in doc.items() if not k.startswith("x-")}
    assert "x-policytui" not in json.dumps(stripped)


@pytest.mark.parametrize("fmt", ["policylayer", "intercept"])
def test_strict_exports_drop_the_overrides(kestra, fmt):
    from policytui.export import export_policy

    policy = build_policy(kestra, "recommended", classify_all(kestra.tools,
                                                              {"manage_flow": "Read"}))
    write_overrides(policy, {"manage_flow": "Read"})
    result = export_policy(policy, fmt)
    assert "x-policytui" not in result.text and "overrides" not in result.text


def test_overrides_keep_other_metadata_and_clear_cleanly():
    policy = Policy.from_document({"version": "1", "default": "deny",
                                   "x-policytui": {"fingerprints": {"a": "sha256:1"}}})
    write_overrides(policy, {"a": "Execute"})
    assert policy.extensions["x-policytui"]["fingerprints"] == {"a": "sha256:1"}
    write_overrides(policy, {})
    assert policy.extensions["x-policytui"] == {"fingerprints": {"a": "sha256:1"}}
    bare = Policy.new()
    write_overrides(bare, {"a": "Read"})
    write_overrides(bare, {})
    assert "x-policytui" not in bare.to_document()


def test_bad_overrides_are_refused_or_skipped():
    with pytest.raises(ValueError, match="'Scary' is not a risk category"):
        write_overrides(Policy.new(), {"a": "Scary"})
    policy = Policy.from_document({"version": "1", "default": "deny", "x-policytui": {
        "overrides": {"a": "Read", "b": "Scary", "c": 7}}})
    assert read_overrides(policy) == {"a": "Read"}
    assert len(override_problems(policy)) == 2
    weird = Policy.from_document({"version": "1", "default": "deny", "x-policytui": "oops"})
    assert read_overrides(weird) == {}
    assert override_problems(weird)
