"""Turning tool names and descriptions into words, quickly and without trusting them.

Names come in every style (`list_issues`, `list-issues`, `listIssues`, `ListIssues`,
`kestra.list_flows`, `github/list issues`); all become lower-case word lists. Descriptions can
be megabytes long: only their first few hundred characters are ever looked at.
"""

from __future__ import annotations

import re

from policytui.risk.vocabulary import DESCRIPTION_LEADS, VERBS

# Longest stretch of a description that is read. The leading verb and its alternatives sit in
# the first sentence; nothing past this limit changes a classification, which keeps huge
# descriptions as cheap as short ones.
DESCRIPTION_WINDOW = 400
NAME_WINDOW = 200

# camelCase and PascalCase humps, acronyms ("getHTTPResponse" -> get HTTP Response) and digits.
_NAME_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_WORDS = re.compile(r"[A-Za-z]+")
# End of the first sentence: ". " or ".\n", "? ", "! ", a blank line, or a colon list.
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\s*\n|:\s*\n")
_LEAD = re.compile(r"^(?:" + "|".join(DESCRIPTION_LEADS) + r")", re.IGNORECASE)
# Markdown and punctuation that may precede the first word.
_LEADING_JUNK = re.compile(r"^[\s#>*_`'\"\-\u2022\[\(]+")


def name_words(name: str) -> list[str]:
    """The words of a tool (or action) name, lower case, in order."""
    return [part.lower() for part in _NAME_PARTS.findall(name[:NAME_WINDOW])]


def first_sentence(description: str) -> str:
    """The description's first sentence (at most DESCRIPTION_WINDOW characters), stripped."""
    text = description[:DESCRIPTION_WINDOW].strip()
    match = _SENTENCE_END.search(text)
    return text[: match.start()] if match else text


def sentence_words(sentence: str) -> list[str]:
    """Lower-case words of a sentence, lead-in phrases ("This tool lets you") removed."""
    text = _LEADING_JUNK.sub("", sentence)
    text = _LEAD.sub("", text, count=1)
    return [w.lower() for w in _WORDS.findall(text)]


def base_verb(word: str) -> str | None:
    """The table verb behind an inflected word ("Retrieves" -> "retrieve"), or None."""
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
    return None


def visible_token(text: str, limit: int = 40) -> str:
    """A piece of server text made safe to show inside an evidence line: control and escape
    characters become visible escapes, and it is cut to `limit` characters."""
    out = []
    for ch in text[: limit + 1]:
        code = ord(ch)
        if code < 32 or code == 127 or 0x80 <= code < 0xA0 or 0x202A <= code <= 0x202E \
                or 0x2066 <= code <= 0x2069:
            out.append(f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}")
        else:
            out.append(ch)
    shown = "".join(out)
    if len(text) > limit:
        shown = shown[:limit] + "…"
    return shown
