"""Which compared texts a gateway that compares texts as written cannot judge as `decide` does.

`decide` judges every argument text also in Unicode normal form (NFC), against the condition's
value in NFC too (`policytui.decision.conditions`): `Prive` and a combining accent is `Privé` to
it, as to server-filesystem, which opens the one for the other. ToolHive's Cedar, Intercept and
PolicyLayer compare the text as it was sent, so:

- a refusal (the call passes while the argument differs from the text, or does not contain it)
  lets through every other spelling of the text: `refusal_may_be_passed` says when one exists;
- a match (the call passes while the argument is the text) holds in NFC too, since equal texts
  are equal in NFC; but a text found at the start of, or inside, a longer one may be lost to
  NFC, which joins its last letter to an accent after it (`e` in `Prive` and a combining accent,
  which NFC makes `Privé`): `match_may_be_lost` says when.

The tables come from `unicodedata` (the Unicode version this Python ships), computed once.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_HANGUL_SYLLABLES = range(0xAC00, 0xD7A4)


@dataclass(frozen=True)
class _Tables:
    # Characters some other spelling of a text can differ in: combining marks (NFC orders and
    # joins them), characters with a canonical decomposition (`é`, `가`, U+F900), the characters
    # a decomposition ends in (U+0301, Hangul vowels) and those another character alone stands
    # for (`Å` for U+212B ANGSTROM SIGN, `K` for U+212A KELVIN SIGN). A text with none of them
    # is in NFC and is its only spelling.
    respellable: frozenset[str]
    # Characters NFC joins to what follows them (`e` with U+0301 is `é`, `ᄀ` with `ᅡ` is `가`).
    joins_forward: frozenset[str]
    # Characters NFC writes beside another as the normal form of a single character that is not
    # itself in NFC (U+0958 DEVANAGARI QA is `क` and a nukta): a text without them may hold them
    # in NFC.
    split_off: frozenset[str]


def _canonical_decomposition(char: str) -> bool:
    mapping = unicodedata.decomposition(char)
    return (bool(mapping) and not mapping.startswith("<")) or ord(char) in _HANGUL_SYLLABLES


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    respellable: set[str] = set()
    joins_forward: set[str] = set()
    split_off: set[str] = set()
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        if unicodedata.combining(char):
            respellable.add(char)
        if not _canonical_decomposition(char):
            continue
        decomposed = unicodedata.normalize("NFD", char)
        respellable.add(char)
        respellable.update(decomposed[1:])
        if len(decomposed) == 1:
            respellable.add(decomposed)  # a singleton: the character stands for another
            continue
        normal = unicodedata.normalize("NFC", char)
        if normal == char:
            joins_forward.add(decomposed[0])
        elif len(normal) > 1:
            split_off.update(normal)
    return _Tables(frozenset(respellable), frozenset(joins_forward), frozenset(split_off))


def has_other_spelling(text: str, refused_elsewhere: frozenset[str] = frozenset()) -> bool:
    """Is there a text other than `text` with the same NFC? `refused_elsewhere`: characters
    whose other spellings the caller's export refuses by other means (left out of the question)."""
    if unicodedata.normalize("NFC", text) != text:
        return True
    respellable = _tables().respellable
    return any(char in respellable and char not in refused_elsewhere for char in text)


def refusal_may_be_passed(text: str, *, within: bool,
                          refused_elsewhere: frozenset[str] = frozenset()) -> bool:
    """May a text that is not `text` (with `within`: does not contain it) read as `text`
    (contain it) in NFC, so that a refusal compared as written lets it through?"""
    if has_other_spelling(text, refused_elsewhere):
        return True
    split_off = _tables().split_off
    return within and bool(text) and (text[0] in split_off or text[-1] in split_off)


def match_may_be_lost(text: str, *, open_start: bool, open_end: bool) -> bool:
    """May a text that holds `text` as written (preceded by more when `open_start`, followed by
    more when `open_end`) not hold it in NFC, so that a match compared as written passes a call
    `decide` refuses?"""
    if not text:
        return False
    tables = _tables()
    if open_start and text[0] in tables.respellable:
        return True  # NFC may join it to what comes before, or move it
    return open_end and (text[-1] in tables.respellable or text[-1] in tables.joins_forward)
