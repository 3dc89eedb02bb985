"""`policytui servers`: every server name policytui can resolve, and where each came from.

Shows env and header keys only, never their values.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from policytui.discovery.configs import policytui_config_dir
    from policytui.discovery.resolve import find_servers

    rows, scan = find_servers()
    servers_file = policytui_config_dir(os.environ) / "servers.json"
    if args.json:
        document = {
            "servers": [row.to_json() for row in rows],
            "unreadable": [
                {"path": str(path), "problem": problem} for path, problem in scan.unreadable
            ],
            "serversFile": str(servers_file),
        }
        print(json.dumps(document, indent=2, ensure_ascii=True))
        return 0
    _print_table(rows, scan.unreadable, servers_file)
    return 0


def _short(path: str) -> str:
    home = os.environ.get("HOME", "").rstrip("/")
    return "~" + path[len(home) :] if home and path.startswith(home + "/") else path


def _keys(keys: list[str]) -> str:
    """Key names, long families folded: KESTRA_* (7) rather than seven lines of names."""
    if len(keys) <= 4:
        return ", ".join(keys)
    families: dict[str, list[str]] = {}
    for key in keys:
        families.setdefault(key.split("_", 1)[0], []).append(key)
    return ", ".join(
        f"{prefix}_* ({len(members)})" if len(members) > 2 else ", ".join(members)
        for prefix, members in families.items()
    )


def _print_table(rows: list, unreadable: list[tuple[Path, str]], servers_file: Path) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from policytui.textsafe import visible

    console = Console(highlight=False)
    table = Table(expand=True)
    table.add_column("Name", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("From", overflow="fold", max_width=32)
    table.add_column("Command or URL", overflow="fold", ratio=1)
    styles = {"active": "green", "shadowed": "dim", "disabled": "yellow", "broken": "red"}
    for row in rows:
        origin = Text(visible(row.origin))
        if row.path:
            origin.append("\n" + visible(_short(row.path)), style="dim")
        target = Text(f"[{row.transport}] ", style="dim")
        target.append(visible(row.target))
        if row.env_keys:
            target.append("\nenv: " + visible(_keys(row.env_keys)), style="dim")
        if row.header_keys:
            target.append("\nheaders: " + visible(", ".join(row.header_keys)), style="dim")
        if row.note:
            target.append("\n" + visible(row.note), style="italic")
        table.add_row(
            Text(visible(row.name), style="bold" if row.status == "active" else "dim"),
            Text(row.status, style=styles.get(row.status, "")),
            origin,
            target,
        )
    console.print(table)
    hint = Text(f"policytui's own servers file: {visible(str(servers_file))}", style="dim")
    if not servers_file.exists():
        hint.append(" (not created yet)", style="dim")
    console.print(hint)
    err = Console(stderr=True, highlight=False)
    for path, problem in unreadable:
        err.print(Text(f"Skipped {visible(str(path))}: it {problem}.", style="yellow"))
    if not rows:
        print("No servers found.", file=sys.stderr)
