"""Pinned tool definitions against a server that picks its moment (a rewrite while a call waits
for a person's approval, or between two pages of the gateway's own listing, shown to a client or
announced) or its spelling (a member of the tool in another letter case).

The server is tests/servers/misbehaving/rug_pull.py, a real process speaking MCP over stdio,
behind the real gateway; the client is the mcp SDK's, or raw JSON-RPC lines where the bytes it
reads matter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from discovery_support import script
from gateway_support import call_text, sdk_client
from test_gateway_approvals_command import _logged_command, _run
from test_gateway_redteam import call, listed_then_called, stdio_gateway
from test_gateway_server_death_outcomes import _used
from test_pins_gateway import REWRITTEN, _approve, _audit
from test_state_locked_file import locked, release

from policytui.gateway.pins import PIN_RULE


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_a_tool_rewritten_while_its_call_waits_for_approval_is_not_called(transport: str, tmp_path: Path) -> None:
    """A call to an approved tool waits for a person; meanwhile the server rewrites the tool
    (without a word) and the client's next listing shows it hidden. The person's approval must
    not send the call: the gateway knows the tool is no longer the one approved. It was sent,
    audited `allowed`, and the server ran the rewritten tool."""
    policy = _approve(tmp_path, pin_setting=True)
    doc = json.loads(policy.read_text(encoding="utf-8"))
    doc["tools"]["fetch_page"]["action"] = "require_approval"
    policy.write_text(json.dumps(doc), encoding="utf-8")
    rewritten = tmp_path / "description.txt"
    calls_log = tmp_path / "server-calls.txt"
    server = _server(RUG_PULL_DESCRIPTION_FILE=str(rewritten), RUG_PULL_CALLS=str(calls_log))
    log = tmp_path / "gateway.log"
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl"),
               "--approvals", "queue", "--approval-timeout", "60"]
    results: list[Any] = []

    async def run() -> tuple[list[str], Any]:
        async with sdk_client(transport, "legacy", options, server, log) as client:
            async def call() -> None:
                results.append(await client.call_tool("fetch_page", {"url": "https://example.org"}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                command = await _logged_command(log, 1)  # the call waits for a person
                rewritten.write_text(REWRITTEN, encoding="utf-8")
                listed = [t.name for t in (await client.list_tools()).tools]
                approved = await anyio.to_thread.run_sync(_run, command)
        return listed, approved

    listed, approved = anyio.run(run)
    assert listed == ["get_time"]  # what the client saw before the person approved
    reason = ('Tool "fetch_page" changed since it was approved (its description differs); '
              "re-approve it in the policy editor")
    assert approved.returncode == 1
    assert approved.stderr.strip().endswith(f"was approved, but the gateway did not send it: {reason}.")
    assert results[0].is_error is True and call_text(results[0]) == f"[POLICY DENIED] {reason}"
    # From the server's side: the rewritten tool was never called.
    reached = calls_log.read_text(encoding="utf-8").split() if calls_log.exists() else []
    assert [name for name in reached if not name.startswith("policytui-probe-")] == []
    lines = [line for line in _audit(tmp_path) if line["tool"] == "fetch_page"]
    assert [(line["decision"], line["rule"], line["reason"], line.get("drift"), line.get("approval"), line.get("upstream"))
            for line in lines] == [("denied", PIN_RULE, reason, True, "approved", None)]


def _server(**env: str) -> list[str]:
    """rug_pull.py's command with these variables set (a stdio gateway started by the SDK's
    client passes on only a few of its own)."""
    return ["env", *(f"{name}={value}" for name, value in env.items()), *script("rug_pull.py")]


# Keys a client on Go's encoding/json (mark3labs/mcp-go) reads as a member of the tool, whatever
# their letter case, the last of two winning; a client on the Python or TypeScript SDK does not.
MISSPELT_MEMBERS = [
    pytest.param("Title", "Reads the clock", "title", id="title"),
    pytest.param("Annotations", {"readOnlyHint": True, "destructiveHint": False}, "annotations", id="annotations"),
    pytest.param("de\u017fcription", REWRITTEN, "description", id="description-long-s"),
]


@pytest.mark.parametrize(("key", "value", "member"), MISSPELT_MEMBERS)
def test_a_member_added_in_another_letter_case_is_a_rewrite(key: str, value: Any, member: str, tmp_path: Path) -> None:
    """The server adds to an approved tool a key that is one of its members in another letter
    case: a title where the approved tool had none, annotations calling it read-only, a second
    description. The fingerprint covers the members as spelt, so the tool was listed with the
    key and called; a Go client shows the title, trusts the annotations, reads the description."""
    policy = _approve(tmp_path, pin_setting=True)
    doc = json.loads(policy.read_text(encoding="utf-8"))

    async def run() -> tuple[dict[str, Any] | None, dict[str, Any] | None, Any]:
        async with stdio_gateway(tmp_path, doc, script("rug_pull.py"), env={"RUG_PULL_EXTRA": json.dumps({key: value})}) as gw:
            listed, called = await listed_then_called(gw, "fetch_page", {"url": "https://example.org"})
        return listed, called, gw

    listed, called, gw = anyio.run(run)
    assert listed is not None and [tool["name"] for tool in listed["result"]["tools"]] == ["get_time"]
    assert called is not None and called["result"]["isError"] is True
    assert called["result"]["content"][0]["text"] == (
        f"[POLICY DENIED] Tool \"fetch_page\" cannot be checked against its approved definition: tool 'fetch_page' "
        f"has a key {key!r}, which clients that ignore letter case read as its {member!r}")
    assert gw.received_calls() == []  # the server never received the call
    assert [(line["tool"], line["decision"], line["rule"], line.get("drift")) for line in gw.audited_calls()] == [
        ("fetch_page", "denied", PIN_RULE, True)]


def test_a_member_in_another_letter_case_is_a_rewrite_over_http(tmp_path: Path) -> None:
    """The same, with the agent on `gateway --listen` and the mcp SDK's client."""
    policy = _approve(tmp_path, pin_setting=True)
    calls_log = tmp_path / "server-calls.txt"
    server = _server(RUG_PULL_EXTRA=json.dumps({"Title": "Reads the clock"}), RUG_PULL_CALLS=str(calls_log))
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl")]

    async def run() -> tuple[list[str], Any]:
        async with sdk_client("http", "legacy", options, server, tmp_path / "gateway.log") as client:
            listed = [t.name for t in (await client.list_tools()).tools]
            return listed, await client.call_tool("fetch_page", {"url": "https://example.org"})

    listed, called = anyio.run(run)
    assert listed == ["get_time"]
    assert called.is_error is True and call_text(called).endswith(
        "has a key 'Title', which clients that ignore letter case read as its 'title'")
    reached = calls_log.read_text(encoding="utf-8").split() if calls_log.exists() else []
    assert [name for name in reached if not name.startswith("policytui-probe-")] == []
    assert [(line["decision"], line["rule"], line.get("drift")) for line in _audit(tmp_path)
            if line["tool"] == "fetch_page"] == [("denied", PIN_RULE, True)]


def test_a_rewrite_a_client_sees_while_the_gateway_lists_for_a_call_is_not_forgotten(tmp_path: Path) -> None:
    """A call makes the gateway list the server's tools, one a page. Between its first page
    (the approved `fetch_page`) and its second, the server rewrites the tool and a client's
    listing shows it: hidden, logged as changed. The gateway's listing then ended with its
    first page's definition as the live one, and the call was sent to the rewritten tool."""
    policy = _approve(tmp_path, pin_setting=True)
    doc = json.loads(policy.read_text(encoding="utf-8"))
    rewritten = tmp_path / "description.txt"
    holding = tmp_path / "holding"

    async def run() -> tuple[Any, Any, Any]:
        env = {"RUG_PULL_DESCRIPTION_FILE": str(rewritten), "RUG_PULL_PAGED": str(holding)}
        async with stdio_gateway(tmp_path, doc, script("rug_pull.py"), env=env) as gw:
            with anyio.fail_after(20):  # the gateway's own listing at start is over
                while not [line for line in gw.audit() if line["decision"] == "probe"]:
                    await anyio.sleep(0.02)
            holding.touch()
            await gw.send(call(1, "fetch_page", {"url": "https://example.org"}))
            with anyio.fail_after(20):
                while "held" not in holding.read_text(encoding="utf-8"):
                    await anyio.sleep(0.02)
            rewritten.write_text(REWRITTEN, encoding="utf-8")
            await gw.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
            listed = await gw.answer(2)
            called = await gw.answer(1)
        return listed, called, gw

    listed, called, gw = anyio.run(run)
    assert listed is not None and listed["result"] == {"tools": [], "nextCursor": "1"}  # fetch_page hidden
    assert called is not None and called["result"].get("isError") is True, called
    assert called["result"]["content"][0]["text"].startswith('[POLICY DENIED] Tool "fetch_page" changed since it was approved')
    assert gw.received_calls() == []  # the server never received the call
    assert [(line["tool"], line["decision"], line["rule"], line.get("drift")) for line in gw.audited_calls()] == [
        ("fetch_page", "denied", PIN_RULE, True)]


def test_a_rewrite_announced_between_two_pages_of_the_gateways_listing_is_listed_again(tmp_path: Path) -> None:
    """A call makes the gateway list the server's tools, one a page. Between the first page
    (the approved `fetch_page`) and the second, the server rewrites the tool and announces
    `list_changed`. The gateway's listing, ending after the announcement, counted as the
    current one: this call and every later one went to the rewritten tool, until a client
    listed the tools again."""
    policy = _approve(tmp_path, pin_setting=True)
    doc = json.loads(policy.read_text(encoding="utf-8"))
    calls_log = tmp_path / "server-calls.txt"
    split = tmp_path / "split"

    async def run() -> list[Any]:
        env = {"RUG_PULL_SPLIT": str(split), "RUG_PULL_CALLS": str(calls_log)}
        async with stdio_gateway(tmp_path, doc, script("rug_pull.py"), env=env) as gw:
            await gw.send(call(1, "get_time"))  # the server then says its tools changed
            answers = [await gw.answer(1)]
            split.touch()  # the next listing for pinning is the one split by a rewrite
            for request_id in (2, 3):
                await gw.send(call(request_id, "fetch_page", {"url": "https://example.org"}))
                answers.append(await gw.answer(request_id))
            return answers

    answers = anyio.run(run)
    assert [answer["result"]["content"][0]["text"] for answer in answers if answer is not None] == [
        "called get_time",
        *['[POLICY DENIED] Tool "fetch_page" changed since it was approved (its description differs); '
          "re-approve it in the policy editor"] * 2]
    # From the server's side: the rewritten tool was never called.
    assert calls_log.read_text(encoding="utf-8").split() == ["get_time"]
    audited = [(line["tool"], line["decision"], line["rule"], line.get("drift")) for line in _audit(tmp_path)
               if line["decision"] != "probe" and line.get("upstream") != "sent"]
    assert audited == [("get_time", "allowed", "tools.get_time", None), *[("fetch_page", "denied", PIN_RULE, True)] * 2]


def test_a_server_that_says_its_tools_changed_during_every_listing_gets_no_call(tmp_path: Path) -> None:
    """A server that announces `list_changed` during each of the gateway's listings for
    pinning never lets it know which definitions are current: a listing it said so during may
    hold a tool as it was before a rewrite. After three such listings the call is denied;
    before, it was decided on the last of them and sent."""
    policy = _approve(tmp_path, pin_setting=True)
    doc = json.loads(policy.read_text(encoding="utf-8"))
    calls_log = tmp_path / "server-calls.txt"

    async def run() -> Any:
        env = {"RUG_PULL_SPLIT": str(tmp_path / "split"), "RUG_PULL_FLOOD": "1", "RUG_PULL_CALLS": str(calls_log)}
        async with stdio_gateway(tmp_path, doc, script("rug_pull.py"), env=env) as gw:
            await gw.send(call(1, "fetch_page", {"url": "https://example.org"}))
            return await gw.answer(1)

    answer = anyio.run(run)
    assert answer is not None and answer["result"]["content"][0]["text"] == (
        '[POLICY DENIED] Tool "fetch_page" cannot be checked against its approved definition: the server said '
        "its tools changed during each of 3 listings of them")
    assert not calls_log.exists()  # the server never received the call
    audited = [(line["tool"], line["decision"], line["rule"], line.get("drift")) for line in _audit(tmp_path)
               if line["decision"] != "probe" and line.get("upstream") != "sent"]
    assert audited == [("fetch_page", "denied", PIN_RULE, True)]


def test_a_tool_rewritten_while_its_call_waits_for_the_state_file_is_not_called(tmp_path: Path) -> None:
    """A limited call to the approved `fetch_page` waits for the state file, which another
    program holds locked; meanwhile the server rewrites the tool (without a word) and a
    client's listing shows it hidden. Once the file is free the call is charged, and it must
    not be sent: the gateway knows the tool is no longer the one approved. It was sent, audited
    `allowed`, and the server ran the rewritten tool."""
    policy = _approve(tmp_path, pin_setting=True)
    doc = json.loads(policy.read_text(encoding="utf-8"))
    doc["tools"]["fetch_page"]["limits"] = [{"counter": "pages", "window": "day", "max": 10}]
    rewritten = tmp_path / "description.txt"

    async def run() -> tuple[Any, Any, Any, Any]:
        async with stdio_gateway(tmp_path, doc, script("rug_pull.py"),
                                 env={"RUG_PULL_DESCRIPTION_FILE": str(rewritten)}) as gw:
            await gw.send(call(1, "fetch_page", {"url": "https://example.org/1"}))  # lists and charges once
            first = await gw.answer(1)
            with locked(tmp_path / "state" / "state.sqlite") as locker:
                rewritten.write_text(REWRITTEN, encoding="utf-8")
                # The call is read first: it passes the check against the tools as last listed,
                # then waits for the file; the listing after it shows the rewrite.
                await gw.send(call(2, "fetch_page", {"url": "https://example.org/2"}))
                await gw.send({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {}})
                listed = await gw.answer(3)
                assert gw.raw_answer(2) is None, "the call ended before the file was free"
                release(locker)
                called = await gw.answer(2)
        return first, listed, called, gw

    first, listed, called, gw = anyio.run(run)
    assert first is not None and first["result"]["content"][0]["text"] == "called fetch_page"
    assert listed is not None and [tool["name"] for tool in listed["result"]["tools"]] == ["get_time"]
    reason = ('Tool "fetch_page" changed since it was approved (its description differs); '
              "re-approve it in the policy editor")
    assert called is not None and called["result"]["content"][0]["text"] == f"[POLICY DENIED] {reason}", called
    assert gw.received_calls() == ["fetch_page"]  # the first call only: the rewritten tool was never called
    assert [(line["decision"], line["rule"], line["reason"], line.get("drift"), line.get("upstream"))
            for line in gw.audited_calls()] == [
        ("allowed", "tools.fetch_page", "", None, "ok"), ("denied", PIN_RULE, reason, True, None)]
    # Its charge was given back: the counter holds the first call alone.
    assert _used(tmp_path / "state", "pages") == 1


def test_a_charged_call_cancelled_while_the_tools_are_listed_again_gets_its_charge_back(tmp_path: Path) -> None:
    """The same wait for the state file, while the server announces that its tools changed:
    once charged, the call waits for the gateway to list them again, and its client cancels it
    then. The call is not sent, has its one audit line, and its charge is given back (the
    counter holds the first call alone)."""
    from test_gateway_approvals_withdrawn import cancelled

    from policytui.gateway.enforcer import CANCELLED_IN_PINNING

    policy = _approve(tmp_path, pin_setting=True)
    doc = json.loads(policy.read_text(encoding="utf-8"))
    doc["tools"]["fetch_page"]["limits"] = [{"counter": "pages", "window": "day", "max": 10}]
    slow = tmp_path / "slow"

    def pinning_listings(gw: Any) -> list[dict[str, Any]]:
        # The gateway asks for its own listings, for pinning, with `"params": {}` (others with none).
        return [m for m in gw.received() if m.get("method") == "tools/list" and m.get("params") == {}]

    async def run() -> tuple[Any, Any]:
        # The server's second call (`get_time` below) rewrites `fetch_page` and announces it.
        env = {"RUG_PULL_AFTER": "2", "RUG_PULL_SLOW_LIST": str(slow)}
        async with stdio_gateway(tmp_path, doc, script("rug_pull.py"), env=env) as gw:
            await gw.send(call(1, "fetch_page", {"url": "https://example.org/1"}))  # lists and charges once
            await gw.answer(1)
            with locked(tmp_path / "state" / "state.sqlite") as locker:
                await gw.send(call(2, "fetch_page", {"url": "https://example.org/2"}))
                await gw.send(call(3, "get_time"))  # unlimited: answered while the other call waits
                await gw.answer(3)
                slow.touch()  # from now on the server takes 5 s to list its tools
                release(locker)
                with anyio.fail_after(20):  # the call is charged, and the gateway lists the tools for it
                    while len(pinning_listings(gw)) < 2:
                        await anyio.sleep(0.02)
                await gw.send(cancelled(2))
                with anyio.fail_after(4):  # well before the listing could have ended
                    while len(gw.audited_calls()) < 3:
                        await anyio.sleep(0.02)
            return await gw.answer(2, timeout=0.5), gw

    answer, gw = anyio.run(run)
    assert answer is None
    assert gw.received_calls() == ["fetch_page", "get_time"]
    assert [(line["tool"], line["decision"], line["reason"]) for line in gw.audited_calls()] == [
        ("fetch_page", "allowed", ""), ("get_time", "allowed", ""), ("fetch_page", "denied", CANCELLED_IN_PINNING)]
    assert _used(tmp_path / "state", "pages") == 1


async def _reloaded(log: Path, times: int) -> None:
    """Until the gateway's log says it reloaded its policy `times` times."""
    with anyio.fail_after(20):
        while (log.read_text(encoding="utf-8") if log.exists() else "").count(" reloaded (sha256 ") < times:
            await anyio.sleep(0.05)


def test_a_rewrite_listed_while_pinning_was_off_is_caught_once_it_is_on_again(tmp_path: Path) -> None:
    """Pinning is on, and the gateway has listed the approved tools; the operator turns it off
    (a reload), the server rewrites `fetch_page` (without a word) and a client's listing shows
    the rewrite; the operator turns pinning on again. The gateway still held the definitions it
    had listed before pinning went off, so the call was sent to the rewritten tool."""
    policy = _approve(tmp_path, pin_setting=True)
    doc = json.loads(policy.read_text(encoding="utf-8"))
    rewritten = tmp_path / "description.txt"
    log = tmp_path / "gateway.log"

    def pinning(on: bool) -> None:
        (tmp_path / "policy.json").write_text(json.dumps({**doc, "x-policytui": {**doc["x-policytui"], "pin": on}}),
                                              encoding="utf-8")

    async def run() -> tuple[Any, Any, Any, Any]:
        async with stdio_gateway(tmp_path, doc, script("rug_pull.py"),
                                 env={"RUG_PULL_DESCRIPTION_FILE": str(rewritten)}) as gw:
            await gw.send(call(1, "fetch_page", {"url": "https://example.org/1"}))  # lists the tools for pinning
            first = await gw.answer(1)
            pinning(False)
            await _reloaded(log, 1)
            rewritten.write_text(REWRITTEN, encoding="utf-8")
            await gw.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
            listed = await gw.answer(2)
            pinning(True)
            await _reloaded(log, 2)
            await gw.send(call(3, "fetch_page", {"url": "https://example.org/3"}))
            return first, listed, await gw.answer(3), gw

    first, listed, called, gw = anyio.run(run)
    assert first is not None and first["result"]["content"][0]["text"] == "called fetch_page"
    assert listed is not None and [tool["description"] for tool in listed["result"]["tools"]
                                   if tool["name"] == "fetch_page"] == [REWRITTEN]  # pinning off: shown as it is
    reason = ('Tool "fetch_page" changed since it was approved (its description differs); '
              "re-approve it in the policy editor")
    assert called is not None and called["result"].get("isError") is True, called
    assert called["result"]["content"][0]["text"] == f"[POLICY DENIED] {reason}"
    assert gw.received_calls() == ["fetch_page"]  # the first call only: the rewritten tool was never called
    assert [(line["decision"], line["rule"], line["reason"], line.get("drift"), line.get("upstream"))
            for line in gw.audited_calls()] == [
        ("allowed", "tools.fetch_page", "", None, "ok"), ("denied", PIN_RULE, reason, True, None)]


def test_a_tool_a_clients_paged_listing_shows_two_ways_is_not_called(tmp_path: Path) -> None:
    """The server lists `fetch_page` rewritten on one page and as approved on the next. The
    gateway's own listing finds the name defined two ways and denies the call; a client's
    paged listing then showed the rewrite on its first page (hidden) and the approved
    definition on its second (listed), which the gateway took for the live one: the next call
    was sent, and the server may run either definition. A definition a page shows other than the
    one held is not taken on its word: the gateway lists the tools again for the next call."""
    policy = _approve(tmp_path, pin_setting=True)
    doc = json.loads(policy.read_text(encoding="utf-8"))

    async def run() -> tuple[Any, list[Any], Any, Any]:
        async with stdio_gateway(tmp_path, doc, script("rug_pull.py"), env={"RUG_PULL_TWO_PAGES": "1"}) as gw:
            await gw.send(call(1, "fetch_page", {"url": "https://example.org/1"}))  # lists the tools for pinning
            first = await gw.answer(1)
            pages: list[Any] = []
            params: dict[str, Any] = {}
            for page in range(10, 14):  # the client's own listing, page by page
                await gw.send({"jsonrpc": "2.0", "id": page, "method": "tools/list", "params": params})
                answer = await gw.answer(page)
                assert answer is not None
                pages.append(answer["result"])
                if "nextCursor" not in answer["result"]:
                    break
                params = {"cursor": answer["result"]["nextCursor"]}
            await gw.send(call(2, "fetch_page", {"url": "https://example.org/2"}))
            return first, pages, await gw.answer(2), gw

    first, pages, called, gw = anyio.run(run)
    conflicting = ('Tool "fetch_page" changed since it was approved (its title, description, input or output '
                   "schema, annotations or other members differ); re-approve it in the policy editor")
    assert first is not None and first["result"]["content"][0]["text"] == f"[POLICY DENIED] {conflicting}"
    assert [[tool["name"] for tool in page["tools"]] for page in pages] == [[], ["fetch_page"], ["get_time"]]
    assert called is not None and called["result"].get("isError") is True, called
    assert called["result"]["content"][0]["text"] == f"[POLICY DENIED] {conflicting}"
    assert gw.received_calls() == []  # neither call reached the server
    assert [(line["decision"], line["rule"], line["reason"], line.get("drift")) for line in gw.audited_calls()] == [
        ("denied", PIN_RULE, conflicting, True)] * 2


def test_a_change_the_server_announces_while_the_gateway_announces_its_listing_is_listed_again(
        tmp_path: Path) -> None:
    """A call makes the gateway list the server's tools: `fetch_page` as approved, `get_time`
    rewritten, so it tells its client the tools changed; the client is not reading (its pipe is
    full), so that notice waits. Meanwhile the server rewrites `fetch_page` and says its tools
    changed. The call was decided on the listing made before that, and sent to the rewritten
    tool once the client read again; it is listed again now, and denied."""
    pad = {"get_time": {"_meta": {"pad": "x" * 100_000}}}  # each listing a client gets is 100 kB
    env = {"RUG_PULL_EXTRAS": json.dumps(pad)}
    policy = _approve(tmp_path, pin_setting=True, env=env)
    doc = json.loads(policy.read_text(encoding="utf-8"))
    late = tmp_path / "late"
    late.mkdir()

    def listings(gw: Any) -> int:
        return len([m for m in gw.received() if m.get("method") == "tools/list"])

    async def run() -> tuple[Any, Any]:
        async with stdio_gateway(tmp_path, doc, script("rug_pull.py"), env={**env, "RUG_PULL_LATE": str(late)}) as gw:
            (late / "get_time").touch()
            out = gw.process._transport.get_pipe_transport(1)  # type: ignore[attr-defined]
            out.pause_reading()  # the client stops reading: 800 kB of listings fill its pipe
            fill = [{"jsonrpc": "2.0", "id": 10 + n, "method": "tools/list"} for n in range(8)]
            await gw.write(b"".join(json.dumps(message).encode() + b"\n" for message in [
                *fill, call(1, "fetch_page", {"url": "https://example.org/1"})]))
            log = tmp_path / "gateway.log"
            with anyio.fail_after(20):  # the call's listing is over, and its notice waits for the client
                while 'changed since they were approved: "get_time"' not in log.read_text(encoding="utf-8"):
                    await anyio.sleep(0.02)
            before = listings(gw)
            (late / "trigger").touch()
            with anyio.fail_after(20):  # the gateway read the server's list_changed (and lists for it)
                while not (late / "sent").exists() or listings(gw) == before:
                    await anyio.sleep(0.02)
            assert gw.received_calls() == [], "the call was sent before the server's notice"
            out.resume_reading()
            return await gw.answer(1), gw

    called, gw = anyio.run(run)
    assert called is not None and called["result"].get("isError") is True, called
    assert called["result"]["content"][0]["text"].startswith(
        '[POLICY DENIED] Tool "fetch_page" changed since it was approved (its description differs)'), called
    assert gw.received_calls() == []
    assert [(line["decision"], line["rule"], line.get("drift")) for line in gw.audited_calls()] == [
        ("denied", PIN_RULE, True)]
