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
   arguments that take a URL (open-world); the arguments' shape whatever the words say (an
   amount with a payee, destination or trade side is Financial; a payload to write is not
   Read; see `arguments.py`).
5. Annotations the server declared (`readOnlyHint`, `destructiveHint`, `openWorldHint`). The
   spec calls them untrusted hints, so they can make a tool riskier but never safer than its
   words: a declared read-only tool whose name deletes, sends or pays is flagged suspicious.

When signals disagree, the riskier reading wins, the confidence drops and the evidence says
which signal lost (`against`). A tool is Read only on a clear sign of reading; a weak one alone
(an ambiguous word, a verb guessed from deep in the description) leaves it Other.

Everything here is general word lists and rules, never a list of known tool names. This
module runs the stages; each lives in a module of its own (`wording`, `money_reading`,
`argument_rules`, `actions`, `exposure`, `annotations`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from policytui.risk import vocabulary as v
from policytui.risk.actions import CHOOSERS, GRAVE_ACTIONS, action_kinds, multi_action_verdict
from policytui.risk.annotations import apply_annotations, hint_facts
from policytui.risk.argument_rules import weigh_arguments
from policytui.risk.arguments import argument_shape
from policytui.risk.categories import (
    CRITICAL,
    DEFAULT_SEVERITY,
    FINANCIAL,
    LOW,
    OTHER,
    READ,
    normalize_category,
)
from policytui.risk.descriptions import (
    DescriptionVerbs,
    after_a_name_title,
    an_adjective_lead,
    description_verbs,
    the_names_plural,
)
from policytui.risk.docstring_args import with_docstring_args
from policytui.risk.european import romance_of_the
from policytui.risk.exposure import mark_exposure
from policytui.risk.findings import (
    DISAGREE,
    ONLY_IF_NOT_READ_ONLY,
    OPEN_WORLD,
    SPEC_DEFAULT,
    SUSPICIOUS,
    ActionRisk,
    HintFact,
    Verdict,
    quote,
)
from policytui.risk.money import (
    FILLER,
    MoneyRecord,
    lazy_money_record,
    money_context,
    paying_actions,
    quoted_word,
    server_handles_money,
)
from policytui.risk.money_reading import weigh_money
from policytui.risk.names import NameVerbs, name_verbs, server_namespaces, server_nouns
from policytui.risk.noun_readers import reads_by_nouns
from policytui.risk.schema import SchemaFacts, inspect_schema, normalize
from policytui.risk.server_readers import NOTHING_FOUND, VerblessReaders
from policytui.risk.wording import read_words
from policytui.toolinfo import ToolInfo


@dataclass(slots=True)
class Classification:
    """What a tool is, how bad a mistake with it can be, and the evidence for it.

    `evidence` is what the category rests on; `against` lists the signals that pointed
    elsewhere and lost. `hints` is the provenance of each annotation hint. `actions` is the
    per-action breakdown of a multi-action tool (empty otherwise) and `action_path` the
    condition path of its action argument, e.g. "args.action".

    Kept small for the cycle collector, which rescans every object a program keeps, again and
    again, as long as it keeps them: the lines are tuples of strings, which it stops tracking,
    and `hints` is a read-only mapping shared by every tool that declares the same hints (a
    copy only where the words contradict one). A classification is then one tracked object,
    where lists and a dict of its own made it five.
    """

    tool: str
    category: str
    severity: str
    confidence: float
    evidence: tuple[str, ...]
    actions: dict[str, ActionRisk] = field(default_factory=dict)
    action_path: str | None = None
    overridden: bool = False
    against: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    hints: Mapping[str, HintFact] = field(default_factory=dict)

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
        read_only = self.hints.get("readOnlyHint")
        for key, fact in self.hints.items():
            line = f"{key}={str(fact.value).lower()} ({fact.source})"
            if (fact.source == SPEC_DEFAULT and key in ONLY_IF_NOT_READ_ONLY
                    and read_only is not None and read_only.value):
                line += ": the spec counts it only for a tool that is not read-only"
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


# Values of an action argument that say how a quantity is written (Stripe's usage records:
# action: increment | set), not what the call does.
# A tool read by its nouns alone (noun_readers.py): surer than nothing found (0.20), less sure
# than a reader named by a measure (0.40).
_NOUNS_ALONE_CONFIDENCE = 0.30
_WRITE_MODES = frozenset("increment decrement set add replace overwrite append sum max last".split())


def _single(name: NameVerbs, desc: DescriptionVerbs, facts: SchemaFacts,
            schema: Any = None, money_server: bool = False,
            money_record: MoneyRecord | None = None) -> Verdict:
    """Classify a tool that does one thing, from its name, description and schema (`facts`
    and, for the rare checks that need more, the input schema itself). Each stage after the
    words may only make the reading riskier."""
    reading = read_words(name, desc)
    shape = argument_shape(schema)
    weigh_money(reading, name, desc, facts, schema, shape, money_server, money_record)
    weigh_arguments(reading, name, desc, facts, schema, shape)
    verdict = reading.verdict()
    mark_exposure(verdict, name, desc, facts)
    return verdict


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class _WordsReading(NamedTuple):
    """A tool read from its words alone (`_read_words`)."""

    verdict: Verdict
    actions: dict[str, ActionRisk]
    action_path: str | None
    schema: Any  # with the arguments its docstring documents
    verbless_name: bool  # no verb in its name: the server's verbless readers may ask of it


def _read_words(name_text: str, desc_text: str, schema: Any, namespaces: frozenset[str],
                money_server: bool, nouns: frozenset[str],
                money_record: MoneyRecord | None, named: NameVerbs | None = None) -> _WordsReading:
    """What a tool's name, description and schema say, before the server's way of naming its
    verbless readers and the tool's annotations are weighed (see `classify`). `named` is
    `name_verbs` of the name with these namespaces and nouns, when already read."""
    # Arguments a docstring documents and the schema does not are read from the docstring.
    schema = with_docstring_args(schema, desc_text)
    facts = inspect_schema(schema)
    actions: dict[str, ActionRisk] = {}
    action_path: str | None = None
    verdict: Verdict | None = None
    name = first_name = named if named is not None else name_verbs(name_text, namespaces, nouns)
    # Only a name without a verb needs the slower search for a verb deeper in the text.
    # A name whose only verb is a word more often a noun ("query_pyroscope") may have its
    # reading confirmed by a verb deeper in the description; two weak signs that agree count.
    # The whole first sentence is read for every tool, a reader's too: "Validate a shipping
    # address and save it to the address book" saves what it validates.
    desc = description_verbs(desc_text, True, name.kind is None or name.ambiguous)
    if name.verb == "del" and romance_of_the(name.words, desc.words):
        # "caja_del_dia": "Resumen de caja del día ...": "del" is "of the", not delete.
        name = name_verbs("_".join(w for w in name.words if w != "del"), namespaces, nouns)
        desc = description_verbs(desc_text, True, name.kind is None or name.ambiguous)
    # "Shopping list. Builds a grocery list and places the extras into the cart": a title
    # restating the name, then the sentence that says what the tool does.
    desc = after_a_name_title(name.words, desc) or desc
    if name.kind is None:
        desc = the_names_plural(name.words, desc) or desc
    if (name.kind == v.READ and not name.ambiguous and name.last is None
            and not name.alternatives and desc.lead == "open"):
        # "get_positions": "Open positions, optionally filtered": an adjective, not a command.
        desc = an_adjective_lead(name.words, desc) or desc
    choice = facts.action
    if choice is not None:
        kinds = action_kinds(choice.values)
        if all(kind is None for kind in kinds):
            choice = None  # "mode": standard | custom is a setting, not a choice of action
        else:
            single = _single(name, desc, facts if facts.action is None else facts._replace(action=None), schema,
                             money_server, money_record)
            chooses = v.READ in kinds and any(kind not in (None, v.READ) for kind in kinds)
            if (single.category == READ and DISAGREE not in single.flags and not name.ambiguous
                    and name.kind == v.READ and not GRAVE_ACTIONS.intersection(kinds)
                    and not chooses):
                # "list_adjustments" with action: refund | credit: a reader's filter. Not when
                # reading is one of the choices ("get_order" with action: get | refund): then
                # the others are acts too.
                single.evidence.append(f"argument {quote(choice.name)} filters what is read "
                                       "(no action in it changes anything)")
                verdict = single
                choice = None
    if choice is not None:
        # The actions decide; the name and description only say whether money is in sight.
        money = money_server or money_context(name, desc, facts, schema=schema)
        # What the tool is about: its name's words other than verbs and its namespace.
        head_words = [w for w in name.words[1 if name.namespace else 0:]
                 if w not in v.VERBS and w not in FILLER and not w.isdigit()]
        subject = (head_words[-1],) if head_words else ()  # its head noun is all that matters
        verdict, actions = multi_action_verdict(choice, money, subject, single)
        action_path = choice.path
        if verdict.category != FINANCIAL:
            # "settle: PAY an agreement's endpoint": the tool's own text says an action pays.
            for value, verb in paying_actions(schema, choice.name, choice.values,
                                              desc_text).items():
                actions[value] = ActionRisk(FINANCIAL, CRITICAL, actions[value].evidence + [
                    f"the tool's text says action {quote(value)} does "
                    f"{quoted_word(verb)}: it moves money"])
                if verdict.category != FINANCIAL:
                    verdict.evidence.append(f"action enum includes {quote(value)} (Financial): "
                                            f"described as {quoted_word(verb)}")
                    verdict.category, verdict.severity = FINANCIAL, CRITICAL
        if (verdict.category != FINANCIAL and single.category == FINANCIAL
                and _WRITE_MODES.issuperset(normalize(value) for value in choice.values)):
            # "usage.record" with action: increment | set: "Report metered usage for a
            # subscription item". The values say how a quantity is written, not what the
            # call does, and the tool's own words say the call moves money.
            verdict.evidence.append(f"argument {quote(choice.name)} says how a value is "
                                    "written, and the tool's name and description say it "
                                    "moves money: " + single.evidence[-1])
            verdict.category, verdict.severity = FINANCIAL, CRITICAL
    elif facts.action is None or verdict is None:
        verdict = _single(name, desc, facts if facts.action is None else facts._replace(action=None), schema,
                          money_server, money_record)
        unnamed = facts.action
        if (unnamed is not None and verdict.category == READ
                and normalize(unnamed.name) in CHOOSERS):
            # "budget" with action: status | tighten. A "mode" of driving or walking is a
            # setting, but an argument called "action" picks what the tool does, and no value
            # of it is a verb the table knows: not enough to call it a reader.
            verdict.evidence.append(
                f"argument {quote(unnamed.name)} picks one of {len(unnamed.values)} actions, none "
                "of them a known verb: not enough to call it Read")
            verdict.against.append("the name and description alone would say it reads")
            verdict.category, verdict.severity = OTHER, LOW
    return _WordsReading(verdict, actions, action_path, schema, first_name.kind is None)


def classify(tool: ToolInfo, override: str | None = None, *, use_annotations: bool = True,
             namespaces: frozenset[str] = frozenset(), money_server: bool = False,
             nouns: frozenset[str] = frozenset(),
             money_record: MoneyRecord | None = None,
             verbless: VerblessReaders | None = None) -> Classification:
    """Classify one tool. Never raises on odd tool data; an unknown override is ignored (and
    said so in the evidence). `use_annotations=False` classifies from words and schema alone
    (used to measure the classifier against servers' own annotations). `namespaces` are the
    server's namespace words (see `server_namespaces`; `classify_all` finds them), `nouns` the
    verbs its names use as nouns (see `server_nouns`), `money_record()` the money document its
    words give as one of its generic records (see `lazy_money_record`), `verbless` how the
    server names its verbless readers (see `verbless_readers`)."""
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

    context = (namespaces, money_server, nouns, money_record)
    # A server's verbless tools are read from their words alone when it is first asked how it
    # names its readers (`verbless_readers`): such a reading is taken over, not done again.
    shared = verbless is not None and verbless.context == context
    reading = verbless.take(tool) if shared and verbless is not None else None
    if reading is None:
        # Its name as read when the server's verbless tools were sought, if that came first.
        named = (verbless.names_read.pop(name_text, None)
                 if shared and verbless is not None and verbless.names_read else None)
        reading = _read_words(name_text, desc_text, schema, *context, named)
    verdict, actions, action_path, schema, verbless_name = reading
    if shared and verbless_name and verbless is not None:
        # What its words alone say, for that server-wide reading if it is still to come.
        verbless.said(tool, verdict.category, verdict.evidence[0] if verdict.evidence else "")
    if (not actions and verdict.category == OTHER and verdict.evidence
            and verdict.evidence[0] == NOTHING_FOUND and not verdict.flags):
        if (verbless is not None
                and (line := verbless.reads(name_text, desc_text, schema)) is not None):
            # "orders" on a server whose other verbless tools ("trips", "documents") are shown
            # to read: the server names its readers so (server_readers.py).
            verdict.evidence.append(line)
            verdict.against.append("its own words alone say nothing of what it does")
            verdict.category, verdict.severity = READ, LOW
        elif (line := reads_by_nouns(name_text, desc_text, schema)) is not None:
            # "kontostand": "Kontostand des Kontos." with an account to pick: nouns alone, no
            # act named, nothing handed but which one (noun_readers.py). Less sure than a
            # reader named by a measure. Annotations come after, for both.
            verdict.evidence.append(line)
            verdict.against.append("no verb says what it does")
            verdict.category, verdict.severity = READ, LOW
            verdict.confidence = _NOUNS_ALONE_CONFIDENCE
    hints = apply_annotations(verdict, actions, hint_facts(annotations))

    overridden = False
    if override is not None:
        category = normalize_category(override)
        if category is None:
            verdict.evidence.insert(
                0, f"override {quote(str(override))} ignored: not a risk category")
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
                          tuple(verdict.evidence), actions, action_path, overridden,
                          tuple(verdict.against) if verdict.against else (),
                          tuple(verdict.flags) if verdict.flags else (), hints)


class ServerContext(NamedTuple):
    """What classifying any one tool needs from its whole server."""

    namespaces: frozenset[str]  # `compute_` in `compute_vm_delete`
    money_server: bool  # money is the server's business
    nouns: frozenset[str]  # verbs its names use as nouns ("build" beside "list_builds")
    # The money document its words give as one of its generic records ("invoice" where a tool
    # submits "a document (e.g. Sales Invoice)"), or None; read when first asked for.
    money_record: MoneyRecord | None = None
    # Whether its verbless tools show it to name its readers so; worked out when first asked.
    verbless: VerblessReaders | None = None


def verbless_readers(tools: Iterable[Any], namespaces: frozenset[str], money_server: bool,
                     nouns: frozenset[str],
                     money_record: MoneyRecord | None) -> VerblessReaders:
    """How the server of `tools` names its verbless readers (server_readers.py): each of its
    tools with no verb in the name is read from its words alone when a verbless tool left
    Other first asks, and the answer kept."""

    def might_be_verbless(name: str) -> bool:
        found = name_verbs(name, namespaces, nouns)
        if reader.names_read is not None:
            # Kept for its tool's own reading while `classify_all` goes through the tools: a
            # name is read once, whether the verbless tools are sought before or after it.
            reader.names_read[name] = found
        return found.kind is None

    def words_only(tool: Any) -> tuple[str, str, _WordsReading]:
        # As `classify` reads it with annotations unused (they are weighed only afterwards);
        # the reading is kept for the tool's own classification, which goes on from it.
        name_text = _text(getattr(tool, "name", ""))
        desc_text = _text(getattr(tool, "description", ""))
        reading = _read_words(name_text, desc_text, getattr(tool, "input_schema", None),
                              namespaces, money_server, nouns, money_record,
                              reader.names_read.pop(name_text, None) if reader.names_read
                              else None)
        evidence = reading.verdict.evidence
        return reading.verdict.category, evidence[0] if evidence else "", reading

    reader = VerblessReaders(tools, might_be_verbless, words_only,
                             (namespaces, money_server, nouns, money_record))
    return reader


def server_context(tools: Iterable[Any]) -> ServerContext:
    """The server-wide facts (`ServerContext`) read from all of a server's tool names, and
    from their descriptions, when first asked for, the money record (`lazy_money_record`) and
    how it names its verbless readers (`verbless_readers`)."""
    tools = list(tools)
    names = [getattr(t, "name", "") for t in tools]
    namespaces, money_server = server_namespaces(names), server_handles_money(names)
    nouns, money_record = server_nouns(names), lazy_money_record(tools)
    return ServerContext(namespaces, money_server, nouns, money_record,
                         verbless_readers(tools, namespaces, money_server, nouns, money_record))


def classify_all(tools: Iterable[ToolInfo], overrides: Mapping[str, Any] | None = None,
                 *, use_annotations: bool = True,
                 server_tools: Iterable[ToolInfo] | None = None,
                 namespaces: frozenset[str] | None = None,
                 money_server: bool | None = None,
                 nouns: frozenset[str] | None = None,
                 money_record: MoneyRecord | None = None,
                 verbless: VerblessReaders | None = None) -> dict[str, Classification]:
    """Classify every tool, applying `overrides` ({tool name: category}) where given. The
    server's namespace words are `namespaces` when the caller found them already, else found
    from `server_tools` (all of the server's tools, when only some are classified) or else from
    `tools`; so are its other facts (`ServerContext`)."""
    tools = list(tools)
    server = tools if server_tools is None else list(server_tools)
    overrides = overrides if isinstance(overrides, Mapping) else {}
    if namespaces is None or money_server is None or nouns is None or money_record is None:
        found = server_context(server)
        if (verbless is None and namespaces is None and money_server is None and nouns is None
                and money_record is None):
            # The server's facts as found, its verbless readers with them: not built again
            # below (nothing of them is worked out before a tool asks).
            verbless = found.verbless
        namespaces = found.namespaces if namespaces is None else namespaces
        money_server = found.money_server if money_server is None else money_server
        nouns = found.nouns if nouns is None else nouns
        money_record = found.money_record if money_record is None else money_record
    if verbless is None:
        verbless = verbless_readers(server, namespaces, money_server, nouns, money_record)
    out: dict[str, Classification] = {}
    # Thousands of small objects and no reference cycles: the cycle collector would only
    # rescan them again and again (about a sixth of the time on 10,000 tools).
    collecting = gc.isenabled()
    gc.disable()
    # Names read while the server's verbless tools are sought, kept for this loop alone.
    names_kept, verbless.names_read = verbless.names_read, {}
    try:
        for tool in tools:
            name = _text(getattr(tool, "name", ""))
            override = overrides.get(name)
            out[name] = classify(tool, override if isinstance(override, str) else None,
                                 use_annotations=use_annotations, namespaces=namespaces,
                                 money_server=money_server, nouns=nouns,
                                 money_record=money_record, verbless=verbless)
    finally:
        verbless.names_read = names_kept
        if collecting:
            gc.enable()
    return out
