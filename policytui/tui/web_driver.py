"""The editor process's side of the browser connection: Textual's web driver, made to end.

`policytui serve` talks to each editor process over its standard input and output. The editor
must end when it is asked to (textual-serve's "quit" message, SIGTERM, SIGINT) and when the
server is gone (standard input at its end, or the parent process dead), whatever state the app
is in. Textual ends the app through its event loop, so an app whose main thread never yields
to that loop would otherwise keep running, and using a CPU, for ever: Textual 8 does that when
it is asked to quit while it starts, after a resize (a browser window closed as soon as it
opened, or a headless browser taking a screenshot). Here each of those
requests also arms a timer: if the app has not stopped its driver within `STOP_GRACE_SECONDS`,
the process ends at once. Nothing is saved to the policy on the way out in either case; unsaved
changes are kept in a recovery file (tui/unsaved.py), even when the timer has to end the app.

It lives with the rest of the terminal editor (Textual is imported only under `policytui.tui`)
and is loaded only in the editor process that `policytui serve` starts (`policytui.serve.session`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from textual import messages
from textual.drivers.web_driver import WebDriver, _ExitInput
from textual.message import Message

from policytui.editor.page_meta import INPUT_MARK_META

STOP_GRACE_SECONDS = 3.0
EXIT_STUCK = 70  # the process status when the timer had to end it


class InputMark(Message):
    """serve's mark behind the page's input: `count` input messages sent so far
    (policytui.editor.page_meta.INPUT_MARK_META). The app answers it (`on_input_mark`)."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count



class SessionDriver(WebDriver):
    """Textual's web driver, plus a deadline on every request to stop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: threading.Timer | None = None
        self._deadline_lock = threading.Lock()
        self._stopped = False
        # The signals the Python-level handler saw, as bytes on a pipe a thread reads
        # (`_watch_signals`): the handler itself takes no lock.
        self._signals_read, self._signals_written = os.pipe()
        os.set_blocking(self._signals_written, False)

    def start_application_mode(self) -> None:
        super().start_application_mode()
        threading.Thread(target=self._watch_signals, name="stop-signals", daemon=True).start()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            # In place of Textual's handler, which asks the app to exit: the same, with the
            # deadline. The loop looks its handler up when it reads the signal, so a signal
            # that came while Textual was starting its driver is handled here too.
            loop.add_signal_handler(number, self._on_stop_request, number)
            # The loop's handlers run only when it next polls; this Python-level one runs in
            # the main thread between any two bytecodes. The loop still learns of the signal
            # (through its wakeup descriptor).
            signal.signal(number, self._on_stop_signal)

    def stop_application_mode(self) -> None:
        # The app has left its message loop: from here it ends as usual (its own cleanup
        # included), so the deadline is no longer needed.
        with self._deadline_lock:
            self._stopped = True
            if self._deadline is not None:
                self._deadline.cancel()
        try:
            super().stop_application_mode()
        except OSError:
            pass  # the server has gone: nobody reads the final "exit" message

    def on_meta(self, packet_type: str, payload: dict[str, object]) -> None:
        if packet_type == "quit":
            self.arm_deadline("asked to quit")
        if packet_type == INPUT_MARK_META:
            count = payload.get("count")
            if isinstance(count, int) and not isinstance(count, bool) and self._deadline is None:
                # Posted behind the keys read before it: the app answers once they are done.
                self._app.post_message(InputMark(count))
            return
        super().on_meta(packet_type, payload)

    def process_message(self, message: Message) -> None:
        if self._deadline is not None:
            # Asked to stop: what the browser sends from here is not applied (the edits stand
            # as the request found them), and reading no more of it leaves the CPU to the way
            # out. 3 MB of keys in one message had this thread parse on beside the one that
            # keeps the unsaved edit, until serve's SIGKILL came first and the edit was lost.
            raise _ExitInput()
        super().process_message(message)

    def run_input_thread(self) -> None:
        super().run_input_thread()
        if not self.exit_event.is_set():
            # Standard input ended without the app stopping: the server has gone.
            self.arm_deadline("its server has gone")
            self._app.post_message(messages.ExitApp())

    def _on_stop_request(self, number: int) -> None:
        self.arm_deadline(f"asked to stop ({signal.Signals(number).name})")
        self._app.post_message(messages.ExitApp())

    def _on_stop_signal(self, number: int, frame: FrameType | None) -> None:
        # Runs on the main thread between two bytecodes, maybe inside `arm_deadline` or
        # `stop_application_mode` while they hold `_deadline_lock`: taking it here waited for
        # ever (serve killed, its SIGTERM landing as the editor stopped for the end of its
        # input: the editor lived on, kept nothing, and never ended). One byte on a pipe, which
        # takes no lock; `_watch_signals` arms the deadline from its own thread.
        try:
            os.write(self._signals_written, bytes((number,)))
        except OSError:
            pass  # the pipe is full of earlier signals, which arm the same deadline

    def _watch_signals(self) -> None:
        while True:
            try:
                numbers = os.read(self._signals_read, 64)
            except OSError:
                return
            if not numbers:
                return
            self.arm_deadline(f"asked to stop ({signal.Signals(numbers[0]).name})")

    def arm_deadline(self, reason: str) -> None:
        """End the process in `STOP_GRACE_SECONDS` unless the app has stopped by then."""
        with self._deadline_lock:
            if self._stopped or self._deadline is not None:
                return
            self._deadline = threading.Timer(STOP_GRACE_SECONDS, self._end_now, args=(reason,))
            self._deadline.daemon = True
            self._deadline.start()

    def _end_now(self, reason: str) -> None:
        # The app's thread is stuck, not editing: what it holds unsaved can still be kept.
        from policytui.tui.unsaved import KeepUnsaved

        kept = None
        if isinstance(self._app, KeepUnsaved):
            self._app.in_browser = True  # (its mount, which learns it, may not have come)
            if not self._app.unapplied_noted:
                # Stuck before its way out could note what an open dialog holds unapplied:
                # read here (its thread no longer changes it), or the line would say all was
                # kept, or nothing was unsaved, when a dialog's changes are lost.
                try:
                    self._app.note_unapplied_at_exit()
                except Exception:
                    pass
            try:
                kept = self._app.keep_unsaved_work()
            except Exception:
                kept = None
        _end_now(reason, kept)


def _end_now(reason: str, kept: str | None = None) -> None:
    try:
        os.write(
            sys.__stderr__.fileno() if sys.__stderr__ else 2,
            f"policytui serve: the editor was {reason} and had not stopped after "
            f"{STOP_GRACE_SECONDS:g} seconds; ending it\n".encode(),
        )
        if kept:
            os.write(sys.__stderr__.fileno() if sys.__stderr__ else 2, f"{kept}\n".encode())
    except OSError:
        pass
    os._exit(EXIT_STUCK)

