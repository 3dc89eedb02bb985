"""The suite's traceback guard (tests/traceback_guard.py, used by conftest.py) finds what it
must: a traceback a policytui process writes to its standard error or its log, and not a
server's, quoted `  | `."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import traceback_guard

CRASH = """Traceback (most recent call last):
  File "policytui/cli/__init__.py", line 1, in main
RuntimeError: boom
"""


def test_a_traceback_or_a_logged_exception_of_policytuis_own_is_found() -> None:
    assert traceback_guard.policytui_tracebacks(CRASH) == ["Traceback (most recent call last):"]
    logged = "2026-12-05 21:00:00 ERROR Exception in 'lifespan' protocol\n"
    assert traceback_guard.policytui_tracebacks(logged) == ["2026-12-05 21:00:00 ERROR Exception in 'lifespan' protocol"]
    served = "policytui serve: Traceback (most recent call last):\n"
    assert traceback_guard.policytui_tracebacks(served) == ["policytui serve: Traceback (most recent call last):"]


def test_a_servers_traceback_policytui_quotes_is_not_policytuis() -> None:
    quoted = ("the server exited before it answered\nLast lines the server wrote to stderr:\n"
              "  | Traceback (most recent call last):\n  |   File \"server.py\", line 3\n"
              "  | Exception in thread worker\n")
    assert traceback_guard.policytui_tracebacks(quoted) == []
    assert traceback_guard.policytui_tracebacks("policytui serve:   | Traceback (most recent call last):") == []


def test_a_policytui_command_is_told_from_others() -> None:
    assert traceback_guard.is_policytui(["/venv/bin/policytui", "check"])
    assert traceback_guard.is_policytui(["/usr/bin/python3", "-m", "policytui", "gateway"])
    assert not traceback_guard.is_policytui(["/usr/bin/python3", "tests/servers/misbehaving/crash.py"])
    assert not traceback_guard.is_policytui(["node", "server.js", "policytui.json"])


def crashing_policytui(folder: Path) -> Path:
    """A program named policytui that writes a traceback to its standard error and, when told
    `--log FILE`, to that file: what the guard must catch from the real one."""
    program = folder / "policytui"
    program.write_text(
        "#!/bin/sh\n"
        "if [ \"$1\" = --log ]; then printf 'Exception in callback\\n' > \"$2\"; fi\n"
        f"printf '{CRASH.replace(chr(10), chr(92) + 'n')}' >&2\nexit 1\n", encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return program


def test_the_guard_fails_a_test_whose_policytui_wrote_a_traceback_to_its_captured_stderr(tmp_path: Path) -> None:
    program = crashing_policytui(tmp_path)
    watched = traceback_guard.start()
    try:
        done = subprocess.run([program, "check"], capture_output=True, text=True, timeout=30)
    finally:
        traceback_guard.start()  # noted apart from what the suite's guard reads: the crash is meant
    assert "RuntimeError: boom" in done.stderr
    assert watched.findings() == ["output: Traceback (most recent call last):"]


def test_the_guard_fails_a_test_whose_policytui_wrote_a_traceback_to_its_log_or_stderr_file(tmp_path: Path) -> None:
    program = crashing_policytui(tmp_path)
    log, err = tmp_path / "gateway.log", tmp_path / "gateway.log.stderr"
    watched = traceback_guard.start()
    try:
        with open(err, "wb") as stderr:
            subprocess.Popen([program, "--log", log], stderr=stderr).wait(timeout=30)
    finally:
        traceback_guard.start()
    assert sorted(watched.findings()) == [f"{err}: Traceback (most recent call last):",
                                          f"{log}: Exception in callback"]


def test_the_guard_reads_nothing_of_a_process_that_is_not_policytui(tmp_path: Path) -> None:
    program = crashing_policytui(tmp_path).rename(tmp_path / "some-server")
    watched = traceback_guard.start()
    try:
        subprocess.run([program, "--log", tmp_path / "server.log"], capture_output=True, timeout=30)
    finally:
        traceback_guard.start()
    assert watched.findings() == []
