"""The real program in a real terminal: `policytui connect` runs inside tmux (100x30,
xterm-256color), keys go in through tmux and the screen is read back from the pane.

One test edits a policy for the real Kestra MCP server and checks the file it saves; the
other opens a hostile tool listing and checks the terminal shows server text literally and is
never taken over by it (the title is the editor's own, no cleared screen, still responsive).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures" / "hostile"))
from hostile_listing import (  # noqa: E402
    CSI_NAME_SHOWN,
    DUPLICATE_NAME,
    MARKUP_NAME,
    TITLE_ATTACK,
    write_hostile_listing,
)

WIDTH, HEIGHT = 100, 30
PYTHON = sys.executable
KESTRA_SERVER_CODE = (
    "import sys, src; sys.path.insert(0, list(src.__path__)[0]); import server; server.main()"
)
KESTRA_TOOL_COUNT = 29  # the PyPI build installed by tests/servers/install.sh

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """One program in a private tmux server; read its screen, type into it, wait with deadlines."""

    def __init__(self, home: Path) -> None:
        self.socket = f"tui-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.home = home
        self.started = False
        self.socket_path = ""
        # Keys sent and screens seen, for the failure message: what happened, in order.
        self.history: deque[str] = deque(maxlen=40)
        self.born = time.monotonic()

    def tmux(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True, text=True, timeout=10,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def start(
        self, argv: list[str], *, cwd: Path, env: dict[str, str] | None = None,
        size: tuple[int, int] = (WIDTH, HEIGHT),
    ) -> None:
        """Run `argv` in a fresh pane (100x30 unless `size`) with HOME and config folders
        inside the test's tmp."""
        variables = {
            "TERM": "xterm-256color",
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            **(env or {}),
        }
        # The exit status goes to a file: tmux's own pane status can lag behind the pane's end.
        self.status_file = self.home / f"exit-status-{uuid.uuid4().hex[:8]}"
        record = f'"$@"; echo $? > {shlex.quote(str(self.status_file))}'
        command = shlex.join(
            ["env", "-i", *(f"{k}={v}" for k, v in variables.items()), "sh", "-c", record, "sh", *argv]
        )
        # A placeholder first, so the pane title can be set before the program runs.
        self.tmux("new-session", "-d", "-s", "tui-e2e", "-x", str(size[0]), "-y", str(size[1]),
                  "-c", str(cwd), "sleep 600")
        self.started = True
        self.socket_path = self.tmux("display-message", "-p", "#{socket_path}").strip()
        self.tmux("set-option", "-g", "remain-on-exit", "on")
        self.tmux("select-pane", "-T", "policytui-e2e")
        # Only an escape sequence may rename the window: tmux's own renaming after the running
        # command is off (it races with the checks), and renaming by the program is allowed, so
        # a title attack that got through would show.
        self.tmux("set-window-option", "-g", "automatic-rename", "off")
        self.tmux("set-option", "-g", "allow-rename", "on")
        self.tmux("respawn-pane", "-k", "-c", str(cwd), command)

    def resize(self, width: int, height: int) -> None:
        """Resize the terminal, as a person dragging the window would."""
        self.note(f"resize {width}x{height}")
        self.tmux("resize-window", "-x", str(width), "-y", str(height))

    def screen(self, *, styled: bool = False) -> str:
        screen = self.tmux("capture-pane", "-p", *(["-e"] if styled else []))
        if not styled:
            top = " | ".join(line.strip()[:40] for line in screen.splitlines()[:3])
            if not self.history or not self.history[-1].endswith(top):
                self.note(f"screen: {top}")
        return screen

    def note(self, event: str) -> None:
        self.history.append(f"{time.monotonic() - self.born:7.2f}s {event}")

    def fmt(self, expression: str) -> str:
        return self.tmux("display-message", "-p", expression).rstrip("\n")

    def keys(self, *keys: str) -> None:
        """tmux key names (Enter, C-s, D, /, ...), one by one."""
        for key in keys:
            self.note(f"key {key}")
            self.tmux("send-keys", key)

    def burst(self, *keys: str) -> None:
        """tmux key names sent by one command: they reach the program together, in one read,
        as keys typed faster than the program handles them do."""
        self.note(f"burst {' '.join(keys)}")
        self.tmux("send-keys", *keys)

    def type(self, text: str) -> None:
        self.note(f"type {text!r}")
        self.tmux("send-keys", "-l", text)

    def poll(self, condition: Callable[[str], bool], timeout: float) -> str | None:
        """The screen once `condition(screen)` holds, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if condition(screen):
                return screen
            if self.exited():
                return None
            time.sleep(0.05)
        return None

    def wait(self, what: str, condition: Callable[[str], bool], timeout: float = 30.0) -> str:
        """Poll the screen until `condition(screen)` holds; fail with the screen shown."""
        screen = self.poll(condition, timeout)
        if screen is None:
            state = "the program exited" if self.exited() else "the program runs"
            history = "\n".join(self.history)
            pytest.fail(f"waited for {what} ({state}); the terminal shows:\n{self.screen()}\n"
                        f"keys and screens (top lines), oldest first:\n{history}")
        return screen

    def wait_text(self, text: str, timeout: float = 30.0) -> str:
        return self.wait(repr(text), lambda screen: text in screen, timeout)

    def exited(self) -> bool:
        return self.status_file.exists() or self.fmt("#{pane_dead}") == "1"

    def wait_exit(self, timeout: float = 30.0) -> int:
        """The program's exit status, once it has exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status = self.status_file.read_text().strip()
            except FileNotFoundError:
                status = ""
            if status:
                return int(status)
            time.sleep(0.05)
        pytest.fail(f"the program did not exit; the terminal shows:\n{self.screen()}")

    def close(self) -> None:
        """Stop the tmux server and everything in it, and remove its socket file."""
        if not self.started:
            return
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)
        if self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)


def table_row(screen: str, name: str) -> str:
    """The table line of tool `name` (its first cell is the name, padded)."""
    for line in screen.splitlines():
        if re.match(rf"^\s*{re.escape(name)}\s", line):
            return line
    return ""


def row_shows(name: str, pattern: str) -> Callable[[str], bool]:
    return lambda screen: re.search(pattern, table_row(screen, name)) is not None


FILTER_PLACEHOLDER = "filter tools by name"


def select_tool(term: Terminal, name: str, hidden: str) -> None:
    """Filter the table to `name` with / (ctrl+u clears an earlier filter), back to the table.

    Typing waits until the empty filter box shows: the box takes focus one message after the
    / key, and letters typed before that would reach the table as commands.
    """
    term.keys("/")
    for _attempt in range(10):  # 30 s in all, for a busy machine
        term.keys("C-u")
        if term.poll(lambda s: FILTER_PLACEHOLDER in s, timeout=3.0) is not None:
            break
    else:
        pytest.fail(f"the filter box never came up empty; the terminal shows:\n{term.screen()}")
    term.type(name)
    term.wait(f"the table filtered to {name}",
              lambda s: bool(table_row(s, name)) and not table_row(s, hidden))
    term.keys("Enter")
    # Enter hands focus back to the table one message later; only then does the cursor row
    # get its highlight (a background colour), and only then may the next key be sent.
    term.wait(f"the table focused on {name}", lambda _s: cursor_row_highlighted(term, name))


SGR_BACKGROUND = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:4[0-7]|10[0-7]|48;[0-9;]+)m")


def cursor_row_highlighted(term: Terminal, name: str) -> bool:
    for line in term.screen(styled=True).splitlines():
        plain = re.sub(r"\x1b\[[0-9;]*m", "", line)
        if re.match(rf"^\s*{re.escape(name)}\s", plain):
            return bool(SGR_BACKGROUND.search(line[: line.find(name)]))
    return False


def kestra_command(test_servers: Path) -> list[str]:
    python = test_servers / "kestra" / "bin" / "python"
    if not python.exists():
        pytest.skip(f"the Kestra MCP server is not installed ({python}); run tests/servers/install.sh")
    return [str(python), "-c", KESTRA_SERVER_CODE]


@pytest.mark.servers
def test_edit_and_save_a_policy_for_the_real_kestra_server(
    terminal: Terminal, tmp_path: Path, test_servers: Path
) -> None:
    server = kestra_command(test_servers)
    workdir = tmp_path / "empty"  # the server reads a .env from its working folder
    workdir.mkdir()
    policy = tmp_path / "out" / "policy.json"
    policy.parent.mkdir()
    terminal.start(
        [PYTHON, "-m", "policytui", "connect", "--policy", str(policy), "--", *server],
        cwd=workdir,
        env={"KESTRA_BASE_URL": "http://127.0.0.1:9/api/v1"},
    )
    terminal.wait(f"Kestra's {KESTRA_TOOL_COUNT} tools in the table",
                  lambda s: f"{KESTRA_TOOL_COUNT} tools" in s and bool(table_row(s, "backfill_executions")),
                  timeout=30)

    select_tool(terminal, "manage_flow", hidden="backfill_executions")
    terminal.keys("d")
    terminal.wait("manage_flow denied explicitly", row_shows("manage_flow", r"\sdeny(\s|$)"))

    select_tool(terminal, "execute_flow", hidden="manage_flow")
    terminal.keys("l")
    terminal.wait("the limits editor, empty", lambda s: "max calls" in s and "no limits" in s)
    terminal.type("30")
    terminal.keys("Enter")
    terminal.wait("the new limit listed in the editor",
                  lambda s: "1. 30/minute (execute_flow_rate, grant)" in s)
    terminal.keys("C-s")  # apply the limits editor
    terminal.wait("the limit in the table", row_shows("execute_flow", r"30/minute"))

    terminal.keys("D")  # allowing by default asks first, naming what it would let through
    terminal.wait("the allow-by-default question naming execute_flow's neighbours",
                  lambda s: "Allow by default?" in s and "manage_apps" in s)
    terminal.keys("y")
    terminal.wait_text("default allow")
    terminal.keys("C-s")  # save the file
    terminal.wait("the policy saved", lambda s: "unsaved" not in s and policy.exists())
    terminal.keys("C-q")
    assert terminal.wait_exit() == 0

    document = json.loads(policy.read_text(encoding="utf-8"))
    assert document["default"] == "allow"
    assert document["tools"]["manage_flow"] == {"action": "deny"}
    assert document["tools"]["execute_flow"]["limits"] == [
        {"counter": "execute_flow_rate", "window": "minute", "max": 30, "scope": "grant"}
    ]
    checked = subprocess.run(
        [PYTHON, "-m", "policytui", "validate", str(policy)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = policy.read_text(encoding="utf-8")
    assert "KESTRA_BASE_URL" not in text and "127.0.0.1:9" not in text  # settings stay out


@pytest.mark.servers
def test_the_header_names_the_real_kestra_server_alike_before_and_after_a_save(
    terminal: Terminal, tmp_path: Path, test_servers: Path
) -> None:
    """At 80 columns the header names the real Kestra server by the name it reports, the
    same words on a new policy, with an unsaved edit and after ctrl+s saved it. Before, it said
    `Kestra MCP · stdio` until the save and `Kestra MCP 1.30.0 · stdio` after: the version was
    dropped only while the policy's part was longer."""
    workdir = tmp_path / "empty"  # the server reads a .env from its working folder
    workdir.mkdir()
    policy = tmp_path / "policy.json"
    terminal.start(
        [PYTHON, "-m", "policytui", "connect", "--policy", str(policy), "--", *kestra_command(test_servers)],
        cwd=workdir, env={"KESTRA_BASE_URL": "http://127.0.0.1:9/api/v1"}, size=(80, 24),
    )
    label = re.compile(r" Kestra MCP[^│]* │ ")

    def header(screen: str) -> str:
        return screen.splitlines()[0]

    new = terminal.wait("Kestra's tools and the new policy in the header",
                        lambda s: bool(table_row(s, "backfill_executions")) and "(new)" in header(s)
                        and "✓ valid" in header(s), timeout=30)
    named = label.match(header(new))
    assert named, header(new)
    terminal.keys("d")
    edited = terminal.wait("the edit unsaved in the header", lambda s: "● unsaved" in header(s))
    terminal.keys("C-s")
    saved = terminal.wait("the policy saved",
                          lambda s: policy.exists() and "unsaved" not in header(s) and "(new)" not in header(s))
    for screen in (edited, saved):
        assert header(screen).startswith(named.group(0)), (header(new), header(screen))
    terminal.keys("C-q")
    assert terminal.wait_exit() == 0


def test_hostile_listing_is_shown_literally_and_never_drives_the_terminal(
    terminal: Terminal, tmp_path: Path
) -> None:
    listing = write_hostile_listing(tmp_path / "hostile.json")
    terminal.start(
        [PYTHON, "-m", "policytui", "connect", "--from", str(listing), "--policy", "policy.json"],
        cwd=tmp_path,
    )
    # The header and the table are painted in separate frames: wait until both are up.
    screen = terminal.wait(
        "the hostile tools in the table and the server's name in the header",
        lambda s: bool(table_row(s, "plain_tool")) and "starting…" not in s.splitlines()[0],
        timeout=20,
    )
    # The window is titled after the server (as the browser page is), its name's escapes made
    # visible there too: none of them set the title.
    title = f"policy.json · [blink]evil␛]0;{TITLE_ATTACK}␇ 1 · policytui"
    terminal.wait("the window titled after the server", lambda _s: terminal.fmt("#{pane_title}") == title)
    assert MARKUP_NAME in screen  # markup shown as typed, not interpreted
    assert CSI_NAME_SHOWN in screen  # ESC made visible as ␛
    assert f"[blink]evil␛]0;{TITLE_ATTACK}␇" in screen.splitlines()[0]  # the server's name too
    assert table_row(screen, DUPLICATE_NAME)
    window_name = terminal.fmt("#{window_name}")

    # Walk the cursor over every tool so each description reaches the detail panel.
    lines = screen.splitlines()
    head = next(i for i, line in enumerate(lines) if "Category" in line and "Severity" in line)
    shown_rows = [line for line in lines[head + 1:] if line.strip()][:20]
    shown_rows = shown_rows[: next((i for i, r in enumerate(shown_rows) if "───" in r), len(shown_rows))]
    assert len(shown_rows) >= 8, screen
    for _ in range(len(shown_rows) - 1):
        before = terminal.screen()
        terminal.keys("Down")
        screen = terminal.wait(
            "the next tool's details", lambda s, before=before: s != before, timeout=5
        )
        assert terminal.fmt("#{pane_title}") == title, "a tool's text set the title"
        assert TITLE_ATTACK not in terminal.fmt("#{window_name}")
        # A cleared screen or a moved cursor would wipe the header and the table's head.
        assert screen.splitlines()[0].strip(), f"the header line is gone:\n{screen}"
    assert terminal.fmt("#{window_name}") == window_name

    # The second tool named dup_tool is not dropped in silence: the Problems panel names it.
    terminal.keys("2")
    terminal.wait("the duplicate named in Problems", lambda s: "dup_tool' is listed more" in s)
    terminal.keys("1")
    terminal.keys("Home")
    terminal.wait("the first tool selected again", lambda s: "is listed more" not in s)

    # The 1 MB description is on screen in part, and the app still answers keys at once.
    select_tool(terminal, "huge_description", hidden="plain_tool")
    terminal.wait("part of the 1 MB description", lambda s: "AAAAAAAAAAAAAAAAAAAA" in s)
    terminal.keys("d")
    terminal.wait("the huge tool denied", row_shows("huge_description", r"\sdeny(\s|$)"), timeout=5)
    terminal.keys("C-q")
    terminal.wait_text("Unsaved changes", timeout=5)
    terminal.keys("q")  # quit without saving
    assert terminal.wait_exit() == 0
    assert terminal.fmt("#{pane_title}") == "policytui-e2e"  # the title it had, given back
    assert terminal.fmt("#{alternate_on}") == "0"  # the terminal got its normal screen back
    assert not (tmp_path / "policy.json").exists()
