"""`policytui tools TARGET`: a server's tools with the risk category and severity of each."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from policytui.cli import sentence
from policytui.cli.target_args import add_target_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from policytui.cli.target_args import (
        refuse_unusable_snapshot,
        require_target,
        start_listing_from_args,
    )

    require_target(args)
    # A stdio server starts now; the classifier and the rest load while it boots.
    lister = start_listing_from_args(args)
    from policytui.discovery.errors import DiscoveryError
    from policytui.risk import classify_all
    from policytui.textsafe import without_secrets

    try:
        listing = lister()
    except DiscoveryError as error:
        refuse_unusable_snapshot(error)
        print(f"policytui tools: {sentence(error.report())}", file=sys.stderr)
        return 1
    classifications = classify_all(listing.tools, {})
    if args.json:
        document = without_secrets(listing_document(listing, classifications), listing.secrets)
        # ASCII-only JSON: no byte a server sent can reach the terminal unescaped.
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=True) + "\n")
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


# ANSI colours for a terminal; a pipe or a file gets plain text.
_SEVERITY_COLOUR = {"Low": "32", "Medium": "33", "High": "31", "Critical": "1;31"}
_HEADINGS = ("Tool", "Category", "Severity", "Description")
# Below this the description column is dropped rather than squeezed to nothing.
_MIN_DESCRIPTION = 12


def print_table(listing: Any, classifications: dict[str, Any]) -> None:
    """The tools as an aligned text table sized to the terminal, written in one go.

    Plain string formatting: 10,000 rows print in a fraction of a second (a Rich table took
    seconds). Tool names are never cut (a long one wraps in its column); descriptions end in
    "…" where the width runs out. Everything a server sent goes through `visible` first.
    """
    import shutil

    from policytui.textsafe import visible, without_secrets

    out, err = sys.stdout, sys.stderr
    colour = out.isatty() and "NO_COLOR" not in os.environ
    width = shutil.get_terminal_size((100, 24)).columns if out.isatty() else _pipe_width()

    header = visible(str(without_secrets(listing.server_name or "server", listing.secrets)))
    if listing.server_version:
        header += " " + visible(str(without_secrets(listing.server_version, listing.secrets)))
    header += f" - {len(listing.tools)} tools via {listing.transport}: {visible(listing.source)}"
    if listing.offline_reason is not None:
        err.write(
            _paint("Offline snapshot, not the live server: ", "1;33", err.isatty())
            + visible(listing.offline_reason)
            + "\n"
        )

    rows = []
    for tool in listing.tools:
        found = classifications.get(tool.name)
        category = found.category if found else "?"
        if found and found.actions:
            category += f" ({len(found.actions)} actions)"
        severity = found.severity if found else "?"
        # A server may quote a credential it was given; it is shown as *** (before cutting).
        description = str(without_secrets(tool.description, listing.secrets))
        rows.append((visible(str(without_secrets(tool.name, listing.secrets))), category, severity, description))

    tool_w = max([len(_HEADINGS[0])] + [len(r[0]) for r in rows])
    cat_w = max([len(_HEADINGS[1])] + [len(r[1]) for r in rows])
    sev_w = max([len(_HEADINGS[2])] + [len(r[2]) for r in rows])
    # Two spaces between columns. The description takes what the other columns leave; when
    # the terminal is too narrow for it, it is left out and the tool column gets the room.
    fixed = cat_w + sev_w + 6
    tool_w = min(tool_w, 60)
    if width - fixed - tool_w < _MIN_DESCRIPTION:
        tool_w = max(min(tool_w, 24), width - fixed - _MIN_DESCRIPTION)
    desc_w = width - fixed - tool_w
    if desc_w < _MIN_DESCRIPTION:
        longest = max([len(_HEADINGS[0])] + [len(r[0]) for r in rows])
        tool_w = max(8, min(longest, width - fixed + 2))
    lines = [header]
    heading = f"{_HEADINGS[0]:<{tool_w}}  {_HEADINGS[1]:<{cat_w}}  {_HEADINGS[2]:<{sev_w}}"
    if desc_w >= _MIN_DESCRIPTION:
        heading += "  " + _HEADINGS[3]
    lines.append(_paint(heading.rstrip(), "1", colour))
    lines.append("-" * min(width, len(heading) + (desc_w if desc_w >= _MIN_DESCRIPTION else 0)))
    for name, category, severity, description in rows:
        parts = [name[i : i + tool_w] for i in range(0, len(name), tool_w)] or [""]
        sev_text = _paint(f"{severity:<{sev_w}}", _SEVERITY_COLOUR.get(severity, ""), colour)
        line = f"{parts[0]:<{tool_w}}  {category:<{cat_w}}  {sev_text}"
        if desc_w >= _MIN_DESCRIPTION:
            line += "  " + _fit(description, desc_w)
        lines.append(line.rstrip())
        lines.extend(part for part in parts[1:])
    out.write("\n".join(lines) + "\n")
    if not listing.tools:
        err.write(
            "The server listed no tools; some servers list none when the environment "
            "they need (a token, a URL) is missing.\n"
        )
    for broken in listing.broken_tools:
        line = _paint(f"Broken tool #{broken.index + 1}", "1;31", err.isatty())
        if broken.name:
            line += f" {visible(broken.name)!r}"
        err.write(line + ": " + visible(broken.problem) + "\n")


def _fit(text: str, width: int) -> str:
    """The first line of `text`, made visible, cut to `width` with "…" when longer."""
    from policytui.textsafe import visible

    head = text.lstrip()[: width * 2].split("\n", 1)[0].rstrip()
    shown = visible(head)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def _pipe_width() -> int:
    # Piped output is usually read later or by a program: wide enough that little is cut.
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return 160


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text
