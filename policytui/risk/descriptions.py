"""The verbs in a tool description's first sentence: the leading verb, the verbs offered as
its alternatives, and a removal said anywhere in the sentence."""

from __future__ import annotations

from policytui.risk import vocabulary as v
from policytui.risk.words import (
    DESCRIPTION_WINDOW,
    SEPARATORS,
    base_verb,
    first_sentence,
    sentence_tokens,
)

LEAD_WINDOW = 80
INDIRECT = frozenset(("to", "helps", "help", "can", "will", "lets"))


class DescriptionVerbs:
    """What the first sentence of a description says (see `NameVerbs`)."""

    __slots__ = ("sentence", "words", "lead", "kind", "indirect", "alternatives", "text")

    def __init__(self, sentence: str, words: list[str], text: str = "") -> None:
        self.sentence = sentence
        self.words = words
        self.text = text  # the description, for the rare look past the first sentence
        self.lead: str | None = None
        self.kind: str | None = None
        self.indirect = False  # found after "to"/"helps", not as the first word
        self.alternatives: list[tuple[str, str]] = []

    def rest(self) -> list[str]:
        """The words of the description's opening, past the first sentence."""
        return sentence_tokens(self.text[len(self.sentence):DESCRIPTION_WINDOW])


def description_verbs(description: str, alternatives: bool = True, indirect: bool = True
                       ) -> DescriptionVerbs:
    """The description's leading verb and, if `alternatives`, the verbs offered next to it.
    With `indirect`, a description that does not start with a verb is searched for one
    introduced by "to"/"helps"/"can"."""
    # Without alternatives only the first words matter: read less of the description.
    sentence = first_sentence(description if alternatives else description[:LEAD_WINDOW])
    tokens = sentence_tokens(sentence)
    found = DescriptionVerbs(sentence, tokens, description)
    count = len(tokens)
    start = 0
    while start < 2 and start < count and _is_adverb(tokens[start]):
        start += 1  # "Recursively search ..."
    lead = base_verb(tokens[start]) if start < count else None
    if lead in v.LAUNCHERS and start + 1 < count and tokens[start + 1] == "here":
        lead = None  # "Start here: ..." points the reader, it starts nothing
    if lead is None:
        if not indirect:
            return found
        # "A detailed tool for ... This tool helps analyze ...": a verb after "to"/"helps"/
        # "can", anywhere in the opening of the description.
        opening = sentence_tokens(description[:DESCRIPTION_WINDOW])
        for i in range(min(len(opening), 60) - 1):
            word = opening[i]
            after = opening[i + 1]
            # "a tool for fetching profiles": "for" with a verb in -ing.
            if word in INDIRECT or (word == "for" and after.endswith("ing")):
                lead = base_verb(after)
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
    joined = False  # a separator since the last verb
    while i < count:
        token = tokens[i]
        i += 1
        if token in SEPARATORS:
            joined = True
            continue
        verb = base_verb(token)
        if (verb is None or verb in chain or (token != verb) != third_person
                or not joined and verb in v.AMBIGUOUS):
            break  # "List issues", "Query order book": a noun after a verb, not a second verb
        joined = False
        chain.add(verb)
        found.alternatives.append((verb, v.VERBS[verb]))
    # Any verb offered as an alternative later on ("Create a file or completely overwrite
    # it"), inflected like the lead verb. A read sentence names things ("branches or
    # commits"), so there a later verb counts only with its own object ("Retrieve a prompt by
    # ID and execute it").
    reading = found.kind == v.READ
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
        if reading and (j + 1 >= count or tokens[j + 1] not in _OBJECTS
                        or v.VERBS[verb] == v.READ):
            continue
        chain.add(verb)
        found.alternatives.append((verb, v.VERBS[verb]))
    return found


_QUERIES = frozenset("query queries search searches lookup lookups report reports".split())
# Words that open the object of a verb: "... and execute it", "... or delete the file".
_OBJECTS = frozenset("it them this that these those the a an its their all".split())
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


# Verbs that remove whatever they are said of; "clear" or "clean" in a sentence is as often an
# adjective, so only these count when they are not the leading verb.
_REMOVALS = frozenset(
    "delete remove destroy purge erase wipe truncate unregister uninstall revoke terminate "
    "deprovision decommission expunge discard kill".split())


def removal_word(tokens: list[str]) -> str | None:
    """A word of a sentence that removes something ("deletes", "removing")."""
    for token in tokens:
        if len(token) < 4 or token in SEPARATORS:
            continue
        if token in _REMOVALS:
            return token
        # Past participles ("a terminated execution", "deleted items") describe a state,
        # so only the present forms count ("deletes", "removing").
        verb = base_verb(token)
        if verb in _REMOVALS:
            return token
    return None


def _is_adverb(token: str) -> bool:
    return len(token) > 4 and token.endswith("ly")
