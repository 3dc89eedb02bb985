"""Running the installed `policytui serve` and reading the editor's screen out of real Chromium.

The page draws the terminal on a canvas, so its text is not in the DOM. The test reads it the
way the page does: every byte the browser's websocket receives is fed to a terminal emulator
(pyte) of the size the page asked for, and clicks go to the pixel of a cell on the page.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import traceback_guard

POLICYTUI = str(Path(sys.executable).with_name("policytui"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root on a closed network: no sandbox, no GPU, and none of Chromium's own connections.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / ".artifacts" / "serve"
# serve is stopped as its user stops it (ctrl+c, a closed terminal, SIGTERM), and a terminal's
# shell starts a command with those signals at their defaults. A test run started in the
# background (`&`, which ignores SIGINT) or under nohup (SIGHUP) hands them on ignored, and
# serve, as documented for nohup, then runs on: each is set back to its default for serve.
DEFAULT_SIGNALS = ["env", "--default-signal=HUP,INT,TERM"]
VIEWPORT = {"width": 1200, "height": 800}  # a laptop's browser window


# Put on the editors' PYTHONPATH by `HeldEditorStart`: each editor process serve starts (the
# only processes given the connect arguments) says its pid, then waits in its start, before
# policytui is imported, until the test lets it go.
HELD_START = """
import os, time
from pathlib import Path

if "POLICYTUI_SERVE_CONNECT_ARGUMENTS" in os.environ:
    let_go = Path(os.environ["POLICYTUI_TEST_EDITOR_LET_GO"])
    with open(let_go.with_name(let_go.name + ".started"), "a") as started:
        started.write(f"{os.getpid()}\\n")
    deadline = time.monotonic() + 240
    while not let_go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
"""


class HeldEditorStart:
    """Holds each editor process serve starts in its start, until `let_go()` (or 240 s): a stop
    then lands while the editor starts, however fast the machine. `env` is for `Served`."""

    def __init__(self, folder: Path) -> None:
        code = folder / "held-start"
        code.mkdir()
        (code / "sitecustomize.py").write_text(HELD_START, encoding="utf-8")
        self.let_go_file = folder / "let-the-editor-go"
        self.started_file = folder / "let-the-editor-go.started"
        self.env = {"PYTHONPATH": str(code), "POLICYTUI_TEST_EDITOR_LET_GO": str(self.let_go_file)}

    def started(self) -> list[int]:
        """The pids of the editor processes held so far."""
        if not self.started_file.exists():
            return []
        return [int(line) for line in self.started_file.read_text().split()]

    def let_go(self) -> None:
        self.let_go_file.touch()


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run tests/servers/install.sh (install.d/30-chromium.sh)")


class Served:
    """One `policytui serve` process; `url` is the address it printed, token included."""

    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str] | None = None,
                 prefix: list[str] | None = None) -> None:
        self.process = subprocess.Popen(
            [*DEFAULT_SIGNALS, *(prefix or []), POLICYTUI, "serve", *argv],
            cwd=cwd, env={**os.environ, **(env or {})}, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        traceback_guard.watch_lines(self.stdout, self.stderr)
        self.pipes = [_Pipe(stream, lines) for stream, lines in
                      ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))]
        self.readers = [pipe.reader for pipe in self.pipes]
        deadline = time.monotonic() + 30
        self.url = ""
        while not self.url:
            found = re.search(r"http://\S+", "".join(self.stdout))
            if found:
                self.url = found.group(0)
            elif self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"policytui serve printed no URL: {''.join(self.stdout + self.stderr)}"
                )
            else:
                time.sleep(0.05)
        parsed = urlparse(self.url)
        self.base = f"{parsed.scheme}://{parsed.netloc}"
        self.token = parse_qs(parsed.query)["token"][0]

    def stop(self) -> int:
        """Stop serve as its user does, by ctrl+c (SIGINT): its exit code, 130 when it stopped so."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.read_to_the_end()
        return self.process.returncode

    def read_to_the_end(self, timeout: float = 10) -> None:
        """Once serve has ended: until `stdout` and `stderr` hold all it wrote. Its last lines
        can still be in the pipes when the process is gone, their readers not yet scheduled on
        a busy machine; each pipe ends once whatever else holds it (a browser command serve
        started) has ended too, hence the bound."""
        deadline = time.monotonic() + timeout
        for reader in self.readers:
            reader.join(max(0.0, deadline - time.monotonic()))

    def read_so_far(self, timeout: float = 60) -> None:
        """While serve runs: until `stdout` and `stderr` hold every whole line serve has written
        by now (each pipe empty, what was taken from it added). A line written before some
        event the test saw (a page answered) is then in them, where a reader thread not yet
        scheduled on a busy machine could still leave it in the pipe."""
        deadline = time.monotonic() + timeout
        while not all(pipe.emptied() for pipe in self.pipes):
            if time.monotonic() > deadline:
                raise AssertionError(f"serve's output was not read within {timeout} s")
            time.sleep(0.01)


class _Pipe:
    """One of serve's output pipes, read into `lines` by a thread as it is written."""

    def __init__(self, stream: Any, lines: list[str]) -> None:
        self.descriptor = stream.fileno()
        self.lines = lines
        self.stream = stream
        # Held while bytes taken from the pipe are on their way into `lines`.
        self.taking = threading.Lock()
        self.ended = False
        self.reader = threading.Thread(target=self._collect, daemon=True)
        self.reader.start()

    def _collect(self) -> None:
        import select

        pending = b""
        readable = select.poll()  # not select(): a test with many sockets open has numbers past 1024
        readable.register(self.descriptor, select.POLLIN)
        while True:
            readable.poll()
            with self.taking:
                chunk = os.read(self.descriptor, 65536)  # readable: this does not block
                pending += chunk
                *whole, pending = pending.split(b"\n")
                self.lines.extend(line.decode("utf-8", "replace") + "\n" for line in whole)
                if not chunk:
                    if pending:
                        self.lines.append(pending.decode("utf-8", "replace"))
                    self.ended = True
                    self.stream.close()
                    return

    def emptied(self) -> bool:
        """Nothing is left in the pipe, and everything taken from it is in `lines`."""
        import fcntl
        import termios

        with self.taking:
            if self.ended:
                return True
            waiting = bytearray(4)
            fcntl.ioctl(self.descriptor, termios.FIONREAD, waiting)
            return int.from_bytes(waiting, sys.byteorder) == 0


class BrowserScreen:
    """What the page's terminal shows, rebuilt from the bytes its websocket received."""

    def __init__(self, page: Any) -> None:
        import pyte

        self.page = page
        self._pyte = pyte
        self.screen: Any = None
        self.stream: Any = None
        self.received = bytearray()
        self.sockets = 0
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, socket: Any) -> None:
        query = parse_qs(urlparse(socket.url).query)
        self.sockets += 1
        self.screen = self._pyte.Screen(int(query["width"][0]), int(query["height"][0]))
        self.stream = self._pyte.ByteStream(self.screen)
        socket.on("framereceived", self._on_received)
        socket.on("framesent", self._on_sent)

    def _on_received(self, payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            self.received += payload
            self.stream.feed(payload)

    def _on_sent(self, payload: bytes | str) -> None:
        if isinstance(payload, str) and payload.startswith('["resize"'):
            size = json.loads(payload)[1]
            self.screen.resize(size["height"], size["width"])

    def lines(self) -> list[str]:
        return list(self.screen.display) if self.screen else []

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait(self, what: str, predicate: Callable[[str], bool], timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if predicate(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout}s for {what}; the page shows:\n{text}")
            self.page.wait_for_timeout(100)

    def wait_for_sockets(self, count: int, what: str, timeout: float = 30) -> None:
        """Until the page has opened `count` websockets in all (one per load that reached
        serve's editor connection)."""
        deadline = time.monotonic() + timeout
        while self.sockets < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout}s for {what}; the page opened "
                                     f"{self.sockets} of {count} websockets: {self.page.url}")
            self.page.wait_for_timeout(50)

    def row_of(self, needle: str) -> tuple[int, int]:
        """(line, column) of the first cell where `needle` starts."""
        for number, line in enumerate(self.lines()):
            column = line.find(needle)
            if column >= 0:
                return number, column
        raise AssertionError(f"{needle!r} is not on the page:\n{self.text()}")

    def click(self, needle: str, at: int = 0) -> None:
        """Click the middle of cell `at` of the first `needle` on screen, with the real mouse."""
        line, column = self.row_of(needle)
        column += at
        box = self.page.locator(".xterm-screen").bounding_box()
        cell_width = box["width"] / self.screen.columns
        cell_height = box["height"] / self.screen.lines
        self.page.mouse.click(
            box["x"] + (column + 0.5) * cell_width, box["y"] + (line + 0.5) * cell_height
        )


def home_of(folder: Path) -> dict[str, str]:
    """The environment of a home of its own under `folder`: no server configuration of the
    machine's user leaks into a test."""
    home = folder / "home"
    home.mkdir()
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


@dataclass
class EditorPage:
    """serve's editor open in a window of its own: the page, what its terminal shows, and the
    questions the browser itself asked (its type: "beforeunload" before a reload or a close
    loses work), each accepted."""

    served: Served
    page: Any
    screen: BrowserScreen
    asked: list[str] = field(default_factory=list)


@contextlib.contextmanager
def kestra_in_chromium(chromium: Any, folder: Path, env: dict[str, str],
                       policy: Path | str = "policy.json") -> Iterator[EditorPage]:
    """`policytui serve kestra --offline --policy POLICY` started in `folder` with `env`, its
    page open in a new Chromium window (1200x800) and showing the editor; once done, serve
    stopped by ctrl+c: exit 130 and no traceback."""
    served = Served(["kestra", "--offline", "--policy", str(policy), "--no-open"], cwd=folder, env=env)
    try:
        page = chromium.new_context(viewport=VIEWPORT).new_page()
        opened = EditorPage(served, page, BrowserScreen(page))
        page.on("dialog", lambda dialog: (opened.asked.append(dialog.type), dialog.accept()))
        page.goto(served.url)
        opened.screen.wait("the editor", lambda s: bool(table_row(s, "manage_apps")))
        yield opened
    finally:
        code = served.stop()
    said = "".join(served.stderr)
    assert code == 130, said
    assert "Traceback" not in said, said


def table_row(text: str, tool: str) -> str:
    """The table line that starts with `tool` (the detail pane's heading has no columns)."""
    for line in text.splitlines():
        if line.startswith(f" {tool} ") and ("deny" in line or "allow" in line):
            return line
    return ""


class RecordingListener:
    """Another program listening on this machine (another user's server, say): it records every
    request a browser sends it and answers each with `page(path)`, an HTML page."""

    def __init__(self, family: int = socket.AF_INET, address: str = "127.0.0.1", port: int = 0,
                 page: Callable[[str], str] = lambda path: "<html><body></body></html>") -> None:
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.sock.bind((address, port))
        self.sock.listen(16)
        self.port: int = self.sock.getsockname()[1]
        self.page = page
        self.requests: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                try:
                    head = connection.recv(65536).decode("latin-1")
                except OSError:
                    continue
                self.requests.append(head)
                path = head.split(" ", 2)[1] if head.count(" ") >= 2 else "/"
                body = self.page(path).encode("utf-8")
                with contextlib.suppress(OSError):
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                    )

    def paths(self) -> list[str]:
        return [head.split(" ", 2)[1] for head in self.requests if head.count(" ") >= 2]

    def close(self) -> None:
        self.sock.close()
