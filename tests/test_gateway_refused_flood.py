"""A flood of refused client messages is summed up in the log when its window ends.

The installed `policytui gateway` runs over stdio in front of the Python-SDK flows server
behind `tee_stdin.py`. A client floods it with refused `tools/call` forms (no id: no answer
to wait for, so the audit log tells when each was taken) and then sends nothing more. Judged
from outside: the server received none of them, each has its `refused` audit line, and the
log, at its default level, has at most 20 WARNING lines for them and one line summing up the
rest, written when the window ends (the window set short through the environment) or, for a
gateway that stops within its minute, when it stops. Before, the summary waited for a refusal
in a later window, so a flood followed by silence or a stop left only its first 20 lines.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from gateway_support import flows_behind_tee, stop

from policytui.gateway.refused import WARNINGS_PER_WINDOW

pytestmark = [pytest.mark.servers]

POLICYTUI = str(Path(sys.executable).with_name("policytui"))
FLOOD = WARNINGS_PER_WINDOW + 5
WINDOW_ENV = "POLICYTUI_REFUSAL_LOG_WINDOW"  # as documented in docs/gateway.md
TOLD = re.compile(r"refused a client message of grant ")
SUMMED = re.compile(r"refused (\d+) more client messages in the last ([\d.]+) s, not logged one by one")


def _start(tmp: Path, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    (tmp / "policy.json").write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    with open(tmp / "gateway.log.stderr", "ab") as stderr:
        process = subprocess.Popen(
            [POLICYTUI, "gateway", "--policy", str(tmp / "policy.json"), "--state-dir", str(tmp / "state"),
             "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"), "--", *flows_behind_tee(tmp)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env={**os.environ, **environment})
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "mallory", "version": "1"}}}
    ).encode() + b"\n")
    process.stdin.flush()
    assert json.loads(process.stdout.readline())["id"] == 0
    return process


def _flood(process: subprocess.Popen[bytes]) -> None:
    """Every refused message in one write: calls without an id, each with its own arguments."""
    assert process.stdin is not None
    process.stdin.write(b"".join(json.dumps({"jsonrpc": "2.0", "method": "tools/call", "params": {
        "name": "set_options", "arguments": {"n": n}}}).encode() + b"\n" for n in range(FLOOD)))
    process.stdin.flush()


def _refused_lines(tmp: Path) -> list[dict[str, Any]]:
    path = tmp / "audit.jsonl"
    return [line for line in outcome_lines(path) if line["decision"] == "refused"] if path.exists() else []


def _until(condition: Callable[[], Any], what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
    return found


def _log(tmp: Path) -> str:
    return (tmp / "gateway.log").read_text(encoding="utf-8")


def _judge(tmp: Path, window: str) -> None:
    """Each refused call audited and none received; every refusal in the log, one by one or
    summed up. (A machine so loaded that the flood outlasts a short window may tell up to 20
    more in the next one: the sum holds all the same.)"""
    assert len(_refused_lines(tmp)) == FLOOD
    received = (tmp / "received.bin").read_bytes() if (tmp / "received.bin").exists() else b""
    assert b"set_options" not in received
    log = _log(tmp)
    told = len(TOLD.findall(log))
    summed = [(int(count), seconds) for count, seconds in SUMMED.findall(log)]
    assert told <= WARNINGS_PER_WINDOW * len(summed) and all(seconds == window for _, seconds in summed), log[-3000:]
    assert told + sum(count for count, _ in summed) == FLOOD, log[-3000:]
    assert "Traceback" not in log


def test_a_flood_followed_by_silence_is_summed_up_when_its_window_ends(tmp_path: Path) -> None:
    process = _start(tmp_path, {WINDOW_ENV: "1.5"})
    try:
        _flood(process)
        _until(lambda: len(_refused_lines(tmp_path)) == FLOOD, "the gateway did not audit every refused call")
        # Nothing more is sent: the summary comes from the window's end, while the gateway runs.
        _until(lambda: SUMMED.search(_log(tmp_path)), f"no summary line: {_log(tmp_path)[-2000:]}")
        assert process.poll() is None
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
    _judge(tmp_path, "1.5")


def test_a_gateway_stopped_within_the_window_sums_up_the_flood_as_it_stops(tmp_path: Path) -> None:
    process = _start(tmp_path, {WINDOW_ENV: ""})  # the default minute
    try:
        _flood(process)
        _until(lambda: len(_refused_lines(tmp_path)) == FLOOD, "the gateway did not audit every refused call")
        assert not SUMMED.search(_log(tmp_path))  # the minute is not over
        assert process.stdin is not None
        process.stdin.close()  # the client leaves: the gateway stops within the minute
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
    _judge(tmp_path, "60")


def test_a_window_that_is_not_a_number_is_said_and_the_minute_kept(tmp_path: Path) -> None:
    process = _start(tmp_path, {WINDOW_ENV: "soon"})
    try:
        _flood(process)
        _until(lambda: len(_refused_lines(tmp_path)) == FLOOD, "the gateway did not audit every refused call")
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
    assert f"${WINDOW_ENV} is soon, not a positive number of seconds: refusals are summed up every 60 s" in _log(tmp_path)
    _judge(tmp_path, "60")
