"""A policy pinned by a version of policytui whose fingerprints left out a tool's other members
(`_meta`, `icons`, `execution`, ...), opened after the upgrade: each tool the server sends such
a member for shows as changed, hidden and denied under pinning. Those members were never
approved, so that stands; but the way out is one confirmed key in the Pins dialog (`A`), not
`a` pressed once per tool, and the gateway's log and the editor say so. A tool this version
approved without any such member, which the server then gives one (an MCP Apps
`_meta.ui.resourceUri`), is a rewrite and never included.

The server is tests/servers/misbehaving/rug_pull.py, a real process speaking MCP over stdio,
its tools carrying the members RUG_PULL_EXTRAS gives them; the earlier version's policy is
written as it wrote them, its fingerprints hashed here the way it hashed them; the editor is the
real one, driven by its keys; an agent's client (the mcp SDK's) reaches the server through the
real gateway."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import anyio
from discovery_support import script
from gateway_support import call_text, sdk_client
from test_pins_gateway import (
    _audit,
    _close_pins_dialog,
    _editor,
    _pins_dialog,
    _save_in_editor,
    _until,
)

from policytui.discovery import ServerSpec, list_tools
from policytui.gateway.pins import PIN_RULE
from policytui.toolinfo import ServerListing

# FastMCP's tags, which its servers send for every tool (`_meta.fastmcp`).
FASTMCP = {"_meta": {"fastmcp": {"tags": ["web"]}}}
GLOBE = {"icons": [{"src": "https://example.org/globe.png", "mimeType": "image/png"}]}
# The MCP Apps page a host renders for the tool.
SIGN_IN_PAGE = {"_meta": {"ui": {"resourceUri": "ui://time/sign-in.html"}}}


def _server(tmp: Path, extras: dict[str, Any]) -> list[str]:
    """rug_pull.py's command, its tools carrying `extras` (by tool name), its calls written to a file."""
    return ["env", f"RUG_PULL_EXTRAS={json.dumps(extras)}", f"RUG_PULL_CALLS={tmp / 'server-calls.txt'}",
            *script("rug_pull.py")]


async def _listing(tmp: Path, extras: dict[str, Any]) -> ServerListing:
    """The server's tools as the editor lists them (its own discovery, every member as sent)."""
    command = _server(tmp, extras)
    return await list_tools(ServerSpec(name="rug-pull", transport="stdio", command=command[0], args=command[1:]))


def _earlier_fingerprint(entry: dict[str, Any]) -> str:
    """A tool's fingerprint as policytui computed it before other members counted: the
    description, the schemas, the annotations and a title of its own, nothing else."""
    annotations = entry.get("annotations") or {}
    parts: list[Any] = [entry.get("description", ""), entry["inputSchema"], entry.get("outputSchema")]
    if annotations:
        parts.append(annotations)
    if entry.get("title") is not None and entry.get("title") != annotations.get("title"):
        parts.append(["title", entry["title"]])
    payload = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _approved_by_an_earlier_version(tmp: Path, listing: ServerListing) -> Path:
    """The policy an earlier version saved for the server's tools: both allowed, pinned, each
    tool's fingerprint and kept definition without its other members."""
    fingerprints, definitions = {}, {}
    for tool in listing.tools:
        entry = tool.to_wire()
        fingerprints[tool.name] = _earlier_fingerprint(entry)
        definitions[tool.name] = {key: entry[key] for key in ("description", "inputSchema", "annotations")
                                  if key in entry}
    path = tmp / "policy.json"
    path.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"fetch_page": {}, "get_time": {}},
                                "x-policytui": {"pin": True, "fingerprints": fingerprints,
                                                "definitions": definitions}}), encoding="utf-8")
    return path


def _served(tmp: Path, policy: Path, extras: dict[str, Any], tool: str = "fetch_page") -> tuple[list[str], Any]:
    """What an agent's client gets through the gateway (stdio): the names of the tools listed,
    and the answer to a call of `tool`."""
    options = ["--policy", str(policy), "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl")]

    async def run() -> tuple[list[str], Any]:
        async with sdk_client("stdio", "legacy", options, _server(tmp, extras), tmp / "gateway.log") as client:
            listed = [t.name for t in (await client.list_tools()).tools]
            return listed, await client.call_tool(tool, {"url": "https://example.org"} if tool == "fetch_page" else {})

    return anyio.run(run)


def _reached(tmp: Path) -> list[str]:
    """The calls that reached the server (the gateway's own probe, a made-up name, left out)."""
    calls = tmp / "server-calls.txt"
    names = calls.read_text(encoding="utf-8").split() if calls.exists() else []
    return [name for name in names if not name.startswith("policytui-probe-")]


def _saved_meta(policy: Path) -> dict[str, Any]:
    meta = json.loads(policy.read_text(encoding="utf-8"))["x-policytui"]
    assert isinstance(meta, dict)
    return meta


async def _said_on_opening(pilot: Any, app: Any) -> list[str]:
    """What the editor said on opening about tools changed only in members never approved."""
    await _until(pilot, lambda: any("changed only in members" in note for note in app.said), "the editor to say why")
    return [note for note in app.said if "changed only in members" in note]


def _listed_in_dialog(app: Any) -> list[str]:
    """The Pins dialog's list of tools, as it reads."""
    from textual.widgets import OptionList

    options = app.screen.query_one("#pins-list", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def _confirm_unpinned(pilot: Any, app: Any) -> Any:
    """In the Pins dialog: A, and the confirmation it asks (its screen)."""
    await pilot.press("A")
    await _until(pilot, lambda: app.screen.id == "pins-unpinned", "the confirmation A asks")
    return app.screen


def test_an_earlier_versions_approvals_are_reapproved_at_once(tmp_path: Path) -> None:
    """After the upgrade both tools, which carry FastMCP's tags (and `fetch_page` an icon), are
    hidden and denied: the gateway's log says why, and where to approve them at once; the
    editor says so on opening. In the Pins dialog, A asks, naming the members never approved,
    and approves both as one edit (ctrl+z takes both back); saved, the gateway lists and runs
    them. Before, neither said a word, and each tool was approved with its own `a`."""
    extras = {"fetch_page": {**FASTMCP, **GLOBE}, "get_time": FASTMCP}
    listing = anyio.run(_listing, tmp_path, extras)
    policy = _approved_by_an_earlier_version(tmp_path, listing)

    listed, called = _served(tmp_path, policy, extras)
    assert listed == []
    assert called.is_error is True and call_text(called) == (
        '[POLICY DENIED] Tool "fetch_page" has members never approved (_meta.fastmcp and icons): the version '
        "of policytui that approved it did not pin them; review and re-approve it in the policy editor (key P, "
        "then A re-approves every such tool at once)")
    assert [(line["decision"], line["rule"], line.get("drift")) for line in _audit(tmp_path)
            if line["tool"] == "fetch_page"] == [("denied", PIN_RULE, True)]
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert ("pinning: hidden and denied, 2 tools whose other members were never approved (_meta.fastmcp on 2 "
            "tools and icons on 1): the version of policytui that approved them did not pin them, and their "
            "title, description, schemas and annotations are as approved; review and re-approve them at once "
            'in `policytui connect` (key P, then A): "fetch_page" and "get_time"') in log, log
    assert "changed since they were approved" not in log, log
    assert _reached(tmp_path) == []

    async def reapprove_at_once() -> None:
        async with _editor(policy, {}, listing=listing) as (pilot, app):
            assert await _said_on_opening(pilot, app) == [
                "2 tools changed only in members that the version of policytui which approved them did not pin, "
                "never approved (_meta.fastmcp on 2 tools and icons on 1); under pinning they are hidden and "
                "denied. P shows them, and A re-approves them all at once after you have checked them."]
            await pilot.press("P")
            await _pins_dialog(pilot, app, "fetch_page  changed only in members never approved (A)",
                               "get_time  changed only in members never approved (A)")
            confirm = await _confirm_unpinned(pilot, app)
            assert confirm.title_text == "Re-approve 2 tools at once?"
            assert confirm.message.startswith(
                "They differ from the approved definition only in members that the version of policytui which "
                "approved them did not pin, so these were never approved: _meta.fastmcp on 2 tools and icons on 1.")
            assert confirm.detail.plain.splitlines() == [
                "fetch_page",
                '  _meta: {"fastmcp": {"tags": ["web"]}}',
                '  icons: [{"mimeType": "image/png", "src": "https://example.org/globe.png"}]',
                "get_time",
                '  _meta: {"fastmcp": {"tags": ["web"]}}']
            await pilot.press("y")
            await _pins_dialog(pilot, app, "Every tool's live definition is the approved one.")
            assert [app.state.drift_of(name) for name in ("fetch_page", "get_time")] == ["", ""]
            await _close_pins_dialog(pilot, app)
            await pilot.press("ctrl+z")  # one edit: both are changed again
            await _until(pilot, lambda: [app.state.drift_of(n) for n in ("fetch_page", "get_time")] == [
                "changed", "changed"], "ctrl+z to take both approvals back")
            await pilot.press("ctrl+y")
            await _until(pilot, lambda: [app.state.drift_of(n) for n in ("fetch_page", "get_time")] == ["", ""],
                         "ctrl+y to approve both again")
            await _save_in_editor(pilot, app)

    anyio.run(reapprove_at_once)
    meta = _saved_meta(policy)
    assert meta["fingerprints"] == {tool.name: tool.fingerprint() for tool in listing.tools}
    assert meta["approved_before_members"] == []
    assert meta["definitions"]["fetch_page"]["icons"] == GLOBE["icons"]

    listed, called = _served(tmp_path, policy, extras)
    assert listed == ["fetch_page", "get_time"]
    assert called.is_error is not True and call_text(called) == "called fetch_page"
    assert _reached(tmp_path) == ["fetch_page"]


def test_a_member_added_to_a_tool_this_version_approved_is_never_approved_at_once(tmp_path: Path) -> None:
    """The safety hole: a tool approved without any other member hashes to the same fingerprint
    either way, so a `_meta` the server adds later also "matches as an earlier version hashed
    it". The first save of this version writes down which approvals are an earlier version's
    (`x-policytui.approved_before_members`, here `fetch_page`, which carried FastMCP's tags
    then); `get_time`, approved with none and given an MCP Apps page afterwards, is a rewrite:
    A leaves it out, the gateway keeps it hidden and denies it, and says it apart."""
    before = {"fetch_page": FASTMCP}
    policy = _approved_by_an_earlier_version(tmp_path, anyio.run(_listing, tmp_path, before))

    async def save_unchanged() -> None:
        async with _editor(policy, {}, listing=await _listing(tmp_path, before)) as (pilot, app):
            await _save_in_editor(pilot, app)

    anyio.run(save_unchanged)
    assert _saved_meta(policy)["approved_before_members"] == ["fetch_page"]

    rewritten = {**before, "get_time": SIGN_IN_PAGE}
    listing = anyio.run(_listing, tmp_path, rewritten)

    async def approve_at_once() -> None:
        async with _editor(policy, {}, listing=listing) as (pilot, app):
            assert await _said_on_opening(pilot, app) == [
                "1 tool changed only in members that the version of policytui which approved it did not pin, never "
                "approved (_meta.fastmcp on 1 tool); under pinning it is hidden and denied. P shows it, and A "
                "re-approves it after you have checked it."]
            await pilot.press("P")
            await _pins_dialog(pilot, app, "fetch_page  changed only in members never approved (A)")
            assert _listed_in_dialog(app) == ["fetch_page  changed only in members never approved (A)",
                                              "get_time  changed"]
            confirm = await _confirm_unpinned(pilot, app)
            assert confirm.title_text == "Re-approve 1 tool at once?"
            assert "_meta.fastmcp on 1 tool." in confirm.message
            assert confirm.detail.plain.splitlines() == ["fetch_page", '  _meta: {"fastmcp": {"tags": ["web"]}}']
            await pilot.press("y")
            await _until(pilot, lambda: app.screen.id == "pins" and app.state.drift_of("fetch_page") == "",
                         "fetch_page approved")
            assert app.state.drift_of("get_time") == "changed"
            assert [change.name for change in app.screen.changes] == ["get_time"]
            assert app.screen.unpinned == {}
            await _close_pins_dialog(pilot, app)
            await _save_in_editor(pilot, app)

    anyio.run(approve_at_once)
    assert _saved_meta(policy)["approved_before_members"] == []

    listed, called = _served(tmp_path, policy, rewritten, tool="get_time")
    assert listed == ["fetch_page"]
    sentence = 'Tool "get_time" changed since it was approved (its _meta differs); re-approve it in the policy editor'
    assert called.is_error is True and call_text(called) == f"[POLICY DENIED] {sentence}"
    assert _reached(tmp_path) == []
    assert [(line["decision"], line["rule"], line.get("drift")) for line in _audit(tmp_path)
            if line["tool"] == "get_time"] == [("denied", PIN_RULE, True)]
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert 'pinning: hidden and denied, changed since they were approved: "get_time"' in log, log
    assert "never approved" not in log, log


def test_an_earlier_versions_policy_shows_each_member_a_at_once_would_approve(tmp_path: Path) -> None:
    """Before this version first saves an earlier version's policy, nothing tells a member the
    server sent then from one it added since: A names every member of every tool it would
    approve, each as the server sends it now, so an MCP Apps page among FastMCP's tags is in
    sight; Enter, or n, approves nothing."""
    policy = _approved_by_an_earlier_version(tmp_path, anyio.run(_listing, tmp_path, {"fetch_page": FASTMCP}))
    listing = anyio.run(_listing, tmp_path, {"fetch_page": FASTMCP, "get_time": SIGN_IN_PAGE})

    async def look_then_cancel() -> None:
        async with _editor(policy, {}, listing=listing) as (pilot, app):
            await pilot.press("P")
            await _pins_dialog(pilot, app, "get_time  changed only in members never approved (A)")
            confirm = await _confirm_unpinned(pilot, app)
            assert "so these were never approved: _meta.fastmcp on 1 tool and _meta.ui on 1." in confirm.message
            assert confirm.detail.plain.splitlines() == [
                "fetch_page", '  _meta: {"fastmcp": {"tags": ["web"]}}',
                "get_time", '  _meta: {"ui": {"resourceUri": "ui://time/sign-in.html"}}']
            await pilot.press("enter")
            await _pins_dialog(pilot, app, "get_time  changed only in members never approved (A)")
            await _confirm_unpinned(pilot, app)
            await pilot.press("n")
            await _pins_dialog(pilot, app, "fetch_page  changed only in members never approved (A)")
            assert [app.state.drift_of(name) for name in ("fetch_page", "get_time")] == ["changed", "changed"]
            assert not app.state.dirty

    anyio.run(look_then_cancel)
