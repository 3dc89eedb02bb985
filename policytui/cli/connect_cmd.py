"""`policytui connect TARGET [--policy FILE]`: open the policy editor for a server.

The terminal UI paints first; the server is started (and `mcp` imported) by a worker inside
the app, so a slow or broken server shows progress and then a dialog, never a frozen screen.
With no TARGET, the app offers the servers policytui knows.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from policytui.cli import UsageError
from policytui.cli.target_args import add_target_arguments

if TYPE_CHECKING:
    from policytui.discovery.spec import ServerSpec
    from policytui.toolinfo import ServerListing

Loader = Callable[[], "ServerListing"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument(
        "--policy", default="policy.json", metavar="FILE",
        help="the policy file to edit (default ./policy.json; created on first save)",
    )
    parser.add_argument(
        "--theme", default=None, metavar="NAME",
        help="Textual theme (default ansi-dark: your terminal's own colours)",
    )


def _loaders(spec: ServerSpec, *, offline: bool, timeout: float) -> tuple[Loader, Loader | None]:
    """How to list the spec's tools, and the offline snapshot to offer if that fails."""
    from policytui.cli.target_args import listing_for_spec
    from policytui.discovery.catalogue import CATALOGUE

    def live() -> ServerListing:
        return listing_for_spec(spec, offline=offline, timeout=timeout)

    def snapshot() -> ServerListing:
        return listing_for_spec(spec, offline=True, timeout=timeout)

    has_snapshot = spec.transport != "snapshot" and (
        spec.fallback_snapshot is not None or spec.name in CATALOGUE
    )
    return live, (snapshot if has_snapshot and not offline else None)


def run(args: argparse.Namespace) -> int:
    from policytui.discovery.errors import DiscoveryError

    wants_picker = not (args.target or args.server_command or args.from_file)
    if wants_picker:
        return _run_with_picker(args)

    from policytui.cli.target_args import spec_from_args

    try:
        spec = spec_from_args(args)
    except DiscoveryError as exc:
        raise UsageError(str(exc)) from None
    load_listing, load_offline = _loaders(spec, offline=args.offline, timeout=args.timeout)
    return _run_app(
        args,
        load_listing=load_listing,
        load_offline=load_offline,
        target_label=spec.name or spec.describe(),
    )


def _run_with_picker(args: argparse.Namespace) -> int:
    from policytui.discovery import find_servers, resolve_target
    from policytui.tui.screens.picker import ServerChoice

    rows, _scan = find_servers()
    choices = [
        ServerChoice(
            row.name,
            f"{row.origin} · {row.transport}" + (f" · {row.note}" if row.note else ""),
            usable=row.status == "active",
        )
        for row in rows
        if row.status != "shadowed"
    ]
    if not choices:
        raise UsageError(
            "no servers are configured; give a TARGET (a name, a URL, or a command after --)"
        )

    def loaders_for(name: str) -> tuple[Loader, Loader | None]:
        spec = resolve_target(name)
        return _loaders(spec, offline=args.offline, timeout=args.timeout)

    return _run_app(args, pick_from=choices, loaders_for=loaders_for)


def _run_app(args: argparse.Namespace, **kwargs: Any) -> int:
    from pathlib import Path

    from policytui.tui import make_app
    from policytui.tui.app import theme_names

    policy_path = Path(args.policy)
    if policy_path.is_dir():
        raise UsageError(f"--policy {args.policy} is a folder; give a file name such as policy.json")
    if args.theme and args.theme not in theme_names():
        names = ", ".join(theme_names())
        raise UsageError(f"there is no theme {args.theme!r}; choose one of {names}")
    app = make_app(policy_path=policy_path, theme=args.theme, **kwargs)
    result = app.run()
    return int(result if result is not None else (app.return_code or 0))
