"""Risk classification of MCP tools and the starting policies built from it.

`classify(tool)` gives a category (Read, Write, Execute, Destructive, Financial, Other), a
severity, a confidence and the evidence a person can check; `presets.build_policy` turns the
classifications of a server's tools into a starting policy.

Names load on first use (PEP 562), so the command line can read `risk.categories` without
loading the classifier.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policytui.risk.categories import (
        CATEGORIES,
        CATEGORY_RANK,
        DEFAULT_SEVERITY,
        SEVERITIES,
        normalize_category,
        risk_key,
    )
    from policytui.risk.classifier import ActionRisk, Classification, classify, classify_all

# name -> the submodule that defines it
_HOMES = {
    "CATEGORIES": "categories",
    "CATEGORY_RANK": "categories",
    "DEFAULT_SEVERITY": "categories",
    "SEVERITIES": "categories",
    "normalize_category": "categories",
    "risk_key": "categories",
    "ActionRisk": "classifier",
    "Classification": "classifier",
    "classify": "classifier",
    "classify_all": "classifier",
}

__all__ = [
    "ActionRisk",
    "CATEGORIES",
    "CATEGORY_RANK",
    "Classification",
    "DEFAULT_SEVERITY",
    "SEVERITIES",
    "classify",
    "classify_all",
    "normalize_category",
    "risk_key",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
