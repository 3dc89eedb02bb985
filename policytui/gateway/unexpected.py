"""How the gateway logs an error it did not expect: one line a person can read, at ERROR, and
the traceback only at DEBUG (`--log-level debug`) for whoever reports it.

A traceback in the log is noise to the people running the gateway, and it can quote whatever
text the failing code held; the one line names the error's kind and message (the innermost
one of an exception group, which is the one that happened).
"""

from __future__ import annotations

import logging
import sys

from policytui.textsafe import one_line


def innermost(exc: BaseException) -> BaseException:
    """The first error an exception group holds, however deep; `exc` itself otherwise."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def log_unexpected(log: logging.Logger, message: str, *args: object, error: BaseException | None = None) -> None:
    """Log the error being handled (call from an `except` block), or `error`, as
    `message: Kind: text`."""
    exc = error if error is not None else sys.exc_info()[1]
    if exc is None:
        log.error(message, *args)
        return
    leaf = innermost(exc)
    log.error(message + ": %s: %s", *args, type(leaf).__name__, one_line(str(leaf)))
    log.debug("the traceback of that error", exc_info=exc)
