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

The tables come from `unicodedata` (the Unicode version this Python ships), computed once per
process (0.3-0.6 s, a walk over every code point). The editor builds them in a thread of their
own once it has painted (`build_tables`), so its export dialog opens at once.
"""

from __future__ import annotations

import sys
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from policytui.policy.model import Condition, ToolRule

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
    # Characters NFC turns into ASCII (U+212A KELVIN SIGN is `K`): `decide` reads a text holding
    # one as the path a server opens, with the ASCII character, so no text is ever equal to, nor
    # begins with, a compared text holding one.
    to_ascii: frozenset[str]


def _canonical_decomposition(char: str) -> bool:
    mapping = unicodedata.decomposition(char)
    return (bool(mapping) and not mapping.startswith("<")) or ord(char) in _HANGUL_SYLLABLES


# Built once; the lock makes a caller that comes while another thread builds them wait for
# that build instead of starting a second one.
_built: _Tables | None = None
_BUILDING = threading.Lock()


def _tables() -> _Tables:
    global _built
    tables = _built
    if tables is None:
        with _BUILDING:
            if _built is None:
                _built = _build()
            tables = _built
    return tables


def build_tables() -> None:
    """Build the tables now, in the calling thread, unless they are built already."""
    _tables()


def tables_ready() -> bool:
    return _built is not None


def _build() -> _Tables:
    respellable: set[str] = set()
    joins_forward: set[str] = set()
    split_off: set[str] = set()
    to_ascii: set[str] = set()
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
        normal = unicodedata.normalize("NFC", char)
        if normal != char and normal.isascii():
            to_ascii.add(char)
        if len(decomposed) == 1:
            respellable.add(decomposed)  # a singleton: the character stands for another
            continue
        if normal == char:
            joins_forward.add(decomposed[0])
        elif len(normal) > 1:
            split_off.update(normal)
    return _Tables(frozenset(respellable), frozenset(joins_forward), frozenset(split_off),
                   frozenset(to_ascii))


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


_REGEX_SPECIAL = set(".^$*+?{}[]\\|()")


def plain_regex(pattern: Any) -> tuple[str, bool, bool] | None:
    """The text of a pattern that is plain text with an optional leading ^ and trailing $, and
    whether it has each; None for anything else."""
    if not isinstance(pattern, str):
        return None
    start = pattern.startswith("^")
    end = pattern.endswith("$") and not pattern.endswith("\\$")
    body = pattern[1 if start else 0 : len(pattern) - 1 if end else len(pattern)]
    if any(char in _REGEX_SPECIAL for char in body):
        return None
    return body, start, end


def names_only_what_it_matches(pattern: str) -> bool:
    """Does the pattern match only ASCII characters it names, none with another spelling? No
    `.`, negated set, escape class (`\\w`, `\\d`: Unicode-wide in Python), boundary or
    reference, lookaround or flag group, and no set range over `K`, `;` or `` ` `` (U+212A,
    U+037E and U+1FEF are those in NFC). NFC only joins, splits and reorders characters such a
    pattern does not match, and a text it matches is ASCII, which NFC leaves alone."""
    if not pattern.isascii():
        return False
    respellable = _tables().respellable
    i, in_set, set_start, previous = 0, False, 0, ""
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1].isalnum():
                return False
            char = pattern[i + 1]
            i += 2
        elif in_set:
            if char == "]" and i > set_start:
                in_set = False
                i += 1
                continue
            if char == "-" and previous and pattern[i + 1:i + 2] not in ("", "]"):
                upper = pattern[i + 1]
                if upper == "\\" or any(chr(code) in respellable
                                        for code in range(ord(previous), ord(upper) + 1)):
                    return False
                previous = ""
                i += 2
                continue
            i += 1
        else:
            if char == "." or pattern.startswith(("[^", "(?=", "(?!", "(?<", "(?P=", "(?#"), i) or (
                    pattern.startswith("(?", i) and not pattern.startswith("(?:", i)):
                return False
            if char == "[":
                in_set, set_start, previous = True, i + 1, ""
                i += 1
                continue
            i += 1
        if char in respellable:
            return False
        previous = char if in_set else ""
    return True


def anchored_at_both_ends(pattern: str) -> bool:
    """`^...$` with no `|` outside a group: the match is the whole text (or it and a final
    line break, which NFC leaves alone)."""
    if not pattern.startswith("^") or not pattern.endswith("$") or pattern.endswith("\\$"):
        return False
    depth, in_set, escaped = 0, False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_set:
            in_set = char != "]"
        elif char == "[":
            in_set = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return False
    return True


def _match_may_be_lost_to(pattern: str) -> bool:
    """May a text a pattern (not plain text) matches as written not match in NFC? Kept: a
    plain prefix followed by `.*` (the same as the prefix alone), and a pattern anchored at
    both ends that matches only characters it names (`^[a-z0-9-]+$`)."""
    for tail in (".*$", ".*"):
        head = pattern[:-len(tail)]
        plain = plain_regex(head) if pattern.endswith(tail) and not head.endswith("\\") else None
        if plain is not None and plain[1] and not plain[2]:
            return match_may_be_lost(plain[0], open_start=False, open_end=True)
    return not (anchored_at_both_ends(pattern) and names_only_what_it_matches(pattern))


def judged_otherwise_as_written(op: str, value: Any, *, passes_when_it_holds: bool,
                                refused_elsewhere: frozenset[str] = frozenset()) -> bool:
    """May a gateway that compares texts as written pass a call that `decide`, reading texts in
    NFC too, refuses, for a condition `op value` that lets a call through when it holds
    (`require`) or when it does not (`deny_if`, `require_approval_if`)? `refused_elsewhere`:
    characters whose other spellings the export denies by other means in this argument."""
    refusing = not passes_when_it_holds
    texts = [item for item in (value if isinstance(value, list) else [value]) if isinstance(item, str)]
    to_ascii = _tables().to_ascii
    if any(char in to_ascii for text in texts for char in text):
        return True
    if op in ("eq", "in", "neq", "not_in"):
        if (op in ("eq", "in")) != refusing:
            return False  # the call passes only on the text as written, equal in NFC too
        items = value if isinstance(value, list) else [value]
        return any(isinstance(item, str) and refusal_may_be_passed(item, within=False,
                                                                   refused_elsewhere=refused_elsewhere)
                   for item in items)
    if op == "contains" and isinstance(value, str):
        if refusing:
            return refusal_may_be_passed(value, within=True)
        return match_may_be_lost(value, open_start=True, open_end=True)
    if op == "regex" and isinstance(value, str):
        plain = plain_regex(value)
        if plain is None:
            # A text a refusing pattern does not match as written may match in NFC unless
            # the pattern matches only characters it names.
            return not names_only_what_it_matches(value) if refusing else _match_may_be_lost_to(value)
        body, start, end = plain
        if refusing:
            return refusal_may_be_passed(body, within=not (start and end))
        return match_may_be_lost(body, open_start=not start, open_end=not end)
    return False


def spelling_warning(target: str) -> str:
    return (f"{target} compares texts as written, while policytui also reads them in Unicode "
            "normal form (NFC), so another spelling of this text (accents composed or "
            "decomposed, an equivalent character) would pass there; the tool is exported as denied")


def condition_judged_otherwise(
        base: str, rule: ToolRule,
        refused_elsewhere: Callable[[Condition, bool], frozenset[str]] | None = None,
) -> tuple[str, Condition] | None:
    """The first condition of `rule` (its path under `base`, and itself) that a gateway
    comparing texts as written may pass where `decide` refuses; None when there is none.
    `refused_elsewhere(condition, passes_when_it_holds)`: the characters whose other spellings
    the caller's export denies by other means in that condition's argument."""
    groups = (("require", rule.require, True), ("deny_if", rule.deny_if, False),
              ("require_approval_if", rule.require_approval_if, False))
    for kind, conditions, passes_when_it_holds in groups:
        for index, condition in enumerate(conditions or []):
            elsewhere = frozenset() if refused_elsewhere is None else refused_elsewhere(
                condition, passes_when_it_holds)
            if judged_otherwise_as_written(condition.op, condition.value,
                                           passes_when_it_holds=passes_when_it_holds,
                                           refused_elsewhere=elsewhere):
                return f"{base}.{kind}[{index}]", condition
    return None
