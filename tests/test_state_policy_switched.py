"""A policy path that is a symbolic link switched to another file while gateways run (a release
folder switched with `ln -sfn`, a Kubernetes ConfigMap's `..data`, a Nix profile): the
gateways given that path, started before the switch and after it, count in one budget.

Real `policytui gateway` processes over stdio, each in front of its own recording server (which
writes every call it runs), share one state folder, as the MCP client windows of one machine
do; judged by what the clients were answered, what the servers ran and the audit logs.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from gateway_support import until
from state_support import cli, executed_namespaces, flow_calls, recorded_gateway, write_policy

pytestmark = pytest.mark.usefixtures("one_window")


def _echo_limited(release: str) -> dict[str, Any]:
    """`list_flows` limited to 4 calls a day for all callers together, as each release has it."""
    return {
        "version": "1",
        "default": "allow",
        "tools": {"list_flows": {"limits": [{"counter": "flows", "window": "day", "max": 4, "scope": "global"}]}},
        "x-release": release,
    }


def _switch(link: Path, target: Path) -> None:
    """Point `link` at `target` in one step, as `ln -sfn` with a rename does."""
    new = link.with_name(link.name + ".new")
    new.symlink_to(target)
    os.replace(new, link)


async def test_gateways_started_before_and_after_a_symlink_switch_share_one_budget(tmp_path: Path) -> None:
    for release in ("a", "b"):
        (tmp_path / "releases" / release).mkdir(parents=True)
        write_policy(tmp_path / "releases" / release / "policy.json", _echo_limited(release))
    policy = tmp_path / "policy.json"
    policy.symlink_to(tmp_path / "releases" / "a" / "policy.json")
    state, executed = tmp_path / "state", tmp_path / "executed.jsonl"
    first_log = tmp_path / "r1" / "gateway.log"
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(recorded_gateway(
            tmp_path / "r1", policy, executed, "--state-dir", str(state), "--reload-interval", "0.1"))
        before = await flow_calls(first, "before", 2)
        _switch(policy, tmp_path / "releases" / "b" / "policy.json")
        await until(lambda: "reloaded" in first_log.read_text(encoding="utf-8"), 20)
        second = await stack.enter_async_context(
            recorded_gateway(tmp_path / "r2", policy, executed, "--state-dir", str(state)))
        after = await flow_calls(first, "first", 1) + await flow_calls(second, "second", 3)
    assert before == ["allowed", "allowed"]
    # 2 calls before the switch and 2 after reach the limit of 4 of the file at that path.
    assert after[:2] == ["allowed", "allowed"]
    assert [text.startswith("[POLICY DENIED] rate limit 4 per day reached") for text in after[2:]] == [True, True], after
    # From the servers' side: exactly the 4 allowed calls ran.
    assert executed_namespaces(executed) == ["before0", "before1", "first0", "second0"]
    # Each call is audited, under the hash of the file that decided it.
    sha = {release: hashlib.sha256((tmp_path / "releases" / release / "policy.json").read_bytes()).hexdigest()
           for release in ("a", "b")}
    audited = [(line["decision"], line["policy_sha256"])
               for run in ("r1", "r2") for line in outcome_lines(tmp_path / run / "audit.jsonl")
               if line["tool"] == "list_flows"]
    assert audited == [("allowed", sha["a"]), ("allowed", sha["a"]), ("allowed", sha["b"]),
                       ("allowed", sha["b"]), ("denied", sha["b"]), ("denied", sha["b"])]
    # `policytui counters` given the path shows that one budget, used up.
    shown = cli("counters", "--json", "--state-dir", str(state), "--policy", str(policy))
    assert shown.returncode == 0, shown.stderr
    assert [(u["policy"], u["counter"], u["used"]) for u in json.loads(shown.stdout)] == [
        (str((tmp_path / "releases" / "b" / "policy.json").resolve()), "flows", 4)]
