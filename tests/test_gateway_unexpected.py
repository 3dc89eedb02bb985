"""An error the gateway did not expect is logged as one readable line, its traceback only at
debug level (`policytui.gateway.unexpected`), as every `except` that must go on uses it."""

from __future__ import annotations

import io
import logging

import pytest

from policytui.gateway.unexpected import innermost, log_unexpected


def _logged(level: int) -> str:
    stream = io.StringIO()
    log = logging.getLogger("policytui.gateway.test-unexpected")
    handler = logging.StreamHandler(stream)
    log.addHandler(handler)
    log.setLevel(level)
    try:
        try:
            try:
                raise KeyError("tool\x1b[31m")
            except KeyError as inner:
                raise ExceptionGroup("unhandled errors in a TaskGroup", [inner]) from None
        except ExceptionGroup:
            log_unexpected(log, "handling %s failed", "tools/call")
    finally:
        log.removeHandler(handler)
    return stream.getvalue()


def test_an_unexpected_error_is_one_line_naming_the_error_that_happened() -> None:
    logged = _logged(logging.INFO)
    assert len(logged.splitlines()) == 1, logged
    assert logged.startswith("handling tools/call failed: KeyError: 'tool"), logged
    assert "Traceback" not in logged and "\x1b" not in logged  # nor a control the terminal obeys


def test_its_traceback_is_logged_at_debug_level() -> None:
    logged = _logged(logging.DEBUG)
    assert logged.startswith("handling tools/call failed: KeyError: ")
    assert "Traceback (most recent call last)" in logged


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_the_innermost_error_of_a_group_is_the_one_named(depth: int) -> None:
    error: BaseException = ValueError("the real one")
    for _ in range(depth):
        error = ExceptionGroup("group", [error])
    assert str(innermost(error)) == "the real one"
