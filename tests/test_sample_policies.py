"""The sample policies stay valid, warning-free and sensible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policytui.decision import Approval, Outcome, decide
from policytui.policy.files import dumps_policy, load_policy
from policytui.policy.schema import SCHEMA_URL
from policytui.toolinfo import ServerListing

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_policies"
SERVERS = Path(__file__).parent / "fixtures" / "servers"


def server_tools(name: str) -> list:
    data = json.loads((SERVERS / f"{name}.json").read_text("utf-8"))
    return ServerListing.from_tool_dicts(data["tools"]).tools


TOOLS_FOR = {
    "kestra-recommended.json": "kestra-head-14fe3a3",
    "read-only.json": "server-filesystem",
}


def test_the_four_samples_exist() -> None:
    names = {p.name for p in SAMPLES.glob("*.json")}
    assert {"example.json", "kestra-recommended.json", "read-only.json",
            "lockdown.json"} <= names


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_sample_is_valid_without_warnings_and_canonical(path: Path) -> None:
    server = TOOLS_FOR.get(path.name)
    loaded = load_policy(path, tools=server_tools(server) if server else None)
    assert loaded.report.ok, [p.format() for p in loaded.report.errors]
    assert loaded.report.warnings == [], [p.format() for p in loaded.report.warnings]
    assert loaded.policy is not None
    assert dumps_policy(loaded.policy) == loaded.text


def test_example_is_the_documented_one() -> None:
    assert json.loads((SAMPLES / "example.json").read_text()) == {
        "version": "1", "default": "deny",
        "tools": {"manage_flow": {"limits": [{"counter": "manage_flow_rate", "window": "minute",
                                              "max": 30, "scope": "grant"}]}}}


def test_kestra_policy_covers_every_tool_and_guards_multi_action_tools() -> None:
    policy = load_policy(SAMPLES / "kestra-recommended.json").policy
    assert policy is not None and policy.schema_ == SCHEMA_URL
    groups = json.loads((SERVERS / "kestra-tool-groups.json").read_text())["tools"]
    assert set(policy.tools or {}) == {t["name"] for t in groups}
    for tool in groups:
        actions = tool["action_enum"]
        if not actions or tool["name"] == "get_instance_info":
            continue
        rule = policy.rule(tool["name"])
        assert rule is not None and rule.require, tool["name"]
        assert rule.require[0].path == "args.action"
        assert sorted(rule.require[0].value) == sorted(actions)
        for action in actions:
            d = decide(policy, tool["name"], {"action": action}, now=0)
            if action in ("get", "list", "list_revisions", "list_dependencies", "get_yaml",
                          "search"):
                assert d.allowed, (tool["name"], action)
            if action == "delete":
                assert d.outcome in (Outcome.NEEDS_APPROVAL, Outcome.DENIED), tool["name"]
                again = decide(policy, tool["name"], {"action": action}, now=0,
                               approval=Approval.REJECTED)
                assert not again.allowed
        # An action the server does not know, or none at all, is never allowed.
        assert not decide(policy, tool["name"], {"action": "drop_all"}, now=0).allowed
        assert not decide(policy, tool["name"], {}, now=0).allowed


def test_read_only_denies_every_write_and_secret_paths() -> None:
    policy = load_policy(SAMPLES / "read-only.json").policy
    assert policy is not None
    for tool in server_tools("server-filesystem"):
        d = decide(policy, tool.name, {"path": "/srv/data/report.txt"}, now=0)
        if tool.name == "read_multiple_files":  # its paths cannot be checked one by one
            assert not d.allowed
            continue
        assert d.allowed is bool(tool.annotations.get("readOnlyHint")), tool.name
    assert not decide(policy, "read_file", {"path": "/home/u/.ssh/id_rsa"}, now=0).allowed


def test_lockdown_hides_everything() -> None:
    policy = load_policy(SAMPLES / "lockdown.json").policy
    assert policy is not None
    for tool in server_tools("kestra-head-14fe3a3"):
        assert decide(policy, tool.name, {}, now=0).outcome is Outcome.HIDDEN
