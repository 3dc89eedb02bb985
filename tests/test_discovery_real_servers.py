"""Listing tools from real third-party MCP servers over stdio, Streamable HTTP and SSE, and
keeping the user's secrets out of everything policytui writes or prints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from discovery_support import MISBEHAVING, assert_all_gone, free_port, wait_for_port

from policytui.cli import main
from policytui.discovery import DiscoveryError, list_tools, open_connection, resolve_target
from policytui.discovery.spec import ServerSpec

pytestmark = pytest.mark.servers

KESTRA_CODE = (
    "import sys, src; sys.path.insert(0, list(src.__path__)[0]); import server; server.main()"
)


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not installed (run tests/servers/install.sh)")
    return path


def everything_bin(test_servers: Path) -> Path:
    return need(test_servers / "everything" / "node_modules" / ".bin" / "mcp-server-everything")


@pytest.fixture(scope="module")
def everything_http(test_servers: Path) -> Iterator[dict[str, str]]:
    """server-everything serving Streamable HTTP and SSE, each on a free port, for the module."""
    program = everything_bin(test_servers)
    procs, urls = [], {}
    for mode, path in (("streamableHttp", "/mcp"), ("sse", "/sse")):
        port = free_port()
        proc = subprocess.Popen(
            [str(program), mode],
            env={**os.environ, "PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        procs.append(proc)
        if not wait_for_port(port):
            pytest.skip(f"server-everything {mode} did not start listening")
        urls[mode] = f"http://127.0.0.1:{port}{path}"
    yield urls
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def token_server() -> Iterator[str]:
    """The project's Streamable HTTP server that wants a bearer token (and repeats it back)."""
    proc = subprocess.Popen(
        [sys.executable, str(MISBEHAVING / "token_http.py")],
        env={**os.environ, "EXPECTED_TOKEN": "tok-very-secret-4242", "ECHO_TOKEN": "1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    yield f"http://127.0.0.1:{port}/mcp"
    proc.kill()
    proc.wait(timeout=10)


def kestra_spec(test_servers: Path, tmp_path: Path) -> ServerSpec:
    python = need(test_servers / "kestra" / "bin" / "python")
    spec = resolve_target(command=[str(python), "-c", KESTRA_CODE])
    spec.env = {"KESTRA_BASE_URL": "http://127.0.0.1:9/api/v1"}
    spec.cwd = str(tmp_path)
    return spec


async def test_kestra_over_stdio(test_servers: Path, tmp_path: Path) -> None:
    spec = kestra_spec(test_servers, tmp_path)
    async with open_connection(spec, timeout=30) as connection:
        listing = connection.listing
        pid = connection.pid
        result = await connection.call_tool_raw("list_flows", {"namespace": "company.team"})
    assert len(listing.tools) == 29 and not listing.broken_tools
    assert listing.server_name == "Kestra MCP" and listing.transport == "stdio"
    assert all(tool.annotations == {} for tool in listing.tools)  # Kestra sends no hints
    assert result.get("isError") is True  # no Kestra is running: the call fails cleanly
    assert_all_gone([pid])


def test_configured_kestra_name_starts_the_local_server(
    test_servers: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    python = need(test_servers / "kestra" / "bin" / "python")
    config = tmp_path / "cfg"
    config.mkdir()
    workdir = tmp_path / "empty"
    workdir.mkdir()
    (config / "servers.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "kestra": {
                        "command": str(python),
                        "args": ["-c", KESTRA_CODE],
                        "cwd": str(workdir),
                        "env": {
                            "KESTRA_BASE_URL": "${env:KESTRA_BASE_URL}",
                            "KESTRA_API_TOKEN": "${env:KESTRA_API_TOKEN}",
                        },
                    }
                }
            }
        )
    )
    monkeypatch.setenv("POLICYTUI_CONFIG_DIR", str(config))
    monkeypatch.setenv("KESTRA_BASE_URL", "http://127.0.0.1:9/api/v1")
    monkeypatch.setenv("KESTRA_API_TOKEN", "kestra-token-do-not-print")
    out = tmp_path / "kestra.json"
    assert main(["snapshot", "kestra", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    document = json.loads(text)
    assert len(document["tools"]) == 29
    assert document["serverInfo"]["name"] == "Kestra MCP"
    assert document["source"]["envKeys"] == ["KESTRA_API_TOKEN", "KESTRA_BASE_URL"]
    assert "kestra-token-do-not-print" not in text
    assert main(["tools", "kestra", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["offline"] is False and len(listed["tools"]) == 29


# server-everything offers 3 of its 16 tools only to a client that declares sampling,
# elicitation or roots, as the gateway does to a server it starts as a command.
@pytest.mark.parametrize(
    ("folder", "args", "count"), [("everything", [], 16), ("filesystem", ["{tmp}"], 14)]
)
async def test_npm_servers_over_stdio(
    test_servers: Path, tmp_path: Path, folder: str, args: list[str], count: int
) -> None:
    program = need(test_servers / folder / "node_modules" / ".bin" / f"mcp-server-{folder}")
    spec = resolve_target(command=[str(program), *[a.format(tmp=tmp_path) for a in args]])
    listing = await list_tools(spec, timeout=30)
    assert len(listing.tools) == count and not listing.broken_tools
    assert all(tool.raw for tool in listing.tools)


async def test_a_live_stdio_connection_lists_the_tools_only_capable_clients_get(everything: Path) -> None:
    """`connect` and a live connection declare what the gateway declares, as the lister does."""
    async with open_connection(resolve_target(command=[str(everything)]), timeout=30) as connection:
        names = {tool.name for tool in connection.listing.tools}
    assert {"get-roots-list", "trigger-elicitation-request", "trigger-sampling-request"} <= names
    assert len(names) == 16


async def test_server_that_crashes_at_import(test_servers: Path, tmp_path: Path) -> None:
    program = need(test_servers / "sqlite-crash" / "bin" / "mcp-server-sqlite")
    spec = resolve_target(command=[str(program), "--db-path", str(tmp_path / "x.db")])
    with pytest.raises(DiscoveryError) as info:
        await list_tools(spec, timeout=30)
    assert (
        str(info.value)
        == "Server 'mcp-server-sqlite' exited with code 1 before answering initialize."
    )
    assert "AttributeError" in info.value.stderr_tail


async def test_streamable_http_and_sse(everything_http: dict[str, str]) -> None:
    http = await list_tools(resolve_target(everything_http["streamableHttp"]), timeout=15)
    sse = await list_tools(resolve_target(everything_http["sse"], sse=True), timeout=15)
    assert (len(http.tools), http.transport) == (13, "http")
    assert (len(sse.tools), sse.transport) == (13, "sse")
    assert [t.name for t in http.tools] == [t.name for t in sse.tools]


async def test_live_http_connection_calls_tools(everything_http: dict[str, str]) -> None:
    async with open_connection(
        resolve_target(everything_http["streamableHttp"]), timeout=15
    ) as connection:
        raw = await connection.call_tool_raw("echo", {"message": "hello"})
        typed = await connection.session.call_tool("echo", {"message": "again"})
    assert raw["content"][0]["text"].endswith("hello")
    assert typed.content[0].text.endswith("again")


@pytest.mark.parametrize(
    ("which", "path", "sse", "expected"),
    [
        ("streamableHttp", "/nope", False, "answered HTTP 404 Not Found; check the path"),
        (
            "sse",
            "/sse",
            False,
            "answered HTTP 404 Not Found; this looks like a legacy SSE endpoint: add --sse",
        ),
        (
            "streamableHttp",
            "/mcp",
            True,
            "answered GET with HTTP 400 Bad Request; it does not offer a legacy SSE stream",
        ),
    ],
)
async def test_wrong_path_or_transport(
    everything_http: dict[str, str],
    capfd: pytest.CaptureFixture[str],
    which: str,
    path: str,
    sse: bool,
    expected: str,
) -> None:
    base = everything_http[which].rsplit("/", 1)[0]
    with pytest.raises(DiscoveryError) as info:
        await list_tools(resolve_target(base + path, sse=sse), timeout=10)
    assert expected in str(info.value)
    assert "Traceback" not in capfd.readouterr().err  # the SDK's own logging stays off the terminal


async def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    with pytest.raises(DiscoveryError) as info:
        await list_tools(resolve_target(url), timeout=10)
    assert (
        str(info.value)
        == f"Could not connect to {url}: connection refused (is the server running on that port?)."
    )


async def test_a_web_page_is_not_an_mcp_endpoint(token_server: str) -> None:
    page = token_server.replace("/mcp", "/page")
    with pytest.raises(DiscoveryError) as info:
        await list_tools(resolve_target(page), timeout=10)
    assert str(info.value) == (
        f"{page} answered with text/html; charset=utf-8, not MCP; check the URL "
        "(Streamable HTTP servers usually serve /mcp)."
    )


async def test_unauthorized_without_and_with_a_wrong_token(token_server: str) -> None:
    with pytest.raises(DiscoveryError) as info:
        await list_tools(resolve_target(token_server), timeout=10)
    assert "refused the request with HTTP 401 Unauthorized; it needs credentials" in str(info.value)
    wrong = resolve_target(token_server, headers={"Authorization": "Bearer wrong-token-5555"})
    with pytest.raises(DiscoveryError) as info:
        await list_tools(wrong, timeout=10)
    assert "the credentials in header(s) Authorization were not accepted" in str(info.value)
    assert "wrong-token-5555" not in info.value.report()


def test_header_token_reaches_the_server_and_nothing_else(
    token_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "tok-very-secret-4242"
    monkeypatch.setenv("TEST_BEARER", secret)
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "servers.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "guarded": {
                        "url": token_server,
                        "headers": {"Authorization": "Bearer ${env:TEST_BEARER}"},
                    },
                    "literal": {
                        "url": token_server,
                        "headers": {"Authorization": f"Bearer {secret}"},
                    },
                }
            }
        )
    )
    monkeypatch.setenv("POLICYTUI_CONFIG_DIR", str(config))
    out = tmp_path / "snap.json"
    # The server repeats the token in its instructions: the snapshot must still not hold it.
    assert main(["snapshot", "guarded", "-o", str(out)]) == 0
    assert (
        main(
            [
                "snapshot",
                token_server,
                "--header",
                "Authorization: Bearer ${env:TEST_BEARER}",
                "-o",
                str(tmp_path / "direct.json"),
            ]
        )
        == 0
    )
    assert main(["tools", "literal", "--json"]) == 0
    assert main(["servers", "--json"]) == 0
    assert main(["servers"]) == 0
    monkeypatch.setenv("TEST_BEARER", "a-rejected-token-777")
    assert main(["tools", "guarded"]) == 1
    captured = capsys.readouterr()
    snapshot = out.read_text(encoding="utf-8")
    document = json.loads(snapshot)
    assert [t["name"] for t in document["tools"]] == ["whoami"]
    assert document["source"] == {
        "transport": "http",
        "url": token_server,
        "headerKeys": ["Authorization"],
    }
    assert document["instructions"] == "Authenticated with ***."
    for text in (snapshot, (tmp_path / "direct.json").read_text(), captured.out, captured.err):
        assert secret not in text
        assert "a-rejected-token-777" not in text
    assert "refused the request with HTTP 401" in captured.err
