"""The wire rules on their own: what `policytui.gateway.wire` accepts, refuses and sends.

No server or process here: these pin each rule so the end-to-end suites
(test_gateway_adversarial.py) can stay about what reaches a real server.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from policytui.gateway import wire
from policytui.gateway.linefeed import LineFeed

CALL = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"x":1}}}'


@pytest.mark.parametrize(
    ("line", "code", "answer_id"),
    [
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"x":NaN}}}', -32700, None),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"x":-Infinity}}}', -32700, None),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"x":1e400}}}', -32700, None),
        (b'\xef\xbb\xbf' + CALL, -32700, None),
        (CALL.decode().encode("utf-16"), -32700, None),
        (CALL.replace(b'"a"', b'"\xc3"'), -32700, None),
        (CALL + CALL, -32700, None),
        (b"[" * 100_000 + b"]" * 100_000, -32700, None),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}', -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"p":1,"p":2}}}', -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}', -32600, None),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","Name":"b"}}', -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{},"argument\\u017f":{}}}',
         -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"\\u212aey":1,"key":2}}}',
         -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"ID":2,"method":"ping"}', -32600, 1),
        # One name in Unicode compatibility form (NFKC) with case folded: fullwidth, a ligature.
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","\\uff4e\\uff41\\uff4d\\uff45":"b"}}',
         -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"ping","\\uff2d\\uff25\\uff34\\uff28\\uff2f\\uff24":"tools/call"}', -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"o":{"ij":1,"\\u0133":2}}}}',
         -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"m2":1,"m\\u00b2":2}}}',
         -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","x":{}}', -32600, 1),
        (b'{"jsonrpc":"1.0","id":1,"method":"ping"}', -32600, 1),
        (b'{"id":1,"method":"ping"}', -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"method":7}', -32600, 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["a"]}', -32602, 1),
        (b'{"jsonrpc":"2.0","id":true,"method":"ping"}', -32600, None),
        (b'{"jsonrpc":"2.0","id":1.0,"method":"ping"}', -32600, None),
        (b'{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600, None),
        (b'{"jsonrpc":"2.0","id":9007199254740992,"method":"ping"}', -32600, None),
        (b'{"jsonrpc":"2.0","id":[1],"method":"ping"}', -32600, None),
        (b'{"jsonrpc":"2.0","id":1,"result":{},"error":{}}', -32600, 1),
        (b'{"jsonrpc":"2.0","id":1}', -32600, 1),
        (b'"tools/call"', -32600, None),
        (b'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"a\\ud800"}}', -32700, 4),
        (b'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"a","arguments":{"\\udfff":1}}}', -32700, 4),
    ],
)
def test_refused_lines(line: bytes, code: int, answer_id: object) -> None:
    with pytest.raises(wire.Refusal) as refused:
        wire.parse(line)
    assert refused.value.code == code
    assert refused.value.request_id == answer_id


def test_keys_outside_ascii_that_stay_distinct_when_folded_are_accepted() -> None:
    message = wire.parse('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":'
                         '{"l\u00f6schen":1,"loeschen":2,"\uff4e\uff41\uff4d\uff45":3}}}'.encode())
    assert message["params"]["arguments"] == {"l\u00f6schen": 1, "loeschen": 2, "\uff4e\uff41\uff4d\uff45": 3}


def test_a_surrogate_pair_is_one_character_and_accepted() -> None:
    message = wire.parse(b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"s":"\\ud83d\\ude00"}}')
    assert message["params"]["s"] == "\U0001f600"


def test_a_batch_is_refused_and_each_member_request_answered() -> None:
    line = b'[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"x"},{"jsonrpc":"2.0","id":"b","method":"ping"}]'
    with pytest.raises(wire.BatchRefusal):
        wire.parse(line)
    assert [r.request_id for r in wire.batch_refusals(line)] == [1, "b"]
    assert [r.request_id for r in wire.batch_refusals(b"[]")] == [None]


@pytest.mark.parametrize("whitespace", [b"\r", b"\t", b" ", b"\r\r \t"])
def test_json_whitespace_anywhere_is_the_same_message(whitespace: bytes) -> None:
    spaced = whitespace.join([b"{", b'"jsonrpc"', b":", b'"2.0"', b",", b'"id"', b":", b"1", b",", b'"method"', b":",
                              b'"ping"', b"}"]) + whitespace
    assert wire.parse(spaced) == {"jsonrpc": "2.0", "id": 1, "method": "ping"}


def test_what_is_sent_is_compact_ascii_on_one_line() -> None:
    message = wire.parse(
        '{"jsonrpc":"2.0","id":"\u00e9","method":"tools/call","params":{"name":"a\\u2028\\r\\n\\u0001",'
        '"arguments":{"s":"\\ud83d\\ude00\u202e","f":1e5}}}'.encode()
    )
    data = wire.encode(message)
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert all(0x20 <= byte <= 0x7E for byte in data[:-1])
    assert json.loads(data) == message
    assert data == (b'{"jsonrpc":"2.0","id":"\\u00e9","method":"tools/call","params":{"name":"a\\u2028\\r\\n\\u0001",'
                    b'"arguments":{"s":"\\ud83d\\ude00\\u202e","f":100000.0}}}\n')


def test_framing_splits_on_newline_bytes_only_and_skips_overlong_lines() -> None:
    async def read(data: bytes, limit: int) -> list[bytes]:
        feed = LineFeed(limit=limit, overlong=wire.OVERLONG)
        for start in range(0, len(data), 700):  # in chunks, as a pipe delivers them
            feed.feed_data(data[start:start + 700])
        feed.feed_eof()
        return [line async for line in feed.lines()]

    assert asyncio.run(read(b"a\rb\nc\r\n\nlast", 100)) == [b"a\rb", b"c\r", b"", b"last"]
    huge = b"x" * 5000
    assert asyncio.run(read(huge + b"\nok\n" + huge + huge + b"\nok2", 1000)) == [
        wire.OVERLONG, b"ok", wire.OVERLONG, b"ok2"
    ]
