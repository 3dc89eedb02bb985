"""How fast the policy editor paints, filters, toggles and saves, against a bare Textual app.

Run: .venv/bin/python bench/bench_tui.py [--rounds N] [--tools N] [--no-process | --process-only]
     [--profile] [--dialogs-only]

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
- the dialogs and tabs at 10,000 tools (in process, as above): the Pins dialog opened on a
  policy that approves no tool yet (every tool listed) and its `a`, the JSON and Diff tabs
  with a rule per tool and an edit while each shows, and a toggle in a pinned policy (a
  definition per tool). Each is timed to the last frame it caused, with the longest the event
  loop stood still meanwhile (the screen frozen, keys waiting). Baselines: a stock OptionList
  of the same lines in a modal screen; a Static in a VerticalScroll holding the same Syntax.
Targets: first paint within 1.3x of the baseline; at 10,000 tools a filter keystroke under
50 ms and a toggle under 16 ms (in a pinned policy too); no dialog or tab freezes the screen
for 100 ms or more. `--profile` prints where the time goes (cProfile) for the
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
import re
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
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
KESTRA = ROOT / "tests" / "fixtures" / "servers" / "kestra-head-14fe3a3.json"
SIZE = (100, 30)
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))

from rich.text import Text  # noqa: E402
from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.keys import _get_unicode_name_from_key  # noqa: E402
from textual.reactive import Reactive  # noqa: E402
from textual.widgets import DataTable, Footer, Input, Static  # noqa: E402

from policytui.editor import EditorState, RowFilter  # noqa: E402
from policytui.editor.rows import filter_rows  # noqa: E402
from policytui.policy.files import save_policy  # noqa: E402
from policytui.toolinfo import ServerListing  # noqa: E402
from policytui.tui import make_app  # noqa: E402
from policytui.tui.app import DEFAULT_THEME  # noqa: E402
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


# ----- clocks and frame recording -------------------------------------------------------------


class Span(NamedTuple):
    """Wall-clock and process CPU seconds (CPU time barely moves when other programs load
    the machine, so it is the steadier number on a shared box)."""

    wall: float
    cpu: float

    def __sub__(self, other: Span) -> Span:  # type: ignore[override]
        return Span(self.wall - other.wall, self.cpu - other.cpu)


def clock() -> Span:
    return Span(time.perf_counter(), time.process_time())



class Frames:
    """Timestamps every frame an app paints and remembers the first frame where a test held.

    Headless apps compute each compositor update but skip turning it into terminal bytes; this
    does that too, so a frame here costs what it would in a terminal.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.times: list[Span] = []
        self.checks: list[tuple[Callable[[], bool], list[Span]]] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            render_segments = getattr(renderable, "render_segments", None)
            if render_segments is not None:
                render_segments(app.console)
            now = clock()
            self.times.append(now)
            for check, hit in self.checks:
                if not hit and check():
                    hit.append(now)

        app._display = display  # type: ignore[method-assign]

    def watch(self, check: Callable[[], bool]) -> list[Span]:
        """A list that receives the time of the first frame painted while `check()` is true."""
        hit: list[Span] = []
        self.checks.append((check, hit))
        return hit

    async def wait(self, hit: list[Span], timeout: float = 60.0) -> Span:
        """Let the app run until the watched frame is painted; return its time.

        Polls with short sleeps instead of `pilot.pause()`: pause forces a repaint and waits
        for the CPU to go idle, which would hide the frame timer a real terminal sees.
        """
        deadline = time.perf_counter() + timeout
        while not hit:
            if time.perf_counter() > deadline:
                raise TimeoutError("the expected frame was never painted")
            await asyncio.sleep(0.001)
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
) -> tuple[Span, Span]:
    """(time until `check()` holds, time until a frame was painted while `shown()` held)."""
    hit = frames.watch(shown or check)
    start = clock()
    send_key(app, key)
    model = None
    deadline = start.wall + 60
    while not hit:
        if model is None and check():
            model = clock()
        if time.perf_counter() > deadline:
            raise TimeoutError(f"key {key!r}: the expected frame was never painted")
        await asyncio.sleep(0.0005)
    painted = await frames.wait(hit)
    return (model or painted) - start, painted - start


# ----- baseline apps --------------------------------------------------------------------------


class BareToolTableApp(App[None]):
    """The baseline: the editor's own virtual table with prebuilt rows, a header and a footer."""

    # The editor's theme (ANSI colours are cheaper to draw than the default truecolor theme).
    theme: Reactive[str] = Reactive(DEFAULT_THEME)

    # The table as tall as the editor's at 100x30 (a header and 15 rows): drawing a row costs
    # about a millisecond, so a taller baseline table would flatter the editor.
    CSS = "ToolTable { height: 16; } #filter { height: 1; border: none; padding: 0 1; }"

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

    theme: Reactive[str] = Reactive(DEFAULT_THEME)

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


def median_ms(values: list[Span]) -> Span:
    return Span(statistics.median(v.wall for v in values) * 1000, statistics.median(v.cpu for v in values) * 1000)


async def paint_real(listing: ServerListing, policy_path: Path) -> tuple[Span, Span]:
    """(first paint, populated table) from building the editor app."""
    if policy_path.exists():
        policy_path.unlink()
    start = clock()
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
    return first - start, end - start


async def paint_bare(app_class: type[App], state: EditorState) -> Span:
    start = clock()
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
) -> dict[str, list[Span]]:
    """Filter keystrokes, toggles, the deferred validation after an edit, and saves."""
    if policy_path.exists():
        policy_path.unlink()
    app = make_app(policy_path=policy_path, listing=listing)
    frames = Frames(app)
    out: dict[str, list[Span]] = {
        "filter": [], "filter_model": [], "toggle": [], "toggle_model": [],
        "after_edit": [], "save": [], "bulk": [], "bulk_undo": [], "toggle_saved": [],
    }

    original_after_edit = app._after_edit

    def timed_after_edit() -> None:
        start = clock()
        original_after_edit()
        out["after_edit"].append(clock() - start)

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
        await pilot.press(char, "backspace")  # untimed warm-up
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
            # Undo that bulk edit: a row next to the cursor goes back to the default's deny*.
            # Then redo it untimed, so the saves below still write a rule per tool.
            other_position = table.cursor + 1 if table.cursor + 1 < len(table.view) else table.cursor - 1
            other = state.rows[table.view[other_position]].name
            assert rendered.get(other) == "allow", "the row next to the cursor is not on screen"
            _model, painted = await timed_key(
                app, frames, "ctrl+z",
                lambda: state.rows[state.row_indexes[other][0]].decision_label == "deny*"
                and rendered.get(other) == "deny*",
            )
            out["bulk_undo"].append(painted)
            await settle(pilot, 0.4)
            await pilot.press("ctrl+y")
            await settle(pilot, 0.4)
            assert all(r.explicit for r in state.rows), "ctrl+y did not redo the bulk edit"
            for i in range(rounds):
                await pilot.press("d" if i % 2 == 0 else "a")
                await settle(pilot, 0.4)
                before = stamp(policy_path)
                start = clock()
                send_key(app, "ctrl+s")
                deadline = start.wall + 60
                while stamp(policy_path) == before or state.dirty:
                    if time.perf_counter() > deadline:
                        raise TimeoutError("ctrl+s never wrote the file")
                    await asyncio.sleep(0.002)
                out["save"].append(clock() - start)
                json.loads(policy_path.read_text(encoding="utf-8"))  # complete and parseable
                await settle(pilot, 0.1)
            # Toggles again, now with a rule per tool and a saved file to compare against.
            for _ in range(rounds):
                for key, decision in (("d", "deny"), ("a", "allow")):
                    def changed_again(decision: str = decision) -> bool:
                        row = table.current_row
                        return row is not None and row.decision == decision and row.explicit

                    def shown_again(decision: str = decision) -> bool:
                        return changed_again(decision) and rendered.get(name) == decision

                    _model, painted = await timed_key(app, frames, key, changed_again, shown_again)
                    out["toggle_saved"].append(painted)
                    await settle(pilot)
    return out


async def until_quiet(frames: Frames, start: Span, quiet: float = 0.4) -> tuple[Span, Span]:
    """After a key sent at `start`: (its last frame, the longest the event loop went without
    running, in ms) once no frame has been painted for `quiet` seconds. The longest stall is
    how long the screen stood frozen meanwhile (keys typed wait that long); its `cpu` is the
    UI thread's own CPU time in its longest stretch between two turns of the loop (a worker
    thread's work not counted), the steadier number when other programs load the machine."""
    seen = len(frames.times)
    last, gap, before = start, Span(0.0, 0.0), Span(time.perf_counter(), time.thread_time())
    free_since = before.wall  # quiet means the loop ran freely, not that it was frozen
    while True:
        await asyncio.sleep(0.002)
        now = Span(time.perf_counter(), time.thread_time())
        gap = Span(max(gap.wall, now.wall - before.wall), max(gap.cpu, now.cpu - before.cpu))
        if now.wall - before.wall > 0.05:
            free_since = now.wall
        before = now
        if len(frames.times) > seen:
            last, seen = frames.times[-1], len(frames.times)
        if now.wall - max(last.wall, free_since) > quiet:
            return last - start, Span(gap.wall * 1000, gap.cpu * 1000)


async def key_until_quiet(app: App, frames: Frames, key: str) -> tuple[Span, Span]:
    start = clock()
    send_key(app, key)
    return await until_quiet(frames, start)


def pinned_policy(listing: ServerListing, path: Path) -> None:
    """The policy a save writes once pinning is on: no rules, a fingerprint and the approved
    definition of every tool."""
    from policytui.editor.pins import set_pinning

    if path.exists():
        path.unlink()
    state = EditorState.open(listing, path)
    set_pinning(state, True)
    save_policy(path, state.policy_for_save())


def upgraded_listing(listing: ServerListing) -> ServerListing:
    """The same tools, each with the `_meta` FastMCP servers send."""
    tools = [{**tool.to_wire(), "_meta": {"fastmcp": {"tags": ["web"]}}} for tool in listing.tools]
    return listing_of(tools, "synthetic")


def earlier_policy(listing: ServerListing, path: Path) -> None:
    """The pinned policy a version of policytui that did not pin other members saved: each
    tool's fingerprint and definition without its `_meta` (`members=False`)."""
    fingerprints, definitions = {}, {}
    for tool in listing.tools:
        entry = tool.to_wire()
        fingerprints[tool.name] = tool.fingerprint(members=False)
        definitions[tool.name] = {key: entry[key] for key in ("description", "inputSchema", "annotations")
                                  if key in entry}
    path.write_text(json.dumps({"version": "1", "default": "deny",
                                "x-policytui": {"pin": True, "fingerprints": fingerprints,
                                                "definitions": definitions}}), encoding="utf-8")


async def interact_dialogs(listing: ServerListing, folder: Path, rounds: int) -> dict[str, list[Any]]:
    """The Pins dialog (a policy that approves no tool yet: every tool listed), a toggle in a
    pinned policy, and the JSON and Diff tabs with a rule per tool."""
    out: dict[str, list[Any]] = {}
    policy = folder / "dialogs.json"
    if policy.exists():
        policy.unlink()
    app = make_app(policy_path=policy, listing=listing)
    frames = Frames(app)
    count = len(listing.tools)
    async with app.run_test(size=SIZE) as pilot:
        await app.loaded.wait()
        await settle(pilot, 0.5)
        for _ in range(rounds):
            painted, frozen = await key_until_quiet(app, frames, "P")
            assert len(getattr(app.screen, "changes", ())) == count, "P did not list every tool"
            out.setdefault("pins_open", []).append(painted)
            out.setdefault("pins_open_frozen", []).append(frozen)
            painted, frozen = await key_until_quiet(app, frames, "a")
            assert len(getattr(app.screen, "changes", ())) == count - 1, "a did not approve the selected tool"
            out.setdefault("pins_a", []).append(painted)
            out.setdefault("pins_a_frozen", []).append(frozen)
            await pilot.press("escape")
            await settle(pilot, 0.3)
            await pilot.press("ctrl+z")  # the approval undone: the next round lists every tool again
            await settle(pilot, 0.3)

        # The JSON and Diff tabs, a rule per tool, and an edit while each shows.
        await pilot.press("b", "a")
        await settle(pilot, 0.5)
        for _ in range(rounds):
            for tab, edit in (("3", "d"), ("4", "a")):
                painted, frozen = await key_until_quiet(app, frames, tab)
                out.setdefault(f"tab{tab}", []).append(painted)
                out.setdefault(f"tab{tab}_frozen", []).append(frozen)
                painted, frozen = await key_until_quiet(app, frames, edit)
                out.setdefault(f"tab{tab}_edit_frozen", []).append(frozen)
            await key_until_quiet(app, frames, "1")

    # After an upgrade: every tool approved by a version that did not pin `_meta`, which the
    # server now sends for each. A in the Pins dialog, confirmed (y), then ctrl+z and ctrl+y.
    upgraded = upgraded_listing(listing)
    earlier_policy(upgraded, policy)
    app = make_app(policy_path=policy, listing=upgraded)
    frames = Frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await app.loaded.wait()
        await settle(pilot, 0.5)
        for _ in range(rounds):
            await pilot.press("P")
            await settle(pilot, 0.6)
            painted, frozen = await key_until_quiet(app, frames, "A")
            assert app.screen.id == "pins-unpinned", "A did not ask to confirm"
            out.setdefault("upgrade_A", []).append(painted)
            out.setdefault("upgrade_A_frozen", []).append(frozen)
            painted, frozen = await key_until_quiet(app, frames, "y")
            assert not getattr(app.screen, "changes", True), "y did not approve every tool"
            out.setdefault("upgrade_y", []).append(painted)
            out.setdefault("upgrade_y_frozen", []).append(frozen)
            await pilot.press("escape")
            await settle(pilot, 0.4)
            for key in ("ctrl+z", "ctrl+y", "ctrl+z"):
                painted, frozen = await key_until_quiet(app, frames, key)
                out.setdefault(f"upgrade_{key}", []).append(painted)
                out.setdefault(f"upgrade_{key}_frozen", []).append(frozen)
            assert app.state.drift_of(upgraded.tools[0].name) == "changed", "ctrl+z did not take the approvals back"

    pinned_policy(listing, policy)
    app = make_app(policy_path=policy, listing=listing)
    frames = Frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await app.loaded.wait()
        await settle(pilot, 0.5)
        table = app.main.query_one(ToolTable)
        for _ in range(rounds):
            for key, decision in (("d", "deny"), ("a", "allow")):
                def changed(decision: str = decision) -> bool:
                    row = table.current_row
                    return row is not None and row.decision == decision and row.explicit

                _model, painted = await timed_key(app, frames, key, changed)
                out.setdefault("toggle_pinned", []).append(painted)
                await settle(pilot, 0.4)
    return out


async def interact_replay(folder: Path, rounds: int) -> dict[str, list[Any]]:
    """The Replay tab with 10,000 recorded calls (bench_replay.py's recording and draft): an
    edit while it is hidden, opening it (6) after that edit, and an edit while it shows."""
    from bench_replay import TOOLS, draft_policy, write_recording

    out: dict[str, list[Any]] = {}
    recording = folder / "recording.jsonl"
    write_recording(recording, 10_000)
    policy = folder / "replay-draft.json"
    policy.write_text(draft_policy().model_dump_json(by_alias=True, exclude_none=True), encoding="utf-8")
    listing = listing_of([{"name": name, "description": f"Tool {name}.", "inputSchema": {"type": "object"}}
                          for name in TOOLS], "bench")
    app = make_app(policy_path=policy, listing=listing, replay_path=recording)
    frames = Frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await app.loaded.wait()
        assert app.replay_ready is not None
        await app.replay_ready.wait()
        await settle(pilot, 0.5)
        for i in range(rounds):
            _painted, frozen = await key_until_quiet(app, frames, "d" if i % 2 == 0 else "a")
            out.setdefault("replay_hidden_edit_frozen", []).append(frozen)
            painted, frozen = await key_until_quiet(app, frames, "6")
            out.setdefault("replay_open", []).append(painted)
            out.setdefault("replay_open_frozen", []).append(frozen)
            _painted, frozen = await key_until_quiet(app, frames, "a" if i % 2 == 0 else "d")
            out.setdefault("replay_shown_edit_frozen", []).append(frozen)
            await key_until_quiet(app, frames, "1")
    return out


class BarePinsApp(App[None]):
    """Baseline for the Pins dialog: a stock OptionList of the same lines (a name, its note
    dimmed) in a modal screen, as tall as the dialog's list, opened by P."""

    theme: Reactive[str] = Reactive(DEFAULT_THEME)
    BINDINGS = [("P", "pins")]

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        yield Static(Text(" policytui  bare"), id="status")
        yield Footer()

    def action_pins(self) -> None:
        from textual.screen import ModalScreen
        from textual.widgets import OptionList

        names = self.names

        class Pins(ModalScreen[None]):
            DEFAULT_CSS = "OptionList { height: auto; max-height: 6; }"
            BINDINGS = [("escape", "app.pop_screen")]

            def compose(self) -> ComposeResult:
                yield OptionList(*[Text(n).append("  not approved yet", style="dim") for n in names])

        self.push_screen(Pins())


class BareCodeApp(App[None]):
    """Baseline for the JSON tab: the same highlighted Syntax in a Static in a VerticalScroll
    (as the editor showed it before the panel rendered off the UI thread), shown by 3."""

    theme: Reactive[str] = Reactive(DEFAULT_THEME)
    CSS = "VerticalScroll { height: 12; }"
    BINDINGS = [("3", "show")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll

        yield Static(Text(" policytui  bare"), id="status")
        yield VerticalScroll(Static(Text(""), id="code"))
        yield Footer()

    def action_show(self) -> None:
        from policytui.tui.panels import render_preview

        self.query_one("#code", Static).update(render_preview(self.text, dark=True))


async def bare_dialogs(state: EditorState, rounds: int) -> dict[str, list[Any]]:
    from policytui.editor.text import one_line

    out: dict[str, list[Any]] = {}
    app: App[None] = BarePinsApp([one_line(row.name, 80) for row in state.rows])
    frames = Frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.2)
        for _ in range(rounds):
            painted, frozen = await key_until_quiet(app, frames, "P")
            out.setdefault("pins_open", []).append(painted)
            out.setdefault("pins_open_frozen", []).append(frozen)
            await pilot.press("escape")
            await settle(pilot, 0.3)
    names = [row.name for row in state.rows]
    state.set_decision(names, "allow")
    app = BareCodeApp(state.preview_text())
    frames = Frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.2)
        for _ in range(rounds):
            painted, frozen = await key_until_quiet(app, frames, "3")
            out.setdefault("tab3", []).append(painted)
            out.setdefault("tab3_frozen", []).append(frozen)
    state.clear_rules(names)
    return out


def stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


async def interact_bare(state: EditorState, rounds: int) -> dict[str, list[Span]]:
    app = BareToolTableApp(state)
    frames = Frames(app)
    out: dict[str, list[Span]] = {"filter": [], "filter_model": [], "toggle": [], "toggle_model": []}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.05)
        table = app.query_one(ToolTable)
        rows = state.rows
        char = pick_filter_char(rows)
        narrowed, total = len(filter_rows(rows, RowFilter(text=char))), len(rows)
        app.query_one(Input).focus()
        await settle(pilot, 0.05)
        await pilot.press(char, "backspace")  # untimed warm-up
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


def save_baselines(state: EditorState, folder: Path, rounds: int) -> dict[str, list[Span]]:
    """The same policy written by the core's save_policy, and by a plain json.dump."""
    policy = state.policy_for_save()
    out: dict[str, list[Span]] = {"save_policy": [], "json_dump": []}
    for i in range(rounds):
        path = folder / f"core-{i}.json"
        start = clock()
        save_policy(path, policy)
        out["save_policy"].append(clock() - start)
        path = folder / f"plain-{i}.json"
        start = clock()
        document = policy.to_document()
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        out["json_dump"].append(clock() - start)
    return out


# ----- the real process in tmux ---------------------------------------------------------------

BARE_PROCESS_APP = """
from textual.app import App
from textual.reactive import Reactive
from textual.widgets import Static, Footer
class Bare(App):
    theme = Reactive("ansi-dark")
    def compose(self):
        yield Static(" policytui  bare Textual app")
        yield Footer()
Bare().run()
"""


class Tmux:
    """A private tmux server with one 100x30 pane to start programs in."""

    def __init__(self, cwd: Path) -> None:
        self.socket = f"tui-bench-{os.getpid()}"
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
        home, config = shlex.quote(str(self.cwd)), shlex.quote(str(self.cwd / "config"))
        env = f"env TERM=xterm-256color HOME={home} XDG_CONFIG_HOME={config}"
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
        """Stop the tmux server and remove its socket file."""
        socket_path = self.run("display-message", "-p", "#{socket_path}").strip()
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)
        if socket_path:
            Path(socket_path).unlink(missing_ok=True)


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



# ----- the real program in a real terminal: table, keystroke, memory ------------------------

# A bare Textual app showing the same rows in a stock DataTable: the baseline for "table on
# screen" and for peak memory. It reads the same listing file (json) and shows name, category
# placeholder and description, the columns a person would want at least.
BARE_TABLE_APP = """
import json, sys
from textual.app import App
from textual.reactive import Reactive
from textual.widgets import DataTable, Footer, Static
tools = json.load(open(sys.argv[1], encoding="utf-8"))["tools"]
class Bare(App):
    theme = Reactive("ansi-dark")
    def compose(self):
        yield Static(f" bare  {len(tools)} rows")
        yield DataTable(id="t")
        yield Footer()
    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Tool", "Category", "Severity", "Decision", "Limits", "Approval")
        table.add_rows([(t["name"], "Read", "Low", "deny*", "", "") for t in tools])
Bare().run()
"""

# A bare Input app that updates a count line on every keystroke: the baseline for a filter
# keystroke reaching the screen.
BARE_INPUT_APP = """
import json, sys
from textual.app import App
from textual.reactive import Reactive
from textual.widgets import Footer, Input, Static
names = [t["name"] for t in json.load(open(sys.argv[1], encoding="utf-8"))["tools"]]
class Bare(App):
    theme = Reactive("ansi-dark")
    def compose(self):
        yield Static(f"{len(names)} shown", id="count")
        yield Input(id="box")
        yield Footer()
    def on_input_changed(self, event):
        shown = sum(event.value in name for name in names)
        self.query_one("#count", Static).update(f"{shown} shown")
Bare().run()
"""


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pane_pid(tmux: Tmux) -> int:
    return int(tmux.run("display-message", "-p", "#{pane_pid}").strip())


def wait_screen(tmux: Tmux, condition: Callable[[str], bool], timeout: float = 30.0) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition(tmux.run("capture-pane", "-p")):
            return time.perf_counter()
        time.sleep(0.002)
    raise TimeoutError(f"the screen never showed what was waited for:\n{tmux.run('capture-pane', '-p')}")


def terminal_measurements(kestra: Path, big: Path, rounds: int, folder: Path) -> dict[str, list[float]]:
    """Real processes in tmux, each against its bare baseline in the same round:

    - table on screen (39 tools): spawn -> the first tool's row drawn; editor and bare DataTable.
    - filter keystroke (39 tools): a letter sent with send-keys -> the new count on screen;
      editor (after `/`) and the bare Input app.
    - peak memory (10,000 tools): VmHWM once the table is up and settled; editor and bare
      DataTable holding the same rows.
    """
    out: dict[str, list[float]] = {}
    tmux = Tmux(folder)
    py = shlex.quote(PYTHON)
    policy = shlex.quote(str(folder / "policy.json"))
    editor = f"{py} -m policytui connect --policy {policy} --from "
    first_tool = json.loads(kestra.read_text(encoding="utf-8"))["tools"][0]["name"]
    names = [t["name"] for t in json.loads(kestra.read_text(encoding="utf-8"))["tools"]]
    letter = "x"
    narrowed = sum(letter in n for n in names)
    big_count = len(json.loads(big.read_text(encoding="utf-8"))["tools"])
    try:
        for _ in range(rounds):
            # table on screen
            start = tmux.start(f"{py} -c {shlex.quote(BARE_TABLE_APP)} {shlex.quote(str(kestra))}")
            out.setdefault("table bare", []).append(
                wait_screen(tmux, lambda s: re.search(rf"^\s*{first_tool}\s", s, re.M) is not None) - start)
            start = tmux.start(editor + shlex.quote(str(kestra)))
            out.setdefault("table editor", []).append(
                wait_screen(tmux, lambda s: re.search(rf"^\s*{first_tool}\s", s, re.M) is not None) - start)

            # filter keystroke: the editor is still up from the table measurement; wait until
            # its policy is loaded (the header shows the default), keys wait for that
            wait_screen(tmux, lambda s: "default deny" in s.splitlines()[0] if s else False)
            time.sleep(0.5)
            tmux.run("send-keys", "/")
            wait_screen(tmux, lambda s: "filter tools by name" in s)
            time.sleep(0.2)
            sent = time.perf_counter()
            tmux.run("send-keys", "-l", letter)
            out.setdefault("key editor", []).append(
                wait_screen(tmux, lambda s: f"({narrowed} shown)" in s) - sent)
            tmux.start(f"{py} -c {shlex.quote(BARE_INPUT_APP)} {shlex.quote(str(kestra))}")
            wait_screen(tmux, lambda s: f"{len(names)} shown" in s)
            time.sleep(0.5)
            sent = time.perf_counter()
            tmux.run("send-keys", "-l", letter)
            out.setdefault("key bare", []).append(
                wait_screen(tmux, lambda s: f"{narrowed} shown" in s) - sent)

            # peak memory at 10,000 tools
            tmux.start(f"{py} -c {shlex.quote(BARE_TABLE_APP)} {shlex.quote(str(big))}")
            wait_screen(tmux, lambda s: f"{big_count} rows" in s and s.count("\n") > 5 and "Read" in s, 120)
            time.sleep(1.0)
            out.setdefault("memory bare", []).append(peak_rss_mib(pane_pid(tmux)))
            tmux.start(editor + shlex.quote(str(big)))
            wait_screen(tmux, lambda s: f"{big_count} tools" in s and "Category" in s, 120)
            time.sleep(1.5)  # the panels and the first validation run after the table shows
            out.setdefault("memory editor", []).append(peak_rss_mib(pane_pid(tmux)))
    finally:
        tmux.close()
    return out


def print_terminal(results: dict[str, list[float]], rounds: int) -> None:
    def med(key: str) -> float:
        return statistics.median(results[key])

    print(f"\nreal processes in tmux ({SIZE[0]}x{SIZE[1]}), medians of {rounds} rounds, baselines in the same rounds:")
    print(f"{'measurement':<52} {'editor':>9} {'bare':>9} {'ratio':>6}  target")
    rows = [
        ("table on screen, 39 tools (ms; bare DataTable app)", "table", 1000, 1.3),
        ("filter keystroke -> screen, 39 tools (ms; bare Input app)", "key", 1000, 1.2),
        ("peak memory, 10,000 tools (MiB; bare DataTable app)", "memory", 1, 1.3),
    ]
    for label, key, scale, limit in rows:
        editor, bare = med(f"{key} editor") * scale, med(f"{key} bare") * scale
        ratio = editor / bare
        print(f"{label:<52} {editor:9.1f} {bare:9.1f} {ratio:6.2f}  {verdict(ratio <= limit, f'<= {limit}x')}")

# ----- profiling ------------------------------------------------------------------------------


def profile(listing: ServerListing, policy_path: Path, rounds: int) -> None:
    """Where the time goes: imports before the first paint, then cProfile of loading and of the
    interactions (policytui's functions by cumulative time, everything by own time)."""
    print("\n--- imports before the first paint (python -X importtime), cumulative ms ---")
    result = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "import policytui.cli.connect_cmd, policytui.tui"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    entries = []
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            depth = (len(name) - len(name.lstrip())) // 2
            entries.append((int(parts[1]) / 1000, depth, name.strip()))
    shown = [e for e in entries if e[2].split(".")[0] in ("policytui", "textual", "pydantic", "rich", "mcp")
             and e[1] <= 4]
    for cumulative, _depth, name in sorted(shown, reverse=True)[:14]:
        print(f"  {cumulative:8.1f}  {name}")

    profiler = cProfile.Profile()
    profiler.enable()
    EditorState.open(listing, policy_path.parent / "absent.json")
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats("policytui", 14)
    lines = [line for line in buffer.getvalue().splitlines() if re.match(r"\s*[0-9/]+\s+[0-9.]+", line)]
    print(f"\n--- profile: EditorState.open (a worker thread in the app) at {len(listing.tools):,} tools ---")
    print("   ncalls  tottime  percall  cumtime  percall filename:lineno(function)")
    for line in lines:
        print(line.replace(str(ROOT) + "/", ""))

    for label, run in (
        ("load and first populated frame", lambda: paint_real(listing, policy_path)),
        ("filter keystrokes, toggles, bulk, save",
         lambda: interact_real(listing, policy_path, rounds, save=True)),
    ):
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(run())
        profiler.disable()
        for order, restriction, title in (
            ("cumulative", "policytui", "policytui functions by cumulative time"),
            ("tottime", "", "all functions by own time"),
        ):
            buffer = io.StringIO()
            stats = pstats.Stats(profiler, stream=buffer).sort_stats(order)
            stats.print_stats(*([restriction] if restriction else []), 14)
            lines = [line for line in buffer.getvalue().splitlines() if re.match(r"\s*[0-9/]+\s+[0-9.]+", line)]
            print(f"\n--- profile: {label} at {len(listing.tools):,} tools: {title} ---")
            print("   ncalls  tottime  percall  cumtime  percall filename:lineno(function)")
            site = str(Path(textual_file()).parent.parent) + "/"
            for line in lines:
                print(line.replace(str(ROOT) + "/", "").replace(site, ""))


def textual_file() -> str:
    import textual

    return textual.__file__


# ----- report ---------------------------------------------------------------------------------

HEADER = (f"{'measurement (median ms)':<46} {'wall':>8} {'base':>8} {'ratio':>6}  "
          f"{'cpu':>8} {'base':>8} {'ratio':>6}  target")


def row(label: str, value: Span, baseline: Span | None, target: str = "") -> str:
    """One table line: wall and CPU, each with the baseline and the ratio ("-" if not measured)."""

    def number(x: float | None) -> str:
        return f"{x:8.1f}" if x is not None and x == x else "       -"  # x != x: NaN

    def ratio(a: float, b: float | None) -> str:
        return f"{a / b:5.2f}x" if b and a == a and b == b else "     -"

    base_wall = baseline.wall if baseline else None
    base_cpu = baseline.cpu if baseline else None
    return (
        f"{label:<46} {number(value.wall)} {number(base_wall)} {ratio(value.wall, base_wall)}  "
        f"{number(value.cpu)} {number(base_cpu)} {ratio(value.cpu, base_cpu)}  {target}"
    )


def verdict(ok: bool, how: str) -> str:
    return f"met ({how})" if ok else f"MISSED ({how})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement (median)")
    parser.add_argument("--tools", type=int, default=10_000, help="tools in the synthetic listing")
    parser.add_argument("--no-process", action="store_true", help="skip the tmux start-up measurement")
    parser.add_argument("--process-only", action="store_true",
                        help="only the tmux start-up measurement (the in-process rows are skipped)")
    parser.add_argument("--profile", action="store_true", help="print where the time goes at --tools")
    parser.add_argument("--terminal-only", action="store_true",
                        help="only the real-terminal table, keystroke and memory measurements")
    parser.add_argument("--dialogs-only", action="store_true",
                        help="only the Pins dialog (also after an upgrade), the JSON, Diff and Replay tabs and a pinned policy's toggle at --tools")
    args = parser.parse_args()
    rounds = max(1, args.rounds)

    folder = Path(tempfile.mkdtemp(prefix="policytui-bench-"))
    try:
        big_label = f"synthetic ({args.tools:,})"
        sets = {
            "kestra (39)": listing_of(kestra_tools(), "kestra"),
            big_label: listing_of(synthetic_tools(args.tools), "synthetic"),
        }
        print(f"policytui TUI bench: {rounds} rounds, terminal {SIZE[0]}x{SIZE[1]}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f} at start")
        if args.dialogs_only:
            listing = sets[big_label]
            state = EditorState.open(listing, folder / "absent.json")
            bare_io = asyncio.run(interact_bare(state, rounds))
            print("wall = what the user waits, cpu = this process's CPU time for the same span\n" + HEADER)
            print_dialogs(big_label, {**asyncio.run(interact_dialogs(listing, folder, rounds)),
                                      **asyncio.run(interact_replay(folder, rounds))},
                          asyncio.run(bare_dialogs(state, rounds)), median_ms(bare_io["toggle"]))
            return 0
        if args.terminal_only or not args.no_process:
            if shutil.which("tmux") is None:
                print("(tmux is not installed: the real-terminal measurements are skipped)")
            else:
                big_file = folder / "synthetic.json"
                big_file.write_text(json.dumps({"tools": synthetic_tools(args.tools)}), encoding="utf-8")
                print_terminal(terminal_measurements(KESTRA, big_file, rounds, folder), rounds)
        if args.terminal_only:
            return 0
        if not args.process_only:
            print("base = a bare Textual App holding the same virtual ToolTable (rows prebuilt), "
                  "a header and a footer;")
            print("wall = what the user waits, cpu = this process's CPU time for the same span")
            print("\n" + HEADER)
        for label, listing in ({} if args.process_only else sets).items():
            policy_path = folder / "policy.json"
            state = EditorState.open(listing, folder / "absent.json")
            big = label == big_label
            firsts, populated, bare, stock = [], [], [], []
            for _ in range(rounds):
                first, full = asyncio.run(paint_real(listing, policy_path))
                firsts.append(first)
                populated.append(full)
                bare.append(asyncio.run(paint_bare(BareToolTableApp, state)))
            for _ in range(min(rounds, 3)):
                stock.append(asyncio.run(paint_bare(BareDataTableApp, state)))
            base = median_ms(bare)
            first = median_ms(firsts)
            opened = []
            for _ in range(rounds):
                start = clock()
                EditorState.open(listing, folder / "absent.json")
                opened.append(clock() - start)
            print(row(f"{label}: EditorState.open (classify, rows)", median_ms(opened), None,
                      "(part of 'table populated')"))
            print(row(f"{label}: first paint", first, base,
                      verdict(first.wall <= 1.3 * base.wall, "<= 1.3x base")))
            print(row(f"{label}: table populated", median_ms(populated), base))
            print(row(f"{label}: stock DataTable app painted", median_ms(stock), base, "(reference)"))

            real = asyncio.run(interact_real(listing, policy_path, rounds, save=big))
            bare_io = asyncio.run(interact_bare(state, rounds))
            filter_span, toggle_span = median_ms(real["filter"]), median_ms(real["toggle"])
            print(row(f"{label}: filter keystroke -> frame", filter_span, median_ms(bare_io["filter"]),
                      verdict(filter_span.wall < 50, "< 50 ms") if big else ""))
            print(row(f"{label}:   model updated", median_ms(real["filter_model"]),
                      median_ms(bare_io["filter_model"])))
            print(row(f"{label}: toggle d/a -> row repainted", toggle_span, median_ms(bare_io["toggle"]),
                      verdict(toggle_span.wall < 16, "< 16 ms") if big else ""))
            print(row(f"{label}:   model updated", median_ms(real["toggle_model"]),
                      median_ms(bare_io["toggle_model"])))
            print(row(f"{label}: validation 0.15 s after an edit", median_ms(real["after_edit"]), None,
                      "(keys wait while it runs)"))
            if big:
                baselines = save_baselines(state_with_rules(state), folder, rounds)
                print(row(f"{label}: bulk allow all (b a) -> frame", median_ms(real["bulk"]), None))
                print(row(f"{label}: bulk allow all, then ctrl+z -> frame", median_ms(real["bulk_undo"]), None))
                print(row(f"{label}: ctrl+s -> file written", median_ms(real["save"]),
                          median_ms(baselines["save_policy"]), "(base: save_policy() called directly)"))
                print(row(f"{label}: plain json.dump, same policy", median_ms(baselines["json_dump"]), None))
                saved_toggle = median_ms(real["toggle_saved"])
                print(row(f"{label}: toggle, a rule per tool, saved", saved_toggle, median_ms(bare_io["toggle"]),
                          verdict(saved_toggle.wall < 16, "< 16 ms")))
                print_dialogs(label, {**asyncio.run(interact_dialogs(listing, folder, rounds)),
                                      **asyncio.run(interact_replay(folder, rounds))},
                              asyncio.run(bare_dialogs(state, rounds)), median_ms(bare_io["toggle"]))

        if not args.no_process:
            if shutil.which("tmux") is None:
                print("\n(tmux is not installed: start-up of the real process not measured)")
            else:
                files = {"kestra (39)": KESTRA}
                big_file = folder / "synthetic.json"
                big_file.write_text(json.dumps({"tools": synthetic_tools(args.tools)}), encoding="utf-8")
                files[big_label] = big_file
                startup = process_startup(files, rounds, folder)
                nan = float("nan")
                base = median_ms([Span(v, nan) for v in startup.pop("bare")])
                print("\nreal process in tmux: `python -m policytui connect --from FILE` from spawn to screen;")
                print("base = a bare Textual app (header line and footer) started the same way")
                print(HEADER)
                for label, values in startup.items():
                    value = median_ms([Span(v, nan) for v in values])
                    target = ""
                    if label.endswith("header"):
                        target = verdict(value.wall <= 1.3 * base.wall, "<= 1.3x base")
                    print(row(label, value, base, target))
        if args.profile:
            profile(sets[big_label], folder / "policy.json", rounds=2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def print_dialogs(label: str, real: dict[str, list[Any]], bare: dict[str, list[Any]], bare_toggle: Span) -> None:
    """The dialogs' and tabs' rows: key to the last frame it caused, and the longest the
    screen stood frozen meanwhile (its cpu: the UI thread's own time in that stretch; target:
    under 100 ms frozen, by the UI thread's CPU time, the steadier number on a loaded machine)."""
    def frozen(values: list[Span]) -> Span:
        return Span(statistics.median(v.wall for v in values), statistics.median(v.cpu for v in values))

    def frozen_row(what: str, key: str, base: dict[str, list[Any]] | None = None) -> str:
        value = frozen(real[key])
        base_value = frozen(base[key]) if base and key in base else None
        return row(f"  longest freeze {what}", value, base_value, verdict(value.cpu < 100, "cpu < 100 ms"))

    toggle = median_ms(real["toggle_pinned"])
    print(f"{label}, the dialogs and tabs:")
    print(row("toggle, pinned (a definition per tool)", toggle, bare_toggle,
              verdict(toggle.wall < 16, "< 16 ms")))
    print(row("Pins dialog, P -> last frame", median_ms(real["pins_open"]),
              median_ms(bare["pins_open"]), "(base: stock OptionList, same lines)"))
    print(frozen_row("(P)", "pins_open_frozen", bare))
    print(row("Pins dialog, a -> last frame", median_ms(real["pins_a"]), None))
    print(frozen_row("(a)", "pins_a_frozen"))
    print(row("JSON tab, 3 -> last frame", median_ms(real["tab3"]), median_ms(bare["tab3"]),
              "(base: Static of the same Syntax)"))
    print(frozen_row("(3)", "tab3_frozen", bare))
    print(frozen_row("(an edit, JSON shown)", "tab3_edit_frozen"))
    print(row("Diff tab, 4 -> last frame", median_ms(real["tab4"]), None))
    print(frozen_row("(4)", "tab4_frozen"))
    print(frozen_row("(an edit, Diff shown)", "tab4_edit_frozen"))
    if "replay_open" in real:
        print(frozen_row("(edit, Replay hidden, 10,000 calls)", "replay_hidden_edit_frozen"))
        print(row("Replay tab, 6 after that edit -> last frame", median_ms(real["replay_open"]), None))
        print(frozen_row("(6)", "replay_open_frozen"))
        print(frozen_row("(an edit, Replay tab shown)", "replay_shown_edit_frozen"))
    print(row("after an upgrade, Pins dialog A -> last frame", median_ms(real["upgrade_A"]), None))
    print(frozen_row("(A)", "upgrade_A_frozen"))
    print(row("  y (re-approve 10,000) -> last frame", median_ms(real["upgrade_y"]), None))
    print(frozen_row("(y)", "upgrade_y_frozen"))
    for key in ("ctrl+z", "ctrl+y"):
        print(row(f"  then {key} -> last frame", median_ms(real[f"upgrade_{key}"]), None))
        print(frozen_row(f"({key})", f"upgrade_{key}_frozen"))


def state_with_rules(state: EditorState) -> EditorState:
    """The bench state with one allow rule per tool, like the policy saved in the app."""
    names = [row.name for row in state.rows]
    state.set_decision(names, "allow")
    return state


if __name__ == "__main__":
    sys.exit(main())
