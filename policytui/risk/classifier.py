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

Everything here is general word lists and rules, never a list of known tool names.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from policytui.risk import vocabulary as v
from policytui.risk.annotations import apply_annotations, hint_facts
from policytui.risk.arguments import argument_shape
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
from policytui.risk.descriptions import (
    DescriptionVerbs,
    description_verbs,
    generates_rendering,
    removal_word,
)
from policytui.risk.findings import (
    DISAGREE,
    OPEN_WORLD,
    SECRETS,
    SUSPICIOUS,
    ActionRisk,
    HintFact,
    Verdict,
    quote,
)
from policytui.risk.kinds import CONNECTORS, KIND_ORDER, KIND_RISK, KIND_TEXT
from policytui.risk.money import (
    FILLER,
    confirms_a_check,
    converted_into,
    description_object,
    details_only,
    financial,
    launched_money,
    money_act,
    money_context,
    money_noun_read,
    narrower_object,
    on_cart,
    paying_actions,
    paying_word,
    pretended,
    quoted_word,
    raw_api_call,
    server_handles_money,
    spender_argument,
)
from policytui.risk.names import NameVerbs, name_verbs, server_namespaces
from policytui.risk.schema import ActionArgument, SchemaFacts, inspect_schema, normalize
from policytui.risk.words import base_verb, visible_token
from policytui.toolinfo import ToolInfo

_TERMINAL_TEXT = re.compile(r"\b(?:terminal|shell|repl|command line|console|bash)\b", re.I)


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


# ----- putting the signals together --------------------------------------------------------


_PATH_ENDINGS = ("path", "file", "dir", "directory", "filename", "folder")


def _path_argument(schema: Any) -> str | None:
    """The first argument whose name says it is the path of a particular file or folder
    ("csv_path", "target_dir"); a bare `path` is usually what is read."""
    props = schema.get("properties") if type(schema) is dict else None
    if type(props) is not dict:
        return None
    for arg in list(props)[:50]:
        if type(arg) is str:
            key = normalize(arg)
            if key.endswith(_PATH_ENDINGS) and key not in _PATH_ENDINGS:
                return arg
    return None


def _name_reading(name: NameVerbs, desc: DescriptionVerbs, evidence: list[str],
                  against: list[str]) -> tuple[str, int, bool]:
    """(kind, confidence in hundredths, a clear sign?) from the name; a disagreement inside
    the name (first verb vs last verb) goes to the riskier verb."""
    texts = KIND_TEXT
    kind = name.kind
    verb = name.verb
    assert kind is not None and verb is not None
    if name.agent:
        evidence.append(f"name ends with '{name.agent}', one who does '{verb}', which "
                        f"{texts[kind]}")
    elif name.launched:
        evidence.append(f"name verb '{name.launched}' starts a '{verb}', which {texts[kind]}")
    elif name.lexicon:
        evidence.append(f"name verb '{verb}' {texts[kind]}, as cloud APIs use it (public API "
                        "lexicon)")
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
        riskier = last_kind if KIND_ORDER[last_kind] > KIND_ORDER[kind] else kind
        loser, lost = (verb, kind) if riskier == last_kind else (last, last_kind)
        winner = last if riskier == last_kind else verb
        said = desc.kind is not None and KIND_RISK[desc.kind][0] == KIND_RISK[riskier][0]
        evidence.append(f"name verbs '{verb}' and '{last}' disagree: the riskier '{winner}' "
                        "wins" + (", and the description agrees" if said else ""))
        against.append(f"'{loser}' alone would say it {texts[lost]}")
        kind, clear = riskier, True
        confidence = 70 if said else 50
    for alt, other in name.alternatives:
        evidence.append(f"name also says '{alt}', which {texts[other]}")
        if KIND_ORDER[other] > KIND_ORDER[kind]:
            kind = other
    return kind, confidence, clear


def _reading_named(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """Why a name whose verb adds or changes something still reads, when its description
    starts directly with a verb that reads; None when the name's riskier reading must stand.
    Three shapes, each with nothing else in the name that acts (no second verb at its end,
    no alternatives):
    - the name's verb is a word more often a noun and stands after another word
      ("maps_place_details", "weather_archive": the place, the archive);
    - the name starts with the very verb the description leads with, and what the name calls
      its verb comes later, as part of the object ("check_import_status": "Checks the status
      of an import job");
    - the name says 'generate' and the description says it generates a rendering or text to
      hand back ("generate_bar_chart": "Generate a bar chart ..."), with no link, key, token
      or report named in the name."""
    if name.alternatives or name.agent or name.launched:
        return None
    if name.last is not None:
        return _last_named_as_object(name, desc)
    verb = name.verb
    words = name.words
    if (verb == "generate" and generates_rendering(desc)
            and not v.NOT_RETURNED.intersection(words)):
        return _RENDERED
    if desc.lead not in _leading_words(desc.words):
        return None  # a verb found elsewhere (a CJK sentence): not the sentence's own lead
    if name.ambiguous and name.prefix and verb not in v.HTTP_WRITES and name.kind != v.MONEY:
        # "api_post" is the HTTP method, never a noun; a verb that moves money
        # ("customer_refund") keeps its reading, the costliest to get wrong.
        return f"'{verb}' is more often a noun, and here it follows '{name.prefix[-1]}'"
    if (verb in _RUNS and desc.lead in _RUNS and words[-1] in _QUERY_WORDS
            and not name.prefix and len(words) <= 3
            and any(word in v.READ_ONLY_QUERY_LANGUAGES for word in desc.words[:12])
            and _only_reads_after(desc.words)):
        # "run_query": "Run a Beancount Query Language (BQL) query" (arguments that take SQL
        # or other code still make it Execute).
        return _READ_ONLY_QUERY
    if verb in v.CAPTURES and desc.kind == v.READ and desc.lead in v.CAPTURES:
        # "snapshot_ui": "Capture a UI snapshot"; "capture_screen": "Capture the screen".
        after = words[words.index(verb) + 1:] if verb in words else []
        if v.captures_a_screen(after) or not after:  # not "capture_payment"
            return _SCREEN_CAPTURE
    start = 1 if name.namespace else 0
    if (name.prefix and start < len(words) and words[start] == desc.lead
            and v.VERBS.get(words[start]) == v.READ and not CONNECTORS.intersection(name.prefix)):
        return f"the name starts with '{desc.lead}' too; '{verb}' names what it looks at"
    return None


_RENDERED = "it draws a rendering of what it is handed and hands it back"
_SCREEN_CAPTURE = "what it captures is a picture of a screen, handed back"
_READ_ONLY_QUERY = "what it runs is a query in a language that can only read"
_RUNS = frozenset(("run", "execute", "exec"))


def _only_reads_after(tokens: list[str]) -> bool:
    """Does no word after the sentence's first one say it does more than read ("Run a PromQL
    query and delete the series")?"""
    for token in tokens[1:]:
        verb = base_verb(token)
        if verb is not None and v.VERBS[verb] != v.READ:
            return False
    return True

_QUERY_WORDS = frozenset(("query", "queries"))
# Words after which the name's last verb is still a verb: "to run", "and email", "will run".
_VERB_BEFORE = frozenset((
    "to", "and", "or", "then", "also", "nor", "but", "will", "can", "may", "must", "should",
    "could", "would", "you", "we", "i", "they", "it", "not", "never", "please"))
# Words after which it is still a verb with its own object: "email them", "run the tests".
_OBJECT_AFTER = frozenset((
    "it", "them", "him", "her", "us", "me", "the", "a", "an", "this", "that", "these",
    "those", "its", "their", "your", "my", "our", "all", "each", "every"))
# The object of a reading lead is looked for this far.
_OBJECT_WINDOW = 12
# Verbs that look at an action before it is done: what they read is the action itself ("preview
# an update for a subscription"), which servers often carry out to show it.
_TRIES_AN_ACTION = frozenset((
    "preview", "simulate", "estimate", "quote", "calculate", "validate", "verify", "test",
    "plan", "dry", "try"))


def _last_named_as_object(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """A name with a reading verb and a verb that adds something at its end ("get_email",
    "get_reminder_copy") reads when the description leads with a reading verb and names that
    last word as the thing read, inside the lead's object ("Get the full content of a specific
    email", "Show the user's reminder email copy"). Only for a last verb that adds or changes
    state: one that runs, changes existing data, removes or moves money keeps the riskier
    reading ("get_job_run" stays Execute, as the fail-safe tests require), and so does an HTTP
    method. Never when a connector or "to" comes first ("Get a user and email them"), and never
    for a preview or simulation of an action ("Preview an update ...")."""
    last = name.last
    if (name.kind != v.READ or last is None or name.last_kind != v.WRITE
            or last in v.HTTP_WRITES or CONNECTORS.intersection(name.words)
            or name.verb in _TRIES_AN_ACTION or desc.lead in _TRIES_AN_ACTION):
        return None
    tokens = desc.words
    lead = desc.lead
    start = next((i for i, token in enumerate(tokens[:3]) if base_verb(token) == lead), None)
    if start is None:
        return None
    end = min(len(tokens), start + 1 + _OBJECT_WINDOW)
    for i in range(start + 1, end):
        token = tokens[i]
        if token in _VERB_BEFORE:
            return None  # a second clause or step starts before the word is named
        if token == last or token == last + "s":
            after = tokens[i + 1] if i + 1 < len(tokens) else None
            if after in _OBJECT_AFTER:
                return None
            return (f"'{last}' is what it reads: the description reads "
                    f"{quoted_word(' '.join(tokens[max(start + 1, i - 3):i + 1]))}")
    return None


def _leading_words(tokens: list[str]) -> set[str | None]:
    return {base_verb(token) for token in tokens[:3]}


def _how_said(desc: DescriptionVerbs) -> str:
    if desc.lexicon:
        return "description leads with the cloud API verb"  # public API lexicon
    return "description says" if desc.indirect else "description starts with"


def _narrow_financial(kind: str, acting: str | None, desc: DescriptionVerbs,
                      money: Callable[[], bool], found: list[str]) -> bool:
    """The description's narrower object ("every open order", cut before "across all
    markets") moves money. Asked only when it differs from the wider one, and never with an
    empty object, which would read as the bare verb."""
    if not narrower_object(desc):
        return False
    narrow = description_object(desc, narrow=True)
    return bool(narrow) and narrow != description_object(desc) and financial(
        kind, acting, narrow, money, found, "description")


def _single(name: NameVerbs, desc: DescriptionVerbs, facts: SchemaFacts,
            schema: Any = None, money_server: bool = False) -> Verdict:
    """Classify a tool that does one thing, from its name, description and schema (`facts`
    and, for the rare checks that need more, the input schema itself)."""
    evidence: list[str] = []
    against: list[str] = []
    order = KIND_ORDER
    texts = KIND_TEXT
    kind: str | None = None  # the riskiest reading so far
    confidence = 20  # hundredths, so sums stay exact
    clear = False  # a clear sign (not only a weak one) for the reading
    disagree = False
    rendered = False  # drawn from the data it is handed: a payload is what it draws
    desc_kind = desc.kind
    if name.kind is not None and name.verb is not None and money_noun_read(name, desc):
        # "refund_status", described as "Check the current state of a refund request".
        evidence.append(f"name word {quoted_word(name.verb)} names a money act whose state is "
                        f"read, and the description starts with '{desc.lead}'")
        kind, confidence, clear = v.READ, 70, True
    elif name.kind is not None and name.verb is not None:
        kind, confidence, clear = _name_reading(name, desc, evidence, against)
        disagree = name.last is not None
        if desc_kind is not None:
            how = _how_said(desc)
            if KIND_RISK[desc_kind][0] == KIND_RISK[kind][0]:
                if order[desc_kind] > order[kind]:
                    kind = desc_kind  # same category, graver ("update" named, "delete" said)
                confidence += 10
                # A direct description verb is a clear sign; so are two weak ones agreeing,
                # but not the public API lexicon twice ("select" named, "Select" said).
                clear = clear or not desc.indirect or (
                    name.ambiguous and not (name.lexicon and desc.lexicon))
                evidence.append(f"{how} '{desc.lead}', which agrees")
            elif desc_kind == v.READ and not desc.indirect and (
                    reason := _reading_named(name, desc)) is not None:
                # The name's riskier verb is no verb here: the description's own leading
                # verb says what the tool does ("maps_place_details": "Get details ...").
                against.append(f"the name alone would say it {texts[kind]}")
                evidence.append(f"description starts with '{desc.lead}', which reads: {reason}")
                kind, confidence, clear = v.READ, 65, True
                rendered = reason is _RENDERED
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
        rendered = kind == v.READ and generates_rendering(desc)
        how = _how_said(desc)
        evidence.append(f"{how} '{desc.lead}', which {texts[kind]}")
        confidence = 45 if desc.indirect else 55
        clear = not desc.indirect
    if kind is not None:
        # "Read or replace the clipboard": offered alternatives count whatever the lead.
        for verb, other in desc.alternatives:
            if order[other] > order[kind]:
                kind = other
                clear = True
                evidence.append(f"description also offers '{verb}', which {texts[other]}")
    if kind is not None and kind != v.READ:
        if order[kind] < order[v.REMOVE]:
            # A tool that changes something and whose first sentence also removes something
            # ("Disable a user, removing their access") may destroy.
            removal = removal_word(desc.words)
            if removal is not None:
                kind = v.REMOVE
                evidence.append(f"description also says '{removal}', which removes or destroys")
    unknown = desc.unknown_alternative if desc.kind == v.READ else None
    if kind == v.READ and unknown is not None:
        # "View or tighten the limits": the other thing it offers is no verb in the table, and
        # an unknown step is no reason to let it through as a reader.
        against.append("reads, but the description offers something else it does too")
        evidence.append(f"description also offers {quoted_word(unknown)}, an unknown verb: "
                        "not enough to call it Read")
        kind = None
        category, severity = OTHER, LOW
    elif kind == v.READ and not clear:
        # One weak sign (an ambiguous word, a verb found deep in the description) is not
        # enough to let a tool through as a reader.
        against.append("reads, but only on a weak sign: not enough to call it Read")
        evidence.append("only a weak sign of reading, so not Read")
        kind = None
        category, severity = OTHER, LOW
    elif kind == v.MONEY and (pretence := pretended(name.words)) is not None:
        # "paper_buy", "mock_payment": paying in pretence changes the pretend account only.
        against.append("the money verb alone would say it moves money")
        evidence.append(f"name word {quoted_word(pretence)}: a pretence, no money moves")
        kind = v.WRITE
        category, severity = KIND_RISK[kind]
    elif kind is not None:
        category, severity = KIND_RISK[kind]
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
        seen: list[bool] = []

        def money() -> bool:
            if not seen:
                seen.append(money_server or money_context(name, desc, facts, schema=schema))
            return seen[0]

        words = name.words[1:] if name.namespace else name.words
        # "skill_trade_review", described as "Analyzes closed trades": the name's only verb
        # is a noun there, and the description reads. Unless the description does it too, as
        # a later step ("Get the balance, then transfer the funds").
        noun_verb = (name.ambiguous and desc.kind == v.READ and not desc.indirect
                     and acting == name.verb and acting in v.MONEY_IF_CONTEXT
                     and all(verb != acting for verb, _ in desc.alternatives))
        found: list[str] = []
        # What the description's verb acts on counts too; a description without a verb says
        # nothing (its empty object would read as a bare "deposit" with money in sight). And a
        # change that touches only details ("Update an order's addresses") leaves the money.
        # A "confirm" that only checks ("verify_payment": "Confirm a payment settled") and a
        # change made on a shopping cart ("Set the tip on the cart") move no money either.
        if not noun_verb and not confirms_a_check(name, desc) and (
                financial(kind, acting, words, money, found) or (
                    desc.lead is not None and (
                        financial(kind, acting, description_object(desc), money, found,
                                  "description")
                        or _narrow_financial(kind, acting, desc, money, found)))
                ) and not details_only(desc) and not on_cart(desc):
            evidence.extend(found)
            category, severity = FINANCIAL, CRITICAL
            confidence = max(confidence, 70)
        elif name.verb in v.HTTP_WRITES and raw_api_call(schema) and money():
            # "api_post" with a free `path`: it can call anything the API offers, and this
            # API handles money.
            evidence.append(f"sends any {name.verb} request to an API that handles money")
            category, severity = FINANCIAL, CRITICAL

    if category != FINANCIAL:
        words = name.words[1:] if name.namespace else name.words
        made = converted_into(words) or launched_money(words) or (
            launched_money(desc.words) if category != READ else None)
        paying = None if made else paying_word(desc, reads=category == READ)
        if made is not None:
            # "convert_estimate_to_invoice", "initiate_payment": whatever the verb, what comes
            # out (or is started) is money owed or moving.
            evidence.append(f"it makes or starts {quoted_word(made)}: it creates what someone "
                            "pays or is owed")
        elif paying is not None:
            evidence.append(f"description says {quoted_word(paying)} on the way: it spends "
                            "money")
        acted = None
        if made is None and paying is None and not (category == READ and desc.kind == v.READ):
            acted = money_act(words, desc.words[0] if desc.words else None,
                              lambda: money_server or money_context(name, desc, facts,
                                                                    schema=schema))
            if acted is not None:
                evidence.append(f"verb {quoted_word(acted)} moves money")
            elif category != READ and (spender := spender_argument(schema)) is not None:
                acted = spender
                evidence.append(f"argument {quote(spender)} names who may spend the funds: "
                                "it grants an allowance")
        if made is not None or paying is not None or acted is not None:
            if category == READ:
                against.append("the verb alone would say it reads")
            category, severity = FINANCIAL, CRITICAL
            confidence = max(confidence, 70)

    shape = argument_shape(schema)
    if shape.transfer and category not in (READ, FINANCIAL) and pretended(name.words) is None:
        # The arguments' shape carries across servers where money words do not: an amount
        # with a payee, a destination account or a trade side moves money, whatever the verb.
        evidence.append(f"arguments {quote(shape.amounts[0])} and {quote(shape.counterparts[0])}"
                        " give an amount and where it goes: it moves money")
        category, severity = FINANCIAL, CRITICAL
        confidence = max(confidence, 70)

    # Arguments that take code make it Execute whatever the name says ("read_query" runs SQL).
    if facts.code_arguments and category in (READ, OTHER, WRITE, EXECUTE):
        shell = next((n for n, k in facts.code_arguments if k == "shell"), None)
        arg, what = (shell, "shell commands or code") if shell else (
            facts.code_arguments[0][0],
            "GraphQL, which may be a mutation" if facts.code_arguments[0][1] == "graphql"
            else "SQL")
        evidence.append(f"argument {quote(arg)} takes {what}" if shell else
                        f"argument {quote(arg)} takes code ({what})")
        if category == READ:
            against.append("the name and description alone would say it reads")
        category, severity = EXECUTE, CRITICAL if shell else HIGH
        confidence = max(confidence, 80)
    elif category == EXECUTE and _TERMINAL_TEXT.search(desc.sentence):
        evidence.append("description says it runs in a terminal, shell or REPL")
        severity = CRITICAL

    # A reader told where to save its result writes files ("download_report", outputDir;
    # "export_csv" with a csv_path).
    output = facts.output_arguments[0] if facts.output_arguments else None
    if output is None and category == READ and (name.verb in v.FILE_PRODUCERS
                                                 or desc.lead in v.FILE_PRODUCERS):
        output = _path_argument(schema)
    if category in (READ, OTHER) and output is not None:
        evidence.append(f"argument {quote(output)} says where it writes a file")
        if category == READ:
            against.append("the name and description alone would say it reads")
        category, severity = WRITE, DEFAULT_SEVERITY[WRITE]

    # A tool handed something to write (`body`, `content`, `yaml`) is no reader, whatever its
    # name says ("sync_config" with a `yaml`, "preview_post" with a `body`).
    if category == READ and shape.payloads and not rendered:
        evidence.append(f"argument {quote(shape.payloads[0])} holds something to write")
        against.append("the name and description alone would say it reads")
        category, severity = WRITE, DEFAULT_SEVERITY[WRITE]
        disagree = True

    # A tool told what steps to perform ("actions": click, write, executeJavascript) does
    # whatever its riskiest step does, whatever its name says ("scrape" a page after typing).
    if facts.steps is not None and category in (READ, OTHER):
        step_arg, values = facts.steps
        riskiest = None
        for value in values:
            step_kind = _action_kind(value)
            if step_kind is not None and step_kind != v.READ and (
                    riskiest is None or KIND_ORDER[step_kind] > KIND_ORDER[riskiest[1]]):
                riskiest = (value, step_kind)
        if riskiest is not None:
            evidence.append(f"argument {quote(step_arg)} lists steps to perform, among them "
                            f"{quote(riskiest[0])}, which {texts[riskiest[1]]}")
            if category == READ:
                against.append("the name and description alone would say it reads")
            category, severity = KIND_RISK[riskiest[1]]
            disagree = True

    # A reader handed a file to upload or an app to install ("take_screenshot" of an app it
    # installs first) sends or installs something.
    if facts.sent_arguments and category in (READ, OTHER):
        sent_arg, how = facts.sent_arguments[0]
        evidence.append(f"argument {quote(sent_arg)} is something to {how}")
        if category == READ:
            against.append("the name and description alone would say it reads")
        category, severity = KIND_RISK[v.VERBS[how]]
        disagree = True

    # A switch named by a removal verb ("prune" on a fetch): set, the tool removes things.
    if facts.removal_switches and category in (READ, OTHER):
        evidence.append(f"argument {quote(facts.removal_switches[0])} switches on removing "
                        "things")
        if category == READ:
            against.append("the name and description alone would say it reads")
        category, severity = DESTRUCTIVE, HIGH
        disagree = True

    # A writer that can be told to overwrite, force or remove is a destroyer.
    if category in (WRITE, DESTRUCTIVE) and severity != CRITICAL:
        if facts.removal_switches:
            evidence.append(f"argument {quote(facts.removal_switches[0])} switches on "
                            "removing things")
            category, severity = DESTRUCTIVE, CRITICAL
        elif facts.force_arguments:
            evidence.append(f"argument {quote(facts.force_arguments[0])} can force or overwrite")
            category, severity = DESTRUCTIVE, CRITICAL
        elif name.forced:
            evidence.append("name says 'force'")
            category, severity = DESTRUCTIVE, CRITICAL
    verdict = Verdict(category, severity, min(confidence, 95) / 100, evidence, kind, against)
    if disagree:
        verdict.flags.append(DISAGREE)
    _exposure(verdict, name, desc, facts)
    return verdict


_SECRET_TEXT = re.compile(
    r"\b(?:secrets?|credentials?|passwords?|api[ _-]?keys?|access[ _-]?tokens?|private[ _-]?keys?"
    r"|environment variables?|env vars?)\b", re.I)


# Words one of which every match of _SECRET_TEXT contains: most sentences have none, and a
# substring test is far cheaper than the case-blind pattern.
_SECRET_HINTS = ("secret", "credential", "password", "key", "token", "environment", "env var")


def _mentions_secrets(sentence: str) -> bool:
    lowered = sentence.lower()
    return any(hint in lowered for hint in _SECRET_HINTS) and _SECRET_TEXT.search(sentence) is not None


def _exposure(verdict: Verdict, name: NameVerbs, desc: DescriptionVerbs,
              facts: SchemaFacts) -> None:
    """What a call can expose or reach, beyond what it changes: secrets (severity at least
    High) and the open world (arbitrary URLs, messages sent outward)."""
    hits = v.SECRET_WORDS.intersection(name.words)
    secret = next(w for w in name.words if w in hits) if hits else None
    if secret is not None:
        verdict.evidence.append(f"name word '{secret}': a call can expose secrets")
    elif _mentions_secrets(desc.sentence):
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
        verdict.evidence.append(f"argument {quote(facts.url_arguments[0])} takes an address "
                                "anywhere on the network (open-world)")
        if verdict.category == READ and verdict.severity == LOW:
            verdict.severity = MEDIUM



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


def _multi(action: ActionArgument, money: bool, subject: tuple[str, ...],
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


# Argument names that always pick what a tool does (a "mode" or "method" may be a setting).
_CHOOSERS = frozenset("action actions operation op command cmd subcommand actiontype "
                      "operationtype".split())

# Action values that keep a reader's enum an action selector rather than a filter.
_GRAVE_ACTIONS = frozenset((v.MODIFY, v.REMOVE, v.EXECUTE))


def _action_kinds(values: tuple[str, ...]) -> list[str | None]:
    return [_action_kind(value) for value in values]


@lru_cache(maxsize=4096)
def _action_kind(value: str) -> str | None:
    return name_verbs(value).kind


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def classify(tool: ToolInfo, override: str | None = None, *, use_annotations: bool = True,
             namespaces: frozenset[str] = frozenset(), money_server: bool = False
             ) -> Classification:
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
    verdict: Verdict | None = None
    name = name_verbs(name_text, namespaces)
    # Only a name without a verb needs the slower search for a verb deeper in the text.
    # A name whose only verb is a word more often a noun ("query_pyroscope") may have its
    # reading confirmed by a verb deeper in the description; two weak signs that agree count.
    # A reading name needs only the description's leading verb, from its first few words (a
    # reader's sentence names things: "Shows changes", "branches or commits"); the whole
    # first sentence is read when that verb does not read too. A read only by the public API
    # lexicon is too weak a sign to skip the rest.
    reader = name.kind == v.READ and name.last is None and not name.lexicon
    desc = description_verbs(desc_text, not reader, name.kind is None or name.ambiguous)
    if reader and desc.kind is not None and desc.kind != v.READ:
        desc = description_verbs(desc_text, True, False)
    choice = facts.action
    if choice is not None:
        kinds = _action_kinds(choice.values)
        if all(kind is None for kind in kinds):
            choice = None  # "mode": standard | custom is a setting, not a choice of action
        else:
            single = _single(name, desc, facts if facts.action is None else facts._replace(action=None), schema,
                             money_server)
            if (single.category == READ and DISAGREE not in single.flags and not name.ambiguous
                    and name.kind == v.READ and not _GRAVE_ACTIONS.intersection(kinds)):
                # "list_adjustments" with action: refund | credit: a reader's filter.
                single.evidence.append(f"argument {quote(choice.name)} filters what is read "
                                       "(no action in it changes anything)")
                verdict = single
                choice = None
    if choice is not None:
        # The actions decide; the name and description only say whether money is in sight.
        money = money_server or money_context(name, desc, facts, schema=schema)
        # What the tool is about: its name's words other than verbs and its namespace.
        nouns = [w for w in name.words[1 if name.namespace else 0:]
                 if w not in v.VERBS and w not in FILLER and not w.isdigit()]
        subject = (nouns[-1],) if nouns else ()  # its head noun is all that matters
        verdict, actions = _multi(choice, money, subject, single)
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
    elif facts.action is None or verdict is None:
        verdict = _single(name, desc, facts if facts.action is None else facts._replace(action=None), schema,
                          money_server)
        unnamed = facts.action
        if (unnamed is not None and verdict.category == READ
                and normalize(unnamed.name) in _CHOOSERS):
            # "budget" with action: status | tighten. A "mode" of driving or walking is a
            # setting, but an argument called "action" picks what the tool does, and no value
            # of it is a verb the table knows: not enough to call it a reader.
            verdict.evidence.append(
                f"argument {quote(unnamed.name)} picks one of {len(unnamed.values)} actions, none "
                "of them a known verb: not enough to call it Read")
            verdict.against.append("the name and description alone would say it reads")
            verdict.category, verdict.severity = OTHER, LOW
    hints = hint_facts(annotations)
    apply_annotations(verdict, actions, hints)

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
                          verdict.evidence, actions, action_path, overridden, verdict.against,
                          verdict.flags, hints)


def server_context(tools: Iterable[Any]) -> tuple[frozenset[str], bool]:
    """What classifying any one tool needs from its whole server: the namespace words
    (`compute_` in `compute_vm_delete`) and whether money is the server's business."""
    names = [getattr(t, "name", "") for t in tools]
    return server_namespaces(names), server_handles_money(names)


def classify_all(tools: Iterable[ToolInfo], overrides: Mapping[str, Any] | None = None,
                 *, use_annotations: bool = True,
                 server_tools: Iterable[ToolInfo] | None = None,
                 namespaces: frozenset[str] | None = None,
                 money_server: bool | None = None) -> dict[str, Classification]:
    """Classify every tool, applying `overrides` ({tool name: category}) where given. The
    server's namespace words are `namespaces` when the caller found them already, else found
    from `server_tools` (all of the server's tools, when only some are classified) or else from
    `tools`."""
    tools = list(tools)
    overrides = overrides if isinstance(overrides, Mapping) else {}
    if namespaces is None or money_server is None:
        found_namespaces, found_money = server_context(tools if server_tools is None else server_tools)
        namespaces = found_namespaces if namespaces is None else namespaces
        money_server = found_money if money_server is None else money_server
    out: dict[str, Classification] = {}
    # Thousands of small objects and no reference cycles: the cycle collector would only
    # rescan them again and again (about a sixth of the time on 10,000 tools).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for tool in tools:
            name = _text(getattr(tool, "name", ""))
            override = overrides.get(name)
            out[name] = classify(tool, override if isinstance(override, str) else None,
                                 use_annotations=use_annotations, namespaces=namespaces,
                                 money_server=money_server)
    finally:
        if collecting:
            gc.enable()
    return out
