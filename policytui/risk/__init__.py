"""Risk classification of MCP tools and the starting policies built from it.

`classify(tool)` gives a category (Read, Write, Execute, Destructive, Financial, Other), a
severity, a confidence and the evidence a person can check; `presets.build_policy` turns the
classifications of a server's tools into a starting policy.
"""

from policytui.risk.categories import (
    CATEGORIES,
    CATEGORY_RANK,
    DEFAULT_SEVERITY,
    SEVERITIES,
    normalize_category,
    risk_key,
)
from policytui.risk.classifier import ActionRisk, Classification, classify, classify_all

__all__ = [
    "CATEGORIES",
    "CATEGORY_RANK",
    "DEFAULT_SEVERITY",
    "SEVERITIES",
    "ActionRisk",
    "Classification",
    "classify",
    "classify_all",
    "normalize_category",
    "risk_key",
]
