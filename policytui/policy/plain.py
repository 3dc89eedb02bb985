"""A policy document checked and read as plain JSON data, without pydantic.

`policytui validate` and `policytui check` read one file and exit, so loading pydantic and
building some 25,000 model objects for a 10,000-tool policy is most of their run time. For
them, `accepts` checks the plain document against exactly the rules the model applies
(`rules` holds the shared vocabulary and value checks; a differential test over generated
documents keeps the two in agreement), and `PolicyView` reads the accepted document through
the same attributes the model has, so the semantic checks and the one decision function
(`policytui.decision.decide`) run on it unchanged.

Only acceptance is decided here. When `accepts` says no, the caller hands the document to the
full validator, which explains every problem with its line and column. Never imports pydantic.
"""

from __future__ import annotations

from operator import itemgetter, methodcaller
from typing import Any

from policytui.policy.jsonpos import MAX_DEPTH
from policytui.policy.rules import (
    ACTIONS,
    DEFAULTS,
    MAX_CALLS,
    OPS,
    PATH_RE,
    SCOPES,
    WINDOWS,
    describe_condition,
    value_problem,
)

_POLICY_KEYS = frozenset({"$schema", "version", "default", "hide", "all_tools", "tools"})
_ALL_TOOLS_KEYS = frozenset({"limits"})
_CONDITION_KEYS = frozenset({"path", "op", "value"})
_LIMIT_KEYS = frozenset({"counter", "window", "max", "scope"})
_CONDITION_LISTS = frozenset({"require", "deny_if", "require_approval_if"})
_WINDOWS = frozenset(WINDOWS)
_SCOPES = frozenset(SCOPES)
_ACTIONS = frozenset(ACTIONS)
_DEFAULTS = frozenset(DEFAULTS)
_OPS = frozenset(OPS)
_MISSING: Any = object()


class _Refused(Exception):
    """The model would refuse the document, or this check cannot vouch for it."""


def accepts(document: Any) -> int | None:
    """If the policy model accepts `document` (legacy shapes already rewritten): how many ":"
    its JSON text holds when no key in it is repeated - one per object member, plus those
    inside its strings. Callers compare this with the text to rule out repeated keys (which
    json.loads drops silently). None if the model would refuse the document, or if it nests
    deeper than the validator allows (MAX_DEPTH): the full validator then says why.

    Keys this module knows (`version`, `limits`, ...) hold no colon; every other key and every
    string value is counted.
    """
    try:
        return _policy(document)
    except _Refused:
        return None


def _colons(text: str) -> int:
    return text.count(":") if ":" in text else 0


def _policy(doc: Any) -> int:
    if type(doc) is not dict:
        raise _Refused
    count = len(doc)
    if not _POLICY_KEYS.issuperset(doc):
        count += _extensions(doc, _POLICY_KEYS, 0)
    version = doc.get("version")
    if type(version) is not str or version != "1":
        raise _Refused
    default = doc.get("default")
    if type(default) is not str or default not in _DEFAULTS:
        raise _Refused
    schema = doc.get("$schema", _MISSING)
    if schema is not _MISSING:
        if type(schema) is not str:
            raise _Refused
        count += _colons(schema)
    hide = doc.get("hide", _MISSING)
    if hide is not _MISSING:
        if type(hide) is not list:
            raise _Refused
        for name in hide:
            if type(name) is not str or not name:
                raise _Refused
        count += _colons("".join(hide))
    all_tools = doc.get("all_tools", _MISSING)
    if all_tools is not _MISSING:
        if type(all_tools) is not dict:
            raise _Refused
        count += len(all_tools)
        if not _ALL_TOOLS_KEYS.issuperset(all_tools):
            count += _extensions(all_tools, _ALL_TOOLS_KEYS, 1)
        limits = all_tools.get("limits", _MISSING)
        if limits is not _MISSING:
            count += _limits(limits, 2)
    tools = doc.get("tools", _MISSING)
    if tools is not _MISSING:
        if type(tools) is not dict or "" in tools:
            raise _Refused
        count += len(tools) + _colons("".join(tools))
        condition_lists = _CONDITION_LISTS
        for rule in tools.values():
            if type(rule) is not dict:
                raise _Refused
            count += len(rule)
            # A rule has every key optional: going over the keys it has is cheaper than
            # asking for each key it could have (10,000 rules).
            for key, value in rule.items():
                if key == "limits":
                    count += _limits(value, 3)
                elif key in condition_lists:
                    count += _conditions(value)
                elif key == "action":
                    if type(value) is not str or value not in _ACTIONS:
                        raise _Refused
                elif key == "reason":
                    if type(value) is not str:
                        raise _Refused
                    if ":" in value:
                        count += value.count(":")
                else:
                    count += _extension(key, value, 2)
    return count


def _conditions(conditions: Any) -> int:
    """The colons of a list of conditions (at depth 3 of the document)."""
    if type(conditions) is not list:
        raise _Refused
    count = 0
    for condition in conditions:
        if type(condition) is not dict:
            raise _Refused
        count += len(condition)
        if not _CONDITION_KEYS.issuperset(condition):
            count += _extensions(condition, _CONDITION_KEYS, 4)
        path = condition.get("path")
        if type(path) is not str or not PATH_RE.match(path):
            raise _Refused
        if ":" in path:
            count += path.count(":")
        op = condition.get("op")
        if type(op) is not str or op not in _OPS:
            raise _Refused
        value = condition.get("value", _MISSING)
        if value is _MISSING or value_problem(op, value) is not None:
            raise _Refused
        kind = type(value)
        if kind is dict or kind is list:
            count += _free(value, 5)
        elif kind is str and ":" in value:
            count += value.count(":")
    return count


def _limits(limits: Any, depth: int) -> int:
    """The colons of a list of limits at `depth` of the document."""
    if type(limits) is not list:
        raise _Refused
    count = 0
    for limit in limits:
        if type(limit) is not dict:
            raise _Refused
        count += len(limit)
        if not _LIMIT_KEYS.issuperset(limit):
            count += _extensions(limit, _LIMIT_KEYS, depth + 1)
        counter = limit.get("counter")
        if type(counter) is not str or not counter:
            raise _Refused
        if ":" in counter:
            count += counter.count(":")
        window = limit.get("window")
        if type(window) is not str or window not in _WINDOWS:
            raise _Refused
        most = limit.get("max")
        # As the model: a whole-number float (JSON's 30.0) counts as the integer; never a bool.
        if type(most) is float and most.is_integer():
            most = int(most)
        if type(most) is not int or not 1 <= most <= MAX_CALLS:
            raise _Refused
        scope = limit.get("scope", _MISSING)
        if scope is not _MISSING and (type(scope) is not str or scope not in _SCOPES):
            raise _Refused
    return count


def _extensions(obj: dict[str, Any], known: frozenset[str], depth: int) -> int:
    """The colons in the `x-*` members of an object at `depth` (their keys and values, beyond
    the one after each key); any other unknown key refuses."""
    count = 0
    for key, value in obj.items():
        if key not in known:
            count += _extension(key, value, depth)
    return count


def _extension(key: str, value: Any, depth: int) -> int:
    """The colons of one member that is no field of its object (at `depth`): an `x-*` key's
    key and value; any other key refuses."""
    if not key.startswith("x-"):
        raise _Refused
    count = _colons(key)
    kind = type(value)
    if kind is dict or kind is list:
        count += _free(value, depth + 1)
    elif kind is str:
        count += _colons(value)
    return count


def _free(value: dict[str, Any] | list[Any], depth: int) -> int:
    """The colons of free-form JSON (extension data, a condition's value) at `depth`.

    Refuses a container from one level above MAX_DEPTH on: the full validator decides there.
    """
    if depth >= MAX_DEPTH - 1:
        raise _Refused
    count = 0
    if type(value) is dict:
        count = len(value) + _colons("".join(value))
        items: Any = value.values()
    else:
        items = value
    for item in items:
        kind = type(item)
        if kind is dict or kind is list:
            count += _free(item, depth + 1)
        elif kind is str and ":" in item:
            count += item.count(":")
    return count


# ---------------------------------------------------------------- reading an accepted document


class ConditionView:
    """A condition of an accepted document, read like `model.Condition`."""

    __slots__ = ("path", "op", "value")

    def __init__(self, data: dict[str, Any]) -> None:
        self.path: str = data["path"]
        self.op: str = data["op"]
        self.value: Any = data["value"]

    def describe(self) -> str:
        return describe_condition(self.path, self.op, self.value)


class LimitView(dict[str, Any]):
    """A limit of an accepted document, read like `model.Limit`: a copy of its JSON object
    (made at C speed; the semantic checks read every limit of a large policy)."""

    __slots__ = ()

    counter = property(itemgetter("counter"))
    window = property(itemgetter("window"))

    @property
    def max(self) -> int:
        # The model turns JSON's 30.0 into 30; messages must read the same.
        return int(self["max"])

    scope = property(methodcaller("get", "scope"))

    @property
    def effective_scope(self) -> str:
        return self.get("scope") or "grant"

    def describe(self) -> str:
        return f"{self.max}/{self.window} ({self.counter}, {self.effective_scope})"


def _condition_list(data: dict[str, Any], key: str) -> list[ConditionView] | None:
    items = data.get(key)
    return None if items is None else [ConditionView(item) for item in items]


def _limit_list(data: dict[str, Any]) -> list[LimitView] | None:
    items = data.get("limits")
    return None if items is None else list(map(LimitView, items))


class RuleView:
    """A tool rule of an accepted document, read like `model.ToolRule` (lists built on use)."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def action(self) -> str | None:
        return self._data.get("action")

    @property
    def effective_action(self) -> str:
        return self._data.get("action") or "allow"

    @property
    def reason(self) -> str | None:
        return self._data.get("reason")

    @property
    def require(self) -> list[ConditionView] | None:
        return _condition_list(self._data, "require")

    @property
    def deny_if(self) -> list[ConditionView] | None:
        return _condition_list(self._data, "deny_if")

    @property
    def require_approval_if(self) -> list[ConditionView] | None:
        return _condition_list(self._data, "require_approval_if")

    @property
    def limits(self) -> list[LimitView] | None:
        items = self._data.get("limits")
        return None if items is None else list(map(LimitView, items))

    @property
    def extensions(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k.startswith("x-")}


class AllToolsView:
    """`all_tools` of an accepted document, read like `model.AllTools`."""

    __slots__ = ("limits",)

    def __init__(self, data: dict[str, Any]) -> None:
        self.limits = _limit_list(data)


class PolicyView:
    """A document `accepts` accepted, read through the attributes of `model.Policy`.

    Read-only, and it reads the caller's data: do not change the document while it is in use.
    """

    __slots__ = ("version", "default", "hide", "all_tools", "extensions", "_rules", "_views")

    def __init__(self, document: dict[str, Any]) -> None:
        self.version: str = document["version"]
        self.default: str = document["default"]
        self.hide: list[str] | None = document.get("hide")
        all_tools = document.get("all_tools")
        self.all_tools = None if all_tools is None else AllToolsView(all_tools)
        self._rules: dict[str, Any] | None = document.get("tools")
        self._views: dict[str, RuleView] | None = None
        self.extensions = {k: v for k, v in document.items() if k.startswith("x-")}

    @property
    def tools(self) -> dict[str, RuleView] | None:
        """Every rule's view, made on first use (deciding one call needs only `rule`)."""
        if self._views is None and self._rules is not None:
            # A view only holds its rule's dict; its lists are built when read.
            self._views = {name: RuleView(rule) for name, rule in self._rules.items()}
        return self._views

    def is_hidden(self, tool: str) -> bool:
        return bool(self.hide) and ("*" in self.hide or tool in self.hide)  # type: ignore[operator]

    def rule(self, tool: str) -> RuleView | None:
        data = (self._rules or {}).get(tool)
        return None if data is None else RuleView(data)
