"""The `chromium` fixture (tests/conftest.py): one browser for all the tests of a worker, in
which a test sees no window, cookie or storage another test left, and a browser a test closed
or crashed is launched anew for the next, and one stopped before a test that does not use
it. Checked by running pytest on a small suite that
uses the fixture."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

CONFTEST = f'''
import importlib.util

spec = importlib.util.spec_from_file_location("suite_conftest", {str(TESTS / "conftest.py")!r})
suite_conftest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(suite_conftest)
# The suite's browser fixture and the hook that stops its browser, none of its others.
globals().update({{name: value for name, value in vars(suite_conftest).items()
                  if "chromium" in name or name == "pytest_runtest_teardown"}})
'''

SUITE = '''
import asyncio
import os

PAGE = "http://127.0.0.1:9/"  # nothing listens: the page is Chromium's error page, on that origin


def ran(*what):
    with open(os.environ["RUNS"], "a") as runs:
        runs.write(" ".join(map(str, what)) + "\\n")


def test_leaves_a_window_with_a_cookie_open(chromium):
    context = chromium.new_context()
    context.add_cookies([{"name": "left", "value": "behind", "url": PAGE}])
    context.new_page().goto("about:blank")
    chromium.marked = "first"  # a mark on this browser, which a browser launched anew has not
    ran("first", chromium.marked, len(chromium.contexts))


def test_sees_nothing_of_it(chromium):
    context = chromium.new_context()
    ran("second", getattr(chromium, "marked", None), len(chromium.contexts), len(context.cookies()))


def test_closes_the_browser(chromium):
    ran("third", getattr(chromium, "marked", None))
    chromium.close()


def test_gets_one_that_runs(chromium):
    ran("fourth", getattr(chromium, "marked", None), chromium.is_connected())


def test_then_an_asyncio_test_runs():
    async def answer():
        return 42

    ran("fifth", asyncio.run(answer()))
'''


def test_one_browser_serves_a_workers_tests_and_none_sees_what_another_left(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_browser.py").write_text(SUITE, encoding="utf-8")
    runs = tmp_path / "runs.txt"
    env = {**os.environ, "RUNS": str(runs), "PYTHONPATH": str(TESTS)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "0",
                           "test_browser.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and "5 passed" in done.stdout, done.stdout + done.stderr
    first, second, third, fourth, fifth = [line.split() for line in runs.read_text(encoding="utf-8").splitlines()]
    assert first[2] == "1", "the first test's window was not open while it ran"
    # The same browser, with the first test's window closed and its cookie gone with it.
    assert second[1] == "first" and third[1] == "first", "each test launched a browser of its own"
    assert second[2:] == ["1", "0"], f"the second test saw {second[2]} contexts and {second[3]} cookies"
    # A browser a test closed is launched anew for the next.
    assert fourth[1:] == ["None", "True"], fourth
    # Stopped before a test that does not use it: sync Playwright holds the thread's event loop.
    assert fifth == ["fifth", "42"], fifth
