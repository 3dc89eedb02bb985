"""Untrusted server text made safe for display, and argument discovery from schemas."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policytui.editor import clip, one_line, schema_args, visible


def test_escape_sequences_become_visible() -> None:
    shown = visible("a\x1b[31mred\x1b]8;;http://x\x07link\x9b2J")
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown == "a␛[31mred␛]8;;http://x␇link\\x9b2J"


def test_bidi_and_zero_width_are_visible() -> None:
    assert visible("ab\u202ecd\u200b") == "ab\\u202ecd\\u200b"


def test_newlines_kept_only_when_asked() -> None:
    assert visible("a\nb\tc") == "a␊b␉c"
    assert visible("a\nb\tc\r", keep_newlines=True) == "a\nb    c␍"


@given(st.text())
def test_visible_never_leaves_control_characters(text: str) -> None:
    for keep in (False, True):
        shown = visible(text, keep_newlines=keep)
        allowed = {"\n"} if keep else set()
        assert not any(
            (ord(c) < 0x20 and c not in allowed) or 0x7F <= ord(c) <= 0x9F for c in shown
        )


def test_clip_says_what_was_left_out() -> None:
    assert clip("abc", 5) == "abc"
    assert clip("x" * 1_000_000, 10) == "x" * 10 + "… (999,990 more characters not shown)"
    assert one_line("first\nsecond") == "first"


def test_schema_args_finds_enums_nested_and_booleans() -> None:
    schema = {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": ["get", "delete"]},
            "force": {"type": "boolean"},
            "mode": {"anyOf": [{"const": "a"}, {"const": "b"}, {"type": "null"}]},
            "target": {"type": "object", "properties": {"kind": {"enum": ["x", "y"]}}},
            "bad.name": {"type": "string"},
        },
    }
    args = {a.path: a for a in schema_args(schema)}
    assert set(args) == {"args.action", "args.force", "args.mode", "args.target", "args.target.kind"}
    assert args["args.action"].choices == ("get", "delete") and args["args.action"].required
    assert args["args.force"].choices == (True, False)
    assert args["args.mode"].choices == ("a", "b")
    assert args["args.target.kind"].choices == ("x", "y")


def test_schema_args_survives_garbage() -> None:
    assert schema_args({"properties": ["not", "a", "dict"]}) == []
    assert schema_args({"properties": {"a": "string"}})[0].path == "args.a"


def test_the_editor_core_never_imports_textual_and_the_app_defers_mcp() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import policytui.editor, policytui.editor.state; "
        "assert 'textual' not in sys.modules, 'editor imported textual'; "
        "import policytui.cli.connect_cmd, policytui.tui; "
        "assert 'mcp' not in sys.modules, 'mcp imported before the first paint'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_first_frame_needs_neither_pydantic_nor_the_policy_model() -> None:
    """`policytui connect` paints before the policy model loads: the app's modules and the
    command line leave pydantic, the classifier and Pygments to the loading worker."""
    import subprocess
    import sys

    code = (
        "import sys; import policytui.cli, policytui.cli.connect_cmd, policytui.tui; "
        "late = [m for m in ('pydantic', 'policytui.policy.model', 'policytui.editor.state', "
        "'policytui.risk.classifier', 'pygments', 'mcp') if m in sys.modules]; "
        "assert not late, f'loaded before the first paint: {late}'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("package", ["policytui.editor", "policytui.risk", "policytui.discovery"])
def test_lazy_package_names_are_what_they_say(package: str) -> None:
    """Every name a lazily loading package offers is the object its submodule defines, even
    after all the submodules are imported (a submodule named like a function would shadow it)."""
    import importlib
    import pkgutil

    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__):
        importlib.import_module(f"{package}.{info.name}")
    for name, home_name in module._HOMES.items():
        value = getattr(module, name)
        home = importlib.import_module(home_name if "." in home_name else f"{package}.{home_name}")
        assert value is getattr(home, name), name
    assert set(module._HOMES) <= set(module.__all__)
