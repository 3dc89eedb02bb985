"""Copying from the browser editor (`y`, the export dialog's "Copy to clipboard") in Debian's
Chromium, when `serve --host` puts the page on plain http at another address than 127.0.0.1.

There the page is not a secure context, and the browser offers it no clipboard API (it does on
https and on 127.0.0.1): the editor said "Copied the policy JSON to the clipboard." and nothing
was copied. The clipboard is read back from a page on 127.0.0.1, which may read it.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from serve_support import BrowserScreen, RecordingListener, Served, table_row


def own_address() -> str | None:
    """An address of this machine other than a loopback one, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # sends nothing: only picks the outgoing address
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_y_copies_the_policy_from_a_page_on_plain_http_to_another_address(
    chromium: Any, tmp_path: Path
) -> None:
    address = own_address()
    if address is None:
        pytest.skip("this machine has no address but a loopback one")
    folder = tmp_path / "home"
    folder.mkdir()
    served = Served(
        ["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open",
         "--host", address],
        cwd=tmp_path, env={"HOME": str(folder), "XDG_CONFIG_HOME": str(folder / ".config")},
    )
    reader = RecordingListener()
    try:
        context = chromium.new_context(viewport={"width": 1200, "height": 800})
        page = context.new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        assert page.evaluate("window.isSecureContext") is False
        screen.wait("the editor", lambda s: bool(table_row(s, "manage_apps")))
        page.keyboard.press("d")
        page.keyboard.press("y")
        screen.wait("the copy said", lambda s: "Copied the policy JSON" in s)
        origin = f"http://127.0.0.1:{reader.port}"
        context.grant_permissions(["clipboard-read"], origin=origin)
        other = context.new_page()
        other.goto(f"{origin}/")
        copied = other.evaluate("navigator.clipboard.readText()")
        assert json.loads(copied)["tools"] == {"backfill_executions": {"action": "deny"}}, copied
        # The keys still reach the editor after the copy.
        page.bring_to_front()
        page.keyboard.press("a")
        screen.wait("the next key", lambda s: "allow" in table_row(s, "backfill_executions"))
    finally:
        reader.close()
        code = served.stop()
    assert code == 130, "".join(served.stderr)
