"""Older policy shapes seen in the wild, rewritten into the current one.

Only one is known: a per-tool `"rate_limit": {"max": 10, "window": 60}` with the window in
seconds. It becomes a `limits` entry `{"counter": "<tool>_rate", "window": "minute", "max": 10}`
(the counter name follows the documented `manage_flow_rate` example). The caller reports each
rewrite as a warning, so the user knows that saving will write the new form.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from policytui.policy.jsonpos import Location

LEGACY_WINDOWS = {60: "minute", 3600: "hour", 86400: "day"}
LEGACY_KEYS = ("max", "window")


# NamedTuple and a plain class rather than dataclasses: `dataclasses` loads `inspect`, `ast`
# and `dis`, about a tenth of a `policytui validate` process.
class LegacyNote(NamedTuple):
    location: Location
    message: str
    # Point at the key ("rate_limit") rather than its value.
    at_key: bool = False


class Upgrade:
    """The upgraded document plus what was rewritten (warnings) or could not be (errors)."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.warnings: list[LegacyNote] = []
        self.errors: list[LegacyNote] = []


def legacy_counter_name(tool: str) -> str:
    """The counter a legacy per-tool rate limit is given: `<tool>_rate`."""
    return f"{tool}_rate"


def upgrade_document(document: Any) -> Upgrade:
    """Rewrite legacy shapes in (a shallow-rebuilt copy of) `document`; never raises."""
    result = Upgrade(document)
    if not isinstance(document, dict):
        return result
    tools = document.get("tools")
    if not isinstance(tools, dict):
        return result
    new_tools: dict[str, Any] = {}
    changed = False
    for name, rule in tools.items():
        if isinstance(rule, dict) and "rate_limit" in rule:
            new_rule = _upgrade_rule(name, rule, result)
            if new_rule is not None:
                new_tools[name] = new_rule
                changed = True
                continue
        new_tools[name] = rule
    if changed:
        result.document = {k: (new_tools if k == "tools" else v) for k, v in document.items()}
    return result


def _upgrade_rule(name: str, rule: dict[str, Any], result: Upgrade) -> dict[str, Any] | None:
    """The rule with `rate_limit` turned into a limit, or None if it cannot be (errors noted)."""
    where: Location = ("tools", name, "rate_limit")
    legacy = rule["rate_limit"]
    if not isinstance(legacy, dict):
        result.errors.append(LegacyNote(where, 'legacy "rate_limit" must be an object like '
                                        '{"max": 10, "window": 60}'))
        return _without_rate_limit(rule)
    ok = True
    for key in legacy:
        if key not in LEGACY_KEYS:
            result.errors.append(LegacyNote(where + (key,), f'unknown key "{key}" in legacy '
                                            '"rate_limit" (it takes max and window)', at_key=True))
            ok = False
    for key in LEGACY_KEYS:
        if key not in legacy:
            result.errors.append(LegacyNote(where, f'legacy "rate_limit" is missing "{key}"'))
            ok = False
    max_calls: Any = legacy.get("max")
    if "max" in legacy and not (_is_int(max_calls) and max_calls >= 1):
        result.errors.append(LegacyNote(where + ("max",), "max must be a whole number of at "
                                        f"least 1, not {_show(max_calls)}"))
        ok = False
    seconds: Any = legacy.get("window")
    window = LEGACY_WINDOWS.get(int(seconds)) if _is_int(seconds) else None
    if "window" in legacy and window is None:
        result.errors.append(LegacyNote(where + ("window",), f"{_show(seconds)} is not a legacy "
                                        "window; use 60 (minute), 3600 (hour) or 86400 (day)"))
        ok = False
    limits = rule.get("limits", [])
    if not isinstance(limits, list):
        ok = False  # the schema reports the broken "limits"; nothing to append to
    if not ok:
        return _without_rate_limit(rule)
    limit = {"counter": legacy_counter_name(name), "window": window, "max": int(max_calls)}
    index = len(limits)
    result.warnings.append(LegacyNote(
        where,
        f'legacy "rate_limit" was rewritten as limits[{index}] (counter '
        f'"{limit["counter"]}", {limit["max"]} per {window}); saving writes the new form',
        at_key=True,
    ))
    new_rule: dict[str, Any] = {}
    for key, value in rule.items():
        if key == "rate_limit":
            if "limits" not in rule:
                new_rule["limits"] = [limit]
        elif key == "limits":
            new_rule["limits"] = [*limits, limit]
        else:
            new_rule[key] = value
    return new_rule


def _without_rate_limit(rule: dict[str, Any]) -> dict[str, Any]:
    # Its problems are already reported; dropping it keeps the schema from reporting it again
    # as an unknown key. The document stays invalid, so nothing is saved.
    return {k: v for k, v in rule.items() if k != "rate_limit"}


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _show(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
