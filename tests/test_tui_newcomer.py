"""What a newcomer meets first in the editor: the keys they guess, and what the header says."""

from __future__ import annotations

from pathlib import Path

from test_tui_app import kestra, ready, until

from policytui.tui import make_app

SIZE = (80, 24)


async def test_q_says_which_key_quits_and_quits_nothing(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await until(lambda: "ctrl+q quits" in screen_text(app), "a notice naming ctrl+q")
        assert app.is_running and app.screen is app.main
