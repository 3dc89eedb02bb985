"""The Try panel is a form: keys typed in it stay in it, and Enter does what its field says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_tui_app import document, kestra, ready, screen_text, select
from tui_support import until

from policytui.editor.arguments import sample_arguments, schema_args
from policytui.tui import make_app

SIZE = (80, 24)  # the smallest terminal the editor is laid out for


def sample_of(listing, name: str) -> str:  # type: ignore[no-untyped-def]
    tool = next(t for t in listing.tools if t.name == name)
    return json.dumps(sample_arguments(schema_args(tool.input_schema)), ensure_ascii=False)


async def test_tab_and_shift_tab_stay_in_the_form_and_letters_never_edit(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = document(app)
        tool_box, args_box = app.query_one("#try-tool"), app.query_one("#try-args")
        await pilot.press("5")
        await until(lambda: app.focused is tool_box, "the tool field focused after 5")
        await pilot.press("shift+tab")
        assert app.focused is args_box, app.focused
        await pilot.press("shift+tab")
        assert app.focused is tool_box, app.focused
        await pilot.press("tab")
        assert app.focused is args_box, app.focused
        await pilot.press("tab")
        assert app.focused is tool_box, app.focused
        await pilot.press("shift+tab", "shift+tab", *"manage_flow")
        await pilot.pause()
        assert tool_box.value == "manage_flow"
        assert app.screen is app.main, "a key typed in the form opened a dialog"
        assert document(app) == before, "a key typed in the form changed the policy"


async def test_enter_in_the_tool_field_moves_on_with_that_tools_own_arguments(tmp_path: Path) -> None:
    listing = kestra()
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tool_box, args_box = app.query_one("#try-tool"), app.query_one("#try-args")
        await select(pilot, "search_flows")
        await pilot.press("t")
        await until(lambda: app.focused is args_box, "the arguments focused after t")
        assert args_box.value == sample_of(listing, "search_flows")
        await pilot.press("shift+tab")
        await until(lambda: app.focused is tool_box, "the tool field focused after shift+tab")
        await pilot.press("ctrl+u", *"manage_flow", "enter")
        await until(lambda: app.focused is args_box, "the arguments focused after Enter in the tool field")
        assert args_box.value == sample_of(listing, "manage_flow")
        await pilot.press("x")  # goes into the arguments, not to the table
        await pilot.pause()
        assert args_box.value.endswith("x"), args_box.value
        assert tool_box.value == "manage_flow"


async def test_a_call_waiting_for_approval_reads_whole_at_80x24(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("r", "t")  # every call of manage_flow waits for a human
        await until(lambda: app.focused is app.query_one("#try-args"), "the arguments focused after t")
        await pilot.press("enter")
        await until(lambda: "NEEDS APPROVAL" in screen_text(app), "the answer shown")
        await pilot.pause()
        shown = screen_text(app)
        assert "(the call waits for a human; approved it continues, else it is denied)" in shown, shown


async def test_a_long_reason_in_the_answer_reads_to_its_end_at_80x24_with_page_down(tmp_path: Path) -> None:
    reason = " ".join(f"word{i}" for i in range(60)) + " LAST-WORDS"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny",
                                  "tools": {"manage_flow": {"action": "deny", "reason": reason}}}))
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("t")
        await until(lambda: app.focused is app.query_one("#try-args"), "the arguments focused after t")
        await pilot.press("enter")
        await until(lambda: "word0" in screen_text(app), "the answer shown")
        await pilot.pause()
        assert "DENIED  rule" in screen_text(app)
        assert "LAST-WORDS" not in screen_text(app)  # the reason runs past the panel's foot
        for _ in range(5):
            if "LAST-WORDS" in screen_text(app):
                break
            await pilot.press("pagedown")
            await pilot.pause()
        await until(lambda: "LAST-WORDS" in screen_text(app), "the end of the reason scrolled into view")
        assert app.focused is app.query_one("#try-args")  # still typing in the form
        await pilot.press("pageup", "pageup", "pageup", "pageup", "pageup")
        await until(lambda: "DENIED  rule" in screen_text(app), "the answer's first line back in view")


async def test_the_answer_follows_the_policy_when_the_tool_is_decided_again(tmp_path: Path) -> None:
    """An answer left on screen is the call decided under the policy as it is now: after the
    tool was denied or hidden it said what the policy said before (NEEDS APPROVAL)."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("r", "t")
        await until(lambda: app.focused is app.query_one("#try-args"), "the arguments focused after t")
        await pilot.press("enter")
        await until(lambda: "NEEDS APPROVAL" in screen_text(app), "the first answer shown")
        await pilot.press("escape")  # out of the form, back to the table
        await until(lambda: app.focused is app.query_one("#tools"), "the table focused after esc")
        await pilot.press("d")
        await until(lambda: "DENIED  rule tools.manage_flow.action" in screen_text(app),
                    "the answer decided again after d")
        assert "NEEDS APPROVAL" not in screen_text(app)
        await pilot.press("h")
        await until(lambda: "HIDDEN" in screen_text(app), "the answer decided again after h")
        await pilot.press("ctrl+z", "ctrl+z")  # back to approval: the answer goes back too
        await until(lambda: "NEEDS APPROVAL" in screen_text(app), "the answer decided again after undo")


async def test_a_hidden_tools_answer_says_the_agent_reads_the_servers_own_for_a_missing_tool(
        tmp_path: Path) -> None:
    """The gateway answers a hidden tool's call as its server answers a tool it does not have;
    the Try panel said the agent read "[POLICY DENIED] Tool "manage_flow" is hidden by policy",
    which no agent ever reads (and which would tell it the tool is there)."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("h", "t")
        await until(lambda: app.focused is app.query_one("#try-args"), "the arguments focused after t")
        await pilot.press("enter")
        await until(lambda: "HIDDEN  rule hide" in screen_text(app), "the answer shown")
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        assert ("agent sees: the server's own answer to a tool it does not have (a hidden tool looks missing)"
                in shown), shown
        assert "hidden by policy" not in shown, shown


async def test_a_tool_the_server_does_not_list_is_answered_as_the_gateway_answers_it(tmp_path: Path) -> None:
    """The gateway never forwards a call for a tool its server does not list, whatever the
    policy says (rule server.tools). Under a default of allow the Try panel said such a call
    (a name mistyped, `manage_flows`) was ALLOWED, and under deny that the agent read the
    default's denial."""
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "allow"}', encoding="utf-8")
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5")
        tool_box = app.query_one("#try-tool")
        await until(lambda: app.focused is tool_box, "the tool field focused after 5")
        await pilot.press("ctrl+u", *"manage_flows", "enter")
        await until(lambda: app.focused is app.query_one("#try-args"), "the arguments focused")
        await pilot.press("enter")
        await until(lambda: "DENIED  rule server.tools" in screen_text(app), "the answer shown",
                    shows=lambda: screen_text(app))
        shown = " ".join(screen_text(app).split())
        assert "agent sees: the server's own answer to a tool it does not have, as for a hidden tool" in shown, shown
        assert "ALLOWED" not in shown, shown


def try_row(app) -> str:  # type: ignore[no-untyped-def]
    """The Try panel's tool line as drawn ("tool search_flows")."""
    return next((" ".join(line.split()) for line in screen_text(app).splitlines() if line.strip().startswith("tool ")), "")


@pytest.mark.parametrize("size", [SIZE, (60, 20)], ids=["80x24", "60x20"])
async def test_5_names_the_selected_tool_and_keeps_a_name_the_user_typed(
        tmp_path: Path, size: tuple[int, int]) -> None:
    """`5` with a tool selected puts its name in the tool field, selected, so Enter takes it (and
    its sample arguments) and a name typed replaces it; a later `5` with another tool selected
    replaces a name put there, never one the user typed. Before, the field stayed empty and the
    user typed the name just selected."""
    listing = kestra()
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        tool_box, args_box, table = app.query_one("#try-tool"), app.query_one("#try-args"), app.query_one("#tools")
        await select(pilot, "search_flows")
        await pilot.press("5")
        await until(lambda: app.focused is tool_box and try_row(app) == "tool search_flows",
                    "search_flows named in the Try panel", shows=lambda: screen_text(app))
        await pilot.press("enter")
        await until(lambda: app.focused is args_box, "the arguments focused after Enter")
        assert args_box.value == sample_of(listing, "search_flows")
        await pilot.press("enter")
        await until(lambda: "ALLOWED" in screen_text(app) or "DENIED" in screen_text(app), "the answer",
                    shows=lambda: screen_text(app))

        # Another tool selected: the name put there before gives way to it.
        await pilot.press("escape", "escape")  # out of the form, then the filter dropped
        await until(lambda: app.focused is table and table.current_row.name == "search_flows"
                    and len(table.view) > 1, "the whole table, search_flows selected")
        await pilot.press("down")
        await until(lambda: table.current_row.name != "search_flows", "the next tool selected")
        second = table.current_row.name
        await pilot.press("5")
        await until(lambda: app.focused is tool_box and tool_box.value == second,
                    f"{second} named in place of search_flows", shows=lambda: tool_box.value)

        # A name the user typed (replacing the selected one) stays.
        await pilot.press(*"manage_flow", "escape", "down")
        await until(lambda: app.focused is table and table.current_row.name not in (second, "manage_flow"),
                    "a third tool selected")
        await pilot.press("5")
        await until(lambda: app.focused is args_box, "the arguments focused, the tool named already")
        assert tool_box.value == "manage_flow"


async def test_an_answer_gives_way_once_the_call_typed_is_another(tmp_path: Path) -> None:
    """Typing another tool's name or other arguments after a call was decided left its verdict
    under fields that named another call ("ALLOWED rule tools.list_flows" beside manage_flow).
    The answer gives way to how to decide the call as typed; Enter decides it."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("r", "t")
        await until(lambda: app.focused is app.query_one("#try-args"), "the arguments focused after t")
        await pilot.press("enter")
        await until(lambda: "NEEDS APPROVAL" in screen_text(app), "the first answer shown")
        await pilot.press("shift+tab", "ctrl+a", *"search_flows")  # another tool's name typed over it
        await until(lambda: "decides the call as typed" in screen_text(app), "the hint in place of the answer")
        assert "NEEDS APPROVAL" not in screen_text(app)
        await pilot.press("tab", "enter")
        await until(lambda: "DENIED" in screen_text(app), "the call typed decided (the default denies it)")
        await pilot.press("x")  # other arguments typed
        await until(lambda: "decides the call as typed" in screen_text(app), "the hint after an argument typed")
        assert "DENIED" not in screen_text(app)
        await pilot.press("escape", "a")  # an edit of the policy decides no call while none is shown
        await until(lambda: "ALLOWED" in screen_text(app) or app.query_one("#tools").has_focus, "back on the table")
        await pilot.pause()
        assert "ALLOWED" not in screen_text(app) and "decides the call as typed" in screen_text(app)


async def test_a_tool_name_the_server_does_not_list_is_named_with_the_one_meant(tmp_path: Path) -> None:
    """A name mistyped in the Try panel (`serch_flows`) was answered `DENIED rule server.tools`
    and what the agent would see, with no word that the name is not one of the server's: a
    newcomer read it as the policy denying the call. The answer now says so and names the tool
    meant, as `policytui check --tools` does."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        tool_box, args_box = app.query_one("#try-tool"), app.query_one("#try-args")
        await pilot.press("5")
        await until(lambda: app.focused is tool_box, "the tool field focused after 5")
        await pilot.press(*"serch_flows", "enter")
        await until(lambda: app.focused is args_box, "the arguments focused")
        await pilot.press("ctrl+u", "enter")
        said = "'serch_flows' is not on this server (the tools it lists); did you mean 'search_flows'?"
        await until(lambda: said in " ".join(screen_text(app).split()), "the answer naming the tool meant",
                    shows=lambda: screen_text(app))
        assert "DENIED" in screen_text(app)


async def test_a_long_text_pasted_as_the_tool_name_is_named_by_its_start(tmp_path: Path) -> None:
    """Arguments pasted into the tool field by mistake (the field above them) are answered with
    a hint quoting the name's start and how much more there was; the hint quoted the whole
    name and filled the panel with it."""
    from textual import events

    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        tool_box, args_box = app.query_one("#try-tool"), app.query_one("#try-args")
        await pilot.press("5")
        await until(lambda: app.focused is tool_box, "the tool field focused after 5")
        await pilot.press("ctrl+u")
        app.post_message(events.Paste('{"namespace": "' + "n" * 5_000 + '"}'))
        await pilot.press("enter")
        await until(lambda: app.focused is args_box, "the arguments focused")
        await pilot.press("ctrl+u", "enter")
        said = "is not on this server (the tools it lists); check the name."
        await until(lambda: said in " ".join(screen_text(app).split()), "the hint",
                    shows=lambda: screen_text(app))
        hint = " ".join(screen_text(app).split()).split("hint: ", 1)[1]
        assert "more characters not shown)" in hint and len(hint) < 200, hint


async def named_by_5(app: Any, pilot: Any, tool: str) -> tuple[Any, Any]:
    """Once the editor is ready: `tool` selected and `5` pressed, which focuses the Try panel's
    tool field with the tool's name in it. The tool and arguments fields."""
    await ready(pilot)
    tool_box, args_box = app.query_one("#try-tool"), app.query_one("#try-args")
    await select(pilot, tool)
    await pilot.press("5")
    await until(lambda: app.focused is tool_box and tool_box.value == tool, f"{tool} named in the Try panel")
    return tool_box, args_box


async def test_json_typed_after_5_goes_into_the_arguments_and_the_named_tool_stays(tmp_path: Path) -> None:
    """`5` focuses the tool field with the selected tool's name in it, while the arguments'
    field shows that tool's sample as its placeholder: a user who typed the arguments there
    (`{"namespace": ...}`) replaced the tool's name with them, and Enter then named no tool. A
    tool's name never begins with `{`: typed over the name put there, it starts the arguments,
    and the name stays."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        tool_box, args_box = await named_by_5(app, pilot, "search_flows")
        assert args_box.value == ""  # its sample shows as the placeholder
        await pilot.press(*'{"namespace": "dev"}', "enter")
        await until(lambda: "ALLOWED" in screen_text(app) or "DENIED" in screen_text(app), "the answer",
                    shows=lambda: screen_text(app))
        assert (tool_box.value, args_box.value) == ("search_flows", '{"namespace": "dev"}')
        assert app.focused is args_box


async def test_json_pasted_after_5_goes_into_the_arguments_and_a_typed_name_is_kept(tmp_path: Path) -> None:
    """The same for a paste of the arguments; a name the user typed is theirs, and a `{` after
    it is typed there as they typed it."""
    from textual import events

    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        tool_box, args_box = await named_by_5(app, pilot, "search_flows")
        app.post_message(events.Paste('{"namespace": "dev"}'))
        await until(lambda: args_box.value == '{"namespace": "dev"}', "the paste in the arguments",
                    shows=lambda: (tool_box.value, args_box.value))
        assert tool_box.value == "search_flows" and app.focused is args_box

        await pilot.press("shift+tab", "ctrl+u", *"manage_flow{")
        await pilot.pause()
        assert (tool_box.value, app.focused) == ("manage_flow{", tool_box)
