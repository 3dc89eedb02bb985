"""Requests from the server to the client (sampling, elicitation, roots) through the gateway,
over stdio and over HTTP, with the mcp SDK as the client and server-everything's own tools
(`trigger-sampling-request`, `trigger-elicitation-request`, `get-roots-list`) asking.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from audit_support import outcome_lines
from gateway_support import RECORDING, call_text, sdk_client
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

POLICYTUI = Path(sys.executable).parent / "policytui"

pytestmark = [pytest.mark.servers, pytest.mark.filterwarnings("ignore:The roots capability is deprecated")]

POLICY = {"version": "1", "default": "allow", "hide": ["get-env"]}


@asynccontextmanager
async def connected(transport: str, tmp: Path, everything: Path, mode: str = "legacy",
                    **callbacks: Any) -> AsyncIterator[Client]:
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    options = ["--policy", str(tmp / "policy.json"), "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl")]
    async with sdk_client(transport, mode, options, [str(everything), "stdio"], tmp / "gateway.log",
                          **callbacks) as client:
        yield client


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_sampling_elicitation_and_roots_are_relayed(transport: str, tmp_path: Path, everything: Path) -> None:
    sampled: list[str] = []
    elicited: list[str] = []

    async def sampling(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        sampled.append(params.messages[0].content.text)  # type: ignore[union-attr]
        return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text="a haiku"),
                                         model="test-model", stop_reason="endTurn")

    async def elicitation(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        elicited.append(params.message)
        return types.ElicitResult(action="accept", content={"name": "Ada", "check": True})

    async def roots(context: Any) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[types.Root(uri="file:///work/project-root", name="project")])

    async with connected(transport, tmp_path, everything, sampling_callback=sampling,
                         elicitation_callback=elicitation, list_roots_callback=roots) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert {"trigger-sampling-request", "trigger-elicitation-request", "get-roots-list"} <= set(names)

        result = await client.call_tool("trigger-sampling-request", {"prompt": "write a haiku", "maxTokens": 20})
        assert not result.is_error and "a haiku" in call_text(result) and "test-model" in call_text(result)
        assert len(sampled) == 1 and "write a haiku" in sampled[0]

        result = await client.call_tool("trigger-elicitation-request", {})
        assert not result.is_error and "Ada" in call_text(result)
        assert elicited and "Please provide inputs" in elicited[0]

        await client.send_roots_list_changed()  # the server asks for the roots again
        for _ in range(100):
            result = await client.call_tool("get-roots-list", {})
            if "project-root" in call_text(result):
                break
            await anyio.sleep(0.1)
        assert "file:///work/project-root" in call_text(result)


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_client_without_the_capability_gets_the_server_a_clear_error(
    transport: str, tmp_path: Path, everything: Path
) -> None:
    async with connected(transport, tmp_path, everything) as client:
        result = await client.call_tool("trigger-sampling-request", {"prompt": "hi", "maxTokens": 5})
        assert result.is_error
        assert "the client does not support sampling" in call_text(result)


async def test_a_servers_request_never_reaches_another_client(tmp_path: Path, everything: Path) -> None:
    """A 2026-07-28 client's call makes the server ask for sampling while a handshake-era
    client (which could answer) has a call in progress: the request is not routed to it."""
    sampled: list[str] = []

    async def sampling(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        sampled.append("asked")
        return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text="leak"),
                                         model="m", stop_reason="endTurn")

    async with connected("http", tmp_path, everything, sampling_callback=sampling) as legacy:
        address = re.search(r"at (http://127\.0\.0\.1:\d+/mcp)", (tmp_path / "gateway.log").read_text())
        assert address is not None
        http = httpx2.AsyncClient(timeout=httpx2.Timeout(60))
        async with http, Client(streamable_http_client(address.group(1), http_client=http), mode="2026-07-28",
                                read_timeout_seconds=60) as modern:
            async with anyio.create_task_group() as tg:
                tg.start_soon(legacy.call_tool, "trigger-long-running-operation", {"duration": 3, "steps": 3})
                await anyio.sleep(0.5)
                result = await modern.call_tool("trigger-sampling-request", {"prompt": "hi", "maxTokens": 5})
    assert sampled == []
    # Two clients have calls in progress: which one the server means cannot be told.
    assert result.is_error and "cannot be relayed" in call_text(result)


ROOT_URI = "file:///work/project-root"


class Answering:
    """The client's side of the server's requests: answers each and records which were asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def sampling(self, context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        self.asked.append("sampling")
        return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text="a haiku"),
                                         model="test-model", stop_reason="endTurn")

    async def elicitation(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append("elicitation")
        return types.ElicitResult(action="accept", content={"name": "Ada", "check": True})

    async def roots(self, context: Any) -> types.ListRootsResult:
        self.asked.append("roots")
        return types.ListRootsResult(roots=[types.Root(uri=ROOT_URI, name="project")])

    def callbacks(self) -> dict[str, Any]:
        return {"sampling_callback": self.sampling, "elicitation_callback": self.elicitation,
                "list_roots_callback": self.roots}


# What each of server-everything's asking tools is called with, and what its result holds when
# the client's answer reached it.
ASKING_TOOLS = {
    "sampling": ("trigger-sampling-request", {"prompt": "write a haiku", "maxTokens": 20}, "a haiku"),
    "elicitation": ("trigger-elicitation-request", {}, "Ada"),
    "roots": ("get-roots-list", {}, ROOT_URI),
}


@pytest.mark.parametrize("kind", sorted(ASKING_TOOLS))
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_modern_client_answers_the_servers_request(
    transport: str, kind: str, tmp_path: Path, everything: Path
) -> None:
    """The requirement's cell: server-everything's tool asks, a 2026-07-28 client answers
    (through `input_required`, the only way that protocol has), and the answer reaches the tool."""
    answering = Answering()
    tool, args, expected = ASKING_TOOLS[kind]
    async with connected(transport, tmp_path, everything, "2026-07-28", **answering.callbacks()) as client:
        result = await client.call_tool(tool, args)
    # server-everything also asks for the roots on its own, 350 ms after the gateway initialized
    # it; on a loaded machine that ask can come while this call is in progress, and it then goes
    # to the one client with a call in progress: an extra "roots", never another kind.
    others = [asked for asked in answering.asked if asked != "roots"]
    assert others == ([] if kind == "roots" else [kind]), (answering.asked, call_text(result))
    assert answering.asked.count("roots") in ((1, 2) if kind == "roots" else (0, 1)), answering.asked
    assert not result.is_error and expected in call_text(result), call_text(result)


async def _run_flow_refusing_every_question(transport: str, tmp: Path) -> tuple[list[str], list[str]]:
    """Three calls of the flows server's `run_flow` (limited to 1 per hour) through a recording
    gateway, by a client that answers the server's question with an error: what each call got
    and the questions the client was asked."""
    policy, audit, executed = tmp / "policy.json", tmp / "audit.jsonl", tmp / "executed.jsonl"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"run_flow": {
        "limits": [{"counter": "runs", "window": "hour", "max": 1}]}}}), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp / "state"), "--audit", str(audit),
               "--record", str(tmp / "recording.jsonl")]
    upstream = [sys.executable, str(RECORDING / "flows_server.py"), str(executed)]
    asked: list[str] = []

    async def refuse(context: Any, params: types.ElicitRequestParams) -> types.ErrorData:
        asked.append(params.message)
        return types.ErrorData(code=-32603, message="not answering")

    outcomes: list[str] = []
    async with sdk_client(transport, "legacy", options, upstream, tmp / "gateway.log",
                          elicitation_callback=refuse) as client:
        for n in range(3):
            try:
                outcomes.append(call_text(await client.call_tool("run_flow", {"namespace": "prod", "flow_id": f"f{n}"})))
            except Exception as exc:  # noqa: BLE001 - the JSON-RPC error the SDK raises
                outcomes.append(f"error: {exc}")
    return outcomes, asked


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_call_whose_tool_asked_the_client_keeps_its_charge_when_it_fails(transport: str, tmp_path: Path) -> None:
    """A tool that runs and then asks the client something (here, the flows server's
    `run_flow` elicits) fails with the JSON-RPC error the client answers the question with.
    The tool ran: the call keeps its charge, so a client that answers every question with an
    error cannot run the tool past its rate limit; it is audited `error_asked`, told apart from
    a call the server refused."""
    outcomes, asked = await _run_flow_refusing_every_question(transport, tmp_path)
    ran = [json.loads(line) for line in (tmp_path / "executed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [entry["arguments"]["flow_id"] for entry in ran] == ["f0"], (ran, outcomes)
    assert asked == ["Notify the flow's owners?"]
    assert outcomes[0] == "error: not answering"
    assert all("rate limit 1 per hour reached" in text for text in outcomes[1:]), outcomes
    audit = tmp_path / "audit.jsonl"
    lines = [(line["decision"], line.get("upstream")) for line in outcome_lines(audit) if line.get("tool") == "run_flow"]
    assert lines == [("allowed", "error_asked"), ("denied", None), ("denied", None)], lines


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_replay_decides_a_session_whose_tool_asked_the_client_as_the_gateway_did(
    transport: str, tmp_path: Path
) -> None:
    """`policytui replay` of that session under the policy that made it charges the call that
    ended in the client's error as the gateway did, so the two later calls are rate-limited
    by the replay's own counters, as by the gateway's: nothing changes, and no denial is put
    down to a window used before the recording began (the recording holds the whole window)."""
    outcomes, _ = await _run_flow_refusing_every_question(transport, tmp_path)
    assert all("rate limit 1 per hour reached" in text for text in outcomes[1:]), outcomes
    for recorded in ("recording.jsonl", "audit.jsonl"):
        done = subprocess.run([str(POLICYTUI), "replay", str(tmp_path / recorded), "--policy", str(tmp_path / "policy.json"),
                               "--json"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (recorded, done.stdout, done.stderr)
        report = json.loads(done.stdout)
        assert report["outcomes"] == {"allowed": 1, "rate_limited": 2}, (recorded, report)
        assert report["limit_state_not_in_recording"] == 0, (recorded, report)
        assert report["changes"] == [], (recorded, report)


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_policytui_tools_lists_every_tool_a_capable_client_gets_through_the_gateway(
    transport: str, tmp_path: Path, everything: Path
) -> None:
    """What the user decides on is what agents get: a client that declares sampling, elicitation
    and roots sees through the gateway exactly the tools `policytui tools` lists, the tools the
    server offers only to such clients among them (under `default: allow` a tool not listed
    would be allowed without anyone having seen it)."""
    listed = subprocess.run([str(POLICYTUI), "tools", "--json", "--", str(everything)], capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert listed.returncode == 0, listed.stderr
    listed_names = {tool["name"] for tool in json.loads(listed.stdout)["tools"]}

    async def answer(*_: Any) -> Any:
        raise AssertionError("listing tools asks the client no question")

    async def roots(context: Any) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[])

    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    options = ["--policy", str(tmp_path / "policy.json"), "--state-dir", str(tmp_path / "state"),
               "--audit", str(tmp_path / "audit.jsonl")]
    async with sdk_client(transport, "legacy", options, [str(everything), "stdio"], tmp_path / "gateway.log",
                          sampling_callback=answer, elicitation_callback=answer, list_roots_callback=roots) as client:
        through_gateway = {tool.name for tool in (await client.list_tools()).tools}
    assert {"get-roots-list", "trigger-elicitation-request", "trigger-sampling-request"} <= through_gateway
    assert listed_names == through_gateway, (sorted(through_gateway - listed_names), sorted(listed_names - through_gateway))
