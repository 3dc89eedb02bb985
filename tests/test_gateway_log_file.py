"""The gateway's `--log` file as the installed command writes it.

A log path that leads to the file already in use (`--log /dev/stderr`, a name for the
gateway's own standard error) is that file, not a file removed or replaced: before, every line
was preceded by a notice that the log had been removed and a new one written, and the file
was opened anew for each line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIES = ROOT / "tests" / "servers" / "misbehaving" / "dies_on_call.py"
POLICYTUI = Path(sys.executable).parent / "policytui"


def test_a_log_named_dev_stderr_is_written_without_reopening_notices(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    stderr = tmp_path / "stderr.txt"
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(POLICYTUI), "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
             "--no-audit", "--log", "/dev/stderr", "--log-level", "debug", "--listen", "127.0.0.1:0",
             "--", sys.executable, str(DIES)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while "serving MCP over streamable HTTP" not in stderr.read_text(encoding="utf-8"):
            assert process.poll() is None and time.monotonic() < deadline, stderr.read_text(encoding="utf-8")
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=30)
    lines = stderr.read_text(encoding="utf-8").splitlines()
    assert any("policy" in line and "loaded" in line for line in lines), lines
    assert not [line for line in lines if "removed or replaced" in line], lines
