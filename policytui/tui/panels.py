"""What the Problems, JSON, Diff and Try panels show, as Rich renderables.

Problem messages and decision reasons can quote tool names and argument values from the
server, so they are drawn as Text with control characters made visible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.text import Text

from policytui.editor.text import one_line, visible

if TYPE_CHECKING:
    from policytui.editor.state import EditorState

# Highlighting a 50,000-line preview would stall the screen; past this the panel says how
# much more a save writes.
PREVIEW_LINES = 4000


def _syntax_theme(dark: bool) -> str:
    # The ANSI themes draw with the terminal's own palette, like the rest of the app.
    return "ansi_dark" if dark else "ansi_light"


def render_preview(text: str, *, dark: bool) -> RenderableType:
    """The JSON a save writes, highlighted, cut after PREVIEW_LINES lines."""
    lines = text.count("\n")
    note = None
    if lines > PREVIEW_LINES:
        text = "\n".join(text.split("\n", PREVIEW_LINES)[:PREVIEW_LINES])
        note = Text(f"… {lines - PREVIEW_LINES:,} more lines (ctrl+s writes all of them)", style="dim")
    from rich.syntax import Syntax  # pulls in Pygments: loaded when the panel is first drawn

    syntax = Syntax(text, "json", theme=_syntax_theme(dark), line_numbers=True, word_wrap=False)
    return Group(syntax, note) if note else syntax


def render_diff(diff: str, *, dark: bool) -> RenderableType:
    if not diff:
        return Text("No difference: the file on disk is what a save would write.", style="dim")
    lines = diff.split("\n")
    if len(lines) > PREVIEW_LINES:
        diff = "\n".join(lines[:PREVIEW_LINES]) + f"\n… {len(lines) - PREVIEW_LINES:,} more lines"
    from rich.syntax import Syntax

    return Syntax(diff, "diff", theme=_syntax_theme(dark), word_wrap=False)


def file_warnings(state: EditorState, report: Any) -> list[str]:
    """The warnings the file had when it was read that the policy being edited does not repeat:
    a hidden tool with a rule, still in the editor, is one problem, listed and counted once
    (the file's copy adds only where in the file it stands)."""
    current = [problem.format() for problem in getattr(report, "warnings", None) or []]
    return [warning for warning in state.load_warnings
            if not any(warning == said or warning.startswith(said + " (line ") for said in current)]


def render_problems(state: EditorState, report: Any) -> RenderableType:
    """Validation errors and warnings with their paths, unreadable tools, file problems."""
    lines: list[Text] = []
    for problem in getattr(report, "errors", None) or []:
        lines.append(Text("✗ " + visible(problem.format()), style="bold"))
    for problem in getattr(report, "warnings", None) or []:
        lines.append(Text("! " + visible(problem.format())))
    for broken in state.listing.broken_tools[:100]:
        name = one_line(broken.name or f"#{broken.index + 1}", 60)  # counted from 1, as the CLI does
        lines.append(
            Text(f"! the server sent a tool that could not be read ({name}): {one_line(broken.problem, 120)}")
        )
    for problem in state.load_problems:
        lines.append(Text("✗ file on disk: " + visible(problem)))
    for warning in file_warnings(state, report):
        lines.append(Text("! file on disk: " + visible(warning)))
    for dropped in state.dropped_rules:
        lines.append(Text("! " + visible(dropped)))
    if not lines:
        lines.append(Text("✓ No problems: a gateway will accept this policy.", style="bold"))
    return Group(*lines)


def render_decision(decision: Any, hint: str = "") -> RenderableType:
    """A try-a-call answer: outcome, the rule that decided, what the agent would read, and
    `hint` (the tool meant, for a name the server does not list)."""
    outcome = decision.outcome.value
    text = Text()
    text.append(outcome.upper().replace("_", " "), style="bold reverse")
    text.append("  rule ")
    text.append(visible(decision.rule), style="bold")
    if decision.reason:
        text.append("\nagent sees: ")
        text.append(visible(decision.agent_sees() if not decision.allowed else decision.reason))
    if outcome == "needs_approval":
        text.append("\n(the call waits for a human; approved it continues, else it is denied)", style="dim")
    if hint:
        text.append("\nhint: ")
        text.append(visible(hint))
    return text
