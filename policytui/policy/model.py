"""The policy document as Python objects (pydantic v2).

The shape follows docs/policy-format.md. Two things make this more than plain pydantic models:

- `x-*` keys are extension data that must survive a load/save untouched, so every object splits
  them off before validation and puts them back when it is written out.
- Key order is kept: a file that is loaded and saved again keeps its keys where the author put
  them; keys added in the editor go to their canonical place.

Unknown keys that are not `x-*` are errors: a typo such as `"limts"` must never drop a limit.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from policytui.policy.rules import (
    ACTIONS,
    LIST_OPS,
    MAX_CALLS,
    NUMERIC_OPS,
    OPS,
    PATH_PATTERN,
    PATH_RE,
    SCOPES,
    WINDOW_SECONDS,
    WINDOWS,
    calls_range_sentence,
    describe_condition,
    value_problem,
)

Window = Literal["minute", "hour", "day"]
Scope = Literal["grant", "session", "global"]
Action = Literal["allow", "deny", "require_approval"]
Default = Literal["allow", "deny"]
Op = Literal["eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "contains", "exists"]

# Re-exported: code that already imports the vocabulary from here keeps working.
__all__ = [
    "ACTIONS", "LIST_OPS", "NUMERIC_OPS", "OPS", "PATH_PATTERN", "SCOPES", "WINDOWS",
    "WINDOW_SECONDS", "AllTools", "Condition", "Limit", "Node", "Policy", "ToolRule",
    "value_problem",
]


class Node(BaseModel):
    """Base for every object in the document: forbids unknown keys, keeps `x-*` and key order.

    `x-*` keys and a key order that differs from the canonical one are split off in one plain
    walk over the document before pydantic sees it (`_prepare`), and attached afterwards only
    to the objects that have them. A wrapping validator and private attributes on every
    object did the same at about ten times the cost (10,000 rules are some 25,000 objects).
    What is attached lives in `__pydantic_private__` ("_extensions", "_source_order"), where
    pydantic's own copies carry it along; objects without any have None there.
    """

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=False)

    # Canonical order of this object's own keys when written out.
    FIELD_ORDER: ClassVar[tuple[str, ...]] = ()
    # Keys whose value may be JSON null. Elsewhere an explicit null is an error, as in the
    # JSON Schema: None means "not set", and a null would silently vanish on save.
    NULLABLE: ClassVar[tuple[str, ...]] = ()
    # Keys holding nested objects: key -> (class, "one" | "list" | "dict").
    CHILDREN: ClassVar[dict[str, tuple[type[Node], str]]] = {}

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:  # type: ignore[override]
        """Validate plain JSON data (raises pydantic.ValidationError)."""
        attach: list[tuple[Location, dict[str, Any], tuple[str, ...]]] = []
        core = _prepare(cls, obj, (), attach)
        instance = super().model_validate(core, **kwargs)
        for location, extensions, order in attach:
            node = _walk(instance, location)
            private: dict[str, Any] = {}
            if extensions:
                # Copied, so later edits to the caller's data never reach into the model.
                private["_extensions"] = _copy_json(extensions)
            if order:
                private["_source_order"] = order
            object.__setattr__(node, "__pydantic_private__", private)
        return instance

    @property
    def extensions(self) -> dict[str, Any]:
        """The `x-*` keys of this object, verbatim. Mutable: editors add their metadata here."""
        private = self.__pydantic_private__
        if private is None:
            private = {}
            object.__setattr__(self, "__pydantic_private__", private)
        found = private.get("_extensions")
        if found is None:
            found = private["_extensions"] = {}
        return found  # type: ignore[no-any-return]

    def __eq__(self, other: object) -> bool:
        # What a document would say: fields, x-* data and key order (absent = canonical).
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Node)
        mine, theirs = self.__pydantic_private__ or {}, other.__pydantic_private__ or {}
        return (
            self.__dict__ == other.__dict__
            and (mine.get("_extensions") or {}) == (theirs.get("_extensions") or {})
            and (mine.get("_source_order") or ()) == (theirs.get("_source_order") or ())
        )

    __hash__ = None  # type: ignore[assignment]

    def to_document(self, *, shared_extensions: bool = False) -> dict[str, Any]:
        """This object as plain JSON data, keys in source order first, then canonical order.

        `shared_extensions`: this object's own x-* values are put in as they are, not copied,
        for a document only compared and then dropped (an editor's x-policytui holding 10,000
        approved definitions took 0.1-0.2 s to copy)."""
        fields = self.__dict__
        private = self.__pydantic_private__ or {}
        values: dict[str, Any] = {}
        for name in self.FIELD_ORDER:
            value = fields.get(_attr(name))
            if value is not None:
                values[name] = _plain(value)
        extensions = private.get("_extensions")
        if extensions:
            # Deep copies: a document (or a copy_deep built from it) must never share mutable
            # extension data with this object, or editing an undo snapshot would edit the
            # live policy.
            values.update(extensions if shared_extensions else copy.deepcopy(extensions))
        order = private.get("_source_order") or ()
        if not order:
            return values
        ordered = {key: values.pop(key) for key in order if key in values}
        ordered.update(values)
        return ordered


Location = tuple[str | int, ...]


def _prepare(
    cls: type[Node],
    data: Any,
    location: Location,
    attach: list[tuple[Location, dict[str, Any], tuple[str, ...]]],
) -> Any:
    """`data` without `x-*` keys, for pydantic; what to attach afterwards goes to `attach`.

    Rejects explicit nulls where the schema does. Data of the wrong shape passes through for
    pydantic to report.
    """
    if type(data) is not dict:
        return data
    core = data
    keys = tuple(data)
    # Most objects of a document share a handful of key sets: judge each set once.
    known = _KEY_SETS.get((cls, keys))
    if known is None:
        known = _judge_keys(cls, keys)
    has_extensions, canonical = known
    extensions: dict[str, Any] = {}
    if has_extensions:
        extensions = {k: data[k] for k in keys if isinstance(k, str) and k.startswith("x-")}
        core = {k: v for k, v in data.items() if k not in extensions}
    if None in core.values():
        for key, value in core.items():
            if value is None and key not in cls.NULLABLE:
                raise _null_error(cls, location + (key,))
    order = () if canonical else keys  # canonical already: nothing to remember
    if has_extensions or order:
        attach.append((location, extensions, order))
    for key, (child, shape) in cls.CHILDREN.items():
        value = core.get(key)
        if value is None:
            continue
        if shape == "one":
            prepared: Any = _prepare(child, value, location + (key,), attach)
        elif shape == "list" and type(value) is list:
            prepared = [
                _prepare(child, item, location + (key, i), attach) for i, item in enumerate(value)
            ]
        elif shape == "dict" and type(value) is dict:
            prepared = {
                name: _prepare(child, item, location + (key, name), attach)
                for name, item in value.items()
            }
        else:
            continue
        if core is data:
            core = dict(data)
        core[key] = prepared
    return core


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars): several times cheaper than deepcopy."""
    if type(value) is dict:
        return {k: _copy_json(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy_json(v) for v in value]
    if isinstance(value, (dict, list, set, tuple)) or hasattr(value, "__dict__"):
        return copy.deepcopy(value)  # not plain JSON: leave nothing shared all the same
    return value


_KEY_SETS: dict[tuple[type[Node], tuple[str, ...]], tuple[bool, bool]] = {}


def _judge_keys(cls: type[Node], keys: tuple[str, ...]) -> tuple[bool, bool]:
    """Whether these keys hold `x-*` ones, and whether they are in canonical order."""
    has_extensions = any(isinstance(k, str) and k.startswith("x-") for k in keys)
    canonical = keys == tuple(k for k in cls.FIELD_ORDER if k in keys)
    if len(_KEY_SETS) < 4096:  # a hostile file must not grow it without end
        _KEY_SETS[(cls, keys)] = (has_extensions, canonical)
    return has_extensions, canonical


def _walk(node: Any, location: Location) -> Any:
    for step in location:
        if isinstance(step, int) or isinstance(node, dict):
            node = node[step]
        else:
            node = getattr(node, _attr(step))
    return node


def _null_error(cls: type[Node], location: Location) -> Exception:
    from pydantic import ValidationError

    key = location[-1]
    return ValidationError.from_exception_data(
        cls.__name__,
        [
            {
                "type": "value_error",
                "loc": location[:-1],
                "input": None,
                "ctx": {"error": ValueError(f"{key} must not be null; leave the key out instead")},
            }
        ],
    )


def _attr(key: str) -> str:
    return "schema_" if key == "$schema" else key


def _plain(value: Any) -> Any:
    if isinstance(value, Node):
        return value.to_document()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Condition(Node):
    """A test on one argument of a call, e.g. `{"path": "args.action", "op": "eq", ...}`."""

    FIELD_ORDER: ClassVar[tuple[str, ...]] = ("path", "op", "value")
    NULLABLE: ClassVar[tuple[str, ...]] = ("value",)

    path: str
    op: Op
    value: Any

    @field_validator("path")
    @classmethod
    def _check_path(cls, path: str) -> str:
        if not PATH_RE.match(path):
            raise ValueError(
                f'path {path!r} must be "args." followed by a dot path, e.g. args.action'
            )
        return path

    @model_validator(mode="after")
    def _check_value(self) -> Condition:
        problem = value_problem(self.op, self.value)
        if problem:
            raise ValueError(problem)
        return self

    def describe(self) -> str:
        """A short human form, e.g. `args.action eq "delete"`."""
        return describe_condition(self.path, self.op, self.value)


class Limit(Node):
    """A rate limit: at most `max` calls per UTC-aligned `window`, counted in `counter`."""

    FIELD_ORDER: ClassVar[tuple[str, ...]] = ("counter", "window", "max", "scope")

    counter: str = Field(min_length=1)
    window: Window
    max: int
    scope: Scope | None = None

    @field_validator("max", mode="before")
    @classmethod
    def _integral_max(cls, value: Any) -> Any:
        # JSON Schema counts 30.0 as an integer; accept it the same way so both agree.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("max")
    @classmethod
    def _positive_max(cls, value: int) -> int:
        if not 1 <= value <= MAX_CALLS:
            raise ValueError(calls_range_sentence(value))
        return value

    @property
    def effective_scope(self) -> str:
        return self.scope or "grant"

    def describe(self) -> str:
        return f"{self.max}/{self.window} ({self.counter}, {self.effective_scope})"


class AllTools(Node):
    """Rules applied to every call that is otherwise allowed."""

    FIELD_ORDER: ClassVar[tuple[str, ...]] = ("limits",)

    limits: list[Limit] | None = None


class ToolRule(Node):
    """The rule for one tool. `{}` means allowed."""

    FIELD_ORDER: ClassVar[tuple[str, ...]] = (
        "action", "reason", "require", "deny_if", "require_approval_if", "limits",
    )

    action: Action | None = None
    reason: str | None = None
    require: list[Condition] | None = None
    deny_if: list[Condition] | None = None
    require_approval_if: list[Condition] | None = None
    limits: list[Limit] | None = None

    @property
    def effective_action(self) -> str:
        return self.action or "allow"


class Policy(Node):
    """A whole policy document for one MCP server."""

    FIELD_ORDER: ClassVar[tuple[str, ...]] = (
        "$schema", "version", "default", "hide", "all_tools", "tools",
    )
    # Only the document's own key "$schema" fills schema_: a key spelled "schema_" in a file is
    # an unknown key like any other (the JSON Schema says the same).
    model_config = ConfigDict(
        extra="forbid", strict=True, validate_by_name=False, validate_by_alias=True
    )

    schema_: str | None = Field(default=None, alias="$schema")
    version: Literal["1"]
    default: Default
    hide: list[str] | None = None
    all_tools: AllTools | None = None
    tools: dict[str, ToolRule] | None = None

    @field_validator("hide")
    @classmethod
    def _non_empty_names(cls, names: list[str] | None) -> list[str] | None:
        if names is not None and any(not n for n in names):
            raise ValueError("hide lists an empty tool name")
        return names

    @field_validator("tools")
    @classmethod
    def _named_tools(cls, tools: dict[str, ToolRule] | None) -> dict[str, ToolRule] | None:
        if tools is not None and "" in tools:
            raise ValueError("tools has a rule for an empty tool name")
        return tools

    @classmethod
    def new(cls, default: str = "deny") -> Policy:
        return cls.model_validate({"version": "1", "default": default})

    @classmethod
    def from_document(cls, data: Any) -> Policy:
        """Validate plain JSON data (raises pydantic.ValidationError)."""
        return cls.model_validate(data)

    def copy_deep(self) -> Policy:
        """An independent copy, extensions and key order included (for undo stacks)."""
        return Policy.model_validate(self.to_document())

    def is_hidden(self, tool: str) -> bool:
        return bool(self.hide) and ("*" in self.hide or tool in self.hide)  # type: ignore[operator]

    def rule(self, tool: str) -> ToolRule | None:
        return (self.tools or {}).get(tool)


# Where `_prepare` finds nested objects (set here: the classes refer to each other).
AllTools.CHILDREN = {"limits": (Limit, "list")}
ToolRule.CHILDREN = {
    "require": (Condition, "list"),
    "deny_if": (Condition, "list"),
    "require_approval_if": (Condition, "list"),
    "limits": (Limit, "list"),
}
Policy.CHILDREN = {"all_tools": (AllTools, "one"), "tools": (ToolRule, "dict")}
