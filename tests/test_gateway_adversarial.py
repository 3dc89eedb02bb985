"""Hostile lines against the stdio gateway, checked from the server's side.

Each real server runs behind `tests/servers/recording/tee_stdin.py`, which copies every byte
the server reads to a file before the server sees it. The servers:

- a server on the mcp Python SDK (`tests/servers/recording/flows_server.py`) that also records
  every tool call it executes;
- the Kestra server (another Python-SDK server, the one where a bare carriage return once got a
  denied DELETE through), when installed;
- the npm server-everything.

A client sends each hostile line (over stdio, and as POST bodies over `--listen` for two of
the servers), reads the answers it is owed and pings to show the gateway still serves. Then, from what the server received, the suite proves: every byte is printable
ASCII or the line end (so a server splitting lines on `\\r`, `\\r\\n` or `\\n` reads the same
messages), every line is one strict JSON-RPC message, the denied and the hidden tool never
arrived (or ran), each allowed call arrived exactly once, and the calls that arrived are
exactly the calls in the audit log (tool name and argument digest), nothing more or less.
"""

from __future__ import annotations

import asyncio
import codecs
import io
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines, sent_lines
from gateway_support import close_stdin_and_wait

from policytui.gateway import wire
from policytui.gateway.audit import args_digest

pytestmark = pytest.mark.servers

ROOT = Path(__file__).resolve().parent.parent
RECORDING = ROOT / "tests" / "servers" / "recording"
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
MISSING = "zz-no-such-tool"


@dataclass
class Target:
    """A real server and the tools the policy treats three ways."""

    name: str
    command: list[str]
    allowed: str
    allowed_args: Callable[[str], dict[str, Any]]  # arguments carrying a unique marker
    denied: str
    denied_args: dict[str, Any]
    hidden: str
    env: dict[str, str] | None = None
    executed: Path | None = None  # the server's own record of the calls it ran

    def policy(self) -> dict[str, Any]:
        return {
            "version": "1",
            "default": "deny",
            "hide": [self.hidden],
            "tools": {self.allowed: {}, self.denied: {"action": "deny", "reason": "destructive"}},
        }


def _python_sdk(tmp: Path, test_servers: Path) -> Target:
    record = tmp / "executed.jsonl"
    return Target(
        "python-sdk", [sys.executable, str(RECORDING / "flows_server.py"), str(record)],
        "list_flows", lambda marker: {"namespace": marker},
        "delete_flow", {"namespace": "prod", "flow_id": "billing"}, "read_secret", executed=record,
    )


def _kestra(tmp: Path, test_servers: Path) -> Target:
    python = test_servers / "kestra" / "bin" / "python"
    if not python.exists():
        pytest.skip(f"the Kestra server is not installed at {python} (run tests/servers/install.sh)")
    code = "import sys, src; sys.path.insert(0, list(src.__path__)[0]); import server; server.main()"
    return Target(
        "kestra", [str(python), "-c", code],
        "list_namespaces", lambda marker: {"query": marker},
        "manage_flow", {"action": "delete", "namespace": "prod", "flow_id": "billing"}, "invite_user",
        env={"KESTRA_BASE_URL": "http://127.0.0.1:9/api/v1", "KESTRA_API_TOKEN": "kestra-token-do-not-print"},
    )


def _everything(tmp: Path, test_servers: Path) -> Target:
    path = test_servers / "everything" / "node_modules" / ".bin" / "mcp-server-everything"
    if not path.exists():
        pytest.skip(f"server-everything is not installed at {path} (run tests/servers/install.sh)")
    return Target(
        "everything", [str(path), "stdio"],
        "echo", lambda marker: {"message": marker},
        "gzip-file-as-resource", {"name": "x", "data": "https://example.invalid/"}, "get-env",
    )


TARGETS = {"python-sdk": _python_sdk, "kestra": _kestra, "everything": _everything}


# The hostile lines ----------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    line: bytes
    answers: list[tuple[Any, str]]  # (id, "error" | "result" | "unknown" | "denied")
    forwards: int = 0  # allowed calls carrying this case's marker that must reach the server
    marker: str = ""
    codes: set[int] = field(default_factory=set)  # acceptable error codes, when "error"


def _dump(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def _call(request_id: Any, name: Any, args: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": name, "arguments": args}}


def whitespace_positions(text: str) -> list[int]:
    """Every place JSON allows whitespace in `text`: before and after each structural token."""
    positions = {0, len(text)}
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                positions.add(i + 1)
            continue
        if ch == '"':
            in_string = True
            positions.add(i)
        elif ch in "{}[]:,":
            positions.update((i, i + 1))
    return sorted(positions)


def hostile_cases(t: Target) -> list[Case]:
    cases: list[Case] = []
    ids = iter(range(1000, 10**6))

    def allowed_call(request_id: Any, marker: str, **extra: Any) -> dict[str, Any]:
        return _call(request_id, t.allowed, {**t.allowed_args(marker), **extra})

    denied_call = _call(2, t.denied, t.denied_args)

    def cr_sweep(build: Callable[[str, int], str]) -> list[tuple[str, int, str]]:
        """(marker, id, line with one bare CR) for every whitespace position of a message."""
        count = len(whitespace_positions(build("cr-0000", 1000)))
        out = []
        for i in range(count):
            marker, request_id = f"cr-{i:04d}", next(ids)
            text = build(marker, request_id)
            at = whitespace_positions(text)[i]
            out.append((marker, request_id, text[:at] + "\r" + text[at:]))
        return out

    # The line from the field: one allowed call to a reader splitting on \n, an allowed and a
    # denied call to one splitting on \r. Here the denied call rides inside the arguments (a
    # valid message: must arrive once, as one line, with the denied call as plain data)...
    for marker, request_id, line in cr_sweep(lambda m, i: _dump(allowed_call(i, m, note=denied_call))):
        cases.append(Case(f"CR inside arguments ({marker})", line.encode(), [(request_id, "result")], 1, marker))
    # ...and as an extra envelope member, exactly as reported (refused: not JSON-RPC).
    for marker, request_id, line in cr_sweep(
        lambda m, i: _dump(allowed_call(i, m))[:-1] + ',"x":' + _dump(denied_call) + "}"
    ):
        cases.append(Case(f"CR around a smuggled member ({marker})", line.encode(), [(request_id, "error")],
                          codes={INVALID_REQUEST}))
    # A denied call with a bare CR anywhere is still the denied call.
    for _, request_id, line in cr_sweep(lambda m, i: _dump(_call(i, t.denied, t.denied_args))):
        cases.append(Case("CR in a denied call", line.encode(), [(request_id, "denied")]))

    def add(label: str, line: str | bytes, answers: list[tuple[Any, str]], forwards: int = 0,
            marker: str = "", codes: set[int] | None = None) -> None:
        data = line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
        cases.append(Case(label, data, answers, forwards, marker, codes or set()))

    # CRLF line ends.
    i = next(ids)
    add("CRLF, allowed", _dump(allowed_call(i, "crlf")) + "\r", [(i, "result")], 1, "crlf")
    i = next(ids)
    add("CRLF, denied", _dump(_call(i, t.denied, t.denied_args)) + "\r", [(i, "denied")])

    # Not standard JSON.
    for token in ("NaN", "Infinity", "-Infinity", "1e999", "-1e999"):
        i = next(ids)
        text = _dump(allowed_call(i, "nan"))[:-3] + f',"n":{token}}}}}'
        add(f"{token} in arguments", text, [(None, "error")], codes={PARSE_ERROR})
    add("NaN as the id", _dump(allowed_call(0, "nan")).replace('"id":0', '"id":NaN'), [(None, "error")])

    # Duplicate keys, in the envelope, in params, in the arguments.
    i = next(ids)
    add("method twice", f'{{"jsonrpc":"2.0","id":{i},"method":"tools/list","method":"tools/call",'
        f'"params":{{"name":{_dump(t.denied)},"arguments":{_dump(t.denied_args)}}}}}', [(i, "error")],
        codes={INVALID_REQUEST})
    for first, second in ((t.allowed, t.denied), (t.denied, t.allowed)):
        i = next(ids)
        add("name twice", f'{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":{_dump(first)},'
            f'"name":{_dump(second)},"arguments":{_dump(t.allowed_args("dup"))}}}}}', [(i, "error")],
            codes={INVALID_REQUEST})
    i = next(ids)
    args = _dump(t.allowed_args("dup"))
    add("argument twice", f'{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":{_dump(t.allowed)},'
        f'"arguments":{args[:-1]},{args[1:]}}}}}', [(i, "error")], codes={INVALID_REQUEST})
    i = next(ids)
    add("params twice", f'{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":{_dump(t.allowed)}}},'
        f'"params":{{"name":{_dump(t.denied)},"arguments":{_dump(t.denied_args)}}}}}', [(i, "error")])
    add("id twice", f'{{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{{"name":{_dump(t.denied)}}}}}',
        [(None, "error")])

    # Requests in notification form: refused, never forwarded.
    for name, args in ((t.allowed, t.allowed_args("notification")), (t.denied, t.denied_args)):
        message = _call(0, name, args)
        del message["id"]
        add(f"tools/call without an id ({name})", _dump(message), [(None, "error")], codes={INVALID_REQUEST})

    # Names that are not strings, or not there.
    for name in (7, None, True, [t.denied], {"name": t.denied}, 1.5):
        i = next(ids)
        add(f"name {name!r}", _dump(_call(i, name, {})), [(i, "error")], codes={INVALID_PARAMS})
    i = next(ids)
    add("no name", _dump({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"arguments": {}}}),
        [(i, "error")], codes={INVALID_PARAMS})
    i = next(ids)
    add("arguments not an object", _dump(_call(i, t.allowed, [1, 2])), [(i, "error")], codes={INVALID_PARAMS})
    # Arguments as JSON text (a server parsing it would run the denied call), and null.
    i = next(ids)
    add("denied arguments as JSON text", _dump(_call(i, t.denied, _dump(t.denied_args))), [(i, "error")],
        codes={INVALID_PARAMS})
    i = next(ids)
    add("allowed arguments as JSON text", _dump(_call(i, t.allowed, _dump(t.allowed_args("text")))), [(i, "error")],
        codes={INVALID_PARAMS})
    i = next(ids)
    add("denied call with null arguments", _dump(_call(i, t.denied, None)), [(i, "denied")])
    # A call dressed as a response too (a reader taking it for either), and a denied call's
    # name in `_meta` beside an allowed call, with a task of this hop's protocol there.
    for member in ("result", "error"):
        i = next(ids)
        add(f"call with a {member} member", _dump({**_call(i, t.denied, t.denied_args), member: {}}), [(i, "error")],
            codes={INVALID_REQUEST})
    i = next(ids)
    meta = {"name": t.denied, "arguments": t.denied_args,
            "io.modelcontextprotocol/related-task": {"taskId": "t-1"}}
    add("denied name in _meta", _dump({**allowed_call(i, "meta"), "params": {
        **allowed_call(i, "meta")["params"], "_meta": meta}}), [(i, "result")], 1, "meta")

    # Ids of every type.
    for request_id in (0, -7, 2**53 - 1, "", "x", "policytui-1", "\u00e9\u202e"):
        marker = f"id-{len(cases)}"
        add(f"id {request_id!r}", _dump(allowed_call(request_id, marker)), [(request_id, "result")], 1, marker)
    # -0 is the integer 0 to every reader: answered under 0.
    add("id -0", _dump(allowed_call(0, "minus-zero")).replace('"id":0', '"id":-0'), [(0, "result")], 1, "minus-zero")
    for raw in ("1.5", "1e3", "true", "false", "null", "[]", "{}", str(2**53), str(2**64), str(-(2**53))):
        add(f"id {raw}", _dump(allowed_call(0, "bad-id")).replace('"id":0', f'"id":{raw}'), [(None, "error")],
            codes={INVALID_REQUEST})

    # Batches: refused whole, each member request answered.
    a, b = next(ids), next(ids)
    add("batch", "[" + _dump(allowed_call(a, "batch")) + "," + _dump(_call(b, t.denied, t.denied_args)) + "]",
        [(a, "error"), (b, "error")], codes={INVALID_REQUEST})
    add("empty batch", "[]", [(None, "error")], codes={INVALID_REQUEST})
    add("batch of garbage", "[1,2]", [(None, "error")], codes={INVALID_REQUEST})

    # Encodings.
    i = next(ids)
    add("BOM", codecs.BOM_UTF8 + _dump(allowed_call(i, "bom")).encode(), [(None, "error")], codes={PARSE_ERROR})
    i = next(ids)
    add("UTF-16", _dump(allowed_call(i, "utf16")).encode("utf-16"), [(None, "error")], codes={PARSE_ERROR})
    i = next(ids)
    add("invalid UTF-8", _dump(allowed_call(i, "x")).encode().replace(b'"x"', b'"\xff\xfe"'), [(None, "error")],
        codes={PARSE_ERROR})
    i = next(ids)
    add("NUL after the object", _dump(allowed_call(i, "nul")) + "\x00", [(None, "error")], codes={PARSE_ERROR})
    i = next(ids)
    add("two objects on a line", _dump(allowed_call(i, "two")) + _dump(_call(next(ids), t.denied, t.denied_args)),
        [(None, "error")], codes={PARSE_ERROR})
    # Escaped unpaired surrogates: JSON to Python, not to pydantic-core (the SDK drops them).
    i = next(ids)
    add("escaped lone surrogate in the name", json.dumps(_call(i, t.denied + "\ud800", {})), [(i, "error")],
        codes={PARSE_ERROR})
    i = next(ids)
    add("escaped lone surrogate in arguments", json.dumps(allowed_call(i, "surrogate", x="\udfff")), [(i, "error")],
        codes={PARSE_ERROR})
    # Escapes spell the same name: decided (and forwarded) as that name.
    i = next(ids)
    escaped = "".join(f"\\u{ord(c):04x}" for c in t.allowed)
    add("name spelled in escapes", _dump(allowed_call(i, "escaped")).replace(_dump(t.allowed), f'"{escaped}"', 1),
        [(i, "result")], 1, "escaped")
    i = next(ids)
    escaped = "".join(f"\\u{ord(c):04x}" for c in t.denied)
    add("denied name in escapes", _dump(_call(i, t.denied, t.denied_args)).replace(_dump(t.denied), f'"{escaped}"', 1),
        [(i, "denied")])
    # Names a server folding case, compatibility forms (NFKC) or invisible characters would read
    # as the denied tool: full-width letters, a soft hyphen, a word joiner, a right-to-left
    # override, Go's long s for s (t.denied with an s). Each is a tool the server does not list.
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in t.denied)
    folded_forms = (fullwidth, t.denied[0] + "\u00ad" + t.denied[1:], t.denied + "\u2060", "\u202e" + t.denied,
                    *((t.denied.replace("s", "\u017f", 1),) if "s" in t.denied else ()))
    for variant in (t.denied + " ", t.denied.upper(), "\u200b" + t.denied, *folded_forms, t.hidden, MISSING):
        i = next(ids)
        add(f"name {variant!r}", _dump(_call(i, variant, t.denied_args)), [(i, "unknown")])
    # The denied name ended by a NUL is the denied tool to a server that keeps texts as C strings:
    # refused, as any text holding a NUL is.
    i = next(ids)
    add("name ending in NUL", _dump(_call(i, t.denied + "\u0000", t.denied_args)), [(i, "error")],
        codes={INVALID_REQUEST})

    # Sizes and depth.
    i = next(ids)
    add("10 MB line", _dump(allowed_call(i, "big", blob="A" * 10_000_000)), [(None, "error")], codes={INVALID_REQUEST})
    add("10 MB of garbage", b"\xff" * 10_000_000, [(None, "error")], codes={INVALID_REQUEST})
    i = next(ids)
    add("100,000 deep", _dump(allowed_call(i, "deep"))[:-3] + ',"d":' + "[" * 100_000 + "]" * 100_000 + "}}}",
        [(None, "error")], codes={PARSE_ERROR})

    # Envelopes that are not JSON-RPC 2.0, and methods outside MCP.
    i = next(ids)
    add("jsonrpc 1.0", _dump({**allowed_call(i, "v1"), "jsonrpc": "1.0"}), [(i, "error")], codes={INVALID_REQUEST})
    i = next(ids)
    message = allowed_call(i, "nojsonrpc")
    del message["jsonrpc"]
    add("no jsonrpc", _dump(message), [(i, "error")], codes={INVALID_REQUEST})
    i = next(ids)
    add("params an array", _dump({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": [t.denied]}),
        [(i, "error")], codes={INVALID_PARAMS})
    for method in ("Tools/Call", "tools/call ", "tools//call", "tools/execute"):
        i = next(ids)
        add(f"method {method!r}", _dump({**_call(i, t.denied, t.denied_args), "method": method}), [(i, "error")],
            codes={METHOD_NOT_FOUND})
    i = next(ids)
    add("method 'tools/call' ending in NUL", _dump({**_call(i, t.denied, t.denied_args), "method": "tools/call\u0000"}),
        [(i, "error")], codes={INVALID_REQUEST})
    i = next(ids)
    add("method an array", _dump({**_call(i, t.denied, t.denied_args), "method": ["tools/call"]}), [(i, "error")],
        codes={INVALID_REQUEST})
    add("a response to nothing", _dump({"jsonrpc": "2.0", "id": 424242, "result": {}}), [])
    return cases


# Running them ---------------------------------------------------------------------------------


class Client:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data + b"\n")
        await self.process.stdin.drain()

    async def response(self, timeout: float = 30) -> dict[str, Any]:
        assert self.process.stdout is not None
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
            assert line, "the gateway closed its output"
            message = json.loads(line)
            if "method" not in message:
                return message  # type: ignore[no-any-return]


class HttpClient:
    """The same conversation over `--listen`: each line is one POST body; the answers it gets
    (a JSON object, a list for a batch, nothing for 202) are read back in order."""

    def __init__(self, url: str) -> None:
        import httpx2

        self.url = url
        self.http = httpx2.AsyncClient(timeout=60)
        self.session: str | None = None
        self.pending: list[dict[str, Any]] = []

    async def send(self, data: bytes) -> None:
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
        if self.session:
            headers["mcp-session-id"] = self.session
        answer = await self.http.post(self.url, content=data, headers=headers)
        self.session = self.session or answer.headers.get("mcp-session-id")
        if answer.status_code == 202:
            return
        assert answer.headers["content-type"] == "application/json", answer.headers
        body = answer.json()
        self.pending.extend(body if isinstance(body, list) else [body])

    async def response(self, timeout: float = 30) -> dict[str, Any]:
        assert self.pending, "no answer was owed to this request"
        return self.pending.pop(0)


@asynccontextmanager
async def gateway(tmp: Path, t: Target, transport: str = "stdio") -> AsyncIterator[tuple[Any, Path, Path]]:
    import re

    (tmp / "policy.json").write_text(json.dumps(t.policy()), encoding="utf-8")
    received, audit, log = tmp / "received.bin", tmp / "audit.jsonl", tmp / "gateway.log"
    workdir = tmp / "work"
    workdir.mkdir()
    env = None
    if t.env:
        import os

        env = {**os.environ, **t.env}
    listen = ["--listen", "127.0.0.1:0"] if transport == "http" else []
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "policytui", "gateway", "--policy", str(tmp / "policy.json"),
        "--state-dir", str(tmp / "state"), "--audit", str(audit), "--log", str(log), *listen,
        "--log-level", "debug", "--", sys.executable, str(RECORDING / "tee_stdin.py"), str(received), "--", *t.command,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        cwd=str(workdir), env=env, limit=1 << 24,
    )
    client: Any = Client(process)
    try:
        if transport == "http":
            for _ in range(1200):
                found = re.search(r"at (http://127\.0\.0\.1:\d+/mcp)", log.read_text() if log.exists() else "")
                if found or process.returncode is not None:
                    break
                await asyncio.sleep(0.05)
            assert found, "the gateway did not start listening"
            client = HttpClient(found.group(1))
        await client.send(_dump({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}}).encode())
        assert "result" in await client.response(90)
        await client.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
        yield client, received, audit
    finally:
        if isinstance(client, HttpClient):
            await client.http.aclose()
            process.send_signal(2)
        await close_stdin_and_wait(process, 30)


def _text(answer: dict[str, Any]) -> str:
    result = answer.get("result") or {}
    return "".join(str(c.get("text", "")) for c in result.get("content") or [] if isinstance(c, dict))


def _received_messages(raw: bytes) -> list[dict[str, Any]]:
    """What the server read, proven unambiguous: printable ASCII lines, each strict JSON-RPC,
    read alike by a reader that splits on \\n and by Python's universal-newline text reader."""
    bad = sorted({byte for byte in raw if not (0x20 <= byte <= 0x7E or byte == 0x0A)})
    assert not bad, f"bytes outside printable ASCII reached the server: {bad[:10]}"
    by_newline = [line for line in raw.split(b"\n") if line]
    universal = [line.rstrip("\n") for line in io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8") if line.strip()]
    assert [line.decode() for line in by_newline] == universal
    return [wire.parse(line) for line in by_newline]


@pytest.mark.parametrize(
    ("server", "transport"),
    [*((server, "stdio") for server in TARGETS), ("python-sdk", "http"), ("everything", "http")],
)
async def test_only_decided_calls_reach_the_server_each_once_each_audited(
    tmp_path: Path, test_servers: Path, server: str, transport: str
) -> None:
    t = TARGETS[server](tmp_path, test_servers)
    cases = hostile_cases(t)
    unexpected: list[str] = []
    async with gateway(tmp_path, t, transport) as (client, received, audit):
        # The answer an agent gets for a tool that does not exist: hidden tools must get it too.
        await client.send(_dump(_call("missing", MISSING, {})).encode())
        missing = await client.response()
        listing: list[str] = []
        await client.send(b'{"jsonrpc":"2.0","id":"list","method":"tools/list"}')
        listing = [tool["name"] for tool in (await client.response())["result"]["tools"]]
        assert t.allowed in listing and t.denied in listing and t.hidden not in listing

        for n, case in enumerate(cases):
            await client.send(case.line)
            owed = Counter(json.dumps(request_id) for request_id, _ in case.answers)
            kinds = {json.dumps(request_id): kind for request_id, kind in case.answers}
            while sum(owed.values()):
                answer = await client.response()
                key = json.dumps(answer.get("id"))
                if not owed[key]:
                    unexpected.append(f"{case.label}: unexpected answer {answer}")
                    continue
                owed[key] -= 1
                kind = kinds[key]
                if kind == "error":
                    assert "error" in answer, (case.label, answer)
                    assert not case.codes or answer["error"]["code"] in case.codes, (case.label, answer)
                elif kind == "denied":
                    assert answer["result"]["isError"] is True and _text(answer).startswith("[POLICY DENIED]"), case.label
                elif kind == "unknown":
                    name = json.loads(case.line)["params"]["name"]
                    expected = json.loads(json.dumps({k: v for k, v in missing.items() if k != "id"})
                                          .replace(MISSING, json.dumps(name)[1:-1]))
                    assert {k: v for k, v in answer.items() if k != "id"} == expected, case.label
                else:
                    assert "result" in answer and not _text(answer).startswith("[POLICY"), (case.label, answer)
            ping = f"ping-{n}"
            await client.send(_dump({"jsonrpc": "2.0", "id": ping, "method": "ping"}).encode())
            while (answer := await client.response())["id"] != ping:
                unexpected.append(f"{case.label}: unexpected answer {answer}")
    assert not unexpected, unexpected[:5]

    messages = _received_messages(received.read_bytes())
    calls = [m for m in messages if m.get("method") == "tools/call"]
    records = outcome_lines(audit)
    probes = [r for r in records if r["decision"] == "probe"]
    forwarded = [r for r in records if "upstream" in r and r["decision"] != "probe"]

    # Nothing the policy blocks arrived, and no key of this hop's protocol envelope in `_meta`.
    assert not [key for m in calls for key in m["params"].get("_meta") or {} if key.startswith("io.modelcontextprotocol/")]
    names = [m["params"]["name"] for m in calls]
    assert t.denied not in names and t.hidden not in names
    # Each allowed call arrived exactly once, as one line.
    for case in cases:
        arrived = [m for m in calls if m["params"]["name"] == t.allowed
                   and case.marker and case.marker in json.dumps(m["params"]["arguments"])]
        assert len(arrived) == case.forwards, (case.label, len(arrived))
    # What arrived is what the audit log says arrived: same tools, same arguments, same count.
    assert len(probes) == 1 and names.count(probes[0]["tool"]) == 1
    arrived_calls = Counter((m["params"]["name"], args_digest(m["params"].get("arguments") or {}))
                            for m in calls if m["params"]["name"] != probes[0]["tool"])
    audited_calls = Counter((r["tool"], r["args_sha256"]) for r in forwarded)
    assert arrived_calls == audited_calls
    # ... and each had its line written before it went out.
    assert Counter((r["tool"], r["args_sha256"]) for r in sent_lines(audit)) == arrived_calls
    assert sum(arrived_calls.values()) == sum(case.forwards for case in cases)
    if t.executed is not None:
        ran = [json.loads(line)["tool"] for line in t.executed.read_text(encoding="utf-8").splitlines()]
        assert t.denied not in ran and t.hidden not in ran
        assert Counter(ran) == Counter(name for name, _ in arrived_calls.elements() if name == t.allowed)
    # Every refusal is in the debug log.
    refused = sum(kind == "error" for case in cases for _, kind in case.answers)
    assert (tmp_path / "gateway.log").read_text(encoding="utf-8").count("refused a client message") >= refused
