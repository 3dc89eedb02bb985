"""Tools a server lists that the policy never named are told in the gateway's log.

A policy saved from an older listing lets the tools the server lists now, and the policy never
named, through under `default: allow`: the contract says `default` decides them, and the
gateway keeps that, but says so at start and whenever the server's list changes. The
gateway is the installed `policytui gateway`, in front of the real server-everything (npm),
or of tests/servers/misbehaving/rug_pull.py for a server that rewrites a tool mid-session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
from discovery_support import script
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from policytui.editor.state import EditorState
from policytui.toolinfo import ServerListing

POLICYTUI = str(Path(sys.executable).with_name("policytui"))
# What server-everything offers only to clients that can answer its requests, which a listing
# made before policytui declared the gateway's capabilities did not show.
ONLY_FOR_CAPABLE_CLIENTS = ("get-roots-list", "trigger-elicitation-request", "trigger-sampling-request")
NAMED = '"get-roots-list", "trigger-elicitation-request" and "trigger-sampling-request"'


def _saved_without_the_capable_clients_tools(tmp: Path, everything: Path, default: str) -> Path:
    """A policy saved in the editor from server-everything's listing without those three tools
    (their fingerprints too), every tool it saw allowed, with `default` as given."""
    from policytui.discovery import list_tools, resolve_target

    full = anyio.run(lambda: list_tools(resolve_target(command=[str(everything), "stdio"])))
    seen = ServerListing.from_tool_dicts([t.raw for t in full.tools if t.name not in ONLY_FOR_CAPABLE_CLIENTS])
    policy = tmp / "policy.json"
    state = EditorState.open(seen, policy)
    state.set_decision([t.name for t in seen.tools], "allow")
    state.save()
    document = json.loads(policy.read_text(encoding="utf-8"))
    assert set(document["x-policytui"]["fingerprints"]) == {t.name for t in seen.tools}
    policy.write_text(json.dumps({**document, "default": default}), encoding="utf-8")
    return policy


def _gateway_start(tmp: Path, policy: Path, server: list[str], *extra: str) -> list[str]:
    """The lines the installed gateway writes on stderr when started for a client that leaves
    at once: it lists the server's tools at start, before serving."""
    done = subprocess.run(
        [POLICYTUI, "gateway", "--policy", str(policy), "--state-dir", str(tmp / "state"), *extra, "--", *server],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, cwd=tmp)
    assert "serving MCP on standard input/output" in done.stderr, done.stderr
    return [line for line in done.stderr.splitlines() if " policy: " in line]


def test_tools_a_saved_policy_never_named_are_told_at_start_with_what_default_does(
        tmp_path: Path, everything: Path) -> None:
    """A policy saved from a listing without three of server-everything's tools, `default:
    allow`, pinning off: the three were allowed and nobody was told. The gateway now says so in
    one WARNING line at start; with pinning on, that they are hidden and denied; under
    `default: deny`, an INFO note. A policy naming every tool the server lists says nothing."""
    policy = _saved_without_the_capable_clients_tools(tmp_path, everything, "allow")
    server = [str(everything), "stdio"]
    [line] = _gateway_start(tmp_path, policy, server)
    assert (" WARNING policy: 3 tools the server lists are not named in the policy and are allowed by its "
            f'"default": "allow": {NAMED}; give each a rule or hide it, or set "default": "deny"') in line, line
    [line] = _gateway_start(tmp_path, policy, server, "--pin")
    assert (" WARNING policy: 3 tools the server lists are not named in the policy and are hidden and denied by "
            f"pinning: {NAMED}; approve in `policytui connect` (key P) what should be served") in line, line
    denying = _saved_without_the_capable_clients_tools(tmp_path, everything, "deny")
    [line] = _gateway_start(tmp_path, denying, server)
    assert f' INFO policy: 3 tools the server lists are not named in the policy and are denied by its "default": "deny": {NAMED}' \
        in line, line
    document = json.loads(policy.read_text(encoding="utf-8"))
    policy.write_text(json.dumps({**document, "hide": list(ONLY_FOR_CAPABLE_CLIENTS)}), encoding="utf-8")
    assert _gateway_start(tmp_path, policy, server) == []


def _without_approval_of(policy: Path, *names: str) -> None:
    """Drop the approved definitions of `names` from the policy, their rules kept (a rule added
    by hand, or a policy saved before its tools were approved)."""
    document = json.loads(policy.read_text(encoding="utf-8"))
    for name in names:
        del document["x-policytui"]["fingerprints"][name]
    policy.write_text(json.dumps(document), encoding="utf-8")


def _listed_through_gateway(tmp: Path, policy: Path, server: list[str], *extra: str) -> set[str]:
    """The tool names a client of the installed gateway is given."""
    params = StdioServerParameters(
        command=POLICYTUI, args=["gateway", "--policy", str(policy), "--state-dir", str(tmp / "state"), *extra,
                                 "--", *server], cwd=str(tmp))

    async def run() -> set[str]:
        with open(tmp / "listing-stderr.txt", "w", encoding="utf-8") as errlog:  # noqa: ASYNC230 - opened once
            async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=30) as client:
                return {tool.name for tool in (await client.list_tools()).tools}

    return anyio.run(run)


def test_tools_with_a_rule_but_no_approved_definition_are_told_at_start_under_pinning(
        tmp_path: Path, everything: Path) -> None:
    """Under pinning, a tool the policy has a rule for but approves no definition of is hidden
    and denied as an unnamed one is, yet the start line left it out, and pinning's own line
    named it only at the first call. The start line now names it too, in the same line as the
    unnamed tools, with the advice said once; pinning off, a rule is enough and nothing is said
    of it."""
    policy = _saved_without_the_capable_clients_tools(tmp_path, everything, "allow")
    _without_approval_of(policy, "echo", "get-sum")
    server = [str(everything), "stdio"]
    [line] = _gateway_start(tmp_path, policy, server, "--pin")
    assert line.endswith(
        f" WARNING policy: 3 tools the server lists are not named in the policy and are hidden and denied by "
        f'pinning: {NAMED}; 2 tools the policy has a rule for have no approved definition and are hidden and '
        'denied by pinning: "echo" and "get-sum"; approve in `policytui connect` (key P) what should be served'), line
    # What the line says is what a client is given: the five tools are not listed.
    listed = _listed_through_gateway(tmp_path, policy, server, "--pin")
    assert listed and not listed & {"echo", "get-sum", *ONLY_FOR_CAPABLE_CLIENTS}, listed
    [line] = _gateway_start(tmp_path, policy, server)
    assert "echo" not in line and line.endswith(f'"default": "allow": {NAMED}; give each a rule or hide it, or set '
                                                '"default": "deny"'), line
    document = json.loads(policy.read_text(encoding="utf-8"))
    policy.write_text(json.dumps({**document, "hide": [*ONLY_FOR_CAPABLE_CLIENTS, "echo"]}), encoding="utf-8")
    [line] = _gateway_start(tmp_path, policy, server, "--pin")
    assert line.endswith(' WARNING policy: 1 tool the policy has a rule for has no approved definition and is '
                         'hidden and denied by pinning: "get-sum"; approve in `policytui connect` (key P) what '
                         'should be served'), line
    assert _gateway_start(tmp_path, policy, server) == []


# A credential the gateway's environment gives the server, which the server puts in a tool's name.
TOKEN = "tok-9Qx7LmW2vR4zK8pD"


def test_a_tool_rewritten_while_pinning_is_off_is_told_when_the_server_says_its_list_changed(tmp_path: Path) -> None:
    """A policy that approved `fetch_page` and `get_time` as first listed, `default: allow`,
    pinning off, in front of a server that lists a tool more and rewrites `fetch_page` after a
    call, saying its tool list changed. Both went through unseen. The gateway now names the
    added tool at start (its name holds the server's token: starred) and, once the list
    changed, the rewritten one beside it."""
    from policytui.discovery import list_tools, resolve_target

    listing = anyio.run(lambda: list_tools(resolve_target(command=script("rug_pull.py"))))
    policy = tmp_path / "policy.json"
    state = EditorState.open(listing, policy)
    state.set_decision([t.name for t in listing.tools], "allow")
    state.save()
    policy.write_text(json.dumps({**json.loads(policy.read_text(encoding="utf-8")), "default": "allow"}),
                      encoding="utf-8")
    log = tmp_path / "gateway.log"
    params = StdioServerParameters(
        command=POLICYTUI,
        args=["gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--log", str(log),
              "--", *script("rug_pull.py")],
        cwd=str(tmp_path),
        env={**os.environ, "RUG_PULL_AFTER": "1", "EXPORT_TOKEN": TOKEN, "RUG_PULL_NEW_TOOL": f"export_{TOKEN}"})

    def told() -> list[str]:
        return [line for line in log.read_text(encoding="utf-8").splitlines() if " policy: " in line]

    added = ('1 tool the server lists is not named in the policy and is allowed by its "default": "allow": '
             '"export_***"; give each a rule or hide it, or set "default": "deny"')

    async def run() -> None:
        with open(tmp_path / "stderr.txt", "w", encoding="utf-8") as errlog:  # noqa: ASYNC230 - opened once
            async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=30) as client:
                [line] = told()
                assert line.endswith(" WARNING policy: " + added), line
                assert (await client.call_tool("get_time", {})).is_error is not True
                deadline = time.monotonic() + 20
                while len(told()) < 2:
                    assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
                    await anyio.sleep(0.05)

    anyio.run(run)
    assert told()[1].endswith(
        f" WARNING policy: {added}; 1 tool differs from the definition the policy approved, and pinning is off, "
        'so it is served as it is now: "fetch_page"'), told()
    assert len(told()) == 2 and TOKEN not in log.read_text(encoding="utf-8") + (tmp_path / "stderr.txt").read_text()
