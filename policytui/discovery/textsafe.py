"""Untrusted text (server output, tool names, config values) made safe for a terminal.

One rule for the whole program: `policytui.policy.display.visible` shows control and
direction-changing characters as escapes.
"""

from __future__ import annotations

from policytui.policy.display import visible

__all__ = ["one_line", "visible"]


def one_line(text: str, limit: int = 0) -> str:
    """First non-blank line of `text`, made visible, cut to `limit` characters (0: no limit)."""
    stripped = text.strip()
    first = stripped.splitlines()[0] if stripped else ""
    shown = visible(first)
    if limit and len(shown) > limit:
        shown = shown[: max(0, limit - 1)] + "…"
    return shown
