"""Keys typed in one burst, as a fast typist's terminal delivers them, go where the user meant."""

from __future__ import annotations

from pathlib import Path

from test_tui_app import document, kestra, ready
from textual import events

from policytui.tui import make_app

SIZE = (100, 30)


async def burst(app, keys: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    """Queue every key before the app handles the first one (Pilot.press waits in between)."""
    for key, character in keys:
        app.post_message(events.Key(key, character))


async def test_letters_typed_right_after_slash_filter_and_never_edit(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = document(app)
        # "/add": as edit keys, `a` would allow and `d` deny the selected tool.
        await burst(app, [("slash", "/"), ("a", "a"), ("d", "d"), ("d", "d")])
        await pilot.pause(0.3)
        assert app.main.query_one("#filter").value == "add"
        assert document(app) == before


async def test_slash_inside_an_input_is_text(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash", "a", "slash", "b")
        await pilot.pause()
        assert app.main.query_one("#filter").value == "a/b"
