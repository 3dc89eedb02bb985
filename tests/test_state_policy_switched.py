"""A policy path that is a symbolic link switched to another file while gateways run (a release
folder switched with `ln -sfn`, a Kubernetes ConfigMap's `..data`, a Nix profile): the
gateways given that path, started before the switch and after it, count in one budget.

Real `policytui gateway` processes over stdio, each with its own server-everything, share the
default state file, as the MCP client windows of one machine do.
"""

from __future__ import annotations

import json
import os
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from gateway_support import until
from state_support import cli, replica, write_policy

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]


def _echo_limited(release: str) -> dict[str, Any]:
    """`echo` limited to 4 calls a day for all callers together, as each release has it."""
    return {
        "version": "1",
        "default": "allow",
        "tools": {"echo": {"limits": [{"counter": "echo", "window": "day", "max": 4, "scope": "global"}]}},
        "x-release": release,
    }


def _switch(link: Path, target: Path) -> None:
    """Point `link` at `target` in one step, as `ln -sfn` with a rename does."""
    new = link.with_name(link.name + ".new")
    new.symlink_to(target)
    os.replace(new, link)


async def test_gateways_started_before_and_after_a_symlink_switch_share_one_budget(
    tmp_path: Path, everything: Path
) -> None:
    for release in ("a", "b"):
        (tmp_path / "releases" / release).mkdir(parents=True)
        write_policy(tmp_path / "releases" / release / "policy.json", _echo_limited(release))
    policy = tmp_path / "policy.json"
    policy.symlink_to(tmp_path / "releases" / "a" / "policy.json")
    state = tmp_path / "state"
    async with AsyncExitStack() as stack:
        first, first_run = await stack.enter_async_context(
            replica(tmp_path / "r1", policy, state, everything, "--reload-interval", "0.1"))
        before = [await first.call_tool("echo", {"message": f"before {i}"}) for i in range(2)]
        _switch(policy, tmp_path / "releases" / "b" / "policy.json")
        await until(lambda: "reloaded" in first_run.log.read_text(encoding="utf-8"), 20)
        second, _ = await stack.enter_async_context(replica(tmp_path / "r2", policy, state, everything))
        after = [await first.call_tool("echo", {"message": "after, first"})]
        after += [await second.call_tool("echo", {"message": f"after, second {i}"}) for i in range(3)]
    assert [r.is_error for r in before] == [False, False]
    # 2 calls before the switch and 2 after reach the limit of 4 of the file at that path.
    assert [r.is_error for r in after] == [False, False, True, True]
    # `policytui counters` given the path shows that one budget, used up.
    shown = cli("counters", "--json", "--state-dir", str(state), "--policy", str(policy))
    assert shown.returncode == 0, shown.stderr
    assert [(u["policy"], u["counter"], u["used"]) for u in json.loads(shown.stdout)] == [
        (str((tmp_path / "releases" / "b" / "policy.json").resolve()), "echo", 4)]
