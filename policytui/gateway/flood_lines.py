"""Log lines that another party can cause, fewer in a flood.

A client can send refused messages, and a server can send log messages the gateway withholds,
as fast as it likes; one line for each would let either fill the gateway's log and its disk.
`FewerInAFlood` lets through the first lines of each window and counts the rest, summed up
in one line when the window ends (a timer on the event loop), or when serving ends first
(`close`), never left for a later event that may not come.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any


class FewerInAFlood:
    """`tell()` says whether an event gets its own line now: at most `per_window` do each window
    of `window` seconds; the others are counted and handed to `summary(count, window)` once."""

    def __init__(self, summary: Callable[[int, float], None], *, per_window: int, window: float,
                 clock: Any = time.monotonic) -> None:
        self._summary = summary
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._window_start = -math.inf
        self._told = 0
        self._untold = 0
        # The timer that sums up the untold ones when the window ends: armed only while some
        # are untold, on the event loop the events come from.
        self._timer: asyncio.TimerHandle | None = None

    def tell(self) -> bool:
        now = self._clock()
        if now - self._window_start >= self.window:
            self._sum_up()
            self._window_start, self._told = now, 0
        if self._told >= self.per_window:
            self._untold += 1
            if self._timer is None:
                self._arm(self._window_start + self.window - now)
            return False
        self._told += 1
        return True

    def close(self) -> None:
        """Serving has ended: the events not yet told are summed up now, and the timer is gone."""
        self._sum_up()

    def _arm(self, delay: float) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (outside serving): summed up by the next event, or `close`
        self._timer = loop.call_later(max(0.0, delay), self._window_ended)

    def _window_ended(self) -> None:
        self._timer = None
        self._sum_up()

    def _sum_up(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._untold:
            untold, self._untold = self._untold, 0
            self._summary(untold, self.window)
