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


def _heading(text: str) -> Text:
    return Text(text, style="bold underline")


def _actions(classification: Any) -> list[tuple[str, str, str]]:
    """(action, category, evidence) rows from a classification's per-action breakdown."""
    out: list[tuple[str, str, str]] = []
    actions = getattr(classification, "actions", None) or {}
    items = actions.items() if isinstance(actions, dict) else enumerate(actions)
    for action, value in items:
        if isinstance(value, tuple):
            category = str(value[0]) if value else ""
            evidence = value[1] if len(value) > 1 else ""
        else:
            category = str(getattr(value, "category", ""))
            evidence = getattr(value, "evidence", "")
        if isinstance(evidence, (list, tuple)):
            evidence = "; ".join(str(e) for e in evidence)
        out.append((str(action), category, str(evidence)))
    return out


def render_detail(state: EditorState, name: str | None) -> RenderableType:
    """The whole detail pane for tool `name`."""
    if name is None:
        return Text("No tool selected.", style="dim")
    tool = state.tools_by_name.get(name)
    secrets = state.listing.secrets
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
        facts.append("  new since the policy was saved", style="bold")
    elif drift == "changed":
        facts.append("  changed: description or schema differ from when the policy was saved", style="bold")
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
        for line in list(getattr(classification, "evidence", []) or [])[:20]:
            parts.append(Text(f"• {one_line(str(without_secrets(str(line), secrets)), 200)}"))
        for line in list(getattr(classification, "against", []) or [])[:10]:
            shown = one_line(str(without_secrets(str(line), secrets)), 200)
            parts.append(Text(f"✗ against: {shown}", style="dim"))
        flags = list(getattr(classification, "flags", []) or [])
        if flags:
            parts.append(Text("Flags: " + ", ".join(str(f) for f in flags), style="bold"))
        hints = getattr(classification, "hints", None) or {}
        provenance = getattr(classification, "provenance_lines", None)
        if callable(provenance) and any(f.source == "declared" for f in hints.values()):
            parts.append(Text("Annotations:"))
            for line in provenance():
                parts.append(Text(f"  {one_line(str(line), 200)}"))
        elif hints:
            parts.append(Text("Annotations: none declared; the spec's defaults apply",
                              style="dim"))
        actions = _actions(classification)
        if actions:
            path = getattr(classification, "action_path", "") or "action"
            parts.append(Text(f"Per action ({visible(str(path))}):"))
            for action, category, evidence in actions[:40]:
                line = Text(f"  {one_line(action, 40)}: ")
                line.append(category, style="bold")
                if evidence:
                    line.append(f"  {one_line(evidence, 100)}", style="dim")
                parts.append(line)
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
