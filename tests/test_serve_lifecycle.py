"""No editor process outlives its browser or its `policytui serve`.

Each browser connection runs one editor process (`python -m policytui.serve.session`). These
tests start the installed `policytui serve`, connect Debian's Chromium (or a websocket client
that drops its connection), take the client away abruptly, or stop the server with SIGINT or
SIGTERM, and then watch the machine's process table: every editor process that server started
must be gone within a few seconds, and must not have saved anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_support import CHROMIUM, CHROMIUM_FLAGS, HeldEditorStart, Served, require_chromium

SESSION_MODULE = "policytui.serve.session"
GONE_WITHIN = 12.0  # seconds; an editor asked to quit ends itself in 3, the server's kill follows
WINDOW = "--window-size=1280,800"


# -- the process table -------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the state on


def _is_session(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return SESSION_MODULE.encode() in command


def editors_of(server_pid: int) -> set[int]:
    """The editor processes `server_pid` started (its descendants) that still run; zombies
    do not count."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])

    def descends(pid: int) -> bool:
        for _ in range(8):
            pid = parents.get(pid, 0)
            if pid == server_pid:
                return True
            if pid <= 1:
                return False
        return False

    return {pid for pid in parents if descends(pid) and _is_session(pid)}


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running as editor processes (a pid reused by another program
    does not count)."""
    return {pid for pid in pids if (fields := _stat(pid)) and fields[0] != "Z" and _is_session(pid)}


def wait_for(what: str, condition: Callable[[], bool], timeout: float) -> float:
    """Poll `condition` until it holds; the seconds it took. Fails after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"waited {timeout:g}s for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def bytes_written(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def kill_all(pids: set[int]) -> None:
    for pid in alive(pids):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# -- fixtures ------------------------------------------------------------------------------------


class Server:
    """`policytui serve kestra --offline` on a free loopback port, and the editors it started."""

    def __init__(self, folder: Path) -> None:
        self.policy = folder / "orphan.json"
        self.served = Served(
            ["kestra", "--offline", "--policy", str(self.policy), "--no-open"],
            cwd=folder, env={"HOME": str(folder)},
        )
        self.pid = self.served.process.pid
        self.seen: set[int] = set()

    def editors(self) -> set[int]:
        current = editors_of(self.pid)
        self.seen |= current
        return current


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    try:
        yield running
    finally:
        running.served.stop()
        kill_all(running.seen)


@pytest.fixture
def browsers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Chromium processes started by a test; each is killed (its whole group) at the end."""
    require_chromium()
    started: list[subprocess.Popen[bytes]] = []  # filled by `chromium()` below
    try:
        yield started
    finally:
        for browser in started:
            if browser.poll() is None:
                os.killpg(browser.pid, signal.SIGKILL)
            browser.wait()


def chromium(
    started: list[subprocess.Popen[bytes]], url: str, *flags: str, folder: Path
) -> subprocess.Popen[bytes]:
    """Debian's Chromium, headless, with a profile of its own, in a process group of its own."""
    profile = folder / f"profile-{len(started)}"
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *flags, url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    started.append(browser)
    return browser


def assert_nothing_saved(server: Server) -> None:
    assert not server.policy.exists(), "an editor whose browser left saved the policy"


# -- the browser goes away -------------------------------------------------------------------------


def screenshot_opening_an_editor(server: Server, browsers: list[subprocess.Popen[bytes]], tmp_path: Path,
                                 shot: Path, window: list[str]) -> subprocess.Popen[bytes]:
    """A Chromium taking a screenshot of the page whose page has asked for an editor. On a
    loaded machine Chromium may take its screenshot and leave before its page asks for one:
    nothing was started, so the premise of the test did not hold, and a new Chromium is tried."""
    for _ in range(3):
        browser = chromium(
            browsers, server.served.url, *window, "--virtual-time-budget=15000",
            f"--screenshot={shot}", folder=tmp_path,
        )
        wait_for("Chromium to open the editor, or to exit",
                 lambda b=browser: bool(server.editors()) or b.poll() is not None, 60)
        if server.seen:
            return browser
    pytest.fail("three Chromiums took their screenshots and left without opening an editor")


@pytest.mark.parametrize("window", [[WINDOW], []], ids=["window-size", "no-window-size"])
def test_a_screenshot_in_chromium_leaves_no_editor_running(
    server: Server, browsers: list[subprocess.Popen[bytes]], tmp_path: Path, window: list[str]
) -> None:
    """Chromium loads the page, takes its screenshot and exits while the editor is starting:
    the editor it started ends too, and the next browser may edit the file."""
    shot = tmp_path / "page.png"
    browser = screenshot_opening_an_editor(server, browsers, tmp_path, shot, window)
    started = set(server.seen)
    browser.wait(timeout=60)
    server.editors()
    took = wait_for(
        f"the editors {sorted(server.seen)} to end after Chromium exited",
        lambda: not alive(server.seen), GONE_WITHIN,
    )
    assert started and took < GONE_WITHIN
    assert shot.exists()
    assert server.served.process.poll() is None, "".join(server.served.stderr)
    assert_nothing_saved(server)
    assert server.served.stop() == 130, "".join(server.served.stderr)


def test_a_killed_chromium_ends_its_editor(
    server: Server, browsers: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    """Chromium is killed (SIGKILL, no goodbye on the websocket) while its editor shows the
    policy: the editor process ends within seconds."""
    browser = chromium(browsers, server.served.url, WINDOW, folder=tmp_path)
    wait_for("Chromium to open the editor", lambda: bool(server.editors()), 60)
    (editor,) = server.editors()
    # The editor has drawn its screen once it has written a few frames to the page.
    wait_for("the editor to draw", lambda: bytes_written(editor) > 20_000, 60)
    os.killpg(browser.pid, signal.SIGKILL)
    browser.wait()
    wait_for(f"editor {editor} to end after Chromium was killed", lambda: not alive({editor}),
             GONE_WITHIN)
    assert server.served.process.poll() is None
    assert_nothing_saved(server)


def test_a_websocket_dropped_while_the_editor_starts_ends_it(server: Server) -> None:
    """The connection is cut right after the page's first messages, as a browser that closes
    at once does: the editor, asked to quit mid-start, ends instead of running on."""
    import aiohttp

    async def connect_and_drop() -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.get(server.served.url) as page:
                html = await page.text()
            address = re.search(r'data-session-websocket-url="([^"]+)"', html)
            assert address is not None, html
            websocket = await session.ws_connect(address.group(1) + "?width=142&height=33")
            await websocket.send_str(json.dumps(["resize", {"width": 142, "height": 38}]))
            await websocket.send_str(json.dumps(["blur"]))
            await websocket.receive(timeout=30)
            transport = websocket._response.connection.transport  # the raw TCP connection
            assert transport is not None
            transport.abort()

    asyncio.run(connect_and_drop())
    wait_for("the editor to start", lambda: bool(server.seen or server.editors()), 30)
    wait_for(f"the editors {sorted(server.seen)} to end", lambda: not alive(server.seen),
             GONE_WITHIN)
    assert_nothing_saved(server)


# -- the server stops ----------------------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_stopping_serve_ends_every_editor(
    server: Server, browsers: list[subprocess.Popen[bytes]], tmp_path: Path, stop: signal.Signals
) -> None:
    """A browser is open on the editor when `serve` gets ctrl+c, SIGTERM or SIGHUP (its
    terminal closed): serve exits 130 on ctrl+c and 0 on the others (as the gateway does), and
    no editor process is left, neither running nor spinning without a parent."""
    chromium(browsers, server.served.url, WINDOW, folder=tmp_path)
    wait_for("Chromium to open the editor", lambda: bool(server.editors()), 60)
    (editor,) = server.editors()
    wait_for("the editor to draw", lambda: bytes_written(editor) > 20_000, 60)
    server.served.process.send_signal(stop)
    expected = 130 if stop == signal.SIGINT else 0
    assert server.served.process.wait(timeout=30) == expected, "".join(server.served.stderr)
    wait_for(f"editor {editor} to end with serve", lambda: not alive({editor}), GONE_WITHIN)
    assert_nothing_saved(server)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopping_serve_right_after_a_screenshot_leaves_no_editor(
    server: Server, browsers: list[subprocess.Popen[bytes]], tmp_path: Path, stop: signal.Signals
) -> None:
    """Chromium takes its screenshot and exits, and `serve` is stopped at once, while the
    editor that page started is still being stopped: serve exits (130 on ctrl+c, else 0) and
    takes it along."""
    browser = screenshot_opening_an_editor(server, browsers, tmp_path, tmp_path / "page.png", [WINDOW])
    browser.wait(timeout=60)
    server.editors()
    server.served.process.send_signal(stop)
    expected = 130 if stop == signal.SIGINT else 0
    assert server.served.process.wait(timeout=30) == expected, "".join(server.served.stderr)
    wait_for(f"the editors {sorted(server.seen)} to end with serve",
             lambda: not alive(server.seen), GONE_WITHIN)
    assert_nothing_saved(server)


def test_an_editor_whose_server_was_killed_ends(
    server: Server, browsers: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    """Even `kill -9` of serve, which can clean nothing up, leaves no editor behind."""
    chromium(browsers, server.served.url, WINDOW, folder=tmp_path)
    wait_for("Chromium to open the editor", lambda: bool(server.editors()), 60)
    (editor,) = server.editors()
    wait_for("the editor to draw", lambda: bytes_written(editor) > 20_000, 60)
    server.served.process.kill()
    server.served.process.wait()
    wait_for(f"editor {editor} to end after serve was killed", lambda: not alive({editor}),
             GONE_WITHIN)
    assert_nothing_saved(server)


def test_ctrl_c_while_an_editor_starts_stops_serve_at_once(chromium: Any, tmp_path: Path) -> None:
    """ctrl+c just after a page has opened, its editor still starting (held there, as a busy
    machine holds it for seconds): that editor has been sent nothing from the page, so it holds
    no work of its user's, and serve stops it at once, instead of asking it to quit, which it
    can read only once started, and waiting 5 s for that before its SIGTERM."""
    held = HeldEditorStart(tmp_path)
    served = Served(["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
                    cwd=tmp_path, env={"HOME": str(tmp_path), **held.env})
    try:
        page = chromium.new_context(viewport={"width": 1200, "height": 800}).new_page()
        assert page.goto(served.url).status == 200
        wait_for("the page's editor to start", lambda: bool(held.started()), 60)
        (editor,) = held.started()
        assert alive({editor}), "the held editor is not running"
        started = time.monotonic()
        served.process.send_signal(signal.SIGINT)
        served.process.wait(timeout=30)
        took = time.monotonic() - started
        served.read_to_the_end()
        said = "".join(served.stdout + served.stderr)
        # Asked to quit, the held editor kept serve waiting 5 s (EDITOR_QUIT_SECONDS) at least.
        assert took < 4, f"serve took {took:.1f} s to stop: {said}"
        assert served.process.returncode == 130, said
        assert not alive({editor}), "the editor outlived serve"
        assert "did not quit" not in said, said
    finally:
        held.let_go()
        served.stop()
        kill_all(set(held.started()))


# -- the editor process on its own ---------------------------------------------------------------


def _packet(kind: bytes, meta: dict[str, object]) -> bytes:
    payload = json.dumps(meta).encode()
    return kind + len(payload).to_bytes(4, "big") + payload


@pytest.mark.parametrize("ask", ["quit", "SIGTERM"])
def test_an_editor_asked_to_stop_while_starting_ends(tmp_path: Path, ask: str) -> None:
    """The editor process as textual-serve runs it: a resize and then a request to stop arrive
    while it starts. Textual alone can keep such an app running (and spinning) for ever; the
    editor ends within its few seconds' grace."""
    policy = tmp_path / "policy.json"
    environment = {
        **os.environ,
        "HOME": str(tmp_path),
        "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
        "COLUMNS": "142",
        "ROWS": "33",
        "POLICYTUI_SERVE_CONNECT_ARGUMENTS": json.dumps(["kestra", "--offline", "--policy",
                                                          str(policy)]),
    }
    editor = subprocess.Popen(
        [sys.executable, "-m", SESSION_MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, env=environment, start_new_session=True,
    )
    assert editor.stdin is not None and editor.stdout is not None
    try:
        # Read its output all along, as the server does.
        import threading

        threading.Thread(target=lambda: editor.stdout.read(), daemon=True).start()
        editor.stdin.write(_packet(b"M", {"type": "resize", "width": 142, "height": 38}))
        editor.stdin.flush()
        wait_for("the editor's first frame", lambda: bytes_written(editor.pid) > 0, 60)
        if ask == "quit":
            editor.stdin.write(_packet(b"M", {"type": "quit"}))
            editor.stdin.flush()
        else:
            # Textual's own signal handlers are in place once it has written anything.
            editor.send_signal(signal.SIGTERM)
        start = time.monotonic()
        editor.wait(timeout=GONE_WITHIN)
        assert time.monotonic() - start < GONE_WITHIN
    finally:
        if editor.poll() is None:
            os.killpg(editor.pid, signal.SIGKILL)
            editor.wait()
    assert not policy.exists()


@pytest.mark.parametrize("start_takes", [0.0, 2.0], ids=["at-once", "longer-than-the-quit-wait"])
def test_a_stop_that_comes_while_the_editor_process_is_being_started_ends_it(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, start_takes: float,
) -> None:
    """serve stopping (or the page closing) in the moment between the editor's process being
    started and serve holding it: the stop waits for the start, then stops that process as any
    other (asks, SIGTERM, SIGKILL, each said), instead of finding no process and leaving it
    running. A start slower than the wait for a quit (a busy machine) is waited for all the
    same. Nothing from a page has reached it, so it is sent SIGTERM at once, not first asked to
    quit; the process here refuses SIGTERM once it has got as far as saying so, and SIGKILL
    (said) then ends it."""
    import logging

    from textual_serve.download_manager import DownloadManager

    from policytui.serve import server as serve

    stubborn = (f"{sys.executable} -c 'import signal, time; "
                f"signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)'")

    async def nothing(*_: object) -> None:
        return None

    started: list[int] = []

    async def start_and_stop_at_once() -> asyncio.subprocess.Process | None:
        editor = serve.EditorService(
            stubborn, session_path="/", environment={}, write_bytes=nothing, write_str=nothing,
            close=nothing, download_manager=DownloadManager(),
        )
        starting = asyncio.ensure_future(editor.start(80, 24))
        await asyncio.sleep(0)  # the start has begun, and its process is not yet serve's
        await editor.shut_down()
        await starting
        if editor._process is not None:
            started.append(editor._process.pid)
        return editor._process

    spawn = asyncio.create_subprocess_exec

    async def slow_spawn(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        await asyncio.sleep(start_takes)
        return await spawn(*args, **kwargs)

    monkeypatch.setattr(serve.asyncio, "create_subprocess_exec", slow_spawn)
    caplog.set_level(logging.WARNING, logger="policytui.serve")
    saved = serve.EDITOR_QUIT_SECONDS, serve.EDITOR_TERM_SECONDS
    serve.EDITOR_QUIT_SECONDS = serve.EDITOR_TERM_SECONDS = 1.0
    try:
        process = asyncio.run(start_and_stop_at_once())
    finally:
        serve.EDITOR_QUIT_SECONDS, serve.EDITOR_TERM_SECONDS = saved
        for pid in started:  # left running only if the stop did not end it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    assert process is not None
    said = [record.getMessage() for record in caplog.records]
    if process.returncode == -signal.SIGTERM:  # before its Python refused SIGTERM
        assert said == [], said
    else:
        assert process.returncode == -signal.SIGKILL
        assert said == ["the editor process did not stop; killing it"], said


def _ignores_sigterm(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


@pytest.mark.parametrize(("sent", "said_first"), [
    (b"d", ["the editor process did not quit; stopping it"]),
    (b"\x1b[?2026;0$y", []),  # the terminal's own answer to the editor's question, typed by nobody
], ids=["a key", "the terminal's reply"])
def test_an_editor_the_page_has_sent_keys_is_asked_to_quit_first(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, sent: bytes,
    said_first: list[str],
) -> None:
    """An editor its user has sent input may hold unsaved work: a stop asks it to quit and waits
    before its SIGTERM, then SIGKILL (each said). One sent only what the page's terminal answers
    by itself holds none, and has SIGTERM at once. The process here refuses both."""
    import logging

    from textual_serve.download_manager import DownloadManager

    from policytui.serve import server as serve

    stubborn = (f"{sys.executable} -c 'import signal, time; "
                f"signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)'")

    async def nothing(*_: object) -> None:
        return None

    editor = serve.EditorService(
        stubborn, session_path="/", environment={}, write_bytes=nothing, write_str=nothing,
        close=nothing, download_manager=DownloadManager(),
    )

    async def send_then_stop() -> None:
        await editor.start(80, 24)
        assert editor._process is not None
        pid = editor._process.pid
        deadline = time.monotonic() + 30
        while not _ignores_sigterm(pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await editor.send_bytes(sent)
        await editor.shut_down()

    monkeypatch.setattr(serve, "EDITOR_QUIT_SECONDS", 1.0)
    monkeypatch.setattr(serve, "EDITOR_TERM_SECONDS", 1.0)
    caplog.set_level(logging.WARNING, logger="policytui.serve")
    try:
        asyncio.run(send_then_stop())
    finally:
        editor.signal_group(signal.SIGKILL)  # left running only if the stop did not end it
    assert editor._process is not None and editor._process.returncode == -signal.SIGKILL
    said = [record.getMessage() for record in caplog.records]
    assert said == [*said_first, "the editor process did not stop; killing it"], said


def test_a_stop_that_comes_while_a_pages_connection_is_being_opened_starts_no_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ctrl+c in the moment a page's connection has been let in and is being opened (a reload's,
    say): serve has already asked every editor it knew of to end, so it starts none for that
    page, closes the connection and ends, instead of starting one that nothing stops until its
    wait for open connections (10 s) has run out."""
    import aiohttp
    from aiohttp import web

    from policytui.serve import server as serve
    from policytui.serve.lock import EditLock

    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    started = tmp_path / "editor-started"
    sock = serve.socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    port = sock.getsockname()[1]
    token = "t" * 32
    editors = serve.EditorServer(
        command=f"sh -c 'touch {started}; exec sleep 60'", title="policy.json", token=token,
        lock=EditLock(tmp_path / "policy.json"), sock=sock,
    )
    stopped_editors = asyncio.Event()
    close_websockets = serve.EditorServer._close_websockets

    async def close_and_tell(self: Any, app: Any) -> None:
        await close_websockets(self, app)
        stopped_editors.set()

    prepare = web.WebSocketResponse.prepare

    async def prepare_as_serve_stops(self: Any, request: Any) -> Any:
        editors.request_exit(signal.SIGINT)
        await stopped_editors.wait()  # serve's stop has asked every editor it knew of
        return await prepare(self, request)

    monkeypatch.setattr(serve.EditorServer, "_close_websockets", close_and_tell)
    monkeypatch.setattr(web.WebSocketResponse, "prepare", prepare_as_serve_stops)

    async def open_a_page_and_stop() -> None:
        serving = asyncio.ensure_future(editors._serve())
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.get(f"http://127.0.0.1:{port}{editors.path}?token={token}") as page:
                html = await page.text()
            address = re.search(r'data-session-websocket-url="([^"]+)"', html)
            assert address is not None, html
            with contextlib.suppress(aiohttp.ClientError):
                websocket = await session.ws_connect(address.group(1) + "?width=80&height=24")
                await websocket.receive(timeout=30)
        await asyncio.wait_for(serving, 60)

    try:
        asyncio.run(open_a_page_and_stop())
        assert not started.exists(), "serve started an editor after it was stopped"
        assert editors.lock.holder is None, "the policy file stayed taken"
    finally:
        for editor in editors.editors:
            editor.signal_group(signal.SIGKILL)
