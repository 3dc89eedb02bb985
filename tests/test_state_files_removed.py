"""A shared SQLite state file, its write-ahead log or its index removed while real gateways
count in it (a clean-up of the folder, `rm state.sqlite*`, the folder removed).

Each gateway is what an MCP client window starts: the SDK's client, `policytui gateway` over
stdio and its own recording server (tests/servers/recording/flows_server.py, which writes
every call it runs). Two gateways run when the files go; a third starts afterwards on the
path. However the files went, the three together allow exactly the limit: none counts on alone
in files the others no longer see, and none starts the budget over.
"""

from __future__ import annotations

import json
import shutil
import sys
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
from audit_support import outcome_lines
from mcp import Client
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


def _gateway(folder: Path, policy: Path, state: Path, executed: Path) -> AbstractAsyncContextManager[Client]:
    return recorded_gateway(folder, policy, executed, "--state", f"sqlite://{state}")


def _remove(how: str, state: Path) -> None:
    wal, shm = Path(f"{state}-wal"), Path(f"{state}-shm")
    assert state.exists() and wal.exists() and shm.exists()
    if how == "log and index":
        wal.unlink()
        shm.unlink()
    elif how == "index":
        shm.unlink()
    elif how == "log":
        wal.unlink()
    elif how == "file":
        state.unlink()  # as `rm state.sqlite` does: its log and index stay
    elif how == "folder":
        shutil.rmtree(state.parent)


@pytest.mark.parametrize("how", ["log and index", "index", "log", "file", "folder"])
async def test_files_removed_under_running_gateways_still_allow_exactly_the_limit(
    how: str, tmp_path: Path
) -> None:
    doc: dict[str, Any] = {
        "version": "1", "default": "allow",
        "tools": {"list_flows": {"limits": [{"counter": "flows", "window": "day", "max": LIMIT, "scope": "global"}]}},
    }
    policy = write_policy(tmp_path / "policy.json", doc)
    state, executed = tmp_path / "shared" / "state.sqlite", tmp_path / "executed.jsonl"
    folders = [tmp_path / name for name in ("a", "b", "c")]
    answers: list[str] = []
    async with AsyncExitStack() as stack:
        a, b = [await stack.enter_async_context(_gateway(f, policy, state, executed)) for f in folders[:2]]
        answers += await flow_calls(a, "a", 2) + await flow_calls(b, "b", 2)
        # A checkpoint (each second) moves those counts into the file itself: a log or index
        # removed now leaves them both in the file and in the old log.
        await until_checkpointed(state, 4)
        _remove(how, state)
        answers += await flow_calls(a, "a-after", 1) + await flow_calls(b, "b-after", 1)
        # Another gateway starts on the path, and all three call until the limit is reached.
        c = await stack.enter_async_context(_gateway(folders[2], policy, state, executed))
        for client, tag in ((c, "c"), (a, "a-last"), (b, "b-last"), (c, "c-last")):
            answers += await flow_calls(client, tag, LIMIT)

    allowed = answers.count("allowed")
    refused = [text for text in answers if text != "allowed"]
    assert allowed == LIMIT, f"{allowed} calls allowed of a limit of {LIMIT}"
    assert all(text.startswith(f"[POLICY DENIED] rate limit {LIMIT} per day reached") for text in refused), set(refused)
    ran = executed.read_text(encoding="utf-8").splitlines()
    assert len(ran) == LIMIT
    audited = [line for f in folders for line in outcome_lines(f / "audit.jsonl") if line["tool"] == "list_flows"]
    assert len(audited) == len(answers)
    assert sum(line["decision"] == "allowed" for line in audited) == LIMIT
    shown = cli("counters", "--json", "--state", f"sqlite://{state}")
    assert shown.returncode == 0, shown.stderr
    assert [u["used"] for u in json.loads(shown.stdout)] == [LIMIT]
    # The gateways that had the files open say what happened, once.
    logs = "".join((f / "gateway.log").read_text(encoding="utf-8") for f in folders[:2])
    assert "while in use; opening it again" in logs


@pytest.mark.parametrize("cut_to", [0, 100])
async def test_an_index_cut_short_under_running_gateways_is_mended_not_a_crash(cut_to: int, tmp_path: Path) -> None:
    """`state.sqlite-shm` truncated while gateways have it mapped: the next read past its new
    end (a call, or the checkpoint each second) killed them with SIGBUS. They find it cut short
    first, mend it and go on; the counts are kept (SQLite rebuilds the index from the log)."""
    doc: dict[str, Any] = {
        "version": "1", "default": "allow",
        "tools": {"list_flows": {"limits": [{"counter": "flows", "window": "day", "max": LIMIT, "scope": "global"}]}},
    }
    policy = write_policy(tmp_path / "policy.json", doc)
    state, executed = tmp_path / "shared" / "state.sqlite", tmp_path / "executed.jsonl"
    folders = [tmp_path / name for name in ("a", "b", "c")]
    answers: list[str] = []
    async with AsyncExitStack() as stack:
        a, b = [await stack.enter_async_context(_gateway(f, policy, state, executed)) for f in folders[:2]]
        answers += await flow_calls(a, "a", 2) + await flow_calls(b, "b", 2)
        Path(f"{state}-shm").write_bytes(Path(f"{state}-shm").read_bytes()[:cut_to])
        await anyio.sleep(2.5)  # each gateway's checkpoint comes round meanwhile
        answers += await flow_calls(a, "a-after", 1)
        Path(f"{state}-shm").write_bytes(Path(f"{state}-shm").read_bytes()[:cut_to])
        # Cut again: a gateway starting now finds it so, before SQLite makes it long enough.
        c = await stack.enter_async_context(_gateway(folders[2], policy, state, executed))
        for client, tag in ((b, "b-after"), (c, "c"), (a, "a-last")):
            answers += await flow_calls(client, tag, LIMIT)

    assert answers.count("allowed") == LIMIT
    assert len(executed.read_text(encoding="utf-8").splitlines()) == LIMIT
    audited = [line for f in folders for line in outcome_lines(f / "audit.jsonl") if line["tool"] == "list_flows"]
    assert len(audited) == len(answers) and sum(line["decision"] == "allowed" for line in audited) == LIMIT
    assert "was cut short while in use; mending it" in (folders[0] / "gateway.log").read_text(encoding="utf-8")


def _chattr(flag: str, path: Path) -> bool:
    """`chattr FLAG PATH`; False where the file system (or the user) cannot set attributes."""
    import subprocess

    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    return subprocess.run([chattr, flag, str(path)], capture_output=True, check=False).returncode == 0


async def test_an_index_made_immutable_under_running_gateways_denies_limited_calls_until_it_is_writable(
    tmp_path: Path,
) -> None:
    """`chattr +i state.sqlite-shm` (read-only even for root): SQLite's next write to its mapping
    killed each gateway with SIGBUS. Limited calls are denied instead, with the reason, and
    counted again once the attribute is cleared; a command started meanwhile says why."""
    doc: dict[str, Any] = {
        "version": "1", "default": "allow",
        "tools": {"list_flows": {"limits": [{"counter": "flows", "window": "day", "max": LIMIT, "scope": "global"}]}},
    }
    policy = write_policy(tmp_path / "policy.json", doc)
    state, executed = tmp_path / "shared" / "state.sqlite", tmp_path / "executed.jsonl"
    shm = Path(f"{state}-shm")
    folders = [tmp_path / name for name in ("a", "b")]
    answers: list[str] = []
    async with AsyncExitStack() as stack:
        a, b = [await stack.enter_async_context(_gateway(f, policy, state, executed)) for f in folders]
        answers += await flow_calls(a, "a", 2) + await flow_calls(b, "b", 2)
        # Each gateway's checkpoint (each second) moves those counts into the file, and then
        # leaves the index alone while nothing is counted. The attribute is set once they have:
        # set while a checkpoint is under way, between its check of the attribute and its
        # write, it kills that gateway all the same (a window of a millisecond or so that no
        # check can close; SQLite writes its index through a mapping).
        await anyio.sleep(2.5)
        if not _chattr("+i", shm):
            pytest.skip("chattr +i cannot be set here (needs root and a file system with attributes)")
        try:
            during = await flow_calls(a, "a-during", 2) + await flow_calls(b, "b-during", 2)
            shown = cli("counters", "--state", f"sqlite://{state}")
        finally:
            _chattr("-i", shm)
        for client, tag in ((a, "a-after"), (b, "b-after")):
            answers += await flow_calls(client, tag, LIMIT)

    assert during and during == ["[POLICY DENIED] rate-limit state unavailable; retry shortly"] * 4
    assert shown.returncode == 1
    assert shown.stderr.strip() == (
        f"policytui counters: the state file's shared-memory index {shm} cannot be written "
        "(its immutable or append-only attribute is set)")
    assert answers.count("allowed") == LIMIT
    assert len(executed.read_text(encoding="utf-8").splitlines()) == LIMIT
    audited = [line for f in folders for line in outcome_lines(f / "audit.jsonl") if line["tool"] == "list_flows"]
    assert [(line["decision"], line.get("state")) for line in audited].count(("denied", "unavailable")) == 4
    assert sum(line["decision"] == "allowed" for line in audited) == LIMIT
    assert "cannot be written (its immutable or append-only attribute is set)" in (
        folders[0] / "gateway.log").read_text(encoding="utf-8")


# Linux's attributes, set on the index directly: a `chattr` process would take milliseconds.
_FS_IOC_GETFLAGS, _FS_IOC_SETFLAGS, _FS_IMMUTABLE_FL = 0x80086601, 0x40086602, 0x10


def _immutable(path: Path, on: bool) -> bool:
    """Set or clear the immutable attribute; False where it cannot be set (not root, a file
    system without attributes)."""
    import fcntl
    import os

    fd = os.open(path, os.O_RDONLY)
    try:
        flags = int.from_bytes(fcntl.ioctl(fd, _FS_IOC_GETFLAGS, bytes(8))[:4], sys.byteorder)
        flags = flags | _FS_IMMUTABLE_FL if on else flags & ~_FS_IMMUTABLE_FL
        fcntl.ioctl(fd, _FS_IOC_SETFLAGS, flags.to_bytes(4, sys.byteorder) + bytes(4))
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _checkpointing(shm: Path) -> bool:
    """Whether some process holds SQLite's checkpoint lock (byte 121 of the index): a
    checkpoint is under way."""
    import fcntl
    import os
    import struct

    fd = os.open(shm, os.O_RDONLY)
    try:
        asked = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 121, 1, 0)
        return struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, asked))[0] != fcntl.F_UNLCK
    finally:
        os.close(fd)


def _log_to_checkpoint(state: Path) -> None:
    """32 MiB written to the log by another program that never checkpoints (under the gateway's
    own threshold, 10,000 pages): moving it takes the gateway's checkpoint a while."""
    import sqlite3

    db = sqlite3.connect(state, isolation_level=None)
    try:
        db.execute("PRAGMA wal_autocheckpoint=0")
        db.execute("CREATE TABLE IF NOT EXISTS ballast (data BLOB)")
        db.execute("BEGIN")
        for _ in range(32):
            db.execute("INSERT INTO ballast VALUES (randomblob(1048576))")
        db.execute("COMMIT")
    finally:
        db.close()


def _until(check: Any, seconds: float = 30) -> bool:
    """Wait for `check` to hold, polling each millisecond; False after `seconds` without it."""
    import time

    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.001)
    return True


KILLED_WORDS = "the state file's checkpoint process was killed by SIGBUS (its shared-memory index "
# Tries at catching a checkpoint in the act. One can miss: the checkpoint can end between two
# looks (on a fast disk), or write its last index page before the attribute is set (under
# another program's writes); each try is a fresh 32 MiB to move, about a second.
CHECKPOINT_TRIES = 5


async def test_an_index_made_immutable_during_a_checkpoint_does_not_kill_the_gateway(tmp_path: Path) -> None:
    """A checkpoint writes the index through its mapping once it has copied and synced the
    log, milliseconds after it looked at the index's attributes: `chattr +i` in between killed
    the gateway with SIGBUS. The checkpoint runs in a process of its own, which dies instead;
    the gateway goes on, denying limited calls until the index is writable again."""
    doc: dict[str, Any] = {
        "version": "1", "default": "allow",
        "tools": {"list_flows": {"limits": [{"counter": "flows", "window": "day", "max": LIMIT, "scope": "global"}]}},
    }
    policy = write_policy(tmp_path / "policy.json", doc)
    state, executed, folder = tmp_path / "shared" / "state.sqlite", tmp_path / "executed.jsonl", tmp_path / "a"
    shm, log_file = Path(f"{state}-shm"), folder / "gateway.log"
    during: list[str] = []
    async with _gateway(folder, policy, state, executed) as client:
        answers = await flow_calls(client, "a", 2)
        for attempt in range(CHECKPOINT_TRIES):
            await anyio.to_thread.run_sync(_log_to_checkpoint, state)
            if not await anyio.to_thread.run_sync(_until, lambda: _checkpointing(shm), 10):
                continue
            if not _immutable(shm, True):
                pytest.skip("the immutable attribute cannot be set here (needs root and a file system with attributes)")
            try:
                assert await anyio.to_thread.run_sync(_until, lambda: not _checkpointing(shm))
                during += await flow_calls(client, f"during{attempt}-", 2)
            finally:
                _immutable(shm, False)
            if KILLED_WORDS in log_file.read_text(encoding="utf-8"):
                break
        answers += await flow_calls(client, "after", LIMIT)

    log = log_file.read_text(encoding="utf-8")
    assert f"{KILLED_WORDS}{shm}" in log, f"no checkpoint was caught in the act in {CHECKPOINT_TRIES} tries"
    assert during and during == ["[POLICY DENIED] rate-limit state unavailable; retry shortly"] * len(during)
    assert answers.count("allowed") == LIMIT
    assert len(executed.read_text(encoding="utf-8").splitlines()) == LIMIT
    audited = [(line["decision"], line.get("state")) for line in outcome_lines(folder / "audit.jsonl")
               if line["tool"] == "list_flows"]
    assert audited[2:2 + len(during)] == [("denied", "unavailable")] * len(during)
    assert audited.count(("allowed", None)) == LIMIT
    assert "Traceback" not in log + (folder / "stderr.txt").read_text(encoding="utf-8")


async def test_a_state_folder_gone_and_barred_denies_limited_calls_with_why_until_it_is_back(tmp_path: Path) -> None:
    """The state file's folder removed and a file left where it stood, so it cannot be made
    again: limited calls are denied, each audited with why in one sentence (and the log says
    it once), until the way is clear; then they are counted again without a restart, the
    calls counted before the folder went included."""
    doc: dict[str, Any] = {
        "version": "1", "default": "allow",
        "tools": {"list_flows": {"limits": [{"counter": "flows", "window": "day", "max": LIMIT, "scope": "global"}]}},
    }
    policy = write_policy(tmp_path / "policy.json", doc)
    state, executed, folder = tmp_path / "shared" / "state.sqlite", tmp_path / "executed.jsonl", tmp_path / "a"
    async with _gateway(folder, policy, state, executed) as client:
        answers = await flow_calls(client, "before", 2)
        shutil.rmtree(state.parent)
        state.parent.write_text("a file where the state folder stood")
        during = await flow_calls(client, "during", 2)
        state.parent.unlink()
        await anyio.sleep(0.6)  # the files are tried again at most every 0.5 s
        answers += await flow_calls(client, "after", LIMIT)

    why = f"the state file {state} was removed while in use, and cannot open the state file {state}: "
    assert during == ["[POLICY DENIED] rate-limit state unavailable; retry shortly"] * 2
    assert answers.count("allowed") == LIMIT
    assert executed_namespaces(executed) == [f"before{n}" for n in range(2)] + [f"after{n}" for n in range(LIMIT - 2)]
    audited = [line for line in outcome_lines(folder / "audit.jsonl") if line["tool"] == "list_flows"]
    assert [(line["decision"], line.get("state")) for line in audited[2:4]] == [("denied", "unavailable")] * 2
    assert all(line["state_reason"].startswith(why) for line in audited[2:4]), audited[2:4]
    assert all("state_reason" not in line for line in audited[:2] + audited[4:])
    log = (folder / "gateway.log").read_text(encoding="utf-8")
    assert log.count(f"state store unavailable ({why}") == 1, log
    assert "is reachable again" in log
    assert "Traceback" not in log + (folder / "stderr.txt").read_text(encoding="utf-8")
