"""Turning tool names and descriptions into words, quickly and without trusting them.

Names come in every style (`list_issues`, `list-issues`, `listIssues`, `ListIssues`,
`kestra.list_flows`, `github/list issues`); all become lower-case word lists. Descriptions can
be megabytes long: only their first few hundred characters are ever looked at.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
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
# Words and the separators that join alternatives ("create, update or delete"): the runs of
# a-z and each of ",/;&" in the lower-cased text, what re.findall(r"[a-z]+|[,/;&]") finds, at
# half its cost: every other byte becomes a space (a character beyond ASCII turns into "?"
# first), and the text is split.
_BETWEEN_TOKENS = bytes(c if 97 <= c <= 122 or c in b",/;&" else 32 for c in range(256))
# The same that also lower-cases, for ASCII text (which then needs no str.lower()).
_BETWEEN_LOWER_TOKENS = bytes(c + 32 if 65 <= c <= 90 else b for c, b in enumerate(_BETWEEN_TOKENS))
# What ends the first sentence: ". " or ".\n", "? ", "! ", a blank line, or a colon list.
_SENTENCE_MARKS = (". ", ".\n", "? ", "! ", "\n\n", ":\n")
# All of them in one search: the leftmost is where the sentence ends.
_SENTENCE_END = re.compile("|".join(re.escape(mark) for mark in _SENTENCE_MARKS))
SEPARATORS = frozenset((",", "/", ";", "&", "or", "and"))
_MAX_LEAD_IN = 8


# Marks an accented Latin letter decomposes into ("é" -> "e" and an acute accent), and the
# letters that have no such decomposition, with the plain letters they are written as without
# the mark ("ł" in "wysłany", "ß" in "Größe", "ı" in "kapatılır"). The word tables are written
# without accents (see european.py), and the splitters below keep only a-z: without the fold an
# accented letter cut its word in two ("impayées" -> "impay", "es"; "Fällige" -> "f", "llige").
_COMBINING_MARKS = re.compile("[\u0300-\u036f]+")
_UNDECOMPOSED = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE",
    "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H", "ð": "d",
    "Ð": "D", "þ": "th", "Þ": "TH"})


def fold_accents(text: str) -> str:
    """The text with the accents of Latin letters taken off, case kept ("Récupère les factures
    impayées" -> "Recupere les factures impayees", "Fällig" -> "Fallig", "wysłany" ->
    "wyslany"). Other scripts lose their marks too but stay beyond ASCII, where the splitters
    see no word, as before."""
    if text.isascii():
        return text
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFD", text)).translate(_UNDECOMPOSED)


def name_words(name: str) -> list[str]:
    """The words of a tool (or action) name, lower case, in order."""
    # A fresh list each time (callers may change it), from a cache: one classification reads
    # every name of the server three times (namespaces, money server, the tool itself).
    return list(_name_words(name[:NAME_WINDOW]))


@lru_cache(maxsize=32768)
def _name_words(name: str) -> tuple[str, ...]:
    if name.isascii() and name.islower():
        return tuple(_LOWER_PARTS.findall(name))  # snake_case, kebab-case: the common case
    name = fold_accents(name)  # "rechnungen_fällig" -> rechnungen, fallig
    return tuple(map(str.lower, _NAME_PARTS.findall(name)))


def contains_any(text: str, needles: tuple[str, ...]) -> bool:
    """Does `text` hold any of `needles` (substrings)? A plain loop: the pre-test of many rules,
    run for nearly every tool, and cheaper than `any()` over a generator."""
    for needle in needles:
        if needle in text:
            return True
    return False


def substring_test(needles: tuple[str, ...], anchor: str) -> Callable[[str], bool]:
    """A test equal to `contains_any(text, needles)`, several times faster for many needles that
    share `anchor` ("ed" in "deleted", "marked as"): one regex pass jumps from one `anchor` in the
    text to the next (a fast literal search) and checks the needles around it with lookarounds,
    where `contains_any` would scan the whole text once per needle. The few needles without the
    anchor are tested as before."""
    anchored = [needle for needle in needles if anchor in needle]
    others = tuple(needle for needle in needles if anchor not in needle)
    checks = []
    for needle in anchored:
        end = needle.index(anchor) + len(anchor)
        check = f"(?<={re.escape(needle[:end])})"
        if needle[end:]:
            check += f"(?={re.escape(needle[end:])})"
        checks.append(check)
    search = re.compile(re.escape(anchor) + "(?:" + "|".join(checks) + ")").search

    def test(text: str) -> bool:
        return search(text) is not None or contains_any(text, others)

    return test


def leftmost_matches(text: str, patterns: Sequence[re.Pattern[str]],
                     first: re.Pattern[str] | None = None) -> Iterator[re.Match[str]]:
    """The matches `re.finditer` finds for the alternation of `patterns` (and of `first`, tried
    at the start of the text only), each found by its own pattern: the earlier listed wins where
    two match at the same place, and each search starts where the last match ended. Split so,
    each pattern can start with the literal text it must find first, which the engine skips to,
    where an alternation (or a case-blind pattern) is tried at every position. No pattern may
    match an empty string.

    Each pattern's next match is kept until the matches before it are used up: whether a
    pattern matches at a place does not depend on where the search started (lookbehinds and
    word boundaries see the text before it), so a search from a later start would find that
    same match again, and a pattern that found nothing finds nothing later either."""
    pending: list[re.Match[str]] = []
    at_start: re.Match[str] | None = None
    for pattern in patterns:
        found = pattern.search(text)
        if found is not None:
            pending.append(found)
    if first is not None:
        at_start = first.match(text)
        if at_start is not None:
            pending.append(at_start)  # (tried at the start only: never searched for again)
    while pending:
        best = pending[0]
        for found in pending:
            if found.start() < best.start():
                best = found  # the earliest; of two at one place, the earlier listed
        yield best
        at = best.end()
        # Matches that start before the end of the one just used are searched for again.
        for i in range(len(pending) - 1, -1, -1):
            found = pending[i]
            if found.start() < at:
                again = None if found is at_start else found.re.search(text, at)
                if again is None:
                    del pending[i]
                else:
                    pending[i] = again


def word_first(pattern: re.Pattern[str], word: str) -> re.Pattern[str]:
    """`pattern`, which opens with `\\b` and then `word`, compiled to open with the word and check
    the boundary behind it (`word(?<!\\wword)`): the same matches at the same places, but the
    engine skips straight to each place the word stands, where a pattern opening with `\\b` is
    tried at every character (twenty times slower over a long description). Any other pattern
    (a case-blind one, which gains nothing) is returned as it is, so a rule edited to open
    otherwise still matches as written."""
    opening = "\\b" + word
    rest = pattern.pattern[len(opening):]
    if (not pattern.pattern.startswith(opening) or not word.isalpha()
            or rest[:1] in ("?", "*", "+", "{") or pattern.flags & re.IGNORECASE):
        return pattern
    return re.compile(f"{word}(?<!\\w{word})" + rest, pattern.flags)


def first_letters_skipped_to(words: Iterable[str]) -> str:
    """The regular expression `\\b(?:word|word|...)` for `words` (each opening with a letter),
    written so that the engine skips straight to their first letters: each word checks for the
    boundary before it by a lookbehind after its first letter ("p(?<!\\wp)ass"), which holds
    exactly where the boundary does, a letter following it. A pattern opening with `\\b` gives
    the engine nothing to skip to, and is tried at every character."""
    return "(?:" + "|".join(f"{word[0]}(?<!\\w{word[0]}){word[1:]}" for word in words) + ")"


def after_marks(text: str, patterns: dict[str, re.Pattern[str]]) -> Iterator[re.Match[str]]:
    """The matches `re.finditer` finds for a pattern that starts with a class of marks
    ("[.!?]"), given as one pattern for each mark that starts with it (`patterns`): only the
    patterns of the marks in the text are searched, each by a fast scan for its mark, where
    the class is tested at every character (see `leftmost_matches`)."""
    present: list[re.Pattern[str]] = []  # (a plain loop: asked of most descriptions)
    for mark, pattern in patterns.items():
        if mark in text:
            present.append(pattern)
    return leftmost_matches(text, present) if present else iter(())


def blind_lower(text: str) -> str:
    """The text lower-cased so that whatever a case-blind pattern of ASCII letters matches in it
    stands there as a plain lower-case substring, for substring tests that rule the pattern out
    cheaply. Beyond ASCII such a pattern also takes "ı" and "İ" for "i" and "ſ" for "s" ("K",
    the kelvin sign, lower-cases to "k" already); "İ" lower-cases to "i" and a combining dot,
    and every combining dot is dropped (a test passing more often only costs the search)."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return lowered.replace("\u0131", "i").replace("\u017f", "s").replace("\u0307", "")


# Combining dot above: without case of its own, but `blind_lower` drops it (after "i" it is
# what lower-casing "İ" leaves), so a text holding it is lowered to another length.
_DROPPED_BY_BLIND_LOWER = "\u0307"
_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=1024)
def _caseless(char: str) -> bool:
    """Is `char` one that case-blind matching takes only for itself? Neither lower- nor
    upper-casing nor folding changes it (so no case-blind pattern equates it with another
    character: "ı", "ſ" and the kelvin sign all have an upper or lower case that differs), and
    `blind_lower` keeps it."""
    return (char.lower() == char and char.upper() == char and char.casefold() == char
            and char != _DROPPED_BY_BLIND_LOWER)


def case_plain(text: str) -> bool:
    """Does a case-blind pattern of ASCII letters match in `text` where its twin without
    IGNORECASE matches in `text.lower()`, at the same places? True of ASCII text, and of text
    whose every character beyond ASCII is caseless (`_caseless`): a dash, a typographic quote,
    a non-breaking space, an ideograph. Lower-casing then changes only the ASCII letters, keeps
    the length, and equals `blind_lower(text)`; word boundaries, `\\w` and `\\s` see the same
    characters (the twin is compiled with the same Unicode flags)."""
    if text.isascii():
        return True
    for char in _BEYOND_ASCII.findall(text):  # (a scan in C: these are few)
        if not _caseless(char):
            return False
    return True


@lru_cache(maxsize=64)
def _lower_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A case-blind `pattern` compiled without IGNORECASE, when first asked for (compiling at
    import would cost every start of the program): in ASCII text lowered it matches where the
    case-blind one matches in the text itself, as long as the pattern holds no upper-case
    letter outside an escape or a class that also holds its lower case."""
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


def blind_finditer(pattern: re.Pattern[str], text: str, lowered: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)` for a case-blind pattern; for ASCII text found in `lowered` (the
    text lower-cased) with the pattern's twin that folds no case (`_lower_twin`), at the same
    places, with the same groups lower-cased, at about half the cost. Callers use the groups only
    lower-cased. The same for text whose characters beyond ASCII are all caseless
    (`case_plain`), where `lowered` is also `text.lower()`."""
    if case_plain(text):
        return _lower_twin(pattern).finditer(lowered)
    return pattern.finditer(text)


def blind_search(pattern: re.Pattern[str], text: str, lowered: str) -> re.Match[str] | None:
    """`pattern.search(text)` as `blind_finditer` finds its matches."""
    if case_plain(text):
        return _lower_twin(pattern).search(lowered)
    return pattern.search(text)


def first_sentence(description: str) -> str:
    """The description's first sentence (at most DESCRIPTION_WINDOW characters), stripped."""
    text = description[:DESCRIPTION_WINDOW].strip()
    # One search for the leftmost mark, cheaper than a str.find for each mark.
    found = _SENTENCE_END.search(text)
    if found is None:
        return text
    end = found.start()
    if text.startswith(":\n\n", end):
        # "Usage:\n\n...": the sentence keeps its colon and ends at the blank line, as it did
        # when the marks were searched for in turn (a blank line first).
        end += 1
    return text[:end]


def sentence_tokens(sentence: str) -> list[str]:
    """Lower-case words and the separators ",", "/", ";" and "&" of a sentence, with lead-in words
    ("This tool lets you", "Use this to") dropped from its start. Two-word verbs are joined
    where a sentence's lead is read (join_phrasal)."""
    if sentence.isascii():
        raw, table = sentence.encode("ascii"), _BETWEEN_LOWER_TOKENS
    else:
        # Accented words stay whole ("impayées" -> impayees); what is left beyond ASCII (other
        # scripts) becomes "?" and so a space.
        raw, table = fold_accents(sentence.lower()).encode("ascii", "replace"), _BETWEEN_TOKENS
    text = raw.translate(table).decode("ascii")
    if "," in text or "/" in text or ";" in text or "&" in text:
        text = text.replace(",", " , ").replace("/", " / ").replace(";", " ; ").replace("&", " & ")
    tokens = text.split()
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


# Past participles not made with "-ed", and the table verb behind each.
_IRREGULAR_PARTICIPLES = {
    "sent": "send", "written": "write", "overwritten": "overwrite", "put": "put", "run": "run",
    "built": "build", "reset": "reset", "set": "set", "cut": "cut", "shut": "shut",
    "paid": "pay", "sold": "sell", "bought": "buy", "made": "make", "taken": "take",
    "given": "give", "kept": "keep", "withdrawn": "withdraw", "frozen": "freeze",
    "spent": "spend", "lent": "lend", "shown": "show", "hidden": "hide", "bound": "bind"}


@lru_cache(maxsize=4096)
def participle_verb(word: str) -> str | None:
    """The table verb behind a past participle ("issued" -> "issue", "cancelled" -> "cancel",
    "voided" -> "void", "sent" -> "send"), or None. Only words in "-ed" longer than four
    letters, and the irregular participles above."""
    irregular = _IRREGULAR_PARTICIPLES.get(word)
    if irregular is not None:
        return irregular if irregular in VERBS else None
    if len(word) < 5 or not word.endswith("ed"):
        return None
    candidates = [word[:-2], word[:-1]]
    if word[-3] == word[-4]:
        candidates.append(word[:-3])  # "cancelled", "stopped"
    if word.endswith("ied"):
        candidates.append(word[:-3] + "y")  # "copied"
    return next((candidate for candidate in candidates if candidate in VERBS), None)


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
