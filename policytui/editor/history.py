"""Bounded undo/redo of edits.

Each step keeps what the edit touched, before and after, as plain JSON data: the rules of
the tools it changed (and the order of the `tools` keys), `hide`, `default`, `all_tools`, and
policytui's own metadata. Recording a one-tool edit is then cheap even when the policy has
10,000 rules; edits that rewrite everything (presets) keep the whole document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from policytui.policy.model import AllTools, Policy, ToolRule

META_KEY = "x-policytui"


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


def capture(policy: Policy, names: list[str] | None, *, whole: bool, meta: bool) -> Any:
    """The parts of `policy` an edit of `names` may touch, as plain data (or all of it)."""
    if whole:
        return ("document", policy.to_document())
    tools = policy.tools
    return (
        "part",
        {
            "default": policy.default,
            "hide": list(policy.hide) if policy.hide is not None else None,
            "all_tools": policy.all_tools.to_document() if policy.all_tools is not None else None,
            "order": list(tools) if tools is not None else None,
            "rules": {
                n: (tools[n].to_document() if tools is not None and n in tools else None)
                for n in names or ()
            },
            "meta": json.loads(json.dumps(policy.extensions.get(META_KEY))) if meta else None,
            "has_meta": meta,
        },
    )


def restore(policy: Policy, snapshot: Any) -> Policy:
    """Put a captured snapshot back; returns the policy to use from now on."""
    kind, data = snapshot
    if kind == "document":
        return Policy.from_document(data)
    policy.default = data["default"]
    policy.hide = list(data["hide"]) if data["hide"] is not None else None
    policy.all_tools = (
        AllTools.model_validate(data["all_tools"]) if data["all_tools"] is not None else None
    )
    if data["order"] is None:
        policy.tools = None
    else:
        current = policy.tools or {}
        rules = data["rules"]
        tools: dict[str, ToolRule] = {}
        for name in data["order"]:
            if name in rules:
                if rules[name] is not None:
                    tools[name] = ToolRule.model_validate(rules[name])
            elif name in current:
                tools[name] = current[name]  # untouched by the edit: the same object
        policy.tools = tools
    if data["has_meta"]:
        if data["meta"] is None:
            policy.extensions.pop(META_KEY, None)
        else:
            policy.extensions[META_KEY] = json.loads(json.dumps(data["meta"]))
    return policy
