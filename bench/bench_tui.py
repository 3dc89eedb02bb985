"""How fast the policy editor paints, filters, toggles and saves, against a bare Textual app.

Run: .venv/bin/python bench/bench_tui.py [--rounds N] [--tools N] [--no-process] [--profile]

Every number is a median over rounds, measured in this run next to a baseline:
- in process (headless `App.run_test`, 100x30): a frame counts as painted when Textual hands the
  compositor update to the driver; the bench also builds the terminal bytes for it (headless
  mode skips that, a real terminal would not). Baseline: a bare App holding the same virtual
  ToolTable (same rows, built before the clock starts), a header line and a footer. Using the
  same widget isolates what the editor adds around the table (loading screen, classification,
  editor state, panels, status line); a stock DataTable is timed too, as a reference, to show
  what the virtual table saves.
- the real process in tmux: `python -m policytui connect --from FILE` until the pane shows the
  header, against a bare Textual app started the same way.
Targets: first paint within 1.3x of the baseline; at 10,000 tools a filter keystroke under
50 ms and a toggle under 16 ms. `--profile` prints where the time goes (cProfile) for the
slowest paths at 10,000 tools.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KESTRA = ROOT / "tests" / "fixtures" / "servers" / "kestra-head-14fe3a3.json"
SIZE = (100, 30)
PYTHON = sys.executable

from rich.text import Text  # noqa: E402
from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.keys import _get_unicode_name_from_key  # noqa: E402
from textual.widgets import DataTable, Footer, Input, Static  # noqa: E402

from policytui.editor import EditorState, RowFilter  # noqa: E402
from policytui.editor.rows import filter_rows  # noqa: E402
from policytui.policy.files import dumps_policy, save_policy  # noqa: E402
from policytui.toolinfo import ServerListing  # noqa: E402
from policytui.tui import make_app  # noqa: E402
from policytui.tui.table import ToolTable  # noqa: E402

# ----- inputs ---------------------------------------------------------------------------------

VERBS = ["get", "list", "read", "search", "create", "update", "write", "delete", "drop", "run",
         "execute", "send", "pay", "transfer", "refund", "archive", "purge", "describe", "query"]
NOUNS = ["user", "flow", "invoice", "file", "record", "namespace", "secret", "job", "order",
         "table", "message", "payment", "bucket", "script", "report", "ticket", "cluster"]


def synthetic_tools(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` distinct tools with varied names, descriptions and schemas (deterministic)."""
    rng = random.Random(seed)
    tools = []
    for i in range(count):
        verb, noun = rng.choice(VERBS), rng.choice(NOUNS)
        props: dict[str, Any] = {"id": {"type": "string", "description": f"The {noun} id"}}
        if i % 3 == 0:
            props["action"] = {"type": "string", "enum": ["list", "get", "delete"]}
        if i % 5 == 0:
            props["amount"] = {"type": "number"}
        tool: dict[str, Any] = {
            "name": f"{verb}_{noun}_{i:05d}",
            "description": f"{verb.capitalize()} a {noun} in system {i % 97}. " * (1 + i % 4),
            "inputSchema": {"type": "object", "properties": props, "required": ["id"]},
        }
        if i % 4 == 0:
            tool["annotations"] = {"readOnlyHint": verb in ("get", "list", "read", "search")}
        tools.append(tool)
    return tools


def kestra_tools() -> list[dict[str, Any]]:
    return json.loads(KESTRA.read_text(encoding="utf-8"))["tools"]


def listing_of(tools: list[dict[str, Any]], name: str) -> ServerListing:
    return ServerListing.from_tool_dicts(tools, server_name=name, server_version="1.0", transport="snapshot")


# ----- frame recording ------------------------------------------------------------------------


class Frames:
    """Timestamps every frame an app paints and remembers the first frame where a test held.

    Headless apps compute each compositor update but skip turning it into terminal bytes; this
    does that too, so a frame here costs what it would in a terminal.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.times: list[float] = []
        self.checks: list[tuple[Callable[[], bool], list[float]]] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            render_segments = getattr(renderable, "render_segments", None)
            if render_segments is not None:
                render_segments(app.console)
            now = time.perf_counter()
            self.times.append(now)
            for check, hit in self.checks:
                if not hit and check():
                    hit.append(now)

        app._display = display  # type: ignore[method-assign]

    def watch(self, check: Callable[[], bool]) -> list[float]:
        """A list that receives the time of the first frame painted while `check()` is true."""
        hit: list[float] = []
        self.checks.append((check, hit))
        return hit

    async def wait(self, hit: list[float], timeout: float = 60.0) -> float:
        """Let the app run until the watched frame is painted; return its time.

        Polls with short sleeps instead of `pilot.pause()`: pause forces a repaint and waits
        for the CPU to go idle, which would hide the frame timer a real terminal sees.
        """
        deadline = time.perf_counter() + timeout
        while not hit:
            if time.perf_counter() > deadline:
                raise TimeoutError("the expected frame was never painted")
            await asyncio.sleep(0.0005)
        self.checks = [c for c in self.checks if c[1] is not hit]
        return hit[0]


def send_key(app: App, key: str) -> None:
    """Deliver one key the way a terminal's input thread does (Pilot.press also waits for idle)."""
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(key))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


async def timed_key(
    app: App, frames: Frames, key: str, check: Callable[[], bool], shown: Callable[[], bool] | None = None
) -> tuple[float, float]:
    """(seconds until `check()` holds, seconds until a frame painted while `shown()` held)."""
    hit = frames.watch(shown or check)
    start = time.perf_counter()
    send_key(app, key)
    model = None
    deadline = start + 60
    while not hit:
        if model is None and check():
            model = time.perf_counter()
        if time.perf_counter() > deadline:
            raise TimeoutError(f"key {key!r}: the expected frame was never painted")
        await asyncio.sleep(0.0002)
    painted = await frames.wait(hit)
    return (model or painted) - start, painted - start


# ----- baseline apps --------------------------------------------------------------------------


class BareToolTableApp(App[None]):
    """The baseline: the editor's own virtual table with prebuilt rows, a header and a footer."""

    CSS = "ToolTable { height: 1fr; }"

    def __init__(self, state: EditorState) -> None:
        super().__init__()
        self.rows = state.rows
        self.count = len(state.rows)

    def compose(self) -> ComposeResult:
        yield Static(Text(f" policytui  {self.count} tools"), id="status")
        yield Input(id="filter")
        yield ToolTable(id="tools")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(ToolTable)
        table.set_view(self.rows, list(range(len(self.rows))))
        table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        table = self.query_one(ToolTable)
        table.set_view(self.rows, filter_rows(self.rows, RowFilter(text=event.value)))

    def key_d(self) -> None:
        self._flip("deny")

    def key_a(self) -> None:
        self._flip("allow")

    def _flip(self, decision: str) -> None:
        table = self.query_one(ToolTable)
        row = table.current_row
        if row is not None:
            row.decision, row.explicit = decision, True
            table.rows_changed()


class BareDataTableApp(App[None]):
    """Reference only: a stock DataTable filled with the same five visible columns as Text."""

    CSS = "DataTable { height: 1fr; }"

    def __init__(self, state: EditorState) -> None:
        super().__init__()
        self.rows = state.rows

    def compose(self) -> ComposeResult:
        yield Static(Text(" policytui"), id="status")
        yield DataTable(id="tools")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Tool", "Category", "Severity", "Decision", "Limits")
        table.add_rows(
            [Text(r.label), Text(r.category), Text(r.severity), Text(r.decision_label), Text(r.limits)]
            for r in self.rows
        )


# ----- in-process measurements ----------------------------------------------------------------


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def paint_real(listing: ServerListing, policy_path: Path) -> tuple[float, float]:
    """(first paint, populated table) in seconds from building the editor app."""
    if policy_path.exists():
        policy_path.unlink()
    start = time.perf_counter()
    app = make_app(policy_path=policy_path, listing=listing)
    frames = Frames(app)
    count = len(listing.tools)

    def populated() -> bool:
        table = app.main.query_one(ToolTable) if app.state is not None else None
        return bool(table is not None and table.display and len(table.view) == count)

    hit = frames.watch(populated)
    async with app.run_test(size=SIZE):
        end = await frames.wait(hit)
        first = frames.times[0]
        # The editor validates 0.15 s after loading; leaving earlier trips a shutdown race.
        await asyncio.sleep(0.2)
    return first - start, end - start


async def paint_bare(app_class: type[App], state: EditorState) -> float:
    start = time.perf_counter()
    app = app_class(state)
    frames = Frames(app)
    hit = frames.watch(lambda: True)
    async with app.run_test(size=SIZE):
        await frames.wait(hit)
        first = frames.times[0]
    return first - start


def pick_filter_char(rows: list[Any]) -> str:
    """A character that narrows the table but leaves some rows (so the count visibly changes)."""
    for char in "7q3xz1k5":
        shown = len(filter_rows(rows, RowFilter(text=char)))
        if 0 < shown < len(rows):
            return char
    return "e"


async def settle(pilot: Any, seconds: float = 0.25) -> None:
    """Let deferred work (the validation timer after an edit) finish between measurements."""
    await asyncio.sleep(seconds)
    await pilot.pause()


async def interact_real(
    listing: ServerListing, policy_path: Path, rounds: int, *, save: bool
) -> dict[str, list[float]]:
    """Filter keystrokes, toggles, the deferred validation after an edit, and saves."""
    if policy_path.exists():
        policy_path.unlink()
    app = make_app(policy_path=policy_path, listing=listing)
    frames = Frames(app)
    out: dict[str, list[float]] = {
        "filter": [], "filter_model": [], "toggle": [], "toggle_model": [],
        "after_edit": [], "save": [], "bulk": [],
    }

    original_after_edit = app._after_edit

    def timed_after_edit() -> None:
        start = time.perf_counter()
        original_after_edit()
        out["after_edit"].append(time.perf_counter() - start)

    app._after_edit = timed_after_edit  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await app.loaded.wait()
        await settle(pilot)
        table = app.main.query_one(ToolTable)
        rendered: dict[str, str] = {}
        original_render_row = table._render_row

        def render_row(row: Any, selected: bool, width: int, base: Any) -> Any:
            rendered[row.name] = row.decision_label
            return original_render_row(row, selected, width, base)

        table._render_row = render_row  # type: ignore[method-assign]
        state = app.state
        assert state is not None
        total = len(state.rows)
        char = pick_filter_char(state.rows)
        narrowed = len(filter_rows(state.rows, RowFilter(text=char)))

        await pilot.press("slash")
        await settle(pilot, 0.05)
        for _ in range(rounds):
            for key, expected in ((char, narrowed), ("backspace", total)):
                model, painted = await timed_key(app, frames, key, lambda e=expected: len(table.view) == e)
                out["filter_model"].append(model)
                out["filter"].append(painted)
                await settle(pilot, 0.05)
        await pilot.press("escape")
        await settle(pilot, 0.05)

        assert table.current_row is not None
        name = table.current_row.name
        for _ in range(rounds):
            for key, decision in (("d", "deny"), ("a", "allow")):
                def changed(decision: str = decision) -> bool:
                    row = table.current_row
                    return row is not None and row.decision == decision and row.explicit

                def shown(decision: str = decision) -> bool:
                    return changed(decision) and rendered.get(name) == decision

                model, painted = await timed_key(app, frames, key, changed, shown)
                out["toggle_model"].append(model)
                out["toggle"].append(painted)
                await settle(pilot)

        if save:
            # A realistic big policy: one rule per tool (bulk allow of every tool shown).
            await pilot.press("b")
            await settle(pilot, 0.05)
            _model, painted = await timed_key(
                app, frames, "a", lambda: all(r.explicit for r in state.rows) and rendered.get(name) == "allow"
            )
            out["bulk"].append(painted)
            await settle(pilot, 0.4)
            for i in range(rounds):
                await pilot.press("d" if i % 2 == 0 else "a")
                await settle(pilot, 0.4)
                before = stamp(policy_path)
                start = time.perf_counter()
                send_key(app, "ctrl+s")
                deadline = start + 60
                while stamp(policy_path) == before or state.dirty:
                    if time.perf_counter() > deadline:
                        raise TimeoutError("ctrl+s never wrote the file")
                    await asyncio.sleep(0.0005)
                out["save"].append(time.perf_counter() - start)
                json.loads(policy_path.read_text(encoding="utf-8"))  # complete and parseable
                await settle(pilot, 0.1)
    return out


def stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


async def interact_bare(state: EditorState, rounds: int) -> dict[str, list[float]]:
    app = BareToolTableApp(state)
    frames = Frames(app)
    out: dict[str, list[float]] = {"filter": [], "filter_model": [], "toggle": [], "toggle_model": []}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.05)
        table = app.query_one(ToolTable)
        rows = state.rows
        char = pick_filter_char(rows)
        narrowed, total = len(filter_rows(rows, RowFilter(text=char))), len(rows)
        app.query_one(Input).focus()
        await settle(pilot, 0.05)
        for _ in range(rounds):
            for key, expected in ((char, narrowed), ("backspace", total)):
                model, painted = await timed_key(app, frames, key, lambda e=expected: len(table.view) == e)
                out["filter_model"].append(model)
                out["filter"].append(painted)
                await settle(pilot, 0.05)
        table.focus()
        await settle(pilot, 0.05)
        for _ in range(rounds):
            for key, decision in (("d", "deny"), ("a", "allow")):
                def shown(decision: str = decision) -> bool:
                    row = table.current_row
                    return row is not None and row.decision == decision
                model, painted = await timed_key(app, frames, key, shown)
                out["toggle_model"].append(model)
                out["toggle"].append(painted)
                await settle(pilot, 0.05)
    return out


def save_baselines(state: EditorState, folder: Path, rounds: int) -> dict[str, list[float]]:
    """The same policy written by the core's save_policy, and by a plain json.dump."""
    policy = state.policy_for_save()
    out: dict[str, list[float]] = {"save_policy": [], "json_dump": []}
    for i in range(rounds):
        path = folder / f"core-{i}.json"
        start = time.perf_counter()
        save_policy(path, policy)
        out["save_policy"].append(time.perf_counter() - start)
        path = folder / f"plain-{i}.json"
        start = time.perf_counter()
        document = policy.to_document()
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        out["json_dump"].append(time.perf_counter() - start)
    return out


# ----- the real process in tmux ---------------------------------------------------------------

BARE_PROCESS_APP = """
from textual.app import App
from textual.widgets import Static, Footer
class Bare(App):
    def compose(self):
        yield Static(" policytui  bare Textual app")
        yield Footer()
Bare().run()
"""


class Tmux:
    """A private tmux server with one 100x30 pane to start programs in."""

    def __init__(self, cwd: Path) -> None:
        self.socket = f"policytui-bench-{os.getpid()}"
        self.cwd = cwd
        self.run("new-session", "-d", "-x", str(SIZE[0]), "-y", str(SIZE[1]), "-c", str(cwd), "sleep 100000")
        self.run("set-option", "-g", "remain-on-exit", "on")

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True, text=True, timeout=10,
        )
        return result.stdout

    def start(self, command: str) -> float:
        env = f"env TERM=xterm-256color HOME={shlex.quote(str(self.cwd))} XDG_CONFIG_HOME={shlex.quote(str(self.cwd / 'config'))}"
        # Stop the previous program and wipe what it left on the screen first.
        self.run("respawn-pane", "-k", "-c", str(self.cwd), "sleep 100000")
        self.run("send-keys", "-R")
        self.run("clear-history")
        if self.run("capture-pane", "-p").strip():
            raise RuntimeError("the pane did not clear between runs")
        start = time.perf_counter()
        self.run("respawn-pane", "-k", "-c", str(self.cwd), f"{env} {command}")
        return start

    def wait_for(self, text: str | None, timeout: float = 30.0) -> float:
        """When `text` showed on the screen (None: when the top line first showed anything)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            screen = self.run("capture-pane", "-p")
            if (text in screen) if text is not None else screen[: screen.find("\n")].strip():
                return time.perf_counter()
            time.sleep(0.005)
        raise TimeoutError(f"{text or 'the header'!r} never appeared on the screen")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


def process_startup(files: dict[str, Path], rounds: int, folder: Path) -> dict[str, list[float]]:
    """Seconds from spawning each program to its header line (and, for the editor, its table).

    The header counts as shown when the pane's top line holds any text; the table when the
    status line reports the tool count.
    """
    out: dict[str, list[float]] = {"bare": []}
    tmux = Tmux(folder)
    try:
        for _ in range(rounds):
            start = tmux.start(f"{shlex.quote(PYTHON)} -c {shlex.quote(BARE_PROCESS_APP)}")
            out["bare"].append(tmux.wait_for(None) - start)
            for label, path in files.items():
                policy = folder / "policy.json"
                command = (
                    f"{shlex.quote(PYTHON)} -m policytui connect --from {shlex.quote(str(path))} "
                    f"--policy {shlex.quote(str(policy))}"
                )
                start = tmux.start(command)
                out.setdefault(f"{label} header", []).append(tmux.wait_for(None) - start)
                count = len(json.loads(path.read_text(encoding="utf-8"))["tools"])
                out.setdefault(f"{label} table", []).append(tmux.wait_for(f"{count} tools") - start)
    finally:
        tmux.close()
    return out


# ----- profiling ------------------------------------------------------------------------------


def profile(listing: ServerListing, policy_path: Path, rounds: int) -> None:
    """cProfile of load-to-table and of the interactions, top functions by cumulative time."""
    for label, coro in (
        ("load and first populated frame", lambda: paint_real(listing, policy_path)),
        ("filter keystrokes, toggles, save", lambda: interact_real(listing, policy_path, rounds, save=True)),
    ):
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(coro())
        profiler.disable()
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats("tottime")
        stats.print_stats(18)
        print(f"\n--- profile: {label} at {len(listing.tools):,} tools (by own time) ---")
        print("\n".join(line for line in buffer.getvalue().splitlines()[6:] if line.strip()))


# ----- report ---------------------------------------------------------------------------------


def row(label: str, value_ms: float, baseline_ms: float | None, target: str = "") -> str:
    ratio = f"{value_ms / baseline_ms:6.2f}x" if baseline_ms else "     -"
    base = f"{baseline_ms:9.1f}" if baseline_ms is not None else "        -"
    return f"{label:<44} {value_ms:9.1f} {base} {ratio}  {target}"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement (median)")
    parser.add_argument("--tools", type=int, default=10_000, help="tools in the synthetic listing")
    parser.add_argument("--no-process", action="store_true", help="skip the tmux start-up measurement")
    parser.add_argument("--profile", action="store_true", help="print cProfile hot spots at --tools")
    args = parser.parse_args()
    rounds = max(1, args.rounds)

    folder = Path(tempfile.mkdtemp(prefix="policytui-bench-"))
    try:
        sets = {
            "kestra (39)": listing_of(kestra_tools(), "kestra"),
            f"synthetic ({args.tools:,})": listing_of(synthetic_tools(args.tools), "synthetic"),
        }
        print(f"policytui TUI bench: {rounds} rounds, medians in ms, terminal {SIZE[0]}x{SIZE[1]}, "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        print("baseline: a bare Textual App with the same virtual ToolTable (rows prebuilt), header, footer")
        print(f"\n{'measurement':<44} {'policytui':>9} {'baseline':>9} {'ratio':>7}  target")
        for label, listing in sets.items():
            policy_path = folder / "policy.json"
            state = EditorState.open(listing, folder / "absent.json")
            big = len(listing.tools) >= 10_000
            firsts, populated, bare, stock = [], [], [], []
            for _ in range(rounds):
                first, full = asyncio.run(paint_real(listing, policy_path))
                firsts.append(first)
                populated.append(full)
                bare.append(asyncio.run(paint_bare(BareToolTableApp, state)))
            for _ in range(min(rounds, 3)):
                stock.append(asyncio.run(paint_bare(BareDataTableApp, state)))
            base = median_ms(bare)
            first_ms = median_ms(firsts)
            print(row(f"{label}: first paint", first_ms, base,
                      f"<= 1.3x baseline: {verdict(first_ms <= 1.3 * base)}"))
            print(row(f"{label}: populated table", median_ms(populated), base))
            print(row(f"{label}: stock DataTable app, first paint", median_ms(stock), base, "(reference)"))

            real = asyncio.run(interact_real(listing, policy_path, rounds, save=big))
            bare_io = asyncio.run(interact_bare(state, rounds))
            filter_ms, toggle_ms = median_ms(real["filter"]), median_ms(real["toggle"])
            print(row(f"{label}: filter keystroke to painted frame", filter_ms, median_ms(bare_io["filter"]),
                      f"< 50 ms: {verdict(filter_ms < 50)}" if big else ""))
            print(row(f"{label}:   of which handling (model updated)", median_ms(real["filter_model"]),
                      median_ms(bare_io["filter_model"])))
            print(row(f"{label}: toggle d/a to repainted row", toggle_ms, median_ms(bare_io["toggle"]),
                      f"< 16 ms: {verdict(toggle_ms < 16)}" if big else ""))
            print(row(f"{label}:   of which handling (model updated)", median_ms(real["toggle_model"]),
                      median_ms(bare_io["toggle_model"])))
            print(row(f"{label}: validation 0.15 s after an edit", median_ms(real["after_edit"]), None,
                      "(blocks keys while it runs)"))
            if big:
                baselines = save_baselines(state_with_rules(state), folder, rounds)
                print(row(f"{label}: bulk allow all (b a) to repaint", median_ms(real["bulk"]), None))
                save_ms = median_ms(real["save"])
                print(row(f"{label}: ctrl+s until file written", save_ms, median_ms(baselines["save_policy"]),
                          "(baseline: save_policy() called directly)"))
                print(row(f"{label}: plain json.dump of the same policy", median_ms(baselines["json_dump"]), None))

        if not args.no_process:
            if shutil.which("tmux") is None:
                print("\n(tmux is not installed: real-process start-up not measured)")
            else:
                files = {"kestra (39)": KESTRA}
                big_file = folder / "synthetic.json"
                big_file.write_text(json.dumps({"tools": synthetic_tools(args.tools)}), encoding="utf-8")
                files[f"synthetic ({args.tools:,})"] = big_file
                startup = process_startup(files, rounds, folder)
                base = median_ms(startup.pop("bare"))
                print(f"\nreal process in tmux (`python -m policytui connect --from FILE`), baseline: bare Textual app")
                for label, values in startup.items():
                    value = median_ms(values)
                    target = f"<= 1.3x baseline: {verdict(value <= 1.3 * base)}" if label.endswith("header") else ""
                    print(row(f"{label}", value, base, target))
        if args.profile:
            profile(sets[f"synthetic ({args.tools:,})"], folder / "policy.json", rounds=2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def state_with_rules(state: EditorState) -> EditorState:
    """The bench state with one allow rule per tool, like the policy saved in the app."""
    names = [row.name for row in state.rows]
    state.set_decision(names, "allow")
    return state


if __name__ == "__main__":
    sys.exit(main())
