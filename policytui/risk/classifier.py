"""Classify one MCP tool: a risk category and severity, how sure we are, and why.

Signals, strongest first:
1. A user's override (kept in the policy under `x-policytui.overrides`).
2. Annotations the server sent explicitly (`readOnlyHint`, `destructiveHint`); absent hints say
   nothing, and a hint that disagrees with the other signals lowers the confidence.
3. The verb in the tool name, in any naming style, after any server prefix (`github_`,
   `kestra.`). For multi-action tools, the verb of every value of the action argument.
4. The description's first sentence: its leading verb and the verbs offered as alternatives
   ("Create or update ...").
5. The input schema: arguments that take shell commands, code or SQL (Execute); amounts of
   money next to a money-moving verb (Financial); switches such as `overwrite` or `force`.

Everything here is general word lists and rules, never a list of known tool names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from policytui.risk import vocabulary as v
from policytui.risk.categories import (
    CRITICAL,
    DEFAULT_SEVERITY,
    DESTRUCTIVE,
    EXECUTE,
    FINANCIAL,
    HIGH,
    LOW,
    OTHER,
    READ,
    WRITE,
    normalize_category,
    risk_key,
)
from policytui.risk.schema import ActionArgument, SchemaFacts, inspect_schema
from policytui.risk.words import (
    DESCRIPTION_WINDOW,
    SEPARATORS,
    base_verb,
    first_sentence,
    name_words,
    sentence_tokens,
    visible_token,
)
from policytui.toolinfo import ToolInfo

# kind -> (category, severity)
_KIND_RISK: dict[str, tuple[str, str]] = {
    v.READ: (READ, LOW),
    v.WRITE: (WRITE, DEFAULT_SEVERITY[WRITE]),
    v.MODIFY: (DESTRUCTIVE, HIGH),
    v.REMOVE: (DESTRUCTIVE, CRITICAL),
    v.EXECUTE: (EXECUTE, HIGH),
    v.MONEY: (FINANCIAL, CRITICAL),
}
_KIND_ORDER: dict[str, int] = {
    v.READ: 0, v.WRITE: 1, v.EXECUTE: 2, v.MODIFY: 3, v.REMOVE: 4, v.MONEY: 5,
}
# What a kind means, for evidence lines.
_KIND_TEXT: dict[str, str] = {
    v.READ: "reads",
    v.WRITE: "adds or changes state",
    v.MODIFY: "changes existing data",
    v.REMOVE: "removes or destroys",
    v.EXECUTE: "runs something",
    v.MONEY: "moves money",
}
_CONNECTORS = frozenset(("or", "and"))
_TERMINAL_TEXT = re.compile(r"\b(?:terminal|shell|repl|command line|console|bash)\b", re.I)
_LEAD_WINDOW = 80
_NEVER_MONEY = frozenset((v.READ, v.REMOVE))  # reading or deleting never moves money
_INDIRECT = frozenset(("to", "helps", "help", "can", "will", "lets"))


@dataclass(slots=True)
class ActionRisk:
    """The risk of one value of a multi-action tool's action argument."""

    category: str
    severity: str
    evidence: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "severity": self.severity,
                "evidence": list(self.evidence)}


@dataclass(slots=True)
class Classification:
    """What a tool is, how bad a mistake with it can be, and the evidence for it.

    `actions` is the per-action breakdown of a multi-action tool (empty otherwise) and
    `action_path` the condition path of its action argument, e.g. "args.action".
    """

    tool: str
    category: str
    severity: str
    confidence: float
    evidence: list[str]
    actions: dict[str, ActionRisk] = field(default_factory=dict)
    action_path: str | None = None
    overridden: bool = False

    @property
    def is_multi_action(self) -> bool:
        return bool(self.actions) and self.action_path is not None

    def actions_in(self, *categories: str) -> list[str]:
        """The actions whose category is one of `categories`, in the server's order."""
        return [a for a, r in self.actions.items() if r.category in categories]

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "category": self.category,
            "severity": self.severity,
            "confidence": self.confidence,
            "evidence": list(self.evidence),
            "actions": {a: r.to_json() for a, r in self.actions.items()},
            "action_path": self.action_path,
            "overridden": self.overridden,
        }


# ----- verbs in names ----------------------------------------------------------------------


class _NameVerbs:
    """What the words of a name say. A plain slotted class: one is made per tool, so it stays
    cheap to build."""

    __slots__ = ("words", "verb", "kind", "ambiguous", "alternatives", "prefix", "launched",
                 "forced")

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.verb: str | None = None
        self.kind: str | None = None
        self.ambiguous = False
        self.alternatives: list[tuple[str, str]] = []
        self.prefix: list[str] = []
        self.launched: str | None = None  # "start" in "start_search"
        self.forced = False


def _name_verbs(text: str) -> _NameVerbs:
    """The governing verb of a name such as `github_create_or_update_file` or `listIssues`."""
    words = name_words(text)
    found = _NameVerbs(words)
    verbs = v.VERBS
    first_ambiguous = -1
    index = -1
    for i, word in enumerate(words):
        if word in verbs:
            if word not in v.AMBIGUOUS:
                index = i
                break
            if first_ambiguous < 0:
                first_ambiguous = i
    if index < 0:
        index = first_ambiguous
        found.ambiguous = index >= 0
    found.forced = "force" in words
    if index < 0:
        return found
    verb = words[index]
    # "start_search": starting a read is a read.
    if verb in v.LAUNCHERS and index + 1 < len(words) and verbs.get(words[index + 1]) == v.READ:
        found.launched = verb
        index += 1
        verb = words[index]
    found.verb = verb
    found.kind = verbs[verb]
    found.prefix = words[:index] if index and not found.launched else []
    for i in range(index + 1, len(words) - 1):
        if words[i] in _CONNECTORS and words[i + 1] in verbs:
            found.alternatives.append((words[i + 1], verbs[words[i + 1]]))
    return found


# ----- verbs in descriptions ---------------------------------------------------------------


class _DescriptionVerbs:
    """What the first sentence of a description says (see `_NameVerbs`)."""

    __slots__ = ("sentence", "words", "lead", "kind", "indirect", "alternatives")

    def __init__(self, sentence: str, words: list[str]) -> None:
        self.sentence = sentence
        self.words = words
        self.lead: str | None = None
        self.kind: str | None = None
        self.indirect = False  # found after "to"/"helps", not as the first word
        self.alternatives: list[tuple[str, str]] = []


def _description_verbs(description: str, alternatives: bool = True, indirect: bool = True
                       ) -> _DescriptionVerbs:
    """The description's leading verb and, if `alternatives`, the verbs offered next to it.
    With `indirect`, a description that does not start with a verb is searched for one
    introduced by "to"/"helps"/"can"."""
    # Without alternatives only the first words matter: read less of the description.
    sentence = first_sentence(description if alternatives else description[:_LEAD_WINDOW])
    tokens = sentence_tokens(sentence)
    found = _DescriptionVerbs(sentence, tokens)
    count = len(tokens)
    start = 0
    while start < 2 and start < count and _is_adverb(tokens[start]):
        start += 1  # "Recursively search ..."
    lead = base_verb(tokens[start]) if start < count else None
    if lead is None:
        if not indirect:
            return found
        # "A detailed tool for ... This tool helps analyze ...": a verb after "to"/"helps"/
        # "can", anywhere in the opening of the description.
        opening = sentence_tokens(description[:DESCRIPTION_WINDOW])
        for i in range(min(len(opening), 60) - 1):
            if opening[i] in _INDIRECT:
                lead = base_verb(opening[i + 1])
                if lead is not None:
                    found.lead, found.kind, found.indirect = lead, v.VERBS[lead], True
                    break
        return found
    found.lead, found.kind = lead, v.VERBS[lead]
    if not alternatives:
        return found
    third_person = tokens[start] != lead  # "Creates" rather than "Create"
    chain = {lead}
    # Verbs chained right after the lead ("List, create or delete ...") always count.
    i = start + 1
    while i < count:
        token = tokens[i]
        i += 1
        if token in SEPARATORS:
            continue
        verb = base_verb(token)
        if verb is None or verb in chain or (token != verb) != third_person:
            break  # "List issues": a noun after a verb, not a second verb
        chain.add(verb)
        found.alternatives.append((verb, v.VERBS[verb]))
    if found.kind == v.READ:
        # A read sentence names things ("a file or directory", "branches or commits"); only
        # the chain right after the lead verb is an alternative action.
        return found
    # Any verb offered as an alternative later on ("Create a file or completely overwrite
    # it"), inflected like the lead verb.
    for i in [i for i, token in enumerate(tokens) if token in SEPARATORS]:
        j = i + 1
        if i <= start or j >= count:
            continue
        if _is_adverb(tokens[j]) and j + 1 < count:
            j += 1
        token = tokens[j]
        verb = base_verb(token)
        if verb is None or verb in chain or (token != verb) != third_person:
            continue
        chain.add(verb)
        found.alternatives.append((verb, v.VERBS[verb]))
    return found


def _is_adverb(token: str) -> bool:
    return len(token) > 4 and token.endswith("ly")


# ----- putting the signals together --------------------------------------------------------


def _money_context(name: _NameVerbs, desc: _DescriptionVerbs, facts: SchemaFacts) -> bool:
    """Is money in sight: an amount argument, or a money noun other than the verb itself?"""
    if facts.money_arguments:
        return True
    hits = v.MONEY_NOUNS.intersection(name.words)
    if hits and (len(hits) > 1 or name.verb not in hits):
        return True
    hits = v.MONEY_NOUNS.intersection(desc.words[1:40])
    return bool(hits) and (len(hits) > 1 or desc.lead not in hits)


class _Verdict:
    __slots__ = ("category", "severity", "confidence", "evidence", "kind")

    def __init__(self, category: str, severity: str, confidence: float, evidence: list[str],
                 kind: str | None = None) -> None:
        self.category = category
        self.severity = severity
        self.confidence = confidence
        self.evidence = evidence
        self.kind = kind


def _quote(text: str) -> str:
    """Quote server text (an argument name, an action value) for an evidence line."""
    return "'" + visible_token(text) + "'"


def _word(text: str) -> str:
    """Quote a word from our own tables or `name_words` (letters and digits only, so there is
    nothing to escape)."""
    return "'" + text + "'"


def _financial(kind: str | None, verb: str | None, words: list[str], money: bool,
               facts: SchemaFacts, evidence: list[str]) -> bool:
    """Does this verb, with these words around it, move money?"""
    if kind == v.MONEY:
        return True
    if verb is None or kind in (v.READ, v.REMOVE):
        return False
    if verb in v.MONEY_IF_CONTEXT and money:
        evidence.append(f"verb {_word(verb)} with money in sight moves money")
        return True
    movement_nouns = v.MONEY_MOVEMENT_NOUNS
    nouns = [w for w in words if w in movement_nouns and w != verb]
    if nouns:
        movement = nouns[0]
        evidence.append(f"name noun {_word(movement)}: {verb} of a money movement")
        return True
    if kind in (v.WRITE, v.EXECUTE) and facts.money_arguments and money:
        evidence.append(f"argument {_quote(facts.money_arguments[0])} is an amount of money")
        return True
    return False


def _single(name: _NameVerbs, desc: _DescriptionVerbs, facts: SchemaFacts) -> _Verdict:
    """Classify a tool that does one thing, from its name, description and schema."""
    evidence: list[str] = []
    order = _KIND_ORDER
    texts = _KIND_TEXT
    kind: str | None = None  # the worst kind seen so far
    confidence = 20  # hundredths, so sums stay exact
    name_kind = name.kind
    if name_kind is not None and name.verb is not None:
        kind = name_kind
        if name.launched:
            evidence.append(f"name verb '{name.launched}' starts a '{name.verb}', "
                            f"which {texts[name_kind]}")
        elif name.prefix:
            evidence.append(f"name verb '{name.verb}' (after prefix '{'_'.join(name.prefix)}') "
                            f"{texts[name_kind]}")
        else:
            evidence.append(f"name verb '{name.verb}' {texts[name_kind]}")
        for verb, other in name.alternatives:
            evidence.append(f"name also says '{verb}', which {texts[other]}")
            if order[other] > order[kind]:
                kind = other
        confidence = 65 if name.ambiguous else 75
        desc_kind = desc.kind
        if desc_kind is not None:
            if name_kind != v.READ and order[desc_kind] > order[kind]:
                # Only a writer's description can raise the stakes; a reader's names things.
                kind = desc_kind
                evidence.append(f"description starts with '{desc.lead}', which "
                                f"{texts[desc_kind]}")
            elif _KIND_RISK[desc_kind][0] == _KIND_RISK[name_kind][0]:
                confidence += 10
                evidence.append(f"description starts with '{desc.lead}', which agrees")
            else:
                confidence -= 10
                evidence.append(f"description starts with '{desc.lead}', which "
                                f"{texts[desc_kind]} (the name wins)")
        if name_kind != v.READ:
            for verb, other in desc.alternatives:
                if order[other] > order[kind]:
                    kind = other
                    evidence.append(f"description also offers '{verb}', which {texts[other]}")
    elif desc.kind is not None:
        kind = desc.kind
        how = "description says" if desc.indirect else "description starts with"
        evidence.append(f"{how} '{desc.lead}', which {texts[kind]}")
        confidence = 45 if desc.indirect else 55
        for verb, other in desc.alternatives:
            evidence.append(f"description also offers '{verb}', which {texts[other]}")
            if order[other] > order[kind]:
                kind = other
    if kind is not None:
        category, severity = _KIND_RISK[kind]
    else:
        category, severity = OTHER, LOW
        evidence.append("no verb found in the name or the description's first sentence")

    if kind is not None and kind not in _NEVER_MONEY:
        lead_verb = name.verb or desc.lead
        # Money context matters only for verbs like "send" or with an amount argument.
        money = bool(facts.money_arguments) or (
            lead_verb in v.MONEY_IF_CONTEXT and _money_context(name, desc, facts))
        words = name.words if name.verb else desc.words[:12]
        if _financial(kind, lead_verb, words, money, facts, evidence):
            category, severity = FINANCIAL, CRITICAL
            confidence = max(confidence, 70)

    # Arguments that take code make it Execute whatever the name says ("read_query" runs SQL).
    if facts.code_arguments and category in (READ, OTHER, WRITE, EXECUTE):
        shell = next((n for n, k in facts.code_arguments if k == "shell"), None)
        arg, what = (shell, "shell commands or code") if shell else (
            facts.code_arguments[0][0], "SQL")
        evidence.append(f"argument {_quote(arg)} takes {what}" if shell else
                        f"argument {_quote(arg)} takes code ({what})")
        category, severity = EXECUTE, CRITICAL if shell else HIGH
        confidence = max(confidence, 80)
    elif category == EXECUTE and _TERMINAL_TEXT.search(desc.sentence):
        evidence.append("description says it runs in a terminal, shell or REPL")
        severity = CRITICAL

    # A writer that can be told to overwrite or force is a destroyer.
    if category in (WRITE, DESTRUCTIVE) and severity != CRITICAL:
        if facts.force_arguments:
            evidence.append(f"argument {_quote(facts.force_arguments[0])} can force or overwrite")
            category, severity = DESTRUCTIVE, CRITICAL
        elif name.forced:
            evidence.append("name says 'force'")
            category, severity = DESTRUCTIVE, CRITICAL
    return _Verdict(category, severity, min(confidence, 95) / 100, evidence, kind)


def _action_risk(value: str, money: bool, facts: SchemaFacts) -> ActionRisk:
    money_argument = facts.money_arguments[0] if facts.money_arguments else None
    category, severity, evidence = _action_risk_cached(value, money, money_argument)
    return ActionRisk(category, severity, list(evidence))


@lru_cache(maxsize=4096)
def _action_risk_cached(value: str, money: bool, money_argument: str | None
                        ) -> tuple[str, str, tuple[str, ...]]:
    """The risk of one action value. Cached: the same few actions ("get", "delete") recur
    across every multi-action tool of a server."""
    verbs = _name_verbs(value)
    shown = _quote(value)
    if verbs.kind is None or verbs.verb is None:
        return OTHER, LOW, (f"action {shown}: no known verb",)
    kind = verbs.kind
    for _, other in verbs.alternatives:
        if _KIND_ORDER[other] > _KIND_ORDER[kind]:
            kind = other
    category, severity = _KIND_RISK[kind]
    evidence = [f"action {shown}: verb {_word(verbs.verb)} {_KIND_TEXT[verbs.kind]}"]
    facts = SchemaFacts(None, (), (money_argument,) if money_argument else (), ())
    if category != FINANCIAL and _financial(kind, verbs.verb, verbs.words, money, facts,
                                            evidence):
        category, severity = FINANCIAL, CRITICAL
    elif category in (WRITE, DESTRUCTIVE) and severity != CRITICAL and verbs.forced:
        evidence.append(f"action {shown} says 'force'")
        category, severity = DESTRUCTIVE, CRITICAL
    return category, severity, tuple(evidence)


@lru_cache(maxsize=4096)
def _may_move_money(action: str) -> bool:
    """Could this action value move money, given money in sight ("send", "charge")?"""
    return any(word in v.MONEY_IF_CONTEXT for word in name_words(action))


def _multi(action: ActionArgument, money: bool, facts: SchemaFacts
           ) -> tuple[_Verdict, dict[str, ActionRisk]]:
    actions: dict[str, ActionRisk] = {}
    reads: list[str] = []
    unknown: list[str] = []
    worst_action = ""
    worst_key = (-1, -1, -1)
    for value in action.values:
        risk = _action_risk(value, money, facts)
        actions[value] = risk
        if risk.category == READ:
            reads.append(value)
        elif risk.category == OTHER:
            unknown.append(value)  # only an action with no known verb is Other
        key = risk_key(risk.category, risk.severity)
        if key > worst_key:
            worst_key, worst_action = key, value
    worst = actions[worst_action]
    evidence = [f"multi-action tool: argument {_quote(action.name)} selects one of "
                f"{len(actions)} actions"]
    if worst.category != READ:
        evidence.append(f"action enum includes {_quote(worst_action)} ({worst.category})")
    if reads:
        evidence.append("read actions: " + ", ".join(visible_token(a, 30) for a in reads[:20]))
    if unknown:
        evidence.append("actions with no known verb: "
                        + ", ".join(visible_token(a, 30) for a in unknown[:20]))
    confidence = 0.6 + 0.25 * ((len(actions) - len(unknown)) / len(actions))
    verdict = _Verdict(worst.category, worst.severity, round(confidence, 2), evidence)
    return verdict, actions


def _flag(annotations: Mapping[str, Any], key: str) -> bool | None:
    value = annotations.get(key)
    return value if isinstance(value, bool) else None


def _apply_annotations(verdict: _Verdict, actions: dict[str, ActionRisk],
                       annotations: Mapping[str, Any]) -> None:
    """Explicit hints outrank words; disagreement is recorded and lowers the confidence."""
    read_only = _flag(annotations, "readOnlyHint")
    destructive = _flag(annotations, "destructiveHint")
    if read_only is None and destructive is None:
        return
    words_said = verdict.category
    if read_only is True:
        verdict.evidence.insert(0, "annotation readOnlyHint=true")
        verdict.category, verdict.severity = READ, LOW
        for risk in actions.values():
            if risk.category != READ:
                risk.evidence.append("annotation readOnlyHint=true covers every action")
                risk.category, risk.severity = READ, LOW
    elif destructive is True:
        verdict.evidence.insert(0, "annotation destructiveHint=true")
        if verdict.category == FINANCIAL:
            pass  # moving money is at least as bad; keep it
        elif verdict.category != DESTRUCTIVE:
            verdict.category, verdict.severity = DESTRUCTIVE, CRITICAL
    elif destructive is False or read_only is False:
        said = []
        if read_only is False:
            said.append("readOnlyHint=false")
        if destructive is False:
            said.append("destructiveHint=false")
        verdict.evidence.insert(0, "annotation " + ", ".join(said))
        if destructive is False and verdict.category == DESTRUCTIVE:
            verdict.category, verdict.severity = WRITE, DEFAULT_SEVERITY[WRITE]
        if read_only is False and verdict.category in (READ, OTHER):
            verdict.category, verdict.severity = WRITE, DEFAULT_SEVERITY[WRITE]
        if destructive is False:
            for risk in actions.values():
                if risk.category == DESTRUCTIVE:
                    risk.evidence.append("annotation destructiveHint=false: only additive")
                    risk.category, risk.severity = WRITE, DEFAULT_SEVERITY[WRITE]
    if verdict.category == words_said:
        verdict.confidence = 0.95
    elif words_said == OTHER:
        verdict.confidence = 0.85  # the words said nothing; the hint is all we have
    else:
        verdict.evidence.append(f"the name and description alone suggest {words_said}")
        verdict.confidence = 0.7


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def classify(tool: ToolInfo, override: str | None = None, *,
             use_annotations: bool = True) -> Classification:
    """Classify one tool. Never raises on odd tool data; an unknown override is ignored (and
    said so in the evidence). `use_annotations=False` classifies from words and schema alone
    (used to measure the classifier against servers' own annotations)."""
    # Not only ToolInfo reaches here: these may hold anything and are checked before use.
    schema: Any
    annotations: Any
    try:
        name_text, desc_text = tool.name, tool.description
        schema, annotations = tool.input_schema, tool.annotations
    except AttributeError:  # not a ToolInfo: take what is there
        name_text = getattr(tool, "name", "")
        desc_text = getattr(tool, "description", "")
        schema = getattr(tool, "input_schema", None)
        annotations = getattr(tool, "annotations", None)
    if type(name_text) is not str:
        name_text = _text(name_text)
    if type(desc_text) is not str:
        desc_text = _text(desc_text)
    if type(annotations) is not dict and not isinstance(annotations, Mapping):
        annotations = {}

    facts = inspect_schema(schema)
    actions: dict[str, ActionRisk] = {}
    action_path: str | None = None
    if facts.action is not None:
        # The actions decide; the name and description only say whether money is in sight.
        if facts.money_arguments:
            money = True
        elif any(map(_may_move_money, facts.action.values)):
            money = _money_context(_name_verbs(name_text), _description_verbs(desc_text, False),
                                   facts)
        else:
            money = False
        verdict, actions = _multi(facts.action, money, facts)
        action_path = facts.action.path
    else:
        name = _name_verbs(name_text)
        # A reader's name is never raised by its description: skip looking for alternatives.
        # Only a name without a verb needs the slower search for a verb deeper in the text.
        desc = _description_verbs(desc_text, name.kind != v.READ, name.kind is None)
        verdict = _single(name, desc, facts)
    if use_annotations and annotations:
        _apply_annotations(verdict, actions, annotations)

    overridden = False
    if override is not None:
        category = normalize_category(override)
        if category is None:
            verdict.evidence.insert(
                0, f"override {_quote(str(override))} ignored: not a risk category")
        else:
            verdict.evidence.insert(0, f"override: user set {category} "
                                       f"(the classifier said {verdict.category})")
            if category != verdict.category:
                verdict.severity = DEFAULT_SEVERITY[category]
            verdict.category = category
            verdict.confidence = 1.0
            overridden = True
    # Positional: measurably cheaper than keywords when classifying thousands of tools.
    return Classification(name_text, verdict.category, verdict.severity, verdict.confidence,
                          verdict.evidence, actions, action_path, overridden)


def classify_all(tools: Iterable[ToolInfo], overrides: Mapping[str, Any] | None = None,
                 *, use_annotations: bool = True) -> dict[str, Classification]:
    """Classify every tool, applying `overrides` ({tool name: category}) where given."""
    overrides = overrides if isinstance(overrides, Mapping) else {}
    out: dict[str, Classification] = {}
    for tool in tools:
        name = _text(getattr(tool, "name", ""))
        override = overrides.get(name)
        out[name] = classify(tool, override if isinstance(override, str) else None,
                             use_annotations=use_annotations)
    return out
