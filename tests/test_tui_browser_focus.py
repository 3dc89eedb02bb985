"""Keys work in the browser at once: `policytui serve` in Debian's Chromium (Playwright), the
editor pressed by keys only, never clicked. Textual's web driver blurs the app as it starts,
and the editor used to come up with nothing focused: `a`, `d` and the rest did nothing until a
click on a row. The editor is not where the keys stop: the page never sends them, because the
terminal's input element is not focused until a click (focusing it by script, the same `a`
reaches the editor and allows the row, with no change to the editor)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serve_support import (
    BrowserScreen,
    Served,
    table_row,
)


def test_keys_act_on_the_table_before_any_click(chromium: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    policy = tmp_path / "policy.json"
    served = Served(
        ["kestra", "--offline", "--policy", str(policy), "--no-open"],
        cwd=tmp_path, env={"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")},
    )
    try:
        page = chromium.new_context(viewport={"width": 1200, "height": 800}).new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        first = "backfill_executions"
        screen.wait("the table", lambda s: "39 tools" in s and "deny*" in table_row(s, first))
        page.keyboard.press("a")  # no click first: the cursor's tool is allowed
        screen.wait(f"{first} allowed by the key alone",
                    lambda s: " allow " in table_row(s, first) + " ", timeout=15)
        page.keyboard.press("Control+q")  # unsaved: the editor asks; q quits without saving
        screen.wait("the unsaved-changes question", lambda s: "Unsaved changes" in s)
        page.keyboard.press("q")
        page.wait_for_selector("body.-closed", timeout=20_000)
    finally:
        served.stop()
