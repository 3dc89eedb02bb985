"""The two argument parser classes of the command line, and how `-- COMMAND ARGS` is taken.

argparse cannot tell `policytui tools -- npx server` from a positional TARGET once it has
dropped the `--`, so the top-level parser splits the command off first and hands it to the
subcommands that take one (those whose parser has `takes_command`).
"""

from __future__ import annotations

import argparse
import difflib
import re
import textwrap
from collections.abc import Sequence
from typing import Any, NoReturn

COMMAND_USAGE = " [-- COMMAND ARGS...]"


class _Probe(Exception):
    """A parse made only to find the words a command does not know failed otherwise."""


class _WholeWordsFormatter(argparse.HelpFormatter):
    """Help text wrapped between words only: argparse's wrapping also breaks after a hyphen,
    which cut `--call-timeout` into `--call-` and `timeout` on two lines, an option no reader
    (and no search of the help) finds whole."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent,
                             subsequent_indent=indent, break_on_hyphens=False)


class _SuggestingParser(argparse.ArgumentParser):
    """A parser that names the nearest choice when a word is not one of an argument's choices
    (`--preset recomended`, `policytui conect`): argparse lists them all, which leaves the
    reader to find the typo. Its help is wrapped between words only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _WholeWordsFormatter)
        super().__init__(*args, **kwargs)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is not None and isinstance(value, str) and value not in choices:
            words = [choice for choice in choices if isinstance(choice, str)]
            close = difflib.get_close_matches(value, words, n=1)
            if close:
                listed = ", ".join(repr(choice) for choice in choices)
                raise argparse.ArgumentError(
                    action, f"invalid choice: {value!r}; did you mean {close[0]!r}? (choose from {listed})")
        super()._check_value(action, value)  # type: ignore[misc]

    _words: list[str] | None = None

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._words = None if args is None else list(args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        super().error(_masked(message, self._words or []))


class SubcommandParser(_SuggestingParser):
    """A subcommand's parser; `takes_command` adds `[-- COMMAND ARGS...]` to its usage line.

    Words it does not know are its own mistake, told with its usage (argparse leaves them to
    the top-level parser, whose usage is only `policytui COMMAND ...`), and come before a
    missing option: `export p.json --formt cedar` is told `--formt cedar`, not that `--format`
    is required.
    """

    takes_command = False
    _probing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._words = None if args is None else list(args)
        parsed, extras = super().parse_known_args(self._words, namespace)
        if extras and not self._probing:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        if self._probing:
            raise _Probe(message)
        if message.startswith("the following arguments are required") and self._words is not None:
            unknown = self._unknown_words(self._words)
            if unknown:
                message = f"unrecognized arguments: {' '.join(unknown)}"
        super().error(message)

    def _unknown_words(self, words: list[str]) -> list[str]:
        """The words left over when nothing is required: parsing failed only for what was
        missing, so this parse reaches its end."""
        required = [action for action in self._actions if action.required]
        for action in required:
            action.required = False
        self._probing = True
        try:
            return self.parse_known_args(words)[1]
        except _Probe:
            return []
        finally:
            self._probing = False
            for action in required:
                action.required = True

    def _usage_with_command(self) -> None:
        # Built when first shown, so options added after the target arguments appear too.
        if self.takes_command and self.usage is None:
            # Laid out after the `usage: ` argparse puts before it, so the lines it wraps onto
            # start under the first option, as in every other command's usage.
            prefix = "usage: "
            formatter = self._get_formatter()
            formatter.add_usage(None, self._actions, self._mutually_exclusive_groups, prefix=prefix)
            self.usage = formatter.format_help().strip()[len(prefix):] + COMMAND_USAGE

    def format_usage(self) -> str:
        self._usage_with_command()
        return super().format_usage()

    def format_help(self) -> str:
        self._usage_with_command()
        return super().format_help()


class CommandLineParser(_SuggestingParser):
    """The top-level `policytui` parser: everything after the first `--` is a server command."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        import sys

        words = list(sys.argv[1:] if args is None else args)
        if "--" not in words:
            return super().parse_known_args(words, namespace)
        at = words.index("--")
        head, command = words[:at], words[at + 1 :]
        if not self._takes_command(head):
            # Not a server command: `--` keeps its usual meaning (the end of the options). Told
            # before parsing, since the words before it alone may lack what the command needs
            # (`validate -- -x.json` has no FILE before the `--`).
            return super().parse_known_args(words, namespace)
        parsed, extras = super().parse_known_args(head, namespace)
        parsed.server_command = command
        return parsed, extras

    def _takes_command(self, head: list[str]) -> bool:
        """Whether the command named first in `head` takes `-- COMMAND ARGS` (the top level
        has no option that takes a value, so its first other word is the command's name)."""
        name = next((word for word in head if not word.startswith("-")), None)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and name in action.choices:
                return bool(getattr(action.choices[name], "takes_command", False))
        return False


def _masked(message: str, words: list[str]) -> str:
    """An argparse error with the credentials of the command line masked as the command line is
    shown elsewhere (`--api-key ***`, `postgresql://me:***@db/x`, a bare `sk_live_...`): argparse
    repeats the words it rejects, and a key typed beside a mistaken flag would be printed."""
    from policytui.discovery.spec import mask_arguments

    for word, shown in zip(words, mask_arguments(words), strict=True):
        if word != shown and word:
            # Only where the message quotes the whole word (`--token a` must not star every "a").
            message = re.sub(rf"(?<![^\s'\"]){re.escape(word)}(?![^\s'\"])", shown.replace("\\", "\\\\"), message)
    return message
