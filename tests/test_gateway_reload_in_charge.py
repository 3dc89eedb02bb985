"""A policy reloaded while a limited call waits for its charge decides that call.

A real `policytui gateway` process over stdio, in front of rug_pull.py behind `tee_stdin.py`
(what the server read), keeps its counters in a SQLite file that another process holds locked
(`BEGIN EXCLUSIVE`). A limited call waits for the file; meanwhile the operator saves a policy
that hides the tool or denies it, and the gateway reloads it. Once the file is free the call
must not reach the server: judged from the server's side (what it read), the audit log's and
the counter's (`policytui counters`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from discovery_support import script
from gateway_support import call_text, sdk_client
from test_gateway_redteam import call, stdio_gateway
from test_gateway_server_death_outcomes import _used
from test_state_locked_file import locked, release

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

LIMITED = {"version": "1", "default": "allow",
           "tools": {"fetch_page": {"limits": [{"counter": "pages", "window": "day", "max": 10}]}}}


async def _reloaded(log: Path, times: int) -> None:
    """Until the gateway's log says it reloaded its policy `times` times."""
    with anyio.fail_after(4):  # within the state file's busy timeout (5 s)
        while (log.read_text(encoding="utf-8") if log.exists() else "").count(" reloaded (sha256 ") < times:
            await anyio.sleep(0.05)


@pytest.mark.parametrize(("change", "audited", "answered"), [
    # A hidden tool is answered as one the server does not have.
    pytest.param({"hide": ["fetch_page"]}, ("hidden", "hide", 'Tool "fetch_page" is hidden by policy'),
                 "Unknown tool: fetch_page", id="hidden"),
    pytest.param({"tools": {"fetch_page": {"action": "deny", "reason": "pages are off today"}}},
                 ("denied", "tools.fetch_page.action", "pages are off today"),
                 "[POLICY DENIED] pages are off today", id="denied"),
    pytest.param({"tools": {"fetch_page": {"action": "require_approval"}}},
                 ("denied", "tools.fetch_page.action", 'Tool "fetch_page" requires approval, and the policy came to '
                  "ask a person while the call waited; call the tool again"),
                 '[POLICY DENIED] Tool "fetch_page" requires approval, and the policy came to ask a person while the '
                 "call waited; call the tool again", id="held"),
])
def test_a_policy_reloaded_while_a_call_waits_for_its_charge_decides_it(
        change: dict[str, Any], audited: tuple[str, str, str], answered: str, tmp_path: Path) -> None:
    """The call was decided by the policy in force when it came, and sent once charged: the
    server ran a tool the policy in force then hid or denied, and the call was audited
    `allowed`. It is denied now by the reloaded policy, and its charge given back."""
    async def run() -> tuple[Any, Any, Any]:
        async with stdio_gateway(tmp_path, LIMITED, script("rug_pull.py")) as gw:
            await gw.send(call(1, "fetch_page", {"url": "https://example.org/1"}))  # makes the state file
            first = await gw.answer(1)
            with locked(tmp_path / "state" / "state.sqlite") as locker:
                await gw.send(call(2, "fetch_page", {"url": "https://example.org/2"}))
                await anyio.sleep(0.3)  # the call is decided and waits for the file
                (tmp_path / "policy.json").write_text(json.dumps({**LIMITED, **change}), encoding="utf-8")
                await _reloaded(tmp_path / "gateway.log", 1)
                assert gw.raw_answer(2) is None, "the call ended before the file was free"
                release(locker)
                called = await gw.answer(2)
        return first, called, gw

    first, called, gw = anyio.run(run)
    assert first is not None and first["result"]["content"][0]["text"] == "called fetch_page"
    assert called is not None and called["result"].get("isError") is True, called
    assert called["result"]["content"][0]["text"] == answered
    assert gw.received_calls() == ["fetch_page"]  # the first call only
    assert [(line["decision"], line["rule"], line["reason"], line.get("upstream")) for line in gw.audited_calls()] == [
        ("allowed", "tools.fetch_page", "", "ok"), (*audited, None)]
    assert _used(tmp_path / "state", "pages") == 1


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_a_policy_reloaded_while_a_call_waits_for_its_charge_decides_it_over_http(mode: str, tmp_path: Path) -> None:
    """The same for an agent on `gateway --listen` with the mcp SDK's client, of each protocol:
    the operator denies the tool while its call waits for the state file."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(LIMITED), encoding="utf-8")
    calls_log = tmp_path / "server-calls.txt"
    server = ["env", f"RUG_PULL_CALLS={calls_log}", *script("rug_pull.py")]
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl"),
               "--reload-interval", "0.2"]
    denied = {"tools": {"fetch_page": {"action": "deny", "reason": "pages are off today"}}}
    results: list[Any] = []

    async def run() -> Any:
        async with sdk_client("http", mode, options, server, tmp_path / "gateway.log") as client:
            first = await client.call_tool("fetch_page", {"url": "https://example.org/1"})  # makes the state file
            with locked(tmp_path / "state" / "state.sqlite") as locker:
                async def second() -> None:
                    results.append(await client.call_tool("fetch_page", {"url": "https://example.org/2"}))

                async with anyio.create_task_group() as tg:
                    tg.start_soon(second)
                    await anyio.sleep(0.3)  # the call is decided and waits for the file
                    policy.write_text(json.dumps({**LIMITED, **denied}), encoding="utf-8")
                    await _reloaded(tmp_path / "gateway.log", 1)
                    assert results == [], "the call ended before the file was free"
                    release(locker)
            return first

    first = anyio.run(run)
    assert call_text(first) == "called fetch_page"
    assert results[0].is_error is True and call_text(results[0]) == "[POLICY DENIED] pages are off today"
    reached = calls_log.read_text(encoding="utf-8").split() if calls_log.exists() else []
    assert [name for name in reached if not name.startswith("policytui-probe-")] == ["fetch_page"]  # the first only
    audited = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(line["decision"], line["rule"], line.get("upstream")) for line in audited
            if line["tool"] == "fetch_page" and line.get("upstream") != "sent"] == [
        ("allowed", "tools.fetch_page", "ok"), ("denied", "tools.fetch_page.action", None)]
    assert _used(tmp_path / "state", "pages") == 1


def test_a_call_charged_under_the_old_limits_is_charged_under_the_reloaded_ones(tmp_path: Path) -> None:
    """The operator lowers `fetch_page`'s limit from 10 to 1 a day while a call to it waits for
    its charge: the reloaded limits are the ones in force, and the first call has spent the one
    they allow. The call was charged under the old limit (2 of 10) and sent; it is charged again
    under the new one now, which is full: denied by the rate limit, its first charge given back
    (the counter holds the first call alone)."""
    lowered = {**LIMITED, "tools": {"fetch_page": {"limits": [{"counter": "pages", "window": "day", "max": 1}]}}}

    async def run() -> tuple[Any, Any]:
        async with stdio_gateway(tmp_path, LIMITED, script("rug_pull.py")) as gw:
            await gw.send(call(1, "fetch_page", {"url": "https://example.org/1"}))  # makes the state file
            await gw.answer(1)
            with locked(tmp_path / "state" / "state.sqlite") as locker:
                await gw.send(call(2, "fetch_page", {"url": "https://example.org/2"}))
                await anyio.sleep(0.3)  # the call is decided and waits for the file
                (tmp_path / "policy.json").write_text(json.dumps(lowered), encoding="utf-8")
                await _reloaded(tmp_path / "gateway.log", 1)
                assert gw.raw_answer(2) is None, "the call ended before the file was free"
                release(locker)
                called = await gw.answer(2)
        return called, gw

    called, gw = anyio.run(run)
    assert called is not None and called["result"].get("isError") is True, called
    assert called["result"]["content"][0]["text"].startswith("[POLICY DENIED] rate limit 1 per day reached; retry in "), called
    assert gw.received_calls() == ["fetch_page"]  # the first call only
    lines = gw.audited_calls()
    assert [(line["decision"], line["rule"], line.get("upstream")) for line in lines] == [
        ("allowed", "tools.fetch_page", "ok"), ("denied", "tools.fetch_page.limits[0]", None)]
    assert lines[1]["policy_sha256"] != lines[0]["policy_sha256"]  # decided by the reloaded policy
    assert _used(tmp_path / "state", "pages") == 1
