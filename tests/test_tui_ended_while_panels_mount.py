"""The editor asked to end while its tab panes are being mounted (tens of milliseconds after its
first frame) ends cleanly, whichever way the request comes.

In a browser the request is Textual's ExitApp message, posted straight to the app: by
textual-serve's "quit", by SIGINT or SIGTERM (serve stopped with ctrl+c) and by the server
gone (tui/web_driver.py). In a terminal it is the app's `exit` (ctrl+q, ctrl+c). Textual's
tabs, shut down between composing their tabs and their own Mount, raise ("No Tab with id
...") and the editor ended in that traceback, which serve printed on its terminal. Here the
request is made at the end of the tabs' compose, so it always lands in that window.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tui_app import kestra, until
from textual import messages
from textual.widget import Widget
from textual.widgets._tabs import Tabs

from policytui.tui import make_app


@pytest.mark.parametrize("how", ["ExitApp", "exit"])
async def test_an_end_requested_as_the_tabs_mount_waits_for_them_and_ends_without_a_traceback(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    compose_tabs = Tabs.compose

    def compose_then_end(tabs: Tabs) -> Iterator[Widget]:
        yield from compose_tabs(tabs)
        if how == "exit":
            app.exit(return_code=130)
        else:
            app.post_message(messages.ExitApp())

    monkeypatch.setattr(Tabs, "compose", compose_then_end)
    async with app.run_test(size=(120, 40)):
        await until(lambda: not app.is_running, "the editor to end", timeout=10)
    assert app._exception is None, repr(app._exception)
    assert app.panels_ready.is_set()
    assert not (tmp_path / "policy.json").exists()
