"""Turning tool names and descriptions into words, quickly and without trusting them.

Names come in every style (`list_issues`, `list-issues`, `listIssues`, `ListIssues`,
`kestra.list_flows`, `github/list issues`); all become lower-case word lists. Descriptions can
be megabytes long: only their first few hundred characters are ever looked at.
"""

from __future__ import annotations

import re
from functools import lru_cache

from policytui.risk.lexicon import READ_VERBS, WRITE_VERBS
from policytui.risk.vocabulary import LEAD_IN_WORDS, READ, VERBS, WRITE

# Longest stretch of a description that is read. The leading verb and its alternatives sit in
# the first sentence; nothing past this limit changes a classification, which keeps huge
# descriptions as cheap as short ones.
DESCRIPTION_WINDOW = 400
NAME_WINDOW = 200

# camelCase and PascalCase humps, acronyms ("getHTTPResponse" -> get HTTP Response) and digits.
_NAME_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_LOWER_PARTS = re.compile(r"[a-z]+|[0-9]+")
# Words and the separators that join alternatives ("create, update or delete").
_TOKENS = re.compile(r"[a-z]+|[,/;&]")
# What ends the first sentence: ". " or ".\n", "? ", "! ", a blank line, or a colon list.
_SENTENCE_MARKS = (". ", ".\n", "? ", "! ", "\n\n", ":\n")
SEPARATORS = frozenset((",", "/", ";", "&", "or", "and"))
_MAX_LEAD_IN = 8


def name_words(name: str) -> list[str]:
    """The words of a tool (or action) name, lower case, in order."""
    # A fresh list each time (callers may change it), from a cache: one classification reads
    # every name of the server three times (namespaces, money server, the tool itself).
    return list(_name_words(name[:NAME_WINDOW]))


@lru_cache(maxsize=32768)
def _name_words(name: str) -> tuple[str, ...]:
    if name.isascii() and name.islower():
        return tuple(_LOWER_PARTS.findall(name))  # snake_case, kebab-case: the common case
    return tuple(part.lower() for part in _NAME_PARTS.findall(name))


def contains_any(text: str, needles: tuple[str, ...]) -> bool:
    """Does `text` hold any of `needles` (substrings)? A plain loop: the pre-test of many rules,
    run for nearly every tool, and cheaper than `any()` over a generator."""
    for needle in needles:
        if needle in text:
            return True
    return False


def first_sentence(description: str) -> str:
    """The description's first sentence (at most DESCRIPTION_WINDOW characters), stripped."""
    text = description[:DESCRIPTION_WINDOW].strip()
    # str.find is much faster than a regex with alternatives; this runs once per tool.
    end = len(text)
    for mark in _SENTENCE_MARKS:
        at = text.find(mark, 0, end)
        if at >= 0:
            end = at
    return text[:end]


def sentence_tokens(sentence: str) -> list[str]:
    """Lower-case words and the separators ",", "/", ";" and "&" of a sentence, with lead-in words
    ("This tool lets you", "Use this to") dropped from its start. Two-word verbs are joined
    where a sentence's lead is read (join_phrasal)."""
    tokens = _TOKENS.findall(sentence.lower())
    skip = 0
    limit = min(len(tokens), _MAX_LEAD_IN)
    while skip < limit and tokens[skip] in LEAD_IN_WORDS:
        skip += 1
    if skip and tokens[skip - 1] in _ARTICLES:
        # "The set of permissions", "A new issue": an article opens a noun phrase, never an
        # order, so it stays and what follows is no leading verb.
        skip -= 1
    return tokens[skip:] if skip else tokens


# Verbs of two words that mean one the tables know ("Tears down the environment", "power_off
# the VM"): (the first word's base form, the particle) -> that verb.
PHRASAL_VERBS: dict[tuple[str, str], str] = {
    ("tear", "down"): "teardown", ("shut", "down"): "shutdown", ("power", "off"): "poweroff",
    ("power", "down"): "poweroff", ("roll", "back"): "rollback", ("throw", "away"): "discard",
    ("take", "down"): "teardown", ("zero", "out"): "reset", ("wipe", "out"): "wipe",
    ("spin", "up"): "launch", ("spin", "down"): "stop", ("kick", "off"): "start",
    ("get", "rid"): "remove", ("check", "off"): "complete",
}
PARTICLES = frozenset(second for _, second in PHRASAL_VERBS)


def join_phrasal(words: list[str]) -> list[str]:
    """The words with each two-word verb made one ("tears down" -> "teardown")."""
    if PARTICLES.isdisjoint(words):
        return words  # the common case
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if i + 1 < len(words) and words[i + 1] in PARTICLES:
            for base in (word, word[:-1], word[:-2]):
                joined = PHRASAL_VERBS.get((base, words[i + 1]))
                if joined is not None and (base == word or word.endswith("s")):
                    out.append(joined)
                    i += 2
                    break
            else:
                out.append(word)
                i += 1
            continue
        out.append(word)
        i += 1
    return out


_ARTICLES = frozenset(("the", "a", "an"))

# Words that open the object after a verb ("Retweet a tweet", "Block the user", "Obtain the
# token"): a sentence's first word followed by one of these is a verb, known or not.
OBJECT_OPENERS = frozenset(
    "a an the this that these those its their all any each every some your my our".split())


@lru_cache(maxsize=16384)
def base_verb(word: str) -> str | None:
    """The table verb behind an inflected word ("Retrieves" -> "retrieve"), or None. Cached:
    the same words recur across a server's descriptions, and most are no verb at all."""
    if word in VERBS:
        return word
    if len(word) > 3 and word.endswith("ies"):
        candidate = word[:-3] + "y"
        if candidate in VERBS:
            return candidate
    if len(word) > 3 and word.endswith("es") and word[:-2] in VERBS:
        return word[:-2]
    if len(word) > 2 and word.endswith("s") and word[:-1] in VERBS:
        return word[:-1]
    if len(word) > 5 and word.endswith("ing"):  # "fetching", "creating", "running"
        stem = word[:-3]
        for candidate in (stem, stem + "e", stem[:-1]):
            if candidate in VERBS:
                return candidate
    return None


# Words that are verbs in the table but adjectives before a plural ("open_orders", "Open
# positions of the account") or after one ending a name ("orders_open"): what is shown, not
# what is done. Opening one thing ("open_ticket", "Open a file") stays a verb.
ADJECTIVES_BEFORE_PLURALS = frozenset(("open",))


def plural_noun(word: str) -> bool:
    """Does the word look like a plural noun ("orders", "positions"; not "status", "bus")?"""
    return len(word) > 3 and word[-1] == "s" and not word.endswith(("ss", "us", "is"))


def adjective_here(words: list[str], at: int) -> bool:
    """Is the word at `at` one of ADJECTIVES_BEFORE_PLURALS used as an adjective: right before
    a plural noun, or ending a run of words right after one?"""
    if words[at] not in ADJECTIVES_BEFORE_PLURALS:
        return False
    if at + 1 < len(words):
        return plural_noun(words[at + 1])
    return at > 0 and plural_noun(words[at - 1])


# What the public API lexicon says a verb does (see lexicon.py), for verbs the table lacks. The
# table always wins: it knows more kinds (remove, execute, money) and tells nouns from verbs.
# Verbs of the lexicon that, leading a tool's description, describe a thing rather than act on
# it: "Represents a collection of tables", "Specifies the fields returned". API actions use
# them for writes (RepresentX, SpecifyX); a description uses them to say what something is.
_DESCRIBING = frozenset(("represent", "specify"))
_LEXICON: dict[str, str] = {
    **{word: WRITE for word in WRITE_VERBS if word not in VERBS and word not in _DESCRIBING},
    **{word: READ for word in READ_VERBS if word not in VERBS},
}


def lexicon_verb(word: str) -> tuple[str, str] | None:
    """(verb, READ or WRITE) for a word the verb table lacks but the public API lexicon knows,
    inflected or not ("Associates" -> associate, WRITE), else None."""
    lexicon = _LEXICON
    if word in lexicon:
        return word, lexicon[word]
    candidates: tuple[str, ...] = ()
    if len(word) > 5 and word.endswith("ing"):
        stem = word[:-3]
        candidates = (stem, stem + "e", stem[:-1])
    elif len(word) > 3 and word.endswith("ies"):
        candidates = (word[:-3] + "y",)
    elif len(word) > 3 and word.endswith("s"):
        candidates = (word[:-1], word[:-2])
    for candidate in candidates:
        if candidate in lexicon:
            return candidate, lexicon[candidate]
    return None


_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def visible_token(text: str, limit: int = 40) -> str:
    """A piece of server text made safe to show inside an evidence line: control, escape and
    bidi characters become visible escapes, and it is cut to `limit` characters."""
    if len(text) <= limit and _UNSAFE.search(text) is None:
        return text  # the common case: a plain short word
    shown = _UNSAFE.sub(_escape, text[: limit + 1])
    if len(text) > limit or len(shown) > limit:
        shown = shown[:limit] + "…"
    return shown


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
