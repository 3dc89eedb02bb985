"""Pinned tool definitions cover every member of a tool the gateway passes on to clients, not
only its title, description, schemas and annotations: `_meta` (an MCP Apps host renders the UI
resource `_meta.ui.resourceUri` names for the tool), `icons` (what its user sees), `execution`
(whether a call runs as a task) and any other member a server sends.

The server is tests/servers/misbehaving/rug_pull.py, a real process speaking MCP over stdio,
whose `fetch_page` carries the members RUG_PULL_EXTRA gives it; the author approves it as the
editor lists it (the editor's own discovery, every member kept as sent), and an agent's client
(the mcp SDK's) reaches it through the real gateway, over stdio or `gateway --listen`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from discovery_support import script
from gateway_support import call_text, sdk_client
from test_pins_gateway import _audit, _editor, _pins_dialog, _screen_text, _until

from policytui.discovery import ServerSpec, list_tools
from policytui.editor import pins as editor_pins
from policytui.editor.state import EditorState
from policytui.gateway.pins import PIN_RULE
from policytui.toolinfo import ServerListing, ToolInfo

# What the author approved, beside `fetch_page`'s description and schema.
APPROVED = {
    "_meta": {"ui": {"resourceUri": "ui://fetch/page-viewer.html"}, "fastmcp": {"tags": ["web"]}},
    "icons": [{"src": "https://example.org/globe.png", "mimeType": "image/png"}],
    "execution": {"taskSupport": "forbidden"},
    "x-vendor": {"scopes": ["read"]},
}

# The UI an MCP Apps host renders for the tool, pointed at another page.
SIGN_IN_PAGE = {"_meta": {"ui": {"resourceUri": "ui://fetch/sign-in.html"}, "fastmcp": {"tags": ["web"]}}}

# One member rewritten after approval, and how the drift sentence names it.
REWRITES = [
    pytest.param(SIGN_IN_PAGE, "_meta differs", id="meta-ui-resource"),
    pytest.param({"icons": [{"src": "https://example.org/clock.png", "mimeType": "image/png"}]}, "icons differ",
                 id="icons"),
    pytest.param({"execution": {"taskSupport": "required"}}, "execution differs", id="execution"),
    pytest.param({"x-vendor": {"scopes": ["read", "write"]}}, "other members differ", id="other-member"),
]


def _server(tmp: Path, members: dict[str, Any]) -> list[str]:
    """rug_pull.py's command, its `fetch_page` carrying `members`, its calls written to a file."""
    return ["env", f"RUG_PULL_EXTRA={json.dumps(members)}", f"RUG_PULL_CALLS={tmp / 'server-calls.txt'}",
            *script("rug_pull.py")]


async def _listing(tmp: Path, members: dict[str, Any]) -> ServerListing:
    """The server's tools as the editor lists them (its own discovery, every member as sent)."""
    command = _server(tmp, members)
    return await list_tools(ServerSpec(name="rug-pull", transport="stdio", command=command[0], args=command[1:]))


def _approve(tmp: Path, listing: ServerListing) -> Path:
    """The author opens the server in the editor, allows both tools, pins and saves."""
    fetch_page = listing.tool("fetch_page")
    assert fetch_page is not None and fetch_page.raw["x-vendor"] == {"scopes": ["read"]}
    path = tmp / "policy.json"
    state = EditorState.open(listing, path)
    state.set_decision(["fetch_page", "get_time"], "allow")
    editor_pins.set_pinning(state, True)
    state.save()
    return path


def _served(tmp: Path, transport: str, policy: Path, members: dict[str, Any],
            mode: str = "legacy") -> tuple[list[dict[str, Any]], Any]:
    """What an agent's client (of protocol `mode`) gets through the gateway: the tools listed,
    in wire form, and the answer to a call of `fetch_page`."""
    options = ["--policy", str(policy), "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl")]

    async def run() -> tuple[list[dict[str, Any]], Any]:
        async with sdk_client(transport, mode, options, _server(tmp, members), tmp / "gateway.log") as client:
            listed = [tool.model_dump(by_alias=True, mode="json", exclude_none=True)
                      for tool in (await client.list_tools()).tools]
            return listed, await client.call_tool("fetch_page", {"url": "https://example.org"})

    return anyio.run(run)


def _reached(tmp: Path) -> list[str]:
    """The calls that reached the server (the gateway's own probe, a made-up name, left out)."""
    calls = tmp / "server-calls.txt"
    names = calls.read_text(encoding="utf-8").split() if calls.exists() else []
    return [name for name in names if not name.startswith("policytui-probe-")]


@pytest.mark.parametrize(("rewrite", "words"), REWRITES)
def test_a_member_rewritten_after_approval_is_a_rewrite(rewrite: dict[str, Any], words: str, tmp_path: Path) -> None:
    """The server rewrites one member of the approved `fetch_page` other than its title,
    description, schemas and annotations: points the UI a host renders for it at another page,
    swaps its icon, makes its calls run as tasks, changes a vendor's member. The fingerprint did
    not cover those members: the client was listed the rewritten member and the call ran."""
    policy = _approve(tmp_path, anyio.run(_listing, tmp_path, APPROVED))
    # As approved: listed with every member as sent, and called (no false drift).
    listed, called = _served(tmp_path, "stdio", policy, APPROVED)
    assert [tool["name"] for tool in listed] == ["fetch_page", "get_time"]
    assert {key: listed[0].get(key) for key in ("_meta", "icons", "execution")} == {
        key: APPROVED[key] for key in ("_meta", "icons", "execution")}
    assert called.is_error is not True and call_text(called) == "called fetch_page"
    assert _reached(tmp_path) == ["fetch_page"]

    listed, called = _served(tmp_path, "stdio", policy, {**APPROVED, **rewrite})
    assert [tool["name"] for tool in listed] == ["get_time"]
    sentence = f'Tool "fetch_page" changed since it was approved (its {words}); re-approve it in the policy editor'
    assert called.is_error is True and call_text(called) == f"[POLICY DENIED] {sentence}"
    assert _reached(tmp_path) == ["fetch_page"]  # the rewritten tool was never called
    assert [(line["decision"], line["rule"], line["reason"], line.get("drift")) for line in _audit(tmp_path)
            if line["tool"] == "fetch_page" and line["decision"] != "allowed"] == [
        ("denied", PIN_RULE, sentence, True)]


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_a_rewritten_ui_resource_is_a_rewrite_over_http(mode: str, tmp_path: Path) -> None:
    """The same for an agent on `gateway --listen`, with a handshake-era client and a
    2026-07-28 one: the MCP Apps UI resource the host renders for `fetch_page`
    (`_meta.ui.resourceUri`) is pointed at another page after approval."""
    policy = _approve(tmp_path, anyio.run(_listing, tmp_path, APPROVED))
    listed, called = _served(tmp_path, "http", policy, {**APPROVED, **SIGN_IN_PAGE}, mode)
    assert [tool["name"] for tool in listed] == ["get_time"]
    assert called.is_error is True and call_text(called) == (
        '[POLICY DENIED] Tool "fetch_page" changed since it was approved (its _meta differs); '
        "re-approve it in the policy editor")
    assert _reached(tmp_path) == []
    assert [(line["decision"], line["rule"], line.get("drift")) for line in _audit(tmp_path)
            if line["tool"] == "fetch_page"] == [("denied", PIN_RULE, True)]


def test_a_tool_without_those_members_keeps_the_fingerprint_it_was_approved_with() -> None:
    """Policies approved before the other members counted keep matching for every tool the
    server sends none of them for: this digest is the one `fetch_page` had then."""
    tool = ToolInfo.from_wire({
        "name": "fetch_page",
        "description": "Fetches a web page and returns its text.",
        "inputSchema": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]},
        "annotations": {"readOnlyHint": True},
        "title": "Fetch a page",
    })
    assert tool.fingerprint() == "sha256:ed823d2ec4cd26bdf3338d70fbd3f63b75286953e879f8c1342e72026c620b5d"
    assert ToolInfo.from_wire({**tool.raw, "icons": []}).fingerprint() != tool.fingerprint()


async def test_the_editor_names_the_member_that_changed(tmp_path: Path) -> None:
    """The author opens the editor on the rewritten server: the Tool panel says which member
    changed, and the Pins dialog shows the approved page beside the rewritten one. The editor
    showed no change at all: the tool's fingerprint, and the definition it keeps, left `_meta`
    out."""
    policy = _approve(tmp_path, await _listing(tmp_path, APPROVED))
    listing = await _listing(tmp_path, {**APPROVED, **SIGN_IN_PAGE})
    async with _editor(policy, {}, listing=listing) as (pilot, app):
        await _until(pilot, lambda: "changed:" in _screen_text(app), "the Tool panel to say fetch_page changed")
        assert "changed: _meta differs from the approved definition (P to review, re-approve)" in " ".join(
            _screen_text(app).split())
        await pilot.press("P")
        shown = await _pins_dialog(pilot, app, "Pinned tool definitions", "sign-in.html")
    assert "page-viewer.html" in shown


# A title that is not text, in the shapes a server may send it: no client reads it as a title,
# and the mcp SDK's client refuses the whole listing it comes in.
TITLES_NOT_TEXT = [
    pytest.param(5, id="number"),
    pytest.param(["Delete every page"], id="list"),
    pytest.param({"en": "Delete every page"}, id="object"),
    pytest.param(True, id="boolean"),
]


@pytest.mark.parametrize("title", TITLES_NOT_TEXT)
def test_a_title_that_is_not_text_added_after_approval_is_a_rewrite(title: Any, tmp_path: Path) -> None:
    """The server gives the approved `fetch_page` (which had no title) a `title` that is not
    text. The fingerprint read only a title that is text, so the tool hashed as approved: it was
    listed with that title, which broke the client's whole listing, and its call reached the
    server. Seen by a raw client over stdio, and from the server's side."""
    from test_gateway_redteam import listed_then_called, stdio_gateway

    policy = _approve(tmp_path, anyio.run(_listing, tmp_path, APPROVED))
    doc = json.loads(policy.read_text(encoding="utf-8"))

    async def run() -> tuple[Any, Any, Any]:
        env = {"RUG_PULL_EXTRA": json.dumps({**APPROVED, "title": title})}
        async with stdio_gateway(tmp_path, doc, script("rug_pull.py"), env=env) as gw:
            return (*await listed_then_called(gw, "fetch_page", {"url": "https://example.org"}), gw)

    listed, called, gw = anyio.run(run)
    assert listed is not None and [tool["name"] for tool in listed["result"]["tools"]] == ["get_time"]
    sentence = ("Tool \"fetch_page\" cannot be checked against its approved definition: tool 'fetch_page' has a "
                "title that is not text")
    assert called is not None and called["result"].get("isError") is True, called
    assert called["result"]["content"][0]["text"] == f"[POLICY DENIED] {sentence}"
    assert gw.received_calls() == []  # the server never received the call
    assert [(line["tool"], line["decision"], line["rule"], line["reason"], line.get("drift"))
            for line in gw.audited_calls()] == [("fetch_page", "denied", PIN_RULE, sentence, True)]


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_a_title_that_is_not_text_leaves_the_other_tools_listed_over_http(mode: str, tmp_path: Path) -> None:
    """The same for an agent on `gateway --listen` with the mcp SDK's client: it was passed
    the tool with its number for a title, and refused the whole listing (get_time too)."""
    policy = _approve(tmp_path, anyio.run(_listing, tmp_path, APPROVED))
    listed, called = _served(tmp_path, "http", policy, {**APPROVED, "title": 5}, mode)
    assert [tool["name"] for tool in listed] == ["get_time"]
    assert called.is_error is True and call_text(called).endswith("tool 'fetch_page' has a title that is not text")
    assert _reached(tmp_path) == []
    assert [(line["decision"], line["rule"], line.get("drift")) for line in _audit(tmp_path)
            if line["tool"] == "fetch_page"] == [("denied", PIN_RULE, True)]
