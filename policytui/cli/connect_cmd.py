"""`policytui connect TARGET [--policy FILE]`: open the policy editor for a server.

A stdio server is started first, before the editor (Textual, pydantic) loads, so it boots while
the screen paints; the editor waits for its tools in a worker, so a slow or broken server shows
progress and then a dialog, never a frozen screen, and quitting kills it at once.
With no TARGET, the app offers the servers policytui knows.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policytui.cli import UsageError, sentence
from policytui.cli.target_args import add_target_arguments
from policytui.discovery.lister import Lister

if TYPE_CHECKING:
    from policytui.discovery.spec import ServerSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument(
        "--policy", default="policy.json", metavar="FILE",
        help="the policy file to edit (default ./policy.json; created on first save)",
    )
    parser.add_argument(
        "--replay", default=None, metavar="RECORDING",
        help="show how the calls in RECORDING (gateway --record, or an audit log) fare under the policy as you edit it",
    )
    parser.add_argument(
        "--theme", default=None, metavar="NAME",
        help="Textual theme (default ansi-dark: your terminal's own colours)",
    )


def _loaders(spec: ServerSpec, *, offline: bool, timeout: float) -> tuple[Lister, Lister | None]:
    """How to list the spec's tools (a stdio server is started now, before the editor loads),
    and the offline snapshot to offer if that fails.

    Both are `Lister`s: the editor calls one in a worker thread, and `cancel()` kills the
    server at once when the user quits while it is starting.
    """
    from policytui.discovery.lister import has_offline_snapshot, start_listing

    live = start_listing(spec, offline=offline, timeout=timeout)
    snapshot = Lister(spec, offline=True, timeout=timeout)
    return live, (snapshot if not offline and has_offline_snapshot(spec) else None)


def run(args: argparse.Namespace) -> int:
    # Before any server is started or picked: a policy file that no save could write is said
    # at once, as `init`, `export` and `snapshot` say it of their output file.
    _check_app_arguments(args)
    unwritable = policy_folder_problem(args.policy)
    if unwritable is not None:
        from policytui.cli.policy_common import out

        out(f"policytui connect: {sentence(unwritable)}", err=True)
        return 1
    if not os.environ.get("TEXTUAL_DRIVER"):
        # Marked open for as long as this process runs, so that a `serve` of the same file,
        # anyone's, says so (policytui.editor.opened). Under `serve` (a browser's editor, its
        # web driver set) serve itself has marked the file.
        from policytui.editor.opened import mark_open

        mark_open(Path(args.policy))
    wants_picker = not (args.target or args.server_command or args.from_file)
    if wants_picker:
        from policytui import terminal

        with terminal.keys_wait_for_the_editor():
            return _run_with_picker(args)

    from policytui.cli.target_args import check_snapshot_file, spec_or_usage_error

    spec = spec_or_usage_error(args)
    check_snapshot_file(spec)
    from policytui import terminal

    # Nor is a server started for an editor that cannot run (`connect < /dev/null`); a mistake
    # in the arguments is still said first. Read through the module: `policytui serve`'s
    # editor session answers it for the browser. (The picker starts a server only once the
    # editor runs, which checks the same.)
    problem = terminal.terminal_problem()
    if problem is not None:
        from policytui.cli.policy_common import out

        out(f"policytui connect: {problem}", err=True)
        return 2
    with terminal.keys_wait_for_the_editor():
        _stop_signals_end_cleanly()
        load_listing: Lister | None = None
        try:
            load_listing, load_offline = _loaders(spec, offline=args.offline, timeout=args.timeout)
            return _run_app(
                args,
                load_listing=load_listing,
                load_offline=load_offline,
                target_label=spec.name or spec.describe(),
            )
        finally:
            # Whatever ended the app, the server does not outlive it; nor one just started when
            # a stop signal came, before `_loaders` returned it.
            if load_listing is not None:
                load_listing.cancel()
            else:
                from policytui.tui.background import stop_started_servers

                stop_started_servers()


def _stop_signals_end_cleanly() -> None:
    """SIGTERM or SIGHUP (the terminal closed) from the server's start until the editor takes
    them over (`PolicyApp.run`) end `connect` as they end the editor, with 0, its server
    stopped: by default they ended Python on the spot, and the server, in a process group of
    its own, ran on for good. An ignored one (`nohup`) stays ignored."""
    import signal

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(0)

    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, stop)


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

    started: list[Lister] = []

    def loaders_for(name: str) -> tuple[Lister, Lister | None]:
        spec = resolve_target(name)
        live, offline = _loaders(spec, offline=args.offline, timeout=args.timeout)
        started.append(live)
        return live, offline

    try:
        return _run_app(args, pick_from=choices, loaders_for=loaders_for)
    finally:
        for lister in started:
            lister.cancel()


def policy_folder_problem(policy: str) -> str | None:
    """The one sentence for a policy file whose folder is missing (or is a file), so that no
    save could ever write it; None when the folder is there. (`connect` and `serve`.)"""
    from policytui.output_file import missing_folder_reason, write_failure
    from policytui.textsafe import visible

    why = missing_folder_reason(policy)
    return None if why is None else visible(write_failure(policy, why))


def _check_app_arguments(args: argparse.Namespace) -> None:
    """Refuse a folder as --policy and an unknown theme before any server is started."""
    from pathlib import Path

    if Path(args.policy).is_dir():
        raise UsageError(f"--policy {args.policy} is a folder; give a file name such as policy.json")
    if args.theme:
        from policytui.tui.app import theme_names

        if args.theme not in theme_names():
            names = ", ".join(theme_names())
            raise UsageError(f"there is no theme {args.theme!r}; choose one of {names}")
    check_replay_file(args)


def check_replay_file(args: argparse.Namespace) -> None:
    """Refuse a --replay that is not a file (exit 2), before any server is started or any
    address listens (`connect` and `serve`)."""
    replay = getattr(args, "replay", None)
    if replay is not None and Path(replay).is_dir():
        raise UsageError(f"--replay {replay} is a folder; give a recording or an audit log")
    if replay is not None and not Path(replay).is_file():
        from policytui.policy.display import visible

        # Worded as every other command says a file given to it is missing.
        raise UsageError(f"{visible(replay)} does not exist")


def _run_app(args: argparse.Namespace, **kwargs: Any) -> int:
    from pathlib import Path

    from policytui.tui import make_app

    replay = getattr(args, "replay", None)
    app = make_app(policy_path=Path(args.policy), theme=args.theme, replay_path=replay, **kwargs)
    result = app.run()
    return int(result if result is not None else (app.return_code or 0))
