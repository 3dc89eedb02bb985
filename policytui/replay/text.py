"""The replay report as text for people (one table: tool, change, calls, first example)."""

from __future__ import annotations

import json

from policytui.replay.engine import CHANGE_KINDS, CHANGE_TITLES, RECORDED, ReplayReport
from policytui.textsafe import visible

_EXAMPLE_WIDTH = 90


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def example_text(change_json: dict) -> str:
    first = change_json["first"]
    parts = [f"line {first['line']}", first["time"]]
    if "arguments" in first:
        parts.append(json.dumps(first["arguments"], ensure_ascii=False, separators=(",", ":")))
    text = " ".join(parts)
    if first["reason"]:
        text += f" -> {first['reason']}"
    return visible(_short(text, _EXAMPLE_WIDTH))


def baseline_words(report: ReplayReport) -> str:
    """What the draft's decisions were compared with: "the recorded decisions", or "the
    decisions under old.json" (`--against`; the file's name alone would read "the old.json")."""
    if report.against == RECORDED:
        return f"the {RECORDED}"
    return f"the decisions under {visible(report.against)}"


def summary_line(report: ReplayReport) -> str:
    counts = report.counts()
    shown = ", ".join(f"{CHANGE_TITLES[k]} {counts[k]}" for k in CHANGE_KINDS if counts[k])
    return shown or "no call changes"


# The calls not compared, and those kept unchanged, by the report's count of each: one sentence
# per kind, `{}` standing for the count.
_NOTES = (
    # The gateway marks every pinning denial as drift: a tool whose definition changed, one
    # never approved, and one whose definition could not be read.
    ("drift", "Not compared: {} denied by pinning (their tool had changed since it was approved, "
              "had no approved definition, or could not be checked)."),
    ("outage", "Not compared: {} denied because the gateway's rate-limit state was unavailable."),
    ("fault", "Not compared: {} denied because the gateway's policy file was invalid or missing, "
              "or its audit log could not be written."),
    ("undecided", "Not compared: {} cancelled by their client before they were decided."),
    ("unlisted", "Not compared: {} denied because the server does not list their tool."),
    ("gone", "Not compared: {} for a tool the server does not list now (the gateway answers such a call "
             "itself, under any policy)."),
    ("limit_state", "Unchanged: {} denied by a rate limit whose window was used before the recording "
                    "began (limit state not in the recording); the draft's limit is the same or stricter."),
)


def notes(report: ReplayReport) -> list[str]:
    """The calls not compared, and those kept unchanged, one sentence per kind: the command and
    the editor's Replay tab both say them, so their numbers add up the same way."""
    return [text.format(count) for field, text in _NOTES if (count := getattr(report, field))]


def cut_short_note(source: str, cut_lines: tuple[int, ...], last_cut: bool) -> str:
    """The sentence saying which lines of `source` were cut short and left out (none: "")."""
    if not cut_lines:
        return ""
    if last_cut and len(cut_lines) == 1:
        return f"The last line of {source} was cut short and is left out."
    names = [str(n) + (" (the last)" if last_cut and n == cut_lines[-1] else "") for n in cut_lines]
    which = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if len(names) == 1:
        return f"Line {which} of {source} was cut short (a gateway stopped while writing it) and is left out."
    return f"Lines {which} of {source} were cut short (a gateway stopped while writing them) and are left out."


def nothing_compared(report: ReplayReport) -> str:
    """Why a replay whose every call was counted apart fails ("" when some call was compared)."""
    if report.total == 0 or report.compared > 0:
        return ""
    if report.total == 1:
        return "the one recorded call was not compared (it is counted apart above), so nothing was tested"
    return (f"none of the {report.total:,} recorded calls was compared (each is counted apart above), "
            "so nothing was tested")


def _calls(count: int) -> str:
    return f"{count} call that was" if count == 1 else f"{count} calls that were"


def render(report: ReplayReport, draft_name: str) -> str:
    if report.total == 0:
        # Nothing to compare: say so rather than report arguments that nobody recorded.
        return (f"The recording holds no calls, so nothing was tested under {visible(draft_name)}.\n"
                "Passed: no call that was allowed would be denied.\n")
    recorded = "1 recorded call" if report.total == 1 else f"{report.total} recorded calls"
    lines = [
        f"Replayed {recorded} under {visible(draft_name)}, "
        f"compared with {baseline_words(report)}.",
    ]
    if not report.with_arguments:
        lines.append("Arguments were not recorded (an audit log): decisions that depend on them are unknown.")
    lines.extend(notes(report))
    lines.append(f"Changes: {summary_line(report)}.")
    if report.changes:
        tool_width = min(max(len("tool"), *(len(visible(c.tool)) for c in report.changes)), 40)
        kind_width = max(len(CHANGE_TITLES[c.kind]) for c in report.changes)
        lines.append("")
        lines.append(f"{'tool'.ljust(tool_width)}  {'change'.ljust(kind_width)}  {'calls':>6}  first example")
        for change in report.changes:
            as_json = change.to_json()
            lines.append(
                f"{_short(visible(change.tool), tool_width).ljust(tool_width)}  "
                f"{CHANGE_TITLES[change.kind].ljust(kind_width)}  {change.count:>6}  {example_text(as_json)}"
            )
    lines.append("")
    if report.passed:
        lines.append("Passed: no call that was allowed would be denied.")
    else:
        reasons = [why] if (why := nothing_compared(report)) else []
        if report.server_match and report.server_match.fails:
            called = len(report.server_match.called)
            reasons.append(f"the recording is of another server's calls (the draft approves the definitions of "
                           f"none of the {called} tools it calls)" if called > 1 else
                           "the recording is of another server's calls (the draft approves no definition of "
                           "the tool it calls)")
        if report.allowed_now_denied:
            reasons.append(f"{_calls(report.allowed_now_denied)} allowed would be denied")
        if report.allowed_now_unknown:
            reasons.append(f"{_calls(report.allowed_now_unknown)} allowed cannot be decided without their arguments")
        if report.allowed_now_limit_unknown:
            hint = "; give --against the policy the recording was made under" if report.against == RECORDED else ""
            reasons.append(f"{_calls(report.allowed_now_limit_unknown)} allowed may be denied by a limit whose window "
                           f"was under way when the recording began (what it had counted before is not in the "
                           f"recording{hint})")
        lines.append("Failed: " + "; ".join(reasons) + ".")
    return "\n".join(lines) + "\n"
