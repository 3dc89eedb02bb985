"""Risk categories, severities, and how to compare them.

A category says what a tool does (reads, writes, runs code, destroys, moves money); a severity
says how bad a mistake with it can be. Each category has a default severity, and evidence can
move it (a tool that runs shell commands is Execute but Critical; a tool that edits existing
data in place is Destructive but High rather than Critical).
"""

from __future__ import annotations

READ = "Read"
WRITE = "Write"
EXECUTE = "Execute"
DESTRUCTIVE = "Destructive"
FINANCIAL = "Financial"
OTHER = "Other"

CATEGORIES: tuple[str, ...] = (READ, WRITE, EXECUTE, DESTRUCTIVE, FINANCIAL, OTHER)

LOW = "Low"
MEDIUM = "Medium"
HIGH = "High"
CRITICAL = "Critical"

SEVERITIES: tuple[str, ...] = (LOW, MEDIUM, HIGH, CRITICAL)
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}

DEFAULT_SEVERITY: dict[str, str] = {
    READ: LOW,
    OTHER: LOW,
    WRITE: MEDIUM,
    EXECUTE: HIGH,
    DESTRUCTIVE: CRITICAL,
    FINANCIAL: CRITICAL,
}

# "Worst" order: Destructive/Financial > Execute > Write > Other > Read. Other ranks above Read
# because an unknown tool is a bigger surprise than a known reader.
CATEGORY_RANK: dict[str, int] = {
    READ: 0,
    OTHER: 1,
    WRITE: 2,
    EXECUTE: 3,
    DESTRUCTIVE: 4,
    FINANCIAL: 4,
}
# Ties (same rank and severity) are broken by this fixed order, so "worst" is deterministic.
_TIE_BREAK: dict[str, int] = {FINANCIAL: 5, DESTRUCTIVE: 4, EXECUTE: 3, WRITE: 2, OTHER: 1, READ: 0}

_BY_LOWER: dict[str, str] = {c.lower(): c for c in CATEGORIES}


def normalize_category(value: object) -> str | None:
    """The canonical spelling of a category name ("read" -> "Read"), or None if it is not one."""
    if not isinstance(value, str):
        return None
    return _BY_LOWER.get(value.strip().lower())


def risk_key(category: str, severity: str) -> tuple[int, int, int]:
    """A sort key: larger means riskier (category rank, then severity, then a fixed order)."""
    return (
        CATEGORY_RANK.get(category, 1),
        SEVERITY_RANK.get(severity, 0),
        _TIE_BREAK.get(category, 0),
    )
