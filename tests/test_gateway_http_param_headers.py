"""`Mcp-Param-*` headers that disagree with the body are refused, checked from the server's side.

A 2026-07-28 client mirrors into `Mcp-Param-<Name>` each argument whose property in the tool's
input schema says `"x-mcp-header": "<Name>"`, so that a router, a firewall or a rate limiter in
front of the gateway can act on it without reading the body. The gateway decides on the body:
a header claiming another value, or missing for an argument the body holds, would have those
act on a call other than the one decided. Each such request must get HTTP 400 with `-32020`
(HeaderMismatch) and never reach the server; honest clients (the mcp SDK's among them) are
served as before, and a hidden tool answers a header as a missing tool does.

The server is `tests/servers/recording/regions_server.py` (its `deploy` and `drain` tools mark
`region` and `replicas` `x-mcp-header`; it records every call it runs) behind
`tests/servers/recording/tee_stdin.py` (which copies every byte the server reads to a file).
Policy: `deploy` allowed unless the region is "prod", `drain` hidden, everything else denied.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from audit_support import outcomes, parse_records
from gateway_support import RECORDING, Listening, start_http_gateway, stop

from policytui.gateway import wire
from policytui.gateway.audit import args_digest

pytestmark = pytest.mark.servers

TOKEN = "regions-token-0123456789abcdef"
POLICY = {
    "version": "1",
    "default": "deny",
    "hide": ["drain"],
    "tools": {"deploy": {"deny_if": [{"path": "args.region", "op": "eq", "value": "prod"}]}},
}
MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
HEADER_MISMATCH = -32020


def _b64(text: str) -> str:
    return "=?base64?" + base64.b64encode(text.encode()).decode() + "?="


@dataclass
class Gateway:
    """The module's gateway: what its server read and ran, and its audit log, since `mark()`."""

    listening: Listening
    tmp: Path

    def __post_init__(self) -> None:
        self.since: dict[str, int] = {}
        self.session = ""
        parts = urlsplit(self.listening.url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path

    def mark(self) -> None:
        self.since = {name: (self.tmp / name).stat().st_size if (self.tmp / name).exists() else 0
                      for name in ("received.bin", "executed.jsonl", "audit.jsonl")}

    def _read(self, name: str) -> bytes:
        path = self.tmp / name
        return path.read_bytes()[self.since.get(name, 0):] if path.exists() else b""

    def post(self, headers: list[tuple[str, str]], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One POST with exactly these headers (repeats kept): its status and its JSON answer
        (`session` keeps the Mcp-Session-Id it was given, if any)."""
        data = json.dumps(body).encode()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.putrequest("POST", self.path, skip_accept_encoding=True)
            for name, value in [("Authorization", f"Bearer {TOKEN}"), ("Content-Type", "application/json"),
                                ("Accept", "application/json, text/event-stream"), *headers,
                                ("Content-Length", str(len(data)))]:
                conn.putheader(name, value)
            conn.endheaders(data)
            response = conn.getresponse()
            self.session = response.headers.get("mcp-session-id") or ""
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """The tool calls the server received since `mark()` (the gateway's probe left out)."""
        raw = self._read("received.bin")
        messages = [wire.parse(line) for line in raw.split(b"\n") if line]
        return [(m["params"]["name"], m["params"].get("arguments") or {}) for m in messages
                if m.get("method") == "tools/call" and not m["params"]["name"].startswith("policytui-probe-")]

    def executed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._read("executed.jsonl").splitlines() if line]

    def audit(self) -> list[dict[str, Any]]:
        return [r for r in outcomes(parse_records(self._read("audit.jsonl"))) if r["decision"] != "probe"]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("param-headers")
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    (tmp / "tokens.json").write_text(json.dumps({TOKEN: "ops"}), encoding="utf-8")
    options = ["--policy", str(tmp / "policy.json"), "--tokens", str(tmp / "tokens.json"),
               "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl")]
    upstream = [sys.executable, str(RECORDING / "tee_stdin.py"), str(tmp / "received.bin"), "--",
                sys.executable, str(RECORDING / "regions_server.py"), str(tmp / "executed.jsonl")]
    listening = start_http_gateway(options, upstream, tmp / "gateway.log")
    try:
        yield Gateway(listening, tmp)
    finally:
        stop(listening.process)


def modern_call(request_id: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
            "params": {"name": name, "arguments": args, "_meta": META}}


def modern_headers(method: str, name: str | None = None) -> list[tuple[str, str]]:
    return [("MCP-Protocol-Version", MODERN), ("Mcp-Method", method), *([("Mcp-Name", name)] if name else [])]


@pytest.mark.parametrize(
    ("args", "params", "said"),
    [
        pytest.param({"region": "staging"}, [("Mcp-Param-Region", "prod")], "does not match",
                     id="the header claims another value"),
        pytest.param({"region": "prod"}, [("Mcp-Param-Region", "staging")], "does not match",
                     id="a denied call claims an allowed value"),
        pytest.param({"region": "staging"}, [], "is missing", id="no header for an argument the body holds"),
        pytest.param({"region": "staging"}, [("Mcp-Param-Region", "staging"), ("Mcp-Param-Replicas", "1")],
                     "is absent", id="a header for an argument the body does not hold"),
        pytest.param({"region": "staging"}, [("Mcp-Param-Region", "staging"), ("Mcp-Param-Region", "staging")],
                     "is given 2 times", id="the header given twice"),
        pytest.param({"region": "staging"}, [("Mcp-Param-Region", "staging"), ("Mcp_Param_Region", "prod")],
                     "is given 2 times", id="the header and its underscore twin"),
        pytest.param({"region": "staging"}, [("Mcp_Param_Region", "staging")], "underscores",
                     id="the header spelled with underscores"),
        pytest.param({"region": "staging"}, [("Mcp-Param-Region", "staging"), ("Mcp-Param-Force", "true")],
                     "names no argument", id="a header no argument declares"),
        pytest.param({"region": "staging"}, [("Mcp-Param-Region", _b64("prod"))], "does not match",
                     id="base64 of another value"),
        pytest.param({"region": "staging"}, [("Mcp-Param-Region", "=?base64?cHJvZA?=")], "malformed",
                     id="base64 without its padding"),
        pytest.param({"region": "staging", "replicas": 2}, [("Mcp-Param-Region", "staging"),
                                                            ("Mcp-Param-Replicas", "3")],
                     "does not match", id="another integer"),
        pytest.param({"region": "st\u00e4ging"}, [("Mcp-Param-Region", "st\u00e4ging")], "not printable ASCII",
                     id="a Latin-1 value, not its base64 form"),
    ],
)
def test_a_param_header_that_disagrees_with_the_body_is_refused(
    gateway: Gateway, args: dict[str, Any], params: list[tuple[str, str]], said: str
) -> None:
    gateway.mark()
    status, answer = gateway.post([*modern_headers("tools/call", "deploy"), *params], modern_call(7, "deploy", args))
    assert status == 400, answer
    assert answer["id"] == 7 and answer["error"]["code"] == HEADER_MISMATCH, answer
    assert answer["error"]["message"].startswith("Header mismatch: Mcp-Param-") and said in answer["error"]["message"]
    assert gateway.calls() == [] and gateway.executed() == []
    assert [(r["decision"], r["tool"], r.get("upstream")) for r in gateway.audit()] == [("refused", "deploy", None)]


def test_param_headers_on_another_method_or_in_a_legacy_session(gateway: Gateway) -> None:
    gateway.mark()
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": META}}
    status, answer = gateway.post([*modern_headers("tools/list"), ("Mcp-Param-Region", "prod")], listing)
    assert (status, answer["error"]["code"]) == (400, HEADER_MISMATCH), answer
    # A handshake-era client sends no such header, and is served as ever; one it does send must
    # agree with the body all the same.
    status, answer = gateway.post([], {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}})
    assert status == 200 and gateway.session, answer
    session = [("Mcp-Session-Id", gateway.session), ("MCP-Protocol-Version", "2025-06-18")]
    legacy = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
              "params": {"name": "deploy", "arguments": {"region": "staging", "note": "legacy"}}}
    status, answer = gateway.post([*session, ("Mcp-Param-Region", "prod")], legacy)
    assert (status, answer["error"]["code"]) == (400, HEADER_MISMATCH), answer
    status, answer = gateway.post(session, {**legacy, "id": 3})
    assert status == 200 and answer["result"]["isError"] is False, answer
    assert gateway.calls() == [("deploy", {"region": "staging", "note": "legacy"})]


def test_headers_that_agree_with_the_body_are_served(gateway: Gateway) -> None:
    gateway.mark()
    sent = [
        ({"region": "staging"}, [("Mcp-Param-Region", "staging")]),
        ({"region": "z\u00fcrich", "replicas": 3}, [("Mcp-Param-Region", _b64("z\u00fcrich")),
                                                    ("Mcp-Param-Replicas", "3")]),
        ({"region": "eu", "replicas": 4}, [("mcp-param-region", "eu"), ("MCP-PARAM-REPLICAS", "4.0")]),
    ]
    for request_id, (args, params) in enumerate(sent, start=10):
        status, answer = gateway.post([*modern_headers("tools/call", "deploy"), *params],
                                      modern_call(request_id, "deploy", args))
        assert status == 200 and answer["result"]["isError"] is False, answer
    assert gateway.calls() == [("deploy", args) for args, _ in sent]
    assert sorted((r["tool"], r["args_sha256"]) for r in gateway.audit()) == sorted(
        ("deploy", args_digest(args)) for args, _ in sent)


def test_the_sdk_client_calling_before_it_lists_is_served(gateway: Gateway) -> None:
    """The mcp SDK's client mirrors the headers from the tool's listed schema; calling before
    it has listed, it sends none, is refused -32020, lists the tools and calls again."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    gateway.mark()

    async def call() -> str:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        async with http, Client(streamable_http_client(gateway.listening.url, http_client=http), mode=MODERN) as client:
            result = await client.call_tool("deploy", {"region": "eu", "replicas": 2})
            return "".join(getattr(part, "text", "") for part in result.content)

    assert asyncio.run(call()) == "deployed 2 to eu"
    assert gateway.calls() == [("deploy", {"region": "eu", "replicas": 2})]


def test_a_hidden_tool_answers_a_param_header_as_a_missing_tool_does(gateway: Gateway) -> None:
    gateway.mark()
    answers = []
    for name in ("drain", "no_such_tool"):
        status, answer = gateway.post([*modern_headers("tools/call", name), ("Mcp-Param-Region", "eu")],
                                      modern_call(20, name, {"region": "eu"}))
        answers.append((status, json.loads(json.dumps(answer).replace(name, "NAME"))))
        status, answer = gateway.post(modern_headers("tools/call", name), modern_call(21, name, {"region": "eu"}))
        answers.append((status, json.loads(json.dumps(answer).replace(name, "NAME"))))
    assert answers[:2] == answers[2:], answers
    assert answers[0][0] == 400 and gateway.calls() == [] and gateway.executed() == []
