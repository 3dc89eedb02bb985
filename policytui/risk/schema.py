"""What a tool's input schema says about its risk: an action selector, arguments that take code,
amounts of money, and switches like `force`.

Only the top level of the schema is read (plus one level of `anyOf`/`oneOf`/`allOf`), with
fixed caps on how many properties and enum values are looked at: schemas are untrusted and may
be huge or self-referential.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from policytui.risk.vocabulary import (
    ACTION_ARGUMENTS,
    FORCE_ARGUMENTS,
    MONEY_ARGUMENTS,
    SHELL_ARGUMENTS,
    SQL_ARGUMENTS,
)

MAX_PROPERTIES = 200
MAX_ENUM_VALUES = 100
MAX_VARIANTS = 50
_DESCRIPTION_WINDOW = 200

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_SQL_TEXT = re.compile(r"\b(?:sql|cypher|sparql)\b", re.IGNORECASE)
_SHELL_TEXT = re.compile(
    r"\b(?:shell|bash|zsh|powershell|terminal|cli) command"
    r"|\bcommands? to (?:run|execute)"
    r"|\b(?:code|script|expression|program) to (?:run|execute|evaluate)"
    r"|\b(?:python|javascript|typescript|ruby|node|lua|perl) (?:code|script|expression|snippet)",
    re.IGNORECASE,
)
_MONEY_NAME = re.compile(r"amount|price|currency|cost")
_QUERY_NAME = re.compile(r"query|statement|stmt|command|code|expr")


def normalize(name: str) -> str:
    """An argument name reduced to lower-case letters and digits ("Action_Type" -> "actiontype")."""
    return _NOT_ALNUM.sub("", name[:100].lower())


@dataclass(frozen=True)
class ActionArgument:
    """The argument that picks what a multi-action tool does, and the values it takes."""

    name: str
    values: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"args.{self.name}"


@dataclass(frozen=True)
class SchemaFacts:
    action: ActionArgument | None
    # (argument name, "shell" | "sql") for arguments that take code.
    code_arguments: tuple[tuple[str, str], ...]
    money_arguments: tuple[str, ...]
    force_arguments: tuple[str, ...]


_EMPTY = SchemaFacts(None, (), (), ())


def top_properties(schema: Any) -> list[tuple[str, dict[str, Any]]]:
    """(name, schema) of the top-level properties, capped, skipping anything malformed."""
    if not isinstance(schema, dict):
        return []
    props = schema.get("properties")
    if not isinstance(props, dict):
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for name, prop in props.items():
        if isinstance(name, str) and isinstance(prop, dict):
            out.append((name, prop))
            if len(out) >= MAX_PROPERTIES:
                break
    return out


def _enum_values(prop: dict[str, Any], depth: int = 0) -> list[str] | None:
    """String values of an `enum`/`const`, also inside anyOf/oneOf/allOf (Optional[...] enums)."""
    enum = prop.get("enum")
    if isinstance(enum, list):
        return [v for v in enum[:MAX_ENUM_VALUES] if isinstance(v, str)]
    const = prop.get("const")
    if isinstance(const, str):
        return [const]
    if depth >= 2:
        return None
    found: list[str] | None = None
    for key in ("anyOf", "oneOf", "allOf"):
        options = prop.get(key)
        if not isinstance(options, list):
            continue
        for option in options[:MAX_VARIANTS]:
            if isinstance(option, dict):
                values = _enum_values(option, depth + 1)
                if values:
                    found = (found or []) + values
    return found


def _dedupe(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value and len(value) <= 200:
            seen.setdefault(value, None)
        if len(seen) >= MAX_ENUM_VALUES:
            break
    return tuple(seen)


def _preference(normalized: str) -> int:
    # "action" beats "operation" beats "mode"...: the order of ACTION_ARGUMENT_ORDER.
    try:
        return _ACTION_ORDER.index(normalized)
    except ValueError:
        return len(_ACTION_ORDER)


_ACTION_ORDER = (
    "action", "operation", "op", "actiontype", "operationtype", "actionname", "operationname",
    "method", "command", "cmd", "subcommand", "verb", "mode",
)
assert set(_ACTION_ORDER) == ACTION_ARGUMENTS


def _action_argument(schema: dict[str, Any], props: list[tuple[str, dict[str, Any]]]
                     ) -> ActionArgument | None:
    best: tuple[int, str, tuple[str, ...]] | None = None
    for name, prop in props:
        key = normalize(name)
        if key not in ACTION_ARGUMENTS:
            continue
        values = _enum_values(prop)
        if not values:
            continue
        values_t = _dedupe(values)
        if len(values_t) >= 2 and (best is None or _preference(key) < best[0]):
            best = (_preference(key), name, values_t)
    if best is None:
        # A discriminated union at the top: {"oneOf": [{"properties": {"action": {"const": ..}}}]}
        merged: dict[str, list[str]] = {}
        for key in ("oneOf", "anyOf"):
            variants = schema.get(key)
            if not isinstance(variants, list):
                continue
            for variant in variants[:MAX_VARIANTS]:
                for name, prop in top_properties(variant):
                    if normalize(name) in ACTION_ARGUMENTS:
                        values = _enum_values(prop)
                        if values:
                            merged.setdefault(name, []).extend(values)
        for name, values in merged.items():
            values_t = _dedupe(values)
            pref = _preference(normalize(name))
            if len(values_t) >= 2 and (best is None or pref < best[0]):
                best = (pref, name, values_t)
    if best is None:
        return None
    return ActionArgument(best[1], best[2])


def _is_textual(prop: dict[str, Any]) -> bool:
    """Could this argument hold free text (a string without an enum)?"""
    if "enum" in prop or "const" in prop:
        return False
    kind = prop.get("type")
    if kind is None:
        options = prop.get("anyOf") or prop.get("oneOf")
        if isinstance(options, list):
            return any(isinstance(o, dict) and o.get("type") == "string" for o in options[:10])
        return True
    if isinstance(kind, list):
        return "string" in kind
    return kind == "string"


def inspect_schema(schema: Any) -> SchemaFacts:
    """Everything the classifier wants from an input schema, in one pass over its properties."""
    if not isinstance(schema, dict):
        return _EMPTY
    props = top_properties(schema)
    action = _action_argument(schema, props)
    code: list[tuple[str, str]] = []
    money: list[str] = []
    force: list[str] = []
    for name, prop in props:
        key = normalize(name)
        if action is not None and name == action.name:
            continue
        if key in FORCE_ARGUMENTS:
            force.append(name)
        if key in MONEY_ARGUMENTS or _MONEY_NAME.search(key):
            money.append(name)
        if not _is_textual(prop):
            continue
        if key in SHELL_ARGUMENTS:
            code.append((name, "shell"))
            continue
        if key in SQL_ARGUMENTS:
            code.append((name, "sql"))
            continue
        description = prop.get("description")
        if isinstance(description, str) and description:
            text = description[:_DESCRIPTION_WINDOW]
            if _SHELL_TEXT.search(text):
                code.append((name, "shell"))
            elif _QUERY_NAME.search(key) and _SQL_TEXT.search(text):
                # "query: SELECT SQL query to execute"; a "database: the SQL database" is no code.
                code.append((name, "sql"))
    return SchemaFacts(action, tuple(code), tuple(money), tuple(force))
