"""The arguments a tool takes, read from its JSON input schema.

The conditions editor offers these as `args.*` paths and, where the schema lists allowed
values (`enum`, `const`, booleans), offers those values as choices: that is what turns
"approve manage_flow only when action is delete" into a few keystrokes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

_MAX_DEPTH = 3
_MAX_ARGS = 200


@dataclass(frozen=True)
class ArgInfo:
    """One argument: its condition path (`args.action`), type and allowed values if known."""

    path: str
    type: str = ""
    required: bool = False
    description: str = ""
    choices: tuple[Any, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.path.removeprefix("args.")


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return "|".join(str(k) for k in kind)
    if isinstance(kind, str):
        return kind
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            kinds = [_type_of(o) for o in options if isinstance(o, dict)]
            return "|".join(k for k in kinds if k)
    if "enum" in schema:
        return "enum"
    return ""


def _choices_of(schema: dict[str, Any]) -> tuple[Any, ...]:
    values: list[Any] = []
    if isinstance(schema.get("enum"), list):
        values.extend(schema["enum"])
    if "const" in schema:
        values.append(schema["const"])
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            for option in options:
                if isinstance(option, dict):
                    values.extend(_choices_of(option))
    if not values and schema.get("type") == "boolean":
        values = [True, False]
    # Only JSON scalars make sense as condition values; keep order, drop repeats.
    seen: list[Any] = []
    for value in values:
        if isinstance(value, (str, int, float, bool)) and value not in seen:
            seen.append(value)
    return tuple(seen)


def schema_args(input_schema: dict[str, Any]) -> list[ArgInfo]:
    """Every argument path in `input_schema`, nested objects included (a few levels deep)."""
    found: list[ArgInfo] = []

    def walk(schema: Any, prefix: str, depth: int) -> None:
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return
        required = schema.get("required")
        required_names = set(required) if isinstance(required, list) else set()
        for name, sub in properties.items():
            if len(found) >= _MAX_ARGS:
                return
            # A dot inside a name cannot be expressed as a condition path.
            if not isinstance(name, str) or not name or "." in name:
                continue
            sub = sub if isinstance(sub, dict) else {}
            description = sub.get("description")
            path = f"{prefix}.{name}"
            found.append(
                ArgInfo(
                    path=path,
                    type=_type_of(sub),
                    required=name in required_names,
                    description=description if isinstance(description, str) else "",
                    choices=_choices_of(sub),
                )
            )
            walk(sub, path, depth + 1)

    walk(input_schema, "args", 1)
    return found


GENERIC_ARGUMENTS_HINT = 'arguments as a JSON object: {"name": "value"}'


def sample_arguments(args: list[ArgInfo]) -> dict[str, Any]:
    """A call's arguments to start from: each top-level argument that lists its allowed values
    gets the last of them (`delete` rather than `enable`, often the one a rule is about), and
    each other required one an empty text."""
    sample: dict[str, Any] = {}
    for arg in args:
        if "." in arg.name:
            continue
        if arg.choices:
            sample[arg.name] = arg.choices[-1]
        elif arg.required:
            sample[arg.name] = ""
    return sample


def arguments_hint(input_schema: dict[str, Any] | None) -> str:
    """The Try panel's placeholder for a tool: its own arguments, or a generic hint."""
    if input_schema is None:
        return GENERIC_ARGUMENTS_HINT
    args = schema_args(input_schema)
    top = [a for a in args if "." not in a.name]
    if not top:
        return "{}  (the tool takes no arguments)"
    sample = sample_arguments(args) or {top[0].name: ""}
    return json.dumps(sample, ensure_ascii=False)
