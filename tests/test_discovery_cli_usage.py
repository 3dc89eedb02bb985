"""A folder where the command line wants a file is a usage error (exit 2, README's table), told
before any server is started: the installed `policytui`, in a clean home of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

POLICYTUI = str(Path(sys.executable).parent / "policytui")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "HOME": str(cwd / "home"),
        "POLICYTUI_CONFIG_DIR": str(cwd / "config"),
        "XDG_CONFIG_HOME": str(cwd / "xdg"),
    }
    return subprocess.run(
        [POLICYTUI, *args], cwd=cwd, env=environment, capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL,
    )


def test_snapshot_into_a_folder_is_refused_before_the_server_starts(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    started = tmp_path / "started"
    result = run("snapshot", "-o", str(folder), "--", "sh", "-c", f"touch {started}; sleep 60",
                 cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"policytui snapshot: {folder} is a folder; give a file name for the snapshot"
    )
    assert not started.exists(), "the server was started for a command line that cannot succeed"
    assert list(folder.iterdir()) == []


def test_tools_from_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run("tools", "--from", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"policytui tools: --from {tmp_path} is a folder; give a snapshot file written by "
        "`policytui snapshot`"
    )
