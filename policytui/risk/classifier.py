"""Classify one MCP tool: a risk category and severity, how sure we are, and why.

Signals:
1. A user's override (kept in the policy under `x-policytui.overrides`) decides outright.
2. The verb in the tool name, in any naming style, after any server namespace (`github_`,
   `kestra.`, or a leading word that many of the server's tools share, such as `compute_`).
   A name may put its verb last (`vm_delete`) and may use compound verbs (`createorupdate`).
   For multi-action tools, the verb of every value of the action argument.
3. The description's first sentence: its leading verb and the verbs offered as alternatives
   ("Create or update ...").
4. The input schema: arguments that take shell commands, code or SQL (Execute); amounts of
   money next to a money-moving verb (Financial); switches such as `overwrite` or `force`;
   arguments that take a URL (open-world).
5. Annotations the server declared (`readOnlyHint`, `destructiveHint`, `openWorldHint`). The
   spec calls them untrusted hints, so they can make a tool riskier but never safer than its
   words: a declared read-only tool whose name deletes, sends or pays is flagged suspicious.

When signals disagree, the riskier reading wins, the confidence drops and the evidence says
which signal lost (`against`). A tool is Read only on a clear sign of reading; a weak one alone
(an ambiguous word, a verb guessed from deep in the description) leaves it Other.

Everything here is general word lists and rules, never a list of known tool names.
"""

from __future__ import annotations

import re
from collections import Counter
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
    MEDIUM,
    OTHER,
    READ,
    SEVERITY_RANK,
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


# The annotation hints a server may declare, and the value the MCP spec assumes when it does not.
SPEC_DEFAULTS: dict[str, bool] = {
    "readOnlyHint": False,
    "destructiveHint": True,
    "idempotentHint": False,
    "openWorldHint": True,
}
DECLARED = "declared"
SPEC_DEFAULT = "spec default"

# Flags a classification can carry, for people and for filters.
SUSPICIOUS = "suspicious-annotation"  # declared read-only, but the words delete, send or pay
OPEN_WORLD = "open-world"  # reaches arbitrary addresses or sends outward
SECRETS = "exposes-secrets"  # what comes back can include secrets or the environment
DISAGREE = "signals-disagree"  # the riskier of two readings was taken


@dataclass(slots=True)
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
class Classification:
    """What a tool is, how bad a mistake with it can be, and the evidence for it.

    `evidence` is what the category rests on; `against` lists the signals that pointed
    elsewhere and lost. `hints` is the provenance of each annotation hint. `actions` is the
    per-action breakdown of a multi-action tool (empty otherwise) and `action_path` the
    condition path of its action argument, e.g. "args.action".
    """

    tool: str
    category: str
    severity: str
    confidence: float
    evidence: list[str]
    actions: dict[str, ActionRisk] = field(default_factory=dict)
    action_path: str | None = None
    overridden: bool = False
    against: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    hints: dict[str, HintFact] = field(default_factory=dict)

    @property
    def is_multi_action(self) -> bool:
        return bool(self.actions) and self.action_path is not None

    @property
    def suspicious(self) -> bool:
        return SUSPICIOUS in self.flags

    @property
    def open_world(self) -> bool:
        return OPEN_WORLD in self.flags

    def actions_in(self, *categories: str) -> list[str]:
        """The actions whose category is one of `categories`, in the server's order."""
        return [a for a, r in self.actions.items() if r.category in categories]

    def provenance_lines(self) -> list[str]:
        """One line per annotation hint: its value, where it came from, any contradiction."""
        lines = []
        for key, fact in self.hints.items():
            line = f"{key}={str(fact.value).lower()} ({fact.source})"
            if fact.contradicted:
                line += f": contradicted, {fact.contradicted}"
            lines.append(line)
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "category": self.category,
            "severity": self.severity,
            "confidence": self.confidence,
            "evidence": list(self.evidence),
            "against": list(self.against),
            "flags": list(self.flags),
            "annotations": {k: f.to_json() for k, f in self.hints.items()},
            "actions": {a: r.to_json() for a, r in self.actions.items()},
            "action_path": self.action_path,
            "overridden": self.overridden,
        }


# ----- verbs in names ----------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _split_compound(word: str) -> tuple[str, ...]:
    """A run-together pair of verbs ("createorupdate", "getandset") as its parts, else the
    word itself. Servers write compound verbs as one word; each part is a verb to weigh."""
    for joint in ("or", "and"):
        at = word.find(joint, 2)
        while 0 < at < len(word) - len(joint) - 1:
            head, tail = word[:at], word[at + len(joint):]
            if head in v.VERBS and tail in v.VERBS:
                return (head, joint, tail)
            at = word.find(joint, at + 1)
    return (word,)


def _expand(words: list[str]) -> list[str]:
    verbs = v.VERBS
    if all(len(w) < 7 or w in verbs for w in words):
        return words
    out: list[str] = []
    for word in words:
        if len(word) < 7 or word in verbs:
            out.append(word)
        else:
            out.extend(_split_compound(word))
    return out


@lru_cache(maxsize=8192)
def _agent_verb(word: str) -> str | None:
    """The verb behind an agent noun ending a name ("reader" -> read, "updater" -> update,
    "runner" -> run, "creator" -> create), or None."""
    if len(word) < 5 or word[-2:] not in ("er", "or") or word in v.VERBS:
        return None
    stem = word[:-2]
    for candidate in (stem, word[:-1], stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else ""):
        if candidate in v.VERBS and candidate not in v.AMBIGUOUS:
            return candidate
    return None


class _NameVerbs:
    """What the words of a name say. A plain slotted class: one is made per tool, so it stays
    cheap to build."""

    __slots__ = ("words", "verb", "kind", "ambiguous", "alternatives", "prefix", "launched",
                 "forced", "namespace", "last", "last_kind", "agent")

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.verb: str | None = None
        self.kind: str | None = None
        self.ambiguous = False
        self.alternatives: list[tuple[str, str]] = []
        self.prefix: list[str] = []
        self.launched: str | None = None  # "start" in "start_search"
        self.forced = False
        self.namespace: str | None = None  # a leading word the server uses as a namespace
        self.last: str | None = None  # a verb ending the name that disagrees with `verb`
        self.last_kind: str | None = None
        self.agent: str | None = None  # "reader" ending "services_reader"


def _name_verbs(text: str, namespaces: frozenset[str] = frozenset()) -> _NameVerbs:
    """The governing verb of a name such as `github_create_or_update_file`, `listIssues` or
    `compute_vm_delete`, and a disagreeing verb at its end, if any."""
    words = _expand(name_words(text))
    verbs = v.VERBS
    agent = _agent_verb(words[-1]) if len(words) > 1 else None
    if agent is not None:
        # "netlify-deploy-services-reader" is a reader: the agent noun ending the name is
        # what the tool is, and the words before it only say what it works on.
        found = _NameVerbs(words)
        found.verb, found.kind = agent, verbs[agent]
        found.agent = words[-1]
        found.forced = "force" in words
        return found
    found = _NameVerbs(words)
    start = 0
    if namespaces and len(words) > 1 and words[0] in namespaces:
        found.namespace = words[0]
        start = 1
    first_ambiguous = -1
    index = -1
    for i in range(start, len(words)):
        word = words[i]
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
    kind = found.kind = verbs[verb]
    found.prefix = words[:index] if index and not found.launched else []
    named = {verb}
    for i in range(index + 1, len(words) - 1):
        if words[i] in _CONNECTORS and words[i + 1] in verbs:
            found.alternatives.append((words[i + 1], verbs[words[i + 1]]))
            named.add(words[i + 1])
    # The verb may stand last ("vm_delete"); then the first verb may be a namespace word
    # ("compute_vm_delete") or the last a noun ("get_job_run"). The caller decides which.
    last = words[-1]
    if index < len(words) - 1 and last not in named and last not in v.AMBIGUOUS:
        last_kind = verbs.get(last)
        if last_kind is not None and _KIND_RISK[last_kind][0] != _KIND_RISK[kind][0]:
            found.last, found.last_kind = last, last_kind
    return found


def server_namespaces(names: Iterable[str]) -> frozenset[str]:
    """Leading words a server uses as namespaces though they are also verbs (`compute_`,
    `monitor_`, `search_`): shared by several tools whose names go on to say different kinds
    of things (`compute_vm_delete`, `compute_vm_create`, `compute_vm_list`). A verb-first
    server's `get_` is followed by nouns and is no namespace."""
    verbs = v.VERBS
    shared: Counter[str] = Counter()
    heads: Counter[str] = Counter()
    later: dict[str, set[str]] = {}
    with_verb: Counter[str] = Counter()
    total = 0
    for name in names:
        if type(name) is not str:
            continue
        total += 1
        words = _expand(name_words(name))
        if len(words) < 2:
            continue
        head = words[0]
        heads[head] += 1
        if head not in verbs:
            continue
        shared[head] += 1
        last = words[-1]
        if last in verbs and last not in v.AMBIGUOUS and words[-2] not in _CONNECTORS:
            with_verb[head] += 1
            later.setdefault(head, set()).add(verbs[last])
    # A verb: most of the head's tools end with their own verb, of more than one kind.
    found = {head for head, count in shared.items()
             if count >= 3 and with_verb[head] * 3 >= count * 2 and len(later.get(head, ())) >= 2}
    # Any other word that begins most of the server's names ("billing_", "API-"): a namespace,
    # so a money word there says nothing about what one tool does.
    found.update(head for head, count in heads.items()
                 if head not in verbs and count >= 3 and count * 2 >= total)
    return frozenset(found)


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
    if found.kind == v.EXECUTE and _runs_a_query(tokens, start + 1):
        # "Executes a log query", "Run a search": what is run is a reading. Code arguments
        # (SQL) still make the tool Execute.
        found.kind = v.READ
        return found
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


_QUERIES = frozenset("query queries search searches lookup lookups".split())
_ARTICLES = frozenset("a an the one".split())


def _runs_a_query(tokens: list[str], at: int) -> bool:
    """Is the object of the verb at `at - 1` a query or search ("a log query")?"""
    end = min(len(tokens), at + 4)
    for i in range(at, end):
        token = tokens[i]
        if token in _QUERIES:
            return True
        if token in SEPARATORS or (token not in _ARTICLES and base_verb(token) is not None):
            return False
    return False


def _is_adverb(token: str) -> bool:
    return len(token) > 4 and token.endswith("ly")


# ----- putting the signals together --------------------------------------------------------


def _money_context(name: _NameVerbs, desc: _DescriptionVerbs, facts: SchemaFacts,
                   besides: str | None = None) -> bool:
    """Is money in sight: an amount argument, or a money noun other than the verb itself (and
    other than `besides`, the word that needs the context)?"""
    if facts.money_arguments:
        return True
    skip = {name.verb, besides}
    if any(w in v.MONEY_NOUNS and w not in skip for w in name.words):
        return True
    skip = {desc.lead, besides}
    return any(w in v.MONEY_NOUNS and w not in skip for w in desc.words[1:40])


_OBJECT_ENDS = frozenset("for of from to in into with by on at via using when if".split())


def _description_object(desc: _DescriptionVerbs) -> list[str]:
    """The words naming what the description's leading verb acts on ("delete a QuickBooks
    transaction" -> a, quickbooks, transaction), up to a preposition or separator."""
    words = desc.words
    try:
        at = words.index(desc.lead) + 1 if desc.lead else len(words)
    except ValueError:  # the lead was inflected ("Creates")
        at = next((i + 1 for i, w in enumerate(words[:4]) if base_verb(w) == desc.lead),
                  len(words))
    out = []
    for word in words[at:at + 6]:
        if word in _OBJECT_ENDS or word in SEPARATORS:
            break
        out.append(word)
    return out


class _Verdict:
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



def _quote(text: str) -> str:
    """Quote server text (an argument name, an action value) for an evidence line."""
    return "'" + visible_token(text) + "'"


def _word(text: str) -> str:
    """Quote a word from our own tables or `name_words` (letters and digits only, so there is
    nothing to escape)."""
    return "'" + text + "'"


def _financial(kind: str | None, verb: str | None, words: list[str], money: bool,
               evidence: list[str], where: str = "name") -> bool:
    """Does acting with this verb on these words move money or change what someone pays or
    is owed? `money` says whether money is in sight around them."""
    if kind == v.MONEY:
        evidence.append(f"verb {_word(verb or '')} moves money")
        return True
    if verb is None or kind is None or kind == v.READ:
        return False
    if verb in v.MONEY_IF_CONTEXT and money:
        evidence.append(f"verb {_word(verb)} with money in sight moves money")
        return True
    for i, word in enumerate(words):
        if word == verb:
            continue
        if i + 1 < len(words) and words[i + 1] in v.NOT_MONEY_HEADS:
            continue  # "payment_method", "invoice_template": the money word only qualifies
        if word in v.MONEY_OBJECTS or (word in v.MONEY_OBJECTS_IF_CONTEXT and money):
            evidence.append(f"{where} noun {_word(word)}: '{verb}' changes what someone pays "
                            "or is owed")
            return True
    return False


def _name_reading(name: _NameVerbs, desc: _DescriptionVerbs, evidence: list[str],
                  against: list[str]) -> tuple[str, int, bool]:
    """(kind, confidence in hundredths, a clear sign?) from the name, with a disagreement
    inside the name (first verb vs last verb) settled by the description or, failing that,
    toward the riskier verb."""
    texts = _KIND_TEXT
    kind = name.kind
    verb = name.verb
    assert kind is not None and verb is not None
    if name.agent:
        evidence.append(f"name ends with '{name.agent}', one who does '{verb}', which "
                        f"{texts[kind]}")
    elif name.launched:
        evidence.append(f"name verb '{name.launched}' starts a '{verb}', which {texts[kind]}")
    elif name.namespace in v.VERBS:
        evidence.append(f"name verb '{verb}' {texts[kind]} (leading '{name.namespace}' is a "
                        "namespace many of the server's tools share)")
    elif name.prefix:
        evidence.append(f"name verb '{verb}' (after prefix '{'_'.join(name.prefix)}') "
                        f"{texts[kind]}")
    else:
        evidence.append(f"name verb '{verb}' {texts[kind]}")
    confidence = 65 if name.ambiguous else 75
    clear = not name.ambiguous
    if name.last is not None and name.last_kind is not None:
        # Two verbs ("compute_vm_delete", "get_job_run"): one may be a namespace or a noun,
        # but which cannot be told for sure, so the riskier reading wins.
        last, last_kind = name.last, name.last_kind
        riskier = last_kind if _KIND_ORDER[last_kind] > _KIND_ORDER[kind] else kind
        loser, lost = (verb, kind) if riskier == last_kind else (last, last_kind)
        winner = last if riskier == last_kind else verb
        said = desc.kind is not None and _KIND_RISK[desc.kind][0] == _KIND_RISK[riskier][0]
        evidence.append(f"name verbs '{verb}' and '{last}' disagree: the riskier '{winner}' "
                        "wins" + (", and the description agrees" if said else ""))
        against.append(f"'{loser}' alone would say it {texts[lost]}")
        kind, clear = riskier, True
        confidence = 70 if said else 50
    for alt, other in name.alternatives:
        evidence.append(f"name also says '{alt}', which {texts[other]}")
        if _KIND_ORDER[other] > _KIND_ORDER[kind]:
            kind = other
    return kind, confidence, clear


def _single(name: _NameVerbs, desc: _DescriptionVerbs, facts: SchemaFacts) -> _Verdict:
    """Classify a tool that does one thing, from its name, description and schema."""
    evidence: list[str] = []
    against: list[str] = []
    order = _KIND_ORDER
    texts = _KIND_TEXT
    kind: str | None = None  # the riskiest reading so far
    confidence = 20  # hundredths, so sums stay exact
    clear = False  # a clear sign (not only a weak one) for the reading
    disagree = False
    desc_kind = desc.kind
    if name.kind is not None and name.verb is not None:
        kind, confidence, clear = _name_reading(name, desc, evidence, against)
        disagree = name.last is not None
        if desc_kind is not None:
            how = "description says" if desc.indirect else "description starts with"
            if _KIND_RISK[desc_kind][0] == _KIND_RISK[kind][0]:
                if order[desc_kind] > order[kind]:
                    kind = desc_kind  # same category, graver ("update" named, "delete" said)
                confidence += 10
                clear = clear or not desc.indirect
                evidence.append(f"{how} '{desc.lead}', which agrees")
            elif order[desc_kind] > order[kind]:
                # The description is riskier than the name: it wins ("compute_vm" + "Delete").
                against.append(f"the name alone would say it {texts[kind]}")
                evidence.append(f"{how} '{desc.lead}', which {texts[desc_kind]}: the riskier "
                                "reading wins over the name")
                kind, confidence, clear, disagree = desc_kind, 50, True, True
            else:
                confidence -= 10
                against.append(f"{how} '{desc.lead}', which {texts[desc_kind]}; the name's "
                               "riskier reading wins")
                disagree = True
    elif desc_kind is not None:
        kind = desc_kind
        how = "description says" if desc.indirect else "description starts with"
        evidence.append(f"{how} '{desc.lead}', which {texts[kind]}")
        confidence = 45 if desc.indirect else 55
        clear = not desc.indirect
    if kind is not None and kind != v.READ:
        for verb, other in desc.alternatives:
            if order[other] > order[kind]:
                kind = other
                evidence.append(f"description also offers '{verb}', which {texts[other]}")
    if kind == v.READ and not clear:
        # One weak sign (an ambiguous word, a verb found deep in the description) is not
        # enough to let a tool through as a reader.
        against.append("reads, but only on a weak sign: not enough to call it Read")
        evidence.append("only a weak sign of reading, so not Read")
        kind = None
        category, severity = OTHER, LOW
    elif kind is not None:
        category, severity = _KIND_RISK[kind]
    else:
        category, severity = OTHER, LOW
        evidence.append("no verb found in the name or the description's first sentence")

    if kind is not None and kind not in (v.READ, v.MONEY):
        # The verb the reading rests on, so that it is not taken for its own object.
        acting: str | None
        if name.last is not None and name.last_kind == kind:
            acting = name.last
        elif name.verb is not None and name.kind == kind:
            acting = name.verb
        else:
            acting = desc.lead if desc.kind == kind else name.verb or desc.lead
        money = _money_context(name, desc, facts)
        words = name.words[1:] if name.namespace else name.words
        if _financial(kind, acting, words, money, evidence) or _financial(
                kind, acting, _description_object(desc), money, evidence, "description"):
            category, severity = FINANCIAL, CRITICAL
            confidence = max(confidence, 70)

    # Arguments that take code make it Execute whatever the name says ("read_query" runs SQL).
    if facts.code_arguments and category in (READ, OTHER, WRITE, EXECUTE):
        shell = next((n for n, k in facts.code_arguments if k == "shell"), None)
        arg, what = (shell, "shell commands or code") if shell else (
            facts.code_arguments[0][0], "SQL")
        evidence.append(f"argument {_quote(arg)} takes {what}" if shell else
                        f"argument {_quote(arg)} takes code ({what})")
        if category == READ:
            against.append("the name and description alone would say it reads")
        category, severity = EXECUTE, CRITICAL if shell else HIGH
        confidence = max(confidence, 80)
    elif category == EXECUTE and _TERMINAL_TEXT.search(desc.sentence):
        evidence.append("description says it runs in a terminal, shell or REPL")
        severity = CRITICAL

    # A reader told where to save its result writes files ("download_report", outputDir).
    if category in (READ, OTHER) and facts.output_arguments:
        evidence.append(f"argument {_quote(facts.output_arguments[0])} says where it writes a "
                        "file")
        if category == READ:
            against.append("the name and description alone would say it reads")
        category, severity = WRITE, DEFAULT_SEVERITY[WRITE]

    # A writer that can be told to overwrite or force is a destroyer.
    if category in (WRITE, DESTRUCTIVE) and severity != CRITICAL:
        if facts.force_arguments:
            evidence.append(f"argument {_quote(facts.force_arguments[0])} can force or overwrite")
            category, severity = DESTRUCTIVE, CRITICAL
        elif name.forced:
            evidence.append("name says 'force'")
            category, severity = DESTRUCTIVE, CRITICAL
    verdict = _Verdict(category, severity, min(confidence, 95) / 100, evidence, kind, against)
    if disagree:
        verdict.flags.append(DISAGREE)
    _exposure(verdict, name, desc, facts)
    return verdict


_SECRET_TEXT = re.compile(
    r"\b(?:secrets?|credentials?|passwords?|api[ _-]?keys?|access[ _-]?tokens?|private[ _-]?keys?"
    r"|environment variables?|env vars?)\b", re.I)


def _exposure(verdict: _Verdict, name: _NameVerbs, desc: _DescriptionVerbs,
              facts: SchemaFacts) -> None:
    """What a call can expose or reach, beyond what it changes: secrets (severity at least
    High) and the open world (arbitrary URLs, messages sent outward)."""
    secret = next((w for w in name.words if w in v.SECRET_WORDS), None)
    if secret is not None:
        verdict.evidence.append(f"name word '{secret}': a call can expose secrets")
    elif _SECRET_TEXT.search(desc.sentence):
        secret = "description"
        verdict.evidence.append("description mentions secrets, credentials or the environment: "
                                "a call can expose them")
    if secret is not None:
        verdict.flags.append(SECRETS)
        if SEVERITY_RANK[verdict.severity] < SEVERITY_RANK[HIGH]:
            verdict.severity = HIGH
    outward = name.verb if name.verb in v.OUTWARD_VERBS else (
        desc.lead if desc.lead in v.OUTWARD_VERBS else None)
    if outward is not None and verdict.category != READ:
        verdict.outward = True
        verdict.flags.append(OPEN_WORLD)
        verdict.evidence.append(f"verb '{outward}' sends something outward (open-world)")
    elif facts.url_arguments:
        verdict.flags.append(OPEN_WORLD)
        verdict.evidence.append(f"argument {_quote(facts.url_arguments[0])} takes an address "
                                "anywhere on the network (open-world)")
        if verdict.category == READ and verdict.severity == LOW:
            verdict.severity = MEDIUM



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
    if category != FINANCIAL and _financial(kind, verbs.verb, verbs.words, money, evidence,
                                            "action"):
        category, severity = FINANCIAL, CRITICAL
    elif category in (WRITE, DESTRUCTIVE) and severity != CRITICAL and verbs.forced:
        evidence.append(f"action {shown} says 'force'")
        category, severity = DESTRUCTIVE, CRITICAL
    return category, severity, tuple(evidence)


def _multi(action: ActionArgument, money: bool, facts: SchemaFacts,
           fallback: _Verdict | None = None) -> tuple[_Verdict, dict[str, ActionRisk]]:
    """The worst of the actions decides. An action with no known verb takes the reading of
    the tool's own name and description (`fallback`) when that says something, else Other."""
    actions: dict[str, ActionRisk] = {}
    reads: list[str] = []
    unknown: list[str] = []
    worst_action = ""
    worst_key = (-1, -1, -1)
    for value in action.values:
        risk = _action_risk(value, money, facts)
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


# Action values that keep a reader's enum an action selector rather than a filter.
_GRAVE_ACTIONS = frozenset((v.MODIFY, v.REMOVE, v.EXECUTE))


def _action_kinds(values: tuple[str, ...]) -> list[str | None]:
    return [_action_kind(value) for value in values]


@lru_cache(maxsize=4096)
def _action_kind(value: str) -> str | None:
    return _name_verbs(value).kind


def _flag(annotations: Mapping[str, Any], key: str) -> bool | None:
    value = annotations.get(key)
    return value if isinstance(value, bool) else None


def _hint_facts(annotations: Mapping[str, Any]) -> dict[str, HintFact]:
    """Each hint's value and whether the server declared it or the spec's default stands."""
    facts: dict[str, HintFact] = {}
    for key, default in SPEC_DEFAULTS.items():
        value = _flag(annotations, key) if annotations else None
        facts[key] = HintFact(default, SPEC_DEFAULT) if value is None else HintFact(value,
                                                                                    DECLARED)
    return facts


def _apply_annotations(verdict: _Verdict, actions: dict[str, ActionRisk],
                       hints: dict[str, HintFact]) -> None:
    """Declared hints can make a tool riskier, never safer than its words: the spec calls them
    untrusted. Every disagreement is recorded on the hint and lowers the confidence."""
    read_only = hints["readOnlyHint"]
    destructive = hints["destructiveHint"]
    open_world = hints["openWorldHint"]
    words_said = verdict.category
    said = f"the name and description say {words_said}"
    disagreed = False
    if open_world.source == DECLARED:
        if open_world.value and OPEN_WORLD not in verdict.flags:
            verdict.flags.append(OPEN_WORLD)
            verdict.evidence.append("annotation openWorldHint=true: reaches outside systems")
        elif not open_world.value and OPEN_WORLD in verdict.flags:
            open_world.contradicted = "the words or arguments reach outside systems"
    if read_only.source == DECLARED and read_only.value:
        risky_actions = [a for a, r in actions.items() if r.category != READ]
        if words_said in (READ, OTHER) and not risky_actions:
            verdict.evidence.insert(0, "annotation readOnlyHint=true (declared)")
            verdict.category = READ
            if verdict.severity not in (LOW, MEDIUM, HIGH):
                verdict.severity = LOW
            verdict.confidence = 0.95 if words_said == READ else 0.85
            return
        what = (f"the action {_quote(risky_actions[0])} says {actions[risky_actions[0]].category}"
                if risky_actions and words_said in (READ, OTHER) else said)
        read_only.contradicted = what
        grave = verdict.category in (DESTRUCTIVE, FINANCIAL, EXECUTE) or verdict.outward or any(
            actions[a].category in (DESTRUCTIVE, FINANCIAL, EXECUTE) for a in risky_actions)
        if grave:
            verdict.flags.append(SUSPICIOUS)
            verdict.evidence.insert(0, f"declared readOnlyHint=true is suspicious: {what}; the "
                                       "riskier reading wins")
        else:
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
                read_only.contradicted = said
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
                destructive.contradicted = (
                    said if verdict.category == DESTRUCTIVE
                    else f"the action {_quote(removing[0])} is Destructive")
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


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def classify(tool: ToolInfo, override: str | None = None, *, use_annotations: bool = True,
             namespaces: frozenset[str] = frozenset()) -> Classification:
    """Classify one tool. Never raises on odd tool data; an unknown override is ignored (and
    said so in the evidence). `use_annotations=False` classifies from words and schema alone
    (used to measure the classifier against servers' own annotations). `namespaces` are the
    server's namespace words (see `server_namespaces`; `classify_all` finds them)."""
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
    if not use_annotations:
        annotations = {}

    facts = inspect_schema(schema)
    actions: dict[str, ActionRisk] = {}
    action_path: str | None = None
    verdict: _Verdict | None = None
    name = _name_verbs(name_text, namespaces)
    # Only a name without a verb needs the slower search for a verb deeper in the text.
    desc = _description_verbs(desc_text, True, name.kind is None)
    choice = facts.action
    if choice is not None:
        kinds = _action_kinds(choice.values)
        if all(kind is None for kind in kinds):
            choice = None  # "mode": standard | custom is a setting, not a choice of action
        else:
            single = _single(name, desc, facts._replace(action=None))
            if (single.category == READ and DISAGREE not in single.flags and not name.ambiguous
                    and name.kind == v.READ and not _GRAVE_ACTIONS.intersection(kinds)):
                # "list_adjustments" with action: refund | credit: a reader's filter.
                single.evidence.append(f"argument {_quote(choice.name)} filters what is read "
                                       "(no action in it changes anything)")
                verdict = single
                choice = None
    if choice is not None:
        # The actions decide; the name and description only say whether money is in sight.
        money = _money_context(name, desc, facts)
        verdict, actions = _multi(choice, money, facts, single)
        action_path = choice.path
    elif facts.action is None or verdict is None:
        verdict = _single(name, desc, facts._replace(action=None))
    hints = _hint_facts(annotations)
    _apply_annotations(verdict, actions, hints)

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
                          verdict.evidence, actions, action_path, overridden, verdict.against,
                          verdict.flags, hints)


def classify_all(tools: Iterable[ToolInfo], overrides: Mapping[str, Any] | None = None,
                 *, use_annotations: bool = True,
                 server_tools: Iterable[ToolInfo] | None = None) -> dict[str, Classification]:
    """Classify every tool, applying `overrides` ({tool name: category}) where given. The
    server's namespace words are found from `server_tools` (all of the server's tools, when
    only some are classified) or else from `tools`."""
    tools = list(tools)
    overrides = overrides if isinstance(overrides, Mapping) else {}
    context = tools if server_tools is None else list(server_tools)
    namespaces = server_namespaces(getattr(t, "name", "") for t in context)
    out: dict[str, Classification] = {}
    for tool in tools:
        name = _text(getattr(tool, "name", ""))
        override = overrides.get(name)
        out[name] = classify(tool, override if isinstance(override, str) else None,
                             use_annotations=use_annotations, namespaces=namespaces)
    return out
