"""The footer fits its width: whole keys in a fixed order, help at any width, palette last."""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from policytui.tui.footer import fit_keys, key_width
from policytui.tui.keys import ACTIONS, FOOTER_ORDER


def footer_keys() -> list[FooterKey]:
    """The editor's footer keys as Textual's Footer yields them (in binding order), plus ^p."""
    display = {"question_mark": "?", "slash": "/", "ctrl+s": "^s", "ctrl+z": "^z", "ctrl+q": "^q"}
    keys = [
        FooterKey(key, display.get(key, key), description, action)
        for key, action, description, _id, shown, _help in ACTIONS
        if shown
    ]
    return [*keys, FooterKey("ctrl+p", "^p", "palette", "command_palette", classes="-command-palette")]


@pytest.mark.parametrize("width", [40, 60, 80, 100, 130, 200])
def test_keys_fit_in_order_with_help_and_the_palette(width: int) -> None:
    shown = fit_keys(footer_keys(), width)
    actions = [key.action for key in shown if isinstance(key, FooterKey)]
    assert actions[-1] == "command_palette"
    assert "help" in actions
    ranked = actions[:-1]
    assert ranked == sorted(ranked, key=FOOTER_ORDER.index)
    used = sum(key_width(key) for key in shown if isinstance(key, FooterKey)) + 2
    assert used <= width


def test_at_80_columns_the_main_flow_is_there_and_nothing_is_cut() -> None:
    shown = [key.action for key in fit_keys(footer_keys(), 80) if isinstance(key, FooterKey)]
    assert shown[:9] == list(FOOTER_ORDER[:9])  # allow ... help
    assert shown[-1] == "command_palette"


def test_wide_terminals_show_every_footer_key_and_the_palette_word() -> None:
    shown = fit_keys(footer_keys(), 200)
    assert [key.action for key in shown if isinstance(key, FooterKey)][:-1] == list(FOOTER_ORDER)
    assert shown[-1].description == "palette"  # type: ignore[attr-defined]
