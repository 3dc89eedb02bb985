"""The table every export prints: each rule the target cannot hold as written, and what the
target does instead. One table per format, the same shape for all of them."""

from __future__ import annotations

import textwrap

from policytui.export.result import ExportWarning
from policytui.textsafe import visible

RULE_HEADER = "rule"
INSTEAD_HEADER = "what {target} does instead"


def lost_rows(warnings: list[ExportWarning]) -> list[tuple[str, str]]:
    """(rule, what the target does instead) for each warning, terminal-safe."""
    return [(visible(w.path or "(top level)"), visible(w.message)) for w in warnings]


def lost_table(warnings: list[ExportWarning], target: str, width: int = 100) -> str:
    """The table as plain text ending with a newline; a one-line note when nothing was lost."""
    if not warnings:
        return f"{target}: nothing was lost; the export decides every call as policytui does.\n"
    rows = lost_rows(warnings)
    header = (RULE_HEADER, INSTEAD_HEADER.format(target=target))
    left = min(max(len(header[0]), *(len(rule) for rule, _ in rows)), 48)
    right = max(30, width - left - 3)
    lines = [f"What {target} cannot hold as written ({len(rows)}):"]
    lines.append(f"{header[0].ljust(left)} | {header[1]}")
    lines.append(f"{'-' * left}-+-{'-' * min(right, max(len(header[1]), 20))}")
    for rule, instead in rows:
        wrapped = textwrap.wrap(instead, right) or [""]
        rule_lines = textwrap.wrap(rule, left, break_on_hyphens=False) or [""]
        for i in range(max(len(wrapped), len(rule_lines))):
            a = rule_lines[i] if i < len(rule_lines) else ""
            b = wrapped[i] if i < len(wrapped) else ""
            lines.append(f"{a.ljust(left)} | {b}".rstrip())
    return "\n".join(lines) + "\n"
