"""A shared SQLite state file overwritten in place while real gateways count in it: an older
copy of it, an empty SQLite file, or nothing at all copied over it (`cp old.sqlite
state.sqlite`, `: > state.sqlite`), which keeps the file's device and inode.

Each gateway is what an MCP client window starts: the SDK's client, `policytui gateway` over
stdio and its own recording server (tests/servers/recording/flows_server.py, which writes
every call it runs). Before, an older copy started each limit over (18 calls ran for a limit
of 12), and an empty file left the gateways denying every limited call until restarted. Now
every gateway sees the file go back, says so, and counts again what it had counted, the idle
one within a second; the limit holds, counted from the server's side and in the audit logs.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
from audit_support import outcome_lines
from state_support import (
    cli,
    executed_namespaces,
    flow_calls,
    recorded_gateway,
    until_checkpointed,
    write_policy,
)

pytestmark = pytest.mark.usefixtures("one_window")

LIMIT = 12
POLICY: dict[str, Any] = {
    "version": "1", "default": "allow",
    "tools": {"list_flows": {"limits": [{"counter": "flows", "window": "day", "max": LIMIT, "scope": "global"}]}},
}
# Calls made before the overwrite: the copy is taken after the first.
BEFORE = 7


def _overwrite(how: str, state: Path, copy: Path) -> None:
    """Copy something over the state file in place, as `cp` does (open with O_TRUNC, write)."""
    if how == "an older copy":
        shutil.copyfile(copy, state)
    elif how == "an empty SQLite file":
        empty = state.parent.parent / "empty.sqlite"
        db = sqlite3.connect(empty)
        db.execute("CREATE TABLE notes (text TEXT)")
        db.close()
        shutil.copyfile(empty, state)
    else:
        os.truncate(state, 0)


@pytest.mark.parametrize("how", ["an older copy", "an empty SQLite file", "nothing"])
async def test_a_state_file_overwritten_in_place_under_running_gateways_does_not_start_a_limit_over(
    how: str, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path / "policy.json", POLICY)
    state, executed, copy = tmp_path / "shared" / "state.sqlite", tmp_path / "executed.jsonl", tmp_path / "old.sqlite"
    folders = [tmp_path / name for name in ("a", "b")]
    answers: list[str] = []
    async with AsyncExitStack() as stack:
        a, b = [await stack.enter_async_context(
            recorded_gateway(f, policy, executed, "--state", f"sqlite://{state}")) for f in folders]
        answers += await flow_calls(a, "a", 1)
        await until_checkpointed(state, 1)  # a checkpoint (each second) puts it in the file itself
        shutil.copyfile(state, copy)  # a backup, taken while the gateways run: it holds that call
        answers += await flow_calls(a, "a", 2) + await flow_calls(b, "b", BEFORE - 3)
        await until_checkpointed(state, BEFORE)  # the file itself holds all of them
        _overwrite(how, state, copy)
        # Both gateways idle: each sees the file go back within a second, by itself.
        await anyio.sleep(2.5)
        for client, tag in ((a, "a-after"), (b, "b-after"), (a, "a-last")):
            answers += await flow_calls(client, tag, LIMIT)

    # An older copy holds a's first call: seen going back, each gateway adds back all it
    # counted, so that call counts twice (11 allowed: strict). Or SQLite never reads the copy:
    # while the log still holds the counter's newer page, reads and the next checkpoint take
    # that page over the copy's, and nothing went back (12). Never more.
    allowed = answers.count("allowed")
    went_back = how != "an older copy" or allowed == LIMIT - 1
    expected = LIMIT if how != "an older copy" else allowed
    assert allowed in (LIMIT - 1, LIMIT) and allowed == expected, f"{allowed} calls allowed of a limit of {LIMIT}: {answers}"
    refused = {text for text in answers if text != "allowed"}
    assert all(text.startswith(f"[POLICY DENIED] rate limit {LIMIT} per day reached") for text in refused), refused
    assert len(executed_namespaces(executed)) == allowed
    audited = [line for f in folders for line in outcome_lines(f / "audit.jsonl") if line["tool"] == "list_flows"]
    assert len(audited) == len(answers)
    assert sum(line["decision"] == "allowed" for line in audited) == allowed
    shown = cli("counters", "--json", "--state", f"sqlite://{state}")
    assert shown.returncode == 0, shown.stderr
    logs = [(f / "gateway.log").read_text(encoding="utf-8") for f in folders]
    if went_back:
        # Each gateway says, in one line, that its calls are counted again.
        assert "the 3 calls this gateway counted in the current windows are counted again" in logs[0], logs[0]
        counted = f"the {BEFORE - 3} calls this gateway counted in the current windows are counted again"
        assert counted in logs[1], logs[1]
        went = "was overwritten while in use" if how != "an older copy" else "went back to older contents while in use"
        assert any(f"the state file {state} {went}" in log for log in logs), logs
    for f in folders:
        assert "Traceback" not in (f / "gateway.log").read_text(encoding="utf-8") + (f / "stderr.txt").read_text(
            encoding="utf-8")
