"""`--listen` against DNS rebinding and cross-site pages: Host and Origin are checked first.

A real gateway process in front of the recording server (`tests/servers/recording/
flows_server.py`, which writes down every call it runs); requests are raw HTTP with the
headers a browser would send. What counts is what the server ran.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from gateway_support import http_gateway

pytestmark = pytest.mark.servers

RECORDING = Path(__file__).resolve().parent / "servers" / "recording"
POLICY = {"version": "1", "default": "deny", "tools": {"list_flows": {}}}
TOKEN = "origin-token-0123456789abcdef"
BASE = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@contextmanager
def gateway(tmp: Path, *, tokens: bool) -> Iterator[str]:
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    options = []
    if tokens:
        (tmp / "tokens.json").write_text(json.dumps({TOKEN: "alice"}), encoding="utf-8")
        options = ["--tokens", str(tmp / "tokens.json")]
    options = ["--policy", str(tmp / "policy.json"), *options, "--state-dir", str(tmp / "state"),
               "--audit", str(tmp / "audit.jsonl")]
    upstream = [sys.executable, str(RECORDING / "flows_server.py"), str(tmp / "executed.jsonl")]
    with http_gateway(options, upstream, tmp / "gateway.log", how=signal.SIGTERM) as gateway:
        yield gateway.url


def _executed(tmp: Path) -> list[str]:
    path = tmp / "executed.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line)["arguments"].get("namespace", "") for line in lines]


def _call_through(client: httpx2.Client, url: str, headers: dict[str, str], marker: str) -> list[int]:
    """initialize, then a tools/call of list_flows whose namespace is `marker`; the statuses."""
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "page", "version": "1"}}}
    first = client.post(url, headers={**BASE, **headers}, content=json.dumps(init))
    more = {**BASE, **headers, "mcp-protocol-version": "2025-06-18",
            "mcp-session-id": first.headers.get("mcp-session-id", "")}
    client.post(url, headers=more, content=b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
    call: dict[str, Any] = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                            "params": {"name": "list_flows", "arguments": {"namespace": marker}}}
    second = client.post(url, headers=more, content=json.dumps(call))
    modern = {**BASE, **headers, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call",
              "mcp-name": "list_flows"}
    call["id"] = 3
    call["params"]["arguments"] = {"namespace": marker + "-modern"}
    call["params"]["_meta"] = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                               "io.modelcontextprotocol/clientCapabilities": {}}
    third = client.post(url, headers=modern, content=json.dumps(call))
    return [first.status_code, second.status_code, third.status_code]


def test_without_tokens_a_foreign_host_gets_421_and_a_foreign_origin_403(tmp_path: Path) -> None:
    with gateway(tmp_path, tokens=False) as url, httpx2.Client(timeout=30) as client:
        port = url.split(":")[2].split("/")[0]
        refused = {
            "rebound-host": ({"host": f"evil.example:{port}"}, 421),
            "host-without-port": ({"host": "evil.example"}, 421),
            "loopback-name-other-port": ({"host": f"localhost:{int(port) + 1}"}, 421),
            "rebound-host-and-origin": ({"host": f"evil.example:{port}", "origin": f"http://evil.example:{port}"}, 421),
            "foreign-origin": ({"origin": "http://evil.example"}, 403),
            "null-origin": ({"origin": "null"}, 403),
            "origin-lookalike": ({"origin": "http://localhost.evil.example"}, 403),
            "origin-other-scheme": ({"origin": "file://localhost"}, 403),
        }
        for marker, (headers, status) in refused.items():
            assert _call_through(client, url, headers, marker) == [status] * 3, marker
        allowed = {
            "own-address": {},
            "localhost": {"host": f"localhost:{port}", "origin": "http://localhost:5173"},
            "ipv6-name": {"host": f"[::1]:{port}", "origin": f"https://[::1]:{port}"},
        }
        for marker, headers in allowed.items():
            assert _call_through(client, url, headers, marker)[0] == 200, marker
        time.sleep(0.3)
        ran = _executed(tmp_path)
    assert not [each for each in ran if each.split("-modern")[0] in refused], "a refused request ran a tool"
    assert {"own-address", "localhost", "ipv6-name"} <= set(ran)


def test_with_tokens_any_host_serves_but_a_foreign_origin_gets_403(tmp_path: Path) -> None:
    auth = {"authorization": f"Bearer {TOKEN}"}
    with gateway(tmp_path, tokens=True) as url, httpx2.Client(timeout=30) as client:
        statuses = _call_through(client, url, {**auth, "origin": "http://evil.example"}, "foreign-origin")
        assert statuses == [403] * 3
        assert _call_through(client, url, {**auth, "host": "gw.example:8443"}, "proxied")[0] == 200
        same_origin = {**auth, "host": "gw.example:8443", "origin": "https://gw.example:8443"}
        assert _call_through(client, url, same_origin, "same-origin")[0] == 200
        time.sleep(0.3)
        ran = _executed(tmp_path)
    assert not [each for each in ran if each.startswith("foreign-origin")]
    assert {"proxied", "same-origin"} <= set(ran)
