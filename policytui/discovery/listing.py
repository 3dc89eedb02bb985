"""Building a ServerListing from raw tools/list entries (no MCP SDK import: cheap to load)."""

from __future__ import annotations

from typing import Any

from policytui.discovery.spec import ServerSpec
from policytui.toolinfo import BrokenTool, ServerListing


def build_listing(
    raw_tools: list[Any], init: dict[str, Any], spec: ServerSpec, *, transport: str
) -> ServerListing:
    """A ServerListing from raw entries; broken and duplicate tools are named, not dropped silently."""
    found = init.get("serverInfo")
    info: dict[str, Any] = found if isinstance(found, dict) else {}
    instructions = init.get("instructions")
    listing = ServerListing.from_tool_dicts(
        raw_tools,
        server_name=str(info.get("name") or spec.name),
        server_version=str(info.get("version") or ""),
        instructions=instructions if isinstance(instructions, str) else "",
        transport=transport,
        source=spec.describe(),
        secrets=tuple(spec.secrets()),
    )
    mark_duplicates(listing)
    return listing


def mark_duplicates(listing: ServerListing) -> None:
    """A second tool with a name already listed cannot be told apart by a policy: name it broken."""
    seen: set[str] = set()
    kept = []
    kept_positions = []
    # Numbered by the place in the server's list, broken entries before it counted.
    positions = listing.positions if len(listing.positions) == len(listing.tools) else range(len(listing.tools))
    for tool, position in zip(listing.tools, positions):
        if tool.name in seen:
            listing.broken_tools.append(
                BrokenTool(position, tool.name, f"tool {tool.name!r} is listed more than once")
            )
            continue
        seen.add(tool.name)
        kept.append(tool)
        kept_positions.append(position)
    listing.tools = kept
    listing.positions = kept_positions
    listing.broken_tools.sort(key=lambda broken: broken.index)
