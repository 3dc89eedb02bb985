"""Listing a stdio server's tools over raw JSON-RPC lines, with the standard library only.

A listing is short: initialize, then every page of tools/list. Spoken raw, it needs neither
the MCP SDK (about 0.7 s of imports) nor an event loop, so the server process starts as soon
as the command is known, and everything else policytui loads happens while the server starts.
Each tool is kept exactly as sent (one malformed tool is named, not fatal), failures get the
same sentences as the SDK-based connection (`explain.py`), and `cancel()` kills the server's
whole process group at once from any thread.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import signal
import subprocess
import threading
import time
from typing import Any

from policytui.discovery.client_capabilities import client_capabilities
from policytui.discovery.diagnostics import Diagnostics
from policytui.discovery.errors import DiscoveryError, ListingCancelled
from policytui.discovery.limits import MAX_SERVER_MESSAGE_BYTES, refused_sentence, too_large_words
from policytui.discovery.listing import build_listing
from policytui.discovery.spawn import (
    check_can_spawn,
    child_environment,
    group_alive,
    signal_group,
    spawn_error,
)
from policytui.discovery.spec import ServerSpec
from policytui.textsafe import visible
from policytui.toolinfo import ServerListing

# The handshake versions of the MCP SDK policytui is built with (mcp_types.version; importing
# that costs 0.3 s). tests/test_cli_listing.py keeps these equal to the SDK's.
LATEST_PROTOCOL_VERSION = "2025-11-25"
KNOWN_PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
# A paginator that never ends must not spin forever even inside the overall deadline.
MAX_PAGES = 100_000
# How often a blocked read looks at the cancel flag and the process.
_TICK = 0.05
# After a listing, how long the server may take to exit on EOF before its group is signalled.
CLOSE_GRACE = 0.1
TERM_GRACE = 1.0
# A server that exited may leave a descendant holding stdout: read what is left this long.
_DRAIN_AFTER_EXIT = 0.2
_METHOD_NOT_FOUND = -32601


class _Closed(Exception):
    """The server closed its stdout (it exited, or was killed)."""


class _TooLarge(Exception):
    """The server's line passed the limit: it is not read further."""


class _ErrorAnswer(Exception):
    def __init__(self, code: Any, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _NotMcp(Exception):
    """An answer of the right id whose shape is not what MCP sends."""


class StdioListing:
    """One attempt at listing a stdio server: `start()` spawns it, `result()` waits for the list."""

    def __init__(
        self,
        spec: ServerSpec,
        *,
        timeout: float,
        client_version: str,
        max_message: int = MAX_SERVER_MESSAGE_BYTES,
    ) -> None:
        assert spec.command is not None
        self.spec = spec
        self.timeout = timeout
        # A line from the server longer than this ends the listing (the server is stopped).
        self.max_message = max_message
        self.client_version = client_version
        self.diag = Diagnostics(spec)
        self.diag.stage = "initialize"
        self._process: subprocess.Popen[bytes] | None = None
        self._failure: DiscoveryError | None = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._finished = False
        self._deadline = 0.0
        self._buffer = b""
        self._next_id = 0
        # Set by a successful `result()`: the answers exactly as sent, for `policytui snapshot`.
        self.initialize_result: dict[str, Any] = {}
        self.raw_tools: list[Any] = []

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Spawn the server and send initialize. Failures are kept for `result()` to raise."""
        spec = self.spec
        assert spec.command is not None
        self._deadline = time.monotonic() + self.timeout
        env = child_environment(spec.env)
        try:
            check_can_spawn(spec.command, spec.cwd, env, self.diag)
            self._process = subprocess.Popen(
                [spec.command, *spec.args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.diag.open_stderr_file(),
                env=env,
                cwd=spec.cwd,
                start_new_session=True,  # its own process group: stopped whole, children too
                bufsize=0,
            )
        except DiscoveryError as error:
            self._failure = error
            return
        except OSError as exc:
            self._failure = spawn_error(spec.command, exc, self.diag)
            return
        self.diag.pid = self._process.pid
        atexit.register(self.cancel)  # never leave a server behind, whatever happens to us
        # The pipe holds the request until the server reads it.
        self._send_request(
            "initialize",
            {
                "protocolVersion": LATEST_PROTOCOL_VERSION,
                # What the gateway declares, so the server lists every tool it would offer
                # an agent behind the gateway (some are offered only to capable clients).
                "capabilities": client_capabilities("stdio"),
                "clientInfo": {"name": "policytui", "version": self.client_version},
            },
        )

    def cancel(self) -> None:
        """Kill the server's process group now (any thread); a waiting `result()` raises
        ListingCancelled."""
        self._cancelled.set()
        with self._lock:
            if self._process is not None and not self._finished:
                signal_group(self._process.pid, signal.SIGKILL)

    def result(self) -> ServerListing:
        """Wait for the full tool list. Raises DiscoveryError (one sentence) or ListingCancelled.
        The server is stopped either way."""
        try:
            if self._failure is not None:
                raise self._failure
            self.initialize_result = self._initialize()
            self.diag.stage = "tools/list"
            self.raw_tools = self._list_all_tools()
            self.diag.stage = "connected"
            return build_listing(
                self.raw_tools, self.initialize_result, self.spec, transport="stdio"
            )
        except _Closed:
            raise self._fail(self._closed_sentence()) from None
        except _TooLarge:
            raise self._fail(refused_sentence(
                self._who(), too_large_words(self.max_message),
                self.diag.stage, "it was stopped",
            )) from None
        except TimeoutError:
            raise self._fail(self._timeout_sentence()) from None
        finally:
            self._stop(graceful=self.diag.stage == "connected")
            self.diag.close()

    # The conversation -------------------------------------------------------------------------

    def _initialize(self) -> dict[str, Any]:
        who = self._who()
        try:
            result = self._answer(0)
        except _ErrorAnswer as error:
            raise self._fail(f"{who} rejected initialize: {self._detail(error)}.") from None
        except _NotMcp:
            raise self._fail(f"{who} sent an answer to initialize that is not valid MCP.") from None
        problem = _initialize_problem(result)
        if problem:
            raise self._fail(
                f"The server's answer to initialize is not valid MCP ({visible(problem)})."
            )
        version = result["protocolVersion"]
        if version not in KNOWN_PROTOCOL_VERSIONS:
            raise self._fail(
                f"The server speaks MCP protocol version {version!r}, which policytui does not know."
            )
        self._send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return result

    def _list_all_tools(self) -> list[Any]:
        """Every page of tools/list, following nextCursor, entries untouched."""
        who = self._who()
        entries: list[Any] = []
        cursor: str | None = None
        seen: set[str] = set()
        for page in range(MAX_PAGES):
            request_id = self._send_request(
                "tools/list", {"cursor": cursor} if cursor is not None else None
            )
            try:
                result = self._answer(request_id)
            except _ErrorAnswer as error:
                at = f" (page {page + 1})" if page else ""
                raise self._fail(
                    f"{who} answered initialize but failed to list its tools{at}: {self._detail(error)}."
                ) from None
            except _NotMcp:
                result = None
            self.diag.pages = page + 1
            tools = result.get("tools") if isinstance(result, dict) else None
            if not isinstance(tools, list):
                raise self._fail(
                    f"{who} answered tools/list (page {page + 1}) without a list of tools."
                )
            entries.extend(tools)
            self.diag.tools_listed = len(entries)
            assert isinstance(result, dict)
            next_cursor = result.get("nextCursor")
            if next_cursor is None:
                return entries
            if not isinstance(next_cursor, str):
                raise self._fail(
                    f"{who} sent a tools/list page ({page + 1}) whose nextCursor is not text."
                )
            if next_cursor in seen:
                raise self._fail(
                    f"{who} sent tools/list pages that go round in a circle: page {page + 1} points back to an earlier one."
                )
            seen.add(next_cursor)
            cursor = next_cursor
        raise self._fail(f"{who} sent tools/list pages that did not end after {MAX_PAGES} pages.")

    def _answer(self, request_id: int) -> Any:
        """The result of our request `request_id`; answers the server's own requests meanwhile."""
        while True:
            message = self._next_message()
            method = message.get("method")
            if isinstance(method, str):
                if "id" in message:
                    self._answer_server_request(message["id"], method)
                continue  # a notification (log, progress): nothing to do while listing
            if message.get("id") != request_id:
                continue  # an answer to nothing we asked now
            if "error" in message:
                error = message["error"]
                if not isinstance(error, dict) or not isinstance(error.get("message"), str):
                    raise _NotMcp()
                raise _ErrorAnswer(error.get("code"), error["message"])
            if not isinstance(message.get("result"), dict):
                raise _NotMcp()
            return message["result"]

    def _answer_server_request(self, request_id: Any, method: str) -> None:
        if method == "ping":
            self._send({"jsonrpc": "2.0", "id": request_id, "result": {}})
        elif method == "roots/list":  # declared (as the gateway does): a listing has no roots
            self._send({"jsonrpc": "2.0", "id": request_id, "result": {"roots": []}})
        else:  # sampling, elicitation: declared, but a listing has no model or human to ask
            self._send(
                {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "error": {"code": _METHOD_NOT_FOUND, "message": "Method not found"},
                }
            )

    # Lines in and out ---------------------------------------------------------------------------

    def _send_request(self, method: str, params: dict[str, Any] | None) -> int:
        request_id = self._next_id
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)
        return request_id

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        try:
            self._process.stdin.write(data)
        except (BrokenPipeError, OSError):
            pass  # it stopped reading: the read side sees it close and says how it ended

    def _next_message(self) -> dict[str, Any]:
        """The next JSON-RPC message on stdout; other lines are remembered as garbage."""
        while True:
            line = self._next_line()
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if _is_jsonrpc(message):
                return message  # type: ignore[no-any-return]
            # Banners and log lines on stdout: real servers do this; skip, but remember them.
            self.diag.note_garbage(line.strip())

    def _next_line(self) -> bytes:
        process = self._process
        assert process is not None and process.stdout is not None
        fd = process.stdout.fileno()
        exited_at: float | None = None
        if b"\n" in self._buffer:
            line, _, self._buffer = self._buffer.partition(b"\n")
            return line
        # A page of thousands of tools is one line of megabytes: gather its chunks and join
        # once, looking for the end of the line only in what just arrived. A line past the
        # limit is given up on as it is read, so it never costs more than the limit.
        chunks = [self._buffer]
        size = len(self._buffer)
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                if self._cancelled.is_set():
                    raise ListingCancelled()
                now = time.monotonic()
                if now >= self._deadline:
                    raise TimeoutError()
                if exited_at is None and process.poll() is not None:
                    exited_at = now
                if exited_at is not None and now - exited_at >= _DRAIN_AFTER_EXIT:
                    raise _Closed()  # a descendant holds stdout open; the server is gone
                if selector.select(min(_TICK, self._deadline - now)):
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        self._buffer = b""
                        rest = b"".join(chunks)
                        if rest:
                            return rest
                        raise _Closed()
                    end = chunk.find(b"\n")
                    if size + (end if end >= 0 else len(chunk)) > self.max_message:
                        raise _TooLarge()
                    size += len(chunk)
                    chunks.append(chunk)
                    if end >= 0:
                        line, _, self._buffer = b"".join(chunks).partition(b"\n")
                        return line

    # Failure sentences --------------------------------------------------------------------------

    def _who(self) -> str:
        return f"Server {visible(self.spec.name)!r}"

    def _detail(self, error: _ErrorAnswer) -> str:
        return f"{visible(error.message)[:300]} (error {error.code})"

    def _fail(self, message: str) -> DiscoveryError:
        if self._cancelled.is_set():
            raise ListingCancelled()
        return DiscoveryError(self.spec.redact(message), stderr_tail=self.diag.stderr_tail())

    def _closed_sentence(self) -> str:
        process = self._process
        assert process is not None
        try:
            # It is on its way out: let it say how.
            self.diag.returncode = process.wait(0.5)
        except subprocess.TimeoutExpired:
            self.diag.returncode = None
        return self.diag.closed_sentence(self._who(), self.diag.stage)

    def _timeout_sentence(self) -> str:
        if self.diag.stage == "tools/list":
            what = f"answered initialize but not tools/list within {self.timeout:g} s"
        else:
            what = f"did not answer initialize within {self.timeout:g} s"
        return f"{self._who()} {what}{self.diag.garbage_note()}; use --timeout to wait longer."

    # Stopping -----------------------------------------------------------------------------------

    def _stop(self, *, graceful: bool) -> None:
        """Stop the server and everything it started, then reap it. Never waits unbounded."""
        process = self._process
        if process is None:
            return
        with self._lock:
            if self._finished:
                return
            if graceful and not self._cancelled.is_set():
                try:
                    assert process.stdin is not None
                    process.stdin.close()
                except OSError:
                    pass
                _wait(process, CLOSE_GRACE)
            # Even a server that exited may have left children in its group: stop those too.
            sig = signal.SIGKILL if self._cancelled.is_set() else signal.SIGTERM
            if signal_group(process.pid, sig) and not _wait_group_gone(process, TERM_GRACE):
                signal_group(process.pid, signal.SIGKILL)
                _wait_group_gone(process, TERM_GRACE)
            _wait(process, TERM_GRACE)
            self._finished = True
        atexit.unregister(self.cancel)
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def _is_jsonrpc(message: Any) -> bool:
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return False
    if "method" in message:
        return isinstance(message["method"], str)
    return "id" in message and ("result" in message or "error" in message)


def _initialize_problem(result: dict[str, Any]) -> str:
    """What makes an initialize result invalid MCP, in the SDK's words; "" when it is fine."""
    if not isinstance(result.get("protocolVersion"), str):
        return "protocolVersion: Field required" if "protocolVersion" not in result else (
            "protocolVersion: Input should be a valid string"
        )
    if not isinstance(result.get("capabilities"), dict):
        return "capabilities: Field required" if "capabilities" not in result else (
            "capabilities: Input should be a valid dictionary"
        )
    info = result.get("serverInfo")
    if not isinstance(info, dict):
        return "serverInfo: Field required" if info is None else (
            "serverInfo: Input should be a valid dictionary"
        )
    for key in ("name", "version"):
        if not isinstance(info.get(key), str):
            return f"serverInfo.{key}: Field required"
    return ""


def _wait(process: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def _wait_group_gone(process: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        process.poll()  # reaps the server itself, so it does not linger as a zombie
        if process.returncode is not None and not group_alive(process.pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
