"""Two keys that are one name in Unicode normal form (NFC), sent to the HTTP listener.

The stdio gateway refuses a message with two such keys in one object (`café` composed and
`cafe` U+0301, or `Kanal` and `\\u212aanal` with a Kelvin sign) as ambiguous
(`tests/test_gateway_argument_readings.py`): a server that normalises the keys it reads keeps
one of the two values, which one its parser's choice, so no decision on either would be sure.
Here the same calls reach `policytui gateway --listen` as an attacker would send them: raw
UTF-8 or escaped, at the top of the arguments, nested, both in one body, in a legacy session
and as a 2026-07-28 request, and in a batch. The server is the Python-SDK flows server, whose
`set_options` reads option names in NFC as such a server does, behind `tee_stdin.py`; judged
from its side (what it read and ran), by the audit log and by the gateway's own log.
Two keys that differ only in letter case, which a server on Go's `encoding/json` reads as one,
are refused here the same way.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from audit_support import outcome_lines, sent_lines
from gateway_support import Listening, flows_behind_tee, start_http_gateway, stop

from policytui.gateway import wire
from policytui.gateway.audit import args_digest

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

TOKEN = "alice-token-0123456789abcdef"
MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
# The calls the policy allows in a day: as many as the test makes, so that a refused call
# charged against the limit would have the last allowed one denied.
ALLOWED_CALLS = 2
POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {"set_options": {
        "deny_if": [{"path": "args.options.l\u00f6schen", "op": "exists", "value": True}],
        "require": [{"path": "args.options.Kanal", "op": "eq", "value": "lesen"}],
        "limits": [{"counter": "options", "window": "day", "max": ALLOWED_CALLS}],
    }},
}
ALLOWED = {"options": {"Kanal": "lesen"}}
KELVIN_KANAL = "\u212aanal"  # `Kanal` in NFC
# Ambiguous arguments, each a way to have the policy judge one value and a normalising server
# read another: `Kanal` is `lesen` as the gateway reads it, `schreiben` as the server does.
AMBIGUOUS: dict[str, dict[str, Any]] = {
    "top level": {**ALLOWED, "caf\u00e9": "a", "cafe\u0301": "b"},
    "nested": {"options": {"Kanal": "lesen", KELVIN_KANAL: "schreiben"}},
    "nested, decomposed": {"options": {"Kanal": "lesen", "lo\u0308schen": True, "l\u00f6schen": False}},
    "top level and nested": {"options": {"Kanal": "lesen", KELVIN_KANAL: "schreiben"},
                             "caf\u00e9": "a", "cafe\u0301": "b"},
}


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Gateway:
    def __init__(self, listening: Listening, tmp: Path) -> None:
        self.listening, self.tmp = listening, tmp
        parts = urlsplit(listening.url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
        self.session = ""

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> Answer:
        """POST `body` as sent, in the session opened by `initialize` unless `headers` say otherwise."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("POST", self.path, body, headers if headers is not None else self.session_headers())
            response = conn.getresponse()
            return Answer(response.status, response.read())
        finally:
            conn.close()

    def session_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                   "Accept": "application/json, text/event-stream"}
        if self.session:
            headers |= {"Mcp-Session-Id": self.session, "MCP-Protocol-Version": "2025-06-18"}
        return headers

    def initialize(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("POST", self.path, _body({
                "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                    "protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "attacker", "version": "1"}}}), self.session_headers())
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            self.session = response.headers["mcp-session-id"]
        finally:
            conn.close()
        assert self.post(b'{"jsonrpc":"2.0","method":"notifications/initialized"}').status == 202

    def received(self) -> list[dict[str, Any]]:
        """The tool calls the server read (the gateway's probe of its tools left out)."""
        path = self.tmp / "received.bin"
        raw = path.read_bytes() if path.exists() else b""
        messages = [json.loads(line) for line in raw.split(b"\n") if line.strip()]
        return [m for m in messages if m.get("method") == "tools/call"
                and not m["params"]["name"].startswith("policytui-probe-")]

    def executed(self) -> list[dict[str, Any]]:
        path = self.tmp / "executed.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    (tmp_path / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    (tmp_path / "tokens.json").write_text(json.dumps({TOKEN: "alice"}), encoding="utf-8")
    options = ["--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json"),
               "--state-dir", str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl"),
               "--log-level", "debug"]
    listening = start_http_gateway(options, flows_behind_tee(tmp_path), tmp_path / "gateway.log")
    try:
        yield Gateway(listening, tmp_path)
    finally:
        stop(listening.process)


def _body(message: Any, *, escaped: bool = True) -> bytes:
    """A message as a client writes it: keys outside ASCII as `\\u` escapes, or as raw UTF-8."""
    return json.dumps(message, ensure_ascii=escaped).encode("utf-8")


def _call(request_id: Any, arguments: dict[str, Any], *, modern: bool = False) -> dict[str, Any]:
    params: dict[str, Any] = {"name": "set_options", "arguments": arguments}
    if modern:
        params["_meta"] = META
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def _modern_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": MODERN,
            "Mcp-Method": "tools/call", "Mcp-Name": "set_options"}


def _refused(answer: Answer, request_id: Any) -> None:
    """The answer stdio gives the same message: status 400, the JSON-RPC error under `request_id`."""
    assert answer.status == 400, (answer.status, answer.body)
    assert answer.json() == {"jsonrpc": "2.0", "id": request_id, "error": {
        "code": wire.INVALID_REQUEST, "message": wire.KEYS_ALIKE_IN_NFC}}, answer.body


def test_two_keys_alike_in_nfc_are_refused_over_http_as_over_stdio(gateway: Gateway) -> None:
    """Every ambiguous call is refused with stdio's error before anything is decided or
    charged: the server reads none of them, the audit log has one `refused` line for each (no
    tool named, no arguments digested: the message is ambiguous; one for each call in a batch),
    the log a WARNING line for each, and the allowed call beside them is received, run and
    audited once; the limit of two calls a day still lets the second allowed call through, so
    no refusal was charged."""
    gateway.initialize()
    first = gateway.post(_body(_call(1, ALLOWED)))
    assert first.status == 200 and '"isError":false' in first.body.decode().replace(" ", ""), first.body

    refusals = 0
    request_id = 100
    for label, arguments in AMBIGUOUS.items():
        for escaped in (True, False):  # `\u212a` in an ASCII body, or the sign's own UTF-8 bytes
            request_id += 1
            _refused(gateway.post(_body(_call(request_id, arguments), escaped=escaped)), request_id)
            request_id += 1
            _refused(gateway.post(_body(_call(request_id, arguments, modern=True), escaped=escaped),
                                  _modern_headers()), request_id)
            refusals += 2
            assert len(gateway.received()) == 1, (label, escaped)  # the first allowed call alone
    # A batch, which the listener refuses whole: here for its ambiguous member, with no id to
    # answer under (the message is not one request), as stdio answers it.
    batch = [_call(201, ALLOWED), _call(202, AMBIGUOUS["nested"])]
    _refused(gateway.post(_body(batch)), None)
    _refused(gateway.post(_body(batch, escaped=False)), None)
    refused_calls = refusals + 2 * len(batch)
    refusals += 2

    last = gateway.post(_body(_call(2, ALLOWED)))
    assert last.status == 200 and '"isError":false' in last.body.decode().replace(" ", ""), last.body

    # The server read and ran the two allowed calls, once each, and nothing else.
    received = gateway.received()
    assert [(m["params"]["name"], m["params"]["arguments"]) for m in received] == [("set_options", ALLOWED)] * 2
    assert gateway.executed() == [{"tool": "set_options", "arguments": ALLOWED}] * 2
    # The audit log: the allowed calls, sent and answered, and a `refused` line for each
    # refused call, which names neither the tool nor a digest of the ambiguous arguments.
    audit = gateway.tmp / "audit.jsonl"
    lines = [line for line in outcome_lines(audit) if line["decision"] != "probe"]
    allowed = [line for line in lines if line["decision"] != "refused"]
    assert [(line["tool"], line["decision"], line.get("upstream"), line["args_sha256"]) for line in allowed] == [
        ("set_options", "allowed", "ok", args_digest(ALLOWED))] * 2, lines
    refused = [line for line in lines if line["decision"] == "refused"]
    assert [(line["tool"], line["rule"], line["reason"], line["code"], line["args_sha256"], line["grant"])
            for line in refused] == [(None, "wire", wire.KEYS_ALIKE_IN_NFC, wire.INVALID_REQUEST, None, "alice")
                                     ] * refused_calls, refused
    assert len([line for line in sent_lines(audit) if line["decision"] != "probe"]) == 2
    # Each refusal is in the gateway's own log, and nothing went wrong there.
    log = (gateway.tmp / "gateway.log").read_text(encoding="utf-8")
    assert log.count(f"refused a client message ({wire.KEYS_ALIKE_IN_NFC})") == refusals, log[-3000:]
    warnings = [line for line in log.splitlines() if " WARNING " in line and "refused a client message" in line]
    assert len(warnings) == refusals and all(wire.KEYS_ALIKE_IN_NFC in line for line in warnings), warnings
    assert "Traceback" not in log and gateway.listening.process.poll() is None


def test_two_keys_alike_but_for_letter_case_are_refused_over_http_as_over_stdio(gateway: Gateway) -> None:
    """`Name` beside `name`, `Arguments` beside `arguments`, `kanal` beside `Kanal` in the
    arguments: refused with stdio's error, in a legacy session and as a 2026-07-28 request,
    before anything is decided or charged; the server reads none of them, and the audit log
    has a `refused` line for each."""
    gateway.initialize()
    ambiguous = [
        {"name": "set_options", "Name": "delete_flow", "arguments": ALLOWED},
        {"name": "set_options", "arguments": ALLOWED, "Arguments": {"options": {"Kanal": "schreiben"}}},
        {"name": "set_options", "arguments": {"options": {"Kanal": "lesen", "kanal": "schreiben"}}},
    ]
    request_id = 100
    for params in ambiguous:
        for modern in (False, True):
            request_id += 1
            message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                       "params": {**params, "_meta": META} if modern else params}
            answer = gateway.post(_body(message), _modern_headers() if modern else None)
            assert answer.status == 400, (answer.status, answer.body)
            assert answer.json() == {"jsonrpc": "2.0", "id": request_id, "error": {
                "code": wire.INVALID_REQUEST, "message": wire.KEYS_ALIKE_BUT_FOR_CASE}}, answer.body
    last = gateway.post(_body(_call(2, ALLOWED)))
    assert last.status == 200 and '"isError":false' in last.body.decode().replace(" ", ""), last.body

    assert [(m["params"]["name"], m["params"]["arguments"]) for m in gateway.received()] == [("set_options", ALLOWED)]
    lines = [line for line in outcome_lines(gateway.tmp / "audit.jsonl") if line["decision"] != "probe"]
    assert [(line["decision"], line["reason"]) for line in lines] == [
        ("refused", wire.KEYS_ALIKE_BUT_FOR_CASE)] * 2 * len(ambiguous) + [("allowed", "")], lines


def test_a_call_member_in_another_letter_case_is_refused_over_http_as_over_stdio(gateway: Gateway) -> None:
    """`Arguments` with no `arguments` (the gateway would decide on none, a server that folds
    letter case would run the call with these): refused, in a legacy session and as a
    2026-07-28 request; the server reads none of them, and the audit log has a `refused`
    line for each."""
    gateway.initialize()
    request_id = 100
    for key in ("Arguments", "argument\u017f"):
        for modern in (False, True):
            request_id += 1
            params: dict[str, Any] = {"name": "set_options", key: ALLOWED}
            message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                       "params": {**params, "_meta": META} if modern else params}
            answer = gateway.post(_body(message), _modern_headers() if modern else None)
            assert answer.json()["error"] == {"code": wire.INVALID_PARAMS, "message": (
                "Invalid params: a key is `arguments` in another letter case, which a server may read as that "
                "member (ambiguous)")}, answer.body
    last = gateway.post(_body(_call(2, ALLOWED)))
    assert last.status == 200 and '"isError":false' in last.body.decode().replace(" ", ""), last.body

    assert [(m["params"]["name"], m["params"]["arguments"]) for m in gateway.received()] == [("set_options", ALLOWED)]
    lines = [line for line in outcome_lines(gateway.tmp / "audit.jsonl") if line["decision"] != "probe"]
    assert [(line["decision"], line["tool"]) for line in lines] == [("refused", "set_options")] * 4 + [
        ("allowed", "set_options")], lines


@pytest.mark.parametrize(("key", "value", "member"), [
    ("meta", META, "_meta"),
    ("input_responses", {"approve": {"action": "accept", "content": {"approve": True}}}, "inputResponses"),
    ("request_state", "forged", "requestState"),
])
def test_a_call_member_under_its_field_name_is_refused_over_http(gateway: Gateway, key: str, value: Any,
                                                                 member: str) -> None:
    """`meta` for `_meta` (or `input_responses`, `request_state`): the MCP Python SDK's models
    read a member under its field name too, so the flows server reads this hop's protocol
    envelope, or a 2026-07-28 approval's answers, which the gateway keeps from it. Refused, in
    a legacy session and as a 2026-07-28 request; the server reads none of them, and the audit
    log has a `refused` line for each."""
    from mcp.types import CallToolRequestParams

    # What the server's SDK makes of such params: the member, read under its field name.
    read = CallToolRequestParams.model_validate({"name": "set_options", key: value}).model_dump(by_alias=True)
    assert read[member] is not None, read
    gateway.initialize()
    answers = []
    for request_id, modern in ((101, False), (102, True)):
        params: dict[str, Any] = {"name": "set_options", "arguments": ALLOWED, key: value}
        if modern:
            params["_meta"] = META
        answers.append(gateway.post(_body({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                                           "params": params}), _modern_headers() if modern else None))
    last = gateway.post(_body(_call(2, ALLOWED)))

    assert [m["params"] for m in gateway.received()] == [{"name": "set_options", "arguments": ALLOWED}]
    for answer in answers:
        assert answer.json().get("error") == {"code": wire.INVALID_PARAMS, "message": (
            f"Invalid params: a key is `{key}`, which a server may read as the member `{member}` (ambiguous)")}, (
            answer.body)
    assert last.status == 200 and '"isError":false' in last.body.decode().replace(" ", ""), last.body
    lines = [line for line in outcome_lines(gateway.tmp / "audit.jsonl") if line["decision"] != "probe"]
    assert [(line["decision"], line["tool"]) for line in lines] == [("refused", "set_options")] * 2 + [
        ("allowed", "set_options")], lines


def test_a_meta_progress_token_under_its_field_name_is_refused_over_http(gateway: Gateway) -> None:
    """`_meta.progress_token` is `progressToken` to the flows server's SDK (`ctx.meta`), where the
    gateway reads only `progressToken`. Refused, alone and beside `progressToken`, in a legacy
    session and as a 2026-07-28 request; the server reads none of them, and the audit log has a
    `refused` line for each."""
    from mcp_types._types import CallToolRequestParams

    # What the server's SDK makes of such a `_meta`: the progress token, read under its field name.
    read = CallToolRequestParams.model_validate({"name": "set_options", "_meta": {"progress_token": "other"}})
    assert read.meta == {"progress_token": "other"}, read
    gateway.initialize()
    answers = []
    for request_id, modern, meta in ((201, False, {"progress_token": "other"}),
                                     (202, True, {"progressToken": "mine", "progress_token": "other"})):
        params: dict[str, Any] = {"name": "set_options", "arguments": ALLOWED, "_meta": {**(META if modern else {}), **meta}}
        answers.append(gateway.post(_body({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                                           "params": params}), _modern_headers() if modern else None))
    last = gateway.post(_body(_call(2, ALLOWED)))

    assert [m["params"] for m in gateway.received()] == [{"name": "set_options", "arguments": ALLOWED}]
    for answer in answers:
        assert answer.json().get("error") == {"code": wire.INVALID_PARAMS, "message": (
            "Invalid params: a key is `_meta.progress_token`, which a server may read as the member "
            "`_meta.progressToken` (ambiguous)")}, answer.body
    assert last.status == 200 and '"isError":false' in last.body.decode().replace(" ", ""), last.body
    lines = [line for line in outcome_lines(gateway.tmp / "audit.jsonl") if line["decision"] != "probe"]
    assert [(line["decision"], line["tool"]) for line in lines] == [("refused", "set_options")] * 2 + [
        ("allowed", "set_options")], lines


def test_an_option_there_but_for_letter_case_is_denied_by_exists_over_http(gateway: Gateway) -> None:
    """`L\u00f6schen` for the option `l\u00f6schen` that the policy's `deny_if ... exists` names:
    missing as spelled, the option a server on Go's encoding/json reads. Denied, saying why, in a
    legacy session and as a 2026-07-28 request, raw UTF-8 and escaped; the server reads none of
    them, and the audit log has a `denied` line for each."""
    gateway.initialize()
    request_id = 300
    for key in ("L\u00f6schen", "L\u00d6SCHEN", "Lo\u0308schen"):
        for modern in (False, True):
            for escaped in (True, False):
                request_id += 1
                message = _call(request_id, {"options": {"Kanal": "lesen", key: True}}, modern=modern)
                answer = gateway.post(_body(message, escaped=escaped), _modern_headers() if modern else None)
                result = answer.json()["result"]
                assert result["isError"] is True, answer.body
                assert "differing only in letter case" in result["content"][0]["text"], answer.body
    last = gateway.post(_body(_call(2, ALLOWED)))
    assert last.status == 200 and '"isError":false' in last.body.decode().replace(" ", ""), last.body

    assert [(m["params"]["name"], m["params"]["arguments"]) for m in gateway.received()] == [("set_options", ALLOWED)]
    lines = [line for line in outcome_lines(gateway.tmp / "audit.jsonl") if line["decision"] != "probe"]
    assert [(line["decision"], line["tool"]) for line in lines] == [("denied", "set_options")] * 12 + [
        ("allowed", "set_options")], lines
