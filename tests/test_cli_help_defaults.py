"""Every option that has a default says it in `policytui COMMAND --help`.

A user reading `--help` decides whether to give an option by what happens without it. For each
subcommand, the options that take a value and have one when not given (argparse's default:
not None, not empty, not a flag's False) are read from the parser, and the installed command's
own `--help` text of that option must say "default".
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from policytui.cli import build_parser

POLICYTUI = str(Path(sys.executable).with_name("policytui"))


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser(None)
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def _with_defaults(parser: argparse.ArgumentParser) -> list[str]:
    found = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS or action.nargs == 0:
            continue  # positionals, --help and flags (off unless given)
        if action.default in (None, [], "", False):
            continue  # nothing happens without it: there is no default to tell
        found.append(max(action.option_strings, key=len))
    return found


COMMANDS = _subparsers()
# The commands that have an option with a default (the others have nothing to say).
WITH_DEFAULTS = sorted(name for name, parser in COMMANDS.items() if _with_defaults(parser))


def test_some_commands_have_options_with_defaults() -> None:
    # The test below must have something to check: the parsers are read, not listed by hand.
    assert {"gateway", "check"} <= set(WITH_DEFAULTS), WITH_DEFAULTS


@pytest.mark.parametrize("command", WITH_DEFAULTS)
def test_each_option_with_a_default_says_it(command: str) -> None:
    options = _with_defaults(COMMANDS[command])
    shown = subprocess.run([POLICYTUI, command, "--help"], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "COLUMNS": "100"})
    assert shown.returncode == 0, shown.stderr
    # One block per option: its line and the indented lines under it.
    blocks = re.split(r"\n(?=  -)", shown.stdout)
    silent = []
    for option in options:
        (block,) = [b for b in blocks if re.match(rf"  (-\w[ ,\w{{}}.\[\]|-]*, )?{re.escape(option)}\b", b)] or [""]
        if "default" not in " ".join(block.split()).lower():
            silent.append(option)
    assert not silent, f"`policytui {command} --help` does not say the default of {silent}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_help_line_breaks_an_option_at_its_hyphen(command: str) -> None:
    # `--call-timeout` stays whole: argparse's own wrapping broke after a hyphen, leaving
    # `--call-` at a line's end and `timeout` under it (gateway at 58 and at 80 columns, the
    # width of a terminal's default and of a pipe).
    for columns in (58, 80):
        shown = subprocess.run([POLICYTUI, command, "--help"], capture_output=True, text=True,
                               timeout=60, env={**os.environ, "COLUMNS": str(columns)})
        assert shown.returncode == 0, shown.stderr
        cut = [line for line in shown.stdout.splitlines()
               if re.search(r"(?<![\w-])--?\w[\w-]*-$", line.rstrip())]
        assert not cut, (columns, cut)
