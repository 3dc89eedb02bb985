"""The browser's own keys on the editor's page, pressed in Debian's Chromium.

The page hands every key it can to the editor (xterm.js takes ctrl+f, ctrl+r, F5 and the rest
from the browser), so a key a browser user presses by habit must do that job in the editor, or
the key is dead: nothing on the page moves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serve_support import BrowserScreen, Served, table_row

VIEWPORT = {"width": 1200, "height": 800}


def served_kestra(tmp_path: Path) -> Served:
    folder = tmp_path / "home"
    folder.mkdir()
    return Served(
        ["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
        cwd=tmp_path, env={"HOME": str(folder), "XDG_CONFIG_HOME": str(folder / ".config")},
    )


def test_ctrl_f_finds_tools_by_name_as_slash_does(chromium: Any, tmp_path: Path) -> None:
    """ctrl+f is find in a browser; the page keeps it from the browser (whose find could not
    read the canvas anyway), so in the editor it opens the filter by name."""
    served = served_kestra(tmp_path)
    try:
        page = chromium.new_context(viewport=VIEWPORT).new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("the editor", lambda s: "39 tools" in s and bool(table_row(s, "manage_apps")))
        page.keyboard.press("Control+f")
        page.keyboard.type("search_")
        text = screen.wait("the tools found by name", lambda s: "(3 shown)" in s)
        assert [t for t in ("search_apps", "search_flows", "search_logs", "manage_apps")
                if table_row(text, t)] == ["search_apps", "search_flows", "search_logs"], text
    finally:
        code = served.stop()
    assert code == 130, "".join(served.stderr)
