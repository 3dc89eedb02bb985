"""The tool table's model: one `Row` per tool, plus fast filtering and sorting.

Rows are plain tuples of display strings with lowercase keys computed once, so filtering
10,000 tools is a single pass of substring tests that returns a list of row indexes; the
table draws only the visible ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from policytui.editor.text import one_line, visible

if TYPE_CHECKING:  # only annotations: the table paints before the policy model loads
    from policytui.policy.model import Policy, ToolRule
    from policytui.toolinfo import ServerListing

DECISIONS: tuple[str, ...] = ("allow", "deny", "hide", "approve")
SEVERITY_ORDER = {"Low": 0, "Medium": 1, "High": 2, "Critical": 3}
DRIFT_FLAGS: tuple[str, ...] = ("new", "changed", "missing")
SORT_KEYS: tuple[str, ...] = (
    "name", "category", "severity", "decision", "limits", "approval", "conditions", "drift",
)


@dataclass
class Row:
    """What the table shows for one tool. `name` is the real name; `label` is safe to draw."""

    name: str
    label: str
    category: str
    severity: str
    decision: str  # allow | deny | hide | approve
    explicit: bool  # False when the policy's default decides
    limits: str
    approval: str
    conditions: str  # what `require` and `deny_if` check, e.g. `require args.env eq "dev"`
    drift: str  # "" | new | changed | missing
    duplicate: bool = False
    search_key: str = field(default="", repr=False)

    @property
    def decision_label(self) -> str:
        return self.decision if self.explicit else f"{self.decision}*"


def decision_of(policy: Policy, name: str) -> tuple[str, bool]:
    """The effective decision for `name` and whether the policy states it explicitly."""
    return decision_for(policy.rule(name), policy.default, policy.is_hidden(name))


def decision_for(rule: ToolRule | None, default: str, hidden: bool) -> tuple[str, bool]:
    """`decision_of` from its parts, for loops over many tools that look `hide` up once."""
    if hidden:
        return "hide", True
    if rule is None:
        return default, False
    if rule.action == "deny":
        return "deny", True
    if rule.action == "require_approval":
        return "approve", True
    return "allow", True


def hidden_test(policy: Policy) -> Callable[[str], bool]:
    """`policy.is_hidden` for many names: a set lookup instead of a scan of the `hide` list.

    `is_hidden` searches the list, so asking it for each of 10,000 hidden tools is 10^8 string
    comparisons (seconds); this builds the set once. Build it again after `hide` changes.
    """
    hide = policy.hide
    if not hide:
        return _never
    if "*" in hide:
        return _always
    return frozenset(hide).__contains__


def _never(name: str) -> bool:
    return False


def _always(name: str) -> bool:
    return True


def limits_summary(rule: ToolRule | None) -> str:
    if rule is None or not rule.limits:
        return ""
    first = rule.limits[0]
    text = f"{first.max}/{first.window}"
    if len(rule.limits) > 1:
        text += f" +{len(rule.limits) - 1}"
    return text


def approval_summary(rule: ToolRule | None) -> str:
    """`always`, `if args.x eq "y"`, or `if ... +N`; empty when no call waits for a human."""
    if rule is None or (rule.action != "require_approval" and not rule.require_approval_if):
        return ""  # the common case, cheap for a bulk edit of 10,000 rules
    if rule.action == "deny":
        return ""  # every call is denied: its approval conditions wait until it is allowed
    if rule.action == "require_approval":
        return "always"
    first = rule.require_approval_if[0].describe() if rule.require_approval_if else ""
    more = len(rule.require_approval_if or ()) - 1
    return one_line(f"if {first}" + (f" +{more}" if more else ""), 200)


def conditions_summary(rule: ToolRule | None) -> str:
    """The argument checks of a rule: `require args.env eq "dev"; deny if args.force eq true`."""
    if rule is None or (not rule.require and not rule.deny_if):
        return ""
    parts: list[str] = []
    for label, conditions in (("require", rule.require), ("deny if", rule.deny_if)):
        if conditions:
            parts.append(f"{label} " + " and ".join(c.describe() for c in conditions))
    return one_line("; ".join(parts), 200)


def preview_rows(listing: ServerListing) -> tuple[list[Row], dict[str, tuple[str, str]]]:
    """Rows for a first look at the tools before the policy is read: name, category and
    severity, decisions still blank. Returns each tool's (category, severity) too, for
    `EditorState.open`.

    This needs the classifier only, not the policy model (pydantic), whose import takes
    longer than drawing the table: the tools are on screen while it loads.
    """
    from policytui.editor.classes import brief_classify

    found = brief_classify(listing.tools)
    rows: list[Row] = []
    for tool in listing.tools:
        category, severity = found.get(tool.name, ("?", ""))
        label = visible(tool.name)
        rows.append(Row(
            tool.name, label, category, severity, "", True, "", "", "", "", False, label.lower(),
        ))
    return rows, found


@dataclass
class RowFilter:
    """What the user narrowed the table to. Empty sets mean "any"."""

    text: str = ""
    categories: frozenset[str] = frozenset()
    severities: frozenset[str] = frozenset()
    decisions: frozenset[str] = frozenset()
    drift_only: bool = False

    @property
    def active(self) -> bool:
        return bool(
            self.text or self.categories or self.severities or self.decisions or self.drift_only
        )

    def describe(self) -> str:
        parts: list[str] = []
        if self.text:
            parts.append(f"/{self.text}")
        for label, values in (
            ("category", self.categories),
            ("severity", self.severities),
            ("decision", self.decisions),
        ):
            if values:
                parts.append(f"{label}={','.join(sorted(values))}")
        if self.drift_only:
            parts.append("drift")
        return " ".join(parts)


def filter_rows(rows: list[Row], row_filter: RowFilter) -> list[int]:
    """Indexes of the rows that pass `row_filter`, in row order."""
    if not row_filter.active:
        return list(range(len(rows)))
    needle = row_filter.text.lower()
    cats, sevs, decs = row_filter.categories, row_filter.severities, row_filter.decisions
    drift_only = row_filter.drift_only
    out: list[int] = []
    append = out.append
    for index, row in enumerate(rows):
        if needle and needle not in row.search_key:
            continue
        if cats and row.category not in cats:
            continue
        if sevs and row.severity not in sevs:
            continue
        if decs and row.decision not in decs:
            continue
        if drift_only and not row.drift:
            continue
        append(index)
    return out


def _sort_value(row: Row, key: str) -> object:
    if key == "severity":
        return SEVERITY_ORDER.get(row.severity, -1)
    if key == "decision":
        return (row.decision, not row.explicit)
    if key == "name":
        return row.search_key
    return getattr(row, key)


def sort_indexes(
    rows: list[Row], indexes: Iterable[int], key: str | None, reverse: bool = False
) -> list[int]:
    """`indexes` ordered by column `key` (server order when key is None), ties by name."""
    indexes = list(indexes)
    if key is None:
        return indexes[::-1] if reverse else indexes
    if key not in SORT_KEYS:
        raise ValueError(f"cannot sort by {key!r}")
    return sorted(
        indexes, key=lambda i: (_sort_value(rows[i], key), rows[i].search_key), reverse=reverse
    )
