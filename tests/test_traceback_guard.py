"""The suite's traceback guard (tests/traceback_guard.py, used by conftest.py) finds what it
must: a traceback a policytui process writes to its standard error or its log, and not a
server's, quoted `  | `; and it tells each whole, so that a failure says what failed."""

from __future__ import annotations

import io
import logging
import stat
import subprocess
import sys
import traceback
from pathlib import Path

import traceback_guard

CRASH = """Traceback (most recent call last):
  File "policytui/cli/__init__.py", line 1, in main
RuntimeError: boom
"""


def test_a_traceback_or_a_logged_exception_of_policytuis_own_is_found() -> None:
    assert traceback_guard.policytui_tracebacks(CRASH) == [CRASH.strip()]
    logged = "2026-12-05 21:00:00 ERROR Exception in 'lifespan' protocol\n"
    assert traceback_guard.policytui_tracebacks(logged) == ["2026-12-05 21:00:00 ERROR Exception in 'lifespan' protocol"]
    served = "policytui serve: Traceback (most recent call last):\n"
    assert traceback_guard.policytui_tracebacks(served) == ["policytui serve: Traceback (most recent call last):"]


def raise_through(depth: int) -> None:
    """Raise a ValueError `depth` calls deep, each call its own function (so that no frame is
    folded into "[Previous line repeated ...]")."""
    namespace: dict[str, object] = {}
    source = "def f0():\n    raise ValueError('the value is wrong\\nand so is the next')\n" + "".join(
        f"def f{n}():\n    f{n - 1}()\n" for n in range(1, depth))
    exec(compile(source, "deep.py", "exec"), namespace)
    namespace[f"f{depth - 1}"]()  # type: ignore[operator]


def raised_through(depth: int) -> str:
    """The traceback Python writes for `raise_through(depth)`."""
    try:
        raise_through(depth)
    except ValueError:
        return traceback.format_exc()
    raise AssertionError("nothing was raised")


def test_a_finding_tells_the_whole_traceback_and_nothing_after_it() -> None:
    crash = raised_through(3)
    assert crash.count("\n") > 6 and "ValueError: the value is wrong" in crash
    output = f"Editing policy.json\nPress ctrl+c to stop.\n{crash}Serving again.\nTraceback (most recent call last):\n"
    told, second = traceback_guard.policytui_tracebacks(output)
    # Every line of it, to the exception's own (a message's second line is not told apart
    # from the program's next line, and is left out).
    assert told == crash.split("\nand so is the next")[0]
    assert second == "Traceback (most recent call last):"


def test_a_logged_traceback_is_told_whole_under_the_loggers_prefix() -> None:
    from policytui.serve.server import _PrefixedHandler

    written = io.StringIO()
    logger = logging.getLogger("policytui.test.guard")
    handler = _PrefixedHandler(written)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise_through(3)
        except ValueError:
            logger.exception("Error handling request")
        logger.warning("the editor process ended by itself; closing its page")
    finally:
        logger.removeHandler(handler)
    lines = written.getvalue().splitlines()
    assert len(lines) > 6
    # The heading is not a mark; the traceback under it is, told to the exception's line.
    assert traceback_guard.policytui_tracebacks(written.getvalue()) == ["\n".join(lines[1:-2])]
    assert lines[-3] == "policytui serve: ValueError: the value is wrong"


def test_an_exception_nobody_could_catch_is_told_with_what_it_was_raised_in() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "class Loop:\n def __del__(self):\n  self._ssock.close()\nLoop()\nprint('after')"],
        capture_output=True, text=True, timeout=30)
    assert done.stderr.startswith("Exception ignored in: <function Loop.__del__")
    assert traceback_guard.policytui_tracebacks(done.stderr) == [done.stderr.strip()]
    assert done.stderr.strip().endswith("AttributeError: 'Loop' object has no attribute '_ssock'")


def test_a_traceback_with_a_blank_line_before_its_exception_is_told_to_the_exception() -> None:
    # As Python wrote it for a signal that came as an event loop was being closed.
    written = ("Press ctrl+c to stop.\n"
               "Exception ignored when trying to write to the signal wakeup fd:\n"
               "Traceback (most recent call last):\n"
               '  File "/usr/lib/python3.11/_weakrefset.py", line 39, in _remove\n'
               "    def _remove(item, selfref=ref(self)):\n"
               "\n"
               "OSError: [Errno 9] Bad file descriptor\n"
               "\n"
               "Serving again.\n")
    assert traceback_guard.policytui_tracebacks(written) == [written.split("\n", 2)[2].split("\n\nServing")[0]]
    cut_short = "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n\n\n"
    assert traceback_guard.policytui_tracebacks(cut_short) == [cut_short.strip()]


def test_a_logged_exception_is_told_with_its_details_and_traceback() -> None:
    crash = raised_through(2)
    logged = f"Exception in callback Server.stop()\nhandle: <Handle Server.stop()>\n{crash}after\n"
    assert traceback_guard.policytui_tracebacks(logged) == [
        "Exception in callback Server.stop()\nhandle: <Handle Server.stop()>\n"
        + crash.split("\nand so is")[0]]


def test_a_long_traceback_is_told_by_its_first_and_last_lines() -> None:
    crash = raised_through(60)
    lines = crash.split("\nand so is")[0].splitlines()
    assert len(lines) > traceback_guard.FOLLOWING_LINES + 10
    told = traceback_guard.policytui_tracebacks(crash)[0].splitlines()
    half = traceback_guard.FOLLOWING_LINES // 2
    assert told == [*lines[:1 + half], f"[... {len(lines) - 1 - 2 * half} lines ...]", *lines[-half:]]
    assert told[-1] == "ValueError: the value is wrong"


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
    assert watched.findings() == [f"output: {CRASH.strip()}"]


def test_the_guard_fails_a_test_whose_policytui_wrote_a_traceback_to_its_log_or_stderr_file(tmp_path: Path) -> None:
    program = crashing_policytui(tmp_path)
    log, err = tmp_path / "gateway.log", tmp_path / "gateway.log.stderr"
    watched = traceback_guard.start()
    try:
        with open(err, "wb") as stderr:
            subprocess.Popen([program, "--log", log], stderr=stderr).wait(timeout=30)
    finally:
        traceback_guard.start()
    assert sorted(watched.findings()) == [f"{err}: {CRASH.strip()}", f"{log}: Exception in callback"]


def test_the_guard_reads_nothing_of_a_process_that_is_not_policytui(tmp_path: Path) -> None:
    program = crashing_policytui(tmp_path).rename(tmp_path / "some-server")
    watched = traceback_guard.start()
    try:
        subprocess.run([program, "--log", tmp_path / "server.log"], capture_output=True, timeout=30)
    finally:
        traceback_guard.start()
    assert watched.findings() == []
