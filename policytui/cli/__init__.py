"""The `policytui` command line.

Each subcommand lives in its own module under `policytui.cli` with two functions:
`add_arguments(parser)` and `run(args) -> int`. Modules import their heavy dependencies
(mcp, textual, jsonschema) inside `run`, so `policytui --help` and the TUI's first paint stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

# name -> (module, one-line help). Order is the order `--help` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "connect": ("policytui.cli.connect_cmd", "open the policy editor for a server"),
    "serve": ("policytui.cli.serve_cmd", "open the policy editor in a browser"),
    "validate": ("policytui.cli.validate_cmd", "check policy files and report every problem"),
    "fmt": ("policytui.cli.fmt_cmd", "rewrite a policy file in canonical form"),
    "check": ("policytui.cli.check_cmd", "decide one tool call against a policy"),
    "schema": ("policytui.cli.schema_cmd", "print the policy JSON Schema"),
    "servers": ("policytui.cli.servers_cmd", "list the MCP servers policytui knows of"),
    "tools": ("policytui.cli.tools_cmd", "list a server's tools with their risk"),
    "snapshot": ("policytui.cli.snapshot_cmd", "record a server's tools to a file"),
    "init": ("policytui.cli.init_cmd", "write a starting policy from a preset"),
    "export": ("policytui.cli.export_cmd", "convert a policy to another gateway's format"),
    "gateway": ("policytui.cli.gateway_cmd", "enforce a policy in front of a server"),
    "replay": ("policytui.cli.replay_cmd", "test a draft policy against recorded calls"),
    "approvals": ("policytui.cli.approvals_cmd", "list and answer calls waiting for approval"),
    "counters": ("policytui.cli.counters_cmd", "show how much of each rate limit is used, beside its limit"),
}


# What each exit status means, the same in every command (README.md, "Exit codes").
EXIT_STATUS_HELP = (
    "exit status: 0 done; 1 the answer is no or the work failed (a call denied, a policy that "
    "is invalid, missing or unreadable (replay: 2), a server that failed, a port in use, a file that could "
    "not be written); 2 the command line is wrong, including a file it names to read besides the "
    "policy (--from, --tools, --tokens, a recording) that is missing, a folder or not what it "
    "should be; 3 check could not decide (its policy is invalid or unreadable); 130 "
    "interrupted."
)

# The exit code of a command stopped by ctrl+c (SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A problem with how the command was called (exit code 2)."""


def sentence(text: str) -> str:
    """`text` as what follows `policytui COMMAND: ` in an error: begun in lower case (an
    ordinary capitalised first word, as messages written for a dialog have: `No server named
    ...`, `The snapshot file ...`) and ended with a full stop, as every command ends its errors.
    Of a report (the sentence, then the server's last lines of stderr), the first line."""
    first, newline, rest = text.strip().partition("\n")
    if len(first) > 1 and first[0].isupper() and first[1].islower():
        first = first[0].lower() + first[1:]
    if not first.endswith((".", "?", "!", ":")):
        first += "."
    return first + newline + rest


class VersionAction(argparse.Action):
    """`--version`: the installed distribution's version, read only when asked for."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("policytui")
        except PackageNotFoundError:
            number = "unknown (not installed)"
        print(f"policytui {number}")
        parser.exit(0)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line. Given the arguments about to be parsed and they start with a command's
    name, only that command is set up: the others could not be parsed anyway, and a one-shot
    command such as `validate` should not pay for their imports. Anything else (no command,
    `--help`, a misspelt command) gets every command, for the full help and error messages."""
    from policytui.cli.parsing import CommandLineParser, SubcommandParser

    chosen = argv[0] if argv and argv[0] in COMMANDS else None

    parser = CommandLineParser(
        prog="policytui",
        description="Build, check and enforce MCP gateway policies from the terminal.",
        epilog=EXIT_STATUS_HELP,
    )
    parser.add_argument("--version", action=VersionAction, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=SubcommandParser)
    for name, (module_name, help_text) in COMMANDS.items():
        if chosen is not None and name != chosen:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a command whose module is not there yet is simply not offered
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


# Commands whose standard output is a terminal screen or a protocol stream, which they keep
# themselves: the others' output is watched for a write that fails (`policy_common.WatchedOutput`).
_OWN_OUTPUT = frozenset({"connect", "serve", "gateway"})


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    from policytui.cli.policy_common import ClosedOutput, WatchedOutput

    # Standard output is watched from the first word parsed: help and the version are output
    # too, and a write of theirs that fails is told as any command's is. No `sys.stdout` at all:
    # the shell closed it (`>&-`), and the first write says so.
    stream = sys.stdout
    watched = WatchedOutput(stream if stream is not None else ClosedOutput())
    sys.stdout = watched  # type: ignore[assignment]
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:
            # `--help` (of any command) and `--version` exit 0 once written; argparse drops a
            # write of help that fails, and the flush at exit would come too late to be told.
            if done.code not in (0, None) or _written(watched):
                raise
            return _output_failed(argv, watched.failure)
        except OSError as exc:  # `--version`'s print
            if watched.failure is None:
                raise
            return _output_failed(argv, exc)
        if not getattr(args, "_run", None):
            parser.print_help()
            return 2 if _written(watched) else _output_failed(argv, watched.failure, code=2)
        if args.command in _OWN_OUTPUT:
            sys.stdout = stream  # type: ignore[assignment]
        return _run(args)
    finally:
        if sys.stdout is watched:  # not replaced by /dev/null after a failed write
            sys.stdout = watched.stream


def _written(watched: Any) -> bool:
    """Whether all that was written to the watched standard output went out. A reader that
    went away (`| head`) ends the command quietly with 1, as it ends every other's (`entry`)."""
    try:
        watched.flush()
    except OSError:
        pass
    if watched.reader_gone:
        raise BrokenPipeError
    return watched.failure is None


def _output_failed(argv: list[str], failure: BaseException | None, code: int = 1) -> int:
    """Help or the version could not be written: one sentence, as every command says it."""
    from policytui.cli.policy_common import standard_output_failure

    said = standard_output_failure(failure) if failure is not None else None
    command = f" {argv[0]}" if argv and argv[0] in COMMANDS else ""
    print(f"policytui{command}: {sentence(said or 'cannot write standard output')}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace) -> int:
    try:
        code = int(args._run(args) or 0)
        if sys.stdout is not None:
            sys.stdout.flush()  # here, where a failure is told; not at exit, as a traceback
        return code
    except UsageError as exc:
        print(f"policytui {args.command}: {sentence(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (OSError, AttributeError) as exc:
        # Commands not wrapped in `never_traceback` (`tools`, `servers`) print with Rich or
        # `print`; a standard output that cannot take it is one sentence for them too.
        from policytui.cli.policy_common import standard_output_failure

        failure = standard_output_failure(exc)
        if failure is None:
            raise
        print(f"policytui {args.command}: {sentence(failure)}", file=sys.stderr)
        return 1


def _stderr_to_nowhere_if_closed() -> None:
    """A closed standard error (a shell's `2>&-`) is pointed at /dev/null, and the command goes
    on with its diagnostics discarded. Left closed, the first file the command opens would take
    its number 2 and be written with them (the gateway's state file, an audit log), a server the
    gateway starts would inherit it as its own standard error, and Python, which then has no
    `sys.stderr`, would print error sentences to standard output (the gateway's protocol
    stream) and fail on code that asks standard error anything."""
    try:
        os.fstat(2)
        return
    except OSError:
        pass
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        if fd != 2:  # standard input or output is closed too: theirs is the lower number
            os.dup2(fd, 2)
            os.close(fd)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
    except OSError:
        pass  # no /dev/null: nothing better to point it at


def _quiet_about_a_closed_loop(unraisable: sys.UnraisableHookArgs) -> None:
    """Python's report of an error nobody can catch, except one that says nothing to a user:
    an asyncio transport of a child process (a server the command started) collected after
    its event loop closed tries to schedule its own closing and finds the loop gone ("Event
    loop is closed"). The process has ended or is being ended, and its pipes close with ours;
    Python printed a traceback on the command's standard error for it."""
    if (isinstance(unraisable.exc_value, RuntimeError)
            and str(unraisable.exc_value) == "Event loop is closed"
            and getattr(unraisable.object, "__qualname__", "").endswith("Transport.__del__")):
        return
    sys.__unraisablehook__(unraisable)


def entry() -> None:
    try:
        _stderr_to_nowhere_if_closed()
        sys.unraisablehook = _quiet_about_a_closed_loop
        code = main()
    except KeyboardInterrupt:
        # ctrl+c before a command runs (from the first thing this does, through its modules
        # imported and its arguments read, to the first moments of `policytui connect`):
        # stopped like the command itself, no traceback.
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into a reader that stopped (`policytui approvals | head -1`): nothing
        # is left to tell it, and a traceback is not an answer. Standard output goes to
        # /dev/null so that the interpreter's own flush at exit does not fail again.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        code = 1
    sys.exit(code)
