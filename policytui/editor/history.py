"""Bounded undo/redo of edits.

Each step keeps what the edit touched, before and after: the rules of the tools it changed
(and the order of the `tools` keys), `hide`, `default`, `all_tools`, and policytui's own
metadata. Recording a one-tool edit is then cheap even when the policy has 10,000 rules;
edits that rewrite everything (presets) keep the whole document.

Rules are kept as the very `ToolRule` (and `AllTools`) objects the policy held, not as JSON
data: undoing a bulk edit of 10,000 rules used to rebuild every one of them with pydantic
validation (about 300 ms), for data that was validated when it first entered the model. Sharing
objects between the live policy and the history is safe only because of one rule, kept by
`EditorState`: **a rule object is never changed in place once it is in the policy**. An edit
that changes a rule builds a changed copy (`clone_node`) and puts the copy in `policy.tools`
(copy-on-write), so every object a snapshot refers to keeps the value it had when captured, and
putting it back restores exactly that value, `x-*` keys and key order included.

policytui's own metadata (`x-policytui`) is JSON data, copied into a snapshot two levels deep
(`copy_meta`): its own dict and the dicts and lists it holds (`fingerprints`, `definitions`,
`overrides`, ...) are copied, their values shared. The editor changes the metadata only at
those two levels (it replaces an approved definition, never edits one in place), and a pinned
policy of 10,000 tools holds 10,000 definitions that a JSON round trip took about 0.5 s to
copy, on each side of an approval and again on its undo and redo.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from policytui.policy.model import Node, Policy, ToolRule

META_KEY = "x-policytui"

N = TypeVar("N", bound=Node)
_new_object = object.__new__
_set_attribute = object.__setattr__


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


# ----- copy-on-write rule objects ------------------------------------------------------------


def clone_node(node: N, changes: dict[str, Any] | None = None) -> N:
    """A copy of `node` with `changes` (field name -> value) made, sharing nothing it could change.

    The copy has its own field dict, lists and `x-*` data; the items of its lists (`Limit`,
    `Condition`) are shared, since the editor replaces those and never changes one in place.
    It is built the way pydantic's own `model_construct` and `__copy__` build an instance (the
    same four instance attributes, no validation: the values were validated when they entered
    the model, and `changes` come from the editor's own validated objects), because `__copy__`
    plus an assignment per field costs about twice as much and a bulk edit makes 10,000 copies.
    """
    cls = type(node)
    clone = _new_object(cls)
    fields = node.__dict__.copy()
    for key, value in fields.items():
        if type(value) is list:
            fields[key] = value.copy()  # same keys: safe while iterating
    fields_set = set(node.__pydantic_fields_set__)
    if changes:
        fields.update(changes)
        fields_set.update(changes)  # what an assignment through pydantic records too
    _set_attribute(clone, "__dict__", fields)
    _set_attribute(clone, "__pydantic_extra__", None)  # extra="forbid": there never is any
    _set_attribute(clone, "__pydantic_fields_set__", fields_set)
    private = dict(node.__pydantic_private__ or {})
    extensions = private.get("_extensions")
    # Its own x-* data: a deep copy when there is any (a bulk edit's rules rarely have some).
    private["_extensions"] = copy.deepcopy(extensions) if extensions else {}
    _set_attribute(clone, "__pydantic_private__", private)
    return clone


_BLANK_RULE = ToolRule.model_construct()
_BLANK_FIELDS = _BLANK_RULE.__dict__
_BLANK_PRIVATE = _BLANK_RULE.__pydantic_private__ or {}


def new_rule(values: dict[str, Any] | None = None) -> ToolRule:
    """A new rule with `values` set (`{}` without), as `ToolRule.model_validate` would make it.

    `clone_node` of a blank rule, minus the work a blank rule does not need (no lists, no
    `x-*` data): allowing or denying 10,000 unlisted tools makes 10,000 of these, each about
    7x cheaper than `ToolRule.model_validate({})`.
    """
    rule = _new_object(ToolRule)
    fields = _BLANK_FIELDS.copy()
    if values:
        fields.update(values)
    _set_attribute(rule, "__dict__", fields)
    _set_attribute(rule, "__pydantic_extra__", None)
    _set_attribute(rule, "__pydantic_fields_set__", set(values) if values else set())
    _set_attribute(rule, "__pydantic_private__", {**_BLANK_PRIVATE, "_extensions": {}})
    return rule


# ----- snapshots ----------------------------------------------------------------------------


def copy_meta(meta: Any) -> Any:
    """A copy of policytui's metadata that no change the editor makes to it reaches: the dict
    and each dict or list in it copied, what those hold shared (see the module docstring)."""
    if not isinstance(meta, dict):
        return json.loads(json.dumps(meta))  # a hand-written value of another kind: rare and small
    return {key: value.copy() if isinstance(value, (dict, list)) else value for key, value in meta.items()}


def capture(policy: Policy, names: list[str] | None, *, whole: bool, meta: bool) -> Any:
    """The parts of `policy` an edit of `names` may touch (or all of it).

    Rules and `all_tools` are held by reference (see the module docstring); `hide`, the key
    order and the metadata are copied, since those are plain lists and dicts.
    """
    if whole:
        return ("document", policy.to_document())
    tools = policy.tools
    return (
        "part",
        {
            "default": policy.default,
            "hide": tuple(policy.hide) if policy.hide is not None else None,
            "all_tools": policy.all_tools,
            "order": tuple(tools) if tools is not None else None,
            "rules": {n: (tools.get(n) if tools is not None else None) for n in names or ()},
            "meta": copy_meta(policy.extensions.get(META_KEY)) if meta else None,
            "has_meta": meta,
        },
    )


def differs(before: Any, after: Any) -> bool:
    """True when two snapshots of the same edit describe different documents.

    Rules compare by identity: an edit replaces a rule only when it changes a value (see
    `EditorState._set_rule`), and comparing 10,000 pydantic objects by value would cost more
    than the edit itself.
    """
    if before[0] == "document" or after[0] == "document":
        return bool(before != after)
    old, new = before[1], after[1]
    if (
        old["default"] != new["default"]
        or old["hide"] != new["hide"]
        or old["order"] != new["order"]
        or old["all_tools"] is not new["all_tools"]
        or old["meta"] != new["meta"]
    ):
        return True
    new_rules = new["rules"]
    return any(rule is not new_rules[name] for name, rule in old["rules"].items())


def changed_names(before: Any, after: Any) -> list[str] | None:
    """Tools whose table row may differ between two snapshots of the same names (None: any)."""
    if before[0] == "document" or after[0] == "document":
        return None
    old, new = before[1], after[1]
    if old["default"] != new["default"]:
        return None  # every tool without a rule follows the default
    names: dict[str, None] = {}
    if old["hide"] != new["hide"]:
        flipped = set(old["hide"] or ()) ^ set(new["hide"] or ())
        if "*" in flipped:
            return None
        names.update(dict.fromkeys(flipped))
    new_rules = new["rules"]
    for name, rule in old["rules"].items():
        if rule is not new_rules[name]:
            names[name] = None
    return list(names)


def changes_on_restore(policy: Policy, snapshot: Any) -> list[str] | None:
    """Tools whose table row may change when `snapshot` is put back (None: any)."""
    if snapshot[0] == "document":
        return None
    current = capture(policy, list(snapshot[1]["rules"]), whole=False, meta=False)
    return changed_names(current, snapshot)


def restore(policy: Policy, snapshot: Any) -> Policy:
    """Put a captured snapshot back; returns the policy to use from now on."""
    kind, data = snapshot
    if kind == "document":
        return Policy.from_document(data)
    policy.default = data["default"]
    policy.hide = list(data["hide"]) if data["hide"] is not None else None
    policy.all_tools = data["all_tools"]  # the captured object itself, never changed since
    if data["order"] is None:
        policy.tools = None
    else:
        current = policy.tools or {}
        rules = data["rules"]
        tools: dict[str, ToolRule] = {}
        for name in data["order"]:
            rule = rules[name] if name in rules else current.get(name)
            if rule is not None:
                tools[name] = rule  # the captured object, or one the edit did not touch
        policy.tools = tools
    if data["has_meta"]:
        if data["meta"] is None:
            policy.extensions.pop(META_KEY, None)
        else:
            policy.extensions[META_KEY] = copy_meta(data["meta"])
    return policy
