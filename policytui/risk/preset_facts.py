"""What a preset reads of a tool's classification, without the evidence.

`build_policy` needs each tool's category and severity, and for a few tools more: the
per-action breakdown, whether the category was overridden, and the read-only and destructive
hints the server declared. The editor keeps full classifications for a handful of tools only
(they are about 700 bytes each), so applying a preset to 10,000 tools used to classify every
one of them again, a second of the editor frozen. These facts are kept from the first
classification instead: nothing for a tool its category and severity describe whole, a small
record for the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from policytui.risk.findings import DECLARED, HintFact

if TYPE_CHECKING:
    from policytui.risk.classifier import Classification

NOTHING: Mapping[str, Any] = MappingProxyType({})
# The hints a preset reads (`presets._declared_not_read_only`), and only when declared.
PRESET_HINTS = ("readOnlyHint", "destructiveHint")


class ActionFact(NamedTuple):
    """An action's category and severity (an `ActionRisk` without its evidence)."""

    category: str
    severity: str


@dataclass(frozen=True, slots=True)
class PresetFacts:
    """The parts of a Classification that `build_policy` reads, under the same names."""

    category: str
    severity: str
    overridden: bool = False
    actions: Mapping[str, ActionFact] = field(default_factory=lambda: NOTHING)
    action_path: str | None = None
    hints: Mapping[str, HintFact] = field(default_factory=lambda: NOTHING)

    @property
    def is_multi_action(self) -> bool:
        return bool(self.actions) and self.action_path is not None


def preset_facts(c: Classification) -> PresetFacts | None:
    """The facts of `c`, or None when its category and severity are all a preset reads."""
    hints = {name: HintFact(c.hints[name].value, DECLARED)
             for name in PRESET_HINTS if name in c.hints and c.hints[name].source == DECLARED}
    if not (c.overridden or c.is_multi_action or hints):
        return None
    actions = {action: ActionFact(risk.category, risk.severity) for action, risk in c.actions.items()}
    return PresetFacts(
        c.category, c.severity, c.overridden,
        actions or NOTHING,
        c.action_path,
        hints or NOTHING,
    )
