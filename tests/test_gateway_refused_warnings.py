"""The WARNING lines about refused client messages: one each, at most 20 a minute, the rest
summed up in one line, so a flood of refused messages cannot fill the gateway's log; and which
refused messages count as tool calls (`policytui.gateway.refused`)."""

from __future__ import annotations

import json
import logging

import pytest

from policytui.gateway import refused, wire


def test_a_flood_of_refusals_is_summed_up_not_logged_line_by_line(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    warnings = refused.RefusalWarnings(clock=lambda: now[0])
    call = [refused.UNREAD]
    with caplog.at_level(logging.WARNING, logger="policytui.gateway"):
        for _ in range(500):
            warnings.warn("Parse error: the message is not one standard JSON value", "mallory", "s1", call)
        assert len(caplog.records) == refused.WARNINGS_PER_WINDOW
        now[0] += refused.WINDOW_SECONDS
        warnings.warn("Invalid Request: batches are not supported", "mallory", "s1", [])
    texts = [record.getMessage() for record in caplog.records]
    assert len(texts) == refused.WARNINGS_PER_WINDOW + 2
    assert texts[refused.WARNINGS_PER_WINDOW].startswith(
        f"refused {500 - refused.WARNINGS_PER_WINDOW} more client messages in the last 60 s")
    assert texts[-1].endswith("Invalid Request: batches are not supported (not a tool call; not audited)")


def test_a_warning_shows_control_characters_and_stars_secrets(caplog: pytest.LogCaptureFixture) -> None:
    warnings = refused.RefusalWarnings()
    with caplog.at_level(logging.WARNING, logger="policytui.gateway"):
        warnings.warn("Invalid Request: 'tools/call\x1b[2J' needs an id", "g", "s",
                      [refused.RefusedCall("run\x1b]0;ghp_secret\x07", {})], ("ghp_secret",))
    (text,) = [record.getMessage() for record in caplog.records]
    assert "\x1b" not in text and "\x07" not in text and "ghp_secret" not in text, text


@pytest.mark.parametrize(("line", "expected"), [
    # Spellings of tools/call are calls; their tool is named only for `tools/call` exactly.
    (b'{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x","arguments":{"a":1}}}', [("x", {"a": 1})]),
    (b'{"jsonrpc":"2.0","id":1,"method":"Tools/Call ","params":{"name":"x"}}', [(None, None)]),
    ('{"jsonrpc":"2.0","id":1,"method":"\uff54ools/call","params":{"name":"x"}}'.encode(), [(None, None)]),
    # Ambiguous or unreadable: a call named by no tool, whichever `method` member says so.
    (b'{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"x"}}', [(None, None)]),
    (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","name":"y"}}', [(None, None)]),
    (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}', [(None, None)]),
    (b"\xff\xfe", [(None, None)]),
    (wire.OVERLONG, [(None, None)]),
    (b"[" * 1_000_001, [(None, None)]),
    # A batch: each member on its own.
    (json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x"}},
                 {"jsonrpc": "2.0", "id": 2, "method": "ping"}]).encode(), [("x", {})]),
    # Plainly no call.
    (b'{"jsonrpc":"2.0","method":"notifications/progress","params":{"a":1,"a":2}}', []),
    (b'{"jsonrpc":"2.0","id":1,"result":{},"extra":1}', []),
    (b'"tools/call"', []),
    (b'\xef\xbb\xbf{"jsonrpc":"2.0","id":8,"method":"ping"}', []),  # past a byte-order mark: a ping
])
def test_which_refused_messages_are_calls(line: bytes, expected: list[tuple[str | None, object]]) -> None:
    assert [(call.tool, call.arguments) for call in refused.calls_in_line(line)] == expected
