"""Fixtures shared by the whole suite."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# A test that counts calls in real time asks for `one_window`: its result is the result of a run
# inside one UTC hour, a run an hour's end fell inside being run again (tests/window_support.py).
from window_support import one_window, pytest_runtest_protocol  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    """Compile policytui's modules to bytecode once, before any test starts a policytui
    process. Where PYTHONDONTWRITEBYTECODE is set (as in many containers and CI images) an
    editable install is otherwise compiled again from source by every process the tests
    start (each command's modules, every time); Python still reads bytecode it finds, and the
    cache is checked against each source file's time and size, so an edited module is
    compiled anew.
    Under xdist the controller compiles before its workers start."""
    if hasattr(config, "workerinput"):
        return
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("policytui")
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(Path(spec.origin).parent, quiet=1, workers=1)
    if config.getoption("dist", "no") != "no":
        _rewrite_test_modules_once(config)


def _rewrite_test_modules_once(config: pytest.Config) -> None:
    """Under xdist every worker imports every test module, and pytest rewrites each module's
    asserts on import (about ten seconds of CPU for this suite) unless it finds the rewritten
    module cached; with PYTHONDONTWRITEBYTECODE set it caches nothing, and on a fresh clone
    the workers all start before any has cached anything. So the controller rewrites and
    caches the modules the run was given before its workers start, and each worker reads
    them. The cache is pytest's own (checked against each source file's time and size, so an
    edited test is rewritten anew); where its internals differ, the workers rewrite as before."""
    try:
        from _pytest.assertion.rewrite import (
            PYC_TAIL,
            _read_pyc,
            _rewrite_test,
            _write_pyc,
            assertstate_key,
            get_cache_dir,
        )
        state = config.stash[assertstate_key]
    except (ImportError, KeyError):
        return
    given_from = (config.rootpath if config.args_source == pytest.Config.ArgsSource.TESTPATHS
                  else config.invocation_params.dir)
    modules: set[Path] = set()
    for arg in config.args:
        path = Path(given_from, arg.split("::", 1)[0])
        if path.is_dir():
            modules.update(path.rglob("test_*.py"))
        elif path.name.startswith("test_") and path.suffix == ".py":
            modules.add(path)
    for module in sorted(modules):
        pyc = get_cache_dir(module) / (module.name[:-3] + PYC_TAIL)
        if _read_pyc(module, pyc) is not None:
            continue
        try:
            pyc.parent.mkdir(exist_ok=True)
            source_stat, code = _rewrite_test(module, config)
        except (OSError, SyntaxError):
            continue  # the worker that imports it reports what is wrong
        _write_pyc(state, code, source_stat, pyc)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than there are cores. Most tests wait on real processes
    (servers, gateways, browsers) rather than compute, so one worker per core left the cores
    idle a fifth of the time; `--maxprocesses` still caps the count."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


class _WorkersChromium:
    """One Playwright driver and one headless Chromium for the tests of a worker that ask for
    `chromium` one after another, launched when the first asks for it (and again after one
    that crashed or closed it), stopped before a test that does not ask for it (see
    pytest_runtest_teardown: a running sync Playwright holds the thread's event loop, which
    an asyncio test or another Playwright needs). Launching both cost each test about two
    seconds."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None

    def browser(self) -> Any:
        from serve_support import CHROMIUM, CHROMIUM_FLAGS

        if self._browser is None or not self._browser.is_connected():
            if self._playwright is None:
                from playwright.sync_api import sync_playwright

                self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        return self._browser

    def stop(self) -> None:
        browser, playwright, self._browser, self._playwright = self._browser, self._playwright, None, None
        try:
            if browser is not None:
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()


_WORKERS_CHROMIUM = _WorkersChromium()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Once a test is torn down, the worker's Chromium is stopped unless the next test asks for it."""
    try:
        return (yield)
    finally:
        if nextitem is None or "chromium" not in getattr(nextitem, "fixturenames", ()):
            _WORKERS_CHROMIUM.stop()


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A headless Chromium of the system's packages, driven by Playwright (the test fails where
    there is none), with no window open. Every window a test opens is in a context of its
    own (`chromium.new_context()`: cookies, storage, cache and permissions its own, as a fresh
    profile's), and every context is closed when the test ends, so the next test's browser has
    nothing of it open; the browser process itself is shared by consecutive tests
    (_WorkersChromium)."""
    from serve_support import require_chromium

    require_chromium()
    browser = _WORKERS_CHROMIUM.browser()
    try:
        yield browser
    finally:
        if browser.is_connected():
            for context in list(browser.contexts):
                context.close()


@pytest.fixture(scope="session")
def test_servers() -> Path:
    """Where tests/servers/install.sh put the real third-party servers."""
    return Path(os.environ.get("POLICYTUI_TEST_SERVERS", ROOT / ".test-servers"))


@pytest.fixture(scope="session")
def everything(test_servers: Path) -> Path:
    """The real server-everything (npm), started over stdio by the tests that need it."""
    path = test_servers / "everything" / "node_modules" / ".bin" / "mcp-server-everything"
    if not path.exists():
        pytest.skip(f"server-everything is not installed at {path} (run tests/servers/install.sh)")
    return path


def load_server_fixture(name: str) -> dict:
    """A real server's tool list as it was sent, from tests/fixtures/servers/NAME.json."""
    return json.loads((FIXTURES / "servers" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def _cache_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One folder per test under a folder made once (`mktemp` per test lists every folder made
    before it: quadratic over thousands of tests)."""
    root = tmp_path_factory.mktemp("caches")
    return (root / str(number) for number in itertools.count())


@pytest.fixture(autouse=True)
def _own_cache_folder(_cache_folders: Iterator[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test keeps what policytui caches (approved tool definitions) in a folder of its
    own, never in the user's ~/.cache, and sees nothing another test cached. The folder is
    made only when something is cached there."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(next(_cache_folders)))


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[Any]:
    """A real redis-server of the test's own on a free loopback port (tests/state_support.py's
    RedisServer), stopped afterwards."""
    from state_support import RedisServer

    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Any]:
    """A private tmux server for one program (tests/test_tui_e2e_tmux.py's Terminal), with HOME
    and its config folder inside the test's tmp; stopped, with everything in it, afterwards."""
    from test_tui_e2e_tmux import Terminal

    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    term = Terminal(home)
    try:
        yield term
    finally:
        term.close()


# Tests (node ids) whose policytui processes still write a traceback a user would read, each with why; the
# guard below lets exactly these pass. Empty is the goal: fix the product instead of adding one.
TRACEBACK_ALLOWANCES: dict[str, str] = {
}


@pytest.fixture(autouse=True)
def _no_traceback_shown(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """After each test: no policytui process it started wrote a traceback (or an exception a
    library caught and logged) where a user reads it: its `--log` file, its standard error or
    output as the test captured them (tests/traceback_guard.py). Only what those processes
    wrote is read, so the guard costs next to nothing."""
    import subprocess

    import traceback_guard

    watched = traceback_guard.start()
    monkeypatch.setattr(subprocess, "Popen", traceback_guard.WatchingPopen)
    try:
        yield
    finally:
        traceback_guard.stop()
    found = watched.findings()
    if found and request.node.nodeid not in TRACEBACK_ALLOWANCES:
        pytest.fail("policytui wrote a traceback where a user reads it:\n" + "\n".join(found[:20]),
                    pytrace=False)


@pytest.fixture(autouse=True)
def _no_state_store_left_open() -> Iterator[None]:
    """After each test: every SQLite state store it opened in this process is closed. An open
    store keeps a thread that checkpoints its file every second and, once there is something
    to move, a `python -I -S` process doing it; left open, both lived on until the worker
    exited, one more per test. A store left open is closed here (its process ended) and the
    test fails, naming its file."""
    import sys
    import threading

    before = set(threading.enumerate())
    yield
    module = sys.modules.get("policytui.gateway.store.sqlite")
    if module is None:
        return  # no store was ever opened in this process
    left = [thread for thread in threading.enumerate()
            if isinstance(thread, module._Checkpointer) and thread not in before and thread.is_alive()]
    for thread in left:
        thread.stop()
    if left:
        files = ", ".join(sorted({str(thread.path) for thread in left}))
        pytest.fail(f"the test left {len(left)} SQLite state store(s) open (never closed): {files}", pytrace=False)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder every user may write to, as a team's shared folder is."""
    folder = Path(tempfile.mkdtemp(prefix="policytui-shared-", dir="/tmp"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
