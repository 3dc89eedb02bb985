"""Bounded undo/redo of edits.

Each step keeps what the edit touched, before and after, as plain JSON data: the rules of
the tools it changed (and the order of the `tools` keys), `hide`, `default`, `all_tools`, and
policytui's own metadata. Recording a one-tool edit is then cheap even when the policy has
10,000 rules; edits that rewrite everything (presets) keep the whole document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """One undoable edit: `before`/`after` snapshots and the ids of the states they lead to."""

    label: str
    before: Any
    after: Any
    before_id: int
    after_id: int


@dataclass
class History:
    """Two stacks of steps. `limit` bounds memory on huge policies."""

    limit: int = 200
    _undo: list[Step] = field(default_factory=list)
    _redo: list[Step] = field(default_factory=list)

    def record(self, step: Step) -> None:
        self._undo.append(step)
        if len(self._undo) > self.limit:
            del self._undo[0]
        self._redo.clear()

    def undo(self) -> Step | None:
        """The step to take back (apply its `before`), or None."""
        if not self._undo:
            return None
        step = self._undo.pop()
        self._redo.append(step)
        return step

    def redo(self) -> Step | None:
        """The step to make again (apply its `after`), or None."""
        if not self._redo:
            return None
        step = self._redo.pop()
        self._undo.append(step)
        return step

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)
