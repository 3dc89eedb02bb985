"""Textual's terminal driver, which does not start again on a terminal that has gone, and
keeps going (to be stopped) once it has.

When a terminal closes (its window, a `tmux kill-pane`, an ssh connection dropped), the kernel
sends the editor SIGHUP and then SIGCONT. Textual's driver takes SIGCONT as the end of a ctrl+z
and starts its application mode again, and its check that the terminal can be used again
(`os.isatty`) is false on a hung-up terminal, so the check is skipped rather than failed: a
second input thread and a second output thread started on the dead terminal. The output thread
died at its first write (EIO), so once 30 frames waited for it the editor blocked for good on
its way out, before it kept its unsaved changes and before it stopped its server, and the
first input thread, left running, kept Python from exiting.

The same output thread, writing to a terminal closed under an editor that runs on (SIGHUP
ignored, as under `nohup`), died at its first write too; 30 frames later (a spinner's second)
the editor blocked for good in a write: a SIGTERM, which the event loop reads, was never read,
so nothing stopped it but `kill -9`, its unsaved changes lost and its server left running.
What is written once the terminal has gone is dropped instead.

The driver also names the terminal's window (its tab, tmux's pane) after what the editor edits,
as the browser page's title does under `policytui serve`: xterm's title stack keeps the title
the shell left, which is put back when the editor ends or is stopped (SIGTSTP), once however
it was resumed.

Such an editor's input thread, reading a terminal that has gone, was told end-of-file at once
on every read and asked again at once: it kept a core busy until the editor was stopped. Its
loop (Textual's own, with the same parser) stops reading once the terminal has gone.

A new window size is told to the editor by that input thread too, after the keys typed before
it. Textual's SIGWINCH handler posted it from the main thread at once, while keys already in
the terminal's queue waited for the input thread to read them: `l5` typed just before the
window shrank under the minimum reached the editor after the too-small notice, which dropped
them (the limits dialog never opened). The kernel queues the keys before it changes the size
and sends the signal, so what the terminal holds when the signal comes was typed before.
"""

from __future__ import annotations

import array
import fcntl
import os
import selectors
import signal
import termios
from codecs import getincrementaldecoder
from typing import IO, Any

from textual import events
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.geometry import Size

from policytui.textsafe import one_line

READ_WAIT_SECONDS = 0.1  # as Textual's: how soon the thread sees that the driver is stopping
# xterm's title stack (XTWINOPS, also kept by tmux, VTE, kitty and others; ignored where not):
# push the window and icon titles as they are, and pop them back.
SAVE_TITLE = "\x1b[22;0t"
RESTORE_TITLE = "\x1b[23;0t"
# The most of a title written: the policy file's name and the server's come from a user and a
# server, and a window title is read at a glance.
TITLE_LIMIT = 120


def title_sequence(title: str) -> str:
    """OSC 2 (the window title) for `title`: one line, clipped, every control character
    (ESC, BEL, C1's ST and OSC among them) made a visible escape, so the text can neither end
    the sequence early nor start another."""
    return f"\x1b]2;{one_line(title, TITLE_LIMIT)}\x07"


class TerminalDriver(LinuxDriver):
    """Textual's Linux and macOS driver, resumed after a SIGCONT only while it has a terminal,
    whose output thread outlives the terminal."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._file is not None:
            # The thread only writes, flushes and asks for the descriptor: what this has.
            self._file = DroppedOnceGone(self._file)  # type: ignore[assignment]
        # The window title the editor asked for (None: none yet), and whether the title the
        # terminal had is saved on its stack now, to be put back.
        self.window_title: str | None = None
        self._title_saved = False
        # SIGWINCH wakes the input thread through this pipe (read end, write end), which tells
        # the new size after reading the keys typed before it (`_window_changed`).
        self._size_pipe: tuple[int, int] | None = None

    def name_window(self, title: str) -> None:
        """Title the terminal's window `title` while the editor runs (and again once resumed)."""
        self.window_title = title
        if self._title_saved:
            self.write(title_sequence(title))
            self.flush()

    def start_application_mode(self) -> None:
        if self._size_pipe is None and self._on_terminal():
            # Before the input thread starts, which waits on it (once for the driver's life:
            # a resume after ctrl+z starts that thread again).
            self._size_pipe = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        super().start_application_mode()
        # Not when Textual gave up starting (resumed in the background), and only on a
        # terminal: a title sequence in a file or a pipe is noise.
        if self._writer_thread is None or not self._writer_thread.is_alive() or not self._on_terminal():
            return
        if self._size_pipe is not None:
            # In place of Textual's handler, which posts the size from the main thread.
            signal.signal(signal.SIGWINCH, self._window_changed)
        # One saved title at most, so the one pop on the way out gives the shell's back. A
        # resume in the background (a SIGCONT before the shell's `fg`) stops itself again
        # inside Textual's start; the `fg` then resumes the editor inside that start, which
        # returns once that inner one has started, the title already saved and written.
        if self._title_saved:
            return
        self.write(SAVE_TITLE)
        self._title_saved = True
        if self.window_title is not None:
            self.write(title_sequence(self.window_title))
        self.flush()

    def stop_application_mode(self) -> None:
        super().stop_application_mode()
        if self._title_saved:
            self._title_saved = False
            self.write(RESTORE_TITLE)
            self.flush()

    def _window_changed(self, _signum: int, _frame: Any) -> None:
        """SIGWINCH: wake the input thread, which reads the keys the terminal holds, then
        tells the new size (`_tell_size`)."""
        if self._in_band_window_resize or self._size_pipe is None:
            return  # the terminal reports sizes among its input, in order already
        try:
            os.write(self._size_pipe[1], b"w")
        except OSError:  # full: a wake is pending already
            pass

    def _tell_size(self) -> None:
        width, height = self._get_terminal_size()
        size = Size(width, height)
        self.process_message(events.Resize(size, size))

    def _on_terminal(self) -> bool:
        try:
            return self._file is not None and self._file.isatty()
        except (OSError, ValueError):
            return False

    def _sigcont_application(self, *args: Any) -> None:
        if not terminal_present(self.fileno):
            # The terminal has gone (the SIGCONT that comes with a hang-up): the SIGHUP
            # before it ends the editor, with nothing to draw on.
            return
        super()._sigcont_application(*args)

    def run_input_thread(self) -> None:
        """Textual's input loop: read the terminal, parse, hand each event to the app, until
        the driver stops. Once the terminal has gone (a read says end-of-file, or fails, and
        the descriptor is no terminal any more) nothing more can come: the thread waits for
        the stop instead of asking again."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        size_changes = self._size_pipe[0] if self._size_pipe is not None else None
        if size_changes is not None:
            selector.register(size_changes, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def read_terminal(final: bool) -> bool:
            """One read of the terminal and the events it brought; False once it has gone."""
            try:
                data = os.read(self.fileno, 4096)
            except OSError:
                data = b""
            if not data and not terminal_present(self.fileno):
                return False
            text = decode(data, final=final)
            if text:  # never "": the parser takes that for the end of its input
                for event in parser.feed(text):
                    self.process_message(event)
            return True

        def read_once(wait: float, final: bool = False) -> bool:
            """One wait for input and what it brought; False once the terminal has gone."""
            resized = False
            for key, mask in selector.select(wait):
                if not mask & selectors.EVENT_READ:
                    continue
                if key.fd == size_changes:
                    resized = drain(size_changes)
                elif not read_terminal(final):
                    return False
            if resized:
                # What the terminal holds was typed before the size changed: it goes first.
                while waiting_bytes(self.fileno) > 0:
                    if not read_terminal(final):
                        return False
                self._tell_size()
            for event in parser.tick():
                self.process_message(event)
            return True

        try:
            while not self.exit_event.is_set():
                if not read_once(READ_WAIT_SECONDS):
                    self.exit_event.wait()
                    return
            selector.unregister(self.fileno)
            read_once(READ_WAIT_SECONDS, final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass


def drain(descriptor: int) -> bool:
    """Empty a non-blocking pipe; True when anything was in it."""
    found = False
    while True:
        try:
            chunk = os.read(descriptor, 512)
        except OSError:  # empty (EAGAIN)
            return found
        if not chunk:
            return found
        found = True


def waiting_bytes(descriptor: int) -> int:
    """How many bytes the terminal holds unread (0 when it cannot say)."""
    count = array.array("i", [0])
    try:
        fcntl.ioctl(descriptor, termios.FIONREAD, count)
    except OSError:
        return 0
    return count[0]


def terminal_present(descriptor: int) -> bool:
    """Whether `descriptor` is still a terminal one can use: a hung-up terminal answers every
    request with EIO, without blocking."""
    try:
        termios.tcgetattr(descriptor)
    except (termios.error, OSError, ValueError):
        return False
    return True


class DroppedOnceGone:
    """Standard error as Textual's output thread writes to it: a write or flush that fails is
    dropped, and once the terminal has gone (EIO) so is everything after it, where the error
    ended the thread and left the frames after it waiting for good."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self._stream.write(text)
            except (OSError, ValueError):  # ValueError: the stream has been closed
                self._failed()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._failed()

    def _failed(self) -> None:
        try:
            self.gone = not terminal_present(self._stream.fileno())
        except (OSError, ValueError):
            self.gone = True

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()
