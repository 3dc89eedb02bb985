"""What the detail pane shows for one tool, built as Rich renderables from plain Text.

Everything that came from the server passes through `visible()` (escape and control characters
shown as symbols) and `clip()` (a 1 MB description is cut for display), and is wrapped in
`Text(...)`, which is never parsed as markup.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from policytui.editor.arguments import schema_args
from policytui.editor.rows import decision_of
from policytui.editor.text import clip, one_line, visible
from policytui.textsafe import without_secrets

if TYPE_CHECKING:
    from policytui.editor.state import EditorState

DESCRIPTION_LIMIT = 4000
SUMMARY_LIMIT = 300
ARG_LIMIT = 60
# Evidence is the classifier's own sentences (quoting the tool's words): shown whole, wrapped;
# the limits only keep a hostile tool name from filling the pane.
EVIDENCE_LIMIT = 40
LINE_LIMIT = 1000


def _heading(text: str) -> Text:
    return Text(text, style="bold underline")


def _actions(classification: Any) -> list[tuple[str, str, str, list[str]]]:
    """(action, category, severity, evidence lines) from a classification's per-action breakdown."""
    out: list[tuple[str, str, str, list[str]]] = []
    actions = getattr(classification, "actions", None) or {}
    items = actions.items() if isinstance(actions, dict) else enumerate(actions)
    for action, value in items:
        severity = ""
        if isinstance(value, tuple):
            category = str(value[0]) if value else ""
            evidence = value[1] if len(value) > 1 else ""
        else:
            category = str(getattr(value, "category", ""))
            severity = str(getattr(value, "severity", "") or "")
            evidence = getattr(value, "evidence", "")
        if isinstance(evidence, (list, tuple)):
            lines = [str(e) for e in evidence]
        else:
            lines = [str(evidence)] if evidence else []
        out.append((str(action), category, severity, lines))
    return out


def _hanging(rows: list[tuple[str, Text]]) -> Table:
    """Lines that wrap under their own text, not under the marker before it (a bullet, an
    indent): one grid, the marker column as wide as its widest marker."""
    grid = Table.grid(padding=0)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for marker, text in rows:
        grid.add_row(Text(marker), text)
    return grid


def render_detail(state: EditorState, name: str | None) -> RenderableType:
    """The whole detail pane for tool `name`."""
    if name is None:
        return Text("No tool selected.", style="dim")
    tool = state.tools_by_name.get(name)
    secrets = state.listing.secrets

    def said(line: object) -> str:
        """A line of the classifier's evidence (it quotes the tool's words), on one line."""
        return one_line(str(without_secrets(str(line), secrets)), LINE_LIMIT)

    if tool is not None and secrets:
        # A server may quote a credential it was given (its token in a description or a
        # default): the pane shows *** instead (a browser may be watching, `policytui serve`).
        tool = replace(
            tool,
            description=str(without_secrets(tool.description, secrets)),
            title=None if tool.title is None else str(without_secrets(tool.title, secrets)),
            input_schema=cast(dict[str, Any], without_secrets(tool.input_schema, secrets)),
            annotations=cast(dict[str, Any], without_secrets(tool.annotations, secrets)),
        )
    parts: list[RenderableType] = []

    title = Text(visible(name), style="bold")
    if tool is not None and tool.title:
        title.append("  ")
        title.append(one_line(tool.title, 120), style="italic")
    parts.append(title)

    classification = state.classifications.get(name)
    facts = Text()
    if classification is not None:
        facts.append(f"{classification.category}", style="bold")
        facts.append(f" · {classification.severity}")
        confidence = getattr(classification, "confidence", None)
        if isinstance(confidence, (int, float)):
            facts.append(f" · confidence {confidence:.0%}")
    drift = state.drift_of(name)
    if drift == "missing":
        facts.append("  missing: the server no longer lists this tool", style="bold red")
    elif drift == "new":
        facts.append("  new since the policy was saved, not approved (P to review and approve)", style="bold")
    elif drift == "changed":
        # Saves never approve a changed tool (only re-approving does), so say where to do that.
        from policytui.editor.pins import changed_parts
        from policytui.toolinfo import said_changed

        parts_changed = changed_parts(state, name)
        what = (said_changed(parts_changed) if parts_changed
                else "title, description, schemas, annotations or other members differ")
        facts.append(f"  changed: {what} from the approved definition (P to review, re-approve)", style="bold")
    if name in state.duplicate_names:
        facts.append("  the server lists this name more than once", style="bold red")
    parts.append(facts)

    parts.append(render_rule(state, name))

    if tool is not None and tool.description:
        parts.append(Text())
        first = tool.description.strip().split("\n\n", 1)[0]
        parts.append(Text(visible(clip(first, SUMMARY_LIMIT), keep_newlines=True), style="italic"))

    if classification is not None:
        parts.append(Text())
        parts.append(_heading("Why this category"))
        why: list[tuple[str, Text]] = []
        for line in list(getattr(classification, "evidence", []) or [])[:EVIDENCE_LIMIT]:
            why.append(("• ", Text(said(line))))
        for line in list(getattr(classification, "against", []) or [])[:EVIDENCE_LIMIT]:
            why.append(("✗ ", Text(f"against: {said(line)}", style="dim")))
        if why:
            parts.append(_hanging(why))
        flags = list(getattr(classification, "flags", []) or [])
        if flags:
            parts.append(Text("Flags: " + ", ".join(str(f) for f in flags), style="bold"))
        hints = getattr(classification, "hints", None) or {}
        provenance = getattr(classification, "provenance_lines", None)
        if callable(provenance) and any(f.source == "declared" for f in hints.values()):
            parts.append(Text("Annotations:"))
            parts.append(_hanging([("  ", Text(said(line))) for line in provenance()]))
        elif hints:
            parts.append(Text("Annotations: none declared; the spec's defaults apply",
                              style="dim"))
            if callable(provenance):
                parts.append(_hanging([("  ", Text(said(line), style="dim"))
                                       for line in provenance()]))
        actions = _actions(classification)
        if actions:
            path = getattr(classification, "action_path", "") or "action"
            parts.append(Text(f"Per action ({visible(str(path))}):"))
            for action, category, severity, evidence in actions[:40]:
                head = Text(f"{one_line(action, 40)}: ")
                head.append(category, style="bold")
                if severity:
                    head.append(f" · {severity}")
                parts.append(_hanging([("  ", head)]))
                if evidence:
                    parts.append(_hanging([("    ", Text(said(line), style="dim"))
                                           for line in evidence[:EVIDENCE_LIMIT]]))
            if len(actions) > 40:
                parts.append(Text(f"… {len(actions) - 40} more actions", style="dim"))
    if tool is not None:
        args = schema_args(tool.input_schema)
        parts.append(Text())
        parts.append(_heading(f"Arguments ({len(args)})"))
        if args:
            table = Table(box=None, show_header=True, padding=(0, 1), expand=False)
            table.add_column("name", no_wrap=True)
            table.add_column("type", no_wrap=True)
            table.add_column("values / description")
            for arg in args[:ARG_LIMIT]:
                choices = ", ".join(json.dumps(c, ensure_ascii=False) for c in arg.choices)
                note = choices or one_line(arg.description, 100)
                table.add_row(
                    Text(visible(arg.name) + (" *" if arg.required else "")),
                    Text(visible(arg.type)),
                    Text(visible(clip(note, 200))),
                )
            parts.append(table)
            if len(args) > ARG_LIMIT:
                parts.append(Text(f"… {len(args) - ARG_LIMIT} more", style="dim"))
        else:
            parts.append(Text("none", style="dim"))

        if tool.annotations:
            parts.append(Text())
            parts.append(_heading("Annotations (claimed by the server)"))
            for key, value in list(tool.annotations.items())[:30]:
                shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
                parts.append(Text(f"{visible(str(key))}: {one_line(shown, 120)}"))

    if tool is not None:
        parts.append(Text())
        parts.append(_heading("Description"))
        description = tool.description or "(no description)"
        parts.append(Text(visible(clip(description, DESCRIPTION_LIMIT), keep_newlines=True)))

    return Group(*parts)


def render_rule(state: EditorState, name: str) -> RenderableType:
    """The tool's current rule in words, e.g. "allow · approval if args.action eq "delete""."""
    policy = state.policy
    decision, explicit = decision_of(policy, name)
    text = Text("Rule: ", style="bold underline")
    text.append(decision, style="bold")
    if not explicit:
        text.append(f"  (not listed: the default {policy.default} applies)", style="dim")
    rule = policy.rule(name)
    if decision == "hide":
        text.append("  (in hide: removed from tools/list)", style="dim")
    lines: list[RenderableType] = [text]
    if rule is None:
        return Group(*lines)
    if rule.reason:
        lines.append(Text(f"reason: {one_line(rule.reason, 200)}"))
    for kind, label in (
        ("require", "require"),
        ("deny_if", "deny if"),
        ("require_approval_if", "approval if"),
    ):
        for condition in getattr(rule, kind) or []:
            lines.append(Text(f"{label}: {one_line(condition.describe(), 200)}"))
    for limit in rule.limits or []:
        lines.append(Text(f"limit: {one_line(limit.describe(), 200)}"))
    shared = state.limits_of(None)
    if shared:
        lines.append(
            Text(
                "shared: " + ", ".join(one_line(limit.describe(), 60) for limit in shared),
                style="dim",
            )
        )
    return Group(*lines)
