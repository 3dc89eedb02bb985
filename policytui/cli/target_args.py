"""The TARGET arguments every server-facing command shares, and turning them into a listing.

policytui tools kestra                       a name (see `policytui servers`)
policytui tools https://host/mcp --header 'Authorization: Bearer ${env:TOKEN}'
policytui tools https://host/sse --sse       legacy SSE
policytui tools -- npx -y @scope/server ARG  a stdio command, everything after --
policytui tools --from snapshot.json         a recorded snapshot or fixture file
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from policytui.discovery.errors import DiscoveryError
from policytui.discovery.spec import ServerSpec
from policytui.toolinfo import ServerListing

TARGET_EPILOG = (
    "TARGET is a server name (see `policytui servers`) or an http(s) URL. "
    "To start a stdio server directly, put its command after --, e.g. "
    "`-- npx -y @modelcontextprotocol/server-everything`."
)


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """Add TARGET, --from, --offline, --timeout, --header, --sse and `-- COMMAND ARGS`."""
    group = parser.add_argument_group("server")
    group.add_argument("target", nargs="?", metavar="TARGET", help="server name or http(s) URL")
    group.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="read tools from a snapshot or fixture file",
    )
    group.add_argument(
        "--offline",
        action="store_true",
        help="use the built-in snapshot instead of starting the server",
    )
    group.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="give up on a server that has not listed its tools after this long (default 30)",
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
    _take_command_after_dashes(parser)
    _mention_command_in_usage(parser)


def _take_command_after_dashes(parser: argparse.ArgumentParser) -> None:
    # argparse cannot tell `-- cmd` from a positional TARGET once it has dropped the `--`, so the
    # command is split off before argparse sees it. Instance-level, this parser only.
    original = parser.parse_known_args

    def parse_known_args(args: Any = None, namespace: Any = None) -> Any:
        import sys

        args = list(sys.argv[1:] if args is None else args)
        command: list[str] = []
        if "--" in args:
            at = args.index("--")
            args, command = args[:at], args[at + 1 :]
        namespace, extras = original(args, namespace)
        namespace.server_command = command
        return namespace, extras

    parser.parse_known_args = parse_known_args  # type: ignore[method-assign]


def _mention_command_in_usage(parser: argparse.ArgumentParser) -> None:
    # The usage line is built when first shown, so options added after ours appear in it too.
    for method_name in ("format_usage", "format_help"):
        original = getattr(parser, method_name)

        def wrapped(*args: Any, _original: Any = original, **kwargs: Any) -> str:
            if parser.usage is None:
                formatter = parser._get_formatter()
                formatter.add_usage(
                    None, parser._actions, parser._mutually_exclusive_groups, prefix=""
                )
                parser.usage = formatter.format_help().strip() + " [-- COMMAND ARGS...]"
            return _original(*args, **kwargs)

        setattr(parser, method_name, wrapped)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expects a number of seconds") from None
    if not 0 < value <= 24 * 3600:
        raise argparse.ArgumentTypeError("expects a number of seconds above 0")
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

        raise UsageError(
            "give a TARGET: a server name (see `policytui servers`), an http(s) URL, "
            "a command after --, or --from FILE"
        )


def spec_from_args(args: argparse.Namespace, environ: Any = None) -> ServerSpec:
    """Resolve the target the arguments name. Raises DiscoveryError."""
    from policytui.discovery.envvars import Expansion, MissingVariable
    from policytui.discovery.resolve import resolve_target

    environ = os.environ if environ is None else environ
    headers: dict[str, str] = {}
    expansion = Expansion(environ)
    for name, value in getattr(args, "header", None) or []:
        try:
            headers[name] = expansion.expand(value)
        except MissingVariable as missing:
            raise DiscoveryError(
                f"The --header {name} uses ${{{missing.name}}}, but {missing.name} is not set in your environment."
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
    )
    spec.extra_secrets.extend(expansion.used.values())
    if getattr(args, "sse", False) and spec.transport not in ("http", "sse"):
        raise DiscoveryError("--sse only applies to URL targets.")
    return spec


def listing_from_args(args: argparse.Namespace) -> ServerListing:
    """The target's tools: from a file, the built-in snapshot (--offline), or the live server.

    Synchronous (runs its own event loop). Raises DiscoveryError whose str is one sentence.
    """
    spec = spec_from_args(args)
    return listing_for_spec(
        spec, offline=bool(getattr(args, "offline", False)), timeout=args.timeout
    )


def listing_for_spec(spec: ServerSpec, *, offline: bool, timeout: float) -> ServerListing:
    """Like `listing_from_args` for an already resolved spec."""
    from policytui.discovery.snapshot import load_snapshot, offline_listing

    if spec.transport == "snapshot":
        assert spec.snapshot_path is not None
        return load_snapshot(spec.snapshot_path)
    if offline:
        return offline_listing(
            with_catalogue_snapshot(spec), reason="--offline asked for the recorded snapshot."
        )
    import anyio

    from policytui.discovery.connect import list_tools

    return anyio.run(lambda: list_tools(spec, timeout=timeout))


def with_catalogue_snapshot(spec: ServerSpec) -> ServerSpec:
    """A configured name that shadows a catalogue entry may still use its snapshot offline."""
    if spec.fallback_snapshot is None:
        from policytui.discovery.catalogue import CATALOGUE, snapshot_path

        entry = CATALOGUE.get(spec.name)
        if entry is not None:
            spec.fallback_snapshot = snapshot_path(entry)
            spec.fallback_label = entry.snapshot_label
    return spec
