"""A user's corrections to the classifier, kept inside the policy document.

They live under `x-policytui.overrides` as `{tool name: category}`, so they travel with the
policy file, survive load/save untouched, and are dropped by strict exports (which remove every
`x-*` key). Nothing else in `x-policytui` is touched here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policytui.policy.model import Policy
from policytui.risk.categories import CATEGORIES, normalize_category

META_KEY = "x-policytui"
OVERRIDES_KEY = "overrides"


def read_overrides(policy: Policy) -> dict[str, str]:
    """The valid overrides stored in `policy` ({tool: category}, category spelled canonically).
    Entries that are not a tool name with a known category are skipped; see `override_problems`."""
    meta = policy.extensions.get(META_KEY)
    stored = meta.get(OVERRIDES_KEY) if isinstance(meta, dict) else None
    if not isinstance(stored, dict):
        return {}
    out: dict[str, str] = {}
    for tool, value in stored.items():
        category = normalize_category(value)
        if isinstance(tool, str) and tool and category is not None:
            out[tool] = category
    return out


def override_problems(policy: Policy) -> list[str]:
    """One sentence per stored override that `read_overrides` had to skip."""
    meta = policy.extensions.get(META_KEY)
    if meta is None:
        return []
    if not isinstance(meta, dict):
        return [f"{META_KEY} is not an object, so no overrides were read from it"]
    stored = meta.get(OVERRIDES_KEY)
    if stored is None:
        return []
    if not isinstance(stored, dict):
        return [f"{META_KEY}.{OVERRIDES_KEY} is not an object of tool name -> category"]
    problems = []
    for tool, value in stored.items():
        if normalize_category(value) is None:
            problems.append(
                f"{META_KEY}.{OVERRIDES_KEY}.{tool}: {value!r} is not one of "
                f"{', '.join(CATEGORIES)}"
            )
    return problems


def write_overrides(policy: Policy, overrides: Mapping[str, Any]) -> None:
    """Store `overrides` in `policy` (in place), replacing any stored before. Categories are
    checked and spelled canonically; an empty mapping removes the key (and an `x-policytui`
    left empty). Raises ValueError naming the first bad entry."""
    clean: dict[str, str] = {}
    for tool, value in overrides.items():
        category = normalize_category(value)
        if not isinstance(tool, str) or not tool:
            raise ValueError("an override needs a tool name")
        if category is None:
            raise ValueError(
                f"{value!r} is not a risk category (use one of {', '.join(CATEGORIES)})"
            )
        clean[tool] = category
    meta = policy.extensions.get(META_KEY)
    if not isinstance(meta, dict):
        if not clean:
            return
        meta = {}
        policy.extensions[META_KEY] = meta
    if clean:
        meta[OVERRIDES_KEY] = dict(sorted(clean.items()))
    else:
        meta.pop(OVERRIDES_KEY, None)
        if not meta:
            del policy.extensions[META_KEY]
