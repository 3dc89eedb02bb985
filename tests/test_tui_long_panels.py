"""The JSON and Diff panels with a policy of hundreds of rules, read as a user reads them:
numbered from the first line, scrolled to the last with the keys, following each edit and the
save (the diff against the file too), and drawn again at a new width. (They render off the UI thread and paint only the lines
in sight, `policytui.tui.code_view`: what they show must be what a save writes.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tui_support import drawn, panels_follow_next_edit, panels_followed, until

from policytui.toolinfo import ServerListing
from policytui.tui import make_app

SIZE = (100, 30)


def _listing(count: int) -> ServerListing:
    tools = [{"name": f"read_record_{i:04d}", "description": f"Reads record {i}.", "inputSchema": {"type": "object"}}
             for i in range(count)]
    return ServerListing.from_tool_dicts(tools, server_name="many", server_version="1", transport="snapshot")


def _panel(app: Any, panel_id: str) -> list[str]:
    """The panel's lines as the screen shows them."""
    region = app.main.query_one(panel_id).content_region
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip)[region.x:region.right].rstrip()
            for strip in strips[region.y:region.bottom]]


def _numbered(lines: list[str]) -> list[tuple[int, str]]:
    out = []
    for line in lines:
        match = re.match(r"\s*(\d+) (.*)$", line)
        if match:
            out.append((int(match.group(1)), match.group(2).strip()))
    return out


async def _settled(app: Any, pilot: Any) -> None:
    await until(lambda: panels_followed(app) and not any(w.is_running for w in app.workers) and drawn(app),
                "the panels to follow the edit", shows=lambda: _panel(app, "#panels"))
    await pilot.pause()


async def test_the_json_panel_of_hundreds_of_rules_reads_from_first_line_to_last_and_follows_each_edit(
        tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=_listing(300))
    async with app.run_test(size=SIZE) as pilot:
        await app.loaded.wait()
        await pilot.press("b", "a", "3")  # allow every tool shown, then the JSON panel
        await until(lambda: app.state is not None and len(app.state.policy.tools or {}) == 300, "b a")
        await _settled(app, pilot)
        written = app.state.preview_text().splitlines()
        assert _numbered(_panel(app, "#preview"))[:4] == [
            (1, "{"), (2, '"version": "1",'), (3, '"default": "deny",'), (4, '"tools": {')]
        await pilot.click("#tab-json", offset=(10, 3))  # in the panel, where it shows
        await pilot.press("end")
        await _settled(app, pilot)
        shown = _numbered(_panel(app, "#preview"))
        assert shown[-1] == (len(written), "}")
        # each line as written, a long one (a fingerprint) cut at the panel's edge
        tail = written[shown[0][0] - 1:]
        assert len(shown) == len(tail) and all(line.strip().startswith(text) for (_, text), line in zip(shown, tail))

        await pilot.press("tab")  # back to the table: deny its first tool
        await until(lambda: app.focused is app.main.query_one("#tools"), "the table to take the keys")
        denied = panels_follow_next_edit(app)
        await pilot.press("home", "d")
        await until(denied, "the panels to follow the deny")
        await _settled(app, pilot)
        assert '"read_record_0000": {' in app.state.preview_text()
        await pilot.click("#tab-json", offset=(10, 3))  # in the panel, where it shows
        await pilot.press("home")
        await _settled(app, pilot)
        assert ("read_record_0000\": {") in "\n".join(_panel(app, "#preview"))

        await pilot.resize_terminal(60, 30)
        await _settled(app, pilot)
        lines = _panel(app, "#preview")
        assert _numbered(lines)[:2] == [(1, "{"), (2, '"version": "1",')]
        assert max(len(line) for line in lines) <= 60

        await pilot.press("4")  # nothing saved yet: every line is to be added
        await _settled(app, pilot)
        diff = _panel(app, "#diff")
        # "(on disk)" and "(after save)" lie beyond the panel's edge at 60 columns
        assert f"--- {policy} (on disk)".startswith(diff[0]) and len(diff[0]) > 40
        assert f"+++ {policy} (after save)".startswith(diff[1]) and len(diff[1]) > 40
        assert diff[2:4] == [f"@@ -0,0 +1,{len(app.state.preview_text().splitlines())} @@", "+{"]

        await pilot.press("ctrl+s")
        await until(lambda: policy.exists() and not app.state.dirty, "the save")
        await _settled(app, pilot)
        assert _panel(app, "#diff")[:2] == ["No difference: the file on disk is what a save would", "write."]
