"""What a call can expose or reach, beyond what it changes: a read of secrets, credentials or
the environment is at least High, and a tool that reaches arbitrary addresses or sends
messages outward is flagged open-world."""

from __future__ import annotations

import re

from policytui.risk import vocabulary as v
from policytui.risk.categories import HIGH, LOW, MEDIUM, READ, SEVERITY_RANK
from policytui.risk.descriptions import DescriptionVerbs
from policytui.risk.findings import OPEN_WORLD, SECRETS, Verdict, quote
from policytui.risk.names import NameVerbs
from policytui.risk.schema import SchemaFacts
from policytui.risk.words import contains_any

_SECRET_TEXT = re.compile(
    r"\b(?:secrets?|credentials?|passwords?|api[ _-]?keys?|access[ _-]?tokens?|private[ _-]?keys?"
    r"|environment variables?|env vars?"
    # The environment a program runs in holds its keys: "Print the process environment".
    r"|(?:process|shell|system|runtime|server|container)(?:'s)? environment"
    r"|environment of the (?:process|shell|server|container))\b", re.I)


# Words one of which every match of _SECRET_TEXT contains: most sentences have none, and a
# substring test is far cheaper than the case-blind pattern.
_SECRET_HINTS = ("secret", "credential", "password", "key", "token", "environment", "env var")
# The sentence's words (lower case, split at anything but a letter) one of which every match
# of _SECRET_TEXT holds: a set test on words the description stage found already, before
# the text is looked at again.
_SECRET_TOKENS = frozenset(
    "secret secrets credential credentials password passwords api apikey apikeys access "
    "accesstoken accesstokens private privatekey privatekeys environment env".split())


# Every word that may start a secret's name, alone or as the first of two.
_SECRET_NAME_WORDS = v.SECRET_WORDS | v.SECRET_PAIR_FIRSTS


def _mentions_secrets(desc: DescriptionVerbs) -> bool:
    if _SECRET_TOKENS.isdisjoint(desc.words):
        return False
    sentence = desc.sentence
    lowered = sentence.lower()
    return contains_any(lowered, _SECRET_HINTS) and _SECRET_TEXT.search(sentence) is not None


def mark_exposure(verdict: Verdict, name: NameVerbs, desc: DescriptionVerbs,
              facts: SchemaFacts) -> None:
    """What a call can expose or reach, beyond what it changes: secrets (severity at least
    High) and the open world (arbitrary URLs, messages sent outward)."""
    secret: str | None = None
    if not _SECRET_NAME_WORDS.isdisjoint(name.words):  # most names have none
        words = name.words
        secret = next((w for w in words if w in v.SECRET_WORDS), None) or next(
            (f"{a} {b}" for a, b in zip(words, words[1:]) if (a, b) in v.SECRET_PAIRS), None)
    if secret is not None:
        verdict.evidence.append(f"name word '{secret}': a call can expose secrets")
    elif _mentions_secrets(desc):
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
