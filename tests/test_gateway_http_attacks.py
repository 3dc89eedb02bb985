"""A hostile client against the HTTP listener (`--listen`), legacy sessions and MCP 2026-07-28,
checked from the server's side.

The server is the Python-SDK flows server (`tests/servers/recording/flows_server.py`, which
records every call it runs) behind `tests/servers/recording/tee_stdin.py` (which copies every
byte the server reads to a file). The requests are written byte by byte with `http.client`, so
headers can be given twice, in Latin-1 or in any order. After each attack the suite proves, from
what the server read: every byte is printable ASCII (the gateway's re-encoding, never the
client's bytes), the denied and the hidden tool never arrived, and every call that arrived has
exactly one audit line naming that tool with those arguments (and no allowed call is audited
that did not arrive).

Tokens: a test's `gateway.alice` and `gateway.alice2` hold one grant, `gateway.bob` another
(on a gateway of the test's own, ALICE, ALICE2 and BOB: "alice" and "bob"). Policy: `list_flows`
allowed (at most `LIMIT` calls a day per grant, approval asked when the namespace starts with
"approve"), `delete_flow` denied, `read_secret` hidden, everything else denied.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from audit_support import outcomes, parse_records
from gateway_support import Listening, flows_behind_tee, start_http_gateway, stop
from traceback_guard import policytui_tracebacks

from policytui.gateway import http_framing, http_relay, wire
from policytui.gateway.audit import args_digest

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

ALICE = "alice-token-0123456789abcdef"
ALICE2 = "alice2-token-0123456789abcdef"
BOB = "bob-token-0123456789abcdef00"
LIMIT = 3
POLICY = {
    "version": "1",
    "default": "deny",
    "hide": ["read_secret"],
    "tools": {
        "list_flows": {
            "limits": [{"counter": "flows", "window": "day", "max": LIMIT}],
            "require_approval_if": [{"path": "args.namespace", "op": "regex", "value": "^approve"}],
        },
        "delete_flow": {"action": "deny", "reason": "destructive"},
    },
}
DENIED = {"namespace": "prod", "flow_id": "billing"}
MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
HEADER_MISMATCH = -32020


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def events(self) -> list[dict[str, Any]]:
        """The messages of an answer, JSON or event stream."""
        if self.headers.get("content-type", "").startswith("text/event-stream"):
            return [json.loads(line[5:]) for line in self.body.decode().splitlines() if line.startswith("data:")]
        return [self.json()] if self.body else []


class Gateway:
    """A gateway and its server as one test sees them: the tokens it calls with, and what the
    server read, ran and the audit log holds since the test began (`since`: byte offsets)."""

    def __init__(self, listening: Listening, tmp: Path, tokens: tuple[str, str, str] = (ALICE, ALICE2, BOB),
                 since: dict[str, int] | None = None) -> None:
        self.listening, self.tmp = listening, tmp
        self.alice, self.alice2, self.bob = tokens
        self.since = since or {}
        parts = urlsplit(listening.url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path

    def _read(self, name: str) -> bytes:
        path = self.tmp / name
        return path.read_bytes()[self.since.get(name, 0):] if path.exists() else b""

    def post(self, headers: list[tuple[str, str]], body: bytes, *, method: str = "POST", timeout: float = 30,
             length: bool = True, target: str | None = None) -> Answer:
        """One request with exactly these headers (repeats and raw bytes kept), to `target` as
        written (the gateway's path when None)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.putrequest(method, self.path if target is None else target, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            if length and not any(name.lower() in ("content-length", "transfer-encoding") for name, _ in headers):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            conn.close()

    def initialize(self, token: str, capabilities: dict[str, Any] | None = None) -> str:
        answer = self.post(legacy_headers(token), _dump({
            "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": capabilities or {},
                "clientInfo": {"name": "hostile", "version": "1"}}}))
        assert answer.status == 200, answer
        session = answer.headers["mcp-session-id"]
        self.post(legacy_headers(token, session), b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
        return session

    # What the server read, and the audit log -------------------------------------------------

    def received(self) -> list[dict[str, Any]]:
        raw = self._read("received.bin")
        bad = sorted({byte for byte in raw if not (0x20 <= byte <= 0x7E or byte == 0x0A)})
        assert not bad, f"bytes outside printable ASCII reached the server (not the gateway's encoding): {bad[:10]}"
        return [wire.parse(line) for line in raw.split(b"\n") if line]

    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """The tool calls the server received (the gateway's probe left out)."""
        return [(m["params"]["name"], m["params"].get("arguments") or {}) for m in self.received()
                if m.get("method") == "tools/call" and not str(m["params"]["name"]).startswith("policytui-probe-")]

    def executed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._read("executed.jsonl").splitlines() if line]

    def audit(self) -> list[dict[str, Any]]:
        lines = outcomes(parse_records(self._read("audit.jsonl")))
        return [line for line in lines if line["decision"] != "probe"]

    def settle(self, seconds: float = 10) -> None:
        """Wait until every call the server received has its audit line (the line is written
        as the answer comes back)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len([a for a in self.audit() if a.get("upstream")]) >= len(self.calls()):
                return
            time.sleep(0.05)

    def check_server_side(self) -> list[tuple[str, dict[str, Any]]]:
        """The invariants every attack must leave standing; returns the calls the server got."""
        self.settle()
        calls = self.calls()
        assert all(name == "list_flows" for name, _ in calls), f"a denied or hidden tool reached the server: {calls}"
        assert all(e["tool"] == "list_flows" for e in self.executed())
        forwarded = sorted((a["tool"], a["args_sha256"]) for a in self.audit() if a.get("upstream"))
        assert forwarded == sorted((name, args_digest(args)) for name, args in calls), (
            "the calls the server received are not exactly the forwarded calls in the audit log")
        log = (self.tmp / "gateway.log").read_text(encoding="utf-8")
        assert "Traceback" not in log and self.listening.process.poll() is None
        # A gateway shared by the module was started before any test's traceback guard.
        stderr = (self.tmp / "gateway.log.stderr").read_text(encoding="utf-8")
        assert not policytui_tracebacks(log + stderr), policytui_tracebacks(log + stderr)
        return calls


def _dump(message: Any) -> bytes:
    return json.dumps(message).encode()


def legacy_headers(token: str, session: str | None = None) -> list[tuple[str, str]]:
    headers = [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"),
               ("Accept", "application/json, text/event-stream")]
    if session:
        headers += [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-06-18")]
    return headers


def modern_headers(token: str, method: str, name: str | None = None) -> list[tuple[str, str]]:
    headers = [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"),
               ("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", MODERN),
               ("Mcp-Method", method)]
    return headers + ([("Mcp-Name", name)] if name is not None else [])


def call(request_id: Any, name: str, args: dict[str, Any], *, modern: bool = True) -> bytes:
    params: dict[str, Any] = {"name": name, "arguments": args}
    if modern:
        params["_meta"] = META
    return _dump({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params})


def _start(tmp: Path, tokens: dict[str, str], extra: list[str] | None = None) -> Listening:
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    (tmp / "tokens.json").write_text(json.dumps(tokens), encoding="utf-8")
    options = ["--policy", str(tmp / "policy.json"), "--tokens", str(tmp / "tokens.json"),
               "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl"),
               "--log-level", "debug", "--approval-timeout", "4", *(extra or [])]
    return start_http_gateway(options, flows_behind_tee(tmp), tmp / "gateway.log")


# How many tests may share one gateway: each takes three tokens of the file, two grants of its own.
SHARED_TESTS = 150
# A test that holds calls for approval, holds or floods connections, fills a grant's sessions
# or measures the gateway's memory has a gateway of its own (`options`: given to it too).
own_gateway = pytest.mark.own_gateway


@pytest.fixture(scope="module")
def _shared_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Listening, Path, Iterator[int]]]:
    tmp = tmp_path_factory.mktemp("shared-gateway")
    tokens = {}
    for n in range(SHARED_TESTS):
        tokens.update({f"{ALICE}-{n}": f"alice-{n}", f"{ALICE2}-{n}": f"alice-{n}", f"{BOB}-{n}": f"bob-{n}"})
    listening = _start(tmp, tokens)
    try:
        yield listening, tmp, iter(range(SHARED_TESTS))
    finally:
        stop(listening.process)


@pytest.fixture
def gateway(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Gateway]:
    """The module's tests that send requests and read their answers, each done when the test
    ends (nothing held for approval, no connection left open), share one gateway: starting a
    gateway and its server takes a test about 2-3 s. They cannot disturb each other: each test
    calls with tokens of two grants of its own (its limits and sessions are its own), and sees
    only what the server read and ran, and the audit log took, after it began. A test marked
    `own_gateway` has one of its own."""
    if (own := request.node.get_closest_marker("own_gateway")) is not None:
        listening = _start(tmp_path, {ALICE: "alice", ALICE2: "alice", BOB: "bob"}, own.kwargs.get("options"))
        try:
            yield Gateway(listening, tmp_path)
        finally:
            stop(listening.process)
        return
    listening, tmp, numbers = request.getfixturevalue("_shared_gateway")
    n = next(numbers)
    since = {name: (tmp / name).stat().st_size if (tmp / name).exists() else 0
             for name in ("received.bin", "executed.jsonl", "audit.jsonl")}
    yield Gateway(listening, tmp, (f"{ALICE}-{n}", f"{ALICE2}-{n}", f"{BOB}-{n}"), since)


def _in_thread(work: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        out["answer"] = work()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _wait_for(predicate: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# Headers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "extra", "name", "body_name"),
    [
        # The first copy matches the body, a second (what a router reading the last one sees) does not.
        ("Mcp-Name twice", [("Mcp-Name", "list_flows")], "delete_flow", "delete_flow"),
        ("Mcp-Name twice, the body in the second", [("Mcp-Name", "delete_flow")], "list_flows", "delete_flow"),
        ("Mcp-Method twice", [("Mcp-Method", "tools/list")], "list_flows", "list_flows"),
        ("MCP-Protocol-Version twice", [("MCP-Protocol-Version", "2025-06-18")], "list_flows", "list_flows"),
        # Latin-1 bytes: "list_flows\xc3\xa9" is "list_flowsé" in UTF-8 to a router, "list_flowsÃ©" here.
        ("Mcp-Name raw non-ASCII", [], "list_flows\u00c3\u00a9", "list_flows\u00c3\u00a9"),
        ("Mcp-Name with a control character", [], "list_flows\x7f", "list_flows\x7f"),
        # CGI-style readers (WSGI, some proxies) read Mcp_Name as Mcp-Name.
        ("Mcp_Name beside Mcp-Name", [("Mcp_Name", "delete_flow")], "list_flows", "list_flows"),
        ("Mcp_Method beside Mcp-Method", [("Mcp_Method", "tools/list")], "list_flows", "list_flows"),
    ],
)
def test_ambiguous_mcp_headers_are_a_header_mismatch(gateway: Gateway, label: str, extra: list[tuple[str, str]],
                                                     name: str, body_name: str) -> None:
    """The Mcp-* headers exist so that a router can act on a request without its body; a header
    given twice, or in bytes that read differently as Latin-1 and UTF-8, lets the router and the
    gateway see two calls. Refused as a mismatch (-32020), whichever copy matches the body."""
    answer = gateway.post(modern_headers(gateway.alice, "tools/call", name) + extra,
                          call(1, body_name, {"namespace": f"hdr-{label}"} if body_name == "list_flows" else DENIED))
    assert answer.status == 400, (label, answer)
    assert answer.json()["error"]["code"] == HEADER_MISMATCH, (label, answer.json())
    assert gateway.check_server_side() == []
    # Refused before anything was decided or charged, and audited so: the body names its tool
    # without doubt (the ambiguity is in the headers).
    assert [(a["tool"], a["decision"], a["rule"], a["code"]) for a in gateway.audit()] == [
        (body_name, "refused", "wire", HEADER_MISMATCH)], label


@pytest.mark.parametrize("name", ["delete_flow", "read_secret", "=?base64?ZGVsZXRlX2Zsb3c=?="])
def test_a_legacy_mcp_name_without_mcp_method_must_name_the_bodys_tool(gateway: Gateway, name: str) -> None:
    """A handshake-era client need not send the Mcp-* headers; one that sends Mcp-Name alone
    says which tool a router in front acts on, and must name the tool the gateway decides."""
    session = gateway.initialize(gateway.alice)
    answer = gateway.post(legacy_headers(gateway.alice, session) + [("Mcp-Name", name)],
                          call(2, "list_flows", {"namespace": "hdr-legacy-name"}, modern=False))
    assert answer.status == 400, answer
    assert answer.json()["error"]["code"] == HEADER_MISMATCH, answer.json()
    assert gateway.check_server_side() == []
    assert [(a["tool"], a["decision"], a["code"]) for a in gateway.audit()] == [("list_flows", "refused", HEADER_MISMATCH)]
    # Naming the body's tool, it is served.
    answer = gateway.post(legacy_headers(gateway.alice, session) + [("Mcp-Name", "list_flows")],
                          call(3, "list_flows", {"namespace": "hdr-legacy-name"}, modern=False))
    assert answer.status == 200 and answer.events()[-1]["result"]["isError"] is False, answer
    assert gateway.check_server_side() == [("list_flows", {"namespace": "hdr-legacy-name"})]


@pytest.mark.parametrize(("header", "value"), [("Mcp_Name", "delete_flow"), ("Mcp_Name", "list_flows"),
                                              ("Mcp_Method", "tools/list"), ("Mcp_Method", "tools/call")])
def test_an_mcp_header_spelled_with_underscores_is_refused_even_alone(gateway: Gateway, header: str, value: str) -> None:
    """CGI-style readers (WSGI, some proxies) take Mcp_Name for Mcp-Name, others do not: given
    alone, one router in front acts on it and the next sees no such header. Refused as a
    mismatch, whatever it names."""
    session = gateway.initialize(gateway.alice)
    answer = gateway.post(legacy_headers(gateway.alice, session) + [(header, value)],
                          call(2, "list_flows", {"namespace": "hdr-underscores"}, modern=False))
    assert answer.status == 400, answer
    assert answer.json()["error"]["code"] == HEADER_MISMATCH, answer.json()
    assert "underscores" in answer.json()["error"]["message"]
    assert gateway.check_server_side() == []
    assert [(a["tool"], a["decision"], a["code"]) for a in gateway.audit()] == [("list_flows", "refused", HEADER_MISMATCH)]


def test_whitespace_around_header_values_is_not_part_of_them(gateway: Gateway) -> None:
    """HTTP drops the spaces around a field value: " list_flows " is list_flows to every reader."""
    answer = gateway.post(modern_headers(gateway.alice, " tools/call ", " list_flows "), call(1, "list_flows", {"namespace": "ws"}))
    assert answer.status == 200 and answer.json()["result"]["isError"] is False
    answer = gateway.post(modern_headers(gateway.alice, "tools/call", "list_flows"), call(2, "delete_flow", DENIED))
    assert answer.json()["error"]["code"] == HEADER_MISMATCH
    assert gateway.check_server_side() == [("list_flows", {"namespace": "ws"})]


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json; charset=latin-1", 415),
        ("application/json; charset=utf-16", 415),
        ("application/json;charset=ISO-8859-1", 415),
        # RFC 2231's extended and continued forms: Python's email package reads latin-1 here.
        ("application/json; charset*=utf-8''latin-1", 415),
        ("application/json; charset*0=latin-1", 415),
        ("application/json; charset=utf-8; charset*=''latin-1", 415),
        ("text/plain", 415),
        ("application/json; charset=utf-8", 200),
        ('application/json; charset="UTF-8"', 200),
        ("Application/JSON", 200),
    ],
)
def test_a_body_declared_in_another_charset_is_refused(gateway: Gateway, content_type: str, status: int) -> None:
    """The gateway reads every body as UTF-8; "é" sent as UTF-8 under charset=latin-1 is "Ã©"
    to a reader that honours the declaration. Refused (415) rather than read one way of two."""
    headers = [(k, content_type if k == "Content-Type" else v) for k, v in modern_headers(gateway.alice, "tools/call", "list_flows")]
    answer = gateway.post(headers, call(1, "list_flows", {"namespace": "caf\u00e9"}))
    assert answer.status == status, answer
    calls = gateway.check_server_side()
    assert calls == ([("list_flows", {"namespace": "caf\u00e9"})] if status == 200 else [])


@pytest.mark.parametrize(
    ("encodings", "compress", "status"),
    [
        (["gzip"], False, 415),
        (["gzip"], True, 415),
        (["deflate"], False, 415),
        (["identity, gzip"], False, 415),
        (["identity", "gzip"], False, 415),
        (["identity"], False, 200),
        ([" Identity "], False, 200),
    ],
)
def test_a_body_declared_compressed_is_refused(gateway: Gateway, encodings: list[str], compress: bool,
                                               status: int) -> None:
    """The gateway reads every body as it arrives; a body declared gzip is another message (or
    none) to a reader that unpacks it, such as a proxy in front that checks bodies. Refused
    (415) with a sentence that says why, rather than read one way of two, or answered "not
    UTF-8" when a client compressed its request."""
    import gzip

    body = call(1, "list_flows", {"namespace": "packed"})
    headers = modern_headers(gateway.alice, "tools/call", "list_flows") + [("Content-Encoding", e) for e in encodings]
    answer = gateway.post(headers, gzip.compress(body) if compress else body)
    assert answer.status == status, answer
    if status == 415:
        assert "Content-Encoding" in answer.json()["error"]["message"]
    calls = gateway.check_server_side()
    assert calls == ([("list_flows", {"namespace": "packed"})] if status == 200 else [])


def test_content_type_given_twice_is_refused(gateway: Gateway) -> None:
    headers = modern_headers(gateway.alice, "tools/call", "list_flows") + [("Content-Type", "text/plain")]
    assert gateway.post(headers, call(1, "list_flows", {"namespace": "two-types"})).status == 415
    assert gateway.check_server_side() == []


@pytest.mark.parametrize("second", ["bob", "alice", None])
def test_two_authorization_headers_are_unauthorized(gateway: Gateway, second: str | None) -> None:
    """A proxy in front may check the last Authorization header and this gate read the first: with
    two, no grant is taken from either."""
    token = {"bob": gateway.bob, "alice": gateway.alice}.get(second or "", "not-a-token-0123456789")
    headers = modern_headers(gateway.alice, "tools/call", "list_flows") + [("Authorization", f"Bearer {token}")]
    assert gateway.post(headers, call(1, "list_flows", {"namespace": "two-tokens"})).status == 401
    assert gateway.check_server_side() == [] and gateway.audit() == []


@pytest.mark.parametrize("accept", [None, "text/html", "application/json", "text/event-stream"])
def test_any_accept_header_gets_the_same_decisions(gateway: Gateway, accept: str | None) -> None:
    headers = [(k, v) for k, v in modern_headers(gateway.alice, "tools/call", "delete_flow") if k != "Accept"]
    if accept is not None:
        headers.append(("Accept", accept))
    answer = gateway.post(headers, call(1, "delete_flow", DENIED))
    assert answer.json()["result"]["isError"] is True
    assert gateway.check_server_side() == []
    assert [(a["tool"], a["decision"]) for a in gateway.audit()] == [("delete_flow", "denied")]


# Bodies ---------------------------------------------------------------------------------------


def test_a_modern_request_in_notification_form_is_refused_not_dropped(gateway: Gateway) -> None:
    """A tools/call without an id would get no answer: on every path it is refused (400), never
    a 202 that tells the client it was taken, and audited as refused, never decided or charged."""
    for name, args in (("delete_flow", DENIED), ("list_flows", {"namespace": "no-id"})):
        body = _dump({"jsonrpc": "2.0", "method": "tools/call", "params": {"name": name, "arguments": args, "_meta": META}})
        answer = gateway.post(modern_headers(gateway.alice, "tools/call", name), body)
        assert answer.status == 400 and answer.json()["error"]["code"] == wire.INVALID_REQUEST, answer
    assert gateway.check_server_side() == []
    assert [(a["tool"], a["decision"], a["reason"], a["args_sha256"]) for a in gateway.audit()] == [
        (name, "refused", "Invalid Request: 'tools/call' needs an id", args_digest(args))
        for name, args in (("delete_flow", DENIED), ("list_flows", {"namespace": "no-id"}))]


@pytest.mark.parametrize(
    "request_id",
    [None, 1.5, True, [1], {"a": 1}, 2**53, -(2**53), 1e400],
    ids=["null", "fraction", "bool", "array", "object", "2^53", "-2^53", "overflow"],
)
def test_modern_ids_of_other_types_are_refused(gateway: Gateway, request_id: Any) -> None:
    body = call(request_id, "list_flows", {"namespace": "odd-id"}) if request_id != 1e400 else (
        call(7, "list_flows", {"namespace": "odd-id"}).replace(b'"id": 7', b'"id": 1e400'))
    answer = gateway.post(modern_headers(gateway.alice, "tools/call", "list_flows"), body)
    assert answer.status == 400, answer
    assert gateway.check_server_side() == []


def test_modern_batches_and_duplicate_keys_never_reach_the_server(gateway: Gateway) -> None:
    denied = json.loads(call(1, "delete_flow", DENIED))
    bodies = [
        _dump([denied, json.loads(call(2, "list_flows", {"namespace": "batch"}))]),
        # _meta twice: which version is asked for is up to the parser
        call(3, "list_flows", {"namespace": "m"}).replace(
            b'"_meta": {', b'"_meta": {"io.modelcontextprotocol/protocolVersion": "2025-06-18", ', 1),
        call(4, "list_flows", {"namespace": "m"}).replace(b'"_meta": ', b'"_meta": {}, "_meta": ', 1),
        call(5, "list_flows", {"namespace": "m"}).replace(b'"name": "list_flows"', b'"name": "list_flows", "name": "delete_flow"'),
        b"\xef\xbb\xbf" + call(6, "list_flows", {"namespace": "bom"}),
        call(7, "list_flows", {"namespace": "nan"}).replace(b'"nan"}', b'"nan", "note": NaN}'),
        call(8, "list_flows", {"namespace": "lone \\ud800"}).replace(b"\\\\ud800", b"\\ud800"),
    ]
    for body in bodies:
        answer = gateway.post(modern_headers(gateway.alice, "tools/call", "list_flows"), body)
        assert answer.status == 400, body
    assert gateway.check_server_side() == []
    # Each call audited as refused: the batch's two by name (standard JSON, read without
    # doubt), the ambiguous or non-standard ones with no tool named.
    assert [(a["tool"], a["decision"]) for a in gateway.audit()] == [
        ("delete_flow", "refused"), ("list_flows", "refused")] + [(None, "refused")] * (len(bodies) - 1)


@pytest.mark.parametrize("params", [
    # A parser on C strings (json-c) cuts the second key to `name` and keeps its value: delete_flow.
    '"name":"list_flows","name\\u0000":"delete_flow","arguments":{"namespace":"prod","flow_id":"billing"}',
    '"name":"delete_flow\\u0000","arguments":{"namespace":"prod","flow_id":"billing"}',
    '"name":"list_flows","arguments":{"namespace":"nul\\u0000approve"}',
])
def test_a_nul_anywhere_in_a_call_is_refused_and_never_forwarded(gateway: Gateway, params: str) -> None:
    """A text holding a NUL is another text to a server that reads C strings (`wire`): the
    call of list_flows with a second `name\\u0000` key is delete_flow there, `delete_flow\\u0000`
    (denied here as a tool no rule names) is delete_flow, and the namespace `nul\\u0000approve`
    is `nul`. Refused 400
    (-32600, under the request's id), audited with no tool named, never forwarded, as over stdio
    (`test_gateway_attacks_nul`)."""
    meta = ',"_meta":' + json.dumps(META)
    body = b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{%s}}' % (params + meta).encode()
    # The Mcp-Name the body's name is to the gateway, NUL and all (in the base64 form a value
    # with a control character takes), so no header mismatch is what refuses it.
    name = json.loads(body)["params"]["name"]
    header = "=?base64?" + base64.b64encode(name.encode()).decode() + "?=" if "\x00" in name else name
    answer = gateway.post(modern_headers(gateway.alice, "tools/call", header), body)
    assert (answer.status, answer.json()) == (400, {"jsonrpc": "2.0", "id": 7, "error": {
        "code": wire.INVALID_REQUEST, "message": wire.HOLDS_NUL}}), answer
    assert gateway.check_server_side() == []
    assert b"\\u0000" not in gateway._read("received.bin")
    assert [(a["tool"], a["decision"], a["reason"]) for a in gateway.audit()] == [(None, "refused", wire.HOLDS_NUL)]


def test_deep_nesting_is_refused_or_decided_never_a_crash(gateway: Gateway) -> None:
    """Arguments nested near and past what the parsers take: each is refused (-32700, under the
    call's id when it can be read) or decided (the denied tool: denied and audited), and the
    gateway goes on serving."""
    template = call(1, "delete_flow", {**DENIED, "note": "NOTE"})
    for depth in (100, 124, 126, 200, 900, 960, 970, 980, 990, 5000, 100_000):
        body = template.replace(b'"NOTE"', b"[" * depth + b'"x"' + b"]" * depth)
        answer = gateway.post(modern_headers(gateway.alice, "tools/call", "delete_flow"), body)
        if depth + 3 <= wire.MAX_DEPTH:  # the envelope, params and arguments are three levels
            assert answer.status == 200 and answer.json()["result"]["isError"] is True, depth
        else:
            assert answer.status == 400 and answer.json()["error"]["code"] == wire.PARSE_ERROR, depth
    for n in range(2):  # still serving
        answer = gateway.post(modern_headers(gateway.alice, "tools/call", "list_flows"), call(n, "list_flows", {"namespace": "after"}))
        assert answer.status == 200
    gateway.check_server_side()
    # Each refused one has a `refused` line naming no tool (too deep to read without doubt).
    refused = [depth for depth in (100, 124, 126, 200, 900, 960, 970, 980, 990, 5000, 100_000)
               if depth + 3 > wire.MAX_DEPTH]
    assert [(a["tool"], a["decision"]) for a in gateway.audit()] == (
        [("delete_flow", "denied")] * 2 + [(None, "refused")] * len(refused) + [("list_flows", "allowed")] * 2)


def _peak_mib(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@own_gateway
def test_millions_of_tiny_arrays_are_refused_before_they_are_parsed(gateway: Gateway) -> None:
    """An array or object costs the gateway about 70 bytes however briefly it is written: a
    message of 8 MiB of `[],` parsed into some 200 MB (and 400 MB at the peak). Past
    MAX_CONTAINERS the message is refused unparsed; brackets inside strings do not count."""
    def body(request_id: int, filler: bytes, count: int) -> bytes:
        template = call(request_id, "list_flows", {"namespace": "many", "note": "NOTE"})
        return template.replace(b'"NOTE"', b"[" + b",".join([filler] * count) + b"]")

    headers = modern_headers(gateway.alice, "tools/call", "list_flows")
    pid = gateway.listening.process.pid
    before = _peak_mib(pid)
    most = (wire.MAX_MESSAGE_BYTES - 1000) // 3
    for filler in (b"[]", b"{}"):
        answer = gateway.post(headers, body(1, filler, most))
        assert answer.status == 400 and answer.json()["error"]["code"] == wire.PARSE_ERROR
        assert "arrays and objects" in answer.json()["error"]["message"]
    assert _peak_mib(pid) - before < 60
    # Brackets in strings are text: twice MAX_CONTAINERS of them, 16 to a string. And a message
    # just under the limit is parsed. Both are decided as usual: list_flows has conditions, and
    # arguments of more than 100,000 values are denied unread (docs/policy.md), so each is a
    # policy denial, not a refusal for its brackets, and neither reaches the server.
    brackets = b'"' + b"[{" * 8 + b'"'
    for request_id, filler, count in ((2, brackets, 2 * wire.MAX_CONTAINERS // 16),
                                      (3, b"[]", wire.MAX_CONTAINERS - 10)):
        answer = gateway.post(headers, body(request_id, filler, count))
        assert answer.status == 200, answer.json()
        result = answer.json()["result"]
        assert result["isError"] is True and "more than 100,000 values" in result["content"][0]["text"], result
    assert gateway.check_server_side() == []
    denied = [line for line in gateway.audit() if line.get("rule") == "tools.list_flows.arguments"]
    assert len(denied) == 2 and all(line["decision"] == "denied" for line in denied), denied


@pytest.mark.parametrize("modern", [True, False], ids=["modern", "session"])
def test_an_allowed_call_nested_past_what_the_server_reads_is_refused_not_left_hanging(
        gateway: Gateway, modern: bool) -> None:
    """The Python SDK's server drops a message nested past 200 levels without an answer. The
    gateway parses deeper than that; forwarding such a call left the client waiting for ever, its
    charge kept and its id pending in the gateway. Refused at once instead, never forwarded."""
    session = None if modern else gateway.initialize(gateway.alice)
    note = json.loads("[" * 120 + '"x"' + "]" * 120)
    headers = modern_headers(gateway.alice, "tools/call", "list_flows") if modern else legacy_headers(gateway.alice, session)
    answer = gateway.post(headers, call(1, "list_flows", {"namespace": "deep-ok", "note": note}, modern=modern))
    assert answer.status == 200 and answer.json()["result"]["isError"] is False
    body = call(2, "list_flows", {"namespace": "deep", "note": "NOTE"}, modern=modern).replace(
        b'"NOTE"', b"[" * 250 + b'"x"' + b"]" * 250)
    try:
        answer = gateway.post(headers, body, timeout=15)
    except TimeoutError:
        pytest.fail("a call the server cannot read was forwarded and never answered")
    assert answer.status == 400 and answer.json()["error"]["code"] == wire.PARSE_ERROR
    assert answer.json()["id"] == 2
    assert gateway.check_server_side() == [("list_flows", {"namespace": "deep-ok", "note": note})]


def test_a_body_over_the_limit_or_shorter_than_announced(gateway: Gateway) -> None:
    big = call(1, "list_flows", {"namespace": "big", "note": "x" * (wire.MAX_MESSAGE_BYTES + 10)})
    answer = gateway.post(modern_headers(gateway.alice, "tools/call", "list_flows"), big)
    assert answer.status == 413
    # Chunked, the limit counted as the chunks arrive.
    chunk = b"x" * (1 << 20)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(10)) + b"0\r\n\r\n"
    headers = modern_headers(gateway.alice, "tools/call", "list_flows") + [("Transfer-Encoding", "chunked")]
    assert gateway.post(headers, chunked).status == 413
    body = call(2, "list_flows", {"namespace": "short"})
    headers = modern_headers(gateway.alice, "tools/call", "list_flows") + [("Content-Length", str(len(body) - 3))]
    assert gateway.post(headers, body).status == 400  # the body ends where Content-Length says
    assert gateway.check_server_side() == []


def test_a_body_length_given_two_ways_is_refused_and_the_connection_closed(gateway: Gateway) -> None:
    """Content-Length beside Transfer-Encoding: a proxy in front that ends the body where
    Content-Length says reads the rest as a request of its own (request smuggling). Refused,
    and the connection closed, so nothing after it on the connection is read either."""
    body = call(1, "list_flows", {"namespace": "smuggled"})
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    after = call(2, "list_flows", {"namespace": "after-smuggled"})
    lines = "".join(f"{k}: {v}\r\n" for k, v in modern_headers(gateway.alice, "tools/call", "list_flows"))
    request = (f"POST {gateway.path} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n{lines}"
               f"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n").encode() + chunked
    second = (f"POST {gateway.path} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n{lines}"
              f"Content-Length: {len(after)}\r\n\r\n").encode() + after
    with socket.create_connection((gateway.host, gateway.port), timeout=15) as sock:
        sock.sendall(request + second)
        seen = b""
        while chunk := sock.recv(65536):
            seen += chunk
    assert seen.startswith(b"HTTP/1.1 400"), seen[:200]
    assert seen.count(b"HTTP/1.1 ") == 1, seen
    assert gateway.check_server_side() == []
    # Refused before its body was read: it may be a call, audited with no tool named.
    assert [(a["tool"], a["decision"], a["reason"]) for a in gateway.audit()] == [
        (None, "refused", "Bad Request: the body's length is given more than once")]


def _head(gateway: Gateway, extra: str = "", *, length: int | None = None, eol: str = "\r\n") -> str:
    """A tools/call request's line and headers as one client writes them (a modern call of
    list_flows with Alice's token), `extra` lines added before the blank line."""
    lines = [f"POST {gateway.path} HTTP/1.1", f"Host: 127.0.0.1:{gateway.port}",
             *(f"{k}: {v}" for k, v in modern_headers(gateway.alice, "tools/call", "list_flows"))]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return eol.join(lines) + eol + extra + "\r\n"


def _chunked(body: bytes, trailer: str = "") -> bytes:
    return b"%x\r\n%s\r\n0\r\n%s\r\n" % (len(body), body, trailer.encode())


def _smuggling_cases(gateway: Gateway) -> dict[str, bytes]:
    """Requests whose framing or headers a proxy in front may read otherwise than the gateway
    (h11 reads each leniently), each an allowed call that must not reach the server."""
    body = call(1, "list_flows", {"namespace": "smuggled"})
    n = len(body)
    chunked = _head(gateway, "Transfer-Encoding: chunked\r\n").encode()
    return {
        # A trailer field arrives after the body, so a router that reads the headers sees none of it.
        "a trailer Mcp-Name": _head(gateway, "Transfer-Encoding: chunked\r\n").encode()
        + _chunked(body, "Mcp-Name: delete_flow\r\n"),
        "any trailer": _head(gateway, "Transfer-Encoding: chunked\r\n").encode() + _chunked(body, "X-Note: 1\r\n"),
        # A proxy that does not unfold reads a Transfer-Encoding header of its own here.
        "a folded header line": _head(gateway, "X-Trace: 1\r\n Transfer-Encoding: chunked\r\n", length=n).encode() + body,
        "a folded header line (tab)": _head(gateway, "X-Trace: 1\r\n\tmore\r\n", length=n).encode() + body,
        "a bare LF ending a header line": _head(gateway, "X-Trace: 1\n", length=n).encode() + body,
        "bare LFs throughout the head": _head(gateway, length=n, eol="\n").encode()[:-2] + b"\n" + body,
        "a Content-Length with leading zeros": _head(gateway, f"Content-Length: 0{n}\r\n").encode() + body,
        "a Content-Length given twice alike": _head(gateway, f"Content-Length: {n}\r\nContent-Length: {n}\r\n").encode() + body,
        "a Content-Length listing its value twice": _head(gateway, f"Content-Length: {n}, {n}\r\n").encode() + body,
        # h11 takes anything after ';' for a chunk extension; a proxy may end the line at a bare
        # CR, or read a quoted extension across the CRLF.
        "a chunk extension": chunked + b"%x;ext=1\r\n%s\r\n0\r\n\r\n" % (n, body),
        "a chunk extension holding a bare CR": chunked + b"%x;a\rb\r\n%s\r\n0\r\n\r\n" % (n, body),
        "a chunk extension opening a quote": chunked + b'%x;a="\r\n%s\r\n0\r\n\r\n' % (n, body),
        "a chunk extension on the last chunk": chunked + b"%x\r\n%s\r\n0;x\r\n\r\n" % (n, body),
        # A proxy that reads 16 digits at most takes the first 16 zeros for the last chunk.
        "a chunk size of 19 hex digits": chunked + b"%019x\r\n%s\r\n0\r\n\r\n" % (n, body),
        "a chunk size with a space after it": chunked + b"%x \r\n%s\r\n0\r\n\r\n" % (n, body),
        # A proxy that cuts the size at 64 bits reads n; h11 waits for 2**64 bytes more.
        "a chunk size past 64 bits": chunked + b"%x\r\n%s\r\n0\r\n\r\n" % (2**64 + n, body),
        # HTTP/1.0 has no Transfer-Encoding: a proxy may read this body as having no length.
        "a chunked HTTP/1.0 request": _head(gateway, "Transfer-Encoding: chunked\r\n").replace(
            "HTTP/1.1", "HTTP/1.0", 1).encode() + _chunked(body),
    }


# Cases refused once the body is read, its tool named in the audit line.
BODY_READ_CASES = ["a trailer Mcp-Name", "any trailer", "a chunk extension", "a chunk extension holding a bare CR",
                   "a chunk extension opening a quote", "a chunk extension on the last chunk",
                   "a chunk size of 19 hex digits", "a chunk size with a space after it"]
SMUGGLING_CASES = ["a folded header line", "a folded header line (tab)",
                   "a bare LF ending a header line", "bare LFs throughout the head",
                   "a Content-Length with leading zeros", "a Content-Length given twice alike",
                   "a Content-Length listing its value twice", *BODY_READ_CASES, "a chunk size past 64 bits",
                   "a chunked HTTP/1.0 request"]


@pytest.mark.parametrize("case", SMUGGLING_CASES)
def test_framing_a_proxy_may_read_otherwise_is_refused_audited_and_the_connection_closed(
        gateway: Gateway, case: str) -> None:
    """h11, under the gateway, reads trailer fields after a chunked body, folded header lines,
    bare LF line ends, a Content-Length with leading zeros or given twice alike, anything after
    a chunk size's ';' as an extension, sizes of up to 20 hex digits with spaces after them,
    and a chunked body in HTTP/1.0; a proxy in front may read each otherwise (a trailer it never
    saw, a header of its own where the line is folded, another end of a chunk or of the body)
    and take the rest of the connection for a request of its own. Each is refused 400 before
    anything is decided or sent, audited as a refused message that may be a call, and the
    connection closed, so the request after it on the connection is never read."""
    after = call(2, "list_flows", {"namespace": "after-smuggled"})
    second = _head(gateway, length=len(after)).encode() + after
    with socket.create_connection((gateway.host, gateway.port), timeout=15) as sock:
        sock.sendall(_smuggling_cases(gateway)[case] + second)
        seen = b""
        while chunk := sock.recv(65536):
            seen += chunk
    assert seen.startswith(b"HTTP/1.1 400"), (case, seen[:300])
    assert seen.count(b"HTTP/1.1 ") == 1, (case, seen)
    head, _, answer = seen.partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower(), (case, head)
    error = json.loads(answer)["error"]
    assert error["code"] == wire.INVALID_REQUEST and error["message"].startswith("Bad Request: "), (case, error)
    assert gateway.check_server_side() == []
    # A chunk line or a trailer is read with the body: its line names the call's tool, as for a
    # header that does not match the body. A head refused is refused before its body is read,
    # and a body whose chunk size h11 reads past 64 bits before it is all read: it may be a
    # call, with no tool named.
    tool = "list_flows" if case in BODY_READ_CASES else None
    assert [(a["tool"], a["decision"], a["rule"], a["code"], a["reason"]) for a in gateway.audit()] == [
        (tool, "refused", "wire", wire.INVALID_REQUEST, error["message"])], case


@pytest.mark.parametrize(("method", "framing"), [("GET", "length"), ("DELETE", "length"), ("GET", "chunked"),
                                                ("DELETE", "chunked")])
def test_a_get_or_delete_with_a_body_is_refused_and_the_connection_closed(gateway: Gateway, method: str,
                                                                          framing: str) -> None:
    """A GET or DELETE carries no message, and a proxy in front may forward one without its body
    or read the body as a request of its own, where the gateway read the body and dropped it: the
    two then disagree on which answer is whose. Refused 400 before anything else is done (a
    DELETE does not end its session), the connection closed so nothing after it is read, and a
    WARNING line in the log (no audit line: there is no message). Before, a GET opened the
    session's stream and a DELETE ended the session, each answered 200, the body dropped."""
    session = gateway.initialize(gateway.alice)
    log_from = len((gateway.tmp / "gateway.log").read_text(encoding="utf-8"))
    body = call(1, "delete_flow", DENIED, modern=False)
    lines = "".join(f"{k}: {v}\r\n" for k, v in legacy_headers(gateway.alice, session))
    head = f"{method} {gateway.path} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n{lines}"
    request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body if framing == "length" else (
        head + "Transfer-Encoding: chunked\r\n\r\n").encode() + _chunked(body)
    after = call(2, "list_flows", {"namespace": "after-get-body"}, modern=False)
    second = (f"POST {gateway.path} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n{lines}"
              f"Content-Length: {len(after)}\r\n\r\n").encode() + after
    with socket.create_connection((gateway.host, gateway.port), timeout=15) as sock:
        sock.sendall(request + second)
        seen = b""
        # Until the gateway closes the connection; a GET answered with a stream never would.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (chunk := sock.recv(65536)):
            seen += chunk
    assert seen.startswith(b"HTTP/1.1 400"), seen[:300]
    assert seen.count(b"HTTP/1.1 ") == 1, seen
    head_seen, _, answer = seen.partition(b"\r\n\r\n")
    assert b"connection: close" in head_seen.lower(), head_seen
    assert json.loads(answer)["error"]["message"] == http_framing.BODY_NOT_POST
    assert gateway.check_server_side() == []
    assert gateway.audit() == []
    log = (gateway.tmp / "gateway.log").read_text(encoding="utf-8")[log_from:]
    # Its WARNING line may be among those a flood is told by count (the module's gateway is shared): its debug line.
    assert f"refused an HTTP request ({http_framing.BODY_NOT_POST})" in log
    # The session was not ended: it serves its next call.
    again = gateway.post(legacy_headers(gateway.alice, session), call(3, "list_flows", {"namespace": "get-body"},
                                                                      modern=False))
    assert again.status == 200, again
    assert gateway.check_server_side() == [("list_flows", {"namespace": "get-body"})]


@pytest.mark.parametrize(("header", "value"), [
    ("Content_Length", "0"), ("Transfer_Encoding", "chunked"), ("content_length", "5"), ("Content_Type", "text/plain"),
    ("Content_Encoding", "gzip"), ("Mcp_Session_Id", "0" * 32), ("MCP_Protocol_Version", "2025-06-18")])
def test_a_framing_or_routing_header_spelled_with_underscores_is_refused_and_the_connection_closed(
        gateway: Gateway, header: str, value: str) -> None:
    """CGI-style readers (WSGI, PHP, nginx with underscores_in_headers) read `Content_Length`
    as Content-Length: a proxy in front may frame the body, read its type or encoding, or route
    to a session by it, where h11 and the gateway read a header of another name. Beside the real
    header of a session's call, each is refused 400 and the connection closed, before anything
    is decided or sent, as the other framing a proxy may read otherwise."""
    session = gateway.initialize(gateway.alice)
    body = call(1, "list_flows", {"namespace": "underscored"}, modern=False)
    lines = "".join(f"{k}: {v}\r\n" for k, v in legacy_headers(gateway.alice, session))
    head = f"POST {gateway.path} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n{lines}{header}: {value}\r\n"
    after = call(2, "list_flows", {"namespace": "after-underscored"}, modern=False)
    second = f"POST {gateway.path} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n{lines}Content-Length: {len(after)}\r\n\r\n"
    with socket.create_connection((gateway.host, gateway.port), timeout=15) as sock:
        sock.sendall((head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body + second.encode() + after)
        seen = b""
        while chunk := sock.recv(65536):
            seen += chunk
    assert seen.startswith(b"HTTP/1.1 400"), (header, seen[:300])
    assert seen.count(b"HTTP/1.1 ") == 1, (header, seen)
    head_seen, _, answer = seen.partition(b"\r\n\r\n")
    assert b"connection: close" in head_seen.lower(), head_seen
    shown = http_framing.ROUTING_HEADERS[header.replace("_", "-").lower().encode()]
    assert json.loads(answer)["error"]["message"] == http_framing.UNDERSCORED.format(shown)
    assert gateway.check_server_side() == []
    assert [(a["tool"], a["decision"], a["reason"]) for a in gateway.audit()] == [
        (None, "refused", http_framing.UNDERSCORED.format(shown))]
    # Other headers may be spelled with underscores, as a client's own (X_Trace) may be.
    served = gateway.post(legacy_headers(gateway.alice, session) + [("X_Trace", "1")],
                          call(3, "list_flows", {"namespace": "x-underscored"}, modern=False))
    assert served.status == 200, served
    assert gateway.check_server_side() == [("list_flows", {"namespace": "x-underscored"})]


# Spellings of the endpoint's path that some readers (a proxy, a router, a framework) take for
# /mcp and others do not; `{url}` is the gateway's own address (the absolute form).
OTHER_SPELLINGS = ["/mcp/", "/%6dcp", "/%6Dcp", "/m%63p", "/%2fmcp", "/%6d%63%70", "//mcp", "/./mcp", "/x/../mcp",
                   "/mcp;x", "/mcp;", "/MCP", "/Mcp", "/mcp%20", "/mcp%00", "/mcp/.", "{url}"]


@pytest.mark.parametrize("spelling", OTHER_SPELLINGS)
def test_the_endpoint_is_served_at_its_path_as_spelled_only(gateway: Gateway, spelling: str) -> None:
    """A proxy in front may allow, limit or log the endpoint by its raw path, and another
    spelling of it (a trailing slash, a letter percent-encoded, a doubled slash, a parameter
    after ';', capitals) would pass it by, if the gateway served that spelling as /mcp. Each is
    404 with a JSON-RPC refusal and a debug line, nothing decided or forwarded."""
    target = spelling.format(url=f"http://127.0.0.1:{gateway.port}{gateway.path}")
    log_from = len((gateway.tmp / "gateway.log").read_text(encoding="utf-8"))
    for headers, body in (
            (modern_headers(gateway.alice, "tools/call", "list_flows"), call(1, "list_flows", {"namespace": "spelled"})),
            (legacy_headers(gateway.alice), _dump({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}}))):
        answer = gateway.post(headers, body, target=target)
        assert answer.status == 404, (spelling, answer)
        assert answer.json()["error"] == {"code": wire.INVALID_REQUEST,
                                          "message": "Not Found: this gateway serves /mcp only"}, spelling
        assert "mcp-session-id" not in answer.headers, spelling
    assert gateway.check_server_side() == []
    assert gateway.audit() == []
    log = (gateway.tmp / "gateway.log").read_text(encoding="utf-8")[log_from:]
    assert "refused an HTTP request for a path other than /mcp" in log, log[-2000:]


def test_a_query_string_leaves_the_path_as_it_is(gateway: Gateway) -> None:
    """The path is what comes before '?': a query string (MCP clients send none) changes nothing
    about which endpoint a proxy or the gateway reads, and the gateway reads none of it."""
    answer = gateway.post(modern_headers(gateway.alice, "tools/call", "list_flows"),
                          call(1, "list_flows", {"namespace": "query"}), target=f"{gateway.path}?x=1")
    assert answer.status == 200, answer
    assert gateway.check_server_side() == [("list_flows", {"namespace": "query"})]


def test_a_chunked_body_without_trailer_fields_is_served(gateway: Gateway) -> None:
    """Chunked bodies themselves are HTTP/1.1 as clients send them: only trailer fields, chunk
    extensions and sizes that are not 1 to 16 hex digits are refused. Here the body comes in
    three chunks, one size in capitals with leading zeros to 16 digits."""
    body = call(1, "list_flows", {"namespace": "chunked"})
    first, second, third = body[:10], body[10:30], body[30:]
    chunks = b"%x\r\n%s\r\n%016X\r\n%s\r\n%X\r\n%s\r\n0\r\n\r\n" % (
        len(first), first, len(second), second, len(third), third)
    with socket.create_connection((gateway.host, gateway.port), timeout=15) as sock:
        sock.sendall(_head(gateway, "Transfer-Encoding: chunked\r\nConnection: close\r\n").encode() + chunks)
        seen = b""
        while chunk := sock.recv(65536):
            seen += chunk
    assert seen.startswith(b"HTTP/1.1 200"), seen[:300]
    assert gateway.check_server_side() == [("list_flows", {"namespace": "chunked"})]


@pytest.mark.parametrize(
    ("case", "status", "tool", "reason"),
    [
        ("a media type not read", 415, None, "Unsupported Media Type: use application/json (UTF-8)"),
        ("a body declared compressed", 415, None,
         "Unsupported Media Type: send the body uncompressed (no Content-Encoding but identity)"),
        ("no session", 400, "list_flows", "Bad Request: the Mcp-Session-Id header is missing (send initialize first)"),
        ("an unknown session", 404, "list_flows", "Session not found"),
        ("a session id given twice", 400, "list_flows", "Bad Request: Mcp-Session-Id is given 2 times"),
    ],
)
def test_a_call_refused_for_the_exchange_around_it_is_audited(gateway: Gateway, case: str, status: int,
                                                             tool: str | None, reason: str) -> None:
    """A call refused for its media type or encoding (before its body is read) or for its
    session (outside any) was never decided or sent, and is still a call a client attempted:
    it has its `refused` audit line, naming the tool when its body was read, as every other
    refused call does."""
    session = gateway.initialize(gateway.alice)
    headers = {
        "a media type not read": [(k, "text/plain" if k == "Content-Type" else v) for k, v in legacy_headers(gateway.alice, session)],
        "a body declared compressed": legacy_headers(gateway.alice, session) + [("Content-Encoding", "gzip")],
        "no session": legacy_headers(gateway.alice),
        "an unknown session": legacy_headers(gateway.alice, "0" * 32),
        "a session id given twice": legacy_headers(gateway.alice, session) + [("Mcp-Session-Id", session)],
    }[case]
    answer = gateway.post(headers, call(1, "list_flows", {"namespace": "outside"}, modern=False))
    assert (answer.status, answer.json()["error"]["message"]) == (status, reason), case
    assert gateway.check_server_side() == []
    assert [(a["tool"], a["decision"], a["rule"], a["code"], a["reason"]) for a in gateway.audit()] == [
        (tool, "refused", "wire", wire.INVALID_REQUEST, reason)], case


@own_gateway
def test_requests_refused_before_a_message_is_read_are_told_fewer_in_a_flood(gateway: Gateway) -> None:
    """A GET or a list request for no session is no call: one WARNING line each, no audit line.
    A flood of calls in a media type the gateway does not read has an audit line for each (the
    audit log keeps every call attempted, as for denied calls), and at most WARNINGS_PER_WINDOW
    WARNING lines a window: the log does not grow with the flood."""
    from policytui.gateway.refused import WARNINGS_PER_WINDOW

    unknown = legacy_headers(gateway.alice, "0" * 32)
    assert gateway.post(unknown, b"", method="GET").status == 404
    listing = gateway.post(unknown, _dump({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}))
    assert listing.status == 404
    log = (gateway.tmp / "gateway.log").read_text(encoding="utf-8")
    assert log.count("refused a client message of grant alice (session http:): Session not found "
                     "(not a tool call; not audited)") == 2, log[-3000:]
    assert gateway.audit() == []
    flood = WARNINGS_PER_WINDOW + 5
    plain = [(k, "text/plain" if k == "Content-Type" else v) for k, v in modern_headers(gateway.alice, "tools/call", "list_flows")]
    for n in range(flood):
        assert gateway.post(plain, call(n, "list_flows", {"namespace": f"flood-{n}"})).status == 415
    assert gateway.check_server_side() == []
    assert [(a["tool"], a["decision"]) for a in gateway.audit()] == [(None, "refused")] * flood
    log = (gateway.tmp / "gateway.log").read_text(encoding="utf-8")
    assert log.count("refused a client message of grant ") == WARNINGS_PER_WINDOW, log[-3000:]


# Sessions, grants, ids ------------------------------------------------------------------------


@own_gateway
def test_modern_requests_of_one_grant_do_not_share_ids_in_progress(gateway: Gateway) -> None:
    """Without a session, every 2026-07-28 request stands alone: a request of one client (another
    agent on the same token, or another token of the grant) is never refused because another
    client has a request with the same id in progress."""
    waiting, out = _in_thread(lambda: gateway.post(modern_headers(gateway.alice, "tools/call", "list_flows"),
                                                   call(1, "list_flows", {"namespace": "approve-me"})))
    _wait_for(lambda: "approval" in (gateway.tmp / "gateway.log").read_text().lower() or not waiting.is_alive(), 10)
    time.sleep(0.3)
    for token, marker in ((gateway.alice2, "other-token"), (gateway.alice, "same-token"), (gateway.bob, "other-grant")):
        answer = gateway.post(modern_headers(token, "tools/call", "list_flows"), call(1, "list_flows", {"namespace": marker}))
        assert answer.status == 200 and answer.headers["content-type"] == "application/json", (marker, answer)
        assert answer.json()["id"] == 1 and answer.json()["result"]["isError"] is False, (marker, answer.json())
    waiting.join(20)
    assert "no human answered" in json.dumps(out["answer"].json())
    calls = gateway.check_server_side()
    assert sorted(args["namespace"] for _, args in calls) == ["other-grant", "other-token", "same-token"]


@own_gateway
def test_the_sessions_of_a_grant_are_capped(gateway: Gateway) -> None:
    """Opening sessions without end (never a DELETE) must not fill the gateway's memory: past
    MAX_SESSIONS_PER_GRANT the grant's least recently used idle session is ended; another
    grant's sessions are untouched."""
    bob = gateway.initialize(gateway.bob)
    first = gateway.initialize(gateway.alice)
    body = _dump({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "flood", "version": "1"}}})
    opened = []
    sock_headers = "".join(f"{k}: {v}\r\n" for k, v in legacy_headers(gateway.alice))
    request = (f"POST {gateway.path} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n{sock_headers}"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection((gateway.host, gateway.port), timeout=30) as sock:  # keep-alive: quick
        reader = sock.makefile("rb")
        for _ in range(http_relay.MAX_SESSIONS_PER_GRANT + 5):
            sock.sendall(request)
            status = reader.readline()
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                key, _, value = line.decode().partition(":")
                if key.lower() == "content-length":
                    length = int(value)
                if key.lower() == "mcp-session-id":
                    opened.append(value.strip())
            reader.read(length)
            assert b" 200 " in status, status
    list_body = b'{"jsonrpc":"2.0","id":9,"method":"tools/list"}'
    assert gateway.post(legacy_headers(gateway.alice, first), list_body).status == 404  # the least recently used: ended
    assert gateway.post(legacy_headers(gateway.alice, opened[-1]), list_body).status == 200
    assert gateway.post(legacy_headers(gateway.bob, bob), list_body).status == 200
    gateway.check_server_side()


def test_a_session_is_its_tokens_alone_and_ends_for_good(gateway: Gateway) -> None:
    alice = gateway.initialize(gateway.alice)
    body = call(2, "list_flows", {"namespace": "stolen"}, modern=False)
    for token in (gateway.bob, gateway.alice2):  # another grant, and another token of the same grant
        assert gateway.post(legacy_headers(token, alice), body).status == 404
        assert gateway.post(legacy_headers(token, alice), b"", method="DELETE").status == 404
        assert gateway.post(legacy_headers(token, alice), b"", method="GET", length=False).status == 404
    assert gateway.post(legacy_headers(gateway.alice, alice), call(3, "list_flows", {"namespace": "mine"}, modern=False)).status == 200
    # Two session ids: which one counts is up to the reader; neither does, and the client is
    # told so (it was told the header was missing).
    for second in (alice, gateway.initialize(gateway.alice)):
        twice = gateway.post(legacy_headers(gateway.alice, alice) + [("Mcp-Session-Id", second)], body)
        assert twice.status == 400
        assert twice.json()["error"]["message"] == "Bad Request: Mcp-Session-Id is given 2 times", twice.json()
    assert gateway.post(legacy_headers(gateway.alice, alice), b"", method="DELETE").status == 200
    assert gateway.post(legacy_headers(gateway.alice, alice), body).status == 404
    assert gateway.post(legacy_headers(gateway.alice, alice), b"", method="DELETE").status == 404
    assert gateway.check_server_side() == [("list_flows", {"namespace": "mine"})]


def test_a_modern_meta_inside_a_legacy_session(gateway: Gateway) -> None:
    """A session's request that names another protocol version in its `_meta` is refused or
    served as a modern request, never forwarded unchecked; the session id is no way around the
    header rules."""
    session = gateway.initialize(gateway.alice)
    other = json.loads(call(2, "delete_flow", DENIED))
    other["params"]["_meta"] = {"io.modelcontextprotocol/protocolVersion": "2025-06-18",
                                "io.modelcontextprotocol/clientCapabilities": {}}
    answer = gateway.post(legacy_headers(gateway.alice, session), _dump(other))
    assert answer.json()["error"]["code"] == -32022
    # A modern _meta without the modern headers: a mismatch.
    answer = gateway.post(legacy_headers(gateway.alice, session), call(3, "list_flows", {"namespace": "modern-in-session"}))
    assert answer.status == 400 and answer.json()["error"]["code"] == HEADER_MISMATCH
    # With them, a modern request (the session id ignored), decided the same.
    headers = modern_headers(gateway.alice, "tools/call", "delete_flow") + [("Mcp-Session-Id", session)]
    assert gateway.post(headers, call(4, "delete_flow", DENIED)).json()["result"]["isError"] is True
    # initialize under a modern _meta: removed in 2026-07-28.
    init = _dump({"jsonrpc": "2.0", "id": 5, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}, "_meta": META}})
    assert gateway.post(modern_headers(gateway.alice, "initialize"), init).json()["error"]["code"] == wire.METHOD_NOT_FOUND
    assert gateway.check_server_side() == []
    # The two refused calls are audited as such (initialize is no call), the decided one denied.
    assert [(a["tool"], a["decision"]) for a in gateway.audit()] == [
        ("delete_flow", "refused"), ("list_flows", "refused"), ("delete_flow", "denied")]


def test_a_modern_client_asking_for_the_hidden_tool_by_name(gateway: Gateway) -> None:
    hidden = gateway.post(modern_headers(gateway.alice, "tools/call", "read_secret"), call(1, "read_secret", {}))
    missing = gateway.post(modern_headers(gateway.alice, "tools/call", "no_such_tool"), call(1, "no_such_tool", {}))
    assert hidden.status == missing.status == 200
    assert hidden.body == missing.body.replace(b"no_such_tool", b"read_secret")
    listed = gateway.post(modern_headers(gateway.alice, "tools/list"),
                          _dump({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": META}})).json()
    assert "read_secret" not in [tool["name"] for tool in listed["result"]["tools"]]
    assert listed["result"]["cacheScope"] == "private" and listed["result"]["ttlMs"] == 0
    assert gateway.check_server_side() == []


@own_gateway
def test_the_limit_holds_across_tokens_sessions_and_protocols_at_once(gateway: Gateway) -> None:
    """Twenty calls at once from two tokens of one grant, half of them in a legacy session and
    half modern, all with the same id: exactly LIMIT reach the server."""
    session = gateway.initialize(gateway.alice)
    work = []
    for n in range(20):
        if n % 2:
            work.append(lambda n=n: gateway.post(modern_headers(gateway.alice2, "tools/call", "list_flows"),
                                                 call(1, "list_flows", {"namespace": f"race-{n}"})))
        else:
            work.append(lambda n=n: gateway.post(legacy_headers(gateway.alice, session),
                                                 call(f"r{n}", "list_flows", {"namespace": f"race-{n}"}, modern=False)))
    threads = [_in_thread(each) for each in work]
    for thread, _ in threads:
        thread.join(60)
    answers = [out["answer"].json() for _, out in threads]
    passed = [a for a in answers if "result" in a and not a["result"]["isError"]]
    assert len(passed) == LIMIT, answers
    assert len(gateway.check_server_side()) == LIMIT
    assert sorted(a["decision"] for a in gateway.audit()) == ["allowed"] * LIMIT + ["denied"] * (20 - LIMIT)


# Approvals and cancellation across sessions ---------------------------------------------------


def _stream_until(gateway: Gateway, headers: list[tuple[str, str]], body: bytes, marker: bytes) -> tuple[socket.socket, bytes]:
    """POST and read the event stream until `marker` arrives; the socket stays open."""
    sock = socket.create_connection((gateway.host, gateway.port), timeout=30)
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers)
    sock.sendall((f"POST {gateway.path} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n{lines}"
                  f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
    seen = b""
    while marker not in seen:
        chunk = sock.recv(65536)
        assert chunk, seen
        seen += chunk
    return sock, seen


@own_gateway
def test_another_session_cannot_answer_or_cancel_an_approval(gateway: Gateway) -> None:
    """Alice's call waits for her approval by elicitation. Bob's session, and a second session of
    Alice's own grant, answer the gateway's elicitation id with "approve" and cancel her request:
    neither approves nor cancels it. Her call times out unapproved and never reaches the server."""
    alice = gateway.initialize(gateway.alice, {"elicitation": {"form": {}}})
    sock, seen = _stream_until(gateway, legacy_headers(gateway.alice, alice),
                               call("waiting", "list_flows", {"namespace": "approve-please"}, modern=False),
                               b"elicitation/create")
    try:
        event = next(json.loads(line[5:]) for line in seen.decode().splitlines() if line.startswith("data:"))
        forged = _dump({"jsonrpc": "2.0", "id": event["id"], "result": {"action": "accept", "content": {"approve": True}}})
        cancel = _dump({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "waiting"}})
        for token in (gateway.bob, gateway.alice2):
            other = gateway.initialize(token, {"elicitation": {"form": {}}})
            assert gateway.post(legacy_headers(token, other), forged).status == 202
            assert gateway.post(legacy_headers(token, other), cancel).status == 202
            assert gateway.post(legacy_headers(token, alice), forged).status == 404  # her session, not theirs
            # And as a modern "answer": the requestState is missing, so no approval.
            retry = json.loads(call(9, "list_flows", {"namespace": "approve-please"}))
            retry["params"]["inputResponses"] = {"policytui-approval": {"action": "accept", "content": {"approve": True}}}
            retry["params"]["requestState"] = "e30." + "A" * 43
            answer = gateway.post(modern_headers(token, "tools/call", "list_flows"), _dump(retry))
            assert answer.json()["result"]["isError"] is True
        while b'"id":"waiting"' not in seen:
            chunk = sock.recv(65536)
            assert chunk, seen
            seen += chunk
    finally:
        sock.close()
    assert b"rejected" in seen or b"no human answered" in seen or b"POLICY DENIED" in seen, seen[-400:]
    assert gateway.check_server_side() == []
    decisions = [(a["tool"], a["decision"], a.get("upstream")) for a in gateway.audit()]
    assert decisions.count(("list_flows", "denied", None)) == 3, decisions
    assert not [a for a in gateway.audit() if a.get("approval") == "approved"]


@own_gateway
def test_a_client_that_leaves_mid_stream_costs_one_audit_line(gateway: Gateway) -> None:
    """A POST closed while its call waits for approval: the call is cancelled, audited once, never
    forwarded, and the gateway goes on serving the session."""
    alice = gateway.initialize(gateway.alice, {"elicitation": {"form": {}}})
    sock, _ = _stream_until(gateway, legacy_headers(gateway.alice, alice),
                            call("leaving", "list_flows", {"namespace": "approve-then-leave"}, modern=False),
                            b"elicitation/create")
    sock.close()
    _wait_for(lambda: len(gateway.audit()) == 1)
    answer = gateway.post(legacy_headers(gateway.alice, alice), call("after", "list_flows", {"namespace": "after"}, modern=False))
    assert answer.json()["result"]["isError"] is False
    assert gateway.check_server_side() == [("list_flows", {"namespace": "after"})]
    assert [a["tool"] for a in gateway.audit()] == ["list_flows", "list_flows"]


@own_gateway
def test_a_modern_approval_state_is_the_grants_the_calls_and_single_use(gateway: Gateway) -> None:
    """The `requestState` of an `input_required` approval is signed and bound to the tool, the
    arguments and the grant: another grant, other arguments, a tampered or a replayed state is a
    rejection, and only the approved call reaches the server, once."""
    capable = {**META, "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}}
    args = {"namespace": "approve-this"}

    def ask(token: str, arguments: dict[str, Any], state: str | None = None) -> dict[str, Any]:
        message = json.loads(call(1, "list_flows", arguments))
        message["params"]["_meta"] = capable
        if state is not None:
            message["params"]["inputResponses"] = {"policytui-approval": {"action": "accept", "content": {"approve": True}}}
            message["params"]["requestState"] = state
        return gateway.post(modern_headers(token, "tools/call", "list_flows"), _dump(message)).json()["result"]

    first = ask(gateway.alice, args)
    assert first["resultType"] == "input_required"
    state = first["requestState"]
    payload, mac = state.split(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + mac
    for token, arguments, given in (
        (gateway.bob, args, state),  # another grant
        (gateway.alice, {"namespace": "approve-that"}, state),  # other arguments
        (gateway.alice, args, tampered),
        (gateway.alice, args, state + "x"),
    ):
        refused = ask(token, arguments, given)
        assert refused["isError"] is True and "rejected" in json.dumps(refused), (token, arguments, given)
    assert ask(gateway.alice, args, state)["isError"] is False  # the genuine answer, once
    assert ask(gateway.alice, args, state)["isError"] is True  # replayed
    assert gateway.check_server_side() == [("list_flows", args)]
    assert [a.get("approval") for a in gateway.audit()].count("approved") == 1


@own_gateway
def test_deleting_a_session_while_its_call_waits_for_approval(gateway: Gateway) -> None:
    """DELETE while a call waits for its approval: the call ends with one audit line, never
    reaches the server, and the session is gone for every token."""
    alice = gateway.initialize(gateway.alice, {"elicitation": {"form": {}}})
    sock, _ = _stream_until(gateway, legacy_headers(gateway.alice, alice),
                            call("held", "list_flows", {"namespace": "approve-then-delete"}, modern=False),
                            b"elicitation/create")
    try:
        assert gateway.post(legacy_headers(gateway.alice, alice), b"", method="DELETE").status == 200
        _wait_for(lambda: len(gateway.audit()) == 1)
        answer = gateway.post(legacy_headers(gateway.alice, alice), call("late", "list_flows", {"namespace": "late"}, modern=False))
        assert answer.status == 404
    finally:
        sock.close()
    time.sleep(0.5)
    assert gateway.check_server_side() == []
    # The late call, sent to a session that is gone, is a call attempted: refused, and audited so.
    assert [(a["tool"], a["decision"], a["reason"]) for a in gateway.audit()] == [
        ("list_flows", "denied", "cancelled while waiting for approval"), ("list_flows", "refused", "Session not found")]


# ----- clients that hold the gateway's resources -------------------------------------------------


# What the two tests below give `--client-timeout`: below the default (10 s), so that each
# shows the setting is what times the client (a gateway that waited 10 s would fail them).
CLIENT_SECONDS = 3


@own_gateway(options=["--client-timeout", str(CLIENT_SECONDS)])
def test_a_body_that_never_arrives_is_refused_in_time(gateway: Gateway) -> None:
    """A client announces 100 bytes and sends 10: refused with 408 once the client time-out
    passes, the connection closed, and nothing reaches the server."""
    assert CLIENT_SECONDS + 6 < http_relay.BODY_SECONDS  # the default waited out fails the test
    started = time.monotonic()
    with socket.create_connection((gateway.host, gateway.port), timeout=http_relay.BODY_SECONDS + 20) as sock:
        sock.sendall(f"POST {gateway.path} HTTP/1.1\r\nHost: {gateway.host}\r\nAuthorization: Bearer {gateway.alice}\r\n"
                     "Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: 100\r\n\r\n"
                     '{"jsonrpc"'.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert CLIENT_SECONDS - 1 < waited < CLIENT_SECONDS + 6
    assert gateway.check_server_side() == []
    assert [(a["tool"], a["decision"], a["reason"]) for a in gateway.audit()] == [
        (None, "refused", "Request Timeout: the body did not arrive in time")]


@own_gateway(options=["--client-timeout", str(CLIENT_SECONDS)])
def test_a_request_head_that_never_ends_is_cut_off_in_time(gateway: Gateway) -> None:
    """Connections that send nothing, or a request line and headers that never end (slowloris),
    before any token is checked: each is closed once the client time-out passes, so nobody without a
    token holds the gateway's connections (and file descriptors) for good, and a client with a
    token is served meanwhile and after. A GET stream and a call answered later are not cut."""
    from policytui.gateway import http as gateway_http

    assert CLIENT_SECONDS + 6 < gateway_http.HEAD_SECONDS  # the default waited out fails the test
    session = gateway.initialize(gateway.alice)
    stream = socket.create_connection((gateway.host, gateway.port))
    stream.sendall(f"GET {gateway.path} HTTP/1.1\r\nHost: {gateway.host}\r\nAuthorization: Bearer {gateway.alice}\r\n"
                   f"Accept: text/event-stream\r\nMcp-Session-Id: {session}\r\n\r\n".encode())
    assert stream.recv(1024).startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    held = [socket.create_connection((gateway.host, gateway.port)) for _ in range(20)]
    try:
        for number, sock in enumerate(held):
            if number % 2:  # the other half sends nothing at all
                sock.sendall(f"POST {gateway.path} HTTP/1.1\r\nHost: {gateway.host}\r\nX-Slow: 1\r\n".encode())
        answer = gateway.post(legacy_headers(gateway.alice, session), call(1, "list_flows", {"namespace": "meanwhile"},
                                                                   modern=False))
        assert answer.status == 200 and answer.events()[-1]["result"]["content"][0]["text"]
        for sock in held:
            sock.settimeout(gateway_http.HEAD_SECONDS + 15)  # the default, were the setting not taken
            assert sock.recv(1024) == b"", "a connection without a whole request head was answered"
        waited = time.monotonic() - started
        assert CLIENT_SECONDS - 1 < waited < CLIENT_SECONDS + 6
        # The session's GET stream, open all along, is still served: a policy that hides one
        # tool more, read again within the reload interval (1 s), is announced on it.
        (gateway.tmp / "policy.json").write_text(json.dumps({**POLICY, "hide": [*POLICY["hide"], "purge_ids"]}),
                                                 encoding="utf-8")
        stream.settimeout(30)
        seen = b""
        while b"notifications/tools/list_changed" not in seen:
            chunk = stream.recv(65536)
            assert chunk, f"the session's GET stream was closed: {seen!r}"
            seen += chunk
    finally:
        for sock in held:
            sock.close()
        stream.close()
    again = gateway.post(legacy_headers(gateway.alice, session), call(2, "list_flows", {"namespace": "after"}, modern=False))
    assert again.status == 200
    assert gateway.check_server_side() == [("list_flows", {"namespace": "meanwhile"}), ("list_flows", {"namespace": "after"})]


# A gateway allowed this many file descriptors (soft and hard), as `ulimit -n` sets them.
FEW_DESCRIPTORS = 256
# Sets them, then runs policytui as `python -m policytui` does, with the arguments that follow.
WITH_FEW_DESCRIPTORS = (sys.executable, "-c", (
    "import resource, runpy; "
    f"resource.setrlimit(resource.RLIMIT_NOFILE, ({FEW_DESCRIPTORS}, {FEW_DESCRIPTORS})); "
    "runpy.run_module('policytui', run_name='__main__', alter_sys=True)"))


def test_connections_without_a_token_cannot_use_up_the_descriptors(tmp_path: Path) -> None:
    """Anyone who reaches the port opens more connections than the gateway may have files open
    and sends nothing on them: a client with a token is answered at once meanwhile (the
    connections without one past a quarter of the descriptors are closed, the oldest first),
    its call reaches the server and is audited, and the log holds no failed accept. Before, the
    gateway could accept nothing until the client time-out let the idle ones go (10 s), the
    client with a token waiting the whole time, and each failed accept wrote a traceback."""
    (tmp_path / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    (tmp_path / "tokens.json").write_text(json.dumps({ALICE: "alice", ALICE2: "alice", BOB: "bob"}), encoding="utf-8")
    options = ["--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json"),
               "--state-dir", str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl")]
    listening = start_http_gateway(options, flows_behind_tee(tmp_path), tmp_path / "gateway.log",
                                   command=WITH_FEW_DESCRIPTORS)
    held: list[socket.socket] = []
    try:
        gateway = Gateway(listening, tmp_path)
        session = gateway.initialize(gateway.alice)
        held = [socket.create_connection((gateway.host, gateway.port)) for _ in range(FEW_DESCRIPTORS + 50)]
        started = time.monotonic()
        answer = gateway.post(legacy_headers(gateway.alice, session), call(1, "list_flows", {"namespace": "flooded"},
                                                                           modern=False))
        waited = time.monotonic() - started
        assert answer.status == 200 and answer.events()[-1]["result"]["isError"] is False, answer
        assert waited < 3, f"a client with a token waited {waited:.1f} s behind connections without one"
        # The connections without a token opened first were closed, unanswered.
        held[0].settimeout(5)
        assert held[0].recv(1024) == b""
        assert gateway.check_server_side() == [("list_flows", {"namespace": "flooded"})]
        log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
        assert "Too many open files" not in log and "out of system resource" not in log, log[-2000:]
    finally:
        for sock in held:
            sock.close()
        stop(listening.process)


FLOODING_SERVER = r'''
import json, sys
def out(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()
for line in sys.stdin:
    message = json.loads(line)
    method, mid = message.get("method"), message.get("id")
    if mid is None:
        continue
    if method == "initialize":
        out({"jsonrpc": "2.0", "id": mid, "result": {"protocolVersion": "2025-06-18",
             "capabilities": {"tools": {}, "logging": {}}, "serverInfo": {"name": "flood", "version": "1"}}})
    elif method == "tools/list":
        out({"jsonrpc": "2.0", "id": mid, "result": {"tools": [{"name": "flood", "inputSchema": {"type": "object"}}]}})
    elif method == "tools/call" and message["params"]["name"] == "flood":
        out({"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": "flooding"}]}})
        for n in range(int(sys.argv[1])):  # after the answer: these go to the session's GET stream
            out({"jsonrpc": "2.0", "method": "notifications/message",
                 "params": {"level": "info", "data": f"{n} " + "x" * 4000}})
    else:
        out({"jsonrpc": "2.0", "id": mid, "error": {"code": -32602, "message": "Unknown tool"}})
'''


def test_a_stream_its_client_does_not_read_is_ended_not_held_without_bound(tmp_path: Path) -> None:
    """A client keeps its GET stream open and never reads it while the server sends 3,000
    notifications of 4 KB: the gateway ends that stream once STREAM_BACKLOG messages wait, says
    so in its log, and serves the session's calls as before."""
    script = tmp_path / "flood.py"
    script.write_text(FLOODING_SERVER, encoding="utf-8")
    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    (tmp_path / "tokens.json").write_text(json.dumps({ALICE: "alice"}), encoding="utf-8")
    options = ["--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json"),
               "--state-dir", str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl")]
    listening = start_http_gateway(options, [sys.executable, str(script), "3000"], tmp_path / "gateway.log")
    try:
        gateway = Gateway(listening, tmp_path)
        session = gateway.initialize(gateway.alice)
        with socket.create_connection((gateway.host, gateway.port)) as stream:
            stream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stream.sendall(f"GET {gateway.path} HTTP/1.1\r\nHost: {gateway.host}\r\nAuthorization: Bearer {gateway.alice}\r\n"
                           f"Accept: text/event-stream\r\nMcp-Session-Id: {session}\r\n\r\n".encode())
            assert stream.recv(1024).startswith(b"HTTP/1.1 200")  # then never read again
            flood = _dump({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "flood", "arguments": {}}})
            assert gateway.post(legacy_headers(gateway.alice, session), flood).status == 200
            log = tmp_path / "gateway.log"
            deadline = time.monotonic() + 60
            while "does not read them" not in log.read_text(encoding="utf-8"):
                assert time.monotonic() < deadline, "the unread stream was never ended"
                time.sleep(0.1)
            # The session still serves its calls.
            again = gateway.post(legacy_headers(gateway.alice, session), _dump(
                {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}))
            assert again.status == 200 and again.events()[0]["result"]["tools"][0]["name"] == "flood"
        assert listening.process.poll() is None
    finally:
        stop(listening.process)


@pytest.mark.parametrize("version", ["bogus", "2025-06-19", "2026-07-29", ""])
def test_a_protocol_version_neither_era_speaks_is_refused_in_a_session(gateway: Gateway, version: str) -> None:
    """A handshake-era session's request whose MCP-Protocol-Version header names no version the
    gateway speaks is refused (400, as the spec asks), allowed tool or denied, before anything
    is decided: which version's rules the client meant is a guess."""
    session = gateway.initialize(gateway.alice)
    headers = [(k, v) for k, v in legacy_headers(gateway.alice, session) if k != "MCP-Protocol-Version"]
    for number, (name, args) in enumerate((("list_flows", {"namespace": "odd-version"}), ("delete_flow", DENIED))):
        answer = gateway.post(headers + [("MCP-Protocol-Version", version)], call(number, name, args, modern=False))
        assert answer.status == 400, answer
        assert answer.json()["error"]["message"].startswith("Bad Request: unsupported MCP-Protocol-Version"), answer.json()
    # The session is whole: the same call with the version it negotiated is served.
    assert gateway.post(legacy_headers(gateway.alice, session), call(9, "list_flows", {"namespace": "good"}, modern=False)).status == 200
    assert gateway.check_server_side() == [("list_flows", {"namespace": "good"})]
    # The refused two audited as refused, in the session they named, never decided.
    assert [(a["tool"], a["decision"], a["session"]) for a in gateway.audit()] == [
        ("list_flows", "refused", f"http:{session}"), ("delete_flow", "refused", f"http:{session}"),
        ("list_flows", "allowed", f"http:{session}")]
