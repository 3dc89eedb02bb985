"""A folder where the command line wants a file is a usage error (exit 2, README's table), told
before any server is started: the installed `policytui`, in a clean home of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

POLICYTUI = str(Path(sys.executable).parent / "policytui")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "HOME": str(cwd / "home"),
        "POLICYTUI_CONFIG_DIR": str(cwd / "config"),
        "XDG_CONFIG_HOME": str(cwd / "xdg"),
        **(env or {}),
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
        f"policytui snapshot: {folder} is a folder; give a file name for the snapshot."
    )
    assert not started.exists(), "the server was started for a command line that cannot succeed"
    assert list(folder.iterdir()) == []


def test_tools_from_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run("tools", "--from", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"policytui tools: --from {tmp_path} is a folder; give a snapshot file written by "
        "`policytui snapshot`."
    )


def test_the_offline_fallback_names_its_snapshot_without_nested_brackets(tmp_path: Path) -> None:
    """Where Docker cannot run Kestra, the stand-in is named in one readable sentence."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    docker = bin_folder / "docker"  # the real CLI's answer when its daemon is not running
    docker.write_text(
        "#!/bin/sh\necho 'docker: Cannot connect to the Docker daemon at "
        "unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 125\n"
    )
    docker.chmod(0o755)
    result = run("snapshot", "kestra", "-o", str(tmp_path / "kestra.json"), cwd=tmp_path,
                 env={"PATH": f"{bin_folder}:/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "kestra-io/mcp-server-python at commit 14fe3a3, 39 tools" in result.stderr
    assert "))" not in result.stderr, result.stderr


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"policytui {version('policytui')}\n"


def test_the_init_summary_fits_an_80_column_terminal(tmp_path: Path) -> None:
    """On a terminal, a long decision wraps under its own column, never under the tool names."""
    import fcntl
    import pty
    import struct
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("COLUMNS", "LINES")}  # the terminal's own size decides
    environment.update(HOME=str(tmp_path / "home"), POLICYTUI_CONFIG_DIR=str(tmp_path / "config"))
    process = subprocess.Popen(
        [POLICYTUI, "init", "kestra", "--offline", "--preset", "recommended", "-o", "p.json"],
        cwd=tmp_path, env=environment, stdin=subprocess.DEVNULL, stdout=terminal,
        stderr=subprocess.DEVNULL,
    )
    os.close(terminal)
    output = bytearray()
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal's other end closed: the command has ended
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=60) == 0
    os.close(controller)
    lines = output.decode("utf-8").replace("\r\n", "\n").splitlines()
    summary = lines[lines.index(next(line for line in lines if line.startswith("manage_tests"))):]
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    # The wrapped part of a decision stays in the decision column.
    assert summary[1].startswith(" " * 40) and "/minute" in summary[1], summary[:3]
