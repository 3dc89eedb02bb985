"""Tests that count calls in real time, and the UTC hour they run in.

Counters reset where a UTC window ends (every day ends with an hour). A test that counts calls
in real time must run inside one window, or its count starts over mid-test and a call it expects
denied is allowed. Such a test asks for the `one_window` fixture, and its result is the result
of a run that began and ended inside one UTC hour: a run that an hour's end fell inside is run
again, from fresh fixtures, and only the second run is reported (a whole run cannot fall across
two hour ends). A test is never held back to start after an hour's end: a worker that waited
for one sat idle up to two minutes, every worker of a run that came near an hour's end.
"""

from __future__ import annotations

import time

import pytest
from _pytest.runner import CallInfo, runtestprotocol

HOUR = 3600.0


@pytest.fixture
def one_window() -> None:
    """For a test that counts calls in real time: its reported result comes from a run inside
    one UTC hour (and so one day); see pytest_runtest_protocol below."""


def _hour() -> int:
    return int(time.time() // HOUR)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """Run a `one_window` test as pytest does, and once more if an hour ended while it ran.

    Before the second run every fixture is torn down (a module's gateway too, whose counters
    the first run spent), so the second starts as the first would have in a new hour. Under
    --pdb the test runs once, as any other, so a failure stops where it happened."""
    if "one_window" not in getattr(item, "fixturenames", ()) or item.config.getoption("usepdb", False):
        return None
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    started = _hour()
    reports = runtestprotocol(item, log=False, nextitem=nextitem)
    if _hour() != started:
        teardown = CallInfo.from_call(lambda: item.session._setupstate.teardown_exact(None), when="teardown")
        reports = runtestprotocol(item, log=False, nextitem=nextitem)
        if teardown.excinfo is not None:  # a module's fixture that failed to stop is still said
            reports.append(ihook.pytest_runtest_makereport(item=item, call=teardown))
    for report in reports:
        ihook.pytest_runtest_logreport(report=report)
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
