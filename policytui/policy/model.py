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
import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from policytui.policy.schema import regex_problem

Window = Literal["minute", "hour", "day"]
Scope = Literal["grant", "session", "global"]
Action = Literal["allow", "deny", "require_approval"]
Default = Literal["allow", "deny"]
Op = Literal["eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "contains", "exists"]

WINDOWS: tuple[str, ...] = ("minute", "hour", "day")
SCOPES: tuple[str, ...] = ("grant", "session", "global")
ACTIONS: tuple[str, ...] = ("allow", "deny", "require_approval")
OPS: tuple[str, ...] = (
    "eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "contains", "exists",
)
NUMERIC_OPS = frozenset({"lt", "lte", "gt", "gte"})
LIST_OPS = frozenset({"in", "not_in"})
WINDOW_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}

PATH_PATTERN = r"^args(\.[^.]+)+$"
_PATH_RE = re.compile(PATH_PATTERN)


class Node(BaseModel):
    """Base for every object in the document: forbids unknown keys, keeps `x-*` and key order."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=False)

    # Canonical order of this object's own keys when written out.
    FIELD_ORDER: ClassVar[tuple[str, ...]] = ()
    # Keys whose value may be JSON null. Elsewhere an explicit null is an error, as in the
    # JSON Schema: None means "not set", and a null would silently vanish on save.
    NULLABLE: ClassVar[tuple[str, ...]] = ()

    _extensions: dict[str, Any] = PrivateAttr(default_factory=dict)
    _source_order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _split_extensions(cls, data: Any, handler: Any) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        extensions = {k: v for k, v in data.items() if isinstance(k, str) and k.startswith("x-")}
        core = {k: v for k, v in data.items() if k not in extensions}
        nulls = [k for k, v in core.items() if v is None and k not in cls.NULLABLE]
        if nulls:
            raise ValueError(f"{nulls[0]} must not be null; leave the key out instead")
        instance = handler(core)
        # Copied, so later edits to the caller's data never reach into the model (or back).
        instance._extensions = copy.deepcopy(extensions) if extensions else {}
        instance._source_order = tuple(k for k in data if isinstance(k, str))
        return instance

    @property
    def extensions(self) -> dict[str, Any]:
        """The `x-*` keys of this object, verbatim. Mutable: editors add their metadata here."""
        return self._extensions

    def to_document(self) -> dict[str, Any]:
        """This object as plain JSON data, keys in source order first, then canonical order."""
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
            values.update(copy.deepcopy(extensions))
        order = private.get("_source_order") or ()
        if not order:
            return values
        ordered = {key: values.pop(key) for key in order if key in values}
        ordered.update(values)
        return ordered


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
        if not _PATH_RE.match(path):
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
        import json

        return f"{self.path} {self.op} {json.dumps(self.value, ensure_ascii=False)}"


def value_problem(op: str, value: Any) -> str | None:
    """Why `value` does not suit `op`, or None. Shared by the model and the validator's messages."""
    if op in LIST_OPS:
        if not isinstance(value, list):
            return f"op {op!r} needs a list value"
    elif op in NUMERIC_OPS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"op {op!r} needs a number value"
    elif op == "exists":
        if not isinstance(value, bool):
            return "op 'exists' needs true or false as its value"
    elif op == "regex":
        if not isinstance(value, str):
            return "op 'regex' needs a pattern string as its value"
        problem = regex_problem(value)
        if problem:
            return f"regex {value!r} {problem}"
    elif op == "contains":
        if isinstance(value, (dict, list)):
            return "op 'contains' needs a single value, not a list or object"
    return None


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
        if value < 1:
            raise ValueError(f"max must be at least 1, not {value}")
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
