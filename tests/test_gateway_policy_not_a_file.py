"""A policy path that is not a file: a pipe given at start (`--policy <(sops -d policy.json)`),
or a named pipe put in the file's place while the gateway runs.

The gateway reads its policy file again whenever it changes, so a pipe, which can be read
once, cannot be its policy: at start that is said in one sentence and the server is never
started; while it runs the pipe is never read (a writer that holds it open without writing
would stop the gateway in the read) and every call is denied, as for any file that cannot be
enforced. The installed command, a real client and the recording server (what it ran is what
reached it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from audit_support import outcome_lines
from gateway_support import until
from state_support import executed_namespaces, flow_calls, recorded_gateway, write_policy

POLICYTUI = Path(sys.executable).parent / "policytui"
POLICY = {"version": "1", "default": "allow"}


def test_a_policy_given_as_a_pipe_stops_the_start_in_one_sentence(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    read, write = os.pipe()
    os.write(write, json.dumps(POLICY).encode())
    os.close(write)
    try:
        result = subprocess.run(
            [str(POLICYTUI), "gateway", "--policy", f"/dev/fd/{read}", "--state-dir", str(tmp_path / "state"),
             "--", "/bin/sh", "-c", f'touch "{marker}"'],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False, pass_fds=(read,),
        )
    finally:
        os.close(read)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        f"policytui gateway: /dev/fd/{read} is a pipe (as `<(...)` gives), not a file: the gateway reads its "
        "policy again whenever the file changes, so save the policy to a file and give that file's path.\n")
    assert not marker.exists()  # the server was never started


async def test_a_named_pipe_put_in_the_policy_files_place_is_never_read_and_denies_every_call(tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "policy.json", POLICY)
    fifo = tmp_path / "policy.fifo"
    os.mkfifo(fifo)
    executed, folder = tmp_path / "executed.jsonl", tmp_path / "r"
    writer = os.open(fifo, os.O_RDWR)  # a writer that holds it open and writes nothing
    try:
        async with recorded_gateway(folder, policy, executed, "--state-dir", str(tmp_path / "state"),
                                    "--reload-interval", "0.1") as client:
            before = await flow_calls(client, "before", 1)
            os.replace(fifo, policy)
            await until(lambda: "is now a pipe" in (folder / "gateway.log").read_text(encoding="utf-8"), 20)
            after = await flow_calls(client, "after", 1)
    finally:
        os.close(writer)
    assert before == ["allowed"]
    assert after == [
        f"[POLICY DENIED] the policy file {policy} is now a pipe (as `<(...)` gives), not a file; "
        "every call is denied until it is fixed"]
    assert executed_namespaces(executed) == ["before0"]  # the server never received the second
    assert [(line["decision"], line["rule"]) for line in outcome_lines(folder / "audit.jsonl")
            if line["tool"] == "list_flows"] == [("allowed", "default"), ("denied", "policy_file")]
