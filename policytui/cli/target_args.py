"""The TARGET arguments every server-facing command shares, and resolving them to a server.

policytui tools kestra                       a name (see `policytui servers`)
policytui tools https://host/mcp --header 'Authorization: Bearer ${env:TOKEN}'
policytui tools https://host/sse --sse       legacy SSE
policytui tools -- npx -y @scope/server ARG  a stdio command, everything after --
policytui tools --from snapshot.json         a recorded snapshot or fixture file
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from policytui.cli.parsing import SubcommandParser
from policytui.discovery.errors import DiscoveryError
from policytui.discovery.spec import ServerSpec

if TYPE_CHECKING:
    from policytui.discovery.lister import Lister

TARGET_EPILOG = (
    "TARGET is a server name (see `policytui servers`) or an http(s) URL. "
    "To start a stdio server directly, put its command after --, e.g. "
    "`-- npx -y @modelcontextprotocol/server-everything`."
)


def add_target_arguments(
    parser: argparse.ArgumentParser, *, live_only: bool = False, timeout_help: str = ""
) -> None:
    """Add TARGET, --from, --offline, --timeout, --header, --sse and `-- COMMAND ARGS`. With
    `live_only` (a command that needs the running server) --from and --offline are left out of
    the help; they are still read, so that using one gets a sentence saying why it cannot.
    `timeout_help` replaces the help of --timeout, for a command whose start holds more."""
    group = parser.add_argument_group("server")
    # Sentences about a missing target offer --from only where the help does.
    parser.set_defaults(offers_from=not live_only)
    group.add_argument("target", nargs="?", metavar="TARGET", help="server name or http(s) URL")
    group.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help=argparse.SUPPRESS if live_only else "read tools from a snapshot or fixture file",
    )
    group.add_argument(
        "--offline",
        action="store_true",
        help=argparse.SUPPRESS if live_only else "use the built-in snapshot instead of starting the server",
    )
    group.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help=timeout_help or "give up on a server that has not listed its tools after this long (default 30)",
    )
    group.add_argument(
        "--header",
        action="append",
        default=[],
        type=_header,
        metavar="'NAME: VALUE'",
        help="HTTP header for URL targets, repeatable; ${env:NAME} in VALUE is read from your environment",
    )
    group.add_argument("--sse", action="store_true", help="the URL is a legacy SSE endpoint")
    parser.set_defaults(server_command=[])
    parser.epilog = (parser.epilog + "\n\n" if parser.epilog else "") + TARGET_EPILOG
    # The command after -- is split off by the top-level parser (policytui.cli.parsing).
    if isinstance(parser, SubcommandParser):
        parser.takes_command = True


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expects a number of seconds") from None
    if not 0 < value <= 24 * 3600:
        raise argparse.ArgumentTypeError(f"expects a number of seconds above 0 and at most 86400 (a day), not {text}")
    return value


def _header(text: str) -> tuple[str, str]:
    # The message never repeats the value: it is usually a credential.
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c.isspace() for c in name):
        raise argparse.ArgumentTypeError(
            "expects 'NAME: VALUE', e.g. 'Authorization: Bearer ${env:TOKEN}'"
        )
    return name, value.strip()


def require_target(args: argparse.Namespace) -> None:
    """Raise UsageError (exit 2) when no TARGET, command or --from was given at all."""
    if not (
        getattr(args, "target", None)
        or getattr(args, "server_command", None)
        or getattr(args, "from_file", None)
    ):
        from policytui.cli import UsageError

        # Only a command that reads a snapshot offers --from (the gateway needs a live server).
        offers_from = getattr(args, "offers_from", True)
        raise UsageError(
            "give a TARGET: a server name (see `policytui servers`), an http(s) URL, "
            + ("a command after --, or --from FILE" if offers_from else "or a command after --")
        )
    from_file = getattr(args, "from_file", None)
    if from_file and os.path.isdir(from_file):
        from policytui.cli import UsageError
        from policytui.textsafe import visible

        raise UsageError(f"--from {visible(from_file)} is a folder; give a snapshot file written by `policytui snapshot`")


def refuse_unusable_snapshot(error: DiscoveryError) -> None:
    """Raise UsageError (exit 2) when `error` is about the `--from` file, not a server: a file
    named on the command line that cannot be used is a wrong command line, as for `--tools`."""
    from policytui.discovery.errors import SnapshotFileError

    if isinstance(error, SnapshotFileError):
        from policytui.cli import UsageError
        from policytui.textsafe import visible

        raise UsageError(visible(str(error))) from None


def check_snapshot_file(spec: ServerSpec) -> str | None:
    """For a `--from` target, read the file now and raise UsageError (exit 2) when it cannot be
    used: `connect` and `serve` say so before the editor draws, as `tools` does. The name of
    the server it recorded, as the editor's header will show it (None for other targets)."""
    if spec.transport != "snapshot" or spec.snapshot_path is None:
        return None
    from policytui.discovery.errors import SnapshotFileError
    from policytui.discovery.snapshot import read_snapshot_document, snapshot_server_name

    try:
        document = read_snapshot_document(spec.snapshot_path)
    except DiscoveryError as error:
        refuse_unusable_snapshot(SnapshotFileError(str(error)))
        raise  # not reached: refuse_unusable_snapshot raises for a snapshot file's error
    return snapshot_server_name(document, spec.snapshot_path)


def spec_from_args(args: argparse.Namespace, environ: Any = None) -> ServerSpec:
    """Resolve the target the arguments name. Raises DiscoveryError."""
    from policytui.discovery.envvars import Expansion, MissingVariable
    from policytui.discovery.resolve import resolve_target
    from policytui.textsafe import visible

    environ = os.environ if environ is None else environ
    headers: dict[str, str] = {}
    expansion = Expansion(environ)
    for name, value in getattr(args, "header", None) or []:
        try:
            headers[name] = expansion.expand(value)
        except MissingVariable as missing:
            raise DiscoveryError(
                f"The --header {name} uses {visible(missing.written)}, but {missing.name} is not set in your environment."
            ) from None
    command = getattr(args, "server_command", None) or None
    target = getattr(args, "target", None)
    if command and target:
        raise DiscoveryError(
            "Give either a TARGET or a command after --, not both "
            f"(got TARGET and the command {command[0]!r})."
        )
    spec = resolve_target(
        target,
        command=command,
        from_file=getattr(args, "from_file", None),
        sse=bool(getattr(args, "sse", False)),
        headers=headers or None,
        environ=environ,
        offers_from=getattr(args, "offers_from", True),
    )
    spec.extra_secrets.extend(expansion.used.values())
    if getattr(args, "sse", False) and spec.transport not in ("http", "sse"):
        raise DiscoveryError("--sse only applies to URL targets.")
    return spec


def spec_or_usage_error(args: argparse.Namespace) -> ServerSpec:
    """`spec_from_args`, with a target that names nothing reported as a usage error (exit 2)."""
    from policytui.cli import UsageError

    try:
        return spec_from_args(args)
    except DiscoveryError as exc:
        raise UsageError(str(exc)) from None


def start_listing_from_args(args: argparse.Namespace) -> Lister:
    """Resolve the target (UsageError if it names nothing) and start listing its tools now.

    A stdio server is spawned before this returns, so callers load what they need after it.
    """
    from policytui.discovery.lister import start_listing

    spec = spec_or_usage_error(args)
    _exit_cleanly_on_termination()
    return start_listing(spec, offline=bool(getattr(args, "offline", False)), timeout=args.timeout)


def _exit_cleanly_on_termination() -> None:
    """SIGTERM or SIGHUP (a closed terminal) while a server is listed: stop it, then exit.

    By default these signals end Python without unwinding, which would leave the server (in a
    process group of its own) running. Raising SystemExit instead runs the listing's cleanup.
    """
    import signal

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, stop)
