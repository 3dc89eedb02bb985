"""Requests from the server to the client (sampling, elicitation, roots) through the gateway,
over stdio and over HTTP, with the mcp SDK as the client and server-everything's own tools
(`trigger-sampling-request`, `trigger-elicitation-request`, `get-roots-list`) asking.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from gateway_support import http_gateway
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

pytestmark = [pytest.mark.servers, pytest.mark.filterwarnings("ignore:The roots capability is deprecated")]

POLICY = {"version": "1", "default": "allow", "hide": ["get-env"]}


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


@asynccontextmanager
async def connected(transport: str, tmp: Path, everything: Path, **callbacks: Any) -> AsyncIterator[Client]:
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    gateway = [sys.executable, "-m", "policytui", "gateway", "--policy", str(tmp / "policy.json"),
               "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl")]
    upstream = ["--", str(everything), "stdio"]
    if transport == "stdio":
        params = StdioServerParameters(command=gateway[0], args=[*gateway[1:], "--log", str(tmp / "gateway.log"), *upstream])
        with open(os.devnull, "w") as errlog:  # noqa: ASYNC230 - opened once, never blocks
            async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60,
                              **callbacks) as client:
                yield client
        return
    with http_gateway(gateway[4:], upstream[1:], tmp / "gateway.log") as listening:
        http = httpx2.AsyncClient(timeout=httpx2.Timeout(60))
        async with http, Client(streamable_http_client(listening.url, http_client=http), mode="legacy",
                                read_timeout_seconds=60, **callbacks) as client:
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
        assert not result.is_error and "a haiku" in _text(result) and "test-model" in _text(result)
        assert len(sampled) == 1 and "write a haiku" in sampled[0]

        result = await client.call_tool("trigger-elicitation-request", {})
        assert not result.is_error and "Ada" in _text(result)
        assert elicited and "Please provide inputs" in elicited[0]

        await client.send_roots_list_changed()  # the server asks for the roots again
        for _ in range(100):
            result = await client.call_tool("get-roots-list", {})
            if "project-root" in _text(result):
                break
            await anyio.sleep(0.1)
        assert "file:///work/project-root" in _text(result)


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_client_without_the_capability_gets_the_server_a_clear_error(
    transport: str, tmp_path: Path, everything: Path
) -> None:
    async with connected(transport, tmp_path, everything) as client:
        result = await client.call_tool("trigger-sampling-request", {"prompt": "hi", "maxTokens": 5})
        assert result.is_error
        assert "the client does not support sampling" in _text(result)


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
    assert result.is_error and "cannot be relayed" in _text(result)


async def test_a_modern_client_is_not_asked_by_the_server(tmp_path: Path, everything: Path) -> None:
    async with connected("http", tmp_path, everything):
        address = re.search(r"at (http://127\.0\.0\.1:\d+/mcp)", (tmp_path / "gateway.log").read_text())
        assert address is not None
        http = httpx2.AsyncClient(timeout=httpx2.Timeout(60))
        async with http, Client(streamable_http_client(address.group(1), http_client=http), mode="2026-07-28",
                                read_timeout_seconds=60) as modern:
            result = await modern.call_tool("trigger-sampling-request", {"prompt": "hi", "maxTokens": 5})
    assert result.is_error and "cannot be relayed to a client of MCP 2026-07-28" in _text(result)
