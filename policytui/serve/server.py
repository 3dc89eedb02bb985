"""The web server: textual-serve's, with the token check, the edit lock and its own page.

textual-serve starts one child process per browser websocket and relays the terminal between
them; this subclass decides who may get that far. A page load "claims" the policy file for a
short while and names the claim in its websocket address, so a second browser is told at once
that the file is being edited, rather than after its editor has started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import shlex
import signal
import socket
import sys
import time
from asyncio.subprocess import Process
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.http_exceptions import HttpProcessingError
from textual_serve.app_service import AppService
from textual_serve.server import Server

from policytui.descriptors import unproven_limit
from policytui.editor.page_meta import (
    INPUT_COUNTED_META,
    INPUT_MARK_META,
    PAGE_TITLE_META,
    STOPPED_META,
    UNAPPLIED_META,
    UNSAVED_META,
)
from policytui.serve import SERVER_PID_VARIABLE
from policytui.serve.access import (
    DOWNLOAD_ROUTE,
    SECURITY_HEADERS,
    cookie_values,
    new_session_path,
    page,
    security_headers,
    token_middleware,
    too_large_response,
)
from policytui.serve.editor_output import (
    LINE_PREFIX,
    OUTCOME_PREFIX,
    ended_stream,
    relay_lines,
    say,
)
from policytui.serve.lock import EditLock
from policytui.serve.stop_signals import StopSignals
from policytui.textsafe import clip, visible

log = logging.getLogger("policytui.serve")

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The most of a page title the editor sends that is shown (a server chooses its own name).
PAGE_TITLE_LIMIT = 300
CLAIM_SECONDS = 30.0
# What a connection may send before it has shown the token (see UnprovenConnections), and so
# the longest request head serve reads: a browser's first request carries every cookie kept for
# the host, and any page on 127.0.0.1 (another program's, on any port) may set some, 4 KB each.
# 20 of them make an 80 KB Cookie header, past aiohttp's own 8 KB for one header line.
UNPROVEN_BYTES = 128 * 1024
# A reload closes the old websocket just before the new one opens: wait for that session to end.
TAKEOVER_WAIT_SECONDS = 5.0
# How long an editor asked to quit has before SIGTERM, and then before SIGKILL, reach its group.
# (The editor ends itself within 3 seconds of being asked: policytui.tui.web_driver.) An editor
# that missed the request to quit (its input thread still reading a flood of keys) learns of the
# SIGTERM at once, and from then has the same 3 seconds to keep its unsaved changes and end:
# SIGKILL must not come first.
EDITOR_QUIT_SECONDS = 5.0
EDITOR_TERM_SECONDS = 5.0
EDITOR_KILL_SECONDS = 5.0  # SIGKILL cannot be refused: this only bounds an unforeseen wait
# How long a stop waits for an editor's process to be started (a fork and exec, which a busy
# machine can take seconds over): the process must be held before it can be stopped.
EDITOR_START_SECONDS = 30.0
EXIT_POLL_SECONDS = 0.05
# What the page's terminal sends the editor by itself, never typed: its answer to the editor's
# question whether it draws frames whole (mode 2026, asked as the editor starts), and its focus
# coming and going. An editor sent only these has had no input from its user.
TERMINAL_REPLIES = re.compile(rb"(?:\x1b\[\?\d+(?:;\d+)*\$y|\x1b\[[IO])+")
BROWSER_COOKIE = "policytui_browser_{port}"
BUSY_MESSAGE = "is already being edited in another browser window"
# Why serve closes a page's connection when it stops; the page tells this close from others.
STOPPED_REASON = "policytui serve stopped"
# The largest message serve reads from a page (aiohttp's own bound); a larger one closes the
# connection, and the editor with it. A paste reaches the editor as one message of its text,
# so the page sends a long one in pieces of at most STDIN_PIECE characters: each is at most 6
# bytes in JSON ("\u001b"), and the largest piece with its envelope stays under the bound.
MESSAGE_BYTES = 4 * 1024 * 1024
STDIN_PIECE = MESSAGE_BYTES // 8


@dataclass
class Claim:
    browser: str
    expires: float


class EditorService(AppService):
    """textual-serve's editor process, started so that it can always be stopped.

    The editor runs without a shell, as the leader of its own process group; `shut_down` asks
    it to quit, then signals the whole group (SIGTERM, then SIGKILL) until it has ended. The
    editor's standard input and output are its only link to the browser: ending the process,
    not only the reading of its output, is what frees the policy file and the CPU.
    """

    def __init__(
        self, command: str, *, session_path: str, environment: dict[str, str], **kwargs: Any
    ) -> None:
        write_str = kwargs.pop("write_str")

        async def write(text: str) -> None:
            await write_str(_download_under(session_path, text))

        super().__init__(command, write_str=write, **kwargs)
        self._environment = environment
        self._stopping: asyncio.Future[None] | None = None
        self._stderr_relay: asyncio.Future[None] | None = None
        self._starting: asyncio.Future[None] | None = None
        # Whether the page has sent the editor any input (keys, the mouse, a paste): until it
        # has, the editor holds nothing of its user's, and a stop need not wait for it to quit.
        self.given_input = False
        # The editor's lines on what became of its unsaved changes (`OUTCOME_PREFIX`), as
        # serve's terminal showed them: the page is told the same when serve stops.
        self.outcome: list[str] = []

    async def start(self, width: int, height: int) -> None:
        # A stop may come while the process is being started (serve stopped, or the page
        # closed, in that moment): it waits for the start to end, so that the process it
        # would not yet have seen is stopped like any other, never left running.
        self._starting = asyncio.get_running_loop().create_future()
        try:
            await super().start(width, height)
        finally:
            self._starting.set_result(None)

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        environment = self._build_environment(width=width, height=height)
        environment.update(self._environment)
        environment[SERVER_PID_VARIABLE] = str(os.getpid())
        self._process = process = await asyncio.create_subprocess_exec(
            *shlex.split(self.command),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,  # its own group: signals reach its children too
        )
        assert process.stdin is not None and process.stderr is not None
        self._stdin = process.stdin
        # Its standard error is for serve's user ("... unsaved changes ...; they were kept in
        # ..."): relayed to serve's own as each line comes, not gathered by textual-serve.
        self._stderr_relay = asyncio.ensure_future(relay_lines(process.stderr, self._said))
        process.stderr = ended_stream()
        return process

    def _said(self, line: str) -> None:
        if line.startswith(OUTCOME_PREFIX):
            self.outcome.append(line)
        say(line)

    def stopped_sentence(self) -> str:
        """Once the editor has ended as serve stopped: what became of its user's unsaved
        changes, in the words serve's terminal has for it. Its own line when it wrote one
        (kept in which file, or lost and why); none when it had nothing unsaved, or was never
        given any input; lost when it had to be killed before it could say."""
        if self.outcome:
            said = " ".join(line.removeprefix(LINE_PREFIX) for line in self.outcome)
            return said[:1].upper() + said[1:].rstrip(".") + "."
        process = self._process
        if process is not None and process.returncode == -signal.SIGKILL:
            return ("The browser editor did not stop in time and had to be killed: any unsaved "
                    "changes were lost.")
        return "The browser editor had no unsaved changes."

    async def send_bytes(self, data: bytes) -> bool:
        # Set before the write, which a stop may come during.
        if not TERMINAL_REPLIES.fullmatch(data):
            self.given_input = True
        return await super().send_bytes(data)

    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def on_meta(self, data: bytes) -> None:
        """The editor's word that it has listed the server: the page is retitled to name it
        as the header does (editor/server_name.py; the page's script sets the title, as text).
        Its word that the policy has unsaved edits, or has none any more, and what an open
        dialog holds not applied: the page asks before a reload or a close only while either is
        so, and says which were lost when its connection is cut. Every other message is textual-serve's."""
        try:
            meta = json.loads(data)
        except ValueError:
            meta = None
        if isinstance(meta, dict) and meta.get("type") == PAGE_TITLE_META:
            title = meta.get("title")
            if isinstance(title, str):  # shown escaped by the editor, as serve shows a name
                await self.remote_write_str(json.dumps([PAGE_TITLE_META, clip(title, PAGE_TITLE_LIMIT)]))
            return
        if isinstance(meta, dict) and meta.get("type") == UNSAVED_META:
            unsaved = meta.get("unsaved")
            if isinstance(unsaved, bool):
                await self.remote_write_str(json.dumps([UNSAVED_META, unsaved]))
            return
        if isinstance(meta, dict) and meta.get("type") == UNAPPLIED_META:
            unapplied = meta.get("unapplied")
            if isinstance(unapplied, str):  # shown escaped by the editor, as its terminal line is
                await self.remote_write_str(json.dumps([UNAPPLIED_META, clip(unapplied, PAGE_TITLE_LIMIT)]))
            return
        if isinstance(meta, dict) and meta.get("type") == INPUT_COUNTED_META:
            count = meta.get("count")
            if isinstance(count, int) and not isinstance(count, bool):
                await self.remote_write_str(json.dumps([INPUT_COUNTED_META, count]))
            return
        await super().on_meta(data)

    async def shut_down(self) -> None:
        """Stop the editor and wait until its process has ended (one stop at a time)."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._shut_down())
        await asyncio.shield(self._stopping)

    async def _shut_down(self) -> None:
        if self._starting is not None:
            await asyncio.wait({self._starting}, timeout=EDITOR_START_SECONDS)
        process = self._process
        with contextlib.suppress(Exception):
            await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        reader, self._task = self._task, None
        drain: asyncio.Future[None] | None = None
        if process is not None and process.stdout is not None:
            # Its output no longer reaches a page (the page has gone, or serve is closing it):
            # textual-serve's reader of it may wait on that page for good, so it is stopped, and
            # what the editor still writes is read and dropped. Otherwise the editor could be
            # stuck writing to a full pipe while it quits, and what it wrote left unread.
            if reader is not None:
                reader.cancel()
            drain = asyncio.ensure_future(_discard_after(reader, process.stdout))
        if process is not None:
            if process.returncode is None and not self.given_input:
                # Nothing its user did on the page has reached it, so it holds no work of
                # theirs: it is stopped at once. Asked to quit, an editor still starting (most of a second
                # idle, many seconds on a busy machine) reads the request only once it has
                # started, and serve's stop waited for that. Before its start it ends on
                # SIGTERM; once started it takes SIGTERM as it takes the request to quit
                # (policytui.tui.web_driver), keeping anything unsaved.
                self.signal_group(signal.SIGTERM)
                await _wait_for_exit(process, EDITOR_TERM_SECONDS)
            elif process.returncode is None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.send_meta({"type": "quit"}), EDITOR_QUIT_SECONDS)
                await _wait_for_exit(process, EDITOR_QUIT_SECONDS)
                if process.returncode is None:
                    log.warning("the editor process did not quit; stopping it")
                    self.signal_group(signal.SIGTERM)
                    await _wait_for_exit(process, EDITOR_TERM_SECONDS)
            if process.returncode is None:
                log.warning("the editor process did not stop; killing it")
                self.signal_group(signal.SIGKILL)
                await _wait_for_exit(process, EDITOR_KILL_SECONDS)
            # Whatever the editor started in its group and left behind is asked to end too.
            self.signal_group(signal.SIGTERM)
        # The editor's last lines (where it kept unsaved changes) are said before serve ends.
        for task in (reader, drain, self._stderr_relay):
            if task is None:
                continue
            # Its output ends with the process; a child still holding the pipe must not keep
            # this waiting.
            done, _pending = await asyncio.wait({task}, timeout=1.0)
            if not done:
                task.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await task  # its outcome is retrieved, so nothing reports it as lost

    def signal_group(self, number: int) -> None:
        """Send `number` to the editor's process group (its pid names the group)."""
        process = self._process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, number)


class UnprovenConnections:
    """The connections that have not yet shown the token (or its cookie), oldest first.

    Anyone who can reach the port can open connections and keep them open without a word;
    each costs the server a file descriptor, and once they run out neither the browser's next
    request nor a new editor process can be served. Past `limit` such connections the oldest
    is closed: a browser's connection shows the cookie with its first request, at once, and
    from then on is never closed here.

    Each may also make the server hold what it sends: a request's head grows to 128 header
    lines of 8 KB before aiohttp refuses it, and 256 such connections held 556 MB. A connection
    that sends more than `budget` bytes before it has shown the token is answered with a page
    that says why and is closed; a browser's first request (its head, cookies and all) is a
    few kilobytes, unless pages elsewhere on the host have set many cookies for it.
    """

    def __init__(self, limit: int, budget: int = UNPROVEN_BYTES) -> None:
        self.limit = limit
        self.budget = budget
        self.waiting: dict[object, asyncio.Transport] = {}

    def watch(self, server: web.Server) -> None:
        made, lost = server.connection_made, server.connection_lost

        def connection_made(handler: Any, transport: asyncio.Transport) -> None:
            made(handler, transport)
            self.waiting[handler] = transport
            # aiohttp's handler keeps no attributes of ours (it has __slots__): what the
            # connection sends reaches it through a counter in front of it.
            transport.set_protocol(_Counted(handler, transport, self))
            while len(self.waiting) > self.limit:
                oldest = next(iter(self.waiting))
                self.waiting.pop(oldest).abort()

        def connection_lost(handler: Any, exc: BaseException | None) -> None:
            self.waiting.pop(handler, None)
            lost(handler, exc)

        server.connection_made = connection_made  # type: ignore[method-assign,assignment]
        server.connection_lost = connection_lost  # type: ignore[method-assign,assignment]

    def proven(self, request: web.Request) -> None:
        self.waiting.pop(request.protocol, None)


class _Counted(asyncio.Protocol):
    """aiohttp's handler of one connection, behind a count of the bytes it is sent while the
    connection has not shown the token: past the budget the connection is told so and closed,
    the rest unread."""

    def __init__(
        self, handler: Any, transport: asyncio.Transport, connections: UnprovenConnections
    ) -> None:
        self.handler = handler
        self.transport = transport
        self.connections = connections
        self.received = 0

    def data_received(self, data: bytes) -> None:
        if self.handler in self.connections.waiting:
            self.received += len(data)
            if self.received > self.connections.budget:
                self.connections.waiting.pop(self.handler, None)
                # A browser's user learns why (the cookies of the host) and what to do.
                self.transport.write(too_large_response())
                self.transport.close()
                return
        self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self.handler.eof_received()  # type: ignore[no-any-return]

    def connection_lost(self, exc: Exception | None) -> None:
        self.handler.connection_lost(exc)

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()


def _finish(loop: asyncio.AbstractEventLoop, signals: StopSignals) -> None:
    """What run_app does once its server has stopped: end what is left, close the loop (and
    take its signals back)."""
    try:
        tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        asyncio.set_event_loop(None)
        signals.close_loop(loop)


class _PrefixedHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Warnings and errors, each line of them (a traceback's too) after "policytui serve: "."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.setLevel(logging.WARNING)

    def format(self, record: logging.LogRecord) -> str:
        text = visible(super().format(record), keep_newlines=True)
        return "\n".join(LINE_PREFIX + line for line in text.splitlines() or [""])


class _WithoutClientsRequests(logging.Filter):
    """Drops aiohttp's report of a request it could not read: it quotes the request line, which
    can hold the access token, and anyone who reaches the port could fill the terminal with
    them. The client is told (400) all the same."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, HttpProcessingError)


def _download_under(session_path: str, text: str) -> str:
    """textual-serve's page fetches a file the editor delivers from `/download/KEY` of its
    origin, outside the session path that holds the cookie: the key it is given climbs out of
    `/download/` and into the session path (`/download/../<secret>/download/KEY`), which the
    browser resolves before it asks."""
    if not text.startswith('["deliver_file_start"'):
        return text
    try:
        kind, key = json.loads(text)
    except ValueError:
        return text
    if kind != "deliver_file_start" or not isinstance(key, str):
        return text
    return json.dumps([kind, f"..{session_path}download/{key}"])


async def _discard(stream: asyncio.StreamReader) -> None:
    with contextlib.suppress(Exception):
        while await stream.read(65536):
            pass


async def _discard_after(reader: asyncio.Future[None] | None, stream: asyncio.StreamReader) -> None:
    if reader is not None:
        await asyncio.wait({reader})  # one reader of the stream at a time
    await _discard(stream)


async def _wait_for_exit(process: Process, seconds: float) -> None:
    """Until `process` has ended, or `seconds` have passed.

    Its exit status says that it has ended, not `process.wait()`: before Python 3.12 that also
    waits until every pipe of the process is closed, and a pipe whose reading was paused (its
    buffer full, its reader gone) never is. Awaited without a bound after SIGKILL, it could keep
    the editor's session, and serve's stop after it, waiting for good on a process long gone."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while process.returncode is None and loop.time() < deadline:
        await asyncio.sleep(EXIT_POLL_SECONDS)


class EditorServer(Server):
    """Serves `command` (the editor) for one policy file, to one browser at a time."""

    def __init__(
        self, *, command: str, title: str, token: str, lock: EditLock, sock: socket.socket,
        host_names: Collection[str] = (), editor_environment: dict[str, str] | None = None,
    ) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(command, host=host, port=port, title=title, templates_path=TEMPLATES)
        self.token = token
        # Every page is under this secret path, and so is the cookie that holds the token.
        self.path = new_session_path()
        self.host_names = tuple(host_names)
        # Added to serve's own environment for each editor process, and for nothing else.
        self.editor_environment = dict(editor_environment or {})
        self.unproven = UnprovenConnections(unproven_limit())
        self._stop = asyncio.Event()
        # The signal that stopped serving (SIGINT: exit code 130, as every command), or None.
        self.stopped_by: int | None = None
        self.lock = lock
        self.sock = sock
        self.claims: dict[str, Claim] = {}
        self.active_browser: str | None = None
        # Signs the browser ids serve gives out (see `_browser`).
        self.browser_key = secrets.token_bytes(32)
        self.websockets: set[web.WebSocketResponse] = set()
        self.editors: set[EditorService] = set()  # started and not yet seen to have ended
        self.page_of: dict[EditorService, web.WebSocketResponse] = {}  # each editor's page

    # -- the aiohttp application -------------------------------------------------------------

    async def _make_app(self) -> web.Application:
        check = token_middleware(
            self.token, lambda: self.port, session_path=self.path, host_names=self.host_names,
            proven=self.unproven.proven,
        )
        app = web.Application(middlewares=[check])
        app.on_response_prepare.append(security_headers)
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
        app.add_routes([
            web.get(self.path, self.handle_index, name="index"),
            web.get(f"{self.path}busy", self.handle_busy, name="busy"),
            web.get(f"{self.path}ws/{{claim}}", self.handle_websocket, name="websocket"),
            web.get(f"{self.path}download/{{key}}", self.handle_download, name=DOWNLOAD_ROUTE),
            web.static(f"{self.path}static", self.statics_path, show_index=False, name="static"),
        ])
        app.on_shutdown.append(self._close_websockets)
        return app

    async def _close_websockets(self, app: web.Application) -> None:
        """On the way out: stop every editor process (all at once, each until it has ended),
        and close every browser's connection, without waiting on a browser that is gone."""

        async def close(websocket: web.WebSocketResponse) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    websocket.close(code=WSCloseCode.GOING_AWAY, message=STOPPED_REASON.encode()),
                    timeout=2,
                )

        async def stop(editor: EditorService) -> None:
            # Its page is told what became of the unsaved changes once the editor has said it
            # (its last line), then closed: it said they were kept whether or not there were
            # any, and whether or not they were.
            await editor.shut_down()
            websocket = self.page_of.get(editor)
            if websocket is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(websocket.send_str(
                        json.dumps([STOPPED_META, editor.stopped_sentence()])), timeout=2)
                await close(websocket)

        editors = list(self.editors)
        with_editor = {self.page_of.get(editor) for editor in editors}
        await asyncio.gather(
            *(stop(editor) for editor in editors),
            *(close(websocket) for websocket in list(self.websockets) if websocket not in with_editor),
            return_exceptions=True,
        )

    def request_exit(self, number: int | None = None) -> None:
        """Stop serving; `number` is the signal that asked (the exit code depends on it)."""
        if self.stopped_by is None:
            self.stopped_by = number
        self._stop.set()

    async def _serve(self) -> None:
        """aiohttp's run_app, with a bound on the connections that have not shown the token."""
        runner = web.AppRunner(
            await self._make_app(), handle_signals=False,
            access_log=None,  # the access log would record the URL's token
            # A Cookie header as long as a connection may send before it shows the token.
            max_field_size=UNPROVEN_BYTES,
            shutdown_timeout=10,
        )
        await runner.setup()
        assert runner.server is not None
        self.unproven.watch(runner.server)
        try:
            await web.SockSite(runner, self.sock).start()
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def run(self, signals: StopSignals) -> None:
        """Serve until ctrl+c, SIGTERM or SIGHUP (`signals`); no editor process outlives this."""
        # Nothing below is interrupted halfway: a signal that comes while the loop is made is
        # acted on once the loop's handlers are in place.
        signals.only_note()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._stop = asyncio.Event()
        # A closed terminal (SIGHUP) stops the server in the same order, unless `nohup` asked
        # for it to keep running; its default action would end serve at once, editors unasked.
        for number in signals.numbers:
            loop.add_signal_handler(number, self.request_exit, number)
        if signals.received is not None:
            self.request_exit(signals.received)
        quiet = _WithoutClientsRequests()
        logging.getLogger("aiohttp.server").addFilter(quiet)
        # serve's warnings (its own, aiohttp's, asyncio's) share its terminal with other
        # programs' lines: each line says whose it is, as serve's other lines do, where
        # Python's fallback would print them bare.
        said = _PrefixedHandler(sys.stderr)
        root = logging.getLogger()
        root.addHandler(said)
        try:
            loop.run_until_complete(self._serve())
        finally:
            root.removeHandler(said)
            logging.getLogger("aiohttp.server").removeFilter(quiet)
            _finish(loop, signals)
            # Only if the orderly stop above could not finish (its time ran out).
            for editor in list(self.editors):
                if editor.running():
                    editor.signal_group(signal.SIGKILL)

    # -- the page ----------------------------------------------------------------------------

    def _browser_cookie(self) -> str:
        return BROWSER_COOKIE.format(port=self.port)

    def _signed(self, browser: str) -> str:
        import hashlib
        import hmac

        return hmac.new(self.browser_key, browser.encode(), hashlib.sha256).hexdigest()[:32]

    def _browser(self, request: web.Request) -> str | None:
        """The id serve gave this browser, from its cookie; None if it has none.

        Browsers keep cookies per host, not per port: a page of any program on this host may
        set a cookie named as this one for the path `/`, which the browser sends after ours
        (aiohttp's `request.cookies` keeps only the last). Only a value serve signed is this
        browser's id, so such a page can neither replace it nor give the browser one of its
        choosing (which made a reload of the editor's tab a page saying another browser edits).
        """
        for value in cookie_values(request, self._browser_cookie()):
            browser, dot, signature = value.rpartition(".")
            # compare_digest refuses str with other than ASCII, which such a page may send.
            if dot and signature.isascii() and secrets.compare_digest(signature, self._signed(browser)):
                return value
        return None

    def _new_browser(self) -> str:
        browser = secrets.token_urlsafe(16)
        return f"{browser}.{self._signed(browser)}"

    def _busy_for(self, browser: str) -> bool:
        now = time.monotonic()
        self.claims = {key: c for key, c in self.claims.items() if c.expires > now}
        if self.lock.holder is not None and self.active_browser != browser:
            return True
        if any(claim.browser != browser for claim in self.claims.values()):
            return True
        return self.lock.taken_elsewhere()

    async def handle_index(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        browser = self._browser(request) or self._new_browser()
        if self._busy_for(browser):
            response: web.StreamResponse = self._busy_page()
        else:
            claim = secrets.token_urlsafe(16)
            self.claims[claim] = Claim(browser, time.monotonic() + CLAIM_SECONDS)
            scheme = "wss" if request.secure else "ws"
            context = {
                "font_size": _to_int(request.query.get("fontsize", "16"), 16, low=6, high=64),
                "app_websocket_url": f"{scheme}://{request.host}{self.path}ws/{claim}",
                "config": {"static": {"url": f"{self.path}static/"}},
                "application": {"name": self.title},
                "stopped_reason": STOPPED_REASON,
                "page_title_meta": PAGE_TITLE_META,
                "unsaved_meta": UNSAVED_META,
                "unapplied_meta": UNAPPLIED_META,
                "stopped_meta": STOPPED_META,
                "input_counted_meta": INPUT_COUNTED_META,
                "stdin_piece": STDIN_PIECE,
            }
            response = aiohttp_jinja2.render_template("editor.html", request, context)
            response.headers.update(SECURITY_HEADERS)
        response.set_cookie(
            self._browser_cookie(), browser, httponly=True, samesite="Strict", path=self.path
        )
        return response

    def _busy_page(self, browser: str = "") -> web.Response:
        if self.lock.holder is None and self.claims and not self.lock.taken_elsewhere():
            # Only a page loaded moments ago stands in the way, whose editor has not started
            # (a link preview, a prefetch, a fetch by another program, a window closed at
            # once): there is no editor to quit, and its claim runs out by itself.
            left = max(claim.expires for claim in self.claims.values()) - time.monotonic()
            return page(
                "Already being opened",
                f"{visible(self.lock.policy_path.name)} was opened in another browser window moments ago, "
                "and its editor has not started yet. Only one editor at a time may change a "
                f"policy file. If that window is gone, reload this page in {max(1, round(left))} s.",
                status=409,
            )
        name = visible(self.lock.policy_path.name)
        if browser and browser == self.active_browser:
            # A second tab of the browser that edits: "close that window" would close this
            # tab too, when it shares the window, and the edit is a tab away.
            return page(
                "Already being edited",
                f"{name} is already being edited in another tab of this browser. Only one "
                "editor at a time may change a policy file, so that neither overwrites the "
                "other. Go on editing in that tab, or quit the editor there (ctrl+q) or close "
                "that tab, then reload this page.",
                status=409,
            )
        return page(
            "Already being edited",
            f"{name} {BUSY_MESSAGE}. Only one editor at a time may "
            "change a policy file, so that neither overwrites the other. Quit the editor "
            "there (ctrl+q) or close that window, then reload this page.",
            status=409,
        )

    async def handle_busy(self, request: web.Request) -> web.StreamResponse:
        # The page says "reload this page" once the other editor is gone: that reload must
        # lead back to the editor, or the reader stays on this explanation for good.
        browser = self._browser(request) or ""
        if self.lock.holder is None and not self._busy_for(browser):
            return web.Response(status=303, headers={**SECURITY_HEADERS, "Location": self.path})
        return self._busy_page(browser)

    # -- the websocket: one editor process per browser window --------------------------------

    async def _acquire(self, session: str) -> bool:
        deadline = time.monotonic() + TAKEOVER_WAIT_SECONDS
        while not self.lock.try_acquire(session):
            if time.monotonic() >= deadline or self._stop.is_set():
                return False
            await asyncio.sleep(0.1)
        return True

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        claim = self.claims.pop(request.match_info["claim"], None)
        if claim is None or claim.expires <= time.monotonic():
            return page("Page out of date", "Reload the page to open the editor.", status=403)
        session = secrets.token_urlsafe(16)
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MESSAGE_BYTES)
        acquired = await self._acquire(session)
        if self._stop.is_set():
            # serve is stopping, and has already asked every editor it knew of to end: one
            # started now (a reload's, which waited for the editor before it) would be found
            # only once the server's wait for its connections had run out, seconds later.
            if acquired:
                self.lock.release(session)
            return page("Stopped", "policytui serve is stopping.", status=503)
        try:
            await websocket.prepare(request)
        except ConnectionResetError:
            # The page left while this waited for the editor before it (reloaded again, or
            # closed): nobody is there to edit, so the file must not stay taken for it.
            if acquired:
                self.lock.release(session)
            return websocket
        if self._stop.is_set():
            # serve was stopped while the connection was being opened: as above, no editor is
            # started for it, and its page is told why.
            if acquired:
                self.lock.release(session)
            with contextlib.suppress(Exception):
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=STOPPED_REASON.encode())
            return websocket
        if not acquired:
            # Another window of this browser is editing: send this one to the explanation
            # (the page follows textual-serve's "open_url" message).
            await websocket.send_str(
                json.dumps(["open_url", {"url": f"{self.path}busy", "new_tab": False}])
            )
            await websocket.close()
            return websocket
        self.active_browser = claim.browser
        self.websockets.add(websocket)
        width = _to_int(request.query.get("width", "80"), 80, low=20, high=1000)
        height = _to_int(request.query.get("height", "24"), 24, low=5, high=500)
        app_service: EditorService | None = None

        async def close() -> None:
            await websocket.close()

        try:
            app_service = EditorService(
                self.command,
                session_path=self.path,
                environment=self.editor_environment,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=False,
            )
            self.editors.add(app_service)
            self.page_of[app_service] = websocket
            await app_service.start(width, height)
            await self._relay_until_either_ends(websocket, app_service)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await websocket.close()
        except Exception as error:  # one broken connection must not stop the server
            log.warning("the editor connection ended: %s", type(error).__name__)
        finally:
            try:
                if app_service is not None:
                    # The file stays taken until the editor process has ended, so a second
                    # editor never runs beside one that is still stopping.
                    await _shut_down_even_if_cancelled(app_service)
            finally:
                if app_service is not None and not app_service.running():
                    self.editors.discard(app_service)
                    self.page_of.pop(app_service, None)
                self.websockets.discard(websocket)
                self.active_browser = None
                self.lock.release(session)
        return websocket

    async def _relay_until_either_ends(
        self, websocket: web.WebSocketResponse, app_service: AppService
    ) -> None:
        """Relay until the browser leaves or the editor process ends. An editor that ends on
        its own (it could not start, or it failed) closes the page's connection, so the page
        says the editor has closed instead of waiting on its splash screen for ever, and the
        policy file is free again."""
        relay = asyncio.ensure_future(self._relay_browser_messages(websocket, app_service))
        editor = app_service._task  # textual-serve's reader of the editor process's output
        if editor is None:
            await relay
            return
        try:
            await asyncio.wait({relay, editor}, return_when=asyncio.FIRST_COMPLETED)
            if not relay.done() and self._stop.is_set():
                # serve is stopping, and stopped the editor: its page is told what became of
                # the unsaved changes, then closed, by the stop (`_close_websockets`).
                await asyncio.wait({relay})
            if not relay.done():
                if isinstance(app_service, EditorService) and app_service.running():
                    log.warning("the page no longer receives the editor; closing it")
                else:
                    log.warning("the editor process ended by itself; closing its page")
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"the editor ended")
        finally:
            if not relay.done():
                relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay

    async def _relay_browser_messages(
        self, websocket: web.WebSocketResponse, app_service: AppService
    ) -> None:
        """The browser's keys, mouse and size to the editor. Malformed messages are dropped.
        Each input message is followed by a mark of how many the page has sent, which the
        editor answers once their edits are counted (page_meta.INPUT_MARK_META)."""
        sent = 0
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
            except (ValueError, RecursionError):  # RecursionError: nested too deep to read
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                sent += 1  # as the page counts them, those dropped here too
                try:
                    typed = data.encode("utf-8")
                except UnicodeEncodeError:  # half of a character ("\ud800"): no text at all
                    typed = b""
                if typed:
                    await app_service.send_bytes(typed)
                await app_service.send_meta({"type": INPUT_MARK_META, "count": sent})
            elif kind == "resize" and isinstance(data, dict):
                width, height = data.get("width"), data.get("height")
                if isinstance(width, int) and isinstance(height, int):
                    await app_service.set_terminal_size(
                        max(20, min(width, 1000)), max(5, min(height, 500))
                    )
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()


async def _shut_down_even_if_cancelled(editor: EditorService) -> None:
    """`editor.shut_down()`, carried to its end when the waiting task is cancelled (the
    server stopping cancels its handlers), then the cancellation passed on."""
    try:
        await editor.shut_down()
    except asyncio.CancelledError:
        with contextlib.suppress(asyncio.CancelledError):
            await editor.shut_down()
        raise


def _to_int(text: str, default: int, *, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        return default
    return max(low, min(value, high))
