"""The signals that stop `policytui serve`, taken by serve from the moment it has printed its
address to its end, so that one arriving at any moment stops it in order.

ctrl+c (SIGINT), SIGTERM and SIGHUP (a closed terminal; not when `nohup` has it ignored) stop
serve. Before it serves, each interrupts what serve is doing (the browser command it runs
may take a while), as Python's KeyboardInterrupt would. From just before its event loop is
made, a signal is only noted: raised in the middle of making the loop, the interruption left
a loop half made, and Python then wrote a traceback where serve's user reads ("Exception
ignored in: BaseEventLoop.__del__ ... has no attribute '_signal_handlers'"). Once the loop's
own handlers are in place they stop serving, and a signal noted before them is acted on then.
"""

from __future__ import annotations

import asyncio
import signal
from types import FrameType


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP before serving began: serve stops as it does on ctrl+c, with exit
    status 0 (a service manager's stop)."""


class StopSignals:
    """Serve's handlers of the signals that stop it, in place from when it is made."""

    def __init__(self) -> None:
        self.numbers = [signal.SIGINT, signal.SIGTERM]
        if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
            self.numbers.append(signal.SIGHUP)
        # The first signal that asked serve to stop, whatever handled it.
        self.received: int | None = None
        self._interrupting = True
        self._take()

    def _take(self) -> None:
        for number in self.numbers:
            signal.signal(number, self._arrived)

    def _arrived(self, number: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = number
        if self._interrupting:
            raise KeyboardInterrupt if number == signal.SIGINT else Stopped

    def only_note(self) -> None:
        """From now on a signal interrupts nothing: it is noted, for the event loop about to
        be made (which takes the signals over in turn) to act on."""
        self._interrupting = False

    def close_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close `loop` and take the signals back from it at once. Closing it puts Python's
        own handlers back, under which a signal would raise KeyboardInterrupt in the middle of
        the closing (SIGINT) or end serve before it has cleaned up (SIGTERM, SIGHUP); the
        signals are held back by the system meanwhile, and any that came are noted after."""
        held = signal.pthread_sigmask(signal.SIG_BLOCK, self.numbers)
        try:
            loop.close()
            self._take()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
