"""Unsaved changes are dropped only by the user's own "Quit without saving".

Every other way the editor ends while it has unsaved changes (SIGTERM, SIGHUP or SIGINT in a
terminal; in a browser, the window closed or `policytui serve` stopping; an error) keeps them
in a recovery file beside the policy (`policytui.editor.recovery`) and says where in one line
on standard error once the screen is restored. Under `serve` that is the editor process's
standard error, which serve relays to its own, so whoever pressed ctrl+c there reads it.
The next editor of the policy mentions the files kept for it. What an open dialog holds and
has not applied is not the policy's yet: no file keeps it, and the line says it was lost.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from textual import work

from policytui.cli import EXIT_INTERRUPTED
from policytui.textsafe import clip, visible
from policytui.tui.background import in_daemon_thread
from policytui.tui.base import EditorBase
from policytui.tui.notices import corner_text_width

# What ends a terminal editor from outside; each is read in the event loop, between two
# messages, so the edits stand as the last one left them.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
KEPT_NOTICE_SECONDS = 20
# What a user who may not make the policy writable can do instead, said when it is opened.
OPEN_A_COPY = "open a copy of your own with --policy"
# The palette's command that loads the newest recovery file (`load_kept_version`).
LOAD_KEPT = "Load kept changes"
# The status of an editor ended from outside whose unsaved changes no folder would take.
EXIT_UNSAVED_LOST = 1
# The way out and the session driver's timer thread (a stuck app) may both try to keep.
_KEEPING = threading.Lock()


class KeepUnsaved(EditorBase):
    """Keeps unsaved changes on every way out but the user's own decision to drop them."""

    # Known once the driver runs: the wording of the line, and who handles stop signals.
    in_browser: bool = False
    # Set by `PolicyApp.run` (the program, not a test's `run_test`) before the app starts.
    watch_stop_signals: bool = False
    _kept_once: bool = False
    # Unsaved changes that no folder would take: they are gone, and the exit status says so.
    unsaved_lost: bool = False
    # A stop signal that came before the app was mounted (`_note_early_stops`).
    _early_stop: int | None = None
    # The newest recovery file kept for the policy, which the palette's LOAD_KEPT loads.
    kept_version: Path | None = None
    # Why the policy cannot be saved where it is, as said when it was opened (or None).
    unsaveable_said: str | None = None

    def _note_early_stops(self) -> None:
        """From `run`, before the app starts: a stop signal is noted until `on_mount` takes
        over, then ends the editor there. Textual takes the terminal (the alternate screen,
        mouse reports, the cursor hidden) before the app is mounted; killed by SIGTERM just
        then, the editor left the shell in that state."""
        for number in STOP_SIGNALS:
            if signal.getsignal(number) is not signal.SIG_IGN:  # `nohup`'s stays
                signal.signal(number, self._note_early_stop)

    def _note_early_stop(self, number: int, frame: FrameType | None) -> None:
        if self._early_stop is None:
            self._early_stop = number

    def _forget_early_stops(self) -> None:
        """Each stop signal still noted by `_note_early_stops` is handled as before it."""
        for number in STOP_SIGNALS:
            if signal.getsignal(number) == self._note_early_stop:
                signal.signal(number, signal.default_int_handler if number == signal.SIGINT
                              else signal.SIG_DFL)

    def _end_on_stop_signals(self) -> None:
        """In a terminal, SIGTERM, SIGHUP (the terminal closed) and SIGINT end the editor the
        way ctrl+q's "quit" does, so that `run` keeps what is unsaved; by default they would
        end the process on the spot. A signal that is ignored (`nohup`) stays ignored. In a
        browser the session driver takes SIGTERM and SIGINT (tui/web_driver.py)."""
        self.in_browser = self.is_web
        if not self.watch_stop_signals:
            return
        self._forget_early_stops()
        if not self.in_browser:
            loop = asyncio.get_running_loop()
            for number in STOP_SIGNALS:
                if signal.getsignal(number) is not signal.SIG_IGN:
                    loop.add_signal_handler(number, self._stopped_by, number)
        if self._early_stop is not None:
            self._stopped_by(self._early_stop)

    def _hold_stop_signals(self) -> None:
        """As the app unmounts, still in its loop: until `keep_and_say` has said where the
        edits went, a stop signal is only noted. The loop's handlers (the session driver's in a
        browser) go when it closes, and with them the way a signal is handled: by default, the
        process ends on the spot. A second SIGTERM just then (serve's, a user's `kill` again)
        ended the editor before it kept its edits, or before it said where."""
        if not self.watch_stop_signals:
            return
        loop = asyncio.get_running_loop()
        for number in STOP_SIGNALS:
            if signal.getsignal(number) is not signal.SIG_IGN:  # `nohup`'s stays
                loop.remove_signal_handler(number)
                signal.signal(number, _noted)

    def _stopped_by(self, number: int) -> None:
        # 130 on SIGINT as every command; 0 on SIGTERM and SIGHUP, as the gateway and serve.
        self.exit(return_code=EXIT_INTERRUPTED if number == signal.SIGINT else 0)

    def keep_unsaved_work(self) -> str | None:
        """Keep unsaved changes in a recovery file, once: the line that says where (or why
        they could not be kept), None when nothing needed keeping.

        Called on the way out, when no edit can come any more; also from the session driver's
        timer thread when the app is stuck and about to be ended."""
        with _KEEPING:
            if self._kept_once:
                return None
            self._kept_once = True
            state = self.state
            written = self.written_save
            if state is not None and written is not None:
                # A save that wrote the file while the editor was quitting, its worker
                # cancelled before it could say so: that is saved, not unsaved.
                state.mark_saved(*written)
            if state is None or self.unsaved_discarded:
                return None
            command, who = ("serve", "the browser editor") if self.in_browser else ("connect", "the editor")
            # A dialog's changes are the policy's only once applied: the recovery file, as a
            # save, has the policy without them, and the line must not say all was kept.
            dropped = self.unapplied_at_exit
            dropped = shown_name(dropped, 200) if dropped is not None else None
            if not state.dirty:
                if dropped is None:
                    return None
                return (f"policytui {command}: {who} had changes to {dropped} in an open dialog, "
                        "not applied yet; they were lost (a dialog's changes are kept once applied)")
            from policytui.editor.recovery import NotKept, keep_unsaved

            said = f"policytui {command}: {who} had unsaved changes to {shown_name(self.policy_path.name, 200)}"
            if dropped is not None:
                said += (f" (not the changes to {dropped} in its open dialog, not applied yet: "
                         "those were lost)")
            try:
                path = keep_unsaved(state)
            except NotKept as exc:
                self.unsaved_lost = True
                return f"{said}, and they could not be kept: {shown_name(str(exc), 1000)}"
            except Exception as exc:  # the way out must not end in a traceback
                self.unsaved_lost = True
                return f"{said}, and they could not be kept: {shown_name(str(exc) or type(exc).__name__, 1000)}"
            return f"{said}; they were kept in {shown_name(str(path), 1000)}"

    @work(group="kept-versions", exit_on_error=False)
    async def mention_kept_versions(self) -> None:
        """Once the policy is read: say which recovery files an earlier editor left for it,
        and how to load the newest into the editor (a browser user has no shell to open it)."""
        from policytui.editor.recovery import kept_versions

        path = self.policy_path
        found = await in_daemon_thread(lambda: kept_versions(path), "policytui-kept")
        if not found or not self._alive:
            return
        self.kept_version = found[0]
        older = f"(and {len(found) - 1} older) " if len(found) > 1 else ""
        # Each piece of the path on a line the toast does not fold, so it can be copied whole.
        width = corner_text_width(self.size.width)
        self.notify(
            f"Unsaved changes to {shown_name(path.name, 60)} were kept when an editor of it was "
            f"stopped, in\n{shown_path(found[0], width)}\n{older}ctrl+p “{LOAD_KEPT}” loads "
            "them as unsaved edits (4 shows the diff, ctrl+z undoes it). Compare, then delete "
            "the file.",
            severity="warning", timeout=KEPT_NOTICE_SECONDS, markup=False,
        )

    @work(group="kept-versions", exit_on_error=False)
    async def load_kept_version(self) -> None:
        """Load the newest recovery file into the editor as unsaved edits, one undoable step:
        the policy file stays as it was saved until the user saves."""
        from policytui.policy.files import PolicyFileError, load_policy

        kept, state = self.kept_version, self.state
        if kept is None or state is None:
            return
        name = shown_name(kept.name, 100)
        try:
            loaded = await in_daemon_thread(lambda: load_policy(kept), "policytui-kept")
        except PolicyFileError as exc:
            self.notify(f"{name} could not be loaded: {shown_name(str(exc), 300)}",
                        severity="error", markup=False)
            return
        if not self._alive:
            return
        if loaded.policy is None:
            problems = [p.format() for p in loaded.report.errors] or ["it is not a valid policy"]
            self.notify(f"{name} could not be loaded: {shown_name(problems[0], 300)}",
                        severity="error", markup=False)
            return
        policy = loaded.policy
        self._edit(lambda: state.take_policy(policy, "kept changes"), full=True)
        self.notify(
            f"Loaded the changes kept in {name}, unsaved: {shown_name(self.policy_path.name, 60)} "
            "is as saved until ctrl+s. 4 shows the diff, ctrl+z undoes it.",
            markup=False,
        )

    @work(group="read-only", exit_on_error=False)
    async def mention_read_only(self) -> None:
        """Once the policy is read: say at once that it cannot be saved where it is (a file
        made read-only, another user's, a read-only file system, a folder that takes no new
        file), before any edit is made for nothing."""
        from policytui.output_file import save_blocked_reason

        path = self.policy_path
        why = await in_daemon_thread(lambda: save_blocked_reason(path, elsewhere=OPEN_A_COPY),
                                     "policytui-read-only")
        if why is None or not self._alive:
            return
        self.unsaveable_said = why
        self.notify(
            f"{shown_name(path.name, 60)} cannot be saved: {shown_name(why, 300)}. Edits stay "
            "unsaved until it can be.",
            severity="warning", timeout=KEPT_NOTICE_SECONDS, markup=False,
        )


def shown_name(text: str, limit: int) -> str:
    """A file's name or path (or a sentence naming some) on one line: whole, clipped to `limit`,
    every control character drawn. Not `one_line`, which stops at the first newline: in a
    name with one (`policy.json<newline>x`), that names another file, even the policy."""
    return visible(clip(text, limit), pictures=True)


def shown_path(path: Path, width: int) -> str:
    """A recovery file's path for a notice `width` columns wide: its folder in lines that break
    after a `/`, its name on a line of its own, so that the path stays readable and each
    piece can be copied whole (a notice folds a long line anywhere, inside a name too). A
    name or a folder's name wider than the notice is broken too, after a `.`, `-` or `_`
    (`policy.json.unsaved-` and `20261206-083217.json`): each line ends where it was broken,
    so the lines copied and joined without their newlines are the exact path."""
    lines: list[str] = []
    line = ""
    for part in shown_name(str(path.parent).rstrip("/") + "/", 1000).split("/")[:-1]:
        piece = part + "/"
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        *whole, line = lines_of(line + piece, width)
        lines.extend(whole)
    lines.append(line)
    return "\n".join([*lines, *lines_of(shown_name(path.name, 200), width)])


# Where a name too wide for a notice's line is broken: after any of these, the last in reach.
NAME_BREAKS = ".-_"


def lines_of(name: str, width: int) -> list[str]:
    """`name` in lines of at most `width` characters, each broken after the last `.`, `-` or
    `_` that fits on it, or at `width` where none does (a notice would fold it there too)."""
    lines: list[str] = []
    while len(name) > width:
        cut = max(name.rfind(mark, 0, width) for mark in NAME_BREAKS) + 1 or width
        lines.append(name[:cut])
        name = name[cut:]
    return [*lines, name]


def keep_and_say(app: KeepUnsaved) -> None:
    """Keep what `app` left unsaved and say where. The app's signal handlers went with its
    event loop: a second SIGTERM (or SIGHUP) now would end the process half-way, so they wait
    until the line is out."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        line = app.keep_unsaved_work()
        if line:
            say(line)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        # The line is out: a stop signal may end the process again, should its end hang.
        for number in STOP_SIGNALS:
            if signal.getsignal(number) is _noted:
                signal.signal(number, signal.default_int_handler if number == signal.SIGINT
                              else signal.SIG_DFL)


def _noted(number: int, frame: FrameType | None) -> None:
    """A stop signal while the editor is on its way out: it is ending already."""


def say(line: str) -> None:
    """`line` on standard error, whatever state it is in (a closed terminal, a gone server)."""
    try:
        os.write(sys.__stderr__.fileno() if sys.__stderr__ else 2, f"{line}\n".encode())
    except (OSError, ValueError):
        pass
