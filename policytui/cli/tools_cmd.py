"""`policytui tools TARGET`: a server's tools with the risk category and severity of each."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from policytui.cli.target_args import add_target_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from policytui.cli.target_args import listing_from_args, require_target
    from policytui.discovery.errors import DiscoveryError
    from policytui.risk import classify_all

    require_target(args)
    try:
        listing = listing_from_args(args)
    except DiscoveryError as error:
        print(f"policytui tools: {error.report()}", file=sys.stderr)
        return 1
    classifications = classify_all(listing.tools, {})
    if args.json:
        document = listing_document(listing, classifications)
        # ASCII-only JSON: no byte a server sent can reach the terminal unescaped.
        print(json.dumps(document, indent=2, ensure_ascii=True))
    else:
        print_table(listing, classifications)
    return 0


def listing_document(listing: Any, classifications: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of `policytui tools --json`."""
    tools = []
    for tool in listing.tools:
        item: dict[str, Any] = {"name": tool.name}
        if tool.title is not None:
            item["title"] = tool.title
        item["description"] = tool.description
        found = classifications.get(tool.name)
        if found is not None:
            item["category"] = found.category
            item["severity"] = found.severity
            item["confidence"] = found.confidence
            item["evidence"] = list(found.evidence)
            item["evidenceAgainst"] = list(found.against)
            item["flags"] = list(found.flags)
            # Each annotation hint: declared by the server or the spec's default, and whether
            # the tool's own words contradict it.
            item["annotationProvenance"] = {k: f.to_json() for k, f in found.hints.items()}
            if found.actions:
                item["actionPath"] = found.action_path
                item["actions"] = {name: action.to_json() for name, action in found.actions.items()}
        if tool.annotations:
            item["annotations"] = tool.annotations
        item["inputSchema"] = tool.input_schema
        tools.append(item)
    return {
        "server": {
            "name": listing.server_name,
            "version": listing.server_version,
            "transport": listing.transport,
            "source": listing.source,
        },
        "offline": listing.offline_reason is not None,
        "offlineReason": listing.offline_reason,
        "tools": tools,
        "brokenTools": [
            {"index": b.index, "name": b.name, "problem": b.problem} for b in listing.broken_tools
        ],
    }


_SEVERITY_STYLE = {"Low": "green", "Medium": "yellow", "High": "red", "Critical": "bold red"}


def print_table(listing: Any, classifications: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from policytui.textsafe import one_line, visible

    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    header = Text(visible(listing.server_name or "server"), style="bold")
    if listing.server_version:
        header.append(" " + visible(listing.server_version))
    header.append(f" - {len(listing.tools)} tools via {listing.transport}: ")
    header.append(visible(listing.source), style="dim")
    console.print(header)
    if listing.offline_reason is not None:
        banner = Text("Offline snapshot, not the live server: ", style="bold yellow")
        banner.append(visible(listing.offline_reason))
        err.print(banner)

    longest = max((len(visible(tool.name)) for tool in listing.tools), default=4)
    table = Table(expand=True)
    table.add_column("Tool", no_wrap=True, overflow="fold", min_width=min(longest, 36))
    table.add_column("Category", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Description", no_wrap=True, overflow="ellipsis", ratio=1)
    for tool in listing.tools:
        found = classifications.get(tool.name)
        category = Text(found.category if found else "?")
        if found and found.actions:
            category.append(f" ({len(found.actions)} actions)", style="dim")
        severity = Text(
            found.severity if found else "?",
            style=_SEVERITY_STYLE.get(found.severity, "") if found else "",
        )
        table.add_row(
            Text(visible(tool.name)), category, severity, Text(one_line(tool.description, 200))
        )
    console.print(table)
    if not listing.tools:
        err.print(
            Text(
                "The server listed no tools; some servers list none when the environment "
                "they need (a token, a URL) is missing.",
                style="yellow",
            )
        )
    for broken in listing.broken_tools:
        line = Text(f"Broken tool #{broken.index + 1}", style="bold red")
        if broken.name:
            line.append(f" {visible(broken.name)!r}")
        line.append(": " + visible(broken.problem))
        err.print(line)
