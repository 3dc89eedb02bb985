"""What a classification is made of while it is worked out: the per-action risks, the
annotation hints with their provenance, the flags, the reading of a single-action tool as each
stage weighs it, and the verdict it ends in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policytui.risk.words import visible_token


@dataclass(slots=True)
class ActionRisk:
    """The risk of one value of a multi-action tool's action argument."""

    category: str
    severity: str
    evidence: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "severity": self.severity,
                "evidence": list(self.evidence)}


# The annotation hints a server may declare, and the value the MCP spec assumes when it does not.
SPEC_DEFAULTS: dict[str, bool] = {
    "readOnlyHint": False,
    "destructiveHint": True,
    "idempotentHint": False,
    "openWorldHint": True,
}
DECLARED = "declared"
SPEC_DEFAULT = "spec default"
# Hints the spec gives meaning only when readOnlyHint is false.
ONLY_IF_NOT_READ_ONLY = frozenset(("destructiveHint", "idempotentHint"))

# Flags a classification can carry, for people and for filters.
SUSPICIOUS = "suspicious-annotation"  # declared read-only, but the words delete, send or pay
OPEN_WORLD = "open-world"  # reaches arbitrary addresses or sends outward
SECRETS = "exposes-secrets"  # what comes back can include secrets or the environment
DISAGREE = "signals-disagree"  # the riskier of two readings was taken


@dataclass(frozen=True, slots=True)
class HintFact:
    """One annotation hint and where its value came from: declared by the server, or the spec's
    default when the server said nothing. `contradicted` says how the tool's words disagree."""

    value: bool
    source: str
    contradicted: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "source": self.source}
        if self.contradicted:
            out["contradicted"] = self.contradicted
        return out


@dataclass(slots=True)
class Reading:
    """A single-action tool's classification while its stages weigh it: what its words say
    (`wording`), whether it moves money (`money_reading`), what its arguments say
    (`argument_rules`). A later stage may only make the reading riskier, and writes why."""

    category: str
    severity: str
    confidence: int  # hundredths, so sums stay exact
    evidence: list[str]
    against: list[str]
    kind: str | None  # the riskiest kind of verb the words gave, None without one
    disagree: bool = False  # the riskier of two readings was taken
    rendered: bool = False  # it draws what it is handed: a payload is what it draws
    # (the noun, the measure, the name's own kind) when a verb of the name was read as the noun
    # a measure or a state is of ("lock_status"): an argument that sets them undoes it.
    measured: tuple[str, str, str] | None = None

    def verdict(self) -> Verdict:
        verdict = Verdict(self.category, self.severity, min(self.confidence, 95) / 100,
                          self.evidence, self.kind, self.against)
        if self.disagree:
            verdict.flags.append(DISAGREE)
        return verdict


class Verdict:
    __slots__ = ("category", "severity", "confidence", "evidence", "kind", "against", "flags",
                 "outward")

    def __init__(self, category: str, severity: str, confidence: float, evidence: list[str],
                 kind: str | None = None, against: list[str] | None = None) -> None:
        self.category = category
        self.severity = severity
        self.confidence = confidence
        self.evidence = evidence
        self.kind = kind
        self.against = against if against is not None else []
        self.flags: list[str] = []
        self.outward = False  # the words send something outward


def quote(text: str) -> str:
    """Quote server text (an argument name, an action value) for an evidence line."""
    return "'" + visible_token(text) + "'"
