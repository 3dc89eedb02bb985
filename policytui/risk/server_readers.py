"""What a server's own way of naming says about a verbless tool its words leave open.

A server writes all its tools one way. One whose verbless tools (no verb in the name or the
description's first sentence: `trips`, `bank_balances`, `reconstructed_trial_balance`) its
words show to be readers, by a view or a collection named ("... and the name ends with
'trips'") or a description that says "read-only", names its readers that way. Another verbless
tool of the same server that its words leave Other (`orders`, whose plural is also a verb;
`reconstructed_profit_and_loss`, whose sentence names no view word the tables know) is then
read as one of them.

Fail closed: only where at least two of the server's verbless tools are shown to read and they
are at least half of its verbless tools (a server whose verbless tools act, or are made riskier
by their arguments, gives no such sign), and only for a tool
- of the readers' family: its name names a plural, or begins with a word that begins only
  verbless tools of the server, one of them shown to read (`reconstructed_`; not a namespace
  such as `ha_` that also begins `ha_call_service`);
- whose name holds no word that acts in the verb table or the public API lexicon
  (`StackAssociate`), and whose description says no act where the classifier looks for one
  (after a colon, in a later sentence, of an argument: "W-2 forms for the year: files them");
- that requires no argument but which thing to show (an id, a key, a date or period, a page)
  and takes nothing to write or pay (`argument_shape`), nor a switch that, set, acts, removes
  or forces (`publish`, `prune`, `overwrite`).
Declared annotations are weighed afterwards, as for any reading, and may make it riskier.

The server's side is worked out from its tools' words alone (annotations unused), the first
time a verbless tool is left Other, and kept: a tool classified alone, in a chunk or with the
whole list is read the same way, and most servers never need it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from policytui.risk import vocabulary as v
from policytui.risk.arguments import argument_shape
from policytui.risk.categories import READ
from policytui.risk.descriptions import act_after_a_colon, description_verbs
from policytui.risk.schema import inspect_schema, normalize
from policytui.risk.wording import DENIED, puts_it_somewhere, said_later
from policytui.risk.words import lexicon_verb, name_words

# The first line of evidence a verbless tool gets (wording.py): shown to read, or nothing found.
VERBLESS_SHOWN = "no verb in the name or the description's first sentence"
NOTHING_FOUND = "no verb found in the name or the description's first sentence"
# How many of the server's verbless tools must be shown to read, at the least.
_SHOWN_AT_LEAST = 2
# Required arguments that only pick what is shown (normalised names ending so).
_WHICH = re.compile(r"(?:id|ids|uid|uuid|key|date|from|to|start|end|since|until|period|year"
                    r"|month|limit|page|select)$")

# (tool) -> (category, first line of evidence, the reading itself) of a tool read from its words
# alone, with no server-wide reading of verbless tools (which would ask this again). The
# reading is kept for the tool's own classification (`VerblessReaders.take`).
WordsOnly = Callable[[Any], tuple[str, str, Any]]


def a_word_that_acts(words: list[str]) -> bool:
    verbs = v.VERBS
    for word in words:
        kind = verbs.get(word)
        if kind is not None and kind != v.READ:
            return True
        known = lexicon_verb(word)
        if known is not None and known[0] == word and known[1] == v.WRITE:
            return True  # "associate" in `StackAssociate`, where verb-last servers put it
    return False


def says_an_act(description: str, name: list[str]) -> bool:
    """Does the description say the tool does something where the classifier looks for it: a
    verb leading its first sentence, an act after a colon, a later sentence or an argument said
    to make the call act, or a word of the name leading it that puts its object somewhere
    ("triage_tickets": "Triage tickets for review into the on-call queue")?"""
    desc = description_verbs(description, True, True)
    return (desc.kind is not None or act_after_a_colon(desc) is not None
            or said_later(desc) is not None
            or (bool(desc.words) and desc.words[0] in name and puts_it_somewhere(desc.words)))


def _asks_only_which(schema: Any) -> bool:
    required = schema.get("required") if type(schema) is dict else None
    if type(required) is not list:
        return True
    return all(type(r) is str and _WHICH.search(normalize(r)) for r in required)


def switches_on_more(schema: Any) -> bool:
    """Does an argument, set, make the call act, remove or force (`publish`, `send`, `prune`,
    `overwrite`: "Anteprima della pagina; con publish a true la pagina viene pubblicata")?
    A reader the server's naming lets through must only show, whatever it is handed."""
    facts = inspect_schema(schema)
    return bool(facts.act_switches or facts.removal_switches or facts.force_arguments)


class VerblessReaders:
    """A server's verbless tools, and whether they show it to name its readers so (see the
    module's docstring). `might_be_verbless(name)` says, cheaply, which names to classify
    when the server's side is first needed; `words_only` classifies one of them, as the
    classifier does with `context` (the server's facts it is given).

    Each tool is read from its words once: what the classifier found of a tool before the
    server's side was needed is told here (`said`), and a reading done here is handed to the
    tool's own classification (`take`). Both are kept by the tool's identity, with the tool.
    `names_read`, while a caller classifies the server's tools one after another, maps a name
    to what `might_be_verbless` found reading it, for that tool's classification to take; it
    is None otherwise, and nothing is kept."""

    __slots__ = ("_tools", "_might_be_verbless", "_words_only", "_known", "context", "_said",
                 "_kept", "names_read")

    def __init__(self, tools: Iterable[Any], might_be_verbless: Callable[[str], bool],
                 words_only: WordsOnly, context: tuple[Any, ...] = ()) -> None:
        self._tools = list(tools)
        self._might_be_verbless = might_be_verbless
        self._words_only = words_only
        self.context = context
        # (verbless tools shown to read, verbless tools, the readers' family words) once known.
        self._known: tuple[int, int, frozenset[str]] | None = None
        # id(tool) -> (tool, category, first line of evidence), told before `_known` is.
        self._said: dict[int, tuple[Any, str, str]] = {}
        # id(tool) -> (tool, reading) of the tools read for `_known`, until classified.
        self._kept: dict[int, tuple[Any, Any]] = {}
        self.names_read: dict[str, Any] | None = None

    def said(self, tool: Any, category: str, first: str) -> None:
        """What `tool`'s words alone say (as `words_only` would find), when the server's side
        is still to be worked out."""
        if self._known is None:
            self._said[id(tool)] = (tool, category, first)

    def take(self, tool: Any) -> Any:
        """The reading of `tool` from its words that working out the server's side did, once;
        else None."""
        if not self._kept:
            return None
        kept = self._kept.pop(id(tool), None)
        return kept[1] if kept is not None and kept[0] is tool else None

    def _server(self) -> tuple[int, int, frozenset[str]]:
        if self._known is not None:
            return self._known
        shown = verbless = 0
        heads: dict[str, int] = {}
        verbless_heads: dict[str, int] = {}
        reading_heads: set[str] = set()
        for tool in self._tools:
            name = getattr(tool, "name", "")
            words = name_words(name) if type(name) is str else []
            if not words:
                continue
            heads[words[0]] = heads.get(words[0], 0) + 1
            told = self._said.get(id(tool))
            if told is not None and told[0] is tool:
                # (Told only of a tool whose name has no verb: its name is not read again.)
                category, first = told[1], told[2]
            elif not self._might_be_verbless(name):
                continue
            else:
                category, first, reading = self._words_only(tool)
                self._kept[id(tool)] = (tool, reading)
            if not (first.startswith(VERBLESS_SHOWN) or first == NOTHING_FOUND):
                continue
            verbless += 1
            verbless_heads[words[0]] = verbless_heads.get(words[0], 0) + 1
            if category == READ and not first.startswith(DENIED):
                # A tool read because its text says the call does nothing tells nothing of
                # how the server names its readers: its sibling "Spočítá splátku a odešle ji
                # klientovi" is named alike and acts.
                shown += 1
                reading_heads.add(words[0])
        family = frozenset(head for head in reading_heads if heads[head] == verbless_heads[head])
        self._known = (shown, verbless, family)
        self._said.clear()
        return self._known

    def reads(self, name: str, description: str, schema: Any) -> str | None:
        """The line of evidence that reads this verbless tool, left Other by its words, as one
        of the server's verbless readers; None when nothing here lets it through."""
        words = name_words(name)
        if not words or a_word_that_acts(words):
            return None
        last = words[-1]
        plural = last.endswith("s") and not last.endswith("ss")
        if not plural and len(words) < 2:
            return None
        shape = argument_shape(schema)
        if shape.payloads or shape.amounts or shape.counterparts or not _asks_only_which(schema):
            return None
        if switches_on_more(schema):
            return None
        shown, verbless, family = self._server()
        if shown < _SHOWN_AT_LEAST or shown * 2 < verbless:
            return None
        if not (plural or words[0] in family) or says_an_act(description, words):
            return None
        return (f"the server's other verbless tools ({shown} of {verbless}) are shown to read, "
                "and this one is of their kind, asks only which thing to show and says no act: "
                "read as one of them")
