"""Keys typed just before the terminal shrinks are read before the shrink.

The installed `policytui connect` runs on a terminal of the test's own (a pty), so that the
keys and the new size reach it in an order the test fixes: the keys are in the terminal's
input queue before its size changes and SIGWINCH is sent. tmux cannot fix that order (it
writes keys and changes the size from its own loop), which is why the tmux test of the same
thing (`test_keys_for_a_dialog_survive_the_terminal_shrinking_as_it_opens`) passed or failed
by how busy the machine was.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from typing import Any

import pytest

POLICYTUI = str(Path(sys.executable).parent / "policytui")
KESTRA = Path(__file__).resolve().parent / "fixtures" / "servers" / "kestra-head-14fe3a3.json"
# Control sequences, whose text is not the screen's: CSI, OSC (ended by BEL or ST), and the
# two-character escapes.
CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x00-\x08\x0e-\x1f]")


class Pty:
    """The editor on a terminal of the test's own: what it wrote, as text without control
    sequences, and its size set as a terminal window's is."""

    def __init__(self, argv: list[str], cwd: Path, size: tuple[int, int]) -> None:
        self.controller, terminal = os.openpty()
        self.resize(*size)
        environment = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
        environment.update(TERM="xterm-256color", HOME=str(cwd / "home"), XDG_CONFIG_HOME=str(cwd / "home" / ".config"),
                           XDG_STATE_HOME=str(cwd / "home" / ".state"), LANG="C.UTF-8")

        def controlling_terminal() -> None:  # SIGWINCH goes to the terminal's session
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(argv, cwd=cwd, env=environment, stdin=terminal, stdout=terminal,
                                        stderr=terminal, preexec_fn=controlling_terminal)  # noqa: PLW1509
        os.close(terminal)
        self.output = ""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.controller, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.output += chunk.decode("utf-8", "replace")

    def text(self, since: int = 0) -> str:
        with self.lock:
            return CONTROL.sub("", self.output[since:])

    def mark(self) -> int:
        with self.lock:
            return len(self.output)

    def wait(self, what: str, words: str, since: int = 0, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while words not in self.text(since):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"waited {timeout:.0f} s for {what} ({words!r}); written since:\n"
                                     f"{self.text(since)[-3000:]}")
            time.sleep(0.02)

    def type(self, keys: bytes) -> None:
        os.write(self.controller, keys)

    def resize(self, width: int, height: int) -> None:
        """The size a window change gives the terminal; the kernel sends SIGWINCH."""
        fcntl.ioctl(self.controller, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        os.close(self.controller)


ROUNDS = 5


def saved_rules(policy: Path, count: int, timeout: float = 30) -> dict[str, Any]:
    """The policy file's rules once it holds `count` of them (or what it holds after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            rules: dict[str, Any] = json.loads(policy.read_text(encoding="utf-8"))["tools"]
        except (OSError, ValueError, KeyError):
            rules = {}
        if len(rules) >= count or time.monotonic() > deadline:
            return rules
        time.sleep(0.05)


def test_keys_typed_just_before_the_terminal_shrinks_reach_the_dialog_they_open(tmp_path: Path) -> None:
    """`l5`, and at once (the keys in the terminal's queue first) the terminal shrinks under
    the minimum: once it grows again the limits dialog is open with 5 in its maximum, and
    Enter, ctrl+s and ctrl+s add, apply and save the limit, in each of ROUNDS rounds. Before,
    the too-small notice came first and dropped the keys, and the dialog never opened: the
    shrink was told by a signal that could overtake keys still unread in the terminal's queue,
    and a shrink told after the keys was acted on before their bindings had run."""
    (tmp_path / "home").mkdir()
    policy = tmp_path / "policy.json"
    editor = Pty([POLICYTUI, "connect", "--from", str(KESTRA), "--policy", str(policy)], tmp_path, (100, 30))
    try:
        editor.wait("the policy loaded", "✓ valid")
        editor.wait("the tools", "backfill_executions")
        for round_ in range(ROUNDS):
            editor.type(b"j")  # the next tool: each round limits a tool of its own
            shrunk = editor.mark()
            editor.type(b"l5")
            editor.resize(30, 8)
            editor.wait(f"round {round_}: the too-small notice", "needs 40x12", since=shrunk)
            grown = editor.mark()
            editor.resize(100, 30)
            editor.wait(f"round {round_}: the limits dialog once the terminal grew", "Limits for", since=grown)
            added = editor.mark()
            editor.type(b"\r")  # Enter adds the limit the dialog holds
            editor.wait(f"round {round_}: the limit added", "5/minute", since=added)
            applied = editor.mark()
            editor.type(b"\x13")  # ctrl+s applies the dialog
            editor.wait(f"round {round_}: the dialog applied", "unsaved", since=applied)
            saved = editor.mark()
            editor.type(b"\x13")  # and saves the policy
            editor.wait(f"round {round_}: the policy saved", "Saved", since=saved)
            # The file itself, not only the word: a repaint after the mark can show the toast of
            # the round before ("Saved ..."), and the screen then runs ahead of the save.
            rules = saved_rules(policy, round_ + 1)
        assert len(rules) == ROUNDS, rules
        assert all([limit["max"] for limit in rule["limits"]] == [5] for rule in rules.values()), rules
        editor.type(b"\x11")  # ctrl+q
        assert editor.process.wait(timeout=30) == 0
    finally:
        editor.close()


if not sys.platform.startswith("linux"):  # pragma: no cover - the pty and its ioctls are Linux's here
    pytestmark = pytest.mark.skip(reason="needs a Linux pty")
