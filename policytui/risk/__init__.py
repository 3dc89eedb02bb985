"""Risk classification of MCP tools and the starting policies built from it.

`classify(tool)` gives a category (Read, Write, Execute, Destructive, Financial, Other), a
severity, a confidence and the evidence a person can check; `presets.build_policy` turns the
classifications of a server's tools into a starting policy.

Names load on first use (PEP 562), so the command line can read `risk.categories` without
loading the classifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policytui.lazy import lazy_names

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

# name -> the submodule that defines it (see policytui.lazy)
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


__getattr__, __dir__ = lazy_names(__name__, _HOMES)
