"""ctrl+c stops `policytui serve` at whatever moment of its start (and of its stop) it comes:
exit status 130, and nothing but serve's own lines where its user reads, never a traceback.

From outside a ctrl+c lands where serve happens to be, and some of its moments last a few
microseconds (the event loop half made, when an interruption left Python to write a traceback
about it as serve ended, once in a hundred runs on a loaded machine). `signal_at_calls.py`
runs the installed command line and has the process send itself a real SIGINT as it enters a
given function, so that each such moment is met every time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import traceback_guard
from serve_support import DEFAULT_SIGNALS, Served

SIGNAL_AT_CALLS = Path(__file__).resolve().parent / "signal_at_calls.py"

# Where the SIGINT comes (the function entered; `:N`, its Nth call), by what serve is doing.
MOMENTS = {
    "the command line's first step": "_stderr_to_nowhere_if_closed",
    "opening its listening socket": "_listen",
    "marking the policy file open": "mark_open",
    "making its event loop": "_make_self_pipe",
    "handing the signals to its event loop": "add_signal_handler",
    "the first of those handed over": "add_signal_handler:2",
    "serving": "_serve",
    # A second ctrl+c while serve stops: as its event loop puts Python's handlers back.
    "closing its event loop": "_serve,remove_signal_handler:2",
    "ending its loop's last tasks": "_serve,shutdown_default_executor",
}


@pytest.mark.parametrize("where", list(MOMENTS.values()), ids=list(MOMENTS))
def test_ctrl_c_at_any_moment_of_the_start_stops_serve_without_a_traceback(tmp_path: Path, where: str) -> None:
    done = subprocess.run(
        [*DEFAULT_SIGNALS, sys.executable, str(SIGNAL_AT_CALLS), where, "--",
         "serve", "kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
        cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path)}, capture_output=True, text=True,
        timeout=120,
    )
    said = done.stdout + done.stderr
    assert "never reached" not in done.stderr, said
    assert traceback_guard.policytui_tracebacks(said) == [], said
    assert done.returncode == 130, said
    # Nothing is said about the stop but serve's own lines (its warnings, its address).
    assert all(line.startswith(("policytui serve: ", "Editing ", "Open this address", "  http://",
                                "Press ctrl+c")) for line in said.splitlines()), said


def test_ctrl_c_as_soon_as_the_address_is_printed_stops_serve(tmp_path: Path) -> None:
    """The installed command, stopped as its user stops it, the moment its address appears."""
    for _ in range(5):
        served = Served(["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
                        cwd=tmp_path, env={"HOME": str(tmp_path)})
        assert served.stop() == 130, "".join(served.stderr)
        said = "".join(served.stdout + served.stderr)
        assert traceback_guard.policytui_tracebacks(said) == [], said
