"""What a person meets in the editor, driven by keys through Pilot: hiding a tool that has a
rule, the Try panel's Esc, counts that read right, notes no longer than what they hide, every
column sized to its content, and `require` conditions in the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_tui_app import SIZE, document, kestra, ready, screen_text, select
from tui_support import panels_follow_next_edit, until

from policytui.editor import make_condition
from policytui.textsafe import clip
from policytui.tui import make_app
from policytui.tui.table import ToolTable


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    return tmp_path / "policy.json"


async def test_hiding_a_tool_with_a_rule_sets_the_rule_aside_and_brings_it_back(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "execute_flow")
        await pilot.press("l", "3", "0", "enter", "ctrl+s")  # a limit: 30 calls a minute
        await until(lambda: "limits" in document(app).get("tools", {}).get("execute_flow", {}), "the limit")
        await pilot.press("d")
        await pilot.pause()
        limits = document(app)["tools"]["execute_flow"]["limits"]

        # Validation runs 0.15 s after an edit, by a timer the edit starts anew: the one the
        # hide started, not the one before it (done already, its report from before the hide).
        hidden = panels_follow_next_edit(app)
        await pilot.press("h")
        await until(lambda: document(app).get("hide") == ["execute_flow"] and hidden(),
                    "execute_flow hidden and the policy validated")
        doc = document(app)
        assert doc["hide"] == ["execute_flow"] and "execute_flow" not in doc.get("tools", {})
        assert app.report is not None and not app.report.warnings  # no "rule never applies"
        assert any("set aside while it is hidden" in n.message for n in app._notifications)

        await pilot.press("d")  # deciding it again brings the rule back, limits and all
        await pilot.pause()
        doc = document(app)
        assert "hide" not in doc
        assert doc["tools"]["execute_flow"] == {"action": "deny", "limits": limits}

        await pilot.press("h", "ctrl+z")  # and undo of the hide restores it the same way
        await pilot.pause()
        assert document(app)["tools"]["execute_flow"] == {"action": "deny", "limits": limits}


async def test_esc_in_the_try_panel_leaves_the_input_and_keeps_the_filter(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("t")
        await pilot.pause()
        args = app.query_one("#try-args")
        assert app.focused is args
        typed = args.value
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.focused, ToolTable)  # out of the input, back on the table
        assert app.row_filter.text == "manage_flow"  # the table's filter stays
        assert args.value == typed
        await pilot.press("escape")  # a second Esc, on the table, clears the filter
        await pilot.pause()
        assert not app.row_filter.active


async def test_one_warning_reads_one_warning(policy_path: Path) -> None:
    # A file written elsewhere: a hidden tool that also has a rule, which can never apply.
    policy_path.write_text(json.dumps({
        "version": "1", "default": "deny", "hide": ["manage_flow"],
        "tools": {"manage_flow": {"action": "deny"}},
    }), encoding="utf-8")
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(lambda: app.report is not None, "validation")
        await pilot.pause()
        assert len(app.report.warnings) == 1
        header = screen_text(app).splitlines()[0]
        assert "! 1 warning" in header and "warnings" not in header, header


def test_a_clipped_note_is_never_longer_than_what_it_hides() -> None:
    for hidden in range(1, 80):
        text = "x" * (100 + hidden)
        shown = clip(text, 100)
        assert len(shown) <= len(text) + 0 or "more characters not shown" in shown
        if "more characters not shown" in shown:
            note = shown[100:]
            assert len(note) < hidden, (hidden, note)
        else:
            assert shown == text
    assert clip("x" * 103, 100) == "x" * 103  # "… (3 more characters not shown)" hides 3
    assert clip("x" * 1000, 100).endswith("… (900 more characters not shown)")


async def test_require_conditions_show_in_the_table_and_nothing_is_cut_when_there_is_room(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(200, 40)) as pilot:
        await ready(pilot)
        assert app.state is not None
        app.state.edit_rule("execute_flow", reason=None, conditions={
            "require": [make_condition("args.namespace", "eq", "dev")],
            "require_approval_if": [make_condition("args.wait", "eq", True)],
        }, allow=True)
        app._changed(full=True)
        await pilot.pause()
        text = screen_text(app)
        row = next(line for line in text.splitlines() if line.strip().startswith("execute_flow"))
        assert 'require args.namespace eq "dev"' in row
        assert "if args.wait eq true" in row
        assert "…" not in row
        assert "Conditions" in text.splitlines()[1]


async def test_keys_typed_while_loading_never_reach_a_hidden_filter(policy_path: Path) -> None:
    import threading

    listing = kestra()
    typed = threading.Event()
    asked = threading.Event()

    def slow() -> object:
        # A server that answers only after the keys were typed (a fixed second of listing
        # was over before the keys came, on a busy machine).
        asked.set()
        typed.wait(60)
        return listing

    app = make_app(policy_path=policy_path, load_listing=slow, target_label="slow")  # type: ignore[arg-type]
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(asked.is_set, "the server asked for its tools")
            await pilot.press("slash", "x", "a")
            assert app.state is None, "the tools were listed before the keys were typed"
            typed.set()
            await ready(pilot)
            # The keys typed before the tools came have done whatever they do once a move typed
            # now has: j moves the cursor to the second row (behind a filter opened by the /, it
            # would have been typed into it).
            await pilot.press("j")
            await until(lambda: app.query_one(ToolTable).cursor == 1, "the cursor moved down by j")
            assert app.row_filter.text == "" and not app.query_one("#filter").display
            assert isinstance(app.focused, ToolTable)
            assert "39 tools" in screen_text(app) and "shown)" not in screen_text(app)
    finally:
        typed.set()


async def test_the_try_panel_reads_arguments_as_the_gateway_does(policy_path: Path) -> None:
    """Typed into the Try panel, arguments the gateway would refuse (NaN, a key twice, two keys
    that are one name in Unicode compatibility form: action and its fullwidth spelling, ij and
    the ligature \u0133) get one sentence saying why, never a decision; broken JSON is explained
    in plain words."""
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("t")
        await pilot.pause()
        args = app.query_one("#try-args")
        assert app.focused is args
        for typed, said in (
            ('{"action": NaN}', "In the arguments, NaN is not JSON"),
            ('{"action": "get", "action": "delete"}', 'the key "action" is twice in one object'),
            ('{"action": "get", "\uff41\uff43\uff54\uff49\uff4f\uff4e": "delete"}',
             'the keys "action" and "\\uff41\\uff43\\uff54\\uff49\\uff4f\\uff4e" in one object are one name '
             "in Unicode compatibility form (NFKC: fullwidth, a ligature), which the gateway refuses as ambiguous"),
            ('{"action": "get", "o": {"ij": 1, "\u0133": 2}}', 'the keys "ij" and "\\u0133" in one object are one '
             "name in Unicode compatibility form"),
            ('{"action": "delete"', "the text ends too early"),
        ):
            args.value = ""
            await pilot.press(*typed, "enter")
            await pilot.pause()
            text = " ".join(screen_text(app).split())
            assert said in text, (typed, text)
            assert "ALLOWED" not in text and "DENIED" not in text
        args.value = ""
        await pilot.press(*'{"action": "delete"}', "enter")
        await pilot.pause()
        assert "ALLOWED" in screen_text(app) or "DENIED" in screen_text(app)


async def test_t_on_another_tool_offers_that_tools_arguments_and_keeps_what_was_typed_for_the_same(
    policy_path: Path,
) -> None:
    """The arguments typed for one tool are kept while it is tried again, and replaced by the
    next tool's own sample when `t` names another: a call of that tool with the first one's
    arguments would decide nothing the author meant."""
    from policytui.editor.arguments import sample_arguments, schema_args

    listing = kestra()
    app = make_app(policy_path=policy_path, listing=listing)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        args = app.query_one("#try-args")
        await select(pilot, "manage_flow")
        await pilot.press("t")
        await until(lambda: app.focused is args, "the arguments focused after t")
        await pilot.press("ctrl+u", *'{"action": "delete"}')
        await until(lambda: args.value == '{"action": "delete"}', "the typed arguments")
        await pilot.press("escape")
        await until(lambda: app.focused is not args, "the table focused after esc")
        await pilot.press("t")  # the same tool again: what was typed stays
        await until(lambda: app.focused is args, "the arguments focused after the second t")
        assert args.value == '{"action": "delete"}'
        await pilot.press("escape")
        await until(lambda: app.focused is not args, "the table focused after the second esc")
        await select(pilot, "search_flows")
        await pilot.press("t")
        other = next(t for t in listing.tools if t.name == "search_flows")
        expected = json.dumps(sample_arguments(schema_args(other.input_schema)), ensure_ascii=False)
        await until(lambda: app.query_one("#try-tool").value == "search_flows", "search_flows named in Try")
        assert args.value == expected, args.value
