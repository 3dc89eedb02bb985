"""Everything the editor's page asks of `policytui serve` is answered: Debian's Chromium opens
the printed URL and every response it gets is watched. The browser's own request for a
favicon at the server's root (where, without the cookie scoped to the editor's path, every
request is refused) used to print a 403 in the browser's console on every load: the page
names its icon itself, so no such request is made.

Nor does its script fail: the page gives the terminal the focus as it loads, before its
connection is open, and the focus (and any key typed then) was sent at once, which the browser
refuses ("Still in CONNECTING state"): an error on every load, and the editor never told of
the focus (nor of a key typed then). They now wait for the connection to open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serve_support import BrowserScreen, Served, table_row


def test_loading_the_editor_asks_nothing_serve_refuses(chromium: Any, tmp_path: Path) -> None:
    served = Served(["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
                    cwd=tmp_path, env={"HOME": str(tmp_path)})
    answered: list[tuple[int, str]] = []
    console: list[str] = []
    errors: list[str] = []
    try:
        page = chromium.new_context(viewport={"width": 1200, "height": 800}).new_page()
        page.on("response", lambda response: answered.append((response.status, response.url)))
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: errors.append(str(error)))
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("Kestra's snapshot in the table",
                    lambda s: "39 tools" in s and bool(table_row(s, "manage_apps")))
        page.wait_for_timeout(500)  # the browser asks for its icon once the page has loaded
    finally:
        served.stop()
    assert any(url.startswith(served.base) for _status, url in answered), answered
    failed = [(status, url) for status, url in answered if status >= 400]
    assert not failed, failed
    assert not [line for line in console if line.startswith("error")], console
    assert not errors, errors
