"""What each kind of verb means: its risk category and severity, how it ranks, and how
evidence lines describe it (the kinds are defined in `vocabulary`)."""

from __future__ import annotations

from policytui.risk import vocabulary as v
from policytui.risk.categories import (
    CRITICAL,
    DEFAULT_SEVERITY,
    DESTRUCTIVE,
    EXECUTE,
    FINANCIAL,
    HIGH,
    LOW,
    READ,
    WRITE,
)

# kind -> (category, severity)
KIND_RISK: dict[str, tuple[str, str]] = {
    v.READ: (READ, LOW),
    v.WRITE: (WRITE, DEFAULT_SEVERITY[WRITE]),
    v.MODIFY: (DESTRUCTIVE, HIGH),
    v.REMOVE: (DESTRUCTIVE, CRITICAL),
    v.EXECUTE: (EXECUTE, HIGH),
    v.MONEY: (FINANCIAL, CRITICAL),
}
KIND_ORDER: dict[str, int] = {
    v.READ: 0, v.WRITE: 1, v.EXECUTE: 2, v.MODIFY: 3, v.REMOVE: 4, v.MONEY: 5,
}
# What a kind means, for evidence lines.
KIND_TEXT: dict[str, str] = {
    v.READ: "reads",
    v.WRITE: "adds or changes state",
    v.MODIFY: "changes existing data",
    v.REMOVE: "removes or destroys",
    v.EXECUTE: "runs something",
    v.MONEY: "moves money",
}
CONNECTORS = frozenset(("or", "and", "then"))
