"""Object keys that are one name in Unicode normal form (NFC), or with their letter case folded.

A client may spell a key in either normal form (`café` composed, or `cafe` and U+0301), and a
server may normalise the keys it reads (then the two are one argument, and which value it
keeps is its parser's choice) or not (then they are two). A message whose object holds two
keys that differ as sent and are the same text in NFC is as ambiguous as one holding a key
twice, so the gateway refuses it (`policytui.gateway.wire`), and so do `policytui check
--args` and the editor's Try panel (`policytui.decision.call_arguments`). A key spelled in one
form only is judged in both by argument conditions (`policytui.decision.conditions`).

A server on Go's encoding/json (mark3labs/mcp-go; the Go MCP SDK until CVE-2026-27896) matches
a key to its field whatever its letter case (`\u017f` and `\u212a` folded to `s` and `k`), the
last of two such keys winning: two keys in one object alike but for letter case are refused in
the same places, and `exists` finds an argument under a key in another case.

A server that reads keys in Unicode compatibility form (NFKC, as Python's identifiers are read,
or a framework mapping keys onto fields by it) with their case folded reads the fullwidth
`\uff4e\uff41\uff4d\uff45`, `\u2174` or a ligature as the ASCII key they stand for: two such keys in
one object are refused as well, and `exists` finds an argument under such a key too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def in_nfc(text: str) -> str:
    """`text` in Unicode normal form NFC (`text` itself when it is already)."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text  # a cheap test first: most text is in NFC already
    return unicodedata.normalize("NFC", text)


def alike_in_nfc(keys: Iterable[str]) -> tuple[str, str] | None:
    """Two of `keys` (one object's, each once) that are the same text in NFC, or None."""
    keys = list(keys)
    if all(key.isascii() for key in keys):
        return None  # ASCII is its own normal form: keys distinct as sent stay distinct
    seen: dict[str, str] = {}
    for key in keys:
        first = seen.setdefault(in_nfc(key), key)
        if first is not key and first != key:
            return first, key
    return None


def folded(key: str) -> str:
    """`key` with its letter case folded (in NFC), as a reader that ignores case reads it:
    `Arguments` and `argument\u017f` are `arguments`."""
    return key.lower() if key.isascii() else in_nfc(key).casefold()


def alike_but_for_case(keys: Iterable[str]) -> tuple[str, str] | None:
    """Two of `keys` (one object's, each once) that are one key with their letter case folded,
    or None. Two alike in NFC already count as such."""
    keys = list(keys)
    joined = "".join(keys)
    if joined.isascii() and joined.islower():
        return None  # a cheap test first: ASCII keys with no capital are their own folded form
    seen: dict[str, str] = {}
    for key in keys:
        first = seen.setdefault(folded(key), key)
        if first != key:
            return first, key
    return None


def compatibility_folded(key: str) -> str:
    """`key` in Unicode compatibility form (NFKC) with its letter case folded, as a reader that
    normalises keys so reads it: fullwidth `\uff4e\uff41\uff4d\uff45` and `Name` are `name`, the
    ligature `\ufb01le` is `file`. (Folding case can undo NFKC, `\u0345` to `\u03b9` say, hence
    the second normalisation, as Unicode's NFKC_Casefold does.)"""
    if key.isascii():
        return key.lower()  # ASCII is its own compatibility form
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", key).casefold())


def alike_in_compatibility_form(keys: Iterable[str]) -> tuple[str, str] | None:
    """Two of `keys` (one object's, each once) that are one key in compatibility form with
    their letter case folded (`compatibility_folded`), or None. Two alike in NFC or but for
    case already count as such."""
    keys = list(keys)
    if all(key.isascii() for key in keys):
        return alike_but_for_case(keys)
    seen: dict[str, str] = {}
    for key in keys:
        first = seen.setdefault(compatibility_folded(key), key)
        if first != key:
            return first, key
    return None
