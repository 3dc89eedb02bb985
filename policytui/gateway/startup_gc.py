"""No garbage collection while the gateway starts, and none of what start-up left afterwards.

Start-up loads the protocol's types, the relay and pydantic's models (about 50,000 objects),
and doing so made Python's collector run its young generations many times and its full
collection once (30 to 135 ms on a loaded 2-core machine), while the server behind started and,
over stdio, while the client's first `initialize` waited: the gateway reads the server's answer
to its own `initialize` only once that loading is done. Those objects live as long as the
process, so the collector is off until serving begins; then they are frozen (`gc.freeze`: no
collection looks at them again) and the collector is on as before for what serving allocates.
What start-up made and dropped in cycles is never freed; the gateway's memory after start-up
and after 1,000 calls measured the same with and without (docs/benchmarks.md).
"""

from __future__ import annotations

import gc
from types import TracebackType


class CollectAfterStart:
    """`with CollectAfterStart() as start:` ... `start.serving()` once start-up is done; the
    collector is back as it was when the block ends, however it ends."""

    def __init__(self) -> None:
        self._off = False

    def __enter__(self) -> CollectAfterStart:
        # An embedding program that turned the collector off keeps it off.
        self._off = gc.isenabled()
        if self._off:
            gc.disable()
        return self

    def serving(self) -> None:
        """Start-up is done: what it made is kept out of every collection from now on."""
        if self._off:
            self._off = False
            gc.freeze()
            gc.enable()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._off:
            self._off = False
            gc.enable()
