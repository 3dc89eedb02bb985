"""A test that counts calls in real time (`one_window`, tests/window_support.py) is reported
from a run inside one UTC hour, and none waits for an hour to end: a run an hour's end fell
inside is run again from fresh fixtures, a failure inside one hour is reported as it is, and
other tests run once. Checked by running pytest on a small suite whose clock starts ten
seconds before an hour ends and whose tests move it on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# The inner suite's clock: the real one moved to ten seconds before an hour ends; its tests
# move it on by adding to AHEAD, as an hour passing while they run would.
CLOCK = '''
import time

_real = time.time
AHEAD = [0.0]
_start = _real()
_moved = 3590.0 - _start % 3600.0


def now():
    return _real() + _moved + AHEAD[0]
'''

CONFTEST = '''
import os
import time

import inner_clock

time.time = inner_clock.now
from window_support import one_window, pytest_runtest_protocol  # noqa: E402,F401


def pytest_sessionstart(session):
    with open(os.environ["RUNS"], "a") as runs:
        runs.write(f"session {time.monotonic()}\\n")
'''

SUITE = '''
import os
import time

import inner_clock
import pytest


def ran(what):
    with open(os.environ["RUNS"], "a") as runs:
        runs.write(f"{what} {time.monotonic()}\\n")
    with open(os.environ["RUNS"]) as runs:
        return sum(line.split()[0] == what for line in runs)


@pytest.fixture(scope="module")
def gateway():
    ran("gateway-started")
    yield
    ran("gateway-stopped")


@pytest.mark.usefixtures("one_window")
def test_an_hour_ends_while_it_counts(gateway):
    if ran("counts") == 1:
        inner_clock.AHEAD[0] += 20.0
        assert False, "the count started over"


@pytest.mark.usefixtures("one_window")
def test_a_failure_inside_one_hour(gateway):
    ran("fails")
    assert False, "a real failure"


@pytest.mark.usefixtures("one_window")
def test_passes_while_an_hour_ends(gateway):
    if ran("passes") == 1:
        inner_clock.AHEAD[0] += 3600.0


def test_not_counting_fails_while_an_hour_ends(gateway):
    ran("plain")
    inner_clock.AHEAD[0] += 3600.0
    assert False, "not run again"
'''


def test_a_counting_test_an_hour_end_fell_inside_is_run_again_and_none_waits(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "inner_clock.py").write_text(CLOCK, encoding="utf-8")
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_counting.py").write_text(SUITE, encoding="utf-8")
    runs = tmp_path / "runs.txt"
    env = {**os.environ, "RUNS": str(runs), "PYTHONPATH": f"{tmp_path}{os.pathsep}{TESTS}"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "-n", "0",
                           "test_counting.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    summary = [line.split(" - ")[0] for line in done.stdout.splitlines()
               if line.startswith(("PASSED ", "FAILED ", "ERROR "))]
    assert sorted(summary) == [
        "FAILED test_counting.py::test_a_failure_inside_one_hour",
        "FAILED test_counting.py::test_not_counting_fails_while_an_hour_ends",
        "PASSED test_counting.py::test_an_hour_ends_while_it_counts",
        "PASSED test_counting.py::test_passes_while_an_hour_ends",
    ], done.stdout + done.stderr
    lines = [line.split() for line in runs.read_text(encoding="utf-8").splitlines()]
    order = [what for what, _ in lines]
    # Each run an hour's end fell inside is run again after the module's gateway stopped and
    # started anew; a failure inside one hour, and a test that does not count, run once.
    assert order == ["session", "gateway-started", "counts", "gateway-stopped", "gateway-started", "counts",
                     "fails", "passes", "gateway-stopped", "gateway-started", "passes", "plain",
                     "gateway-stopped"], order
    # The first test started ten seconds before the hour ended, and did not wait for it to end.
    waited = float(lines[2][1]) - float(lines[0][1])
    assert waited < 5.0, f"the first counting test waited {waited:.1f} s to start"
