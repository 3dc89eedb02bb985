"""The verbs in a tool description's first sentence: the leading verb, the verbs offered as
its alternatives, and a removal said anywhere in the sentence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from policytui.risk import vocabulary as v
from policytui.risk.european import european_verbs
from policytui.risk.kinds import CONNECTORS, KIND_ORDER
from policytui.risk.russian import russian_verbs
from policytui.risk.words import (
    ADJECTIVES_BEFORE_PLURALS,
    DESCRIPTION_WINDOW,
    OBJECT_OPENERS,
    PARTICLES,
    PHRASAL_VERBS,
    SEPARATORS,
    adjective_here,
    after_marks,
    base_verb,
    blind_finditer,
    blind_lower,
    blind_search,
    case_plain,
    contains_any,
    first_letters_skipped_to,
    first_sentence,
    join_phrasal,
    leftmost_matches,
    lexicon_verb,
    participle_verb,
    plural_noun,
    sentence_tokens,
    substring_test,
    word_first,
)

LEAD_WINDOW = 80
# What follows a plural subject, never a verb in the third person: "Invoices are overdue".
_PLURAL_BE = frozenset(("are", "were"))
_SYNONYM_WINDOW = 40  # where "Verb (synonym)" can stand
INDIRECT = frozenset(("to", "helps", "help", "can", "will", "lets"))


class DescriptionVerbs:
    """What the first sentence of a description says (see `NameVerbs`)."""

    __slots__ = ("sentence", "words", "lead", "kind", "indirect", "alternatives", "text",
                 "unknown_alternative", "lexicon", "phrase")

    def __init__(self, sentence: str, words: list[str], text: str = "") -> None:
        self.sentence = sentence
        self.words = words
        self.text = text  # the description, for the rare look past the first sentence
        self.lead: str | None = None
        self.kind: str | None = None
        self.indirect = False  # found after "to"/"helps", not as the first word
        self.alternatives: list[tuple[str, str]] = []
        # A word joined straight to a reading lead that is no verb the table knows ("View or
        # tighten the limits"): the tool does something else too, and what is not known.
        self.unknown_alternative: str | None = None
        # The lead is no verb of the table but one of the public API lexicon (lexicon.py).
        self.lexicon = False
        # A sentence in a script the Latin tokenizer does not read, known to hold no verb
        # ("Счета, балансы и карты"): it names what is shown, as a Latin noun phrase would.
        self.phrase = False

    def rest(self) -> list[str]:
        """The words of the description's opening, past the first sentence."""
        return sentence_tokens(self.text[len(self.sentence):DESCRIPTION_WINDOW])


_BETWEEN_SENTENCES = ". !?:\n\t"  # what stands between a title and the sentence after it
# A one-word label opening a paragraph, maybe after a symbol: "💡 TIP:", "Note:", "WARNING -".
_LABEL = re.compile(r"[^\w\s]*\s*[A-Za-z]+\s*(?::|\s-)\s+")
_NAME_TITLE_WORDS = 5


# What follows a plural noun that opens a noun phrase ("Invoices for a berth holder").
# ... or a word that says which of them are meant, which no object opens with ("Invoices past
# their due date", "Invoices overdue by a week", "Orders still open").
_AFTER_A_PLURAL = frozenset("for of on in from by with per past overdue unpaid outstanding "
                            "still".split())


# What may open a relative clause's verb right after "that" or "which", with no subject of
# its own: the past, or "are", "were", "have", "had" ("Tests that passed", "Flags that have
# not been evaluated").
_STATED_OF_A_PLURAL = frozenset(("are", "were", "have", "had"))
# What, later in such a sentence, would be its own verb: "Tests that failed are re-run".
_BE = frozenset("is are was were be been being get gets got".split())


def said_of_the_word_before(desc: DescriptionVerbs, at: int) -> bool:
    """Does "that" or "which" at `at` open a relative clause whose verb follows at once, in the
    past or a form of "be" or "have" for a plural ("Tests that passed and failed on the same
    commit", "Tests that failed and then passed on retry"), and is that clause all the
    sentence says? It then says something of the word before it, a noun: a verb in the third
    person would take a "that" clause with its own subject ("Ensures that the build passed")
    or an object ("Deletes that file"). Never when the sentence goes on past the clause: a
    comma, colon, ";" or bracket ("..., deleted from the remote"), a step after "and" ("...
    and deletes them"), or a verb of its own ("Tests that failed are re-run")."""
    words = desc.words
    if at + 1 >= len(words) or words[at] not in ("that", "which"):
        return False
    said = words[at + 1]
    if said not in _STATED_OF_A_PLURAL and not (len(said) > 4 and said.endswith("ed")):
        return False
    return (_BE.isdisjoint(words[at + 2:]) and step_after_and(words) is None
            and _CLAUSE_MARK.search(desc.sentence) is None)


def the_names_plural(name_words: list[str], desc: DescriptionVerbs) -> DescriptionVerbs | None:
    """The sentence read as verbless when its first word is a plural the name of no verb holds
    as it is, before a preposition ("marina_invoices": "Invoices for a berth holder, with
    paid/unpaid status"): that is the name's noun, not a verb in the third person. Else None.
    Not before an object ("Invoices the customer") nor "to" ("Refunds to the card")."""
    words = desc.words
    at = 0
    while at < 2 and at < len(words) and is_adverb(words[at]):
        at += 1  # "Monthly invoices for a driver account"
    if (desc.lead is None or len(words) < at + 2 or words[at] == desc.lead
            or words[at] not in name_words):
        return None
    if words[at + 1] not in _AFTER_A_PLURAL and not said_of_the_word_before(desc, at + 1):
        return None
    return DescriptionVerbs(desc.sentence, words, desc.text)


# Words that make a bare plural after "open" an object to act on: "Open tickets for each failed
# check" opens them.
_QUANTIFIERS = frozenset("each every all any".split())
_ADJECTIVE_REACH = 3  # how many words an adjective before plurals may stand from its plural


def step_after_and(words: list[str]) -> str | None:
    """The verb of the first step after "and" or "then" in the third person that does more
    than read ("... and closes the losing ones"), or None."""
    for before, word in zip(words, words[1:]):
        step = base_verb(word) if before in ("and", "then") else None
        if step is not None and step != word and v.VERBS[step] != v.READ:
            return step
    return None


def an_adjective_lead(name_words: list[str], desc: DescriptionVerbs) -> DescriptionVerbs | None:
    """The sentence read as verbless when it opens with an adjective that is also a verb
    (`ADJECTIVES_BEFORE_PLURALS`: "open") before the plural the name holds, with no article
    between ("get_positions": "Open positions, optionally filtered to a symbol",
    "recall_lookup": "Open manufacturer recalls for a VIN", "list_incidents": "Open and
    recent incidents"): which ones are shown, not a command. The caller asks only under a
    name whose only verb reads: under a name of nouns ("support_tickets": "Open support
    tickets for the failing build") either may be meant. Not before what opens an object ("Open a pull request",
    "Open the files"), a verb after "and" ("Open and close tickets"), a quantifier anywhere
    in the sentence ("Open tickets for each failed check"), a plural the name does not hold,
    nor under a name that leads with the same word (`open_tickets`: either may command)."""
    words = desc.words
    if (desc.lead not in ADJECTIVES_BEFORE_PLURALS or len(words) < 2 or words[0] != desc.lead
            or not name_words or name_words[0] == desc.lead or desc.alternatives
            or not _QUANTIFIERS.isdisjoint(words) or a_clause_says_what_is_done(desc.sentence)):
        return None
    if step_after_and(words) is not None:
        return None  # "Open orders and cancels the stale ones"
    at = 1
    if words[at] in ("and", "or"):
        if len(words) < 4 or base_verb(words[2]) is not None:
            return None  # "Open and close tickets": two commands
        at = 3  # "Open and recent incidents"
    elif words[at] == "(" and ")" in words:
        at = words.index(")") + 1  # "Open (unfilled or partially filled) orders"
    held = set(name_words)
    for word in words[at:at + _ADJECTIVE_REACH]:
        if word in OBJECT_OPENERS or not word.isalpha():
            return None
        if plural_noun(word) and (word in held or word[:-1] in held or word[:-2] in held):
            return DescriptionVerbs(desc.sentence, words, desc.text)
        if base_verb(word) is not None:
            return None  # "Open work to do": a verb between, no phrase of nouns
    return None


# What may follow the plural that a reader's name looks up when the sentence opening with it
# names what is read: a preposition or a relative pronoun ("Tests that failed on main"), or a
# participle before one ("Refunds issued for an order").
_AFTER_A_READ_PLURAL = _AFTER_A_PLURAL | frozenset(("since", "between", "that", "which"))
_AFTER_A_PARTICIPLE = _AFTER_A_READ_PLURAL | frozenset(("to", "at", "during", "this", "last"))
# A new subject after a relative pronoun ("Changes that it applies") or a modal ("that will
# be applied"): the clause may say what the tool does.
_NEW_SUBJECT = frozenset("this it we you the they will can may must would should".split())
_JOINS = frozenset(("and", "then", "&", "also"))
_VIEW_LISTED = frozenset((",", "and"))
# Where a clause can begin in the first sentence; a dash is not a token, so the text is read.
_CLAUSE_MARK = re.compile(r"[,;:()\u2014\u2013]|\s-\s")


def _form_kind(word: str) -> str | None:
    """The kind of the table verb `word` is a form of (base, third person, past participle or
    gerund), or None. Cheap: only the table is asked."""
    base = base_verb(word)
    if base is None:
        base = _participle_of(word)
    if base is None and len(word) > 5 and word.endswith("ing"):
        stem = word[:-3]
        base = next((c for c in (stem, stem + "e", stem[:-1]) if c in v.VERBS), None)
    return v.VERBS.get(base) if base is not None else None


def _acts_or_unknown(word: str, then: str) -> bool:
    """Could `word`, opening a clause before `then`, say what the tool does? A verb form of
    the table that does not read, any word shaped like a participle or gerund the table lacks,
    or one in the third person before its object ("advances it by one step")."""
    kind = _form_kind(word)
    if kind is not None:
        return kind != v.READ
    return word.endswith(("ed", "ing")) or (word.endswith("s") and then in _STEP_OBJECTS)


# What a record is looked up by, after "by" ("Order by id or name").
_LOOKUP_KEYS = frozenset("id ids name number key uuid sku slug handle email code".split())


def opens_with_the_looked_up_noun(name_words: list[str], verb: str | None,
                                  desc: DescriptionVerbs) -> bool:
    """Under a name whose verb looks something up, does the first sentence open with what the
    name looks up and only name it: the name's plural before a
    preposition, a relative pronoun or a participle ("list_failing_tests": "Tests that failed
    on main", `getOrderRefunds`: "Refunds issued for an order"), or the name's own compound
    of nouns (`get_call_graph`: "Call graph of a function")? The first word is then the noun
    the name looks up, not a verb in the third person. Never when the sentence
    goes on to say what is done: after a comma, colon or dash with a verb form that acts or a
    participle or gerund the table lacks ("Changes since the last sync, applied to the
    mirror"), after "and" or a modal ("... and applies them"), or before an object ("Transfers
    pending funds to the bank", "Merges all approved pull requests")."""
    words = desc.words
    if len(words) < 2 or words[0] == verb:
        return False
    nouns = [w for w in name_words if w != verb]
    first = words[0]
    if first not in nouns:
        return False
    end = 1
    while end < len(words) and words[end] in nouns and words[end] != first:
        end += 1  # "Call graph": the name's compound of nouns, restated
    viewed = False
    if end == 1 and not plural_noun(first):
        # "get_build_times": "Build duration trends": the name's noun before a view of data,
        # maybe after a noun or two of its own.
        view = next((i for i in range(1, min(4, len(words)))
                     if words[i] in v.VIEW_NOUNS), None)
        if view is not None and all(base_verb(w) is None and w not in SEPARATORS
                                    for w in words[1:view]):
            end, viewed = view + 1, True
    after = words[end] if end < len(words) else None
    if (end == 1 and after == "by" and end + 1 < len(words)
            and words[end + 1] in _LOOKUP_KEYS):
        # `getOrder`: "Order by id or name (#1001): line items, ...": the record the name
        # gets, and the key it is looked up by.
        return True
    if end >= 2:
        # After a view of data, more of what is shown or how it is read may follow ("Release
        # metadata, tracklist and ...", "Build duration trends — compute avg/min/max").
        if after is not None and after not in _AFTER_A_READ_PLURAL and not (
                viewed and (after in _VIEW_LISTED or _form_kind(after) == v.READ)):
            return False
    elif not plural_noun(first) or first == desc.lead or after is None:
        return False
    elif after in ("that", "which"):
        if end + 1 >= len(words):
            return False
        said = words[end + 1]
        if said in _NEW_SUBJECT or _form_kind(said) not in (None, v.READ):
            return False  # "Changes that it applies", "Orders that ship today"
    elif after not in _AFTER_A_READ_PLURAL and not (
            (len(after) > 4 and after.endswith("ed") or _participle_of(after) is not None)
            and end + 1 < len(words) and words[end + 1] in _AFTER_A_PARTICIPLE):
        return False  # "Refunds issued for an order"; not "Transfers pending funds to ..."
    for i in range(end, len(words) - 1):
        if (words[i] in _JOINS or words[i] in _MODALS) and _acts_or_unknown(
                words[i + 1], words[i + 2] if i + 2 < len(words) else ""):
            return False  # "... and applies them to the mirror"
    return not a_clause_says_what_is_done(desc.sentence)


def a_clause_says_what_is_done(sentence: str) -> bool:
    """Does a clause after a comma, colon, semicolon, bracket or dash of the sentence open
    with a verb form that acts, a participle or gerund the table lacks, or a third person
    before its object ("..., applied to the local mirror", "...: pushes the file", "...,
    emailed to the leadership list")?"""
    for mark in _CLAUSE_MARK.finditer(sentence):
        clause = sentence_tokens(sentence[mark.end():mark.end() + 40])
        while clause and clause[0] in _JOINS:
            clause = clause[1:]
        if clause and _acts_or_unknown(clause[0], clause[1] if len(clause) > 1 else ""):
            return True
    return False


def after_a_name_title(name_words: list[str], desc: DescriptionVerbs) -> DescriptionVerbs | None:
    """The reading of the sentence after a first sentence, with no verb, that only restates
    the tool's name ("shopping-list": "Shopping list.\n\nBuilds a grocery list ..."), when
    that sentence acts; else None. The title names the tool; what it does is said next. Only
    ever makes a reading riskier."""
    words = desc.words
    if not words or len(words) > _NAME_TITLE_WORDS or desc.kind is not None:
        return None  # a title has no verb of its own ("List orders." is a sentence)
    own = set(name_words)
    if not all(w in own or w + "s" in own or (w.endswith("s") and w[:-1] in own)
               for w in words):
        return None
    at = desc.text.find(desc.sentence)
    if at < 0 or not desc.sentence:
        return None
    rest = desc.text[at + len(desc.sentence):2 * DESCRIPTION_WINDOW].lstrip(_BETWEEN_SENTENCES)
    label = _LABEL.match(rest)
    if label is not None:
        rest = rest[label.end():]  # "💡 TIP: Adds rows to a table": the label is no verb
    if not rest:
        return None
    after = description_verbs(rest, True, False, False)
    if after.kind is None or KIND_ORDER[after.kind] <= KIND_ORDER[v.READ]:
        return None
    # Only a sentence that says what the tool does, leading with its verb in the third person
    # ("Delivers a proof ..."): "Use create_issue to create one" advises, it does nothing.
    first = after.words[0] if after.words else ""
    if after.indirect or first == after.lead or base_verb(first) != after.lead:
        return None
    return after


def description_verbs(description: str, alternatives: bool = True, indirect: bool = True,
                      titled: bool = True) -> DescriptionVerbs:
    """The description's leading verb and, if `alternatives`, the verbs offered next to it.
    With `indirect`, a description that does not start with a verb is searched for one
    introduced by "to"/"helps"/"can"."""
    # "[Tauri Apps Only] Get a DOM snapshot", "[Beta] List ...": a tag before the sentence.
    description = _without_tag(description)
    if not description:
        # No description (or a tag alone): every rule below reads its words, its sentence or
        # its text, so none can find anything, and the reading is the empty one.
        return DescriptionVerbs("", [], "")
    if description.find("#", 0, 8) >= 0 and description[:8].lstrip()[:1] == "#":
        # "## Query\nExecutes arbitrary SQL": a markdown heading is a title, not the sentence.
        heading, newline, body = description.lstrip().partition("\n")
        if newline and body.strip():
            description = body
    # Without alternatives only the first words matter: read less of the description.
    sentence = first_sentence(description if alternatives else description[:LEAD_WINDOW])
    tokens = sentence_tokens(sentence)
    found = DescriptionVerbs(sentence, tokens, description)
    if sentence and "\u0400" <= sentence[0] <= "\u04ff":  # Cyrillic
        # "Получить список счетов", "Счета, балансы и карты": read by Russian verb stems.
        found.lead, found.kind, found.phrase = russian_verbs(description)
        return found
    if sentence and _CJK_FIRST <= sentence[0] and _cjk_script(sentence[0]):
        # "获取单个 Issue 的完整信息": the Latin words inside a Japanese, Chinese or Korean
        # sentence are names and nouns, never its verb.
        _cjk_verbs(description, found)
        return found
    count = len(tokens)
    if count > 1 and (tokens[1] in PARTICLES or count > 2 and tokens[2] in PARTICLES):
        # "Tears down the staging environment": a two-word verb leads (joined only here, at
        # the lead, where it matters; most sentences have no particle there).
        tokens = found.words = join_phrasal(tokens)
        count = len(tokens)
    start = 0
    while start < 2 and start < count and is_adverb(tokens[start]):
        start += 1  # "Recursively search ..."
    if (start + 1 < count and tokens[start] in _COMMAND_MODIFIERS
            and base_verb(tokens[start + 1]) is not None):
        start += 1  # "Force delete pods stuck in Terminating", "Bulk update records"
    lead = base_verb(tokens[start]) if start < count else None
    if lead in ADJECTIVES_BEFORE_PLURALS and adjective_here(tokens, start):
        # "Open orders for a symbol": which orders, not opening them; but a step after "and"
        # in the third person is the command ("Open positions and closes the losing ones").
        lead = step_after_and(tokens)
    if lead in v.PAY_COMPOUNDS and start + 1 < count and tokens[start + 1] in v.PAY_NOUNS:
        lead = None  # "Pay stub of an employee", "Payout schedule: ...": a noun compound
    if lead in v.TRADE_SIDES and start + 1 < count and (
            tokens[start + 1] in v.TRADE_VIEWS
            or (tokens[start + 1] == "power" and tokens[start].endswith("ing"))):
        # "Sell-through rate of each SKU", "Buy signals for a watchlist", "Buying power and
        # cash available to trade" (the gerund only: "Sell power to the grid" trades).
        lead = None
    if (lead in v.AMBIGUOUS and _names_a_thing(sentence, tokens, start)
            and not (lead in v.OUTWARD_VERBS and _TO_A_CHANNEL.search(sentence))):
        # "Invoice-reconstruction attempts ...", "Order status of ...": a noun. (Not a word
        # that sends, sent to a channel: "Post summary of the standup to the team channel".)
        lead = None
    if (lead is not None and start + 1 < count and tokens[start + 1] in _PLURAL_BE
            and tokens[start] != lead and tokens[start].endswith("s")):
        # "Invoices are overdue", "(Which) orders were refunded": a plural noun before the
        # verb it agrees with, which no verb in the third person ever is followed by.
        lead = None
    if (lead is None and start + 1 < count and tokens[start] not in _WORD_PREFIXES
            and tokens[start] not in _COUNTS and _hyphenated(sentence, tokens[start])
            and tokens[start:start + 2] != ["on", "call"]):  # "On-call schedules": a duty
        # "Spell-check a query", "Auto-generate a summary", "Soft-delete a record": the verb
        # is the last part of a hyphenated compound.
        lead = base_verb(tokens[start + 1])
        if lead is not None:
            start += 1
    if lead in v.LAUNCHERS and start + 1 < count and tokens[start + 1] == "here":
        lead = None  # "Start here: ..." points the reader, it starts nothing
    if lead is None and (european := european_verbs(sentence)) is not None:
        # "Récupère les factures d'une société", "Elimina un cliente", "Erstellt eine
        # Rechnung": a description in French, Spanish, Portuguese, Italian, German or Dutch.
        found.lead, found.kind, found.alternatives = european
        return found
    if lead is None and titled:
        # "Goal Seek: change the constant ...": a short title, then the sentence that acts.
        colon = sentence.find(": ", 0, _TITLE_WINDOW)
        if colon > 0 and len(sentence_tokens(sentence[:colon])) <= _TITLE_WORDS:
            # Bounded: a hostile description may be megabytes long.
            rest = description[:2 * DESCRIPTION_WINDOW].lstrip()[colon + 2:]
            after = description_verbs(rest, alternatives, indirect, False)
            if after.kind is not None:
                return after
    if (titled and lead is not None and v.VERBS[lead] == v.READ
            and (sentence.find(":", 0, _TITLE_WINDOW) >= 0
                 or sentence.find("-", 0, _TITLE_WINDOW) >= 0
                 or sentence.find("\u2013", 0, _TITLE_WINDOW) >= 0
                 or sentence.find("\u2014", 0, _TITLE_WINDOW) >= 0)):
        # "Query Runner: executes arbitrary SQL", "User Lookup - removes the user": a title
        # whose first word reads, then the sentence that acts. The riskier one decides.
        titled_after = _after_title(description, sentence, alternatives, indirect)
        if (titled_after is not None and titled_after.kind is not None
                and titled_after.kind != v.READ):
            return titled_after
    if lead is None and tokens[start:start + 1] == ["given"] and titled:
        # "Given strategy bid/ask, return per-leg prices": what it is handed, then what it
        # does, after the comma.
        comma = sentence.find(", ", 0, _CLAUSE_WINDOW)
        if comma > 0:
            rest = description[:2 * DESCRIPTION_WINDOW].lstrip()[comma + 2:]
            after = description_verbs(rest, alternatives, indirect, False)
            if after.kind is not None:
                return after
    if lead is None and (second_act := _act_joined_to_an_unknown_lead(tokens, start)) is not None:
        # "Gather and delete stale user records", "Gather stale records and delete them": a
        # word the tables lack leads, and a verb that acts is a second command of the same
        # sentence; the act counts whatever the first word does.
        start = second_act
        lead = base_verb(tokens[start])
    # "Associates an address with ...", "Obtain the token": a verb the table lacks but cloud
    # APIs use, with an object after it (so no noun: "Log entries", "Report of ...").
    known = lexicon_verb(tokens[start]) if (
        lead is None and start + 1 < count and tokens[start + 1] in _DETERMINERS) else None
    if lead is None:
        if indirect:
            _indirect_verb(description, sentence, found)
        if found.kind is None and known is None:
            # "Inspection slot gets booked for the site": no verb leads, and the sentence
            # says in the passive what a call does.
            _passive_lead(tokens, start, found)
        if (alternatives and known is None and start + 1 < count
                and tokens[start + 1] in _DETERMINERS and "and" in tokens):
            # "Take a screenshot and save it to the Desktop": a command of a verb the tables
            # lack, then a step they know with its own object, which counts as under a known
            # lead.
            _step_after_an_unknown_command(tokens, start + 2, found)
        if known is None or (found.kind is not None
                             and KIND_ORDER[found.kind] >= KIND_ORDER[known[1]]):
            return found
        # The lexicon's verb leads, unless a verb found further on says something riskier
        # ("Disconnect a connection. ... will remove the link" removes).
        lead, lead_kind = known
        found.lexicon = True
        # A lexicon read alone is a weak sign, as a verb found after "helps" is.
        found.indirect = lead_kind == v.READ
    else:
        lead_kind = v.VERBS[lead]
    found.lead, found.kind = lead, lead_kind
    if lead == "check" and start + 1 < count and tokens[start + 1] in ("in", "out"):
        found.kind = v.WRITE  # "Check in a guest": a phrasal verb that registers something
    elif (lead in v.OBJECT_READS
          and v.reads_its_object(lead, _noun_phrase(tokens, start + 1)) is False):
        found.kind = v.WRITE  # "Resolve a comment thread", "Follow a user"
    elif lead in v.OBJECT_ACTS and not v.OBJECT_ACTS[lead].isdisjoint(
            _noun_phrase(tokens, start + 1)):
        found.kind = v.WRITE  # "Check the checkbox", "Extract a zip archive into a directory"
    elif lead in _SHOWERS and _shown_on_a_device(tokens, start + 1):
        found.kind = v.WRITE  # "Display text on the LED matrix in the lobby"
    elif lead in _PRODUCERS and _put_in_a_folder(tokens, start + 1):
        found.kind = v.WRITE  # "Render the timeline to an MP4 in the exports folder"
    elif lead in v.CAPTURES and v.captures_a_screen(_captured(tokens, start + 1)):
        found.kind = v.READ  # "Capture screenshot", "Capture a UI snapshot"
    elif (lead in _ISSUERS and not _ISSUED.isdisjoint(tokens[start + 1:start + 11])
          and _made_for_one_use(_noun_phrase(tokens, start + 1))):
        # "Generates a single-use hosted onboarding URL", "Get a registration token for a
        # new runner": such a link or token is made on the server for this call.
        found.kind = v.WRITE
    elif (lead in _ISSUERS and found.kind == v.READ and not _MADE_NOW.isdisjoint(tokens)
          and _made_by_the_call(tokens, start + 1)):
        # "Returns a new deploy token for the environment", "Get an API token for a service
        # account, minted with the scopes requested": the secret is made for this call.
        found.kind = v.WRITE
    elif lead == "generate" and _returns_artifact(_object(tokens, start + 1)):
        # "Generate a preview URL for a style": computed and handed back. A name that says
        # "generate" still says Write, and the riskier reading wins there.
        found.kind = v.READ
    elif lead == "generate" and _generates_a_report(tokens, start + 1, description):
        # "Generate a readiness report for the site. ... Returns structured JSON": the report
        # is data computed and handed back; one kept, filed, sent or made a file still acts.
        found.kind = v.READ
    elif lead == "review" and _reviews_to_return(tokens, start + 1):
        # "Review the book and return computed facts about it as JSON": what is found is
        # handed back; a review posted, approved or commented on acts.
        found.kind = v.READ
    elif lead == "evaluate" and _evaluates_a_rule(tokens, start + 1, description):
        # "Evaluate a feature flag for a user context and return the variant served": what
        # a rule, a policy or a flag decides for the input, handed back.
        found.kind = v.READ
    elif lead == "build" and _builds_a_view(tokens, start + 1, description):
        # "Build a source/destination connection graph of who talked to whom. Returns nodes
        # and links": a view of data computed and handed back, like a chart drawn.
        found.kind = v.READ
    elif lead == "confirm" and checks_a_clause(tokens, start + 1):
        found.kind = v.READ  # "Confirm the hub can reach this device": a check
    elif lead == "verify" and _noun_phrase(tokens, start + 1)[-1:] in _CLAIMED:
        found.kind = v.WRITE  # "Verify a domain for the workspace": its ownership is recorded
    elif lead == "list" and _offers_one(tokens, start + 1):
        found.kind = v.WRITE  # "List an item for sale on the marketplace": it is put up
    if found.kind == v.EXECUTE and (_runs_a_query(tokens, start + 1)
                                    or _runs_a_status_check(tokens, start + 1)
                                    or _tests_connectivity(lead, tokens, start + 1)):
        # "Executes a log query", "Run a search": what is run is a reading. Code arguments
        # (SQL) still make the tool Execute.
        found.kind = v.READ
    third_person = tokens[start] != lead  # "Creates" rather than "Create"
    chain = {lead}
    if start + 1 < count and sentence.find("(", 0, _SYNONYM_WINDOW) >= 0:
        # "Create (rent) a new instance", "Create (trigger) a pipeline": a verb in brackets
        # right after the lead says what the lead does here; the riskier of the two counts.
        other = base_verb(tokens[start + 1])
        if (other is not None and other not in chain
                and f"({tokens[start + 1]})" in sentence[:_SYNONYM_WINDOW].lower()):
            chain.add(other)
            found.alternatives.append((other, v.VERBS[other]))
    # Verbs chained right after the lead ("List, create or delete ...") always count, even
    # when only the lead was asked for: a reader's name with "Get or create a user" creates.
    i = start + 1
    if not alternatives and (i >= count or tokens[i] not in SEPARATORS):
        return found  # the common reader: "List issues", no verb chained to the lead
    joined = False  # a separator since the last verb
    while i < count:
        token = tokens[i]
        i += 1
        if token in SEPARATORS:
            joined = True
            continue
        verb = base_verb(token)
        if (verb is None and joined and i == start + 3 and found.kind == v.READ
                and token.isalpha() and token not in _NOT_VERBS
                and not (token in _BROWSING and tokens[i - 2] == "/")):
            # "View or tighten ...": straight after the lead and its separator there is no
            # object yet, so the word is a second verb, one the table does not know.
            found.unknown_alternative = token
        if (verb is None or verb in chain or (token != verb) != third_person
                or not joined and (verb in v.AMBIGUOUS or found.kind == v.READ)):
            # "List issues", "Query order book": a noun after a verb, not a second verb. After
            # a reader's verb only a separator offers another verb: "View commit history" and
            # "List delete markers" name what is read.
            break
        joined = False
        chain.add(verb)
        found.alternatives.append((verb, v.VERBS[verb]))
    if not alternatives:
        return found
    # Any verb offered as an alternative later on ("Create a file or completely overwrite
    # it"), inflected like the lead verb. A read sentence names things ("branches or
    # commits"), so there a later verb counts only with its own object ("Retrieve a prompt by
    # ID and execute it").
    reading = found.kind == v.READ
    marks = _STEP_MARKS if reading else SEPARATORS
    # Where a later step may start (most sentences have no such mark: one set test then).
    steps = [] if marks.isdisjoint(tokens) else [
        i for i, token in enumerate(tokens) if token in marks]
    for i in steps:
        first = tokens[i]
        if i <= start or i + 1 >= count:
            continue
        j = i + 1
        if (first in _STEP_BEFORE or first == ",") and reading:
            # "Retrieves the next message before deleting it", "Verify a backup by restoring
            # it", "Read entries, deleting the last-delivered ID": a step of its own, named by
            # a gerund with its own object ("keyed by training type" and "before changing room
            # details" name or advise, and do not count). "After" with the gerund's object
            # opened counts as a comma does: the act comes first and what is read is its
            # outcome ("Get an employee's leave balance, after accruing this month's days onto
            # it"; "List rows after applying filters" only names what is read).
            again = tokens[j] == "re" and j + 2 < count
            if again:
                j += 1  # "re-establishing it": the gerund after a hyphenated "re-"
            verb = base_verb(tokens[j])
            if (verb is not None and tokens[j].endswith("ing") and verb not in chain
                    and j + 1 < count and _gerund_step(
                        verb, tokens[j + 1], again,
                        first == "," or (first in _DONE_FIRST and tokens[j + 1] in _STEP_OBJECTS))):
                chain.add(verb)
                found.alternatives.append((verb, v.VERBS[verb]))
                continue
            if (again and verb is None and tokens[j].endswith("ing")
                    and tokens[j + 1] in _OBJECTS and found.unknown_alternative is None
                    and (known := lexicon_verb(tokens[j])) is not None and known[1] != v.READ):
                # "..., re-establishing it when down": doing again to what was just named an
                # act the public API lexicon knows (and the table lacks) is a step of its own.
                found.unknown_alternative = tokens[j - 1] + "-" + tokens[j]
                continue
            if (verb is None and not again and tokens[j].endswith("ing") and len(tokens[j]) > 5
                    and j + 1 < count and tokens[j + 1] in _PRONOUNS
                    and found.unknown_alternative is None and not _treats(tokens[j])):
                # "Get a device, unpairing it from the hub": a gerund the table lacks, done to
                # what was just named, is a step the table does not know.
                found.unknown_alternative = tokens[j]
                continue
            if first != ",":
                continue
        if first not in SEPARATORS:
            continue
        while (j + 1 < count and j < i + 3
               and (is_adverb(tokens[j]) or tokens[j] in _SEQUENCE or tokens[j] in _MODALS)):
            j += 1  # "..., then delete it", "and also archive it", "and can delete it"
        token = tokens[j]
        verb = base_verb(token)
        if verb is None and j + 2 < count and tokens[j + 1] in PARTICLES:
            # "... and shut down unused instances": a two-word verb in a later step (joined
            # here only, where a particle follows a word the table lacks).
            phrasal = join_phrasal(tokens[j:j + 2])
            if len(phrasal) == 1 and (joined_verb := base_verb(phrasal[0])) is not None:
                # Inflected as the word it was made of, for the check on the lead's person.
                verb = joined_verb
                token = verb + "s" if third_person else verb
                j += 1
        if (verb is None and reading and not third_person and first == "and"
                and found.unknown_alternative is None and j + 1 < count
                and (tokens[j + 1] in _COMMAND_OBJECTS or tokens[j + 1] in _SELECTING)
                and _unknown_command(token, tokens, start, i)):
            # "Crawl a website and index every page", "Estimate a fare and book it": a word
            # the table lacks, bare after "and" and right before what it acts on, is a second
            # command; an unknown step is no reason to let the tool through as a reader.
            found.unknown_alternative = token
            continue
        if (verb is None and reading and not third_person and first == "and"
                and token in _HELD_STEPS and token not in chain
                and _done_for_a_purpose(tokens, j + 1)
                and not any(t == "," or t in _LISTING for t in tokens[start + 1:i])):
            # "Search flights and hold seats for 15 minutes": a command the table leaves
            # out, bare after "and" before an object done for a purpose.
            chain.add(token)
            found.alternatives.append((token, _HELD_STEPS[token]))
            continue
        if (verb is None and reading and found.unknown_alternative is None and j + 1 < count
                and token.endswith("s") and len(token) > 3 and not _treats(token)
                and ((first == "and" and tokens[j + 1] in _HELD)
                     or (tokens[j - 1] in _SEQUENCE and tokens[j + 1] in _STEP_OBJECTS))):
            # "Renders the invoice PDF and files it with the tax authority", "Show the
            # reading, then lowers the setpoint": a word in the third person the table lacks,
            # after "and" right before "it", "them", "its" or "their", or after "then" before
            # its object, is a verb whatever the lead's person, and a step the table does not
            # know.
            found.unknown_alternative = token
            continue
        if verb is None or verb in chain:
            continue
        if (reading and not third_person and token != verb and token.endswith("s")
                and j + 1 < count and v.VERBS[verb] != v.READ
                and (tokens[j + 1] in _HELD
                     or (tokens[j - 1] in _SEQUENCE and tokens[j + 1] in _STEP_OBJECTS))):
            # "Get a tenant record, and evicts it", "Fetch new messages and quarantines
            # them", "Summarize a pull request, then posts the summary": writers mix
            # persons; a verb in the third person before what was just named, or after
            # "then" before its object, is a step of its own after an imperative lead too.
            chain.add(verb)
            found.alternatives.append((verb, v.VERBS[verb]))
            continue
        modal = tokens[j - 1] in _MODALS
        if (token != verb) != third_person and not (modal and token == verb):
            continue
        if reading and (v.VERBS[verb] == v.READ or (
                j + 1 >= count or tokens[j + 1] not in _STEP_OBJECTS) and not (
                    third_person and token.endswith("s") and _grave_step(verb, tokens, j))
                and not (not third_person and _grave_command(verb, tokens, j))
                and not (not third_person and first == "and"
                         and _and_command(verb, tokens, start, i, j))):
            continue
        chain.add(verb)
        found.alternatives.append((verb, v.VERBS[verb]))
    return found


def _act_joined_to_an_unknown_lead(tokens: list[str], start: int) -> int | None:
    """Where the verb that removes, changes or pays ("merge", "delete", "refund") stands,
    that a sentence led by a word the tables lack commands after it, or None:
    - joined to the lead, maybe after more such words and maybe with "then" or a word of
      manner between ("Load and merge ...", "Load & merge", "Gather, dedupe and delete ...",
      "Gather and then permanently delete ...");
    - or later, after "and" or "then", before what opens its object ("Gather stale user
      records and delete them", "Gathers stale records, then purges every one of them").
    Both verbs in the same form, both bare or both in the third person: a plural before a bare
    verb is a noun ("Stats and update history"). A word more often a noun counts only before
    what opens its object ("Invoices and refunds for a customer" names two things); a reading
    verb says nothing about what the unknown word does, and one that only adds or runs is as
    often said of what is handed back."""
    count = len(tokens)
    if start + 2 >= count:
        return None
    first = tokens[start]
    third_person = first.endswith("s") and not first.endswith("ss")
    i = start + 1
    # The lead and more words the tables lack, joined: "Gather, dedupe and ...".
    while (i + 1 < count and tokens[i] in SEPARATORS and tokens[i] != ";"
           and base_verb(tokens[i + 1]) is None and tokens[i + 1] not in _JOINED_SKIPPED
           and tokens[i + 1].isalpha() and not is_adverb(tokens[i + 1])):
        i += 2
    if i < count and tokens[i] in _JOINS_TO_THE_LEAD:
        at = _grave_command_at(tokens, i + 1, third_person, next_to_the_lead=True)
        if at is not None:
            return at
    for j in range(i, min(count, start + _JOINED_WINDOW)):
        if tokens[j] == ";":
            return None  # a clause of its own
        if tokens[j] in ("and", "then"):
            at = _grave_command_at(tokens, j + 1, third_person, next_to_the_lead=False)
            if at is not None:
                return at
    return None


def _grave_command_at(tokens: list[str], at: int, third_person: bool,
                      next_to_the_lead: bool) -> int | None:
    """Where the verb at or just past `at` stands (past "then" and words of manner) if it
    removes, changes or pays, is in the person given and is a command: right after the lead
    anything but a preposition or a separator may follow it, elsewhere only what opens its
    object."""
    while at < len(tokens) and (tokens[at] in _JOINED_SKIPPED or is_adverb(tokens[at])):
        at += 1
    if at + 1 >= len(tokens):
        return None
    word, after = tokens[at], tokens[at + 1]
    verb = base_verb(word)
    if verb is None or v.VERBS[verb] not in _GRAVE_JOINED or (word != verb) != third_person:
        return None
    if after in SEPARATORS or after in _JOINED_NOT_OBJECT or (
            verb in v.PAY_COMPOUNDS and after in v.PAY_NOUNS):
        return None  # (also "pay schedule", a noun)
    if (verb in v.AMBIGUOUS or not next_to_the_lead) and after not in _STEP_OBJECTS:
        return None  # ("... and refund the charges" commands; "... and refunds" may name)
    return at


# What a verb joined to an unknown lead must do to count: remove, change or pay. One that adds
# or runs ("Load and save", "Parse and build") is as often said of what is handed back.
_GRAVE_JOINED = frozenset((v.REMOVE, v.MODIFY, v.MONEY))
# Words after such a verb that make it a noun ("... and refunds for a customer").
_JOINED_NOT_OBJECT = frozenset("for of in on by with to from and or at per".split())
# What joins a second command to the lead: "Load and merge", "Load & merge", "Gather then
# delete". Not a comma alone: "Employee profile: compensation, pay schedule" lists nouns.
_JOINS_TO_THE_LEAD = frozenset("and or & / then".split())
# Words between a join and the verb it joins: "and then delete".
_JOINED_SKIPPED = frozenset(("then",))
# How far into the sentence a later command is looked for.
_JOINED_WINDOW = 24


def _step_after_an_unknown_command(tokens: list[str], at: int, found: DescriptionVerbs
                                   ) -> None:
    """Offer the verb of a bare command after "and" (maybe "then"), before what opens its
    object ("and save it", "and then delete the rest"), that adds, changes, removes, runs or
    pays."""
    count = len(tokens)
    for i in range(at, count - 2):
        if tokens[i] != "and":
            continue
        j = i + 1
        if tokens[j] in _SEQUENCE:
            j += 1
        if j + 1 >= count:
            return
        verb = base_verb(tokens[j])
        if (verb is not None and verb == tokens[j] and v.VERBS[verb] != v.READ
                and (tokens[j + 1] in _OBJECTS or tokens[j + 1] in _COMMAND_OBJECTS)):
            found.alternatives.append((verb, v.VERBS[verb]))
            return


def _grave_command(verb: str, tokens: list[str], at: int) -> bool:
    """Is the verb at `at`, offered bare after a reader's imperative lead, one that removes,
    followed by what it acts on ("Get items and delete old rows", "List stale branches and
    delete merged branches")? Not before a preposition, and not "delete markers", which S3
    lists. (A bare money verb is as often a noun: "buy and sell orders", "buy decisions".)"""
    return (v.VERBS[verb] == v.REMOVE and verb not in v.AMBIGUOUS
            and at + 1 < len(tokens) and tokens[at + 1] not in _PREPOSITIONS
            and tokens[at + 1] not in _MORE_PREPOSITIONS and tokens[at + 1] not in SEPARATORS
            and tokens[at + 1] not in ("marker", "markers"))


def _and_command(verb: str, tokens: list[str], lead: int, joint: int, at: int) -> bool:
    """Is the verb at `at`, bare after "and" under a reader's imperative lead, a second command
    with its own object ("Analyze logs and create alerts for anomalies", "Check stock levels
    and reorder items below threshold", "Find duplicate contacts and merge records")? Only a
    verb that is no word more often a noun (unless before "ones", or "mark ... as"), before a
    word that is neither a preposition nor the head of a noun compound ("build name", "update
    availability"), and only when the "and" ends no list: nothing between the lead and the
    "and" is a comma or a word that lists what is read ("with their status, version, and
    update availability", "including ... and cancel reasons"). A bare money verb is as often
    a noun ("buy and sell orders")."""
    if v.VERBS[verb] in (v.READ, v.MONEY) or at + 1 >= len(tokens):
        return False
    after = tokens[at + 1]
    if verb in v.AMBIGUOUS:
        # A word more often a noun is a command only before what plainly is its object:
        # "and close stale ones", "and mark items as read", a word that picks which of them
        # ("and archive old threads", "and silence noisy monitors"; a noun compound's head is
        # no such word), who pays ("and charge customers' saved cards"), or the very noun the
        # reader's lead named ("Read new issues and label issues": a list names two things).
        # "set" bare after "and" is the command too ("and set traits"): as a noun it takes an
        # article or a word before it ("a set of", "the result set").
        if verb != "set" and "ones" not in tokens[at + 1:at + 3] and not (
                verb == "mark" and "as" in tokens[at + 2:at + 4]) and not (
                after in _SELECTING or after.rstrip("s") in v.PAYERS
                or _names_the_read_noun(tokens, lead, joint, at + 1)
                or _done_for_a_purpose(tokens, at + 1)):
            return False
    if (not after.isalpha() or after in _PREPOSITIONS or after in _MORE_PREPOSITIONS
            or after in SEPARATORS or after in _COMPOUND_HEADS):
        return False
    return not any(token == "," or token in _LISTING for token in tokens[lead + 1:joint])


# Reading verbs that put what they show somewhere when the sentence names a screen or a device
# that shows it: "Display text on the LED matrix in the lobby", "Show a message on the TV".
# Showing something of a device ("Show apps on the phone", "Display what is on the screen")
# names what is read, so only devices whose job is showing count, and only right after the
# object, with no question word before.
_SHOWERS = frozenset("show display print flash project".split())
_SHOWING_DEVICES = frozenset(
    """
    matrix led leds lcd oled tv television projector billboard signage sign kiosk eink
    ticker marquee hud
    """.split())
_ON = frozenset(("on", "onto"))
_WINDOW_AFTER_LEAD = 10


def _shown_on_a_device(tokens: list[str], at: int) -> bool:
    end = min(len(tokens), at + _WINDOW_AFTER_LEAD)
    for i in range(at, end):
        token = tokens[i]
        if token in _QUESTION_WORDS or token in SEPARATORS:
            return False
        if token in _ON:
            return any(word in _SHOWING_DEVICES for word in tokens[i + 1:i + 5])
    return False


# Reading verbs that hand back a file, and that write it instead when the sentence names the
# folder it goes to: "Render the timeline to an MP4 in the project's exports folder", "Export
# the report into the shared directory". "Render a chart as PNG" hands it back.
_PRODUCERS = frozenset("render export convert download dump screenshot".split())
_FOLDERS = frozenset("folder folders directory directories dir desktop".split())
_INTO = frozenset(("to", "into"))


def _put_in_a_folder(tokens: list[str], at: int) -> bool:
    end = min(len(tokens), at + _WINDOW_AFTER_LEAD)
    for i in range(at, end):
        if tokens[i] in _INTO:
            return any(word in _FOLDERS for word in tokens[i + 1:i + 10])
        if tokens[i] in SEPARATORS:
            return False
    return False


# What opens the object of a command whose verb the table lacks: "and index every page", "and
# book it", "and credit the referrer". Not "and groups the user belongs to": see below.
_COMMAND_OBJECTS = frozenset("it them every each the its their all any".split())


_QUESTION_WORDS = frozenset("which what whether who whom whose where when why how if then report output "
                            "than".split())


def _unknown_command(token: str, tokens: list[str], lead: int, joint: int) -> bool:
    """Is `token`, a word the table lacks bare after "and" under a reader's imperative lead and
    before what opens an object, a command? Only an imperative's bare form (no plural "s", no
    "-ed" or "-ly"), no word of the public API lexicon that reads, and only when the "and"
    ends no list ("with their name and title the ..." lists what is read)."""
    if (not token.isalpha() or len(token) < 3 or token in _NOT_VERBS or token in _QUESTION_WORDS
            or token in _PREPOSITIONS
            or token in _MORE_PREPOSITIONS or token.endswith(("s", "ed", "ly", "ing"))):
        return False
    known = lexicon_verb(token)
    if known is not None and known[1] == v.READ:
        return False
    return not any(t == "," or t in _LISTING for t in tokens[lead + 1:joint])


# Gerunds that add to or arrange what is handed back: "List tasks, adding the project name to
# each", "Get rows, sorting them by date".
_SHAPING_GERUNDS = frozenset("add append insert attach include sort group merge join combine "
                             "split format wrap order filter".split())


def _gerund_step(verb: str, after: str, again: bool, comma: bool) -> bool:
    """Is a gerund of `verb` after a reader's lead and a comma (or "before", "by"...), with
    `after` the next word, a step of its own? One that removes, pays or changes, before a word
    that opens what it acts on ("before deleting it"). After a comma, where it is no advice
    ("before changing room details") nor a means ("by calling a view function"), also one
    that adds, sends or runs before such a word ("assigning each", "notifying the sales
    rep"), and one that removes or changes before a bare noun ("replacing broken links",
    "fixing problems"), as a "re-" gerund that acts does ("re-sending messages"). A money
    gerund before a bare noun is no step ("cash, buying power, margin")."""
    kind = v.VERBS[verb]
    if kind == v.READ or verb in _SHAPING_GERUNDS:
        return False
    if after in _OBJECTS:
        return kind in (v.REMOVE, v.MONEY, v.MODIFY) or (comma or again)
    if not comma:
        # "Get disk space, freeing space by deleting old snapshots": a means that removes
        # what it names is done by the call, a bare noun or not.
        return (kind == v.REMOVE and after.isalpha() and verb not in v.AMBIGUOUS
                and after not in _PREPOSITIONS and after not in _MORE_PREPOSITIONS
                and after not in _COMPOUND_HEADS and after not in _NOT_VERBS)
    if after in _STEP_OBJECTS:  # "..., assigning each to the on-call engineer"
        return True
    if kind in (v.REMOVE, v.MODIFY) or (again and kind != v.MONEY):
        return (after.isalpha() and after not in _PREPOSITIONS and after not in _MORE_PREPOSITIONS
                and after not in SEPARATORS and after not in _COMPOUND_HEADS
                and after not in _NOT_VERBS and verb not in v.AMBIGUOUS)
    return False


# Words that pick which of the things named a command acts on, so that the word before them
# is that command, not the first noun of a compound: "and archive old threads", "and silence
# noisy monitors", "and pull missing layers", "and quarantine flaky tests".
_SELECTING = frozenset(
    """
    old older stale noisy idle unused flaky large incoming missing expired inactive duplicate
    duplicated unread overdue failed failing orphaned abandoned unhealthy outdated obsolete
    spam unwanted leaked broken dead
    """.split())


def _names_the_read_noun(tokens: list[str], lead: int, joint: int, at: int) -> bool:
    """Does the plural at `at`, ending the sentence or before a preposition, repeat a noun
    named between the reader's lead and the "and" ("Read new issues and label issues by
    component", "Find spam comments and trash spam comments")? Then the word before it is
    a command done to what was read, not a second thing listed."""
    while at < len(tokens) and tokens[at] in _SELECTING:
        at += 1
    if at >= len(tokens) or not tokens[at].endswith("s") or tokens[at] in _COMPOUND_HEADS:
        return False
    if at + 1 < len(tokens) and not (tokens[at + 1] in _PREPOSITIONS
                                     or tokens[at + 1] in SEPARATORS):
        return False
    return tokens[at] in tokens[lead + 1:joint]


# What says why, how long or when a command is done, after its object: "and open incidents
# for anomalies", "and hold seats for 15 minutes", "and open issues for each finding", "and
# open valves when dry".
_PURPOSE_AFTER = frozenset("when whenever if until unless".split())
# What opens the scope of what is read after "for": "and open issues for a repository" lists
# a second thing read in that repository ("each", "every", "all" and "any" say "for each
# one found", which a command's purpose does).
_SCOPE_OPENERS = (OBJECT_OPENERS - {"each", "every", "all", "any"}) | frozenset(
    "given one specific his her".split())
# Plurals that a word both verb and noun names a measure of rather than acts on: "open
# rates", "order totals", "post counts", "book values".
_MEASURES = frozenset(
    """
    counts totals values amounts volumes sizes scores numbers rates prices times dates
    """.split())
# Commands the verb table leaves out because as a lead or a name they more often name a
# thing ("Holds on a student account", "hold_item"), counted only as a step done for a
# purpose (see `_done_for_a_purpose`): "and hold seats for 15 minutes".
_HELD_STEPS = {"hold": v.WRITE}


def _done_for_a_purpose(tokens: list[str], at: int) -> bool:
    """Is the word at `at`, after a word both verb and noun bare after "and" under a reader's
    imperative lead, a bare plural that the sentence ends on or follows with why, how long or
    when ("Analyze logs and open incidents for anomalies", "Search flights and hold seats for
    15 minutes", "Scan the repository and open issues for each finding")? Then that word is a
    second command and the plural its object. Not a plural followed by another noun ("open
    incidents' owners"), by a scope ("open issues for a repository") or by any other
    preposition ("open issues in a project"), and not a measure ("open rates", "order
    totals"): those name a second thing read."""
    if at >= len(tokens):
        return False
    word = tokens[at]
    if (len(word) < 4 or not word.endswith("s") or word.endswith("ss") or not word.isalpha()
            or word in _COMPOUND_HEADS or word in _MEASURES or word in v.VIEW_NOUNS
            or word in _NOT_VERBS):
        return False
    if at + 1 == len(tokens):
        return True
    after = tokens[at + 1]
    if after in _PURPOSE_AFTER:
        return True
    return after == "for" and at + 2 < len(tokens) and tokens[at + 2] not in _SCOPE_OPENERS


# Nouns a verb-like word often modifies: "build name", "update availability", "stop loss".
_COMPOUND_HEADS = frozenset(
    """
    name names id ids status date dates time times history log logs number count mode type
    settings details info information fields progress availability reason reasons loss
    recovery diagnostics request requests artifact artifacts key keys note notes
    configuration configurations config configs instructions event events result results
    summary summaries stats statistics metrics url urls link links script scripts window
    windows option options target targets marker markers
    """.split())
# Words after which a sentence lists what is read rather than steps: "with", "including".
_LISTING = frozenset("with including includes plus like such".split())


def _grave_step(verb: str, tokens: list[str], at: int) -> bool:
    """Is the verb at `at`, offered in the third person after a reader's lead in the third
    person, a step that acts, followed by what it acts on ("Queries the database and deletes
    matching rows", "Fetches invoices and pays outstanding ones", "Gets the report and creates
    tickets")?
    Not a word more often a noun, and not one followed by a preposition or nothing ("Lists
    jobs and runs for a pipeline", "Lists branches and commits"): those name what is read.
    (After an imperative lead the bare form is as often a noun: "List plugins with their
    status and update availability".)"""
    if (at + 1 >= len(tokens) or tokens[at + 1] in _PREPOSITIONS
            or tokens[at + 1] in _MORE_PREPOSITIONS or tokens[at + 1] in SEPARATORS):
        return False
    if verb in v.AMBIGUOUS:
        # "Gets the report and charges customers": a word more often a noun is a verb when
        # what follows is who pays.
        return tokens[at + 1] in v.PAYERS or tokens[at + 1].rstrip("s") in v.PAYERS
    return v.VERBS[verb] != v.READ


# Words that open the object right after a verb: "Associate an address", "Obtain the token",
# "Obtain one token".
_DETERMINERS = OBJECT_OPENERS | {"one"}
_TAG_WINDOW = 60
# How far into a sentence opening with "Given ..." its comma is looked for.
_CLAUSE_WINDOW = 120


# A FIX message type before the sentence: "FIX 35=G. Amends ...", "FIX 4.4 35=D: ..." (the
# trading protocol's tag for the message, not the verb "fix").
_FIX_MESSAGE_TAG = re.compile(r"\s*FIX(?:\s+\d+(?:\.\d+)*)?\s+35=\w+\s*[.:;,\u2013\u2014-]?\s+")


def _without_tag(description: str) -> str:
    """The description without a short bracketed tag at its start ("[Beta] ", "[Tauri Apps
    Only] ") or a FIX message type ("FIX 35=G. ")."""
    if description[:3] == "FIX" and (fix := _FIX_MESSAGE_TAG.match(description)) is not None:
        return description[fix.end():]
    if "[" not in description[:8]:
        return description  # the common case, without copying the description
    text = description.lstrip()
    if text[:1] != "[":
        return description
    end = text.find("]", 1, _TAG_WINDOW)
    return text[end + 1:] if end > 0 else description


# What makes a first sentence's passive say what a call does: "gets booked", "is sent". Not
# "were" (a past state) nor after "that"/"which" ("Orders that are shipped today" names which).
_PASSIVE_BE = frozenset("is are gets get".split())
_RELATIVE = frozenset("that which who whose".split())
_PASSIVE_WITHIN = 8
_PASSIVE_TARGETS = frozenset("to for by on into onto".split())


def _passive_lead(tokens: list[str], start: int, found: DescriptionVerbs) -> None:
    """A sentence with no leading verb whose first clause puts an act the table knows in the
    passive ("Inspection slot gets booked for the permit site", "A reminder is sent to the
    guest"): that act, as a weak lead. Only acts: a passive reading ("are listed") adds
    nothing to a reading the name gives."""
    for i in range(start + 1, min(len(tokens) - 1, start + _PASSIVE_WITHIN)):
        token = tokens[i]
        if token in SEPARATORS or token in _RELATIVE:
            return  # past the first clause, or a clause naming which ones
        if token not in _PASSIVE_BE:
            continue
        verb = _participle_of(tokens[i + 1])
        then = tokens[i + 2] if i + 2 < len(tokens) else ""
        # "gets" always tells of an act; "is"/"are" only before where it goes or for whom
        # ("is sent to the guest"): "What is stored at a rack location" names a state.
        if (verb is not None and v.VERBS[verb] != v.READ
                and (token in ("gets", "get") or then in _PASSIVE_TARGETS)):
            found.lead, found.kind, found.indirect = verb, v.VERBS[verb], True
        return


# Participles not made with -ed, of verbs in the table.
_IRREGULAR_PARTICIPLES = {"sent": "send", "paid": "pay", "built": "build", "run": "run",
                          "written": "write", "bought": "buy", "sold": "sell", "set": "set",
                          "put": "put", "rebuilt": "rebuild", "reset": "reset"}


def _participle_of(word: str) -> str | None:
    """The table verb a past participle is made of ("booked" -> book, "closed" -> close,
    "stopped" -> stop, "sent" -> send), or None."""
    irregular = _IRREGULAR_PARTICIPLES.get(word)
    if irregular is not None:
        return irregular
    if len(word) < 5 or not word.endswith("ed"):
        return None
    stem = word[:-2]
    for candidate in (stem, word[:-1], stem[:-1], stem[:-1] + "y" if stem.endswith("i") else ""):
        if candidate in v.VERBS:
            return candidate
    return None


# Verbs by which a description speaks of calling the tool itself ("safe to call", "cheap to
# invoke often"), and what may follow them then: nothing, or words about the call, never an
# object of its own ("to call any API endpoint" calls something).
_INVOKING = frozenset(("call", "invoke"))
_ABOUT_THE_CALL = frozenset(
    "it this again first freely often repeatedly anytime any time directly before after "
    "when whenever while as".split())


def _invokes_this_tool(tokens: list[str], at: int) -> bool:
    """Does the word after "to call" (at `at`) leave the call without an object of its own?"""
    return at >= len(tokens) or tokens[at] in SEPARATORS or tokens[at] in _ABOUT_THE_CALL


def _indirect_verb(description: str, sentence: str, found: DescriptionVerbs) -> None:
    """A verb introduced by "to"/"helps"/"can" anywhere in the opening of the description ("A
    detailed tool for ... This tool helps analyze ..."), or the riskiest verb of a Japanese,
    Chinese or Korean first sentence, as the description's (weak) lead."""
    opening = sentence_tokens(description[:DESCRIPTION_WINDOW])
    for i in range(min(len(opening), 60) - 1):
        word = opening[i]
        following = opening[i + 1]
        # "a tool for fetching profiles": "for" with a verb in -ing.
        if word in INDIRECT or (word == "for" and following.endswith("ing")):
            if word == "to" and i and opening[i - 1] in _OFFERED:
                continue  # "Laptops available to order": what can be done with what is shown
            if word == "to" and i and opening[i - 1] in _ASKED:
                continue  # "Decide whether to buy a game": whether to is weighed
            if (word == "can" and i > 1 and opening[i - 2] in _SOMEONE_OPENERS
                    and opening[i - 1] not in _THE_CALL_ITSELF):
                continue  # "Rewards a member can redeem points for": what someone may do
            if word == "for" and i and opening[i - 1] in v.HYPOTHETICAL:
                continue  # "Price quote for buying responses": what it would cost
            if word == "for" and i and opening[i - 1] in _OFFERED:
                continue  # "Funding balance available for issuing cards": what it is for
            lead = base_verb(following)
            if lead in _INVOKING and _invokes_this_tool(opening, i + 2):
                continue  # "Read-only, safe to call", "cheap to call repeatedly": this tool
            if lead is not None:
                found.lead, found.kind, found.indirect = lead, v.VERBS[lead], True
                if lead == "confirm" and checks_a_clause(opening, i + 2):
                    found.kind = v.READ  # "... to confirm the whole stack is up"
                break
    if found.kind is None and not sentence.isascii():
        _cjk_verbs(description, found)


# Adjectives before "to" that say what the things shown are open to ("Laptops available to
# order", "Slots free to book", "Parcels ready to ship", "Funds ... due to release"), or before
# "for" and a gerund what they serve ("balance available for issuing cards"), not what the
# tool does.
_OFFERED = frozenset("available free ready eligible due".split())
# Words that open a subject of "can" who is someone other than the tool ("Rewards a member can
# redeem points for", "Plans the customer can switch to"), unless the subject is the tool or
# its call ("The tool can delete files").
_SOMEONE_OPENERS = frozenset("a an the each every any".split())
_THE_CALL_ITSELF = frozenset(
    "tool server call function endpoint command api operation action request agent".split())
# A word before "to" that makes what follows a question, not the tool's act ("how to delete"
# is kept: an instruction there may be what the tool does).
_ASKED = frozenset(("whether",))
_QUERIES = frozenset("query queries search searches lookup lookups report reports traceroute "
                     "ping audit audits analysis".split())
# Words that open the object of a verb: "... and execute it", "... or delete the file".
_OBJECTS = frozenset("it them this that these those the a an its their all".split())
_ARTICLES = frozenset("a an the one".split())
# What opens the object of a later step a reader's sentence offers, or of a step named by a
# gerund: those, and a word that picks from what was read ("..., and rotate any that are
# found", "and close each", "..., assigning each to the on-call engineer", "Match a statement
# line to a transaction and mark both reconciled").
_STEP_OBJECTS = _OBJECTS | frozenset(("any", "each", "every", "both"))
# Words that may stand right after "List or"/"Get and" without being a verb the table lacks
# ("List or all").
_NOT_VERBS = frozenset(
    "a an the one it them this that these those its their all any each every some more many "
    "other others multiple several single specific"
    # Ways of arranging what is read that the verb table leaves out ("Search, group and count")
    " group aggregate paginate".split())
# Ways of moving through what is read, counted as no verb only when a slash joins them to the
# lead ("Search/page a collection"): "or page the on-call engineer" notifies someone.
_BROWSING = frozenset(("page",))
# Words that put a second step after the first: "Get the file, then delete it".
_SEQUENCE = frozenset("then also afterwards optionally".split())
# Modal verbs between a separator and the verb they go with: "Gets the message and can delete
# it".
_MODALS = frozenset("can will may might must should could".split())
# Words before a gerund that is a step of its own: "before deleting it", "by charging".
_STEP_BEFORE = frozenset("before after by while".split())
# A word before such a gerund that puts its act before the reading, a step of the call's own
# ("..., after accruing this month's days onto it"), never advice to the caller.
_DONE_FIRST = frozenset(("after",))
# Where a later step may start: a separator or one of those words.
_STEP_MARKS = SEPARATORS | _STEP_BEFORE
# Words before a command's verb that only say how it is done: "Force delete pods", "Hard delete
# users by ID", "Bulk update records", "Also archive the thread".
_COMMAND_MODIFIERS = frozenset("force hard soft bulk batch mass also just admin".split())


_PREPOSITIONS = frozenset("on in of for to from by with into at as via".split())
_MORE_PREPOSITIONS = frozenset(
    "across over under between per within through since until after before during about "
    "against among without".split())


def _object(tokens: list[str], at: int) -> list[str]:
    """The words of the object that starts at `at`: up to a preposition or a separator, at
    most five words, articles left out ("a comment thread" of "Resolve a comment thread on")."""
    out: list[str] = []
    for token in tokens[at:at + 6]:
        if token in _PREPOSITIONS or token in SEPARATORS:
            break
        if token not in _ARTICLES:
            out.append(token)
    return out


def lead_object_is_looked_up(desc: DescriptionVerbs) -> bool:
    """For a lead of v.OBJECT_READS ("Resolve display name to email"): does the sentence name
    its object, and is that object only looked at? False when no object is named."""
    if desc.lead not in v.OBJECT_READS:
        return False
    at = next((i for i, token in enumerate(desc.words[:3]) if base_verb(token) == desc.lead),
              None)
    return at is not None and v.reads_its_object(
        desc.lead, _noun_phrase(desc.words, at + 1)) is True


def _noun_phrase(tokens: list[str], at: int) -> list[str]:
    """The object starting at `at` read through the commas between its adjectives ("a
    short-lived, pre-authenticated download URL"): up to a preposition, "and" or "or", at most
    eight words."""
    out: list[str] = []
    for token in tokens[at:at + 10]:
        if token in _PREPOSITIONS or token in ("and", "or"):
            break
        if token not in _ARTICLES and token not in (",", "/"):
            out.append(token)
        if len(out) == 8:
            break
    return out


def _captured(tokens: list[str], at: int) -> list[str]:
    """What a "capture" takes: the words up to a preposition, "and"/"or" or a comma, at most
    eight; a slash joins the words of one name ("rs/1 runtime UI snapshot")."""
    out: list[str] = []
    for token in tokens[at:at + 8]:
        if token in _PREPOSITIONS or (token in SEPARATORS and token != "/"):
            break
        out.append(token)
    return out


def _returns_artifact(objects: list[str]) -> bool:
    """Is what is generated text or a rendering handed back (a URL, a snippet, JSON, a chart),
    with no money, link or key in it?"""
    if not any(word in v.RETURNED_ARTIFACTS for word in objects):
        return False
    return not any(word in v.MONEY_NOUNS or word in v.MONEY_MOVEMENT_NOUNS
                   or word in v.NOT_RETURNED for word in objects)


# Leads that hand back a link or a token, and what makes one a thing made for that call: a
# link or token for one use, for signing up or joining, or for resetting a password is
# issued by the server, never only read ("a short-lived signed download URL" is a view of a
# file and reads).
_ISSUERS = frozenset("get generate create issue mint fetch obtain request return".split())
_ONE_USE = frozenset(
    """
    single one registration invite invitation onboarding enrollment enrolment magic signup
    activation join reset
    """.split())
_ISSUED = frozenset("link links url urls token tokens".split())


def _made_for_one_use(objects: list[str]) -> bool:
    """Is the object a link or token made for one use or one person's joining ("a single-use
    hosted onboarding URL", "a registration token"; "one" only as "one-time"/"single-use")?"""
    if not any(word in _ISSUED for word in objects):
        return False
    for i, word in enumerate(objects[:-1]):
        if word in _ONE_USE and (word not in ("single", "one")
                                 or objects[i + 1] in ("use", "time")):
            return True
    return False


# A getter whose secret is made by the call: "a new" (or "fresh") credential, key, token,
# secret, password or link ("Returns a new deploy token for the environment"), or one the
# sentence, after a comma, says is minted, issued, generated or created with what is asked,
# for a while or on demand ("Get an API token for a service account, minted with the scopes
# requested", "..., issued for one hour"). A secret made earlier and only read is no such
# thing: "Get the token that was issued at login", "Get the API key created for the project"
# (a participle with no comma names which key, one a create call made before, as "the
# file uploaded yesterday" does), and "a new page token", "the next cursor", "a new sync
# token" are places in a listing, not secrets (a word of paging anywhere in the sentence
# keeps it Read: "a new token for the next page").
_MADE_NOW = frozenset("new fresh freshly minted issued generated created".split())
_NEW = frozenset("new fresh freshly".split())
_SECRETS = frozenset(
    """
    token key secret password passphrase credential credentials link url pat apikey
    """.split())
_MADE = frozenset("minted issued generated created".split())
_PAGING = frozenset(
    """
    page pages next cursor paging pagination paginate continuation sync offset resume
    idempotency cache sort partition
    """.split())
_FOR_A_WHILE_UNITS = frozenset(
    "second seconds minute minutes hour hours day days week weeks".split())
_MADE_AS_ASKED = frozenset(("with", "per", "each", "every"))
_ON_DEMAND = frozenset(("demand", "request"))


def _made_by_the_call(tokens: list[str], at: int) -> bool:
    """Is the object starting at `at` a secret the call makes: "a new API key", or one a
    participle of making after a comma says is made with what is asked, for a while or on
    demand?"""
    if not _PAGING.isdisjoint(tokens):
        return False
    phrase = _noun_phrase(tokens, at)
    head = next((i for i, word in enumerate(phrase) if word in _SECRETS), None)
    if head is None:
        return False
    if tokens[at:at + 1] in (["a"], ["an"]) and not _NEW.isdisjoint(phrase[:head]):
        return True  # "a new deploy token", "a freshly minted API key"
    for i in range(at, len(tokens) - 2):
        if tokens[i] == "," and tokens[i + 1] in _MADE:
            after = tokens[i + 2]
            if after in _MADE_AS_ASKED or (
                    after == "on" and tokens[i + 3:i + 4] and tokens[i + 3] in _ON_DEMAND):
                return True  # "..., minted with the scopes requested", "..., minted on demand"
            if after == "for" and any(word in _FOR_A_WHILE_UNITS for word in tokens[i + 3:i + 5]):
                return True  # "..., issued for one hour"
            return False
    return False


# What building computes and hands back when it is the head of the object: a graph, a tree, a
# hierarchy of data ("a call graph", "a nested top-N hierarchy across fields").
_BUILT_VIEWS = frozenset(
    "graph graphs hierarchy hierarchies tree trees treemap treemaps".split())
# Text that building puts together for the caller to use elsewhere: "Build a decision block.
# ... Returns a base64 payload", "Build an Elasticsearch query from filters and return it".
_BUILT_TEXTS = frozenset(
    "block blocks snippet snippets query queries payload payloads expression expressions "
    "filter filters".split())
# Words in the sentence that make what is built a thing kept somewhere: "a directory tree under
# /tmp", "the knowledge graph index ... and store it".
_BUILT_PLACES = frozenset(
    "directory directories folder folders dir dirs disk file files path index indexes indices "
    "cache database".split())
_RETURNS = re.compile(r"\breturn(?:s|ing)?\b", re.IGNORECASE)


# What a generated report is when it is only handed back: a later sentence (or the first)
# says it returns data ("Returns structured JSON", "Returns the totals per region as rows").
_REPORT_HEADS = frozenset(("report", "reports"))
_REPORT_DATA = re.compile(
    r"\breturns?\b[^.;:]{0,40}?\b(?:data|json|rows?|table|figures|totals|counts|metrics|"
    r"results|numbers|findings|values|entries|scores|sections|markdown|text)\b",
    re.IGNORECASE)
# What makes a generated report one that is kept, sent or made a file, anywhere in the
# description's opening: a file, a path or a format of one, an ID, link or job to fetch it
# by, a place it goes, a schedule, someone it reaches, or a new one made ("Generate a new
# report in the workspace"). "write up" is what the caller does with the data, and "time
# saved" a figure of the report.
_REPORT_KEPT = re.compile(
    r"\b(?:files?|paths?|pdfs?|xlsx|csv|docx|folders?|director(?:y|ies)|disk|drive|"
    r"ids?|links?|urls?|uris?|jobs?|handles?|tokens?|queued?|async\w*|background|"
    r"schedul\w*|e-?mail\w*|sen[dt]s?|deliver\w*|upload\w*|publish\w*|shar(?:e|ed|es)|"
    r"attach\w*|(?<!time )sav(?:e|ed|es)|stor(?:e|ed|es)|kept|keeps?|persist\w*|new|draft|template|"
    r"workspace|dashboard|post(?:s|ed)?|submit\w*|fil(?:e|ed|es)|"
    r"writ(?:e|es|ten|ing)\b(?!\s+(?:it\s+|them\s+)?up\b))\b",
    re.IGNORECASE)


_PLACE_OWNERS = frozenset("your our my its their this".split())


def _generates_a_report(tokens: list[str], at: int, description: str) -> bool:
    """Is the object of "generate" at `at` a report that the description says is handed back
    as data, with no verb after it in the sentence that does more than read and nothing in
    the opening that keeps, sends or files it ("Generate a Divi 5 migration readiness report
    for the site. ... Returns structured JSON"; not "Generate a sales report and email it",
    "... Returns the path to the written file", "... Returns the report ID")?"""
    if _object_head(tokens, at) not in _REPORT_HEADS:
        return False
    window = description[:2 * DESCRIPTION_WINDOW]
    if _REPORT_DATA.search(window) is None or _REPORT_KEPT.search(window) is not None:
        return False
    end = _object_end(tokens, at)
    for i in range(end, len(tokens)):
        # "Generate a sales report in the BI tool", "... into the board pack": made in a
        # place, where it may stay.
        if tokens[i] == "into" or (tokens[i] == "in" and tokens[i + 1:i + 2] and (
                tokens[i + 1] in _ARTICLES or tokens[i + 1] in _PLACE_OWNERS)):
            return False
    return _reads_after(tokens, end)


def generates_a_report(desc: DescriptionVerbs) -> bool:
    """Does the sentence lead with "generate" and name a report handed back as data (see
    `_generates_a_report`)?"""
    if desc.lead != "generate" or desc.kind != v.READ:
        return False
    tokens = desc.words
    for i, token in enumerate(tokens[:3]):
        if base_verb(token) == "generate":
            return _generates_a_report(tokens, i + 1, desc.text)
    return False


# What evaluating only decides on, handing the decision back: a rule, a policy, a flag, a
# condition. Code, scripts and expressions run ("Evaluate JavaScript in the page").
_DECIDERS = frozenset(
    "rule rules policy policies flag flags condition conditions segment segments".split())


def _evaluates_a_rule(tokens: list[str], at: int, description: str) -> bool:
    """Is the object of "evaluate" at `at` a rule, a policy, a flag or a condition, whose
    decision the description says is returned, with no verb after it in the sentence that
    does more than read ("Evaluate an OPA policy against an input document and return the
    decision"; not "Evaluate JavaScript in the page", "Evaluate the rule and apply it")?"""
    head = _object_head(tokens, at)
    if head not in _DECIDERS:
        return False
    return _reads_after(tokens, at) and _RETURNS.search(description, 0, DESCRIPTION_WINDOW) is not None


# What a review hands back that stays where it was made: a link to it, its id.
_KEPT_REVIEW = v.NOT_RETURNED | frozenset("url urls id ids".split())


def _reviews_to_return(tokens: list[str], at: int) -> bool:
    """Does a leading "review" hand back what it finds, in the same sentence ("Review the book
    and return computed facts about it", "Review a selfie verification: returns the selfie and
    a match score"), with no verb after it that does more than read nor a step the table
    lacks, and nothing returned that names a review kept (a URL, an id)?"""
    returned = next((i for i in range(at, len(tokens)) if tokens[i] in ("return", "returns")),
                    None)
    if returned is None or not _KEPT_REVIEW.isdisjoint(tokens[returned:]):
        return False
    return _reads_after(tokens, _object_end(tokens, at))  # "a pull request's diff" is a noun


def _object_head(tokens: list[str], at: int) -> str | None:
    """The last word of the object starting at `at`, up to a preposition, a relative pronoun
    or a separator other than "/" ("a source/destination connection graph of ..." -> graph)."""
    head = None
    for token in tokens[at:_object_end(tokens, at)]:
        if token not in _ARTICLES and token != "/":
            head = token
    return head


def _object_end(tokens: list[str], at: int) -> int:
    """Where the object starting at `at` ends: at a preposition, a relative pronoun, "and",
    "or" or a separator other than "/", at most eight words on."""
    for i in range(at, min(len(tokens), at + 8)):
        token = tokens[i]
        if (token in _PREPOSITIONS or token in _MORE_PREPOSITIONS or token in _RELATIVE
                or token in CONNECTORS or (token in SEPARATORS and token != "/")):
            return i
    return min(len(tokens), at + 8)


def _reads_after(tokens: list[str], at: int) -> bool:
    """Does no word from `at` on say it does more than read, and no step after "and" or
    "then" use a word the table lacks ("Evaluate a policy and enforce it")?"""
    for i in range(at, len(tokens)):
        verb = base_verb(tokens[i])
        if (verb is not None and v.VERBS[verb] != v.READ
                and (i == 0 or (tokens[i - 1] not in _OBJECTS
                                and v.VERBS.get(base_verb(tokens[i - 1]) or "") != v.READ))):
            # Not a noun after an article ("Review the book") or a reading verb ("return
            # comments as a list").
            return False
        if (tokens[i] in ("and", "then") and i + 1 < len(tokens)
                and tokens[i + 1] not in _OBJECTS and base_verb(tokens[i + 1]) is None
                and i + 2 < len(tokens) and tokens[i + 2] in _STEP_OBJECTS):
            return False
    return True


def _builds_a_view(tokens: list[str], at: int, description: str) -> bool:
    """Is the object of "build" at `at` a graph, tree or hierarchy of data that the
    description says is returned, with nothing in the sentence that keeps it anywhere and no
    verb after it that does more than read ("Build a dependency tree of a package. Returns
    it as JSON"; not "Build a directory tree under /tmp", "Build the graph index and store
    it")?"""
    head = _object_head(tokens, at)
    if (head not in _BUILT_VIEWS and head not in _BUILT_TEXTS) or not _BUILT_PLACES.isdisjoint(
            tokens):
        return False
    return _reads_after(tokens, at) and _RETURNS.search(description, 0, DESCRIPTION_WINDOW) is not None


# Verbs that open a subscription or a connection to hear what arrives, which a tool may
# close again before it returns.
_LISTENING = frozenset("subscribe unsubscribe connect disconnect listen stream watch".split())
# A bound on what is heard within one call: "for a specified duration (1-30s)", "for 10
# seconds", "the first N updates", "up to 5 s".
_FOR_A_WHILE = re.compile(
    r"\b(?:for (?:a |the )?(?:specified |given |set |configurable |short )?"
    r"(?:duration|time|period|timeout|window|\d+\s*(?:s|ms|sec|secs|seconds?|minutes?)\b|"
    r"n\s+(?:s|sec|seconds?|minutes?)\b)"
    r"|the first (?:n|\d+) (?:messages?|updates?|events?|ticks?|frames?|lines?)"
    r"|up to (?:n|\d+)\s*(?:s|sec|seconds?|minutes?)\b)", re.IGNORECASE)
_COLLECTS = re.compile(r"\b(?:collect|collects|gather|gathers|capture|captures)\b",
                       re.IGNORECASE)
# What says the subscription outlives the call, or that someone else is subscribed: a handle
# to read later, a buffer kept, a webhook, a person or an address notified.
_KEPT_SUBSCRIPTION = re.compile(
    r"\b(?:handle|subscription[_ ]?id|webhook|callback|e-?mail|sms|phone|notif\w*|keeps?|kept|"
    r"buffer\w*|persist\w*|background|until (?:unsubscribed|cancell?ed|stopped)|"
    r"ring buffer)\b", re.IGNORECASE)


_STEP_JOINS = frozenset(("and", "then", ",", "&", "also"))


def listens_for_a_while(verb: str | None, last: str | None,
                        alternatives: list[tuple[str, str]],
                        desc: DescriptionVerbs) -> str | None:
    """The verb that subscribes or connects, when that is all the tool does besides reading
    and the first sentence says it collects what arrives within a bound and returns it
    ("Connect to the event WebSocket and collect messages for a specified duration (1-30s).
    Returns {messages, ...}"); else None. Never when the subscription outlives the call or
    reaches someone (a handle, a buffer, a webhook, an email), nor when something is
    subscribed ("Subscribe an endpoint to a topic"), nor after any other verb that acts."""
    said = desc.lead
    acts = [w for w in (verb, last, said) if w is not None and v.VERBS.get(w) != v.READ]
    acts += [w for w, kind in alternatives + desc.alternatives if kind != v.READ]
    if not acts or not _LISTENING.issuperset(acts):
        return None
    sentence = desc.sentence
    if (_COLLECTS.search(sentence) is None or _FOR_A_WHILE.search(sentence) is None
            or _KEPT_SUBSCRIPTION.search(desc.text, 0, DESCRIPTION_WINDOW) is not None
            or _RETURNS.search(desc.text, 0, DESCRIPTION_WINDOW) is None):
        return None
    words = desc.words
    for i, token in enumerate(words[:-1]):
        if base_verb(token) in _LISTENING and words[i + 1] in _DETERMINERS:
            return None  # "Subscribe an endpoint to the topic": someone is subscribed
    for i in range(1, len(words)):
        base = base_verb(words[i])
        if (base is not None and base not in _LISTENING and v.VERBS[base] != v.READ
                and words[i - 1] in _STEP_JOINS):
            return None  # "..., then forward them to the channel"
    return acts[0]


_SENDS = re.compile(r"\bsend(?:s|ing)?\b", re.IGNORECASE)
# A request that only reads, by its HTTP method: "send a GET request to `/v2/droplets`".
_READ_REQUEST = re.compile(r"\s+(?:a|an)\s+(?:GET|HEAD|OPTIONS)\s+requests?\s+to\s+`?/")


def sends_only_a_read_request(sentence: str) -> bool:
    """Is every "send" of the sentence the sending of a GET, HEAD or OPTIONS request to a path
    of the API ("To list all Droplets in your account, send a GET request to `/v2/droplets`")?
    An HTTP read sends nothing anyone keeps; a POST, PUT, PATCH or DELETE request does, and a
    request to a URL named elsewhere (a webhook) may set off anything."""
    found = False
    for match in _SENDS.finditer(sentence):
        if _READ_REQUEST.match(sentence, match.end()) is None:
            return False
        found = True
    return found


def generates_rendering(desc: DescriptionVerbs) -> bool:
    """Does the sentence lead with "generate" and name a rendering as its object ("Generate a
    bar chart", "Generates regional distribution maps"), with no link, key or money in it?"""
    if desc.lead != "generate" or desc.kind != v.READ:
        return False
    tokens = desc.words
    for i, token in enumerate(tokens[:3]):
        if base_verb(token) == "generate":
            return any(word in v.RENDERINGS for word in _object(tokens, i + 1))
    return False


def _runs_a_query(tokens: list[str], at: int) -> bool:
    """Is the object of the verb at `at - 1` a query or search ("a log query")? Only when the
    query is the object's head: "Run the search job" and "Restart the query engine" run a job
    and an engine."""
    end = min(len(tokens), at + 5)
    for i in range(at, end):
        token = tokens[i]
        if token in _QUERIES:
            head = i
            while head + 1 < len(tokens) and tokens[head + 1] in _QUERIES:
                head += 1  # "a search query"
            return head + 1 >= len(tokens) or tokens[head + 1] not in v.RUNNING_THINGS
        if token == "read" and i + 1 < end and tokens[i + 1] == "only":
            continue  # "a read-only SQL query": an adjective
        if token == "only" and i > at and tokens[i - 1] == "read":
            continue
        if token in SEPARATORS or (token not in _ARTICLES and base_verb(token) is not None):
            return False
    return False


# What a check looks at when running it only reads: "a health check", "a status check"; "the
# CI checks" or "the checks" run a pipeline.
_LOOKED_AT = frozenset(
    "status health readiness liveness connectivity availability uptime reachability".split())


def _runs_a_status_check(tokens: list[str], at: int) -> bool:
    """Is the object of the verb at `at - 1` a status or health check ("a consolidated
    READY/ACTIVE/ERROR status check")? Up to a preposition or "and"/"or", at most ten words;
    and no verb that does more than read anywhere after it in the sentence ("Run a health check
    and restart the service" restarts)."""
    end = min(len(tokens), at + 10)
    for i in range(at, end):
        token = tokens[i]
        if token in ("check", "checks", "probe", "probes"):
            if i == at or tokens[i - 1] not in _LOOKED_AT:
                return False
            for word in tokens[i + 1:]:
                verb = base_verb(word)
                if verb is not None and v.VERBS[verb] != v.READ:
                    return False
            return True
        if token in _PREPOSITIONS or (token in SEPARATORS and token != "/"):
            return False
    return False


# What makes "confirm" a check: a clause follows it ("Confirm that the payment arrived",
# "Confirm the hub can reach this device", "to confirm the stack is up"), where confirming
# an order or a booking acts on it.
_CLAUSE_OPENERS = frozenset("that whether if".split())
_CLAUSE_VERBS = frozenset(
    "can could is are was were has have works exists responds answers".split())
_CLAUSE_WITHIN = 5


def checks_a_clause(tokens: list[str], at: int) -> bool:
    """Is what follows a verb at `at` a clause it checks, not an object it acts on?"""
    if at < len(tokens) and tokens[at] in _CLAUSE_OPENERS:
        return True
    for token in tokens[at:at + _CLAUSE_WITHIN]:
        if token in _CLAUSE_VERBS:
            return True
        if token in _PREPOSITIONS or token in (",", "/", "and", "or"):
            return False
    return False


# What testing a pattern against text is about: "Test a regular expression against sample
# strings" computes matches and runs nothing.
_PATTERNS = frozenset("regex regexes regexp regexps pattern patterns glob globs".split())


def _tests_connectivity(lead: str | None, tokens: list[str], at: int) -> bool:
    """Does a leading "test" test a connection or credentials ("Test Zuul API connectivity and
    auth status"), a pattern against text ("Test a regular expression against sample
    strings") or whether something holds ("Test whether a hostname resolves from each
    region"), with no verb after it that does more than read nor a step the table lacks?"""
    if lead != "test":
        return False
    objects = _object(tokens, at)
    pattern = (not _PATTERNS.isdisjoint(objects)
               or ("regular" in objects and ("expression" in objects or "expressions" in objects)))
    if v.CONNECTIVITY.isdisjoint(objects) and not pattern and tokens[at:at + 1] != ["whether"]:
        return False
    return _reads_after(tokens, at)


# Verbs that remove whatever they are said of; "clear" or "clean" in a sentence is as often an
# adjective, so only these count when they are not the leading verb.
_REMOVALS = frozenset(
    "delete remove destroy purge erase wipe truncate unregister uninstall revoke terminate "
    "deprovision decommission expunge discard kill".split())


# What follows the subject: maybe an adverb and a modal, then the verb and the word after it.
_SELF_SAYS = (r"\s+(?:(?:also|then|first|actually|additionally|[a-z]+ly)\s+)?"
              r"(?:(will|may|can|might|could)\s+)?([a-z]+)(?:\s+([a-z]+))?")
_SELF = re.compile(r"(?:\b(?:this|the)\s+tool|(?:^|[.!?]\s+)(it|this)(?!\s+tool\b))" + _SELF_SAYS,
                   re.IGNORECASE)
# The same for lower-cased `case_plain` text, split so that each pattern starts with what it
# must find first ("th", or the end of a sentence) and the engine skips straight to such
# places; the case-blind pattern, whose first step is a word boundary, is tried at every
# position. "It"
# opening the text is matched there only (see `leftmost_matches`).
_SELF_THE_TOOL = re.compile(r"th(?<!\wth)(?:is|e)\s+tool" + _SELF_SAYS)
_SELF_IT = re.compile(r"[.!?]\s+(it|this)(?!\s+tool\b)" + _SELF_SAYS)
_SELF_IT_FIRST = re.compile(r"(it|this)(?!\s+tool\b)" + _SELF_SAYS)


def _self_statements(opening: str) -> Iterator[tuple[str | None, ...]]:
    """(pronoun, modal, verb, word after) of each match of `_SELF` in the opening, in order."""
    if not case_plain(opening):  # (case-blind, "ſ" and "ı" match "s" and "i")
        for found in _SELF.finditer(opening):
            yield found.groups()
        return
    for found in leftmost_matches(opening.lower(), (_SELF_THE_TOOL, _SELF_IT), _SELF_IT_FIRST):
        yield (None, *found.groups()) if found.re is _SELF_THE_TOOL else found.groups()


# A later sentence or bullet that opens with a verb in the third person, its subject (the tool)
# left out: "Retrieves unread messages. Deletes them from the server afterwards.", "Side
# effects:\n- Transitions the issue to In Progress".
_LATER_VERB_SAYS = (
    # (Whatever follows the mark starts with a capital: most marks are given up at once.)
    r"(?=[A-Z])"
    r"(?:(?:Also|Then|Additionally|Finally|Automatically|Afterwards),?\s+([a-z]+s)|([A-Z][a-z]+s))"
    r"\s+([a-z]+)")
_LATER_VERB = re.compile(
    # "[.!?]" then space, or a newline then maybe a bullet.
    r"[.!?\n](?:(?<=\n)\s*(?:[-*\u2022]\s*)?|(?<!\n)\s+)" + _LATER_VERB_SAYS)
# The same as one pattern for each mark (see `after_marks`).
_LATER_VERB_AFTER = {"\n": re.compile(r"\n\s*(?:[-*\u2022]\s*)?" + _LATER_VERB_SAYS),
                     **{mark: re.compile(re.escape(mark) + r"\s+" + _LATER_VERB_SAYS)
                        for mark in ".!?"}}
# Those, and a clause after ";" whose subject is the tool, left out as a later sentence leaves
# it, in lower case: "Status of the package mirror; kicks off a resync when it is behind
# upstream".
_LATER_VERB_OR_CLAUSE = {
    **_LATER_VERB_AFTER,
    ";": re.compile(r";\s+(?:(?:also|then)\s+([a-z]+s)|([a-z]+s))\s+([a-z]+)")}
# A later sentence saying in the passive that something is removed or paid for: "The message is
# removed from the queue", "If the stack is stuck, it will be deleted".
# The participles that only ever act, said after "is", "are", "be" or "get" ...
_PASSIVE_ACTS = (
    r"deleted|purged|destroyed|erased|wiped|revoked|terminated|charged|debited"
    r"|restarted|committed|archived|marked\s+as\s+(?:read|seen|done|complete)"
    r"|overwritten|invalidated|expunged|evicted|reclaimed|moved"
    # Participles that only ever say a call acted on what it found: "Stopped instances are
    # started automatically" (plain "started" often says what a listed job was), "Jobs older
    # than 7 days are pruned", "Draft invoices are finalized", "Fetched emails are flagged as
    # seen", "retrieved orders are acknowledged", "the card on file is topped up", "Missing
    # keys are ... written back".
    # ("flagged" alone often marks what the reply shows: "vulnerable paths are flagged").
    r"|started\s+automatically|pruned|finalized|finalised|acknowledged|topped\s+up|renewed"
    r"|flagged\s+as\s+\\?(?:seen|read|processed|done)"
    r"|written\s+back"
    # What is kept as a new thing: "The translation is stored as a new language version".
    r"|(?:stored|saved|kept)\s+as\s+(?:a\s+)?new")
# ... and those said after "and", joined to a first participle.
_PASSIVE_JOINED_ACTS = (r"deleted|purged|destroyed|erased|wiped|revoked|terminated|charged"
                        r"|debited|archived|pruned|written\s+back")
_PASSIVE_ACT = re.compile(
    # Any subject for the participles that only ever act ("Old jobs are deleted", "Offsets
    # are committed automatically")...
    # ... or "it"/"they" anywhere: "If the invoice is still a draft it is finalised first".
    # (A label may open the sentence: "Note: retrieved orders are acknowledged".)
    r"(?:(?:^|[.!?;]\s+)(?:[A-Za-z]+:\s+)?(?:[\w-]+\s+){1,6}(?:is|are|will\s+be|gets|get)"
    r"|\bit\s+will\s+be"
    r"|\b(?:it|they)\s+(?:is|are))"
    r"\s+(?:[a-z]+ly\s+)?"
    r"(" + _PASSIVE_ACTS + r")\b"
    # A second participle joined to the first: "Received messages are hidden from other
    # consumers and deleted on acknowledgement", "Missing keys are filled with defaults and
    # written back".
    r"|(?:^|[.!?;]\s+)(?:[\w-]+\s+){1,6}(?:is|are)\s+[a-z]+(?:ed|en)\b[^.;]{0,60}?\band\s+"
    r"(" + _PASSIVE_JOINED_ACTS + r")\b"
    # ... and a determiner before the subject of "removed", which is as often said of what a
    # reply leaves out ("Whitespace between XML tags is removed").
    r"|(?:^|[.!?]\s+)(?:the|this|that|its|each|every|any|all|these|those|your)\s+"
    r"(?:[\w-]+\s+){0,3}(?:is|are|will\s+be|gets|get)\s+(?:[a-z]+ly\s+)?(removed)\b"
    # ... and "it" or "they" opening a sentence before "removed" or "dropped", what the call
    # found: "Volumes attached to nothing. They are removed unless keep is true"; not from the
    # reply ("If a field is empty, it is dropped from the output").
    r"|(?:^|[.!?;]\s+)(?:it|they)\s+(?:is|are|will\s+be|get|gets)\s+(?:[a-z]+ly\s+)?"
    r"(removed|dropped)\b(?!\s+from\s+(?:the\s+|its\s+)?(?:output|response|result|results"
    r"|reply|list|text|payload|answer))",
    re.IGNORECASE)
# What every match of `_PASSIVE_ACT` ends with: "is", "are", "be", "get(s)" or "and" before
# the participle. Searched first (in lower-cased text, from each first letter of those words):
# the pattern opens with a sentence mark, a word boundary or the start, gives the engine
# nothing to skip to, and costs some eight times as much over the few texts that hold one of
# its participles, most of which do not say it so.
_PASSIVE_SAID = re.compile(
    r"(?:is|are|be|gets|get|and)\s+(?:[a-z]+ly\s+)?(?:" + _PASSIVE_ACTS + "|"
    + _PASSIVE_JOINED_ACTS + r"|removed|dropped)\b", re.IGNORECASE)
# A subject that denies the passive after it: "Nothing is charged", "No files are deleted".
_DENIED_SUBJECT = re.compile(r"[.!?;]?\s*(?:[A-Za-z]+:\s+)?(?:nothing|no|none|neither)\b",
                             re.IGNORECASE)
# How much of a description is looked through for what a later sentence says the tool does:
# long docstrings put it after a preamble.
_LATER_WINDOW = 1200
# "Side effects: ..." names what a call changes; "Side effects: none" names nothing.
_SIDE_EFFECTS = re.compile(r"\bside[- ]effects?\s*:(?!\s*(?:none|no|n/a|nothing)\b)",
                           re.IGNORECASE)
# Words after a later sentence's verb that show it is no verb of an action ("Updates are
# returned in order", "Charges apply").
_NOT_AN_OBJECT = frozenset("are is were was can cannot may must should will would".split())
_PASSIVE_KINDS = {"charged": v.MONEY, "debited": v.MONEY, "restarted": v.EXECUTE,
                  "committed": v.WRITE, "archived": v.WRITE, "invalidated": v.MODIFY,
                  "moved": v.MODIFY, "started automatically": v.EXECUTE,
                  "finalized": v.MODIFY, "finalised": v.MODIFY, "acknowledged": v.WRITE,
                  "topped up": v.MONEY, "renewed": v.MONEY, "written back": v.WRITE}
_PASSIVE_WORDS = ("deleted", "removed", "purged", "destroyed", "erased", "wiped", "revoked",
                  "terminated", "charged", "debited", "restarted", "committed", "archived",
                  "marked as", "overwritten", "invalidated", "expunged", "evicted", "reclaimed",
                  "moved", "started automatically", "pruned", "finalized", "finalised",
                  "acknowledged", "flagged as", "topped up", "renewed", "written back",
                  " as new", " as a new", "dropped")
_HAS_PASSIVE_WORD = substring_test(_PASSIVE_WORDS, "ed")  # nearly all are participles in -ed
# More later passives that act, each only where it is said of what the call leaves behind:
# any state a thing is "marked" (as) ("A valid ticket is marked as admitted", "Each returned
# email is marked read"; not "marked with" or "by", nor a value in backticks, "Every month is
# marked `complete`", which labels the reply), "resized" and "minted" ("A fresh API token is
# minted on every call"), "replaced" ending its clause or done automatically ("Unhealthy
# instances are replaced automatically"; not "placeholders are replaced with values") and
# "saved" ending its clause or before "and" or "as" ("On success the connection is saved and
# ..."; not "Custom queries are saved issue filters"). Never after "nothing" or "no": "Nothing
# is saved" says the opposite. Matched where the participle starts (see `_said_of_the_call`).
_LEFT_BEHIND = re.compile(
    r"(marked(?=\s+(?:as\s+)?(?!(?:with|by|in|for|on|at|to)\b)[a-z]{3,})|resized|minted"
    r"|replaced(?=\s*(?:[.;]|$|automatically\b))|saved(?=\s*(?:[.,;]|$|and\b|as\b)))",
    re.IGNORECASE)
# What stands before such a participle: a subject of up to six words opening the text or a
# sentence (maybe after a label, "Note:"), then "is", "are", "will be" or "gets".
_LEFT_BEHIND_SUBJECT = re.compile(
    r"(?:\A|[.!?;]\s+)(?:[a-z]+:\s+)?(?!(?:nothing|no|none|not)\b)(?:[\w-]+\s+){1,6}"
    r"(?:is|are|will\s+be|gets?)\s+(?:[a-z]+ly\s+)?\Z", re.IGNORECASE)
# The call's reply, named, as the time of an act: "Points earned are credited before the
# balance is returned", "Expired entries are deleted before the list is returned".
_BEFORE_THE_REPLY = (r"(?:before|once|when|after)\s+(?:it\s+is|they\s+are|(?:the|its|their)"
                     r"\s+[a-z]+\s+(?:is|are))\s+(?:returned|listed|shown|read)")
# The same time at the end of a match: there a participle that shapes the reply ("sorted
# before they are returned", "rounded before the total is returned") is no act.
_BEFORE_THE_REPLY_END = re.compile(_BEFORE_THE_REPLY + r"\Z", re.IGNORECASE)
# ... nor one that turns a request away ("a larger file is refused before it is read").
_SHAPES_BEFORE_THE_REPLY = frozenset(
    "deduplicated deduped trimmed capped clamped aggregated summarized summarised batched "
    "paged refused skipped ignored".split())
# The call's own reading as the time of the act: "Session tokens; deleted after reading",
# "Pending notifications, cleared on read", "Temporary files; removed once listed", "Firing
# alerts, acknowledged as they are returned". What a reply is shaped by is no act here either:
# the verb must act ("Thumbnails computed on read" reads).
_ON_READ = (r"on\s+(?:read|access|retrieval|fetch)|(?:once|when|after)\s+(?:read|listed|returned"
            r"|fetched|retrieved|viewed|shown|consumed|delivered)|after\s+(?:reading|listing"
            r"|returning|fetching|retrieval)|as\s+(?:it\s+is|they\s+are)\s+(?:read|listed|returned"
            r"|fetched|retrieved|shown|delivered)"
            r"|" + _BEFORE_THE_REPLY)
# A participle said to happen at the time of the call: "Snapshot of the VM disk, taken now",
# "Jobs older than 7 days are pruned on every call", "Payment is taken now", "the first
# invoice is collected immediately". The call does it, whatever the verb, unless the verb
# only reads ("the current month is calculated on demand"); not "inserted immediately after
# the original", a place. Matched up to the end of the time.
_DONE_ON_THE_CALL = re.compile(
    # (Maybe with its particle: "kicked off on demand", "cleaned up on every call".)
    r"\b([a-z]{3,}ed|taken|made|done|sent|paid|built|written|sold)"
    r"(?:\s+(off|up|down|out|back|away))?\s+(?:now|on\s+demand"
    r"|on\s+call|on\s+(?:each|every)\s+call|per\s+call|at\s+call\s+time|right\s+away"
    r"|immediately|" + _ON_READ + r")\Z", re.IGNORECASE)
_A_PLACE_AFTER = re.compile(r"\s+(?:after|before|below|above|following)\s+(?:the|a|an|its|this"
                            r"|each)\b", re.IGNORECASE)
# Where nearly every phrase of the two patterns above shows itself, found by one pass that
# jumps from one "ed" to the next in the text as written (prose writes these words in lower
# case): a participle of `_LEFT_BEHIND` ("left"), or one in -ed before the time of the call.
# The patterns, case-blind, are then tried only around it: opening with a subject or a word
# boundary, they would be tried at every character.
_ED_CLUE = re.compile(
    r"ed(?:(?P<left>(?<=marked)|(?<=resized)|(?<=minted)|(?<=replaced)|(?<=saved))\b"
    r"|(?:\s+(?:off|up|down|out|back|away))?\s+(?:now|on\s+demand|on\s+call|on\s+(?:each|every)\s+call|per\s+call"
    r"|at\s+call\s+time|right\s+away|immediately|" + _ON_READ + r")\b)")
# Printing, reading and saying are reading words on a screen but acts on a device: "Print a PDF
# on the default printer", "Printer for the document: prints it on the default device",
# "Speech: reads `text` aloud through the speakers". Said of a printer or device, or aloud or
# on a speaker; not "print" to the console or the reply ("Print the tree to stdout").
_ON_A_DEVICE = re.compile(
    r"\b(?:print(?:s|ing)?\b[^.;\n]{0,60}?\b(?:on|to|at|through|via)\s+(?:the|a|an|its|your|my)"
    r"\s+(?:[\w-]+\s+){0,2}(printer|device)"
    r"|(?:reads?|reading|says?|saying|speaks?|speaking|announces?|announcing)\b[^.;\n]{0,60}?"
    r"(?:\b(aloud|out\s+loud)|\b(?:on|to|through|via|over)\s+(?:the|a|an|its|your|my)\s+"
    r"(?:[\w-]+\s+){0,2}(speakers?)))\b", re.IGNORECASE)
# The times of the call looked for after a participle not in -ed ("taken now", "sent
# immediately"), which `_ED_CLUE` does not see.
_SOON = ("now", "immediately")
_BACK = 100  # how far before its clue a phrase of `_said_of_the_call` may start
# How much of a description is looked through for printing or speaking on a device: what a
# tool is, said early ("Print a PDF on the default printer").
_DEVICE_WINDOW = 240

# Any other later passive of a table verb that acts, said of what the call leaves behind: the
# participle ends its clause ("Secrets are rotated on read", "PRs that pass all checks get
# merged.", "the default is stored."), is done at once or in the background ("are retried
# automatically", "are written first", "are built in the background") or is done to or from
# something ("are reassigned to the team lead", "are unpaired from the hub", "is booked as a
# meeting"). Its subject opens a sentence, or a clause after ";", ", and" or ", which", and
# holds no condition ("if multiple are connected", "where extraction is enabled" say when the
# tool works), nor "nothing" or "no" ("Nothing is stored"). Participles that say how a reply
# is shaped are left out ("Credential fields are redacted", "expensive queries are rejected");
# "removed" counts here only from a place that is no part of the reply ("Finished jobs are
# removed from the queue"), else it keeps the narrower rule of `_PASSIVE_ACT` (with "the",
# "each" ... before its subject). Found from each "is", "are", "get" or
# "be" before a participle so placed (`_PASSIVE_THEN`), then read backwards to the subject.
_PASSIVE_THEN = re.compile(
    r" (?:is|are|gets?|be)\s+(?:(?:[a-z]+ly|also|then|first)\s+)?"
    # ... maybe with a prefix joined by a hyphen: "is e-filed", "are auto-archived".
    r"(?:(auto|e|re|co|pre|un|de)-)?([a-z]{4,})"
    # ... not by someone else: "Credit balances are created automatically by Paddle".
    r"(?!(?:\s+[a-z]+ly)?\s+by\b(?!\s+this\s+(?:same\s+)?(?:call|tool|request)\b))"
    r"(?=\s*(?:[.;!?]|\Z)|,?\s+and\b|\s+(?:automatically|afterwards|first|immediately"
    r"|in\s+the\s+background|as\s+it\s+goes|on\s+(?:read|access|each\s+call|every\s+call)"
    # ... or where it is kept, no part of the reply: "Large files are truncated on disk".
    r"|on\s+disk\b|in\s+place\b"
    r"|after\s+(?:the|each|every)\s+call\b|by\s+this\s+(?:same\s+)?(?:call|tool|request)\b"
    r"|(?:from|to|with|as|for)\s+(?:the|a|an|its|their)\s+\w"
    # ... or put on something, for a while: "a hold is placed on the slot for 15 minutes".
    r"|on\s+(?:the|a|an|its|their)\s+\w"
    # ... or for a step of a process that follows: "which is submitted for approval".
    r"|for\s+(?:approval|review|deletion|removal|processing|payment|signature|execution"
    r"|publication|delivery|collection)\b))")
# How much of a description is looked through for such a passive: the rest of the window of
# `later_act` costs a search over long docstrings' argument lists for little.
_PASSIVE_WINDOW = 800
# Words no such subject holds: a condition, a negation, a modal or "to" before "be" ("must be
# created first", "can be acknowledged", "scheduled to be retried"), a question ("which
# domains are approved") or a cause ("since resources are registered as templates").
_NOT_IN_THE_SUBJECT = (
    "if|when|where|whether|unless|once|until|only|or|but|and|while|whenever|confirm|nothing"
    "|no|none|not|can|cannot|must|may|might|should|could|would|to|which|what|who|how|whose"
    "|since|because|use")
_PASSIVE_SUBJECT = re.compile(
    # (A colon before a subject that opens with a determiner ends a heading as a full stop
    # does: "Preview environment for a pull request: the branch is deployed to a fresh URL".)
    r"(?:(?:[.!?;]\s+|,\s+(?:which\s+)?|:\s+(?=(?:the|a|an|its|their|this|each|every"
    r"|your)\s))(?:[a-z]+:\s+)?"
    rf"(?:(?!(?:{_NOT_IN_THE_SUBJECT})\b)[\w'`-]+\s+){{1,6}}"
    # "which" after a comma as the subject itself: "Summary of the week's timesheet, which is
    # submitted for approval".
    r"|,\s+which\s+"
    r"|(?<!\w)(?<!where\s)(?<!when\s)(?<!if\s)(?<!whether\s)(?:it|they)\s+)(?:will\s+)?\Z")
_REMOVED_FROM = re.compile(r"\s+from\s+(?:the|its|their|this|that)\s+([a-z]+)")
# How a participle the table lacks says it is done by the call: undone from a place that is
# no part of the reply (see `_REMOVED_FROM`: "unpaired from the hub", "disenrolled from the
# plan"; not "synthesized from the fixes", where it comes from), or as a step of the call,
# maybe after where it is done ("first", "afterwards", "as it goes", "on read", "after the
# call": "delisted from the playlist afterwards").
_UNDOING = ("un", "dis")
_DONE_AS_A_STEP = re.compile(
    r"(?:\s+[a-z]+ly)?(?:\s+(?:from|to|in|on|at)\s+(?:the|its|their|this|that)\s+[a-z]+)?"
    r"\s+(?:first\b|afterwards\b|as\s+it\s+goes\b|on\s+(?:read|access|each\s+call"
    r"|every\s+call)\b|after\s+(?:the|each|every)\s+call\b"
    r"|by\s+this\s+(?:same\s+)?(?:call|tool|request)\b)")
_THE_REPLY = frozenset(
    "output response result results reply text string content html markdown body payload "
    "list view page display".split())
_SHAPES_THE_REPLY = frozenset(
    """
    removed redacted masked omitted truncated dropped applied accepted rejected requested
    connected enabled configured ordered sorted filtered grouped formatted cached paginated
    limited replaced tagged labelled labeled marked flagged highlighted annotated prefixed
    escaped encoded converted rounded normalized normalised expanded collapsed compiled added
    """.split())


def _acting_passive(lowered: str) -> tuple[str, str] | None:
    """(participle, kind) of a later passive of `_PASSIVE_THEN` that acts, in text lowered by
    `blind_lower`, or None."""
    for found in _PASSIVE_THEN.finditer(lowered, 0, _PASSIVE_WINDOW):
        prefix, participle = found.group(1), found.group(2)
        if participle == "removed":
            # Removed from a place that is no part of the reply: "a job that has finished is
            # removed from the queue"; not "Whitespace between XML tags is removed", nor
            # "removed from the output". Or what the call found: "; zero-byte objects found
            # are removed", "Matching rows are removed".
            place = _REMOVED_FROM.match(lowered, found.end())
            if (place is None or place.group(1) in _THE_REPLY) and not _names_what_was_found(
                    lowered, found.start()):
                continue
        elif found.end() == _PASSIVE_WINDOW:
            continue  # (a participle cut by the window's end seems to end its clause)
        elif (participle in _SHAPES_THE_REPLY and _KEPT_PLACE.match(lowered, found.end()) is None
              and not (participle == "applied" and _applied_to_a_thing(lowered, found.end()))):
            continue  # "Credential fields are redacted"; not "truncated on disk"
        verb = _participle_of(participle)
        if verb is None and participle.startswith("re"):
            # "Unhealthy sensors are recalibrated first", "Overdue tasks are reassigned to the
            # lead": done again, as the verb it is made of.
            verb = _participle_of(participle[2:])
        if verb is None:
            # A participle the table lacks is an act the table does not know when it says
            # the call undoes something from a place or does it as a step ("Devices reported
            # offline are unpaired from the hub", "the sensor is recalibrated first"); "is
            # derived automatically", "is scoped to the namespaces", "are used" and "is
            # required" say how things are.
            if not participle.endswith("ed"):
                continue
            place = _REMOVED_FROM.match(lowered, found.end())
            if ((place is not None and participle.startswith(_UNDOING)
                 and place.group(1) not in _THE_REPLY)
                    # "e-filed", "e-signed": done electronically, which is done.
                    or prefix == "e"
                    or _DONE_AS_A_STEP.match(lowered, found.end()) is not None) and (
                    _PASSIVE_SUBJECT.search(lowered, max(0, found.start() - _BACK),
                                            found.start() + 1)):
                return participle, v.WRITE
            continue
        if v.VERBS[verb] == v.READ:
            continue
        if _PASSIVE_SUBJECT.search(lowered, max(0, found.start() - _BACK), found.start() + 1):
            return participle, v.VERBS[verb]
    return None


# A later passive that says what the call reads is used up or held by it, with verbs the
# table lacks or phrasings `_PASSIVE_THEN` leaves out: "Unlike a real peek, the message is
# consumed", "The lease is held for ttl seconds and blocks other writers", "The job is
# claimed until it completes", "The task is leased to the worker for five minutes". Its
# subject is found as `_PASSIVE_SUBJECT` finds it (no condition, question or negation:
# "Returns whether the lease is held" reads); the participle comes right after "is" or "are"
# ("is not consumed" reads), and what follows it says when, for how long or for whom, or ends
# the clause; never "by" someone else ("Messages are consumed only by receive_message",
# "locked by another user"). "consumed", "dequeued", "popped", "leased" and "claimed" say so
# of any subject; "held", "locked" and "blocked", which also say how things are ("A lease is
# held until it expires"), only of a subject that opens with "the", "this", "its" ... ("The
# row is locked until the transaction ends").
_SPENT_OR_HELD = re.compile(
    r" (?:is|are|gets?|will\s+be)\s+(?:(?!only\b)[a-z]+ly\s+)?"
    r"(consumed|dequeued|popped|leased|claimed|held|locked|blocked)"
    r"(?=\s*(?:[.;,!?]|\Z)|\s+(?:and|for|until|immediately|automatically"
    r"|on\s+(?:read|access|each\s+call|every\s+call)|after\s+(?:the|each|every)\s+call"
    r"|by\s+(?:this|the)\s+(?:same\s+)?(?:call|tool|request)|(?:from|against)\s+(?:other|all"
    r"|further|new|any)|to\s+(?:you|your|the\s+(?:caller|worker|consumer|client|agent"
    r"|requester)))\b)")
_HELD_STATES = frozenset(("held", "locked", "blocked"))
# What opens the subject of a state of `_HELD_STATES` said of what the call holds.
_DEFINITE_SUBJECT = re.compile(
    r"(?:[.!?;]\s+|,\s+)(?:[a-z]+:\s+)?(?:the|this|that|its|their|each|every|your|it|they)\b"
    r"[^.!?;,]*\Z")
# What the call keeps of what it found, said as a second act: "Collects statistics about the
# tables and stores the results in the pg_statistic catalog", "; then stores them under the
# run's id". Not "The server stores results for 24 hours" (no "and" or mark before it), nor
# "stores nothing".
_STORES_WHAT_IT_FOUND = re.compile(
    r"(?:\band|[.;,])\s+(?:then\s+|also\s+)?(stores)\s+(?:them|it"
    r"|(?:the|its|their|these|those|all)\s+(?:[\w-]+\s+){0,2}?(?:results?|output|findings"
    r"|statistics|stats|report|summary|snapshot|answers?|responses?))"
    r"\s+(?:in|into|to|on|under|as)\s"
    # ... or in the passive, of the call's own results kept somewhere: "The statistics are
    # stored in the site's crawl table" (not "Results are stored by the server for 24 hours",
    # which says what the server does with them, nor "Shows where the results are stored").
    r"|(?:\A|[.!?;]\s+|,\s+)(?:the|its|their|these|all)\s+(?:[\w-]+\s+){0,2}?(?:results?"
    r"|output|findings|statistics|stats|report|summary|snapshot|answers?|responses?)\s+"
    r"(?:is|are|will\s+be|gets?)\s+(?:then\s+|also\s+)?(stored)"
    r"\s+(?:in|into|to|on|under)\s")
# The words one of which every match of the two patterns above holds, tested in one pass that
# jumps from one "ed" to the next, as `_HAS_PASSIVE_WORD` does.
_HAS_SPENT_HELD_OR_STORED = substring_test(
    ("consumed", "dequeued", "popped", "leased", "claimed", "locked", "blocked", "stored ",
     " held", "stores "), "ed")


def _spent_or_held(lowered: str) -> tuple[str, str] | None:
    """(word, kind) of what `_SPENT_OR_HELD` or `_STORES_WHAT_IT_FOUND` says the call does to
    what it reads, in text lowered by `blind_lower`, or None."""
    if not _HAS_SPENT_HELD_OR_STORED(lowered):
        return None  # (most texts)
    for found in _SPENT_OR_HELD.finditer(lowered):
        back = max(0, found.start() - _BACK)
        if _PASSIVE_SUBJECT.search(lowered, back, found.start() + 1) is None:
            continue
        said = found.group(1)
        if said in _HELD_STATES and _DEFINITE_SUBJECT.search(lowered, back, found.start()) is None:
            continue
        return said, v.MODIFY if said in ("consumed", "dequeued", "popped") else v.WRITE
    kept = _STORES_WHAT_IT_FOUND.search(lowered)
    if kept is not None:
        return kept.group(1) or kept.group(2), v.WRITE
    return None


# A reader that acts when a condition holds: a clause opening a sentence or clause with
# "when", "where", "if", "once" or "for any/each/every" says when, and the clause after it
# says what the call then does, which the rules above leave out because they read no subject
# that holds a condition and no verb that is not the first of its sentence: "Given a host, it
# looks at disk usage and, where usage is above 90%, deletes rotated log files"; "Depth of a
# queue; when it exceeds the limit, the oldest messages are dropped"; "Backups per database,
# and for any with none in 24 hours, one is taken"; "When it is below $5 the card on file is
# topped up". The clause after the condition's comma is a verb in the third person, its
# subject (the tool) left out, or a passive; with no comma, a passive after the condition's
# own "is" or "are". A clause with a subject of its own that acts is what that subject does,
# not the call ("When usage exceeds the quota, the server rejects writes"), as an act "by"
# someone else is; a verb or participle that reads or shapes the reply says what is returned
# ("When the queue is empty, returns an empty list", "If the file is missing, an error is
# returned").
# Each opener, found by a search for how it starts ("whe" for "when", "whenever" and
# "where"): a few searches for a plain string cost less than one pass of a pattern, and most
# texts hold none.
_CONDITION_STARTS = (("if ", ("if ",)), ("whe", ("when ", "whenever ", "where ")),
                     ("once ", ("once ",)), ("for e", ("for each ", "for every ")),
                     ("for any ", ("for any ",)))
# What may stand right before an opener for it to open a clause: the text's start, a mark, or
# a joining word ("and, where usage is above 90%, ..."; not "Useful when you have ...").
_CLAUSE_BEFORE = re.compile(r"(?:[.!?;:,(\n\u2014\u2013]\s*|\b(?:and|but|or|then)\s+)\Z")
# The condition, with no comma or end of sentence in it (a decimal point is none: "above
# 0.9"), then either the clause after its comma or, with no comma, the rest of the sentence.
_CONDITION_BODY = re.compile(r"[^.;:!?\n,]{1,120}(?:\.(?=\d)[^.;:!?\n,]{1,60})?")
_SENTENCE_REST = re.compile(r"[^.;:!?\n]{0,200}(?:\.(?=\d)[^.;:!?\n]{1,100})?")
# The clause after the condition's comma: a verb in the third person, maybe after an adverb
# ("..., deletes rotated log files", "..., automatically renews it").
_THEN_DOES = re.compile(r",\s+(?:(?:then|also|first|[a-z]+ly)\s+)?([a-z]+s)\s+([a-z$]+)")
# ... or a passive: a subject of up to six words, then "is", "are", "will be" or "gets" (found
# from the space before it, as `_PASSIVE_THEN` reads it), maybe a two-word verb's particle
# after the participle, ending its clause or saying where it is done ("the card on file is
# topped up", "the service is rolled back to its last release").
_THEN_DONE = re.compile(r"((?:[\w'$%-]+\s+){1,6}?)(?=(?:is|are|will\s+be|gets?)\s)")
_WITH_PARTICLE = re.compile(
    r" (?:is|are|be|gets?)\s+(?:[a-z]+ly\s+)?([a-z]{3,})\s+(up|off|out|back|away|down)"
    r"(?=\s*(?:[.;,!?]|\Z)|\s+(?:and|automatically|immediately)\b"
    r"|\s+(?:to|from|with|for|on)\s+(?:the|a|an|its|their)\s)")
# Participles of the table that shape a reply, and acts where a condition says when they are
# done to what is kept: "when it exceeds the limit, the oldest messages are dropped"; never of
# "it" or "they", what the reply holds, nor of "the rest", what it leaves out past a limit, nor
# from the reply ("If a field is empty, it is dropped"; "Where a page has more than 100, the
# rest are dropped"; "... older points are dropped from the response").
_REMOVED_WHEN = frozenset(("removed", "dropped", "truncated"))
_LEFT_OUT = frozenset(("it", "they", "rest", "remainder"))
_THE_REPLY_AFTER = re.compile(
    r"\s+from\s+(?:the\s+|its\s+)?(?:output|response|result|results|reply|list|text|payload"
    r"|answer|view|page)\b")
# "taken" of what the condition is about ("one is taken"), ending its clause; not "taken as
# the default" or "taken from the config".
_TAKEN = re.compile(r" (?:is|are|be|gets?)\s+(?:[a-z]+ly\s+)?(taken)(?=\s*(?:[.;,!?]|\Z)"
                    r"|\s+(?:and|now|automatically|immediately)\b)")
_BE_WORD = re.compile(r"\b(?:is|are|will\s+be)\b")
# The subject of such a passive: up to six words before its "is" or "are".
_SUBJECT_BEFORE_BE = re.compile(r"(?<![\w'$%-])(?:[\w'$%-]+\s+){1,6}\Z")
# The participle after "is", "are", "be" or "gets" at the space before it, not done "by"
# someone else ("are removed by the retention job"), as `_PASSIVE_THEN` reads it.
_THEN_PARTICIPLE = re.compile(
    r" (?:is|are|be|gets?)\s+(?:[a-z]+ly\s+)?([a-z]{4,})"
    r"(?!(?:\s+[a-z]+ly)?\s+by\b(?!\s+this\s+(?:same\s+)?(?:call|tool|request)\b))")


def _does_after_the_condition(verb_word: str, after: str) -> tuple[str, str] | None:
    """(word, kind) when a verb in the third person with its subject left out, right after a
    condition, acts on something ("deletes rotated log files", "creates it", "sends an
    alert"), or None."""
    verb = base_verb(verb_word)
    if verb is None or verb == verb_word or after in _NOT_AN_OBJECT:
        return None
    kind = v.VERBS[verb]
    if kind == v.READ or verb in _SHAPING_GERUNDS:
        return None
    if (kind in (v.REMOVE, v.MONEY) and verb not in v.AMBIGUOUS
            and after not in _PREPOSITIONS) or after in _PRONOUNS or (
            verb not in v.AMBIGUOUS and (after in _STEP_OBJECTS or after == "new")):
        return verb_word, kind
    return None


def _done_after_the_condition(lowered: str, start: int, end: int) -> tuple[str, str] | None:
    """(participle, kind) of a passive that acts, its subject opening at `start` and the
    clause ending by `end`, or None."""
    subject = _THEN_DONE.match(lowered, start, end)
    if subject is None:
        return None
    words = subject.group(1).split()
    if words[0] in _DENIED_WORDS or not _RELATIVE.isdisjoint(words) or (
            not _ASKED.isdisjoint(words)):
        return None  # "no message is dropped", "which rows are deleted"
    be = subject.end() - 1  # the space before "is" (or before "be" of "will be")
    if lowered.startswith("will", be + 1):
        be = lowered.find(" be", be + 5, be + 12)
        if be == -1:
            return None  # ("will" and "be" on two lines)
    taken = _TAKEN.match(lowered, be, end)
    if taken is not None:
        return "taken", v.WRITE
    phrasal = _WITH_PARTICLE.match(lowered, be, end)
    if phrasal is not None:
        said = f"{phrasal.group(1)} {phrasal.group(2)}"
        kind = _PASSIVE_KINDS.get(said)
        participle, particle = phrasal.group(1), phrasal.group(2)
        # The two-word verb the table knows ("rolled back", "shut down"), else the verb
        # itself ("signed out", "locked out").
        joined = next((PHRASAL_VERBS[(stem, particle)] for stem in (
            participle[:-2], participle[:-1], participle[:-3], participle)
            if (stem, particle) in PHRASAL_VERBS), _participle_of(participle))
        if kind is None and joined is not None:
            kind = v.VERBS[joined]
        return (said, kind) if kind is not None and kind != v.READ else None
    found = _THEN_PARTICIPLE.match(lowered, be, end)
    if found is None:
        return None
    participle = found.group(1)
    verb = _participle_of(participle)
    if verb is None or v.VERBS[verb] == v.READ:
        return None
    kind = _PASSIVE_KINDS.get(participle, v.VERBS[verb])  # "charged": money
    if participle in _SHAPES_THE_REPLY or participle in _SHAPES_BEFORE_THE_REPLY:
        if (participle not in _REMOVED_WHEN or words[-1] in _LEFT_OUT
                or _THE_REPLY_AFTER.match(lowered, found.end()) is not None):
            return None
    elif kind not in (v.REMOVE, v.MONEY) and _PASSIVE_THEN.match(lowered, be, end) is None:
        # Any other act ends its clause or says where, when or how it is done, as
        # `_PASSIVE_THEN` reads it ("the replica is rebuilt from a fresh snapshot"; not "the
        # limit is set to 100"); a removal or a payment is one whatever follows ("the saved
        # card is charged $50").
        return None
    return participle, kind


def _done_when_it_holds(lowered: str) -> tuple[str, str] | None:
    """(word, kind) of what a clause after a condition says the call does, in text lowered by
    `blind_lower`, or None."""
    if not ("if " in lowered or "whe" in lowered or "once " in lowered or "for e" in lowered
            or "for any " in lowered):
        return None  # (most texts: five substring tests, and no loop, cost the least)
    for start, openers in _CONDITION_STARTS:
        at = lowered.find(start, 0, _PASSIVE_WINDOW)
        while at != -1:
            if lowered.startswith(openers, at) and (
                    at == 0 or _CLAUSE_BEFORE.search(lowered, max(0, at - 6), at) is not None):
                begin = lowered.index(" ", at + len(start) - 1) + 1  # (each ends so)
                body = _CONDITION_BODY.match(lowered, begin)
                if body is not None:
                    acts = _acts_after(lowered, begin, body.end())
                    if acts is not None:
                        return acts
            at = lowered.find(start, at + len(start), _PASSIVE_WINDOW)
    return None


def _acts_after(lowered: str, begin: int, end: int) -> tuple[str, str] | None:
    """What the clause after a condition, from `begin` up to `end` (its comma or the end of
    its sentence), says the call does, or None."""
    if lowered.startswith(",", end):
        does = _THEN_DOES.match(lowered, end)
        acts = None if does is None else _does_after_the_condition(does.group(1), does.group(2))
        if acts is not None:
            return acts
        start = end + 1
        while lowered.startswith(" ", start):
            start += 1
        rest = _SENTENCE_REST.match(lowered, start)  # (it always matches)
        return _done_after_the_condition(lowered, start, start if rest is None else rest.end())
    # No comma: a passive after the condition's own verb ("When it is below $5 the card on
    # file is topped up", "If it falls under the minimum the saved card is charged"): the
    # first "is" or "are" is the condition's, unless more words stand before it than a
    # subject holds.
    after = begin  # where the subject of the next "is" or "are" may start
    for be in _BE_WORD.finditer(lowered, begin, end):
        if after == begin and len(lowered[begin:be.start()].split()) <= 6:
            after = be.end()
            continue
        subject = _SUBJECT_BEFORE_BE.search(lowered, after, be.start())
        after = be.end()
        if subject is None:
            continue
        acts = _done_after_the_condition(lowered, subject.start(), end)
        if acts is not None:
            return acts
    return None


# Where a participle that otherwise shapes the reply says it is done to what is kept.
_KEPT_PLACE = re.compile(r"\s+(?:on\s+disk|in\s+place)\b")
# What "applied" is applied to: a thing the call changes ("the new policy is applied to the
# role", "the changes are applied to the database"), not the reply or what it is drawn from
# ("Filters are applied to the results", "a limit is applied to the query"), nor what the reply
# holds, said so ("A timezone passed is applied to the times shown").
_APPLIED_TO = re.compile(r"\s+to\s+(?:the|its|their|this|that|each|every|a|an)\s+([a-z]+)\b"
                         r"(?!\s+(?:shown|returned|listed|displayed|printed|reported|read)\b)")
_APPLIED_TO_THE_ANSWER = frozenset(
    "query queries search searches input inputs data rows items records entries values fields "
    "columns request requests match matches selection range ranges sample filter filters "
    "lookup image images text document documents file files set page pages".split())


def _applied_to_a_thing(lowered: str, end: int) -> bool:
    """Does "applied", ending at `end`, say it is applied to a thing that is neither the
    reply nor what the reply is drawn from?"""
    place = _APPLIED_TO.match(lowered, end)
    return (place is not None and place.group(1) not in _THE_REPLY
            and place.group(1) not in _APPLIED_TO_THE_ANSWER)


# Words by which the subject of a passive names what the call itself found or read: "zero-byte
# objects found are removed", "Matching rows are removed", "Returned messages are removed".
_FOUND = frozenset(
    "found matched matching listed returned fetched retrieved read selected scanned".split())
_DENIED_WORDS = frozenset(("no", "nothing", "none", "not", "never"))


def _names_what_was_found(lowered: str, at: int) -> bool:
    """Does the clause before `at` (up to six words, after a mark that ends a sentence or a
    clause) name what the call found?"""
    start = max(lowered.rfind(mark, 0, at) for mark in (".", ";", ",", "!", "?", ":", "\n"))
    words = lowered[start + 1:at].split()
    return 0 < len(words) <= 6 and not _FOUND.isdisjoint(words) and not (
        _DENIED_WORDS.intersection(words))


def _participle_start(text: str, end: int) -> int:
    """Where the word whose letters run up to `end` starts ("marked" for the "ed" of it)."""
    start = end
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return start


def _done_on_the_call(text: str, start: int, end: int) -> tuple[str, str] | None:
    """(participle, kind) when `_DONE_ON_THE_CALL` matches text[start:end] up to its end."""
    done = _DONE_ON_THE_CALL.search(text, start, end)
    if done is None or (done.group(0).lower().endswith("immediately")
                        and _A_PLACE_AFTER.match(text, end) is not None):
        return None
    participle = done.group(1).lower()
    if ((participle in _SHAPES_THE_REPLY or participle in _SHAPES_BEFORE_THE_REPLY)
            and _BEFORE_THE_REPLY_END.search(done.group(0))):
        return None
    verb = _participle_of(participle)
    if done.group(2) is not None:
        # A two-word verb is the verb it makes: "kicked off" starts, "spun up" launches.
        particle = done.group(2).lower()
        for stem in (verb, participle[:-2], participle[:-3]):
            joined = PHRASAL_VERBS.get((stem or "", particle))
            if joined is not None:
                verb = joined
                break
        participle = f"{participle} {particle}"
    if verb is None:
        return participle, v.WRITE  # an act the table lacks, done by the call
    if v.VERBS[verb] != v.READ:
        return participle, v.VERBS[verb]
    return None


def _said_of_the_call(opening: str) -> tuple[str, str] | None:
    """(word, kind) of an act this round's later rules find (`_LEFT_BEHIND`,
    `_DONE_ON_THE_CALL`, `_ON_A_DEVICE`), or None."""
    for clue in _ED_CLUE.finditer(opening):
        start = _participle_start(opening, clue.start())
        back = max(0, start - _BACK)
        if clue.group("left") is not None:
            found = _LEFT_BEHIND.match(opening, start)
            if found is not None and _LEFT_BEHIND_SUBJECT.search(opening, back, start):
                said = found.group(1).lower()
                return said, v.WRITE if said in ("marked", "saved", "minted") else v.MODIFY
        else:
            done = _done_on_the_call(opening, back, clue.end())
            if done is not None:
                return done
    for word in _SOON:  # after a participle not in -ed: "Payment is taken now"
        at = opening.find(word)
        while at != -1:
            end = at + len(word)
            if (at == 0 or not opening[at - 1].isalnum()) and (
                    end == len(opening) or not opening[end].isalnum()):
                done = _done_on_the_call(opening, max(0, at - _BACK), end)
                if done is not None:
                    return done
            at = opening.find(word, end)
    head = opening[:_DEVICE_WINDOW]
    if ("print" in head or "loud" in head or "speaker" in head) and (
            _ON_A_DEVICE.search(head) is not None):
        return "on a device", v.EXECUTE
    return None


# A new thing made on the way: "If the account has no address yet, a new one is generated and
# bound to the account". Asked only when "new " and one of the participles are both there.
_MADE_NEW = re.compile(r"\bnew\s+(?:[\w-]+\s+){0,2}?(?:is|are|gets|get)\s+(?:[a-z]+ly\s+)?"
                       r"(generated|created|issued|opened|added)\b", re.IGNORECASE)
_MADE_NEW_WORDS = ("generated", "created", "issued", "opened", "added")
# What a verb that adds or changes acts on when it is the thing just read: "Deletes them",
# "Assigns it to the caller". Any other object may be the description talking about itself
# ("Replaces the manual chain of ...", "Accepts a single string").
_PRONOUNS = frozenset(("it", "them"))
# What was just named, as a later step's object: "and evicts it", "and cordons its node".
_HELD = frozenset(("it", "them", "its", "their"))
# The person calling, as the object of a gerund subject's verb: "records you as a viewer".
_PERSONS = frozenset(("you", "me", "us"))
# Verbs the table lacks that say how the tool treats what it names, not what it does to it
# ("allowing it to ...", "Requires them to be ...", "and hands it back"), or how it arranges
# the reply ("grouping them by site", "highlighting them where the query matches"). Every
# other word the table lacks, in the third person or a gerund right before "it" or "them", is
# taken to act.
_TREATS = _SHAPING_GERUNDS | frozenset(
    "allow let make take keep leave prevent treat need require expect support hand pass "
    "consider assume highlight rank number paginate dedupe deduplicate flatten collapse "
    "expand indent colour color bold truncate abbreviate trim strip escape sanitize cache "
    "wrap".split())


def _treats(word: str) -> bool:
    """Is `word` ("allows", "allowing", "taking", "trimmed") a form of a verb of `_TREATS`?"""
    if word.endswith(("ing", "ed")):
        stem = word[:-3] if word.endswith("ing") else word[:-2]
        # ("taking", "trimmed", "cached")
        return stem in _TREATS or stem + "e" in _TREATS or stem[:-1] in _TREATS
    return word[:-1] in _TREATS or word[:-2] in _TREATS
# A gerund opening a sentence or clause with its object, the subject of a verb in the third
# person a few words on: "Requesting a new code invalidates previous codes", "; deleting the
# active one also clears the default" (not "Breaking changes introduced in a release").
_GERUND_SUBJECT = re.compile(
    r"([A-Za-z]+ing)\s+(?:[\w'`-]+\s+){1,6}?(?:also\s+)?([a-z]+s)\s+(\w+)")
# The same after a mark that ends a sentence or clause (a pattern of its own: one that may
# also match at the start is much slower to search for).
_GERUND_SUBJECT_LATER = re.compile(r"[.;!?,]\s+" + _GERUND_SUBJECT.pattern)
_GERUND_SUBJECT_AFTER = {mark: re.compile(re.escape(mark) + r"\s+" + _GERUND_SUBJECT.pattern)
                         for mark in ".;!?,"}  # (see `after_marks`)
# What a gerund subject's verb that adds or runs must act on to count: "... sends an SMS",
# "... assigns it to the caller" (not "Paging through results gives the next page").
_NEW_OBJECTS = frozenset("a an it them".split())
# ... or what the gerund's sentence already named: "Requesting a hold reserves the seat".
_NAMED_AGAIN = frozenset("the all every any each its their this that these those".split())
# Words in -ing that are no gerund subject: prepositions, nouns.
_NOT_GERUNDS = frozenset(
    """
    during including regarding according concerning excluding pending following string
    strings thing things nothing something anything everything morning evening setting
    settings listing listings heading headings warning warnings
    """.split())
# A participle after a comma that says where what was just named is sent or put: "...,
# emailed to the committers", "Orders in the range, written to orders.csv", "Sender of a
# message, blocked from writing to you", "filed as issues", "shared with the team". Only
# before those words: "Packages, installed in the environment" and "Articles, published on
# the site" say what they are.
_SENT_AFTER_A_NOUN = re.compile(
    r",\s+(?:(emailed|posted|forwarded|delivered|written|saved|uploaded|moved|sent|published"
    r"|pushed|exported|committed|appended)\s+to\b"
    r"|(blocked)\s+from\b|(filed)\s+as\b|(shared)\s+with\b)", re.IGNORECASE)
# The same for what is kept as a new thing ("Summary of a folder's documents, saved as a new
# document") or put in place by the call as it goes, maybe after a participle that fetches
# ("Updates for installed apps, downloaded and installed in the background", "Security
# patches, applied automatically"). Not "saved as PDF", nor "updated automatically", which
# says how fresh. Asked only of a text that holds "new", "automatically" or "background".
_KEPT_OR_PUT_AFTER_A_NOUN = re.compile(
    r",\s+(?:(saved|stored|written|kept)\s+as\s+(?:a\s+)?new\b"
    r"|(?:[a-z]+ed\s+and\s+)?(installed|reinstalled|upgraded|restarted|redeployed|applied)"
    r"\s+(?:automatically|in\s+the\s+background)\b)", re.IGNORECASE)
_KEPT_OR_PUT_WORDS = ("new", "automatically", "background")
# A participle after a comma or "which is" that says what was just named is done again or
# flipped, by the call itself: "Status of the print job, resubmitted if it failed", "Status of
# the repository sync, which is re-triggered when stale", "Lock status of a user account,
# toggled on each call". Only "re-" before a verb of the table that acts ("retried" is not
# one: "Fetch a URL, retried on failure" says how it reads).
_REDONE = r"(?:(re)-?([a-z]+ed|built|written|sent)|(toggled))\b"
_REDONE_AFTER_A_NOUN = re.compile(r"(?:,\s+|\bwhich\s+(?:is|are|gets)\s+)" + _REDONE,
                                  re.IGNORECASE)
# The same for lower-cased `case_plain` text, one pattern for each opening (`leftmost_matches`).
_REDONE_AFTER_A_COMMA = re.compile(r",\s+" + _REDONE)
_REDONE_WHICH_IS = re.compile(r"which(?<!\wwhich)\s+(?:is|are|gets)\s+" + _REDONE)
# An argument that, when passed, has something changed: "Given `chapters`, they are saved",
# "If `hosts` is given the delegation is changed". The argument is named in backticks or
# said to be given; what is changed is not the reply ("the output is changed to ...").
_GIVEN_THEN = (
    r"\s+(?:`[\w.-]+`(?:\s+(?:is|are)\s+(?:given|set|provided|passed))?"
    r"|[\w.-]+\s+(?:is|are)\s+(?:given|provided|passed))\s*,?\s+"
    r"(?!(?:[\w'`-]+\s+){0,8}?(?:output|result|results|response|reply|format)\b)"
    r"(?:[\w'`-]+\s+){0,8}?(?:is|are|will\s+be|gets?)\s+"
    r"(changed|saved|updated|replaced|written|stored|applied|embedded|modified)\b")
_GIVEN_THEN_CHANGED = re.compile(r"\b(?:if|when|given)" + _GIVEN_THEN, re.IGNORECASE)
# The same for lower-cased `case_plain` text, one pattern for each opening word (see
# `leftmost_matches`).
_GIVEN_OPENINGS = tuple(re.compile(f"{word}(?<!\\w{word})" + _GIVEN_THEN)
                        for word in ("if", "when", "given"))
# A later sentence or clause saying in the passive that something is sent or put somewhere,
# as the participle after a comma does (_SENT_AFTER_A_NOUN): "Stories viewed are reported to
# the poster", "Results are cached to ~/.cache/weather.json". "Cached" and "reported" only
# before "to": "Results are cached for 5 minutes" and "a missing index is reported as an
# error" say how the reply comes. Not when nothing is sent: "nothing is written to disk".
_PUT = (r"(?!(?:nothing|no|none)\b)(?:[\w-]+\s+){1,6}(?:is|are|will\s+be|gets?)\s+"
        r"(?:[a-z]+ly\s+)?((?:written|logged|uploaded|posted|published|sent|emailed|mailed"
        r"|forwarded|pushed|exported|reported|cached|saved|synced|copied)\s+to|filed\s+as)\s+"
        r"(?:the\s+)?([\w~/.-]*)")
_PUT_SOMEWHERE = re.compile(r"(?:^|[.!?;]\s+)" + _PUT, re.IGNORECASE)
# The same for lower-cased `case_plain` text: at the start, or after a mark the engine skips to.
_PUT_FIRST = re.compile(_PUT)
_PUT_LATER = re.compile(r"[.!?;]\s+" + _PUT)
# Where a reply goes on its way back, which is no act: "Errors are logged to stderr".
_NOWHERE = frozenset("stdout stderr console output response reply caller client".split())
_CHANGED_WHEN_GIVEN = frozenset("changed updated replaced modified set".split())
# What, given, removes what was there: "With `purge` given, the cache is cleared".
_REMOVED_WHEN_GIVEN = frozenset("deleted cleared overwritten".split())
# Two more word orders for an argument that, when passed, has something changed, each only with
# a word that says a value is handed in ("given", "provided", "supplied", "passed"):
# - "with" it given, then the passive: "With `emoji` given, that reaction is added as the bot",
#   "With a schedule provided, it is saved as the new one". What is added goes somewhere no
#   part of the reply ("more fields are added to the output" adds nothing);
# - the passive first, replaced or set to (or by) what is given: "The nameservers are replaced
#   with the list given", "The TTL is set to the value provided". Not what a reply fills in
#   ("Placeholders in the template are replaced with the values given").
_WITH_GIVEN = re.compile(
    r"\bwith\s+(?:`[\w.-]+`|(?:the\s+|an?\s+)?[\w.-]+)\s+(?:given|provided|supplied|passed)"
    r"\s*,?\s+(?!(?:[\w'`-]+\s+){0,8}?(?:output|result|results|response|reply|format)\b)"
    r"(?:[\w'`-]+\s+){0,8}?(?:is|are|will\s+be|gets?)\s+"
    r"(changed|saved|updated|replaced|written|stored|applied|modified|overwritten|created"
    r"|deleted|posted|sent|cleared|added(?=\s+(?:as|to|for|on)\s+(?:the|a|an|your|its)\s+"
    r"(?!(?:output|result|results|response|reply)\b)))\b")
_REPLACED_BY_THE_GIVEN = re.compile(
    r"(?:^|[.!?;:]\s+)(?!(?:nothing|no|none)\b)(?:[\w'`-]+\s+){1,10}?(?:is|are|will\s+be|gets?)\s+"
    r"(replaced|overwritten|set|changed|updated)\s+(?:with|by|to)\s+(?:the|a|an)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:given|provided|supplied|passed)\b")
# What every match of it holds, searched for first: opening with the start or a mark, then up
# to ten words, it is tried at every character and costs several times this search.
_REPLACED_BY = re.compile(
    r"(?:replaced|overwritten|set|changed|updated)\s+(?:with|by|to)\s+(?:the|a|an)\s")
# The words one of which every match of the two patterns above holds.
_HANDED_WORDS = ("given", "provided", "supplied", "passed")
# What a reply fills in from what it is handed, which no call keeps.
_FILLED_IN = frozenset(
    "placeholder placeholders variable variables template templates token tokens "
    "parameter parameters".split())


# Two more, where the participle is any the table knows that acts (or, for one given, a
# participle the table lacks done "to" or "from" it: "An amount passed is credited to it"):
# - one given that is then done: "A tag passed is removed from the host";
# - "with" an argument named as code, no handed word needed: "With `revoke_all`, they are
#   all signed out", "with purge_all set every object is dropped"; not a step run to compute
#   the reply (see `given_in_another_order`).
_ONE_GIVEN_IS = re.compile(
    r"\b(?:an?|the|any)\s+[a-z_][\w.-]{0,39}\s+(?:given|passed|provided|supplied)(?:\s+in)?"
    r"\s+(?:is|are|gets?|will\s+be)\s+(?:[a-z]+ly\s+)?([a-z]{3,}ed)\b"
    r"(\s+(?:to|from)\s+(?:it|them|its|their)\b)?")
# What every match of `_ONE_GIVEN_IS` says from its handed word on, searched first: the
# pattern opens with a word boundary and is tried at every character.
_GIVEN_IS = re.compile(r"(?:given|passed|provided|supplied)(?:\s+in)?\s+(?:is|are|gets?|will\s+be)"
                       r"\s+(?:[a-z]+ly\s+)?[a-z]{3,}ed\b")
_WITH_AN_ARGUMENT = re.compile(
    r"\bwith\s+(?:`[\w.-]+`|[a-z]+_[a-z_.]+)(?:\s+(?:set|given|true|on|passed|provided))?\s*,?"
    r"\s+(?!(?:[\w'`-]+\s+){0,6}?(?:output|result|results|response|reply|format)\b)"
    r"(?:[\w'`-]+\s+){0,6}?(?:is|are|will\s+be|gets?)\s+(?:all\s+|[a-z]+ly\s+)?"
    r"([a-z]{3,}(?:ed|en))\b")


# The two opening with "with", searched from each "with" (see `word_first`).
_WITH_AN_ARGUMENT_AT_WITH = word_first(_WITH_AN_ARGUMENT, "with")
_WITH_GIVEN_AT_WITH = word_first(_WITH_GIVEN, "with")


def given_in_another_order(lowered: str) -> tuple[str, str] | None:
    """(participle, kind) of an act the description says an argument, when given, makes the
    call perform, said in one of the word orders of `_WITH_GIVEN`, `_REPLACED_BY_THE_GIVEN`,
    `_ONE_GIVEN_IS` and `_WITH_AN_ARGUMENT`, in text lowered by `blind_lower`; or None."""
    if "with " in lowered and ("`" in lowered or "_" in lowered):
        for found in _WITH_AN_ARGUMENT_AT_WITH.finditer(lowered):
            kind = _acting_participle(found.group(1))
            # Not what is run to compute the reply: "With `at`, the units are replayed from the
            # raw events as of that instant".
            if kind is not None and kind != v.EXECUTE:
                return found.group(1), kind
    if not contains_any(lowered, _HANDED_WORDS):
        return None  # the common case, without a search
    first = _WITH_GIVEN_AT_WITH.search(lowered)
    if first is not None:
        return first.group(1), _given_kind(first.group(1))
    for found in (_REPLACED_BY_THE_GIVEN.finditer(lowered) if _REPLACED_BY.search(lowered)
                  else ()):
        if _FILLED_IN.isdisjoint(found.group(0).split()):
            return found.group(1), _given_kind(found.group(1))
    for found in _ONE_GIVEN_IS.finditer(lowered) if _GIVEN_IS.search(lowered) else ():
        kind = _acting_participle(found.group(1))
        if kind is None and found.group(2) and _participle_of(found.group(1)) is None:
            kind = v.WRITE  # an act the table lacks, done to what the call is about
        if kind is not None:
            return found.group(1), kind
    return None


def _given_kind(participle: str) -> str:
    return (v.MODIFY if participle in _CHANGED_WHEN_GIVEN else
            v.REMOVE if participle in _REMOVED_WHEN_GIVEN else v.WRITE)


def _acting_participle(participle: str) -> str | None:
    """The kind of the table verb a participle is made of, when it acts and says more than how
    a reply is shaped ("signed" -> Write; not "listed", nor "filtered"), else None."""
    if participle in _SHAPES_THE_REPLY:
        return None
    verb = _participle_of(participle)
    if verb is None or v.VERBS[verb] == v.READ:
        return None
    return v.VERBS[verb]


# The participles one of which every match of _GIVEN_THEN_CHANGED ends with.
_GIVEN_PARTICIPLES = ("changed", "saved", "updated", "replaced", "written", "stored", "applied",
                      "embedded", "modified")


def _given_and_changed(lowered: str) -> bool:
    """Could _GIVEN_THEN_CHANGED match this text (lowered by `blind_lower`)? Every match names
    the argument in backticks or says it is given, provided or passed, and ends with a
    participle of _GIVEN_PARTICIPLES: substring tests first, a case-blind search is far slower."""
    return ("`" in lowered or "given" in lowered or "provided" in lowered
            or "passed" in lowered) and contains_any(lowered, _GIVEN_PARTICIPLES)


_IN_PLACE = re.compile(r"(?:\b([a-z]+)\s+)?\b(in[- ]place)\b(?!\s+of\b)", re.IGNORECASE)
_BE = frozenset("is are was were be been being".split())  # "the rules in place": a state
_LEFT_AS_IS = re.compile(r"\b(?:leaves?|left|stays?|remains?|keeps?|kept|already)\b",
                         re.IGNORECASE)
# Verbs by which a later sentence says the tool starts something: "Starts a file transfer
# when files are missing", "Triggers a rebuild of the index".
_LATER_STARTS = frozenset("start launch trigger spawn".split())
# Verbs that run something, which a later sentence may also use of how it reads ("Calls the
# REST API", "Evaluates the loss against the policy", "Retries the request once"): only the
# others, opening a sentence before their object, run something of their own ("Executes the
# conversion at the quoted rate", "Deploys the build to staging").
_LATER_NOT_RUN = frozenset("call invoke evaluate eval test interact retry process build".split())
# Verbs that set a state on what they name: money only when they set it paid.
_MARKS = frozenset("mark flag set".split())
# Verbs that save, and what they save when a later sentence says a file is written.
_SAVES = frozenset("write save store".split())
_FILES = frozenset("file files csv pdf spreadsheet export report document output".split())
# A later sentence whose verb starts one of these money movements moves money: "Initiates a
# withdrawal ...", "Places a purchase ...". Only movements of money themselves, not what
# they are about (an order, an invoice) nor what needs context (a transfer of files).
_STARTS_A_MONEY_ACT = frozenset(
    "initiate create place submit execute make send start trigger issue process".split())
_MOVED_MONEY = frozenset(
    """
    payment payments payout payouts refund refunds withdrawal withdrawals purchase purchases
    remittance remittances deposit deposits
    """.split())
# Third-person money verbs the verb table lacks or keeps as nouns, opening a later sentence.
_LATER_MONEY_WORDS = frozenset(("debits", "tops"))
# What says, in the rest of a sentence, that its verb is done for someone: "... on behalf of
# the user".
_ON_BEHALF = re.compile(r"[^.;!?\n]{0,80}?\bon\s+behalf\s+of\b", re.IGNORECASE)
# Verbs that describe how a tool is called rather than what it does.
_DOCUMENTING = frozenset("accept answer build replace".split())

# The call itself, or the reading it does, as the subject of a sentence whose verb acts: "Each
# call issues a new single-use discount", "Calling this tool registers the device", "Viewing
# marks the report as read". A gerund stands alone before the verb only when it reads (what the
# tool is named for): "Sorting changes the order" and "Paging returns the next page" are not
# it; the call's verb must act on what it names ("a", "the", "it" ...), so "Each call counts
# against the quota" and "Each call returns the rows" stay readers.
_ACTED_ON = r"\s+(?:also\s+)?([a-z]+s)\s+(it|them|this|that|these|those|the|a|an|its|their|all)\b"
# Each pattern starts with letters the engine skips straight to ("call", "invo", "ing"); what
# opens the subject is then read backwards from there.
_THE_CALL = (
    re.compile(r"call(ing\s+(?:it|this\s+tool|the\s+tool)|(?:\s+(?:to|of)\s+(?:this|the)"
               r"\s+tool)?)" + _ACTED_ON),
    re.compile(r"invo(king\s+(?:it|this\s+tool|the\s+tool)|cation(?:\s+(?:to|of)\s+(?:this"
               r"|the)\s+tool)?)" + _ACTED_ON))
_READING_DOES = re.compile(r"ing" + _ACTED_ON)
# The call as the subject of a relative clause whose object is what the tool names: "Stale user
# records, which this call deletes", "Idle sessions, which each call signs out"; "which this
# call returns" reads.
_WHICH_THE_CALL_REST = (r"\s+(?:this|the|each|every|a)\s+call\s+(?:also\s+|then\s+|now\s+)?"
                        r"([a-z]+s)\b(?:\s+(out|off|up|down|away|back|over)\b)?")
_WHICH_THE_CALL = re.compile(r"\b(?:which|that)" + _WHICH_THE_CALL_REST)
# The same, one pattern for each word it opens with, searched from each "which" and "that" (see
# `word_first` and `leftmost_matches`): opening with a word boundary, the one pattern was tried
# at every character of every text that holds "call".
_WHICH_THE_CALL_AT_EACH = tuple(word_first(re.compile(rf"\b{word}" + _WHICH_THE_CALL_REST), word)
                                for word in ("which", "that"))
_THE_CALL_OPENS = re.compile(r"(?:\A|[.!?;]\s+)(?:each|every|any|a|the|this|one)\s+\Z")
_OPENS = re.compile(r"(?:\A|[.!?;]\s+)\Z")


def _acts(word: str) -> tuple[str, str] | None:
    """(word, kind) when `word` is a verb in the third person that acts and does not tune the
    reply ("sets", "limits"), else None."""
    verb = base_verb(word)
    if verb is None or verb == word or v.VERBS[verb] == v.READ or verb in _TUNES:
        return None
    return word, v.VERBS[verb]


def _the_call_acts(lowered: str) -> tuple[str, str] | None:
    """(verb, kind) of an act whose subject is the call itself or the reading it does, in
    text lowered by `blind_lower`, or None."""
    for pattern, said in zip(_THE_CALL, ("call", "invo")):
        if said not in lowered:
            continue
        for found in pattern.finditer(lowered):
            at = found.start()
            if at and lowered[at - 1].isalpha():
                continue  # "recall", "protocall"
            opens = (_OPENS if found.group(1).startswith(("ing", "king")) else _THE_CALL_OPENS)
            if opens.search(lowered, max(0, at - 12), at) and (acts := _acts(found.group(2))):
                return acts
    # (Every match holds "call": most texts lack it, and the pattern, opening with a word
    # boundary, would be tried at every character.)
    for found in leftmost_matches(lowered, _WHICH_THE_CALL_AT_EACH) if "call" in lowered else ():
        # "Expired cache entries, which this call evicts", "Idle sessions, which this call
        # signs out": what the tool names is what its call acts on.
        particle = found.group(2)
        verb = base_verb(found.group(1))
        joined = PHRASAL_VERBS.get((verb or "", particle or ""))
        if joined is not None and v.VERBS[joined] != v.READ:
            return f"{found.group(1)} {particle}", v.VERBS[joined]
        acts = _acts(found.group(1))
        if acts is not None:
            return acts
    for found in _READING_DOES.finditer(lowered):
        start = _participle_start(lowered, found.start())
        gerund = lowered[start:found.start() + 3]
        read = base_verb(gerund)
        if (read is None or v.VERBS[read] != v.READ or gerund in _NOT_GERUNDS
                or not _OPENS.search(lowered, max(0, start - 4), start)):
            continue
        acts = _acts(found.group(1))
        if acts is not None:
            return acts
    return None

# A clause whose subject is one noun (maybe after "the", "each" or "every") and whose verb, in
# the third person, acts on "it" or "them": "; retrieval restores it from cold storage". Found
# from each "it" or "them" after a word in -s, then read backwards.
_NOUN_DOES_IT = re.compile(r"s (?:it|them)\b")
_SUBJECT_BEFORE = re.compile(
    r"(?:\A|[.;!?]\s+)(?:(?:the|each|every|this)\s+)?([a-z]+)\s+([a-z]+s)\Z")
# The subject must name an act, the call's own: a verb of the table used as a noun ("The
# import overwrites them", "the sync deletes them") or a noun made from one ("retrieval",
# "submission", "deployment"). Who else acts, a service or a person ("IBKR refreshes them
# about every 3 minutes", "The server deletes them"), says nothing of the call; nor does
# "Validation rejects them", of what it is handed.
_ACT_NOUN_ENDINGS = ("al", "tion", "sion", "ment", "ure")


def _names_an_act(noun: str) -> bool:
    return noun in v.VERBS or (len(noun) > 5 and noun.endswith(_ACT_NOUN_ENDINGS))


def _a_noun_does_it(lowered: str) -> tuple[str, str] | None:
    """(verb, kind) of a clause whose subject names the call's own act and whose verb acts on
    "it" or "them" ("; retrieval restores it from cold storage"), in lower-cased text, or
    None."""
    if "s it" not in lowered and "s them" not in lowered:
        return None  # (what every match holds: a substring test rules most texts out)
    for found in _NOUN_DOES_IT.finditer(lowered):
        end = found.start() + 1  # just after the verb's "s"
        subject = _SUBJECT_BEFORE.search(lowered, max(0, end - 48), end)
        if subject is None:
            continue
        noun, word = subject.group(1), subject.group(2)
        verb = base_verb(word)
        if (not _names_an_act(noun) or verb is None or verb == word
                or v.VERBS[verb] == v.READ or verb in _TUNES or verb in v.AMBIGUOUS
                or verb in _SHAPING_GERUNDS or verb in _DOCUMENTING or verb == "reject"):
            continue
        return word, v.VERBS[verb]
    return None


# Two verbs in the third person, the second in brackets after "and", "or" or "then", before
# the object they share: "confirms (and discards) all earlier updates".
# (The pattern opens with the bracket, which the engine skips straight to; the verb before it
# is read backwards.)
_BRACKETED_STEP = re.compile(
    r"\((?:and|or|then)\s+([a-z]+s)\)\s+(?:it|them|this|that|these|those|the|a|an|its|their"
    r"|all|any|every|each)\b")
_WORD_BEFORE = re.compile(r"\b([a-z]+s)\s+\Z")
# A command-line switch that makes a command change what it looks at, said to be used ("npm
# audit with --fix", "Runs prettier using --write", "terraform plan, then apply via
# --auto-approve"); not one merely named in a list of steps ("... eslint --fix, component
# map"), which may be advice.
_ACTING_SWITCH = re.compile(
    r"\b(?:with|using|runs?|running|executes?|executing|via|passing|passes)\s+"
    r"(?:[\w.@/-]+\s+){0,2}?`?--(fix|write|force|apply|delete|prune|commit|push|overwrite"
    r"|in-place|inplace|auto-approve)\b")
# A denial just before it, in the same clause: "Never runs with --fix", "without --write".
_DENIED_BEFORE = re.compile(r"\b(?:not|never|no|without|don't|doesn't|won't)\b[^.;,]*\Z")
_SWITCHES = ("--fix", "--write", "--force", "--apply", "--delete", "--prune", "--commit",
             "--push", "--overwrite", "--in-place", "--inplace", "--auto-approve")
_SWITCH_KINDS = {"write": v.WRITE, "commit": v.WRITE, "push": v.WRITE, "force": v.REMOVE,
                 "delete": v.REMOVE, "prune": v.REMOVE, "overwrite": v.REMOVE,
                 "auto-approve": v.EXECUTE}
# A verb whose particle follows its object ("checks the patient in", "logs the user out",
# "signs the visitor in"): it registers someone or something,
# or ends their session, whatever the verb alone does. The object opens with a determiner and
# holds no verb ("checks whether the user is logged in" is a check); the particle ends the
# clause or comes before what says when or how ("... in for today's visit", "... in when the
# window is open"), so it opens no place ("checks the status in the background").
_SPLIT_AFTER = (
    r"(?:s|ing|ged|ging)?\s+"
    r"(?:the|a|an|this|that|these|those|each|every|all|their|its|his|her|your|it|them)"
    r"(?:\s+(?!(?:is|are|was|were|be|been|has|have|in|out)\b)(?![a-z]+ed\b)[\w'-]+){0,3}?"
    r"\s+(in|out)(?=\s*(?:[.,;!?)]|\Z)|\s+(?:for|when|if|at|on|once|after|before|"
    r"automatically|and|as|to|with|until|upon)\b)")
# One pattern for each verb, which opens with it: the engine skips straight to the verb.
_SPLIT_PHRASAL = tuple((stem, re.compile(stem + _SPLIT_AFTER)) for stem in ("check", "log", "sign"))


# What verifying claims for an account, when it is the head of the object: "Verify a domain
# for the workspace", "Verify the sender identity", "Verify domain ownership". Not what is
# checked about one: "Verify a domain's SPF record".
_CLAIMED = (["domain"], ["domains"], ["sender"], ["senders"], ["identity"], ["ownership"])
# What one thing is listed for, or where, when listing it puts it up: "List an item for sale",
# "List a property on the rental site".
_OFFERED_FOR = frozenset("sale rent auction hire lease".split())
_MARKETS = frozenset(
    "marketplace marketplaces site website store storefront shop market platform exchange "
    "listings".split())


def _offers_one(tokens: list[str], at: int) -> bool:
    """Does "list" before `at` put one thing up ("List an item for sale on the marketplace",
    "List a property on the rental site")? Its object is one thing ("a", "an"; not "a user's
    repos"), then, within a few words, what it is for (sale, rent, auction ...) or a market or
    site it goes on. "List homes for sale in Austin" names which are read."""
    if at + 1 >= len(tokens) or tokens[at] not in ("a", "an") or tokens[at + 2:at + 3] == ["s"]:
        return False
    for i in range(at + 2, min(len(tokens) - 1, at + 6)):
        if tokens[i] == "for" and tokens[i + 1] in _OFFERED_FOR:
            return True
        if tokens[i] == "on" and tokens[i + 1] in ("the", "a", "an", "our", "your") and not (
                _MARKETS.isdisjoint(tokens[i + 2:i + 5])):
            return True
    return False


def _runs_a_reading(text: str, at: int) -> bool:
    """Is what a later sentence's verb runs, from `at`, a reading: a query, a search, an
    audit ("Runs the same audit as ..."), a status check or a connectivity test?"""
    tokens = sentence_tokens(text[at:at + 80])
    return _runs_a_query(tokens, 0) or _runs_a_status_check(tokens, 0) or _tests_connectivity(
        "run", tokens, 0)


# A condition said in two words between commas, with no clause of its own: "Stale ones, if
# any, are purged", "Files older than 30 days, where present, are removed". It says when,
# not what, and the clause around it reads as if it were not there.
_ELIDED_CONDITION = re.compile(
    r",\s+(?:if|where|when|as)\s+(?:any|present|found|needed|necessary|possible|applicable"
    r"|required|available|enabled|configured|so),",
    re.IGNORECASE)


def without_elided_conditions(text: str) -> str | None:
    """The opening of `text` that `later_act` reads, with its conditions of two words between
    commas taken out ("Stale ones, if any, are purged" -> "Stale ones are purged"), or None
    when it has none."""
    if _ELIDED_CONDITION.search(text, 0, _LATER_WINDOW) is None:
        return None  # (one pass, and most descriptions have no such condition)
    return _ELIDED_CONDITION.sub("", text[:_LATER_WINDOW])


def later_act(description: str) -> tuple[str, str] | None:
    """(word, kind) of an act that a later sentence, a bullet or a clause after ";" of the
    description says the tool performs, without naming the tool: one opening with a
    third-person verb that removes or pays, that changes what it names ("Cancels the order if
    it has not shipped"), or that acts on "it" or "them", what was just read ("Deletes them
    from the server afterwards", "- Assigns it to the caller", "Status of the mirror; kicks
    off a resync"), a passive removal or payment ("The message is removed from the queue"),
    or a list of side effects. None when there is none."""
    opening = description[:_LATER_WINDOW]
    # One lower-cased copy for every rule below that reads one (several do, for most texts);
    # for ASCII text it is `opening.lower()` itself.
    lowered = blind_lower(opening)
    behalf: bool | None = None  # is "behalf" in the text? (asked once, when needed)
    for found in after_marks(opening, _LATER_VERB_OR_CLAUSE):
        word, after = (found.group(1) or found.group(2)).lower(), found.group(3)
        if found.string[found.start()] == ";" and after in PARTICLES:
            # "...; kicks off a resync": the verb is the two words ("kick off" starts).
            joined = join_phrasal([word, after])
            rest = opening[found.end():found.end() + 24].split()[:1]
            if len(joined) == 1 and rest:
                word, after = joined[0] + "s", rest[0]
        if ((word[:-1] in _STARTS_A_MONEY_ACT or word[:-2] in _STARTS_A_MONEY_ACT)
                and _moves_money([after.lower(), *opening[found.end():found.end() + 40]
                                  .lower().split()[:3]])):
            # "Initiates a withdrawal from the agent's balance to a bank account", "Initiates
            # a bank transfer".
            return word, v.MONEY
        if word in _LATER_MONEY_WORDS and (word != "tops" or after == "up"):
            # "Debits the bill amount from the linked account", "Tops up the wallet": money
            # verbs the table keeps as nouns or does not know.
            return word, v.MONEY
        verb = base_verb(word)
        if verb is None or verb == word or v.VERBS[verb] == v.READ or after in _NOT_AN_OBJECT:
            continue
        if behalf is None:
            behalf = "behalf" in lowered
        if behalf and _ON_BEHALF.match(opening, found.end()) is not None:
            # "Accepts the invitation on behalf of the user", "Creates a draft on behalf of
            # the account": done for someone, it is done, whatever the verb (a documenting
            # one too).
            return word, v.VERBS[verb]
        if verb in _DOCUMENTING and after not in _PRONOUNS:
            continue  # "Accepts a JSON string"; but "Accepts it", what was just named
        if v.VERBS[verb] in (v.REMOVE, v.MONEY) and verb not in v.AMBIGUOUS or (
                after in _PRONOUNS or (v.VERBS[verb] == v.MODIFY and after in _OBJECTS)
                or (verb in v.OUTWARD_VERBS and after in _OBJECTS)
                or (verb in _LATER_STARTS and after in _OBJECTS)
                or (v.VERBS[verb] == v.EXECUTE and verb not in _LATER_NOT_RUN
                    and after in _OBJECTS and not _runs_a_reading(opening, found.start(3)))
                or (verb in _SAVES and after in _OBJECTS and not _FILES.isdisjoint(
                    opening[found.end():found.end() + 30].lower().split()[:3]))):
            # ("Writes the file to /exports and returns its path": a later sentence that
            # saves a file puts it somewhere.)
            return word, v.VERBS[verb]
        following = opening[found.end():found.end() + 24].lower().split()[:2]
        if verb in _MARKS and after in _OBJECTS and " as " in opening[found.end():found.end() + 40]:
            # "Marks the order as collected": a state set on what was read, money only when
            # it is set paid.
            paid = "paid" in opening[found.end():found.end() + 40].lower()
            return word, v.MONEY if paid else v.WRITE
        if not v.MONEY_OBJECTS.isdisjoint([after.lower(), *following]):
            # "Renews the subscription if it lapsed", "Settles invoices that are due today",
            # "Submits the trade to the exchange": any other act done to a money document.
            return word, v.MONEY
    # (Every gerund subject holds "ing": most openings without one need no search for it.)
    for found in _gerund_subjects(opening) if "ing" in opening else ():
        gerund, word, after = found.group(1).lower(), found.group(2), found.group(3).lower()
        verb = base_verb(word)
        if verb is None or verb == word or (gerund in _NOT_GERUNDS and not (
                gerund == "setting" and _SETTING_TO.match(found.string, found.end(1)))):
            continue
        kind = v.VERBS[verb]
        if kind != v.READ and _money_object(after, opening[found.end():found.end() + 30]):
            # "Setting status to 'refunded' issues a refund", "Passing `confirm` triggers the
            # payment": what doing something with the tool does is a movement of money.
            return word, v.MONEY
        if verb in v.AMBIGUOUS:
            # A word more often a noun is the verb only before what it is done to: "it" or
            # "them" ("Opening a notification marks it as seen", "Viewing a lead claims it"),
            # the person calling, whom no noun stands before ("Viewing a shared file records
            # you as a viewer"), or who pays ("Fetching an overdue invoice charges the
            # customer's saved card"). A verb that is no noun may be said of the person and
            # the reply ("Paging through them puts you at the end"), so not there.
            if after in _PRONOUNS or after in _PERSONS or (
                    kind != v.READ and _pays_who(after, opening[found.end():found.end() + 20])):
                return word, v.MONEY if verb in v.PAYING_VERBS else kind
            if kind in (v.WRITE, v.EXECUTE) and after in _NAMED_AGAIN:
                # ... or a determiner, where the gerund subject leaves it no room to be a
                # noun: "Accepting the quote books the shipment".
                return word, kind
            continue
        if ((kind in (v.REMOVE, v.MODIFY, v.MONEY)
             and after not in _PREPOSITIONS and after not in _MORE_PREPOSITIONS
             and after not in _NOT_AN_OBJECT and not after.endswith("ed"))
                or (kind in (v.WRITE, v.EXECUTE)
                    and (after in _NEW_OBJECTS or after in _NAMED_AGAIN))):
            # "Requesting a new code invalidates previous codes", "supplying a previous ID
            # cancels the request", "Fetching a task assigns it to the caller", "Calling it
            # starts a new export job": what doing something with the tool does.
            return word, kind
    if "ing " in opening or "call" in opening or "nvocation" in opening:
        acts = _the_call_acts(lowered)
        if acts is not None:
            return acts
    # Substring tests first: most descriptions have no such participle and no side effects.
    if _HAS_PASSIVE_WORD(opening) and blind_search(_PASSIVE_SAID, opening, lowered) is not None:
        # "Nothing is charged or transferred", "No file is deleted": a subject that denies
        # says the act is not done.
        passive = next((found for found in blind_finditer(_PASSIVE_ACT, opening, lowered)
                        if _DENIED_SUBJECT.match(opening, found.start()) is None), None)
        if passive is not None:
            said = next(group for group in passive.groups() if group).lower()
            said = " ".join(said.split())  # "topped  up"
            return said, _PASSIVE_KINDS.get(
                said, v.WRITE if said.startswith(("marked", "flagged", "stored", "saved", "kept"))
                else v.REMOVE)
    if "new " in opening and contains_any(opening, _MADE_NEW_WORDS):
        made = _MADE_NEW.search(opening)
        if made is not None:
            return made.group(1).lower(), v.WRITE
    if ("ide effect" in opening or "ide-effect" in opening) and _SIDE_EFFECTS.search(opening):
        return "side effects", v.WRITE
    if ", " in opening:
        sent = blind_search(_SENT_AFTER_A_NOUN, opening, lowered)
        if sent is not None:
            # "Summary of last night's build, emailed to the committers": what is shown is
            # also sent somewhere or blocked.
            said = next(group for group in sent.groups() if group)
            return said.lower(), v.WRITE
        if contains_any(opening, _KEPT_OR_PUT_WORDS):
            kept = blind_search(_KEPT_OR_PUT_AFTER_A_NOUN, opening, lowered)
            if kept is not None:
                said = next(group for group in kept.groups() if group)
                return said.lower(), v.WRITE
    if ", re" in opening or ", toggled" in opening or "which " in opening:
        for found in (leftmost_matches(lowered, (_REDONE_AFTER_A_COMMA, _REDONE_WHICH_IS))
                      if case_plain(opening) else _REDONE_AFTER_A_NOUN.finditer(opening)):
            if found.group(3):
                return found.group(3).lower(), v.MODIFY
            participle = found.group(2).lower()
            whole = found.group(1).lower() + participle
            if any(base_verb(whole[:-k]) is not None for k in (1, 2, 3)):
                continue  # "removed", "refunded", "released": a verb of its own, no "re-"
            # (An irregular participle first: "rebuilt from scratch when stale".)
            for base in (_participle_of(participle) or "", participle[:-1], participle[:-2],
                         participle[:-3]):
                verb = base_verb(base)
                if verb is not None and v.VERBS[verb] != v.READ:
                    return found.group(0).split()[-1].lower(), v.VERBS[verb]
    if ("ed to " in opening or "en to " in opening or "sent to " in opening
            or "filed as " in opening):
        # (Substring tests first: every participle of _PUT_SOMEWHERE ends so before "to".)
        if case_plain(opening):  # (see _PUT_FIRST)
            put = _PUT_FIRST.match(lowered) or _PUT_LATER.search(lowered)
        else:
            put = _PUT_SOMEWHERE.search(opening)
        if put is not None and put.group(2).lower().rstrip(".,") not in _NOWHERE:
            # "The query is logged to the analytics service", "findings are filed as GitHub
            # issues", "the new status is written to the PMS".
            return put.group(1).lower(), v.WRITE
    if ("`" in opening or "iven " in opening) and _given_and_changed(lowered):
        given = (next(leftmost_matches(lowered, _GIVEN_OPENINGS), None)
                 if case_plain(opening) else _GIVEN_THEN_CHANGED.search(opening))
        if given is not None:
            # "Given `chapters`, they are saved and embedded", "If `hosts` is given the
            # delegation is changed": an argument that, when passed, makes the call change
            # what the tool otherwise only shows.
            done = given.group(1).lower()
            return "given: " + done, (v.MODIFY if done in _CHANGED_WHEN_GIVEN else v.WRITE)
    if (handed := given_in_another_order(lowered)) is not None:
        return "given: " + handed[0], handed[1]
    if (" place" in opening or "-place" in opening) and (
            "in place" in lowered or "in-place" in lowered):
        for found in _IN_PLACE.finditer(opening):
            # "Sorts the imports in place": the file it is given is changed. Not what is
            # "left in place", "kept in place" or "is in place", nor "in place of" something.
            at = found.start(2)
            if ((found.group(1) or "").lower() not in _BE
                    and _LEFT_AS_IS.search(opening, max(0, at - 40), at) is None):
                return "in place", v.MODIFY
    # (Substring tests first: each of the rules below needs words most texts lack.)
    acts = _a_noun_does_it(lowered)
    if acts is not None:
        return acts
    # (Every match opens with "(and", "(or" or "(then": most texts have none, and a substring
    # test costs less than starting the search; a lone "(" is found faster still, by the scan
    # for one character, and most texts have none of that either.)
    for found in (_BRACKETED_STEP.finditer(lowered) if "(" in lowered and (
            "(and" in lowered or "(or" in lowered or "(then" in lowered) else ()):
        acts = _acts(found.group(1))
        before = _WORD_BEFORE.search(lowered, max(0, found.start() - 24), found.start())
        if acts is not None and before is not None and base_verb(before.group(1)) is not None:
            # "Passing offset confirms (and discards) all earlier updates": a verb in brackets
            # joined to the one before it is done to the same object.
            return acts
    if "--" in opening and contains_any(lowered, _SWITCHES):
        switch = _ACTING_SWITCH.search(lowered)
        if switch is not None and _DENIED_BEFORE.search(
                lowered, max(0, switch.start() - 24), switch.start()) is None:
            # "npm audit with --fix", "Runs the formatter with --write": the command is run
            # with a switch that makes it change what it looks at.
            said = switch.group(1)
            return "--" + said, _SWITCH_KINDS.get(said, v.MODIFY)
    for stem, pattern in _SPLIT_PHRASAL:
        if stem not in lowered:
            continue  # (most texts: a substring test costs less than starting the search)
        for split in pattern.finditer(lowered):
            if split.start() == 0 or not lowered[split.start() - 1].isalpha():
                # "Opening the chart checks the patient in for today's visit", "Logs the user
                # out": a verb with its particle after its object registers or ends something.
                return f"{stem} ... {split.group(1)}", v.WRITE
    said = _said_of_the_call(opening)
    if said is None:
        said = _acting_passive(lowered)
    if said is None and " by th" in opening:
        said = _done_by_this_call(opening)
    if said is None and ("as it goes" in opening or "along the way" in opening
                         or "in passing" in opening or "side effect" in opening
                         or "in the process" in opening):
        said = _done_in_passing(opening)
    if said is None:
        said = _spent_or_held(lowered)
    if said is None:
        said = _done_when_it_holds(lowered)
    return said


# A gerund said to be done by the call itself: "Redeeming it is done by this same call",
# "Accepting is done by this call when `bind` is set", "Cancelling the hold is handled by
# this tool".
_BY_THIS_CALL = re.compile(
    r"\b([A-Za-z]{3,}ing)\b(?:\s+[\w'`-]+){0,4}?\s+(?:is|are)\s+(?:also\s+)?(?:done|performed"
    r"|handled|carried\s+out|triggered)\s+by\s+(?:this|the)\s+(?:same\s+)?(?:call|tool"
    r"|request|endpoint)\b")


# The words one of which every match of `_BY_THIS_CALL` holds, as written.
_DONE_BY_WORDS = ("done", "performed", "handled", "carried", "triggered")


def _done_by_this_call(opening: str) -> tuple[str, str] | None:
    """(gerund, kind) of an act `_BY_THIS_CALL` says the call does, a verb the table knows or
    lacks, or None; reading ("Filtering is done by this call") does nothing of its own."""
    if not contains_any(opening, _DONE_BY_WORDS):
        return None  # (the pattern opens with a word boundary, tried at every character)
    for found in _BY_THIS_CALL.finditer(opening):
        gerund = found.group(1).lower()
        if gerund in _NOT_GERUNDS or _treats(gerund):
            continue
        verb = base_verb(gerund)
        if verb is None:
            return gerund, v.WRITE
        if v.VERBS[verb] != v.READ and verb not in _SHAPING_GERUNDS:
            return gerund, v.VERBS[verb]
    return None


# What says a clause is done by the call while it reads: "unsubscribing bounced addresses as
# it goes", "unfollowing bots along the way", "Stale entries are evicted in passing".
_IN_PASSING = re.compile(
    r"\b(?:as\s+it\s+goes|along\s+the\s+way|in\s+passing|as\s+a\s+side[- ]effect"
    r"|in\s+the\s+process)\b")
# What ends a clause: the clause said to be done in passing opens after the last of them before
# it.
_CLAUSE_MARKS = ",;:.!?()\n\u2014\u2013"
_VERB_FORM = re.compile(r"\b([a-z]{3,}(?:ing|ed))\b")


def _clause_start(text: str, end: int) -> int:
    """Where the clause ending at `end` opens: just past the last of `_CLAUSE_MARKS` before
    `end`, or at 0. (A backward scan for each mark: a search from the start for a mark with
    none after it up to `end` ran through the text again from every mark, and a long
    description saying "in passing" many times paid that once for each.)"""
    return max(text.rfind(mark, 0, end) for mark in _CLAUSE_MARKS) + 1


def _done_in_passing(opening: str) -> tuple[str, str] | None:
    """(word, kind) of a gerund or participle in a clause that says it is done in passing
    (`_IN_PASSING`), an act the table knows or does not know, or None. A form of a verb that
    reads ("looking up ... as it goes") or arranges the reply ("sorting them as it goes") does
    nothing of its own."""
    for found in _IN_PASSING.finditer(opening):
        end = found.start()
        clause = opening[_clause_start(opening, end):end].lower()
        for form in _VERB_FORM.finditer(clause):
            word = form.group(1)
            if _treats(word) or word in _NOT_GERUNDS or word.endswith("eed"):
                continue  # ("string", "setting" and "speed" are no verbs here)
            verb = base_verb(word) or _participle_of(word)
            if verb is None:
                return word, v.WRITE
            if v.VERBS[verb] != v.READ and verb not in _SHAPING_GERUNDS:
                return word, v.VERBS[verb]
    return None


# An argument the description names as what makes a call act: the subject of a verb in the
# third person ("`tags` replaces them", "Setting `send_at` schedules it"), what it is passed
# for ("Pass `terminate` with a pid to cancel one"), or values handed over as the subject
# ("Records given in `records` replace the existing set", "sent values replace the current
# ones"). A reader's arguments are said to do what reading does ("`tail` fetches the last
# lines", "`limit` caps the results"), and tools named in backticks are told to be used, not
# passed ("Use `reload` to reload the page" points elsewhere).
_ARGUMENT_DOES = re.compile(
    r"`[^`\n]{1,40}`\s+(?:(?:also|then|instead)\s+)?([a-z]+s)\s+(\w+)")
_PASSED_TO = re.compile(
    r"\b(?:pass|give|supply|provide|set|add|include)\s+`[^`\n]{1,40}`\s+"
    r"(?:[\w'`-]+\s+){0,4}?to\s+([a-z]+)\s+(\w+)", re.IGNORECASE)
# The same with the argument written as it is set, a value after "=", quoted or not: "Pass
# state='stopped' to stop it", "set archive=true to archive the thread".
_PASSED_AS_SET = re.compile(
    r"\b(?:pass|give|supply|provide|set|add|include)\s+[a-z_][\w.-]{0,39}\s*=\s*"
    r"(?:'[^'\n]{0,40}'|\"[^\"\n]{0,40}\"|[\w.-]{1,40})\s+(?:[\w'`-]+\s+){0,4}?to\s+([a-z]+)"
    r"\s+(\w+)", re.IGNORECASE)
_PASSING = ("pass ", "give ", "supply ", "provide ", "set ", "add ", "include ")
# What follows the "=" of every match of `_PASSED_AS_SET`, searched from the "=" (which the
# engine skips straight to): most "=" in a description are examples ("limit=10") with no
# "to" and a verb after them.
_SET_THEN_TO = re.compile(r"=\s*(?:'[^'\n]{0,40}'|\"[^\"\n]{0,40}\"|[\w.-]{1,40})\s+"
                          r"(?:[\w'`-]+\s+){0,4}?to\s+[a-z]+\s+\w")
_PASSING_VERBS = frozenset(word.strip() for word in _PASSING)


def _word_before(text: str, end: int) -> int:
    """Where the word (letters, digits, "_", ".", "-") that ends at `end`, after any spaces,
    starts."""
    while end > 0 and text[end - 1].isspace():
        end -= 1
    while end > 0 and (text[end - 1].isalnum() or text[end - 1] in "_.-"):
        end -= 1
    return end


def _passed_as_set(opening: str, blind: str) -> list[re.Match[str]]:
    """The matches of `_PASSED_AS_SET` in the opening, each found from its "=" and read
    backwards to the verb (`blind` is the opening lowered by `blind_lower`, of the same length
    where it matters): the case-blind pattern would be tried at every character."""
    found: list[re.Match[str]] = []
    for then in _SET_THEN_TO.finditer(blind):
        at = then.start()
        name = _word_before(blind, at)
        verb = _word_before(blind, name)
        if verb < name and blind[verb:name].strip() in _PASSING_VERBS:
            match = _PASSED_AS_SET.match(opening, verb)
            if match is not None:
                found.append(match)
    return found
_VALUES_GIVEN = re.compile(
    r"\b(?:(?:given|sent|passed|provided|supplied)\s+[a-z]+s|[a-z]+s\s+(?:given|sent|passed"
    r"|provided|supplied)(?:\s+(?:in|as|via|through)\s+`[^`\n]{1,40}`)?)\s+([a-z]+)\s+(\w+)",
    re.IGNORECASE)
# What every match of `_VALUES_GIVEN` says from its handed word on, searched first (from each
# first letter of those words in lower-cased text): the pattern opens with a word boundary and
# is tried at every character.
_VALUES_GIVEN_SAID = re.compile(
    r"(?:given|sent|passed|provided|supplied)(?:\s+(?:in|as|via|through)\s+`[^`\n]{1,40}`)?"
    r"\s+[a-z]+\s+\w", re.IGNORECASE)
_HANDED_OVER = ("given", "sent", "passed", "provided", "supplied")
# What every match of `_PASSED_TO` and of `_VALUES_GIVEN` holds, in text lowered by
# `blind_lower`: one of these words, white space, then "`" or a letter a-z. Looking for it
# first skips to the few texts where the case-blind patterns, tried at every character, can
# match (most texts that pass "`" or name a value "given" hold no such phrase: "if provided,
# ...", "the given date").
_PASSING_WORDS = ("pass", "give", "supply", "provide", "set", "add", "include")


def _passed_to_said(blind: str) -> bool:
    """Does one of `_PASSING_WORDS`, then white space, stand before a "`"? Found from each "`"
    backwards: a regex search would try each "p", "g", "s", "a" and "i" of the text, a
    tenth of all its letters."""
    at = blind.find("`")
    while at >= 0:
        end = at
        while end > 0 and blind[end - 1].isspace():  # str.isspace is what \s matches
            end -= 1
        if end < at and blind.endswith(_PASSING_WORDS, 0, end):
            return True
        at = blind.find("`", at + 1)
    return False


def _values_given_said(blind: str) -> bool:
    """Does one of `_HANDED_OVER`, then white space, stand before a letter a-z? Found from each
    of those words (a few in the text at most), not tried at each "g", "s" and "p"."""
    for word in _HANDED_OVER:
        at = blind.find(word)
        while at >= 0:
            end = at + len(word)
            after = end
            while after < len(blind) and blind[after].isspace():
                after += 1
            if after > end and after < len(blind) and "a" <= blind[after] <= "z":
                return True
            at = blind.find(word, at + 1)
    return False
# What a verb done by an argument acts on when it changes what was read: "it", "them", "one"
# of them, or what is there already ("replace the existing set").
_DONE_TO = frozenset("it them one ones each".split())
_THERE_ALREADY = frozenset("existing current old previous stored saved".split())
# Verbs by which an argument tunes the call itself ("`limit` sets the page size", "`format`
# changes the output"): they act only on "it" or "them", what was read.
_TUNES = frozenset("set change control override adjust limit restrict toggle switch".split())


# The same acts with the argument named bare, as prose names it, each with a word that says it
# is an argument handed in:
# - "pass" (give, supply, provide) it "to" do something: "pass tags to overwrite them"
#   ("add" and "set" are left out: "add items to the cart" is the tool's own command);
# - one given, passed or provided (maybe "in") that does something: "A ref passed in starts a
#   new pipeline on it";
# - one called an argument, a parameter or a field: "a text argument adds one".
#   Not a pronoun handed to another tool: "pass it to arkime_sessions to run it".
# (`first_letters_skipped_to`: r"\b(?:pass|give|supply|provide)" that the engine skips to.)
_PASSED_BARE_TO = re.compile(
    first_letters_skipped_to(("pass", "give", "supply", "provide"))
    + r"\s+(?:an?\s+|the\s+)?(?!(?:it|them|this|that|these"
    r"|those|one)\b)[a-z_][\w.-]{0,39}\s+(?:(?!to\b)[\w'`-]+\s+){0,2}?to\s+([a-z]+)\s+(\w+)")
_ONE_GIVEN_DOES = re.compile(
    r"\b(?:an?|the|any)\s+[a-z_][\w.-]{0,39}\s+(?:given|passed|provided|supplied)(?:\s+in)?"
    r"\s+(?:(?:also|then|instead)\s+)?([a-z]+s)\s+(\w+)")
_ARGUMENT_NAMED_DOES = re.compile(
    r"\b[a-z_][\w.-]{0,39}\s+(?:argument|parameter|param|field)\s+"
    r"(?:(?:also|then|instead)\s+)?([a-z]+s)\s+(\w+)")
# What the last two say from the word that hands the argument in, which every match holds:
# searched before them where that word stands, since they open with the argument's name, and
# so with a word boundary, and are tried at every character (these, at each first letter of
# the word, are a fifth of the cost, and most texts that name an argument so hold none).
_GIVEN_DOES = re.compile(r"(?:given|passed|provided|supplied)(?:\s+in)?\s+"
                         r"(?:(?:also|then|instead)\s+)?[a-z]+s\s+\w")
_NAMED_DOES = re.compile(r"(?:argument|parameter|param|field)\s+"
                         r"(?:(?:also|then|instead)\s+)?[a-z]+s\s+\w")
# What each of them needs in the text, looked for before the pattern is tried: words, then
# a pattern that every match holds (or None).
_BARE_CLUES: tuple[tuple[re.Pattern[str], tuple[str, ...], re.Pattern[str] | None], ...] = (
    (_PASSED_BARE_TO, ("pass ", "give ", "supply ", "provide "), None),
    (_ONE_GIVEN_DOES, ("passed ", "given ", "provided ", "supplied "), _GIVEN_DOES),
    (_ARGUMENT_NAMED_DOES, (" argument ", " parameter ", " param ", " field "), _NAMED_DOES))
# What every word of `_HANDED_OVER` and every clue above holds: a text without any of these
# (most texts) has none of them, found in 8 passes over the text rather than 17.
_ANY_CLUE = ("provide", "pass", "give", "suppl", "sent", " param", " argument ", " field ")


def argument_act(description: str) -> tuple[str, str] | None:
    """(word, kind) of an act the description says an argument makes the call perform (see
    `_ARGUMENT_DOES`), or None."""
    opening = description[:_LATER_WINDOW]
    ticked = "`" in opening
    lowered = opening.lower()
    if not ticked and "=" not in opening and not contains_any(lowered, _ANY_CLUE):
        return None  # the common case, after one pass over the text for each stem
    handed = ticked or contains_any(lowered, _HANDED_OVER)
    bare = [(pattern, held) for pattern, clues, held in _BARE_CLUES
            if contains_any(lowered, clues)]
    passing = "=" in opening and _SET_THEN_TO.search(lowered) is not None
    if not handed and not passing and not bare:
        return None  # the common case, without a search
    blind = lowered if lowered.isascii() else blind_lower(opening)
    found_all: list[re.Match[str]] = []
    for pattern, held in bare:
        if held is None or held.search(blind) is not None:
            found_all += pattern.finditer(blind)
    if passing:
        found_all += _passed_as_set(opening, blind)
    if ticked:
        found_all += _ARGUMENT_DOES.finditer(opening)
        if _passed_to_said(blind):
            found_all += _PASSED_TO.finditer(opening)
    if (handed and _values_given_said(blind)
            and blind_search(_VALUES_GIVEN_SAID, opening, lowered) is not None):
        found_all += blind_finditer(_VALUES_GIVEN, opening, lowered)
    for found in found_all:
        word, after = found.group(1).lower(), found.group(2).lower()
        verb = base_verb(word)
        if (verb is None or (found.re is _ARGUMENT_DOES and verb == word)
                or v.VERBS[verb] == v.READ or (verb in _DOCUMENTING and verb != "replace")):
            continue
        kind = v.VERBS[verb]
        if found.re is _PASSED_AS_SET and after not in _DONE_TO and after not in _OBJECTS:
            continue  # "Pass concise=True to drop large fields": what the reply leaves out
        if after in _DONE_TO or (
                verb not in _TUNES and verb not in v.AMBIGUOUS and (
                    kind in (v.REMOVE, v.MONEY) or after in _OBJECTS and (
                        after != "the" or _the_one_there(opening, found.end())))):
            return "argument: " + word, kind
    return None


def _the_one_there(text: str, at: int) -> bool:
    """Does "the" ending at `at` name what is there already ("the existing set"), or anything
    but the reply ("the results")?"""
    following = text[at:at + 20].lower().split()[:1]
    return bool(following) and following[0] in _THERE_ALREADY


# "Setting" as a gerund, not a noun: setting an argument to a value ("Setting status to
# 'refunded' ...", "Setting `state` to closed ...").
_SETTING_TO = re.compile(r"\s+[\w`'\"-]+\s+to\s")


def _money_object(after: str, rest: str) -> bool:
    """Is the object that starts with `after` (then `rest`) a movement of money ("a refund",
    "the payment", "a new charge")?"""
    if after in v.MONEY_OBJECTS:
        return True
    if after not in _ARTICLES and after not in _OBJECTS:
        return False
    words = rest.lower().split()[:2]
    return any(word.strip(".,;") in _MOVEMENTS for word in words)


# Money objects that are movements of money, not documents a call may only touch ("an order",
# "the invoice" are read, printed and sent as often as paid).
_MOVEMENTS = frozenset(
    """
    refund refunds payment payments charge charges payout payouts withdrawal withdrawals
    transfer transfers deposit deposits purchase purchases debit debits chargeback
    remittance reimbursement
    """.split())


def _pays_who(after: str, rest: str) -> bool:
    """Is the object that starts with `after` (then `rest`) someone who pays ("customers",
    "the customer's saved card")?"""
    if after.rstrip("s") in v.PAYERS:
        return True
    if after not in _ARTICLES:
        return False
    words = rest.lower().split()[:1]
    return bool(words) and words[0].rstrip("'s") in v.PAYERS  # "customer's", "customers'"


def _gerund_subjects(opening: str) -> Iterator[re.Match[str]]:
    """Each gerund subject with its verb: at the start, then after each mark."""
    first = _GERUND_SUBJECT.match(opening)
    if first is not None:
        yield first
    yield from after_marks(opening, _GERUND_SUBJECT_AFTER)  # as _GERUND_SUBJECT_LATER.finditer


def _moves_money(words: list[str]) -> bool:
    """Do the first words of an object name a movement of money ("a withdrawal", "a bank
    transfer"; a transfer only with money named beside it, not "a file transfer")?"""
    if not _MOVED_MONEY.isdisjoint(words):
        return True
    if ("order" in words or "orders" in words) and ("buy" in words or "sell" in words):
        return True  # "Places a buy order"
    return (("transfer" in words or "transfers" in words)
            and not v.MONEY_NOUNS.isdisjoint(words))


def self_described_act(description: str) -> tuple[str, str] | None:
    """A verb by which the description's opening says what the tool itself does beyond reading
    ("... So this tool starts a short-lived container", "Lists all files. It then deletes
    them.", "Fetch unread emails. This also marks them as read."), as (word, kind), or None. Only a
    verb that says what the tool does ("starts", "will write") is taken: "the tool to use"
    says nothing."""
    if (description.find("tool", 0, DESCRIPTION_WINDOW) < 0
            and description.find("It ", 0, DESCRIPTION_WINDOW) < 0
            and description.find("This ", 0, DESCRIPTION_WINDOW) < 0):
        return None  # the common case, without a copy or a regex
    for pronoun, modal, word, after in _self_statements(description[:DESCRIPTION_WINDOW]):
        assert word is not None  # (the pattern always finds one)
        word = word.lower()
        verb = base_verb(word)
        # "starts", or "will start": a verb that says what the tool does, not "the tool to use".
        said = modal is not None or (word != verb and word.endswith("s"))
        if verb is None or not said or v.VERBS[verb] == v.READ:
            continue
        if pronoun is not None:
            # "It" or "This" opening a sentence may be the tool or what it shows ("It stops
            # being active once it expires"): only an act on an object it names counts
            # ("It then deletes them", "This also marks them as read"), or one that removes,
            # changes or pays followed by anything but a preposition.
            after = (after or "").lower()
            grave = v.VERBS[verb] in (v.REMOVE, v.MODIFY, v.MONEY)
            if not (after in _OBJECTS or (grave and after and after not in _PREPOSITIONS)):
                continue
        return word, v.VERBS[verb]
    return None


# The first three letters of each removal verb: every form that `base_verb` takes back to one
# ("deletes", "wiping") starts with them, so most words of a sentence need no lookup.
_REMOVAL_STARTS = frozenset(verb[:3] for verb in _REMOVALS)


def removal_word(tokens: list[str]) -> str | None:
    """A word of a sentence that removes something ("deletes", "removing")."""
    for token in tokens:
        if len(token) < 4 or token[:3] not in _REMOVAL_STARTS:
            continue
        if token in _REMOVALS:
            return token
        # Past participles ("a terminated execution", "deleted items") describe a state,
        # so only the present forms count ("deletes", "removing").
        verb = base_verb(token)
        if verb in _REMOVALS:
            return token
    return None


# Prefixes written with a hyphen that make a noun or adjective of a verb: "Pre-send check",
# "Non-blocking", "Multi-select list". "Re-run" and "Soft-delete" still lead with their verb.
_WORD_PREFIXES = frozenset("pre non anti multi semi inter intra".split())
# Counts before a hyphen make an adjective, not a verb: "One-call brief", "Two-step login".
_COUNTS = frozenset("one two three four five single double first last".split())

_TITLE_WINDOW = 40
_TITLE_WORDS = 4
_TITLE_MARKS = (": ", " - ", " \u2013 ", " \u2014 ")


def _after_title(description: str, sentence: str, alternatives: bool, indirect: bool
                 ) -> DescriptionVerbs | None:
    """The reading of what follows a short title ("Search Index Cleanup: deletes ..."), or
    None without one."""
    for mark in _TITLE_MARKS:
        at = sentence.find(mark, 0, _TITLE_WINDOW)
        title = sentence_tokens(sentence[:at]) if at > 0 else []
        # A title names something; with a preposition or an article it is already the
        # sentence ("Discover games by criteria — tags, max price, ...").
        if (title and len(title) <= _TITLE_WORDS and _PREPOSITIONS.isdisjoint(title)
                and _ARTICLES.isdisjoint(title)):
            rest = description[:2 * DESCRIPTION_WINDOW].lstrip()[at + len(mark):]
            return description_verbs(rest, alternatives, indirect, False)
    return None

def act_after_a_colon(desc: DescriptionVerbs) -> tuple[str, str] | None:
    """(word, kind) of a clause after a colon in the first sentence that says, in the third
    person, what the tool does, however long the words before it ("W-2 forms for the tax
    year: generates them and files them with the agency"), or None. Asked where a sentence of
    nouns would let the tool through as a reader: an act said after its colon counts."""
    sentence = desc.sentence
    colon = sentence.find(": ", 0, _CLAUSE_WINDOW)
    if colon <= 0:
        return None
    act = _third_person_act(sentence[colon + 2:])
    return None if act is None else (act[0], act[1].kind or "")


def _third_person_act(clause: str) -> tuple[str, DescriptionVerbs] | None:
    """(its first word, its reading) of a clause that opens with a verb that acts, in the third
    person, and its object ("removes old ones", "records the counted quantity"), or None. A
    list of nouns ("a node's health: drops, disk, memory"), a label or a clause that reads says
    nothing done."""
    after = description_verbs(clause, False, False, False)
    first = after.words[0] if after.words else ""
    if (after.kind is None or after.kind == v.READ or first == after.lead
            or base_verb(first) != after.lead or after.words[1:2] in ([], [","], ["and"], ["or"])):
        return None
    return first, after


# Marks after which a reader's title ("Cycle count for a bin", "Validate a parking ticket")
# may say what the call does.
_TITLE_ENDS = (": ", " \u2014 ", " \u2013 ")
# A clause that says its act is only rehearsed changes nothing.
_DRY_RUN = re.compile(r"\bdry[- ]?run\b", re.IGNORECASE)


def act_after_a_title(desc: DescriptionVerbs) -> tuple[str, str] | None:
    """(word, kind) of a clause after a colon or dash in the first sentence that says, in the
    third person and before its object, that the tool changes, removes, writes or pays ("Cycle
    count for a bin \u2014 records the counted quantity and adjusts on-hand stock"), or None.
    Asked where the name or the sentence's own lead reads: the words before the mark name a
    feature, and the clause says what it does. What a reader runs to read ("Explain why an
    alert fired: evaluates the rule's expression") and a word more often a noun before anything
    but its object ("Gantt data: issues with dates") say nothing done."""
    sentence = desc.sentence
    at = -1  # the first of the marks (a plain loop: asked of every reader)
    for mark in _TITLE_ENDS:
        found = sentence.find(mark, 0, _CLAUSE_WINDOW)
        if found > 0 and (at < 0 or found < at):
            at = found
    if at <= 0:
        return None
    clause = sentence[at:].lstrip(":\u2014\u2013 ")
    if "dry" in clause and _DRY_RUN.search(clause):
        return None  # "Shows what `apply` would change: submits the manifest as a dry run"
    act = _third_person_act(clause)
    if act is None:
        return None
    first, after = act
    # What a reader runs to read is no act here; nor a word more often a noun before anything
    # but its object.
    if after.kind == v.EXECUTE or (after.lead in v.AMBIGUOUS and after.words[1] not in _OBJECTS):
        return None
    return first, after.kind or ""


# Verbs of Japanese, Chinese and Korean descriptions ("現在のユーザー情報を取得", "删除文件",
# "사용자 목록 조회"), whose words the Latin tokenizer does not see: looked for as substrings of
# the first sentence. Words that are as often nouns ("設定", settings) appear only in a form
# that acts ("を設定").
_CJK_VERBS: dict[str, tuple[str, ...]] = {
    v.READ: tuple("取得 一覧 検索 確認 表示 参照 照会 閲覧 読み込 获取 查询 查看 列出 搜索 检索 读取 显示 "
                  "조회 목록 검색 확인 가져오 읽기 불러 보여 返します 返す 返回".split()),
    v.WRITE: tuple("作成 追加 登録 送信 保存 新規 発行 投稿 招待 無効 有効化 アップロード を引き当て を引当 创建 新建 添加 审核 审批 "
                   "注册 发送 发布 上传 提交 禁用 启用 생성 추가 등록 전송 발송 저장 업로드 작성 게시 초대"
                   .split()),
    v.MODIFY: tuple("更新 変更 編集 修正 を設定 移動 置換 キャンセル 取り消 取消 修改 编辑 更改 替换 移动 撤销 "
                    "수정 변경 업데이트 편집 이동 취소".split()),
    v.REMOVE: tuple("削除 消去 破棄 删除 移除 清除 清空 注销 삭제 제거".split()),
    v.EXECUTE: tuple("実行 起動 デプロイ 执行 运行 启动 部署 调用 실행 배포 시작".split()),
    v.MONEY: tuple("支払 決済 送金 返金 入金 出金 購入 支付 付款 转账 退款 充值 购买 결제 송금 환불 이체 구매 "
                   "지불".split()),
}
_CJK_STOPS = ("。", "\n", "！", "？")


_CJK_FIRST = "\u3040"


def _cjk_script(char: str) -> bool:
    """Is the character kana, a CJK ideograph or hangul?"""
    return ("\u3040" <= char <= "\u30ff" or "\u3400" <= char <= "\u9fff"
            or "\uac00" <= char <= "\ud7af")


# Marks of a state rather than an act around a Chinese verb: "已启用插件" (plugins already
# enabled), "被删除" (was deleted), "启用的插件" (the enabled plugins).
_CJK_STATE_BEFORE = ("已", "被")
# ...or a time around it: "提交前" (before submitting), "创建后" (after creating); or a noun
# made of it: "更新者" (who updated), "更新日時" (when updated), Korean "저장된" (saved).
_CJK_STATE_AFTER = ("的", "前", "后", "後", "者", "日", "된")
# ...or a record of it, the noun the verb's noun qualifies: Korean "결제 내역" (the payments
# made), "송금 이력", Japanese "支払履歴", "決済明細" (what was paid), "送金予定" (transfers due).
_CJK_RECORDS = ("내역", "이력", "일정", "履歴", "明細", "予定")


def _acts_at(sentence: str, word: str) -> bool:
    """Does `word` occur in the sentence at least once as an act, not as a state?"""
    at = sentence.find(word)
    while at >= 0:
        end = at + len(word)
        if not (at > 0 and sentence[at - 1] in _CJK_STATE_BEFORE) and not (
                end < len(sentence) and sentence[end] in _CJK_STATE_AFTER):
            return True
        at = sentence.find(word, at + 1)
    return False


# A Chinese sentence leads with its verb ("列出仓库的分支", list a repository's branches), maybe
# after a word or two of manner ("分页列出", list page by page); Japanese and Korean put theirs
# last. Verbs joined to the lead by these are offered beside it ("获取并删除", get and delete).
_ZH_LEAD_WITHIN = 4
_ZH_JOINS = frozenset("并或及和与")  # one character each
_ZH_MANNER = frozenset(("自动", "同时", "然后", "随后", "立即", "一并", "直接", "再次"))
_ZH_COMMAS = frozenset("，,；;")
_ZH_QUERY = "查询"
_ZH_QUERY_WITHIN = 12


_KANA_OR_HANGUL = re.compile("[\u3040-\u30ff\uac00-\ud7af]")


def _kana_or_hangul(sentence: str) -> bool:
    return _KANA_OR_HANGUL.search(sentence) is not None


_CJK_VERB_SIZES = frozenset(len(word) for words in _CJK_VERBS.values() for word in words)


def _zh_lead(sentence: str, found: DescriptionVerbs) -> bool:
    """A Chinese sentence's leading verb and the verbs joined to it, riskiest first; False
    when no verb of the table stands at its start."""
    lead: tuple[int, str, str] | None = None
    for kind, words in _CJK_VERBS.items():
        for word in words:
            at = sentence.find(word, 0, _ZH_LEAD_WITHIN + len(word))
            if (0 <= at <= _ZH_LEAD_WITHIN and (lead is None or at < lead[0])
                    and _acts_at(sentence[:at + len(word) + 1], word)):
                lead = (at, word, kind)
    if lead is None:
        return False
    at, word, kind = lead
    if kind == v.EXECUTE and _ZH_QUERY in sentence[at:at + len(word) + _ZH_QUERY_WITHIN]:
        kind = v.READ  # "执行 VelaQL 查询": what is run is a query (SQL arguments still run)
    found.lead, found.kind = word, kind
    # Where a join stands (each is one character): a verb right after one is joined. Found
    # once, rather than searching the sentence for every join before every verb.
    after_joins = [at + 1 for at, char in enumerate(sentence) if char in _ZH_JOINS]
    # A word of manner or time may stand between the join and its verb, or join the clause
    # itself after a comma: "获取订单详情，并自动取消...的订单" (get the order, and automatically
    # cancel ...), "获取文件列表，然后删除过期文件" (..., then delete the stale files).
    after_joins += [at + 2 for at in after_joins if sentence[at:at + 2] in _ZH_MANNER]
    after_joins += [at + 3 for at, char in enumerate(sentence)
                    if char in _ZH_COMMAS and sentence[at + 1:at + 3] in _ZH_MANNER]
    if not after_joins:
        return True
    # What stands right after each join, in every length a verb of the table has.
    after = {sentence[at:at + size] for at in after_joins for size in _CJK_VERB_SIZES}
    for other_kind, words in _CJK_VERBS.items():
        for other in words:
            if other in after and KIND_ORDER[other_kind] > KIND_ORDER[found.kind]:
                found.lead, found.kind = other, other_kind
    return True


def _cjk_verbs(description: str, found: DescriptionVerbs) -> None:
    """The verb of a Japanese, Chinese or Korean first sentence, as the description's lead: a
    Chinese sentence's leading verb, else the riskiest verb anywhere in it; a sentence that only
    reads reads. A verb marked as a state ("已启用") is no act."""
    sentence = description[:DESCRIPTION_WINDOW]
    for stop in _CJK_STOPS:
        at = sentence.find(stop)
        if at > 0:
            sentence = sentence[:at]
    sentence = sentence.strip()
    if not _kana_or_hangul(sentence) and _zh_lead(sentence, found):
        return
    best: tuple[str, str] | None = None
    for kind, words in _CJK_VERBS.items():
        for word in words:
            if (word in sentence and (best is None or KIND_ORDER[kind] > KIND_ORDER[best[1]])
                    and _acts_at(sentence, word)):
                best = (word, kind)
                break
    if best is not None and best[1] == v.MONEY and _only_a_record(sentence, best[0]):
        # "결제 내역을 조회합니다" (looks up the payments made): the money word names the
        # record that is read. Only a reading verb beside it reads; any act keeps the money.
        acts = [(word, kind) for kind, words in _CJK_VERBS.items() if kind != v.MONEY
                for word in words if word in sentence and _acts_at(sentence, word)]
        if acts and all(kind == v.READ for _, kind in acts):
            best = acts[0]
    if best is not None:
        found.lead, found.kind = best


def _only_a_record(sentence: str, word: str) -> bool:
    """Is each occurrence of `word` followed, maybe after a space, by a noun of a record
    of it (`_CJK_RECORDS`)?"""
    at = sentence.find(word)
    while at >= 0:
        end = at + len(word)
        if not sentence.startswith(_CJK_RECORDS, end + (sentence[end:end + 1] == " ")):
            return False
        at = sentence.find(word, end)
    return True


def _hyphenated(sentence: str, first: str) -> bool:
    """Is `first` joined by a hyphen to the next word where it stands in the sentence?"""
    at = sentence.lower().find(first + "-", 0, 200)
    return at >= 0 and (at == 0 or not sentence[at - 1].isalnum())


# Words after a money word that say where it stands: it is a noun then. Not words that may
# describe the object of a verb: "Transfers pending funds", "Refunds outstanding balances".
_STATES_OF_MONEY = frozenset("paid owed owing due received collected".split())
# What a word more often a noun is followed by when it is a noun naming what a sentence is about
# ("Order status for a symbol", "Invoice total and the sum of its payments"), not a verb with
# its object ("Order a pizza", "Invoice the customer").
# Where a word that sends puts what it names, which a noun phrase never goes: "... to the team
# channel", "... to #general", "... to the Slack thread".
_TO_A_CHANNEL = re.compile(
    r"\bto\s+(?:#[\w-]+|(?:the|a|an|your|our|their|its|this|that)\s+(?:[\w#-]+\s+){0,2}?"
    r"(?:channel|channels|chat|room|thread|feed|timeline|group|wall|forum|list|inbox))\b",
    re.IGNORECASE)
_ATTRIBUTES = frozenset(
    """
    total totals amount amounts balance balances number numbers id ids status statuses date
    dates detail details book history summary count type types info
    """.split())


def _names_a_thing(sentence: str, tokens: list[str], at: int) -> bool:
    """Is the word at `at`, one more often a noun (v.AMBIGUOUS), a noun here: joined by a
    hyphen to the next word ("Invoice-reconstruction attempts", "Order-level discounts"),
    followed by what it has ("Order status", "Invoice total") or by "of" ("Snapshot of")?"""
    word = tokens[at]
    if at + 1 < len(tokens) and (tokens[at + 1] in _ATTRIBUTES or tokens[at + 1] == "of"):
        return True  # "Order status ...", "Snapshot of cluster health": a verb takes no "of"
    if at + 1 < len(tokens) and tokens[at + 1] in _STATES_OF_MONEY:
        return True  # "Rent paid and owing for each tenant": what is paid, not paying it
    if at + 2 < len(tokens) and word[-1:] == "s" and _plural_named(tokens, at):
        return True
    low = sentence[:200].lower()
    where = low.find(word)
    end = where + len(word)
    return (where >= 0 and (where == 0 or not low[where - 1].isalnum()) and end + 1 < len(low)
            and low[end] == "-" and low[end + 1].isalpha())


def _plural_named(tokens: list[str], at: int) -> bool:
    """Is the word ending in "s" at `at` (one more often a noun) a plural noun: the first
    of a list of nouns ("invoices, payments and balance"), or followed by a participle and
    the time it says which of them by ("Payouts arriving today", "Refunds issued in the last
    30 days")? A verb in the third person is followed by its object, and one that acts beside
    others by another verb ("Refunds, cancels or voids a payment"; "Charges saved cards";
    "Transfers waiting for approval" may be either). Never when a participle later in the
    sentence acts ("Refunds issued in May, credited to the saved card")."""
    after, then = tokens[at + 1], tokens[at + 2]
    if after == ",":
        named = base_verb(then) is None and then not in SEPARATORS
    elif len(after) > 4 and (after[-3:] == "ing" or after[-2:] == "ed" and after[-3] != "e"):
        named = then in _WHEN or (then in _WHEN_AFTER and tokens[at + 3:at + 4] != []
                                  and tokens[at + 3] in _WHEN_OPENING)  # (not "bleed")
    elif after == "held" and then == "in":
        # ... or by where they are held: "Funds held in escrow for an order".
        named = tokens[at + 3:at + 4] != [] and tokens[at + 3] in _HELD_IN
    else:
        return False
    return named and not any(
        (verb := participle_verb(word)) is not None and v.VERBS[verb] != v.READ
        for word in tokens[at + 3:])


# The time a participle says which things a plural names by: "arriving today", "issued in
# the last 30 days", "scheduled for the next week", "due within this month".
_WHEN = frozenset("today tomorrow yesterday tonight now soon".split())
_WHEN_AFTER = frozenset("in for during within since before after over between".split())
_WHEN_OPENING = frozenset(
    "the this that next last past today tomorrow yesterday tonight".split())
# Where money a plural names is held: "Funds held in escrow", "Deposits held in trust".
_HELD_IN = frozenset("escrow reserve trust custody".split())


def is_adverb(token: str) -> bool:
    # "Recursively", "Quickly"; but "Apply" and "Reply" are verbs.
    return len(token) > 4 and token.endswith("ly") and token not in v.VERBS


# A description that says of the tool itself that it only reads: "(read-only)", "Read-only:",
# "Read-only, safe to call.", "This tool is read-only". Not "read-only mode" (a server setting
# that write tools mention) nor "is not read-only".
_SELF_READ_ONLY = re.compile(
    r"\(read[- ]?only[;,)]"
    r"|(?:^|[.!;]\s+)read[- ]?only(?:\s*[:,.;\u2013\u2014]|\s+-\s)"
    r"|\b(?:this tool|this|it) is (?:strictly |fully |entirely |purely )?read[- ]?only\b(?! mode)",
    re.IGNORECASE)
_SELF_READ_ONLY_WINDOW = 400


def says_read_only(description: str) -> str | None:
    """The words in which the description's opening says the tool is read-only, or None."""
    if "ead" not in description[:_SELF_READ_ONLY_WINDOW]:
        return None  # the common case, without a regex
    found = _SELF_READ_ONLY.search(description[:_SELF_READ_ONLY_WINDOW])
    return found.group(0).strip(" .;:,()\u2013\u2014-") if found is not None else None


# A text whose first clause is a passive of a verb that acts, its subject opening the text
# with no condition, question or filter in it: "Sessions older than this many hours are
# ended", "Entries returned are moved to this bucket", "Alerts shown are snoozed for this many
# hours". Not "Only keys matching this pattern are returned", "If true, include the hosts that
# are linked to ...", nor a participle that shapes the reply ("Results are sorted by ...").
_OPENING_PASSIVE = re.compile(
    rf"(?!(?:{_NOT_IN_THE_SUBJECT}|that|include|includes|return|returns|show|shows)\b)"
    rf"(?:(?!(?:{_NOT_IN_THE_SUBJECT}|that)\b)[\w'`-]+\s+){{1,8}}"
    r"(?:is|are|will\s+be|gets?)\s+(?:[a-z]+ly\s+)?([a-z]{3,}(?:ed|en))\b")
# Words by which that subject names what the call finds or shows, or which of them, by age or
# wait: an argument that says something is done to other things ("The value is sent as a
# header") tells how the call asks, not what it does to what it finds.
_FOUND_OR_AGED = _FOUND | frozenset("shown older longer idle stale expired".split())
# A condition on the argument itself before what it makes the call do: "If set, every alert
# listed is silenced for this long".
_ITSELF_GIVEN = re.compile(r"(?:if|when|once)\s+(?:it\s+is\s+)?(?:set|given|true|provided|passed"
                           r"|present|specified)\s*,\s*")
# What a verb opening the text acts on when it is every one of what the call finds: "Mutes
# every listed alert", "Archives them"; not "Sets the page size".
_ON_WHAT_IS_FOUND = frozenset("every each all it them".split())
# An argument that is where the call sends what it makes: "The report is mailed to this
# address", "Address the report is mailed to". Not a filter ("Only messages that were mailed
# to this address") nor how the call asks ("The token is sent as a bearer header").
_SENT_TO_IT = re.compile(r"\b(?:is|are|gets?|will\s+be)\s+((?:e-?)?mailed|sent|forwarded|delivered"
                         r"|posted)\s+to(?:\s+(?:this|these)\b|\s*\Z)")
_NOT_SENT_HERE = frozenset(_NOT_IN_THE_SUBJECT.split("|")) | frozenset(("that", "was", "were"))
# The argument itself as the condition after such a verb: "Replaces the secret's value when
# given".
_GIVEN_AFTER = re.compile(r"\b(?:when|if|once)\s+(?:it\s+is\s+)?(?:given|set|passed|provided)\b")
# The argument as what the call acts with: "Resolution note; the ticket is closed with it".
_DONE_WITH_IT = re.compile(r"\b(?:is|are|gets?|will\s+be)\s+(?:[a-z]+ly\s+)?([a-z]{3,}(?:ed|en))"
                           r"\s+with\s+(?:it|this|them)\b")
_FIRST_CLAUSE_ENDS = re.compile(r"[.;:,(!?\n]|\s-\s")
# The same for a text without a "-" (most): a class alone, which the engine scans for, where
# the alternation is tried at every character.
_FIRST_CLAUSE_MARKS = re.compile(r"[.;:,(!?\n]")


def _first_clause_end(lowered: str, start: int = 0) -> re.Match[str] | None:
    """Where the first clause of `lowered` from `start` ends, as `_FIRST_CLAUSE_ENDS` finds."""
    if "-" in lowered:
        return _FIRST_CLAUSE_ENDS.search(lowered, start)
    return _FIRST_CLAUSE_MARKS.search(lowered, start)
# Words each of the patterns above needs whole in the first clause, or in the window, tested
# before the pattern runs: most arguments' descriptions hold none. `_OPENING_PASSIVE`,
# `_SENT_TO_IT` and `_DONE_WITH_IT` each open where the engine has no literal to skip to, and so
# are tried at every character; a word of the clause is found in its list of words, which
# `str.split` cuts at the white space `\s` matches.
_AUXILIARIES = frozenset(("is", "are", "be", "get", "gets"))  # _OPENING_PASSIVE: its verb
_SENT_WORD = "to"  # _SENT_TO_IT: "... is mailed to"
_WITH_WORD = "with"  # _DONE_WITH_IT: "... is closed with it", in the window


def done_to_what_it_names(text: str) -> tuple[str, str] | None:
    """(word, kind) when the first clause of `text` (after a condition on the argument itself,
    "If set,") is a passive of `_OPENING_PASSIVE` whose verb acts on what the call finds, or
    opens with a verb in the third person that acts on every one of them or on "it" or "them"
    ("Mutes every listed alert for this many minutes"), or None. Only the first
    `_CLAUSE_WINDOW` characters are read."""
    # A server's tools describe their arguments in the same words again and again ("The ID of
    # the project", "Page number"): a third of them repeat one seen before. The reading
    # depends on the window alone, which is therefore the whole key of the cache.
    return _done_to_the_window(text[:_CLAUSE_WINDOW])


@lru_cache(maxsize=4096)  # (a server's worth: its arguments' repeats are near each other)
def _done_to_the_window(window: str) -> tuple[str, str] | None:
    """`done_to_what_it_names` of a text cut to its window."""
    lowered = window.lower()
    start = 0
    if (condition := _ITSELF_GIVEN.match(lowered)) is not None:
        start = condition.end()
    end = _first_clause_end(lowered, start)
    stop = end.start() if end else len(lowered)
    words = lowered[start:stop].split()
    if (len(words) >= 2 and words[0].endswith("s")
            and (acts := _acts(words[0])) is not None and base_verb(words[0]) not in v.AMBIGUOUS
            and (words[1] in _ON_WHAT_IS_FOUND or (
                acts[1] in (v.MODIFY, v.REMOVE, v.MONEY)
                and _GIVEN_AFTER.search(lowered, start, stop) is not None))):
        return acts
    with_it = _DONE_WITH_IT.search(lowered) if _WITH_WORD in lowered else None
    if with_it is not None:
        clause = max(lowered.rfind(mark, 0, with_it.start()) for mark in ".;,:\n")
        verb = _participle_of(with_it.group(1))
        if (verb is not None and v.VERBS[verb] != v.READ and with_it.group(1) not in
                _SHAPES_THE_REPLY and _NOT_SENT_HERE.isdisjoint(
                    lowered[clause + 1:with_it.start()].split())):
            return with_it.group(1), v.VERBS[verb]
    sent = _SENT_TO_IT.search(lowered, start, stop) if _SENT_WORD in words else None
    if sent is not None and _NOT_SENT_HERE.isdisjoint(lowered[start:sent.start()].split()):
        return sent.group(1), v.WRITE
    if _AUXILIARIES.isdisjoint(words):
        return None  # (most clauses: no passive)
    found = _OPENING_PASSIVE.match(lowered, start, stop)
    if found is None:
        return None
    participle = found.group(1)
    if participle in _SHAPES_THE_REPLY or _FOUND_OR_AGED.isdisjoint(
            lowered[start:found.start(1)].split()):
        return None
    verb = _participle_of(participle)
    if verb is None or v.VERBS[verb] == v.READ:
        return None
    return participle, v.VERBS[verb]


# A duration an argument gives, said to be how long the call leaves something in a state it
# puts it in: "Seconds the returned messages stay hidden from other consumers", "The session
# is kept alive this many more minutes", "Seconds during which the monitor stays silent".
# Not a state the reply is kept in ("Seconds the results stay cached"), one a connection is
# kept in ("open"), nor a filter ("Only sessions that stay locked longer than this").
_HELD_IN_A_STATE = re.compile(
    r"\b(?:stays?|remains?|(?:is|are)\s+kept|(?:is|are)\s+held)\s+(hidden|invisible|silent"
    r"|silenced|muted|snoozed|locked|alive|paused|suspended|reserved|frozen)\b")
# Words before such a clause that make it a filter or a condition, not what the call does.
_HELD_FILTERS = frozenset("only that if whether unless not no none include includes including "
                          "where".split())
# What each alternative of `_HELD_IN_A_STATE` holds, looked for before the pattern runs.
_HELD_CLUES = ("stay", "remain", "kept", "held")


def held_in_a_state(text: str) -> tuple[str, str] | None:
    """(state, kind) when the first clause of a duration's description says how long the call
    leaves what it names in a state it puts it in ("Seconds the returned messages stay hidden
    from other consumers", "The session is kept alive this many more minutes"), or None."""
    lowered = text[:_CLAUSE_WINDOW].lower()
    if not contains_any(lowered, _HELD_CLUES):
        return None  # the common case, without a search
    end = _first_clause_end(lowered)
    stop = end.start() if end else len(lowered)
    found = _HELD_IN_A_STATE.search(lowered, 0, stop)
    if found is None or not _HELD_FILTERS.isdisjoint(lowered[:found.start()].split()):
        return None
    return "kept " + found.group(1), v.WRITE


def commanded_on_what_is_found(text: str) -> tuple[str, str] | None:
    """(verb, kind) when the first clause of a switch's description is a command whose verb
    acts on what the call found: "them", "it", every one of them, or things said to be found,
    listed or returned ("Send them back to the source queue", "Remove empty files found");
    not "Sets the page size", nor a verb that reads, tunes the reply or is more often a noun.
    None otherwise."""
    lowered = text[:_CLAUSE_WINDOW].lower()
    end = _first_clause_end(lowered)
    words = lowered[:end.start() if end else len(lowered)].split()
    if len(words) < 2:
        return None
    verb = base_verb(words[0])
    if (verb != words[0] or v.VERBS[verb] == v.READ or verb in _TUNES
            or verb in v.AMBIGUOUS or verb in _SHAPING_GERUNDS or verb in _LEFT_AS_THEY_ARE):
        return None
    if ((words[1] in _COMMANDED_ON or not _FOUND.isdisjoint(words[1:]))
            and _THE_REPLY.isdisjoint(words) and "html" not in words):
        return words[0], v.VERBS[verb]
    return None


# What a switch's command names as what it acts on, when it is what the tool shows: "the",
# "its", "this" ... before it ("Renew the certificate when it expires within 30 days").
_DEFINITE = frozenset("the its this that these those their".split())
# Commands that keep something, whatever it is: a reader keeps nothing, not even its reply
# ("Recompute and store the value", "Save the summary to the project").
_KEEPS = frozenset("store save persist write".split())
# What `_DEFINITE` holds, as whole words between spaces, looked for before the clause is read.
_DEFINITE_CLUES = tuple(f" {word} " for word in sorted(_DEFINITE))


def commanded_on_a_definite_thing(text: str) -> tuple[str, str, list[str], bool] | None:
    """(verb, kind, what, keeps) when the first clause of a switch's description is a command
    (with no "If true," before it: schema.py reads a switch said so), maybe the second of two
    joined by "and" ("Recompute and store the value"), whose verb acts on "the" (its, this ...)
    thing named by `what`, the next two words ("Renew the certificate when it expires");
    `keeps` when the verb keeps something (store, save, persist, write). Not a verb that
    reads, tunes the reply, is more often a noun or leaves things as they are, nor a thing that
    is the reply or is put in it or taken out of it ("Remove the HTML comments", "Remove the
    PEM header from the output"). None otherwise: the caller says whether `what` is what the
    tool shows."""
    lowered = text[:_CLAUSE_WINDOW].lower()
    if not contains_any(lowered, _DEFINITE_CLUES):
        return None  # (most switches: no command on a definite thing)
    end = _first_clause_end(lowered)
    words = lowered[:end.start() if end else len(lowered)].split()
    at = 2 if len(words) >= 5 and words[1] == "and" else 0
    if len(words) < at + 3 or words[at + 1] not in _DEFINITE:
        return None
    command = words[at]
    verb = base_verb(command)
    if (verb != command or v.VERBS[verb] == v.READ or verb in _TUNES
            or verb in v.AMBIGUOUS or verb in _SHAPING_GERUNDS or verb in _LEFT_AS_THEY_ARE):
        return None
    what = [_a_bare_noun(word) for word in words[at + 2:at + 4]]
    if not _THE_REPLY.isdisjoint(what) or "html" in what or _in_the_reply(words, at + 2):
        return None
    return command, v.VERBS[verb], what, verb in _KEEPS


def names_what_it_shows(what: list[str], shown: frozenset[str]) -> bool:
    """Is one of `what` (words a command acts on) a word of `shown`, in the singular or the
    plural ("Rotate the certificates" of "view_certificate")?"""
    return any(word in shown or word + "s" in shown or (word.endswith("s") and word[:-1] in shown)
               for word in what if len(word) > 2)


# Words before the reply that say a command puts something in it or takes it out: "Remove
# the PEM header from the output", "Add the owner's name to each result".
_INTO_OR_OUT_OF = frozenset("from to in into within".split())


def _in_the_reply(words: list[str], start: int) -> bool:
    """Is the reply named from `start` on, within three words after "from", "to", "in" ...?"""
    for at in range(start, len(words)):
        if _a_bare_noun(words[at]) in _THE_REPLY and not _INTO_OR_OUT_OF.isdisjoint(
                words[max(start, at - 3):at]):
            return True
    return False


def _a_bare_noun(word: str) -> str:
    """A lowered word without the marks around it or an "'s" ("user's" -> "user")."""
    word = word.strip(".,;:!?()[]\"'`")
    return word[:-2] if word.endswith("'s") else word


def shown_words(name_words: list[str], sentence: str) -> frozenset[str]:
    """The words of a tool's name and its first sentence, as `names_what_it_shows` compares
    them with what a command acts on."""
    return frozenset(name_words) | frozenset(
        _a_bare_noun(word) for word in sentence.lower().split())


# Commands that keep what was found as it is: "peek": "Leave them unread".
_LEFT_AS_THEY_ARE = frozenset("leave keep retain preserve".split())
# What such a command acts on when it is what the call found; "all" is as often what the
# reply leaves out ("Remove all script tags from the HTML").
_COMMANDED_ON = frozenset("them it each every".split())
