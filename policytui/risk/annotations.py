"""Annotation hints with their provenance: declared by the server or the spec's default, and
contradicted when the tool's own words disagree. Hints are untrusted (the spec says so): they
can make a tool riskier, never safer than its words."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from policytui.risk.categories import (
    CRITICAL,
    DEFAULT_SEVERITY,
    DESTRUCTIVE,
    EXECUTE,
    FINANCIAL,
    HIGH,
    LOW,
    MEDIUM,
    OTHER,
    READ,
    WRITE,
    risk_key,
)
from policytui.risk.findings import (
    DECLARED,
    DISAGREE,
    OPEN_WORLD,
    SPEC_DEFAULT,
    SPEC_DEFAULTS,
    SUSPICIOUS,
    ActionRisk,
    HintFact,
    Verdict,
    quote,
)

_DEFAULT_HINTS: dict[str, HintFact] = {
    key: HintFact(default, SPEC_DEFAULT) for key, default in SPEC_DEFAULTS.items()}


# A hint declared true or false: one shared fact each, as the defaults are (a HintFact is
# frozen, and building one costs more than the rest of this stage).
_DECLARED_HINTS = {True: HintFact(True, DECLARED), False: HintFact(False, DECLARED)}
# The hints of every tool that declares the same ones, shared and read-only: each declared
# hint is true, false or absent, so there are at most 3**4 of them. Tools keep their hints
# with their classification, and one mapping for many keeps the cycle collector's work small.
_SHARED_HINTS: dict[tuple[bool | None, ...], Mapping[str, HintFact]] = {
    (): MappingProxyType(_DEFAULT_HINTS)}


def hint_facts(annotations: Mapping[str, Any]) -> Mapping[str, HintFact]:
    """Each hint's value and whether the server declared it or the spec's default stands (a
    read-only mapping, shared by the tools that declare the same hints)."""
    if not annotations:
        return _SHARED_HINTS[()]
    # In the order of SPEC_DEFAULTS. (Only a real bool counts: 1 or "true" is no declared hint.
    # Written out: asked of every tool that declares anything.)
    get = annotations.get
    read_only, destructive = get("readOnlyHint"), get("destructiveHint")
    idempotent, open_world = get("idempotentHint"), get("openWorldHint")
    declared = (read_only if type(read_only) is bool else None,
                destructive if type(destructive) is bool else None,
                idempotent if type(idempotent) is bool else None,
                open_world if type(open_world) is bool else None)
    facts = _SHARED_HINTS.get(declared)
    if facts is None:
        facts = MappingProxyType({
            key: default if value is None else _DECLARED_HINTS[value]
            for (key, default), value in zip(_DEFAULT_HINTS.items(), declared)})
        _SHARED_HINTS[declared] = facts
    return facts


def apply_annotations(verdict: Verdict, actions: dict[str, ActionRisk],
                      hints: Mapping[str, HintFact]) -> Mapping[str, HintFact]:
    """Declared hints can make a tool riskier, never safer than its words: the spec calls them
    untrusted. Every disagreement lowers the confidence and is recorded on the hint: the hints
    returned are `hints` itself, or a copy with the contradicted ones replaced."""
    contradicted: dict[str, str] = {}  # hint -> how the words disagree with it
    _weigh_hints(verdict, actions, hints, contradicted)
    if not contradicted:
        return hints
    return {key: HintFact(fact.value, fact.source, contradicted[key])
            if key in contradicted else fact for key, fact in hints.items()}


def _weigh_hints(verdict: Verdict, actions: dict[str, ActionRisk],
                 hints: Mapping[str, HintFact], contradicted: dict[str, str]) -> None:
    read_only = hints["readOnlyHint"]
    destructive = hints["destructiveHint"]
    open_world = hints["openWorldHint"]
    if (read_only.source != DECLARED and destructive.source != DECLARED
            and open_world.source != DECLARED):
        return  # nothing declared (most tools): the spec's defaults change nothing here
    words_said = verdict.category
    said = f"the name and description say {words_said}"
    disagreed = False
    if open_world.source == DECLARED:
        if open_world.value and OPEN_WORLD not in verdict.flags:
            verdict.flags.append(OPEN_WORLD)
            verdict.evidence.append("annotation openWorldHint=true: reaches outside systems")
        elif not open_world.value and OPEN_WORLD in verdict.flags:
            contradicted["openWorldHint"] = "the words or arguments reach outside systems"
    if read_only.source == DECLARED and read_only.value:
        risky_actions = [a for a, r in actions.items() if r.category != READ]
        if words_said in (READ, OTHER) and not risky_actions:
            # The words said nothing clear (Other): the declaration is all there is to go on,
            # and the evidence says so, above the words' own "not Read".
            verdict.evidence.insert(0, "annotation readOnlyHint=true (declared)" + (
                "" if words_said == READ else
                ": the words alone were not clear enough to say Read, so the server's "
                "declaration decides"))
            verdict.category = READ
            if verdict.severity not in (LOW, MEDIUM, HIGH):
                verdict.severity = LOW
            verdict.confidence = 0.95 if words_said == READ else 0.85
            return
        what = (f"the action {quote(risky_actions[0])} says {actions[risky_actions[0]].category}"
                if risky_actions and words_said in (READ, OTHER) else said)
        contradicted["readOnlyHint"] = what
        # Deleting or changing data, moving money or sending outward cannot be read-only: the
        # claim is suspicious. Other disagreements (a "run" that may be a noun) only disagree.
        grave = verdict.category in (DESTRUCTIVE, FINANCIAL) or verdict.outward or any(
            actions[a].category in (DESTRUCTIVE, FINANCIAL) for a in risky_actions)
        if grave:
            verdict.flags.append(SUSPICIOUS)
            verdict.evidence.insert(0, f"declared readOnlyHint=true is suspicious: {what}; the "
                                       "riskier reading wins")
        else:
            if DISAGREE not in verdict.flags:  # the words may have disagreed already
                verdict.flags.append(DISAGREE)
            verdict.evidence.insert(0, f"declared readOnlyHint=true disagrees: {what}; the "
                                       "riskier reading wins")
        verdict.against.insert(0, "annotation readOnlyHint=true (declared) would say Read")
        if verdict.category in (READ, OTHER):  # only the actions disagree
            worst = max(actions.values(), key=lambda r: risk_key(r.category, r.severity))
            verdict.category, verdict.severity = worst.category, worst.severity
        verdict.confidence = min(verdict.confidence, 0.5)
        return
    if read_only.source == DECLARED and not read_only.value:
        verdict.evidence.insert(0, "annotation readOnlyHint=false (declared)")
        if verdict.category in (READ, OTHER):
            if verdict.category == READ:
                contradicted["readOnlyHint"] = said
                verdict.against.append(f"{said}, but the server says it is not read-only")
                disagreed = True
            verdict.category, verdict.severity = WRITE, DEFAULT_SEVERITY[WRITE]
    if destructive.source == DECLARED:
        if destructive.value:
            verdict.evidence.insert(0, "annotation destructiveHint=true (declared)")
            for risk in actions.values():
                if risk.category in (WRITE, EXECUTE, OTHER):
                    # Which action destroys is not said: every action that changes something
                    # is taken to.
                    risk.evidence.append("annotation destructiveHint=true covers every action "
                                         "that changes something")
                    risk.category, risk.severity = DESTRUCTIVE, HIGH
            if verdict.category not in (DESTRUCTIVE, FINANCIAL):
                if verdict.category != OTHER:
                    verdict.against.append(f"{said}, but the server says it can destroy")
                    disagreed = True
                verdict.category, verdict.severity = DESTRUCTIVE, CRITICAL
        else:
            verdict.evidence.insert(0, "annotation destructiveHint=false (declared)")
            removing = [a for a, r in actions.items() if r.category == DESTRUCTIVE]
            if verdict.category == DESTRUCTIVE or removing:
                contradicted["destructiveHint"] = (
                    said if verdict.category == DESTRUCTIVE
                    else f"the action {quote(removing[0])} is Destructive")
                verdict.against.append("annotation destructiveHint=false (declared) would say "
                                       "it only adds; the riskier reading wins")
                disagreed = True
    if read_only.source != DECLARED and destructive.source != DECLARED:
        return
    if disagreed:
        verdict.confidence = min(verdict.confidence, 0.6)
        if DISAGREE not in verdict.flags:
            verdict.flags.append(DISAGREE)
    elif verdict.category == words_said:
        verdict.confidence = 0.95
    elif words_said == OTHER:
        verdict.confidence = 0.85  # the words said nothing; the hint is all we have
