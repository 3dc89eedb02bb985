"""Tools whose action argument picks what they do (`action: get | delete`): the risk of each
action value, and the worst of them as the tool's verdict."""

from __future__ import annotations

from functools import lru_cache

from policytui.risk import vocabulary as v
from policytui.risk.categories import (
    CRITICAL,
    DESTRUCTIVE,
    FINANCIAL,
    LOW,
    OTHER,
    READ,
    WRITE,
    risk_key,
)
from policytui.risk.findings import ActionRisk, Verdict, quote
from policytui.risk.kinds import KIND_ORDER, KIND_RISK, KIND_TEXT
from policytui.risk.money import financial, quoted_word
from policytui.risk.names import name_verbs
from policytui.risk.schema import ActionArgument
from policytui.risk.words import visible_token

# Argument names that always pick what a tool does (a "mode" or "method" may be a setting).
CHOOSERS = frozenset("action actions operation op command cmd subcommand actiontype "
                     "operationtype".split())

# Action values that keep a reader's enum an action selector rather than a filter.
GRAVE_ACTIONS = frozenset((v.MODIFY, v.REMOVE, v.EXECUTE))


def action_kinds(values: tuple[str, ...]) -> list[str | None]:
    return [action_kind(value) for value in values]


@lru_cache(maxsize=4096)
def action_kind(value: str) -> str | None:
    """The kind of verb an action value (or a step to perform) names, None without one."""
    return name_verbs(value).kind


def _action_risk(value: str, money: bool, subject: tuple[str, ...]) -> ActionRisk:
    category, severity, evidence = _action_risk_cached(value, money, subject)
    return ActionRisk(category, severity, list(evidence))


@lru_cache(maxsize=4096)
def _action_risk_cached(value: str, money: bool, subject: tuple[str, ...]
                        ) -> tuple[str, str, tuple[str, ...]]:
    """The risk of one action value. Cached: the same few actions ("get", "delete") recur
    across every multi-action tool of a server."""
    verbs = name_verbs(value)
    shown = quote(value)
    if verbs.kind is None or verbs.verb is None:
        return OTHER, LOW, (f"action {shown}: no known verb",)
    if verbs.lexicon and verbs.kind == v.READ:
        # A read only by the public API lexicon is a weak sign: the action takes what the
        # tool's own name and description say, as one with no known verb does.
        return OTHER, LOW, (f"action {shown}: verb {quoted_word(verbs.verb)} reads in cloud "
                            "APIs, not enough alone",)
    kind = verbs.kind
    for _, other in verbs.alternatives:
        if KIND_ORDER[other] > KIND_ORDER[kind]:
            kind = other
    category, severity = KIND_RISK[kind]
    evidence = [f"action {shown}: verb {quoted_word(verbs.verb)} {KIND_TEXT[verbs.kind]}"
                + (", as cloud APIs use it (public API lexicon)" if verbs.lexicon else "")]
    # A bare verb ("create") acts on what the tool's name is about ("manage_invoices").
    words = verbs.words if len(verbs.words) > 1 or not subject else verbs.words + list(subject)
    if category != FINANCIAL and financial(kind, verbs.verb, words, lambda: money,
                                            evidence, "action"):
        category, severity = FINANCIAL, CRITICAL
    elif category in (WRITE, DESTRUCTIVE) and severity != CRITICAL and verbs.forced:
        evidence.append(f"action {shown} says 'force'")
        category, severity = DESTRUCTIVE, CRITICAL
    return category, severity, tuple(evidence)


def multi_action_verdict(action: ActionArgument, money: bool, subject: tuple[str, ...],
           fallback: Verdict | None = None) -> tuple[Verdict, dict[str, ActionRisk]]:
    """The worst of the actions decides. An action with no known verb takes the reading of
    the tool's own name and description (`fallback`) when that says something, else Other."""
    actions: dict[str, ActionRisk] = {}
    reads: list[str] = []
    unknown: list[str] = []
    worst_action = ""
    worst_key = (-1, -1, -1)
    for value in action.values:
        risk = _action_risk(value, money, subject)
        if risk.category == OTHER and fallback is not None and fallback.category != OTHER:
            risk = ActionRisk(fallback.category, fallback.severity,
                              risk.evidence + [f"the tool's name and description say "
                                               f"{fallback.category}"])
        actions[value] = risk
        if risk.category == READ:
            reads.append(value)
        elif risk.category == OTHER:
            unknown.append(value)  # only an action with no known verb is Other
        key = risk_key(risk.category, risk.severity)
        if key > worst_key:
            worst_key, worst_action = key, value
    worst = actions[worst_action]
    evidence = [f"multi-action tool: argument {quote(action.name)} selects one of "
                f"{len(actions)} actions"]
    if worst.category != READ:
        evidence.append(f"action enum includes {quote(worst_action)} ({worst.category})")
    if reads:
        evidence.append("read actions: " + ", ".join(visible_token(a, 30) for a in reads[:20]))
    if unknown:
        evidence.append("actions with no known verb: "
                        + ", ".join(visible_token(a, 30) for a in unknown[:20]))
    confidence = 0.6 + 0.25 * ((len(actions) - len(unknown)) / len(actions))
    verdict = Verdict(worst.category, worst.severity, round(confidence, 2), evidence)
    return verdict, actions


