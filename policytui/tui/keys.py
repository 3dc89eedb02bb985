"""Every action of the editor with its default key, binding id, footer text and help line.

One table feeds the bindings, the footer, the help screen and the command palette, so they
cannot disagree. Binding ids (`policytui.allow`, ...) let a user keymap rebind any key.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding, BindingsMap, BindingType

# Help and palette name the file being edited here (`help_line`); a footer tooltip keeps it.
THE_POLICY_FILE = "the policy file"
# ... and the command the editor was started by: in a browser the option is `serve --replay`.
THE_REPLAY_OPTION = "connect --replay"

# Every action: (binding key, action, footer text, binding id, shown in footer, palette help).
ACTIONS: list[tuple[str, str, str, str, bool, str]] = [
    ("question_mark", "help", "Help", "help", True, "Show every key"),
    ("ctrl+s", "save", "Save", "save", True, f"Write {THE_POLICY_FILE}"),
    ("a", "decide('allow')", "Allow", "allow", True, "Allow the selected tool"),
    ("d", "decide('deny')", "Deny", "deny", True, "Deny the selected tool: block its calls"),
    ("h", "decide('hide')", "Hide", "hide", True, "Hide the selected tool from tools/list"),
    ("r", "decide('approve')", "Approve", "approve", True, "Require approval, so every call of the selected tool waits for a human"),
    ("l", "limits", "Limits", "limits", True, "Edit rate limits of the selected tool and all tools"),
    ("c", "conditions", "Conds", "conditions", True, "Edit argument conditions and the reason"),
    ("D", "toggle_default", "Default", "toggle_default", True, "Toggle the default between deny and allow"),
    ("slash", "filter", "Filter", "filter", True, "Filter tools by name: find or search as you type"),
    ("ctrl+z", "undo", "Undo", "undo", True, "Undo the last change (repeat to revert all unsaved edits)"),
    ("ctrl+y", "redo", "Redo", "redo", False, "Redo the change undone last"),
    ("x", "reset", "Reset", "reset", False, "Remove the tool's rule so the default decides"),
    ("b", "bulk", "Bulk", "bulk", True, "Apply a decision to the marked tools, or to every tool shown"),
    ("f", "filter_menu", "Filter by…", "filter_menu", False, "Filter by category, severity, decision or drift"),
    ("escape", "clear_filter", "Clear filter", "clear_filter", False, "Drop the marks, then the filter"),
    ("s", "sort", "Sort", "sort", False, "Sort by the next column"),
    ("S", "reverse_sort", "Reverse sort", "reverse_sort", False, "Reverse the sort order"),
    ("p", "preset", "Preset", "preset", False, "Replace the rules with a preset built from the risk categories"),
    ("o", "override", "Category", "override", False, "Correct the selected tool's risk category"),
    ("t", "try_call", "Try a call", "try_call", False, "Decide a call with arguments under this policy, as the gateway would: simulate it"),
    ("E", "export", "Export", "export", False, "Convert to another gateway's format: PolicyLayer, Intercept YAML, Cedar"),
    ("y", "copy_json", "Copy JSON", "copy_json", False, "Copy the policy JSON to the clipboard"),
    ("1", "panel('tab-tool')", "Tool", "panel_tool", False, "Show the selected tool in the panels"),
    ("2", "panel('tab-problems')", "Problems", "panel_problems", False, "Show validation problems in the panels"),
    ("3", "panel('tab-json')", "JSON", "panel_json", False, "Show the JSON that will be written, in the panels"),
    ("4", "panel('tab-diff')", "Diff", "panel_diff", False, "Show the diff against the file on disk, in the panels"),
    ("5", "panel('tab-try')", "Try", "panel_try", False, "Show the try-a-call form in the panels"),
    ("6", "panel('tab-replay')", "Replay", "panel_replay", False, f"Show in the panels how recorded calls fare under this policy ({THE_REPLAY_OPTION})"),
    ("P", "pins", "Pins", "pins", False, "Compare approved and live tool definitions; re-approve one tool, or many after an upgrade, or turn pinning on or off"),
    ("ctrl+q", "quit", "Quit", "quit", True, "Quit, exit the editor (asks to save or discard unsaved changes)"),
]

# The footer's keys, most useful first: a narrow terminal shows the first ones that fit
# (at 80 columns, allow through help). Every action is in `?` help and the palette anyway.
FOOTER_ORDER: tuple[str, ...] = (
    "decide('allow')", "decide('deny')", "decide('hide')", "decide('approve')", "limits",
    "conditions", "filter", "save", "help", "toggle_default", "undo", "bulk", "quit",
)

APP_ACTIONS = {action.split("(")[0] for _key, action, *_rest in ACTIONS}


def help_line(text: str, policy_name: str, *, in_browser: bool = False) -> str:
    """An action's help line with the file being edited named ("Write ev.json"), and the
    command the editor was started by (`serve --replay` in a browser, `connect --replay` else)."""
    return started_by(text.replace(THE_POLICY_FILE, policy_name), in_browser=in_browser)


def started_by(text: str, *, in_browser: bool) -> str:
    """`text` naming the replay option of the command the editor was started by."""
    return text.replace(THE_REPLAY_OPTION, "serve --replay") if in_browser else text


def name_browser_options(bindings: BindingsMap) -> None:
    """In a browser, the bindings' tooltips name serve's options: Textual's keys panel (the
    palette's Keys) and the footer show a binding's tooltip as it is, not as help_line words it."""
    for key, key_bindings in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            replace(binding, tooltip=started_by(binding.tooltip, in_browser=True))
            for binding in key_bindings
        ]


def editor_bindings() -> list[BindingType]:
    """The app's bindings. ctrl+q has priority so quitting works from inside any input."""
    bindings: list[BindingType] = [
        Binding(
            key,
            action,
            description,
            show=show,
            id=f"policytui.{binding_id}",
            # Every other key, `/` included, is handled in the order the keys were typed
            # (policytui.tui.inputs): the keys typed right behind `/` reach the app after it,
            # once the filter box has the focus, and are typed into it.
            priority=key == "ctrl+q",
            tooltip=help_text,
        )
        for key, action, description, binding_id, show, help_text in ACTIONS
    ]
    bindings.append(
        # ctrl+f, find, filters by name as `/` does: in a browser the page takes ctrl+f from
        # the browser (whose find could not read the drawn screen anyway), and a key pressed
        # by habit there did nothing. The filter's id, so a keymap that moves `/` moves this
        # too, and neither the footer nor the help lists the filter twice.
        Binding("ctrl+f", "filter", show=False, id="policytui.filter"),
    )
    bindings.append(
        # In place of Textual's own ctrl+c, which only says how to quit: ctrl+c quits as
        # ctrl+q does. Not a priority binding, so an input or a screen with selected text
        # still copies it (they pass the key on when nothing is selected).
        Binding("ctrl+c", "interrupt", show=False, id="policytui.interrupt",
                tooltip="Quit, as ctrl+q (in a browser: copy)"),
    )
    return bindings
