"""Keep the MCP SDK's log records off the terminal.

The SDK logs tracebacks for ordinary server misbehaviour (a banner line on stdout, a failed
HTTP stream). With no handler configured, Python would print WARNING and above on stderr,
tearing through a TUI. The records are kept in memory instead, for a log view or a bug report.
"""

from __future__ import annotations

import logging
from collections import deque

SDK_LOGGERS = ("mcp", "mcp_types", "httpx2", "httpcore2")
RECENT: deque[logging.LogRecord] = deque(maxlen=200)


class _KeepRecent(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        RECENT.append(record)


_handler = _KeepRecent(level=logging.WARNING)


def quiet_sdk_logging() -> None:
    """Route the SDK loggers into memory only. Safe to call any number of times."""
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        logger.propagate = False
        if _handler not in logger.handlers:
            logger.addHandler(_handler)
