"""`policytui check` under pinning decides a call as the gateway does, or says what it cannot know.

A policy that pins tool definitions (`"x-policytui": {"pin": true}`, or `gateway --pin`) has the
gateway deny a call to a tool it approves no definition of before any rule is read, and a call
to a tool whose live definition is not the approved one. `check` ran the rules alone and called
such calls allowed. These tests run the installed `policytui check`, and once the real gateway
in front of the rug-pull test server with the same policy, to compare the two answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
from test_pins_gateway import gateway

from policytui.toolinfo import ToolInfo

POLICYTUI = str(Path(sys.executable).with_name("policytui"))
# The tools of tests/servers/misbehaving/rug_pull.py, as it lists them by default.
FETCH_PAGE = {
    "name": "fetch_page",
    "description": "Fetches a web page and returns its text.",
    "inputSchema": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]},
}
GET_TIME = {
    "name": "get_time",
    "description": "Returns the current time.",
    "inputSchema": {"type": "object", "properties": {}},
    "annotations": {"readOnlyHint": True},
}
UNAPPROVED = ('Tool "get_time" has no approved definition and pinning is on; approve it in the '
              "policy editor")


def _policy(tmp: Path, *, pin: bool, definitions: bool = True) -> Path:
    """Both tools allowed; only fetch_page's definition approved (get_time came later)."""
    meta: dict[str, Any] = {"fingerprints": {"fetch_page": ToolInfo.from_wire(FETCH_PAGE).fingerprint()}}
    if pin:
        meta["pin"] = True
    if definitions:
        meta["definitions"] = {"fetch_page": {k: v for k, v in FETCH_PAGE.items() if k != "name"}}
    path = tmp / "policy.json"
    path.write_text(json.dumps({"version": "1", "default": "deny",
                                "tools": {"fetch_page": {"action": "allow"}, "get_time": {"action": "allow"}},
                                "x-policytui": meta}))
    return path


def check(*argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([POLICYTUI, "check", *argv], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stdout + done.stderr
    return done


def test_a_tool_the_pinned_policy_approves_no_definition_of_is_denied_as_the_gateway_denies_it(
    tmp_path: Path,
) -> None:
    policy = _policy(tmp_path, pin=True)
    done = check(str(policy), "get_time")
    assert done.returncode == 1, done.stdout
    assert done.stdout.splitlines()[:2] == [f"denied: {UNAPPROVED}", "rule: x-policytui.pin"]
    as_json = json.loads(check(str(policy), "get_time", "--json").stdout)
    assert (as_json["outcome"], as_json["rule"], as_json["reason"]) == ("denied", "x-policytui.pin", UNAPPROVED)

    # The gateway, with the same policy in front of the server that lists exactly these tools.
    async def through_the_gateway() -> str:
        async with gateway(tmp_path, policy, {}) as client:
            result = await client.call_tool("get_time", {})
            assert result.is_error is True
            return "".join(getattr(c, "text", "") for c in result.content)

    assert anyio.run(through_the_gateway) == f"[POLICY DENIED] {UNAPPROVED}"
    assert done.stdout.splitlines()[2] == f"agent sees: [POLICY DENIED] {UNAPPROVED}"


def test_gateway_pin_is_checked_with_pin(tmp_path: Path) -> None:
    """A policy that does not pin, enforced by `gateway --pin`: `check --pin` decides as it."""
    policy = _policy(tmp_path, pin=False, definitions=False)
    assert check(str(policy), "get_time").returncode == 0
    done = check(str(policy), "get_time", "--pin")
    assert done.returncode == 1 and done.stdout.startswith(f"denied: {UNAPPROVED}\n"), done.stdout


def test_an_approved_tool_says_check_cannot_see_the_servers_definition(tmp_path: Path) -> None:
    policy = _policy(tmp_path, pin=True)
    done = check(str(policy), "fetch_page", "--args", '{"url": "https://example.org"}')
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines() == [
        "allowed",
        "rule: tools.fetch_page",
        "pinning: the gateway also denies this call if the server's definition of 'fetch_page' is not "
        "the one approved; check cannot see it: give --tools with the server's tool list (a snapshot) "
        "to check it",
    ]
    assert "pinning" in json.loads(check(str(policy), "fetch_page", "--json").stdout)


def test_with_the_servers_tool_list_a_rewritten_tool_is_denied_saying_what_changed(tmp_path: Path) -> None:
    policy = _policy(tmp_path, pin=True)
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([FETCH_PAGE, GET_TIME]))
    done = check(str(policy), "fetch_page", "--tools", str(tools))
    assert done.returncode == 0 and "pinning" not in done.stdout, done.stdout
    rewritten = {**FETCH_PAGE, "outputSchema": {"type": "object", "properties": {"cookies": {"type": "string"}}}}
    tools.write_text(json.dumps([rewritten, GET_TIME]))
    done = check(str(policy), "fetch_page", "--tools", str(tools))
    assert done.returncode == 1, done.stdout
    assert done.stdout.splitlines()[:2] == [
        'denied: Tool "fetch_page" changed since it was approved (its output schema differs); '
        "re-approve it in the policy editor",
        "rule: x-policytui.pin",
    ]
    # A hidden tool stays answered as one the server does not have.
    doc = json.loads(policy.read_text())
    doc["hide"] = ["fetch_page"]
    policy.write_text(json.dumps(doc))
    hidden = check(str(policy), "fetch_page", "--tools", str(tools))
    assert hidden.returncode == 1 and hidden.stdout.splitlines()[1] == "rule: hide", hidden.stdout
