"""File actions: save (atomically, asking on conflicts and problems), export, copy, quit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work

from policytui.editor.text import one_line, visible
from policytui.tui.base import EditorBase
from policytui.tui.too_small import TooSmallScreen, notice_shown

if TYPE_CHECKING:
    from pathlib import Path

    from policytui.editor.state import EditorState, PendingSave, SaveResult
    from policytui.policy.files import FileStamp


# A quit waits for a save already under way, however long it takes, before it decides whether
# anything is unsaved: how often it looks, and after how long it says what it waits for.
SAVE_POLL = 0.02
SAVE_WAIT_NOTICE = 2.0


class FileActions(EditorBase):
    """Keys that write the policy somewhere or leave; nothing unsaved is lost without asking."""

    # The export dialog opens on the format chosen in it last (None: the first of FORMATS).
    _export_format: str | None = None
    # The newest recovery file, which the palette loads (kept by `KeepUnsaved`).
    kept_version: Path | None
    # Why the policy cannot be saved where it is, as said when it was opened (`KeepUnsaved`).
    unsaveable_said: str | None

    # ----- actions: saving, exporting, quitting -------------------------------------------

    def action_save(self, then_quit: bool = False) -> None:
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

        state = self.state
        if state is None:
            return
        if notice_shown(self) and not then_quit:
            self._save_under_notice(state)
            return
        if state.needs_overwrite_consent:
            self.push_screen(
                ChoiceScreen(
                    f"Replace {self.policy_path.name}?",
                    "The file on disk is not a valid policy. Replace it with this one? "
                    "The old file is kept as a .bak copy.",
                    [Choice("replace", "Replace", "y", "error"), Choice("cancel", "Cancel", "n")],
                    detail=Text("\n".join(visible(p) for p in state.load_problems[:20])),
                    id="confirm-replace",
                ),
                # Consent to replace the invalid file as loaded, not whatever is there later.
                self._save_on("replace", force=True, then_quit=then_quit, replacing=state.saved_stamp),
            )
            return
        errors = getattr(self.report, "errors", None)
        if errors:
            self.push_screen(
                ChoiceScreen(
                    "The policy has problems",
                    f"{len(errors)} validation error(s): a gateway may refuse this file. Save anyway?",
                    [Choice("save", "Save anyway", "y", "warning"), Choice("cancel", "Cancel", "n")],
                    detail=Text("\n".join(visible(p.format()) for p in errors[:20])),
                    id="confirm-invalid",
                ),
                self._save_on("save", then_quit=then_quit),
            )
            return
        self.save(then_quit=then_quit)

    def _save_under_notice(self, state: EditorState) -> None:
        """ctrl+s while the terminal is too small to use: the policy is written when writing
        it asks nothing; else the notice says what waits (its line shows the editor's notices).
        A dialog under the notice is not applied, a question not asked, unseen: what they
        would write is not known to the person who pressed the key."""
        name = one_line(self.policy_path.name, 120)
        if len(self.screen_stack) > 2:  # the editor, a dialog, the notice
            self.notify(f"Not saved: a dialog is open under this notice; make the terminal larger "
                        f"to finish it, then ctrl+s writes {name}.", markup=False, severity="warning")
        elif state.needs_overwrite_consent:
            self.notify(f"Not saved: {name} on disk is not a valid policy, and replacing it asks "
                        "first; make the terminal larger to answer.", markup=False, severity="warning")
        elif getattr(self.report, "errors", None):
            self.notify("Not saved: the policy has problems, and saving it asks first; make the "
                        "terminal larger to see them.", markup=False, severity="warning")
        else:
            self.save()

    async def _until_removed(self, screen_id: str) -> bool:
        """Wait until no screen with `screen_id` is left among the app's children; False if
        the editor is closing meanwhile (nothing may then be pushed).

        A popped screen stays among them until Textual has removed it, and a new screen with
        its id cannot be pushed meanwhile (DuplicateIds). The removal always comes while the
        editor runs, only later on a busy machine, so this waits for it however long it takes:
        a bound here dropped the save and its question without a word. The app's children are
        its screens; `get_child_by_id` would look in the current screen instead."""
        while any(node.id == screen_id for node in self._nodes):
            if not self._alive:
                return False
            await asyncio.sleep(0.01)
        return self._alive

    def _save_on(self, choice: str, *, force: bool = False, then_quit: bool = False,
                 replacing: FileStamp | None = None) -> Callable[[str | None], None]:
        """A dialog callback that saves when the user picked `choice` (and does nothing else)."""

        def callback(answer: str | None) -> None:
            if answer == choice:
                self.save(force=force, then_quit=then_quit, replacing=replacing)

        return callback

    def save(self, force: bool = False, then_quit: bool = False, replacing: FileStamp | None = None) -> None:
        """Write atomically off the UI thread; a conflict or an I/O error asks or explains.

        Counted from this call, not from when the worker starts: a quit asked right behind
        (`ctrl+s ctrl+q`) waits for the write before deciding whether anything is unsaved."""
        self.saves_in_flight += 1
        self._save_worker(force, then_quit, replacing)

    @work(exclusive=True, group="save", exit_on_error=False)
    async def _save_worker(self, force: bool, then_quit: bool, replacing: FileStamp | None) -> None:
        try:
            await self._write_policy(force, then_quit, replacing)
        finally:
            self.saves_in_flight -= 1

    async def _write_policy(self, force: bool, then_quit: bool, replacing: FileStamp | None) -> None:
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

        state = self.state
        if state is None:
            return
        from policytui.policy.files import (
            FileStamp,
            PolicyFileConflict,
            PolicyFileError,
            current_stamp,
        )

        pending: PendingSave = state.prepare_save()
        seen: list[FileStamp] = []

        def write() -> SaveResult:
            try:
                written = state.write(pending, force=force, replacing=replacing)
            except PolicyFileConflict:
                # The version the question is about: Overwrite replaces it, and only it.
                try:
                    seen.append(current_stamp(state.path) if state.path is not None else FileStamp.missing())
                except PolicyFileError:
                    pass  # unreadable now: Overwrite replaces what is there, as it always did
                raise
            self.written_save = (pending, written)
            return written

        try:
            result = await asyncio.to_thread(write)
        except PolicyFileConflict:
            # Asked again right after Overwrite (the file changed once more): the answered
            # question may still be leaving the screen, and two may not share its id.
            from policytui.editor.disk_version import difference_summary, read_disk_version

            path = state.path
            disk = await asyncio.to_thread(read_disk_version, path) if path is not None else None
            if not await self._until_removed("confirm-conflict"):
                return
            overwrite = self._save_on("overwrite", force=True, then_quit=then_quit,
                                      replacing=seen[0] if seen else None)
            choices = [Choice("overwrite", "Overwrite", "y", "error"), Choice("cancel", "Cancel", "n")]
            if disk is not None and disk.policy is not None:
                message = (
                    "Someone else wrote the file after it was opened here. "
                    f"{difference_summary(state.policy, disk.policy)} Load their version (your "
                    "changes are kept in a recovery file first), or overwrite it (it is kept as a "
                    ".bak copy; the Diff panel shows what would change)?"
                )
                choices.insert(0, Choice("load", "Load theirs", "l"))
            else:
                why = disk.problem if disk is not None and disk.problem else "it cannot be read"
                message = (
                    f"The file changed after it was opened here: {why}. Nothing can be loaded from "
                    "it; save this version over it (what is there is kept as a .bak copy), or "
                    "cancel and keep editing?"
                )

            def answered(answer: str | None) -> None:
                if answer == "load":
                    self.load_disk_version()
                else:
                    overwrite(answer)

            # The focus opens on Cancel (ChoiceScreen's way out): a stray Enter changes nothing.
            self.push_screen(
                ChoiceScreen(f"{self.policy_path.name} changed on disk", message, choices, id="confirm-conflict"),
                answered,
            )
            return
        except Exception as exc:  # PolicyFileError, EditError, OSError: one sentence, file intact
            blocked = await self._save_blocked(state.path) if isinstance(exc, PolicyFileError) else None
            if blocked is not None:
                self.notify(self._not_saved_where_it_is(blocked), severity="error", markup=False, timeout=12)
            else:
                self.notify(f"Not saved: {one_line(str(exc) or exc.__class__.__name__, 200)}", severity="error", markup=False)
            return
        state.mark_saved(pending, result)
        if self.written_save is not None and self.written_save[0] is pending:
            self.written_save = None  # recorded here: the way out has nothing to add
        if not self._alive:
            return
        # The save may have changed the Drift column (tools it added are no longer new).
        self._refresh_view()
        self._show_current_detail()
        self._refresh_panels()
        from policytui.editor.pins import changed_names, unapproved_new_names

        changed, added = changed_names(state), unapproved_new_names(state)
        if changed or added:
            # A save never approves a rewritten or an added tool; say so, or the author may
            # think it did.
            parts = []
            if changed:
                parts.append(f"changed since approval: {_some(changed)}")
            if added:
                parts.append(f"new: {_some(added)}")
            self.notify(
                f"Saved {one_line(str(self.policy_path), 120)}. Not approved, {'; '.join(parts)} "
                "(P to review and approve)",
                severity="warning", markup=False, timeout=8,
            )
        else:
            self.notify(f"Saved {one_line(str(self.policy_path), 120)}", markup=False, timeout=2)
        if then_quit:
            self.exit(0)

    async def _save_blocked(self, path: Path | None) -> str | None:
        """Why a save that failed could not write the policy where it is, or None (another
        failure: a full disk, a file changed into a folder)."""
        from policytui.output_file import save_blocked_reason
        from policytui.tui.unsaved import OPEN_A_COPY

        if path is None:
            return None
        return await asyncio.to_thread(save_blocked_reason, path, elsewhere=OPEN_A_COPY)

    def _not_saved_where_it_is(self, why: str) -> str:
        """A save refused for the reason the editor gave when it opened the policy says what
        is new: that nothing was written, the edits are still here, and where they can go."""
        from policytui.tui.unsaved import shown_name

        cause = ", as said when it was opened" if why == self.unsaveable_said else f": {shown_name(why, 300)}"
        return (f"Not saved: {shown_name(self.policy_path.name, 60)} cannot be written{cause}. Your "
                "edits are kept here, unsaved: ctrl+s saves them once it can be, and y copies the "
                "policy JSON to paste into a file of your own.")

    @work(group="disk-version", exit_on_error=False)
    async def load_disk_version(self) -> None:
        """Replace the policy being edited with the version now on disk, after keeping the
        edited one in a recovery file beside it (`Load kept changes` brings it back). Nothing
        changes when the file cannot be loaded, or the edits cannot be kept."""
        from policytui.editor.disk_version import read_disk_version
        from policytui.editor.recovery import NotKept, keep_unsaved
        from policytui.tui.unsaved import shown_name

        state, name = self.state, shown_name(self.policy_path.name, 60)
        if state is None or state.path is None:
            return
        path = state.path
        disk = await asyncio.to_thread(read_disk_version, path)
        policy, loaded = disk.policy, disk.loaded
        if policy is None or loaded is None:
            self.notify(f"Nothing loaded: {name} cannot be loaded ({disk.problem}); your changes "
                        "stay in the editor, unsaved.", severity="error", markup=False, timeout=10)
            return
        try:
            kept = await asyncio.to_thread(keep_unsaved, state)
        except (NotKept, OSError) as exc:
            self.notify(f"Nothing loaded: your changes could not be kept first ({shown_name(str(exc), 300)}); "
                        "they stay in the editor, unsaved.", severity="error", markup=False, timeout=10)
            return
        if not self._alive:
            return
        self.kept_version = kept
        self._edit(lambda: state.take_disk_version(policy, loaded.text, loaded.stamp), full=True)
        from policytui.tui.notices import corner_text_width
        from policytui.tui.unsaved import LOAD_KEPT, shown_path

        # Each piece of the path on a line the toast does not fold, so it can be copied whole.
        width = corner_text_width(self.size.width)
        self.notify(
            f"Loaded {name} as it is on disk. Your changes were kept in\n{shown_path(kept, width)}\n"
            f"ctrl+p “{LOAD_KEPT}” loads them back (ctrl+z too).",
            markup=False, timeout=20,
        )

    def action_export(self, fmt: str | None = None) -> None:
        """The export dialog, on `fmt` (a palette entry named for a format) or else on the
        format chosen last."""
        state = self.state
        if state is None:
            return
        if fmt is not None:
            self._export_format = fmt
        from policytui.tui.screens.export import ExportScreen

        def chosen(fmt: str) -> None:
            self._export_format = fmt

        self.push_screen(ExportScreen(state.policy_for_save(), self.policy_path, self._export_format, chosen,
                                      unsaved=state.dirty,
                                      folder=self.policy_path.absolute().parent if self.is_web else None))

    def action_copy_json(self) -> None:
        if self.state is None:
            return
        self.copy_to_clipboard(self.state.preview_text())
        self.notify("Copied the policy JSON to the clipboard.", timeout=2)

    async def action_interrupt(self) -> None:
        """ctrl+c: in a terminal, quit as ctrl+q does (asking when there are unsaved changes).
        In a browser ctrl+c means copy, so it never ends the editor there: Textual's hint on
        how to quit stands, as it does when nothing is selected to copy."""
        if self.is_web:
            self.action_help_quit()
            return
        await self.action_quit()

    async def action_quit(self) -> None:
        question = next((screen for screen in reversed(self.screen_stack) if any(
            getattr(choice, "value", None) == "quit" for choice in getattr(screen, "choices", ()))), None)
        if question is not None:
            # A question with a Quit of its own (the server's tools could not be listed, the
            # file is no valid policy): ctrl+q answers it, as its `q` does, so the terminal
            # keeps why the editor closed and the exit status is 1. It exited 0 and said
            # nothing, the dialog's reason gone with the screen. Also from the command palette
            # opened over the question, which is closed first (only the top screen answers).
            while self.screen is not question:
                await self.pop_screen()
            question.dismiss("quit")
            return
        if self.state is None:  # nothing to lose: at once, even while a server starts
            self.exit(0)
            return
        # ctrl+q has priority, so it can overtake an edit typed just before it that is still on
        # its way to the table (`a ctrl+q` in one burst), or a dialog's ctrl+s ahead of it:
        # whether to ask about unsaved changes is decided once those have done what they do
        # (tui/key_order.py).
        # Keys that have still not taken effect after the longest wait (a machine far busier
        # than any seen) may yet edit the policy: the quit then asks, rather than find nothing
        # unsaved and drop them.
        self.key_order.after_keys_ahead(self._quit_or_ask, late=lambda: self._quit_or_ask(keys_pending=True))

    def _answer_under_notice(self, answer: str) -> None:
        """The unsaved-changes dialog under the notice, answered from the notice's line as by
        its own key: the dialog goes (its answer does what it does) and the notice stays."""
        stack = self.screen_stack
        if not (len(stack) > 2 and isinstance(stack[-1], TooSmallScreen) and stack[-2].id == "confirm-quit"):
            return
        dialog = stack[-2]
        self.pop_screen()  # the notice, so that the dialog is on top to be dismissed
        dialog.dismiss(answer)
        self.push_screen(TooSmallScreen())

    def _quit_or_ask(self, waited_for_save: float = 0.0, keys_pending: bool = False) -> None:
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

        state = self.state
        if not self._alive:
            return
        if any(screen.id == "confirm-quit" for screen in self.screen_stack):
            # Asked already (ctrl+q twice): that question stands. Under the notice of a
            # terminal made too small while it was open, the notice said "ctrl+q quits" and
            # ctrl+q did nothing: the notice asks it on its line, as it asks a quit of its own.
            stack = self.screen_stack
            notice = stack[-1]
            if (isinstance(notice, TooSmallScreen) and not notice.asking
                    and len(stack) > 2 and isinstance(question := stack[-2], ChoiceScreen)
                    and question.id == "confirm-quit"):
                # The line offers what the dialog does: no `s` where it has no Save and quit.
                can_save = any(choice.value == "save" for choice in question.choices)
                # A Save offered with nothing unsaved: the dialog asked for keys still on their
                # way, and the line says so, not that the policy has unsaved changes.
                keys_pending = can_save and state is not None and not state.dirty
                notice.ask_unsaved(self.policy_path.name, self._answer_under_notice,
                                   self.unapplied_dialog(), can_save, keys_pending)
            return
        if self.saves_in_flight:
            # `ctrl+s ctrl+q`: the file is being written; whether anything is unsaved is known
            # once it is (it asked about changes just saved). No bound: after 10 s on a busy
            # machine or a slow disk it asked about changes being saved, and its answers
            # started a second save over the first or left it unsaid whether the file was
            # written. The editor goes on answering meanwhile, and says what it waits for.
            if waited_for_save < SAVE_WAIT_NOTICE <= waited_for_save + SAVE_POLL:
                self.notify(f"Saving {one_line(self.policy_path.name, 120)}: the editor quits once it is written.",
                            markup=False, timeout=4)
            self.set_timer(SAVE_POLL, lambda: self._quit_or_ask(waited_for_save + SAVE_POLL, keys_pending))
            return
        # A dialog's changes not applied yet (a rule typed, not applied) are lost by a quit as
        # unsaved edits are: asked about as they are, and as the browser's page asks.
        unapplied = self.unapplied_dialog() if state is not None else None
        if state is None or not (state.dirty or keys_pending or unapplied):
            self.exit(0)
            return

        def answered(answer: str | None) -> None:
            if answer in ("save", "discard"):
                self.unapplied_answered = unapplied  # named by the question: dropped knowingly
            if answer == "save":
                self.action_save(then_quit=True)
            elif answer == "discard":
                self.unsaved_discarded = True  # the one way out that drops them
                self.exit(0)

        if isinstance(self.screen, TooSmallScreen):  # no room for the dialog: the notice asks
            # As the dialog below: a dialog's changes are named, and with nothing else unsaved
            # there is nothing to save (a save would write the policy without them).
            self.screen.ask_unsaved(self.policy_path.name, answered, unapplied,
                                    can_save=bool(state.dirty or keys_pending),
                                    keys_pending=keys_pending and not state.dirty)
            return
        said = [f"{self.policy_path.name} has changes that are not saved." if state.dirty else
                f"Keys typed before ctrl+q have not reached {self.policy_path.name} yet: "
                "quitting now may leave what they change unsaved." if keys_pending else ""]
        choices = [
            Choice("save", "Save and quit", "s", "primary"),
            Choice("discard", "Quit without saving", "q", "error", does="discard the unsaved changes"),
            Choice("cancel", "Cancel", "escape"),
        ]
        if unapplied:
            # A save writes the policy without them: the way to keep them is the dialog's Apply.
            said.append(f"The changes to {unapplied} in the open dialog are not applied yet, and "
                        "quitting drops them: Cancel, then apply them (ctrl+s), to keep them.")
            if not (state.dirty or keys_pending):  # nothing else to save
                choices = [Choice("discard", "Quit, dropping them", "q", "error",
                                  does="drop the dialog's changes and quit"), choices[-1]]
        self.push_screen(
            ChoiceScreen("Unsaved changes", " ".join(part for part in said if part), choices,
                         id="confirm-quit"),
            answered,
        )


def _some(names: list[str]) -> str:
    """Up to three tool names, then "..." for the rest."""
    return ", ".join(one_line(name, 40) for name in names[:3]) + (" ..." if len(names) > 3 else "")
