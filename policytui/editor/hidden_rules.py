"""The rules of hidden tools, kept in the policy file for as long as the tools stay hidden.

Hiding a tool sets its rule aside (`hide` wins, so the rule would never apply, and the
validator would warn about it), and deciding the tool again brings the rule back. Set aside
only in memory, the rule was gone once the policy was saved and the editor closed: the tool
came back from hiding without its limits and conditions. A save therefore writes them under
`x-policytui.hidden_rules`, extension data that the gateway, `check` and `validate` leave
alone, and the next editor of the policy takes them back out of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policytui.policy.model import Policy, ToolRule
from policytui.textsafe import clip

META_KEY = "x-policytui"
HIDDEN_RULES = "hidden_rules"


def take_kept_rules(policy: Policy) -> tuple[dict[str, ToolRule], list[str]]:
    """The rules a save kept for hidden tools, taken out of `policy`'s metadata (so the live
    document holds each rule once), and a sentence for each entry left out because it is no
    valid rule (edited by hand): a save would drop it, and the user is told so. Only the rules
    of tools still hidden and without a rule of their own come back; the others are stale and
    go quietly."""
    meta = policy.extensions.get(META_KEY)
    if not isinstance(meta, dict) or HIDDEN_RULES not in meta:
        return {}, []
    meta = dict(meta)
    stored = meta.pop(HIDDEN_RULES)
    if meta:
        policy.extensions[META_KEY] = meta
    else:
        del policy.extensions[META_KEY]
    where = f"{META_KEY}.{HIDDEN_RULES}"
    if not isinstance(stored, dict):
        return {}, [f"{where} is not an object of rules by tool name; it was dropped"]
    kept: dict[str, ToolRule] = {}
    dropped: list[str] = []
    for name, document in stored.items():
        if not isinstance(name, str) or not policy.is_hidden(name) or policy.rule(name) is not None:
            continue
        try:
            kept[name] = ToolRule.model_validate(document)
        except (ValueError, TypeError) as exc:
            dropped.append(f"{where}.{clip(name, 80)} is not a valid rule ({_first_error(exc)}); "
                           "it was dropped")
    return kept, dropped


def _first_error(exc: Exception) -> str:
    """The first of a rule's errors in a few words (pydantic's message spans many lines)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        path = ".".join(str(part) for part in error.get("loc", ()))
        return clip(f"{path}: {error.get('msg', '')}" if path else str(error.get("msg", "")), 200)
    return clip(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 200)


def with_kept_rules(meta: Any, policy: Policy, set_aside: Mapping[str, ToolRule]) -> Any:
    """`meta` (x-policytui as a save writes it, or None) with the rules set aside for tools
    that are still hidden and have no rule of their own."""
    kept = {name: rule.to_document() for name, rule in set_aside.items()
            if policy.is_hidden(name) and policy.rule(name) is None}
    if isinstance(meta, dict):
        # Any hidden_rules already in `meta` are not the set-aside rules in force: never kept.
        meta = {key: value for key, value in meta.items() if key != HIDDEN_RULES}
        return {**meta, HIDDEN_RULES: kept} if kept else meta
    return {HIDDEN_RULES: kept} if kept else meta
