"""Every way a server can fail to list its tools ends in one clear sentence, quickly, with no
process left behind. Driven against the project's own misbehaving servers (real processes)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from discovery_support import PYTHON, alive, assert_all_gone, pids_in, script

import policytui.discovery.connect  # noqa: F401  (imported up front: the timings here are not the SDK's import)
from policytui.discovery import DiscoveryError, list_tools, open_connection, resolve_target
from policytui.discovery.spec import ServerSpec


def spec_for(name: str, tmp_path: Path, **env: str) -> ServerSpec:
    spec = resolve_target(command=script(name))
    spec.env = {"MISBEHAVING_PIDFILE": str(tmp_path / "pids"), **env}
    return spec


async def fail(spec: ServerSpec, timeout: float = 5.0) -> tuple[DiscoveryError, float]:
    started = time.monotonic()
    with pytest.raises(DiscoveryError) as info:
        await list_tools(spec, timeout=timeout)
    return info.value, time.monotonic() - started


async def test_command_not_found_names_the_command() -> None:
    spec = resolve_target(command=["policytui-no-such-server", "--flag"])
    error, took = await fail(spec)
    assert str(error) == (
        "The server command 'policytui-no-such-server' was not found on PATH; "
        "install it or give its full path."
    )
    assert took < 1.0


async def test_missing_program_path_says_it_does_not_exist(tmp_path: Path) -> None:
    error, _ = await fail(resolve_target(command=[str(tmp_path / "nothing-here")]))
    assert "does not exist" in str(error)


async def test_missing_working_directory(tmp_path: Path) -> None:
    spec = spec_for("paginating.py", tmp_path)
    spec.cwd = str(tmp_path / "gone")
    error, _ = await fail(spec)
    assert "working directory" in str(error) and "does not exist" in str(error)


async def test_server_that_exits_at_start_reports_code_and_stderr(tmp_path: Path) -> None:
    error, took = await fail(spec_for("exits_at_start.py", tmp_path))
    assert (
        str(error) == "Server 'exits_at_start.py' exited with code 3 before answering initialize."
    )
    assert "fatal: KESTRA_BASE_URL is not set; cannot start" in error.stderr_tail
    assert "Last lines the server wrote to stderr:" in error.report()
    assert took < 4.0
    assert_all_gone(pids_in(tmp_path / "pids"))


async def test_server_that_never_answers_times_out_and_is_killed_with_its_helper(
    tmp_path: Path,
) -> None:
    # It ignores SIGTERM and EOF and starts a helper that does too: only SIGKILL to the group works.
    error, took = await fail(spec_for("never_answers.py", tmp_path), timeout=2.0)
    assert str(error) == (
        "Server 'never_answers.py' did not answer initialize within 2 s; use --timeout to wait longer."
    )
    assert "server started, waiting" in error.stderr_tail
    assert 2.0 <= took < 6.0
    pids = pids_in(tmp_path / "pids")
    assert len(pids) == 2
    assert_all_gone(pids)


async def test_cancelled_by_the_caller_leaves_nothing_running(tmp_path: Path) -> None:
    started = time.monotonic()
    with anyio.move_on_after(1.0) as scope:
        await list_tools(spec_for("never_answers.py", tmp_path), timeout=30)
    assert scope.cancelled_caught
    assert time.monotonic() - started < 5.0
    assert_all_gone(pids_in(tmp_path / "pids"))


async def test_garbage_on_stdout_is_named_in_the_timeout(tmp_path: Path) -> None:
    error, took = await fail(spec_for("garbage.py", tmp_path, GARBAGE_MODE="only"), timeout=2.0)
    assert "did not answer initialize within 2 s" in str(error)
    assert "it wrote text that is not MCP on stdout" in str(error)
    assert "'[info] got a request of" in str(error)
    assert took < 6.0
    assert_all_gone(pids_in(tmp_path / "pids"))


@pytest.mark.parametrize(("mode", "count"), [("http", "1 line"), ("only", "2 lines")])
def test_the_tools_command_counts_the_lines_that_are_not_mcp(tmp_path: Path, mode: str, count: str) -> None:
    """Through the installed command: one line is "1 line", two are "2 lines" (never "line(s)")."""
    command = [str(Path(sys.executable).parent / "policytui"), "tools", "--timeout", "1.5", "--",
               "env", f"GARBAGE_MODE={mode}", f"MISBEHAVING_PIDFILE={tmp_path / 'pids'}",
               *script("garbage.py")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"it wrote text that is not MCP on stdout ({count}, first: " in result.stderr
    assert "(s)" not in result.stderr
    assert_all_gone(pids_in(tmp_path / "pids"))


async def test_http_server_started_over_stdio_is_recognised(tmp_path: Path) -> None:
    error, _ = await fail(spec_for("garbage.py", tmp_path, GARBAGE_MODE="http"), timeout=1.5)
    assert "MCP server listening on http://localhost:3001/mcp" in str(error)
    assert "connect to its URL instead" in str(error)
    assert_all_gone(pids_in(tmp_path / "pids"))


async def test_a_banner_line_on_stdout_does_not_break_a_working_server(tmp_path: Path) -> None:
    listing = await list_tools(spec_for("garbage.py", tmp_path, GARBAGE_MODE="banner"))
    assert [tool.name for tool in listing.tools] == ["ping"]
    assert_all_gone(pids_in(tmp_path / "pids"))


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (
            "error",
            (
                "Server 'list_fails.py' answered initialize but failed to list its tools: "
                "database connection lost (error -32603)."
            ),
        ),
        ("shape", "Server 'list_fails.py' answered tools/list (page 1) without a list of tools."),
        (
            "loop",
            (
                "Server 'list_fails.py' sent tools/list pages that go round in a circle: "
                "page 2 points back to an earlier one."
            ),
        ),
    ],
)
async def test_tools_list_failures(tmp_path: Path, mode: str, expected: str) -> None:
    error, took = await fail(spec_for("list_fails.py", tmp_path, LIST_MODE=mode))
    assert str(error) == expected
    assert took < 4.0
    assert_all_gone(pids_in(tmp_path / "pids"))


async def test_every_page_is_followed_and_broken_tools_are_named(tmp_path: Path) -> None:
    spec = spec_for("paginating.py", tmp_path, TOOL_COUNT="25", PAGE_SIZE="7")
    async with open_connection(spec, timeout=10) as connection:
        listing = connection.listing
        raw = connection.raw_tools
        pid = connection.pid
        assert pid is not None and alive(pid)
        again = await connection.refresh_tools()
        assert [t.name for t in again.tools] == [t.name for t in listing.tools]
    assert len(raw) == 25  # four pages, every entry as sent
    assert len(listing.tools) == 24
    assert [(b.index, b.name) for b in listing.broken_tools] == [(3, "tool_003")]
    assert "no inputSchema" in listing.broken_tools[0].problem
    assert listing.server_name == "paginating"
    assert listing.instructions == "Pages of tools."
    odd = listing.tool("tool_006")
    assert odd is not None
    assert odd.raw["x-vendor"] == {"kept": True}  # unknown fields survive
    assert odd.annotations == {"readOnlyHint": True, "vendorHint": 1}  # only keys sent
    assert listing.tool("evil\x1b[31m_\u202etool") is not None  # names kept exactly as sent
    assert_all_gone([pid])


async def test_duplicate_tool_names_are_reported(tmp_path: Path) -> None:
    # Pages of 7 over 10 tools, asked twice by a client that restarts: simulate with a fixture.
    from policytui.discovery.listing import build_listing

    entries = [
        {"name": "a", "inputSchema": {}},
        {"name": "b", "inputSchema": {}},
        {"name": "a", "inputSchema": {}},
    ]
    listing = build_listing(
        entries, {"serverInfo": {"name": "s"}}, resolve_target(command=["x"]), transport="stdio"
    )
    assert [t.name for t in listing.tools] == ["a", "b"]
    assert (
        listing.broken_tools[0].index == 2 and "more than once" in listing.broken_tools[0].problem
    )


def test_cli_failure_is_one_sentence_without_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from policytui.cli import main

    code = main(["tools", "--timeout", "1.5", "--", PYTHON, str(Path(script("garbage.py")[1]))])
    out, err = capfd.readouterr()
    assert code == 1
    assert err.startswith(
        "policytui tools: server 'garbage.py' did not answer initialize within 1.5 s"
    )
    assert "Traceback" not in err and "Traceback" not in out
    assert out == ""


def test_listing_from_a_worker_thread_as_the_tui_does(tmp_path: Path) -> None:
    import asyncio

    from policytui.discovery.lister import list_target

    async def in_thread() -> None:
        spec = spec_for("never_answers.py", tmp_path)
        with pytest.raises(DiscoveryError, match="did not answer initialize within 1 s"):
            await asyncio.to_thread(list_target, spec, offline=False, timeout=1.0)

    asyncio.run(in_thread())
    assert_all_gone(pids_in(tmp_path / "pids"))


async def test_a_server_dying_mid_session_fails_requests_instead_of_hanging(tmp_path: Path) -> None:
    import os
    import signal

    from mcp.shared.exceptions import MCPError

    async with open_connection(spec_for("paginating.py", tmp_path), timeout=10) as connection:
        assert connection.pid is not None
        os.kill(connection.pid, signal.SIGKILL)
        with anyio.fail_after(5), pytest.raises(MCPError):
            await connection.request("tools/list", timeout=30)
    assert_all_gone(pids_in(tmp_path / "pids"))


def test_stderr_of_a_chatty_server_is_cut_back_to_its_tail() -> None:
    import os

    from policytui.discovery.diagnostics import Diagnostics

    diag = Diagnostics(resolve_target(command=["x"]))
    handle = diag.open_stderr_file()
    chunk = b"x" * 1023 + b"\n"
    for _ in range(5 * 1024):
        os.write(handle.fileno(), chunk)
    os.write(handle.fileno(), b"the last words\n")
    diag.trim_stderr()
    assert os.fstat(handle.fileno()).st_size <= 64 * 1024
    assert diag.stderr_tail().endswith("the last words")
    diag.close()


async def test_a_server_dying_while_paging_is_named_so_on_a_live_connection(tmp_path: Path) -> None:
    # The SDK-based connection (the gateway's and HTTP's path) says the same as the raw listing.
    spec = spec_for("paginating.py", tmp_path, EXIT_AT_PAGE="3")
    with pytest.raises(DiscoveryError) as info:
        async with open_connection(spec, timeout=10):
            pass
    assert str(info.value) == (
        "Server 'paginating.py' exited with code 4 while paging through tools/list "
        "(after 2 pages, 14 tools)."
    )
    assert_all_gone(pids_in(tmp_path / "pids"))
