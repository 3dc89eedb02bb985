"""The editor's Replay panel and Pins dialog.

`policytui connect TARGET --replay RECORDING` adds a "Replay" tab: the recorded calls decided
under the policy being edited, compared with the recorded decisions, refreshed after every
edit (the same report `policytui replay` prints). `P` opens the Pins dialog: for each tool
whose live definition is not the approved one, the approved and live definitions side by
side, `a` to re-approve the selected tool, `A` to re-approve at once every tool that differs
only in members the version of policytui that approved it did not pin (after a confirmation
that shows them), `p` to turn pinning on or off.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content, Span
from textual.widgets import OptionList, Static

from policytui.editor.text import clip, one_line, visible
from policytui.output_file import os_reason
from policytui.tui.actions_edit import count
from policytui.tui.base import EditorBase
from policytui.tui.screens.dialogs import DialogScreen

if TYPE_CHECKING:
    from textual.css.styles import RulesMap
    from textual.geometry import Size
    from textual.worker import Worker

    from policytui.editor.pins import PinChange
    from policytui.policy.model import Policy
    from policytui.replay import Replay, ReplayReport

REPLAY_TAB = "tab-replay"

# A recording of up to this many calls is decided at once, before the frame that shows the
# Replay tab (some 40 ms); a longer one goes on a step of `REPLAY_STEP` calls per turn of the
# event loop (some 15 ms each), with keys and frames served in between: 10,000 calls decided
# in one go held the editor still for about 200 ms after each edit.
REPLAY_AT_ONCE = 3_000
REPLAY_STEP = 1_000


def render_replay(
    report: ReplayReport, elapsed_ms: float, source: str, *, cut_short: bool = False, note: str | None = None,
    cut_lines: tuple[int, ...] = (),
) -> RenderableType:
    """The replay summary as the panel shows it; `note` says which calls were replayed, and
    `cut_lines` which lines were cut short (`cut_short`: the last among them)."""
    from policytui.replay.engine import CHANGE_TITLES
    from policytui.replay.text import (
        baseline_words,
        cut_short_note,
        example_text,
        notes,
        nothing_compared,
        summary_line,
    )

    cut_note = Text(cut_short_note(one_line(source, 60), cut_lines, cut_short), style="dim")
    cut_short = bool(cut_note.plain)
    if report.total == 0:
        # As `policytui replay` says (exit 2): a gate that tested nothing does not pass.
        head = Text()
        head.append(" NO CALLS ", style="bold reverse")
        head.append(f"  the recording {one_line(source, 60)} holds no calls, so nothing can be tested")
        return Group(head, cut_note) if cut_short else head
    head = Text()
    verdict = "PASS" if report.passed else "FAIL"
    head.append(f" {verdict} ", style="bold reverse")
    head.append(f"  {report.total:,} recorded calls from {one_line(source, 60)}, against {baseline_words(report)}")
    head.append(f"  ({elapsed_ms:.0f} ms)", style="dim")
    lines: list[RenderableType] = [head, Text(visible(summary_line(report)))]
    if note:
        lines.append(Text(visible(note), style="dim"))
    if cut_short:
        lines.append(cut_note)
    lines.extend(Text(visible(line), style="dim") for line in notes(report))
    if why := nothing_compared(report):
        lines.append(Text(f"Failed: {why}."))
    if not report.with_arguments:
        lines.append(Text("Arguments were not recorded: decisions that need them are unknown.", style="dim"))
    if report.changes:
        table = Table(box=None, pad_edge=False, show_edge=False, expand=False)
        # The change's title may be long ("unknown: arguments not recorded or redacted"): it
        # wraps, and the example keeps room to be read, in a narrow panel too.
        table.add_column("tool", no_wrap=True)
        table.add_column("change", max_width=16)
        table.add_column("calls", no_wrap=True, justify="right")
        table.add_column("first example", min_width=16, overflow="fold")
        for change in report.changes[:200]:
            table.add_row(
                Text(one_line(change.tool, 40)),
                Text(CHANGE_TITLES[change.kind]),
                Text(f"{change.count:,}"),
                Text(example_text(change.to_json())),
            )
        lines.append(table)
        if len(report.changes) > 200:
            lines.append(Text(f"… {len(report.changes) - 200} more rows (policytui replay --json has all)", style="dim"))
    return Group(*lines)


class ReplayPins(EditorBase):
    """The Replay tab and the Pins dialog, mixed into the editor app."""

    replay_path: Path | None = None
    replay: Replay | None = None
    # The last report shown and what computing it took (tests and bench/ read these).
    replay_report: ReplayReport | None = None
    replay_ms: float = 0.0
    replay_ready: asyncio.Event | None = None
    replay_note: str | None = None  # which calls were replayed, when the recording holds several servers
    _saved_replay_policy: tuple[str, Policy | None] | None = None  # the policy as saved, by its SHA-256
    _listed_replay: tuple[Any, frozenset[str]] | None = None  # the live listing and the tools it holds
    _replay_stale = False  # an edit since the calls were last decided (the tab hidden)
    _replayed_for: tuple[int, int, Any] | None = None  # `_replay_key` when they were
    _replay_worker: Worker[None] | None = None  # deciding the rest of a long recording
    loaded: asyncio.Event  # set by PolicyApp once the tools are on screen

    async def _mount_replay(self) -> None:
        """Add the Replay tab (after the panels are mounted) and load the recording."""
        if self.replay_path is None:
            return
        from textual.widgets import TabbedContent, TabPane

        self.replay_ready = asyncio.Event()
        panels = self.main.query_one("#panels", TabbedContent)
        await panels.add_pane(
            TabPane("Replay", VerticalScroll(Static(Text("Reading the recording…"), id="replay")), id=REPLAY_TAB)
        )
        self.run_worker(self._load_replay(), group="replay", exit_on_error=False)

    async def _load_replay(self) -> None:
        assert self.replay_path is not None
        path = self.replay_path
        from policytui.replay import RecordingError, Replay, load_calls
        from policytui.replay.calls import of_server, servers_of

        try:
            calls = await asyncio.to_thread(load_calls, path)
        except (OSError, RecordingError) as exc:
            text = str(exc) if isinstance(exc, RecordingError) else f"cannot read {path}: {os_reason(exc)}"
            if self._alive:
                self.main.query_one("#replay", Static).update(Text(visible(text), style="bold"))
            return
        finally:
            await self.loaded.wait()
        self.replay_note = None
        servers = servers_of(calls)
        if len(servers) > 1:
            # An audit log the gateways of one state folder share holds every server's calls:
            # this editor's server's alone are replayed when it is among them.
            shown = ", ".join(one_line(name, 40) for name in servers[:5]) + (", …" if len(servers) > 5 else "")
            if self.target_label in servers:
                calls = of_server(calls, self.target_label)
                self.replay_note = (f"Only the calls of {one_line(self.target_label, 40)}: the recording holds "
                                    f"the calls of {len(servers)} servers ({shown}).")
            else:
                self.replay_note = (f"The recording holds the calls of {len(servers)} servers ({shown}), all "
                                    "decided under this policy; `policytui replay --server NAME` replays one.")
        elif servers and self.target_label and servers[0] != self.target_label:
            # Most often the wrong file: its tools are not this server's, so its calls are
            # counted apart or reported as changes this policy never meant.
            self.replay_note = (f"The recording holds the calls of server {one_line(servers[0], 40)}, not of "
                                f"{one_line(self.target_label, 40)} (this editor's): they are decided under this "
                                "policy all the same.")
        self.replay = Replay(calls)
        self._run_replay()  # sets `replay_ready` once the report shows

    def _listed_now(self) -> frozenset[str] | None:
        """The tools the server lists now, from a live connection (a snapshot may be old): a
        recorded call for any other would be answered by the gateway itself, whatever the
        policy says, so it is not decided under the draft."""
        state = self.state
        if state is None or state.listing.transport == "snapshot" or state.listing.offline_reason:
            return None
        if self._listed_replay is None or self._listed_replay[0] is not state.listing:
            names = {tool.name for tool in state.listing.tools}
            names.update(broken.name for broken in state.listing.broken_tools if broken.name is not None)
            self._listed_replay = (state.listing, frozenset(names))
        return self._listed_replay[1]

    def _saved_policy(self, sha256: str) -> dict[str, Policy] | None:
        """The policy as saved, by its file's SHA-256: the file a gateway records calls under,
        whose limits say what a window had counted before a recording began."""
        state = self.state
        if not sha256 or state is None or state.saved_text is None:
            return None
        if self._saved_replay_policy is None or self._saved_replay_policy[0] != sha256:
            from policytui.policy.validate import validate_text

            saved = validate_text(state.saved_text).policy
            self._saved_replay_policy = (sha256, saved)
        policy = self._saved_replay_policy[1]
        return {sha256: policy} if policy is not None else None

    def _refresh_replay(self) -> None:
        """Decide the recorded calls under the policy as edited, after every edit: at once while
        the Replay tab shows, else when it is opened (`_replay_when_shown`). Hidden, a refresh
        of 10,000 calls cost the screen some 80 ms after each edit that no one saw."""
        self._replay_stale = True
        self._replay_when_shown()

    def _replay_when_shown(self) -> None:
        """Decide the recorded calls again if the policy changed since they were, and the
        Replay tab shows (it is filled before the frame that shows it)."""
        if self.replay is None or self.state is None or not self._alive:
            return
        if not self._replay_stale and self._replayed_for == self._replay_key():
            return
        from textual.widgets import TabbedContent

        if self.main.query_one("#panels", TabbedContent).active != REPLAY_TAB:
            return
        self._run_replay()

    def _replay_key(self) -> tuple[int, int, Any]:
        """What a report depends on besides the recording: the policy as edited (an edit made
        just before the tab is opened counts, though the refresh after typing has not run yet)
        and the saved file."""
        state = self.state
        return (id(state), state.revision, state.saved_stamp) if state is not None else (0, 0, None)

    def _run_replay(self) -> None:
        """Decide the recorded calls under the policy as edited, and show the report: at once
        for a recording of up to `REPLAY_AT_ONCE` calls, else that many now and the rest a
        step per turn of the event loop (`_finish_replay`)."""
        if self.replay is None or self.state is None or not self._alive:
            return
        if self._replay_worker is not None:
            self._replay_worker.cancel()  # deciding for an earlier edit: this run replaces it
            self._replay_worker = None
        self._replay_stale = False
        steps, key = self._replay_steps()
        report, decided, took = self._replay_step(steps)
        while report is None and decided < REPLAY_AT_ONCE:
            report, decided, more = self._replay_step(steps)
            took += more
        if report is not None:
            self._show_replay(report, took)
            return
        self._show_deciding(decided)
        self._replay_worker = self.run_worker(self._finish_replay(steps, key, decided, took),
                                              group="replay-steps", exit_on_error=False)

    def _replay_steps(self) -> tuple[Generator[int, None, ReplayReport], tuple[int, int, Any]]:
        """The steps of a run under the policy as it stands, and what it is decided for."""
        assert self.replay is not None and self.state is not None
        state = self.state
        self._replayed_for = key = self._replay_key()
        # As saved, the policy is the file a gateway may have recorded under: a rate-limit
        # denial that file made stays denied (see `Replay.run`).
        saved_sha256 = getattr(state.saved_stamp, "sha256", "") if state.saved_stamp is not None else ""
        steps = self.replay.run_in_steps(state.policy, "" if state.dirty else saved_sha256,
                                         known=self._saved_policy(saved_sha256), listed=self._listed_now(),
                                         step=REPLAY_STEP)
        return steps, key

    @staticmethod
    def _replay_step(steps: Generator[int, None, ReplayReport]) -> tuple[ReplayReport | None, int, float]:
        """One step of a run: the report once it is over, else how many calls are decided; and
        the milliseconds the step took."""
        started = time.perf_counter()
        # No collection in the middle: a run makes ~20,000 short-lived, acyclic objects, and a
        # collector pass over the editor's own objects would cost more than the run itself.
        collecting = gc.isenabled()
        gc.disable()
        try:
            decided = next(steps)
            report = None
        except StopIteration as done:
            report, decided = done.value, 0
        finally:
            if collecting:
                gc.enable()
        return report, decided, (time.perf_counter() - started) * 1000

    async def _finish_replay(self, steps: Generator[int, None, ReplayReport], key: tuple[int, int, Any],
                             decided: int, spent_ms: float) -> None:
        """The rest of a long run, a step per turn of the event loop. The policy is edited in
        place, so an edit between two steps starts the run over under the policy as edited:
        a report is never of two policies."""
        while True:
            await asyncio.sleep(0)  # keys and frames first
            if self.replay is None or self.state is None or not self._alive:
                return
            if self._replay_key() != key:
                steps.close()
                steps, key = self._replay_steps()
                spent_ms = 0.0
            report, decided, took = self._replay_step(steps)
            spent_ms += took
            if report is not None:
                self._replay_worker = None
                self._show_replay(report, spent_ms)
                return
            self._show_deciding(decided)

    def _show_deciding(self, decided: int) -> None:
        """While a long run is under way: what is being done instead of the last report, which
        is of the policy before the edit (a PASS shown for a policy that now fails misleads)."""
        assert self.replay is not None
        total = len(self.replay.calls.calls)
        self.main.query_one("#replay", Static).update(Text(
            f"Deciding the {total:,} recorded calls under the policy as edited… {decided:,} so far", style="dim"))

    def _show_replay(self, report: ReplayReport, spent_ms: float) -> None:
        assert self.replay is not None
        self.replay_ms = spent_ms
        self.replay_report = report
        source = self.replay_path.name if self.replay_path else ""
        panel = render_replay(report, self.replay_ms, source, cut_short=self.replay.calls.skipped_last_line,
                              note=self.replay_note, cut_lines=self.replay.calls.cut_lines)
        self.main.query_one("#replay", Static).update(panel)
        if self.replay_ready is not None:
            self.replay_ready.set()

    # Pins ---------------------------------------------------------------------------------

    def mention_unpinned_members(self) -> None:
        """Once the policy is read: say how many tools show as changed only in members the
        version of policytui that approved them did not pin, and how to approve them at once
        (after an upgrade, most of a FastMCP server's tools; pressing `a` for each is no way)."""
        from policytui.editor import pins
        from policytui.gateway.pins import members_counted

        if self.state is None:
            return
        unpinned = pins.unpinned(self.state)
        if not unpinned:
            return
        many = len(unpinned) > 1
        self.notify(
            f"{count(len(unpinned), 'tool')} changed only in members that the version of policytui which "
            f"approved {'them' if many else 'it'} did not pin, never approved ({members_counted(unpinned)}); "
            f"under pinning {'they are' if many else 'it is'} hidden and denied. P shows {'them' if many else 'it'}, "
            f"and A re-approves {'them all at once' if many else 'it'} after you have checked "
            f"{'them' if many else 'it'}.",
            severity="warning", timeout=20, markup=False)

    def action_pins(self) -> None:
        state = self.state
        if state is None:
            return
        from policytui.editor import pins

        def apply(answer: str) -> PinsView | None:
            """Make the dialog's edit; what the dialog shows next (None: the editor has no
            policy any more)."""
            if self.state is None:
                return None
            if answer == "toggle":
                on = not pins.pinning_on(self.state.policy)
                self._edit(lambda: pins.set_pinning(state, on), full=True)
                self.notify("Pinning is on: the gateway hides and denies a tool whose definition changed or "
                            "that is new, until it is approved (a)." if on else
                            "Pinning is off in the policy (gateway --pin still enforces approvals).")
            elif answer == "approve-unpinned":
                approved = self._edit(lambda: pins.reapprove_unpinned(state)) or []
                if approved:
                    self.notify(f"Approved the live definitions of {count(len(approved), 'tool')}, the members "
                                "no one had approved included; save to keep them. One ctrl+z undoes it.",
                                markup=False)
            elif answer.startswith("approve:"):
                name = answer.removeprefix("approve:")
                self._edit(lambda: pins.reapprove(state, name), names=[name])
                self.notify(f"Approved the live definition of {one_line(name, 60)}; save to keep it.", markup=False)
            return view()

        def view() -> PinsView:
            return PinsView(pins.changes(state), pins.pinning_on(state.policy), pins.none_approved(state),
                            pins.unpinned(state))

        # The dialog stays open and shows the edit in place: closed and opened again, it left a
        # moment in which the next key typed (an `a` meant for it) reached the table behind and
        # allowed the selected tool.
        self.push_screen(PinsScreen(view(), apply))


class _Listed(Content):
    """A line of the Pins dialog's list, measured without being wrapped when it fits.

    OptionList measures every option, by wrapping it, to lay itself out: at 10,000 changed tools
    that took half a second each time the dialog opened or showed an edit."""

    __slots__ = ()

    def fits(self, width: int) -> bool:
        """Whether the line takes one row at `width` cells (padding taken off already)."""
        return self.cell_length <= width and "\n" not in self.plain

    def get_height(self, rules: RulesMap, width: int) -> int:
        if self.fits(width - rules.get("line_pad", 0) * 2):
            return 1
        return super().get_height(rules, width)


def _listed(name: str, note: str) -> _Listed:
    """A tool's name, then what is the matter with it, dimmed."""
    return _Listed(name + note, [Span(len(name), len(name) + len(note), "dim")])


class ChangeList(OptionList):
    """The Pins dialog's list of tools: as tall as its options up to its max-height.

    It starts with the first `FIRST` lines and adds the rest `STEP` at a time, a step per turn
    of the event loop once it is mounted: building and measuring 10,000 options held the screen
    still for over 100 ms when the dialog opened. A key that goes further than what is in the
    list (end, or a selection set from outside, `show`) adds what it needs first, so a
    selection always names the tool the dialog shows."""

    FIRST = 200
    STEP = 2_000

    def __init__(self, lines: list[Callable[[], _Listed]], *, id: str) -> None:
        self._prompts = lines
        self._added = min(len(lines), self.FIRST)
        super().__init__(*(line() for line in lines[:self._added]), id=id)

    def on_mount(self) -> None:
        if self._added < len(self._prompts):
            self.run_worker(self._add_the_rest(), group="pins-list", exclusive=True)

    async def _add_the_rest(self) -> None:
        while self._added < len(self._prompts):
            await asyncio.sleep(0)  # keys and frames first
            self._add_up_to(self._added + self.STEP)

    def _add_up_to(self, end: int) -> None:
        end = min(end, len(self._prompts))
        if end > self._added:
            self.add_options([line() for line in self._prompts[self._added:end]])
            self._added = end

    def show(self, index: int) -> None:
        """Select the `index`-th line, adding the lines up to it first if they are not in yet."""
        self._add_up_to(index + 1)
        self.highlighted = index

    def action_last(self) -> None:
        self._add_up_to(len(self._prompts))
        super().action_last()

    def action_page_down(self) -> None:
        self._add_up_to(self._added + self.STEP)
        super().action_page_down()

    def _update_lines(self) -> None:
        # Textual's own builds each new option's visual and asks its height: at 10,000 tools
        # that was a fifth of opening the dialog. A line of ours that fits the width is one row
        # without either; the first option that is not goes to Textual's, which takes the rest
        # from there (and sets the list's virtual size in any case).
        region = self.scrollable_content_region
        cache = self._line_cache
        lines = cache.lines
        options = self.options
        index = lines[-1][0] + 1 if lines else 0
        if region and index < len(options):
            padding = self.get_component_styles("option-list--option").padding.width
            room = region.width - self._get_left_gutter_width() - padding - self.styles.line_pad * 2
            while index < len(options):
                option = options[index]
                prompt = option.prompt
                if option._divider or not isinstance(prompt, _Listed) or not prompt.fits(room):
                    break
                cache.index_to_line[index] = len(lines)
                cache.heights[index] = 1
                lines.append((index, 0))
                index += 1
        super()._update_lines()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # Counting past the screen's height changes nothing (the max-height is less), and the
        # options below it cost their measuring alone.
        padding = self.get_component_styles("option-list--option").padding.width
        rules = cast("RulesMap", self.styles)
        height = 0
        for option in self.options:
            height += self._get_visual(option).get_height(rules, width - padding) + option._divider
            if height > viewport.height:
                break
        return height


@dataclass(frozen=True)
class PinsView:
    """What the Pins dialog shows: the tools whose live definition is not the approved one,
    whether the policy pins, and whether nothing is approved yet."""

    changes: list[PinChange]
    pinning: bool
    first_approval: bool
    # The changed tools that differ only in members the version of policytui that approved
    # them did not pin, with those members (`editor.pins.unpinned`): `A` approves them at once.
    unpinned: dict[str, list[str]]


class PinsScreen(DialogScreen[str]):
    """Approved and live definitions side by side; `a` re-approves, `A` re-approves the tools
    changed only in members never approved (asking first), `p` toggles pinning."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="pins.close",
                tooltip="Close the pins dialog, the approvals as they stand"),
        Binding("a", "approve", "Re-approve", id="pins.approve",
                tooltip="Approve the selected tool as the server lists it now"),
        Binding("A", "approve_unpinned", "Re-approve unpinned members", id="pins.approve_unpinned",
                tooltip="Approve at once every tool that differs only in members the version of "
                        "policytui that approved it did not pin (asks first, naming them)"),
        Binding("p", "toggle_pinning", "Pinning on/off", id="pins.toggle",
                tooltip="Turn pinning of tool definitions on or off"),
    ]
    CSS_PATH = "screens/dialogs.tcss"  # the dialogs' stylesheet, resolved from this module
    DEFAULT_CSS = """
    PinsScreen #pins-list { height: auto; max-height: 6; }
    PinsScreen #pins-sides { height: 1fr; min-height: 4; }
    PinsScreen .pins-side { width: 1fr; border: round $primary 50%; }
    /* A short terminal: two names in view, the rest of the height for the definitions. */
    PinsScreen.-short #pins-list { max-height: 4; }
    """

    def __init__(self, view: PinsView, apply: Callable[[str], PinsView | None]) -> None:
        super().__init__(id="pins")
        self.changes = view.changes
        self.pinning = view.pinning
        # Nothing approved yet: listing every tool as "new" read as a server that had changed.
        self.first_approval = view.first_approval
        self.unpinned = view.unpinned
        self._apply = apply

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            # "OFF" alone read as "approvals do not matter" to an author whose gateway pins
            # with --pin, which the file cannot know about.
            state = ("ON: a changed or new tool is hidden and denied by the gateway" if self.pinning
                     else "OFF in the policy (gateway --pin still enforces approvals)")
            yield Static(Text(f"Pinned tool definitions · pinning {state}", style="bold"), id="dialog-title")
            if not self.changes:
                yield Static(Text("Every tool's live definition is the approved one."), id="pins-empty")
            else:
                if self.first_approval:
                    # `a` here starts approving one by one: the save then adds no other tool.
                    yield Static(Text(f"No tool is approved yet: saving approves all {len(self.changes):,} "
                                      "as the server lists them now. Approving one here (a) approves "
                                      "that one alone, and the save then approves no other.", style="bold"),
                                 id="pins-first")
                yield ChangeList([partial(self._line, change) for change in self.changes], id="pins-list")
                with Horizontal(id="pins-sides"):
                    with VerticalScroll(classes="pins-side"):
                        yield Static(id="pins-approved")
                    with VerticalScroll(classes="pins-side"):
                        yield Static(id="pins-live")
            all_unpinned = f" · A re-approve the {len(self.unpinned):,} changed only in members never approved" if (
                len(self.unpinned) > 1) else " · A re-approve it" if self.unpinned else ""
            yield Static(Text(f"a re-approve the selected tool{all_unpinned} · p pinning on/off · esc close",
                              style="dim"), classes="dialog-foot")

    def on_mount(self) -> None:
        self._fill_screen()
        self._select(0)

    def _fill_screen(self) -> None:
        # Inline styles: the dialogs' stylesheet sizes every .dialog at 70 columns; the two
        # definitions need the whole screen.
        box = self.query_one(".dialog")
        box.styles.width = "100%"
        box.styles.height = "100%"

    def _line(self, change: PinChange) -> _Listed:
        """The tool's line in the list: its name, then what is the matter with it."""
        return _listed(one_line(change.name, 80),
                       "  not approved yet" if self.first_approval
                       else "  new" if change.approved_fingerprint is None
                       else "  changed only in members never approved (A)" if change.name in self.unpinned
                       else "  changed")

    def _select(self, index: int) -> None:
        if self.changes:
            index = min(index, len(self.changes) - 1)
            self.query_one("#pins-list", ChangeList).show(index)
            self._show(index)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show(event.option_index)

    def _show(self, index: int) -> None:
        from policytui.editor.pins import side_by_side

        change = self.changes[index]
        old_lines, new_lines = side_by_side(change.approved, change.live)
        approved = Text("approved", style="bold")
        approved.append(f"  {change.approved_fingerprint or '(none)'}\n", style="dim")
        if change.approved_from == "this machine":
            approved.append("(as kept on this machine when a save approved it)\n", style="dim")
        if self.first_approval:
            approved.append("(nothing approved yet: the first save approves the definition on the right)")
        elif change.approved_fingerprint is None:
            approved.append("(never approved: the policy has no fingerprint for this tool)")
        else:
            _append_lines(approved, old_lines, "-", "bold red")
        live = Text("live", style="bold")
        live.append(f"  {change.live_fingerprint}\n", style="dim")
        _append_lines(live, new_lines, "+", "bold green")
        self.query_one("#pins-approved", Static).update(approved)
        self.query_one("#pins-live", Static).update(live)
        # A one-line injection deep in a long schema would sit below a short pane's edge:
        # each side opens at its first marked line.
        self.call_after_refresh(self._scroll_to_first_difference, approved, live)

    def _scroll_to_first_difference(self, *sides: Text) -> None:
        panes = list(self.query(".pins-side"))
        for pane, text in zip(panes, sides, strict=False):
            top = _rows_before_mark(text, self.app.console, max(1, pane.scrollable_content_region.width))
            pane.scroll_to(y=max(0, top - 1), animate=False)

    def _selected(self) -> PinChange | None:
        if not self.changes:
            return None
        index = self.query_one("#pins-list", OptionList).highlighted
        return self.changes[index] if index is not None else None

    async def action_approve(self) -> None:
        change = self._selected()
        if change is not None:
            await self._edit(f"approve:{change.name}")

    def action_approve_unpinned(self) -> None:
        """Ask, naming the tools and their members, then approve at once every tool that
        differs only in members the version of policytui that approved it did not pin."""
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

        if not self.unpinned:
            self.app.notify("No tool here differs from its approved definition only in members an earlier "
                            "version of policytui did not pin: review each one, and re-approve it with a.",
                            markup=False)
            return
        from policytui.gateway.pins import members_counted

        many = len(self.unpinned) > 1
        they = "They" if many else "It"
        message = (
            f"{they} {'differ' if many else 'differs'} from the approved definition only in members that the "
            f"version of policytui which approved {'them' if many else 'it'} did not pin, so these were never "
            f"approved: {members_counted(self.unpinned)}. {'Their' if many else 'Its'} title, description, "
            "schemas and annotations are as approved. Once approved, the gateway passes these members on to "
            "clients as the server sends them now: check them below. A tool changed in anything else is left "
            "for you to review with a. One ctrl+z undoes it.")
        shown = set(list(self.unpinned)[:UNPINNED_SHOWN])  # the detail shows these one by one
        live = {change.name: change.live for change in self.changes if change.name in shown}

        async def answered(answer: str | None) -> None:
            if answer == "approve":
                await self._edit("approve-unpinned")

        self.app.push_screen(ChoiceScreen(
            f"Re-approve {count(len(self.unpinned), 'tool')} at once?", message,
            [Choice("approve", f"Re-approve {count(len(self.unpinned), 'tool')}", "y", "error"),
             Choice("cancel", "Cancel", "n")],
            detail=_unpinned_detail(self.unpinned, live), id="pins-unpinned"), answered)

    async def action_toggle_pinning(self) -> None:
        await self._edit("toggle")

    async def _edit(self, answer: str) -> None:
        """The editor makes the edit; the dialog then shows the approvals as they now stand,
        the selection kept where it was (on the next tool, once the selected one is approved)."""
        index = self.query_one("#pins-list", OptionList).highlighted if self.changes else 0
        view = self._apply(answer)
        if view is None:
            self.dismiss(None)
            return
        self.changes, self.pinning, self.first_approval = view.changes, view.pinning, view.first_approval
        self.unpinned = view.unpinned
        await self.recompose()
        self._fill_screen()
        self._select(index or 0)
        if self.changes:  # the list it had the keys in was replaced: the new one takes them
            self.query_one("#pins-list", OptionList).focus()
        else:
            # Nothing to focus: not the list just removed either, which the screen took back as
            # its focus when the confirmation of `A` closed, and which escape then went to.
            self.set_focus(None)

    def action_close(self) -> None:
        self.dismiss(None)


# The tools the confirmation of `A` shows one by one; the rest are counted.
UNPINNED_SHOWN = 100


def _unpinned_detail(unpinned: dict[str, list[str]], live: dict[str, dict[str, Any]]) -> Text:
    """Each tool `A` would approve, with the members never approved as the server sends them
    now (a credential it quotes shown as ***), each on a line of its own: a `_meta.ui` among
    forty `_meta.fastmcp` is in sight."""
    from policytui.toolinfo import other_members

    text = Text()
    for name in list(unpinned)[:UNPINNED_SHOWN]:
        text.append(one_line(name, 80) + "\n", style="bold")
        for key, value in sorted(other_members(live.get(name) or {}).items()):
            said = json.dumps(value, ensure_ascii=False, sort_keys=True)
            text.append(f"  {visible(clip(key, 40))}: {visible(clip(said, 300))}\n")
    if len(unpinned) > UNPINNED_SHOWN:
        text.append(f"… and {len(unpinned) - UNPINNED_SHOWN:,} more, each in the list behind this dialog",
                    style="dim")
    return text


def _rows_before_mark(text: Text, console: Any, width: int) -> int:
    """How many rows `text`, wrapped at `width`, takes before its first marked line ("- " or
    "+ " at a line's start); 0 when no line is marked."""
    rows = 0
    for line in text.split("\n"):
        if line.plain.startswith(("- ", "+ ")):
            return rows
        rows += max(1, len(line.wrap(console, width)))
    return 0


def _append_lines(text: Text, lines: list[tuple[str, bool]], sign: str, style: str) -> None:
    """Definition lines, those not on the other side marked with `sign` and highlighted (the
    sign too, so the difference shows on a terminal without colour)."""
    for line, differs in lines:
        shown = visible(line, keep_newlines=True)
        if differs:
            text.append(f"{sign} {shown}\n", style=style)
        else:
            text.append(f"  {shown}\n")
