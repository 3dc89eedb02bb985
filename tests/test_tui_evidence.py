"""What a person reads about a tool's risk, on an 80x24 terminal and through `tools --json`:
the detail pane shows every line of evidence, against and per-action evidence whole (wrapped
under its own text, never cut), the annotations' provenance (spec defaults too), and the
header keeps the policy's state (unsaved, default, validity) however long the server's name."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from rich.text import Text
from test_tui_app import ready, screen_text
from textual.widgets import Input, Static
from tui_support import drawn, until

from policytui.toolinfo import ServerListing
from policytui.tui import make_app
from policytui.tui.table import ToolTable

ROOT = Path(__file__).resolve().parent.parent

# A multi-action tool whose actions' evidence runs past 100 characters (no known verb, the
# tool's words, and the destructiveHint that covers every changing action), and a reader
# whose declared read-only hint its words contradict.
TOOLS = [
    {
        "name": "agent_services",
        "description": "Agent service agreements: discover, request, settle, publish and review "
                       "agent services.",
        "inputSchema": {"type": "object", "properties": {
            "action": {"type": "string", "enum": ["discover", "request", "unpublish", "attest",
                                                  "reputation"]}},
            "required": ["action"]},
        "annotations": {"readOnlyHint": False, "destructiveHint": True},
    },
    {
        "name": "delete_cache",
        "description": "Delete the whole cache, every entry of every namespace, without asking "
                       "and without any way to get it back.",
        "inputSchema": {"type": "object"},
        "annotations": {"readOnlyHint": True},
    },
    {"name": "list_items", "description": "List items.", "inputSchema": {"type": "object"}},
]


def listing(name: str = "mcp-servers/a-very-long-server-name-for-a-narrow-terminal",
            version: str = "12.34.56") -> ServerListing:
    return ServerListing.from_tool_dicts(TOOLS, server_name=name, server_version=version,
                                         transport="stdio")


def squash(text: str) -> str:
    """Text with the pane's frame, scroll bar and wrapping taken out: words joined by one space."""
    return re.sub(r"[\s▁▂▃▄▅▆▇█▌▎▏│]+", " ", text).strip()


async def whole_detail(pilot) -> str:  # type: ignore[no-untyped-def]
    """Every line the Tool panel shows, read by scrolling it from top to bottom on screen."""
    app = pilot.app
    pane = app.query_one("#detail-scroll")
    pane.scroll_home(animate=False)
    await pilot.pause()
    seen: list[str] = []
    top = pane.region.y
    while True:
        lines = screen_text(app).splitlines()[top:top + pane.region.height]
        seen.append("\n".join(line[: pane.region.x + pane.region.width - 2] for line in lines))
        if pane.scroll_y >= pane.max_scroll_y:
            break
        pane.scroll_to(y=pane.scroll_y + max(pane.region.height - 1, 1), animate=False)
        await pilot.pause()
    return squash(" ".join(seen))


def detail_of(app) -> str | None:  # type: ignore[no-untyped-def]
    """The tool the detail pane is about: the name its first line starts with."""
    content = app.query_one("#detail", Static).content
    first = (getattr(content, "renderables", None) or [content])[0]
    return first.plain.split("  ")[0] if isinstance(first, Text) else None


async def select(pilot, name: str) -> None:  # type: ignore[no-untyped-def]
    """Filter to `name` with / and Enter, until the table has it selected and the detail pane
    (which follows the cursor once typing pauses) is about it, laid out and drawn."""
    app = pilot.app
    await pilot.press("slash", *name, "enter")

    def shown() -> bool:
        row = app.query_one(ToolTable).current_row
        return (row is not None and row.name == name and not isinstance(app.focused, Input)
                and not app._detail_pending and detail_of(app) == name and drawn(app))

    await until(shown, f"{name} selected and its detail drawn", shows=lambda: screen_text(app))


async def test_long_evidence_is_whole_and_wrapped_at_80x24(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select(pilot, "agent_services")
        shown = await whole_detail(pilot)
        classification = app.state.classifications["agent_services"]
        assert classification.actions, "the tool should be classified per action"
        for action, result in classification.actions.items():
            assert squash(f"{action}: {result.category} · {result.severity}") in shown
            for line in result.evidence:
                assert squash(line) in shown, line
        for line in classification.evidence:
            assert squash(line) in shown, line
        assert "more characters not shown" not in shown

        await pilot.press("escape", "escape")
        await select(pilot, "delete_cache")
        shown = await whole_detail(pilot)
        classification = app.state.classifications["delete_cache"]
        for line in classification.evidence:
            assert squash(line) in shown, line
        for line in classification.against:
            assert squash(f"against: {line}") in shown, line
        assert "Flags: suspicious-annotation" in shown
        assert "readOnlyHint=true (declared): contradicted" in shown


async def test_a_wrapped_evidence_line_continues_under_its_text_not_its_bullet(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select(pilot, "delete_cache")
        pane = app.query_one("#detail-scroll")
        pane.scroll_home(animate=False)
        for _ in range(20):
            lines = screen_text(app).splitlines()[pane.region.y:pane.region.bottom]
            bullets = [i for i, line in enumerate(lines) if line.lstrip().startswith("• declared")]
            if bullets and bullets[0] + 1 < len(lines):
                break
            pane.scroll_to(y=pane.scroll_y + 2, animate=False)
            await pilot.pause()
        first = bullets[0]
        text_column = lines[first].index("•") + 2
        follow = lines[first + 1]
        assert follow[:text_column].strip() == "", (lines[first], follow)
        assert follow[text_column] != " ", (lines[first], follow)


async def test_spec_defaults_are_listed_when_a_server_declares_nothing(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing())
    async with app.run_test(size=(120, 50)) as pilot:
        await ready(pilot)
        await select(pilot, "list_items")
        shown = await whole_detail(pilot)
        assert "Annotations: none declared; the spec's defaults apply" in shown
        for hint in ("readOnlyHint=false (spec default)", "destructiveHint=true (spec default)",
                     "idempotentHint=false (spec default)", "openWorldHint=true (spec default)"):
            assert hint in shown


def header(app) -> str:  # type: ignore[no-untyped-def]
    return screen_text(app).splitlines()[0]


async def test_the_header_keeps_the_policy_state_at_80_columns(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        # The header is drawn in parts: the server's, then the policy's.
        await until(lambda: "3 tools" in header(app) and "policy.json (new) │ default deny │ ✓ valid" in header(app),
                    "the whole header", shows=lambda: header(app))
        await pilot.press("a")
        await until(lambda: "policy.json ● unsaved │ default deny │ ✓ valid" in header(app),
                    "the header to say unsaved", shows=lambda: header(app))
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing("everything", "1.0"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        # The server's part is laid out with room for "● unsaved" all along, so its version
        # gives way on the new policy as it does once there is an edit: an edit or a save never
        # changes how the server is named (it was "everything 1.0 · stdio" until an edit).
        named = " everything · stdio · 3 tools │ "
        await until(lambda: header(app).startswith(named + "policy.json (new)") and "✓ valid" in header(app),
                    "the whole header", shows=lambda: header(app))
        await pilot.press("a")
        await until(lambda: header(app).startswith(named + "policy.json ● unsaved"),
                    "the same server's part beside the unsaved edit", shows=lambda: header(app))


def test_tools_json_from_the_command_line_gives_provenance_flags_and_evidence(tmp_path: Path) -> None:
    snapshot = tmp_path / "server.json"
    snapshot.write_text(json.dumps({"tools": TOOLS + [
        {"name": "get-env", "description": "Returns all environment variables",
         "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": True}},
        {"name": "send_email", "description": "Send an email to any address.",
         "inputSchema": {"type": "object", "properties": {"to": {"type": "string"}}},
         "annotations": {"readOnlyHint": True}},
    ]}), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "policytui", "tools", "--from", str(snapshot),
                           "--json"], capture_output=True, text=True, timeout=60, check=False,
                          cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    tools = {t["name"]: t for t in json.loads(done.stdout)["tools"]}
    assert tools["get-env"]["category"] == "Read" and tools["get-env"]["severity"] == "High"
    assert "exposes-secrets" in tools["get-env"]["flags"]
    mail = tools["send_email"]
    assert mail["category"] != "Read"
    assert {"open-world", "suspicious-annotation"} <= set(mail["flags"])
    assert mail["annotationProvenance"]["readOnlyHint"]["contradicted"]
    assert mail["evidenceAgainst"]
    reader = tools["list_items"]["annotationProvenance"]
    assert reader["readOnlyHint"] == {"value": False, "source": "spec default"}
    assert reader["openWorldHint"] == {"value": True, "source": "spec default"}
    actions = tools["agent_services"]["actions"]
    assert any(len("; ".join(a["evidence"])) > 100 for a in actions.values())
