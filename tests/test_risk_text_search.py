"""The classifier's faster ways of searching text find what the plain ways find.

Several rules search text in a form chosen for speed: a case-blind pattern split into patterns
that start with the literal text they need (searched on lower-cased ASCII text), substring tests
that rule a pattern out before it runs, a byte table in place of a tokenising pattern. Each test
here checks one such form against the plain form it stands for, on text made of the words the
rules look for, in any case and with the characters beyond ASCII that case-blind patterns match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policytui.risk import (
    classify_all,
    docstring_args,
    european,
    money,
    money_groups,
    schema,
    words,
)
from policytui.risk import descriptions as d
from policytui.risk.words import (
    after_marks,
    blind_finditer,
    blind_lower,
    blind_search,
    case_plain,
    contains_any,
    first_letters_skipped_to,
    first_sentence,
    leftmost_matches,
    name_words,
    sentence_tokens,
    substring_test,
    word_first,
)
from policytui.toolinfo import ToolInfo

# Phrases shaped like what the patterns look for, each a list of slots to fill.
PHRASES = [
    [["this", "the", "it", "This"], ["", " tool"], ["", " also", " quickly"], ["", " will"],
     [" deletes", " starts", " tool", " them"], ["", " them", " the", " of"]],
    [["", "x"], [", ", ",", "which is ", " which are ", "which gets "],
     ["re-", "re", ""], ["triggered", "moved", "run", "toggled"], ["", " later", "x"]],
    [["if ", "when ", "given ", "xif ", "If "], ["`x`", "x is given", "`a.b` are passed", "x"],
     [", ", " ", ""], ["", "the output ", "the file "], ["is ", "are ", "will be ", "gets "],
     ["saved", "changed", "written", "kept"], ["", " x"]],
    [["", "nothing ", "the "], ["results ", "data x "], ["is ", "are ", "will be "],
     ["", "quietly "], ["logged to", "written to", "filed as", "sent"], [" ", ""],
     ["the ", ""], ["stdout", "queue", "s3://x"]],
    [["shell ", "python ", "the ", ""], ["command", "code", "commands"],
     ["", " to run", " to evaluate", " snippet"]],
    [["sorts ", "is ", "left ", ""], ["in place", "in-place", "in  place"], ["", " of", "."]],
    [["", "- ", "* "], ["Deletes", "Also", "Then", "Returns", "requesting", "Fetching"],
     [" it", " them", " deletes", " a new code"], ["", " invalidates codes", " also clears it"]],
    [["pass ", "give ", "set ", "provide ", "xadd "], ["`x`", "`a.b`", "x"],
     [" ", "  ", "\n", " with a pid ", ""], ["to ", ""], ["cancel ", "delete "], ["it", "one"]],
    [["", "records ", "values ", "xs "], ["given ", "supplied ", "sent", "passed  "],
     ["", "in `x` ", "values ", "records "], ["replace ", "cancel ", ""], ["it", "the set"]],
    [["", "Note: ", "x. ", "; "], ["old jobs ", "it ", "they ", "the x "], ["is ", "are ", "will be "],
     ["", "quietly ", "gets "],
     ["deleted", "marked as read", "topped  up", "removed", "moved", "hidden"],
     ["", " and deleted", "x"]],
    [["", "x", "a ", "the ", "any ", "A "], ["tag ", "`x` ", "x.y ", "ref  "],
     ["given ", "passed in ", "provided  ", "supplied ", "argument ", "param ", "field ", "sent "],
     ["", "also ", "then "], ["", "is ", "are ", "gets ", "will be "], ["", "quietly "],
     ["deletes", "removed", "tagged", "adds", "replace"], ["", " it", " to it", " the set"]],
    [["pass ", "give ", "supply ", "provide ", "xpass ", "pass\n"], ["", "a ", "the ", "it "],
     ["tag ", "x.y ", "tags "], ["", "here "], ["to ", "to\t"], ["delete ", "overwrite "],
     ["them", "it"]],
    [[", ", ",  ", ","], ["emailed", "blocked", "filed", "shared", "sent"],
     [" to", " from", " as", " with", ""], [" x", ""]],
    [["", "x", "entries, "], ["which ", "that ", "whichthe "], ["this ", "each ", "a "],
     ["call ", "cal ", "call  "], ["", "also ", "now "], ["evicts", "signs out", "returns"]],
]
GLUE = ["", " ", "  ", ". ", "? ", "! ", "; ", ",", ":\n", "\n", "\n\n", "x", "-", "."]
ODD = ["\u0131", "\u0130", "\u017f", "\u212a", "é", "—", "\u0307"]


def _cased(word: str, how: int) -> str:
    return (word, word.upper(), word.title(), word.swapcase(), word, word)[how % 6]


phrase = st.sampled_from(PHRASES).flatmap(
    lambda slots: st.tuples(*(st.tuples(st.sampled_from(slot), st.integers(0, 5))
                              for slot in slots)).map(
        lambda chosen: "".join(_cased(word, how) for word, how in chosen)))
texts = st.lists(st.tuples(st.sampled_from(GLUE), phrase), max_size=4).map(
    lambda parts: "".join(glue + text for glue, text in parts))
odd_texts = st.tuples(texts, st.lists(st.tuples(st.integers(0, 80), st.sampled_from(ODD)),
                                      max_size=3)).map(
    lambda t: "".join(_with_odd(t[0], t[1])))


def _with_odd(text: str, odd: list[tuple[int, str]]) -> str:
    for at, char in odd:
        text = text[:at] + char + text[at + 1:]
    return text


def _found(matches: Iterable[re.Match[str]]
           ) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), tuple(g.lower() if g else g for g in m.groups())) for m in matches]


def _same_as_case_blind(text: str) -> None:
    lowered = text.lower()
    said = [tuple(g.lower() if g else g for g in m.groups()) for m in d._SELF.finditer(text)]
    assert list(d._self_statements(text)) == said
    assert _found(leftmost_matches(lowered, (d._REDONE_AFTER_A_COMMA, d._REDONE_WHICH_IS))) \
        == _found(d._REDONE_AFTER_A_NOUN.finditer(text))
    assert _found(leftmost_matches(lowered, d._GIVEN_OPENINGS))[:1] \
        == _found(d._GIVEN_THEN_CHANGED.finditer(text))[:1]
    assert _found(filter(None, [d._PUT_FIRST.match(lowered) or d._PUT_LATER.search(lowered)])) \
        == _found(filter(None, [d._PUT_SOMEWHERE.search(text)]))
    assert _found(after_marks(text, d._LATER_VERB_AFTER)) == _found(d._LATER_VERB.finditer(text))
    assert _found(after_marks(text, d._GERUND_SUBJECT_AFTER)) \
        == _found(d._GERUND_SUBJECT_LATER.finditer(text))


@pytest.mark.parametrize("text", [
    "It deletes them. This tool will start a job", "Done? it also deletes it", "xthe tool runs",
    "x; results are logged to the queue", "Nothing is written to stdout! data is sent to s3",
    "xwhich is retriggered", "Jobs, re-run daily, which are toggled", "swhen `x` is saved",
    "If `a.b` are passed, the output is changed. when x is given it gets written",
    "Lists jobs.\n- Deletes them! Also removes it? Then stops it",
    "Gets a code; requesting a new code invalidates previous codes, fetching it assigns it",
])
def test_split_patterns_on_examples(text: str) -> None:
    _same_as_case_blind(text)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_split_patterns_find_what_the_case_blind_pattern_finds(text: str) -> None:
    _same_as_case_blind(text)


@settings(max_examples=300, deadline=None)
@given(odd_texts)
def test_substring_tests_never_rule_out_a_match(text: str) -> None:
    lowered = blind_lower(text)
    if schema._SHELL_TEXT.search(text):
        assert schema._may_name_code(text)
    if d._GIVEN_THEN_CHANGED.search(text):
        assert d._given_and_changed(lowered)
    if d._PASSED_TO.search(text):
        assert d._passed_to_said(lowered)
    if d._VALUES_GIVEN.search(text):
        assert d._values_given_said(lowered)
    if d._NOUN_DOES_IT.search(lowered):
        assert "s it" in lowered or "s them" in lowered
    if d._WHICH_THE_CALL.search(lowered):
        assert "call" in lowered
    if d._BRACKETED_STEP.search(lowered):
        assert "(and" in lowered or "(or" in lowered or "(then" in lowered
    for stem, pattern in d._SPLIT_PHRASAL:
        if pattern.search(lowered):
            assert stem in lowered
    if d._IN_PLACE.search(text):
        assert "in place" in lowered or "in-place" in lowered
    if contains_any(lowered, d._HANDED_OVER) or any(
            contains_any(lowered, clues) for _, clues, _ in d._BARE_CLUES):
        assert contains_any(lowered, d._ANY_CLUE)
    if d._BY_THIS_CALL.search(text):
        assert contains_any(text, d._DONE_BY_WORDS)
    if d._HELD_IN_A_STATE.search(text.lower()):
        assert contains_any(text.lower(), d._HELD_CLUES)
    assert d._HAS_PASSIVE_WORD(text) == contains_any(text, d._PASSIVE_WORDS)
    assert substring_test(("ab", "xaby", "b"), "ab")(text) == contains_any(text, ("ab", "xaby", "b"))
    _held_by_every_match(text)


@pytest.mark.parametrize("text", [
    "x. Old jobs are hidden and deleted", "It will be Marked As Read", "they are dropped",
    "A tag supplied  adds it", "the `x` field then deletes it", "Values sent in `x` replace it",
    "Records given replace the set", "a tag passed in is removed", "x.y param deletes them",
])
def test_patterns_searched_first_never_rule_out_a_match_on_examples(text: str) -> None:
    _held_by_every_match(text)


def _held_by_every_match(text: str) -> None:
    """The patterns searched first, for what every match of a slower one holds, find something
    wherever it matches."""
    lowered = blind_lower(text)
    for pattern, _, held in d._BARE_CLUES:
        if held is not None and pattern.search(lowered):
            assert held.search(lowered), pattern.pattern
    if d._ONE_GIVEN_IS.search(lowered):
        assert d._GIVEN_IS.search(lowered)
    for pattern, held in ((d._PASSIVE_ACT, d._PASSIVE_SAID),
                          (d._VALUES_GIVEN, d._VALUES_GIVEN_SAID)):
        if pattern.search(text):
            assert held.search(text), pattern.pattern
        if next(blind_finditer(pattern, text, lowered), None):
            assert blind_search(held, text, lowered), pattern.pattern


# Case-blind patterns searched with their twins without IGNORECASE on lower-cased ASCII text.
_TWINNED = (d._PASSIVE_ACT, d._SENT_AFTER_A_NOUN, d._VALUES_GIVEN)


@pytest.mark.parametrize("text", [
    "Fetches mail. Old jobs are DELETED and x. It will be Marked As Read", "Report, EMAILED To x",
    "Nothing is charged; they are Topped  Up", "Records Given replace it", "x, blocked from it",
    "The \u212aey is deleted", "\u0130t is deleted. Values sent replace the set",
])
def test_lower_twins_on_examples(text: str) -> None:
    _same_as_its_twin(text)


@settings(max_examples=300, deadline=None)
@given(odd_texts)
def test_lower_twins_find_what_the_case_blind_pattern_finds(text: str) -> None:
    _same_as_its_twin(text)


def _same_as_its_twin(text: str) -> None:
    lowered = blind_lower(text)
    for pattern in _TWINNED:
        assert _found(blind_finditer(pattern, text, lowered)) == _found(pattern.finditer(text))
        assert _found(filter(None, [blind_search(pattern, text, lowered)])) \
            == _found(filter(None, [pattern.search(text)]))


def test_a_blank_line_after_a_colon_ends_the_sentence_after_the_colon() -> None:
    assert first_sentence("Usage:\n\nDeletes a file") == _first_sentence("Usage:\n\nDeletes a file")


def _first_sentence(description: str) -> str:
    text = description[:400].strip()
    end = len(text)
    for mark in (". ", ".\n", "? ", "! ", "\n\n", ":\n"):
        at = text.find(mark, 0, end)
        if at >= 0:
            end = at
    return text[:end]


def _without_accents(text: str) -> str:
    """The text as written without accents: marks taken off the letters they sit on, and the
    dotless i written as i."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("\u0131", "i")


@pytest.mark.parametrize("text, tokens", [
    ("Factures impayées et leurs échéances.", "factures impayees et leurs echeances"),
    ("Fällige Rechnungen, Größe", "fallige rechnungen , grosse"),
    ("Órdenes pendientes de ejecución", "ordenes pendientes de ejecucion"),
    ("Cotação mensal; condomínio", "cotacao mensal ; condominio"),
    ("Età dei crediti", "eta dei crediti"),
    ("Zaległe płatności najemców", "zalegle platnosci najemcow"),
    ("Ödenmemiş faturalar, İade", "odenmemis faturalar , iade"),
    ("Přehled nezaplacených faktur", "prehled nezaplacenych faktur"),
    ("Søg kunde på navn", "sog kunde pa navn"),
    ("Получить список счетов", ""),  # another script: no word, as before
])
def test_accented_words_stay_whole(text: str, tokens: str) -> None:
    # An accent used to end a word ("impayées" -> "impay", "es"); the words are now the ones
    # written without accents, as the word tables of other languages are.
    assert sentence_tokens(text) == tokens.split()


@pytest.mark.parametrize("name, words", [
    ("rechnungen_fällig", "rechnungen fallig"),
    ("ÉchéancesImpayées", "echeances impayees"),
    ("zapłaćFakturę", "zaplac fakture"),
    ("kapatılır-İade", "kapatilir iade"),
])
def test_accented_names_stay_whole(name: str, words: str) -> None:
    assert name_words(name) == words.split()


@settings(max_examples=300, deadline=None)
@given(odd_texts)
def test_sentences_and_words_are_cut_as_by_the_plain_search(text: str) -> None:
    assert first_sentence(text) == _first_sentence(text)
    tokens = re.findall(r"[a-z]+|[,/;&]", _without_accents(text.lower()))
    assert sentence_tokens(text) == tokens[len(tokens) - len(sentence_tokens(text)):]
    old_said_as = re.compile(r"(?<![\w-])" + re.escape("it") + money._SAID_AS)
    lowered = text.lower()
    assert list(money._said_as("it", lowered)) == [
        found.group(1) for found in old_said_as.finditer(lowered)]
    header = re.compile(r"^" + docstring_args._HEADER, re.MULTILINE | re.IGNORECASE)
    found = (docstring_args._SECTION_FIRST.match(text, 0, 4000)
             or docstring_args._SECTION_LATER.search(text, 0, 4000))
    plain = header.search(text, 0, 4000)
    assert (found and found.end()) == (plain and plain.end())


# Patterns whose matches overlap and repeat, and one tried at the start only, for the search
# that keeps each pattern's next match until the ones before it are used up.
_OVERLAPPING = (re.compile("ab"), re.compile("b+c"), re.compile("(?<=a)c|ca"))
_AT_START = re.compile("a+b?")
_ALTERNATION = re.compile(r"ab|b+c|(?<=a)c|ca|\Aa+b?")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcx", max_size=30))
def test_leftmost_matches_finds_what_the_alternation_finds(text: str) -> None:
    assert _found(leftmost_matches(text, _OVERLAPPING, _AT_START)) \
        == _found(_ALTERNATION.finditer(text))


# What `_passed_to_said` and `_values_given_said` stand for: a word, white space, then "`" or a
# letter a-z, searched for as patterns.
_PASSED_TO_SAID = re.compile(r"(?:pass|give|supply|provide|set|add|include)\s+`")
_VALUES_GIVEN_SAID = re.compile(r"(?:given|sent|passed|provided|supplied)\s+[a-z]")
# White space of every kind \s takes ("\x1c" and "\u2003" too), and what it does not.
_SPACES = [" ", "  ", "\n", "\t", "\x1c", "\u2003", "\u00a0", "", "_", "\u200b"]


@pytest.mark.parametrize("text", [
    "pass `x`", "`x` first, then pass\u2003`y`", "bypass  `x`", "pass`x`", "set\x1c`x`",
    "`", "pass ", "include\u200b`x`", "given a", "x given\tb", "givenz", "given Z", "sent\u00a0x",
    "supplied", "provided 1", "passed\n\nvalues",
])
def test_word_and_space_tests_on_examples(text: str) -> None:
    _same_as_the_patterns(text)


@settings(max_examples=300, deadline=None)
@given(st.tuples(odd_texts, st.lists(st.tuples(st.integers(0, 80), st.sampled_from(_SPACES)),
                                     max_size=3)))
def test_word_and_space_tests_find_what_the_patterns_find(
        case: tuple[str, list[tuple[int, str]]]) -> None:
    _same_as_the_patterns(_with_odd(*case))


def _same_as_the_patterns(text: str) -> None:
    for lowered in (blind_lower(text), text):
        assert d._passed_to_said(lowered) == (_PASSED_TO_SAID.search(lowered) is not None)
        assert d._values_given_said(lowered) == (_VALUES_GIVEN_SAID.search(lowered) is not None)


# The plain form of `money_groups._NO_MONEY`: each alternative with a word boundary of its own,
# and the one said of the tool itself opening with its lookbehinds.
_NO_MONEY = re.compile(
    r"\b(?:does\s+not|doesn't|do\s+not|don't|will\s+not|won't|never)\s+"
    r"(?:charge|collect|debit|bill|capture|withdraw|move|send|transfer|pay)\s+"
    r"(?:the\s+customer|the\s+card|the\s+payer|any\s+(?:money|funds)|money|funds)\b"
    r"|\b(?:does\s+not|doesn't|do\s+not|will\s+not|won't|never)\s+(?:charge|debit|bill)\b"
    r"|\bnothing\s+is\s+(?:charged|debited|billed|paid|transferred|collected)\b"
    r"|\bno\s+(?:money|funds)\s+(?:is\s+|are\s+)?(?:moved|moves|move|charged|collected|"
    r"transferred|changes\s+hands)\b"
    r"|\bmoves?\s+no\s+(?:money|funds)\b"
    r"|(?:^|(?<=[.;]\s)|(?<=\bit\s)|(?<=\bthis\s)|(?<=\btool\s))(?:does\s+not|doesn't)\s+"
    r"(?:execute|submit|place|broadcast)\b(?!\s+(?:until|unless|before|if|when)\b)"
    r"|\b(?:order|payment|trade|transfer)\s+(?:is|will\s+be)\s+never\s+(?:sent|placed|executed|"
    r"submitted|charged|filled)\b"
    r"|\bno\s+(?:order|payment|trade|transfer|charge|refund|payout)s?\s+(?:is|are|will\s+be|gets)\s+"
    r"(?:placed|sent|made|executed|submitted|created|charged|issued|filled)\b"
    r"|không\s+(?:tạo\s+đơn|trừ\s+tiền|thu\s+(?:phí|tiền))"
    r"|денег\s+не\s+двига|не\s+двига\w*\s+денег|деньги\s+не\s+(?:списыва|переводит)")
_NO_MONEY_PHRASES = [
    ["", "it ", "this ", "tool ", "xit ", ". ", "; ", ", ", "x", "the order "],
    ["does not", "doesn't", "do  not", "don't", "will not", "won't", "never", "nothing is",
     "no money", "no funds are", "moves no", "move no", "is never", "will be never", "no order is",
     "no refunds are", "adoes not", "не", "денег не", "không"],
    [" ", "  ", "\n", "", "x"],
    ["charge", "charged", "execute", "submit", "place", "money", "funds", "pay", "sent", "placed",
     "moved", "changes hands", "двигает", "trừ tiền", "debit"],
    [" ", "", "\t", "x"],
    ["the customer", "funds", "until", "if", "any money", "денег", "", "the card"],
]
no_money_texts = st.lists(
    st.tuples(st.sampled_from(GLUE), st.tuples(*(st.sampled_from(slot) for slot in _NO_MONEY_PHRASES))),
    max_size=4).map(lambda parts: "".join(glue + "".join(words) for glue, words in parts))


@pytest.mark.parametrize("text", [
    "Quotes the swap. Does not execute.", "it doesn't submit until approved", "x does not place",
    "this does not broadcast; tool doesn't execute it", "adoes not execute", "nothing is charged",
    "never charge the customer", "moves no money", "no order is placed", "không trừ tiền",
    "денег не двигает", "will not charge. it does not execute",
])
def test_no_money_pattern_on_examples(text: str) -> None:
    for lowered in (text.lower(), text):
        assert _found(money_groups._NO_MONEY.finditer(lowered)) == _found(_NO_MONEY.finditer(lowered))


@settings(max_examples=300, deadline=None)
@given(no_money_texts)
def test_no_money_pattern_finds_what_its_plain_form_finds(text: str) -> None:
    for lowered in (text.lower(), text):
        assert _found(money_groups._NO_MONEY.finditer(lowered)) == _found(_NO_MONEY.finditer(lowered))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_words_of_ascii_text_are_the_runs_of_letters(text: str) -> None:
    assert european._ASCII_WORD.findall(text) == european._WORD.findall(text)


# Words shaped like every form `base_verb` reads back to a verb: the verb, "-s", "-es", "-ies",
# "-ing", "-ing" after a doubled or dropped letter; and any other word.
_FORMS = st.tuples(st.sampled_from(sorted(d._REMOVALS) + ["kidnap", "era", "wip", "purg", "x"]),
                   st.sampled_from(["", "s", "es", "ies", "ing", "ping", "ling", "ed", "e", "r"]),
                   st.integers(0, 3)).map(lambda t: t[0][:len(t[0]) - t[2] % 2] + t[1])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_FORMS, st.text(alphabet="abcdeiklmnoprstuvwxy", max_size=10)),
                max_size=6))
def test_removal_words_are_found_from_their_first_letters(tokens: list[str]) -> None:
    # Every form read back to a removal verb starts as that verb does, so a word that does not
    # is skipped without a lookup.
    for token in tokens:
        if d.base_verb(token) in d._REMOVALS:
            assert token[:3] in d._REMOVAL_STARTS
    plain = next((t for t in tokens if len(t) >= 4 and t not in (",", "/", ";", "&", "or", "and")
                  and (t in d._REMOVALS or d.base_verb(t) in d._REMOVALS)), None)
    assert d.removal_word(tokens) == plain


# Characters beyond ASCII that descriptions hold: caseless ones (typographic dashes, quotes and
# spaces, an ideograph, the separators \x1c-\x1f that `\\s` takes) and ones that case-blind
# patterns equate with ASCII letters or that lower-case to another length.
_CASELESS = ["\u2014", "\u2013", "\u2019", "\u201c", "\u00a0", "\u2026", "\u2192", "\u4e2d",
             "\x1c", "\x1f", "\u3000", "\u00d7"]
_CASED = ["\u0131", "\u0130", "\u017f", "\u212a", "\u00df", "\u00e9", "\u0307", "\ufb05",
          "\u00b5", "\u0345", "\u1e9e", "\u03c2"]
mixed_texts = st.tuples(texts, st.lists(st.tuples(st.integers(0, 80),
                                                  st.sampled_from(_CASELESS + _CASED)),
                                        max_size=4)).map(lambda t: "".join(_with_odd(t[0], t[1])))


def _plainly(monkeypatch: pytest.MonkeyPatch, read: object, text: str) -> object:
    """What `read(text)` gives when only ASCII text takes the lower-cased twins."""
    with monkeypatch.context() as patched:
        patched.setattr(d, "case_plain", str.isascii)
        patched.setattr(words, "case_plain", str.isascii)
        return read(text)  # type: ignore[operator]


def _same_as_plain(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    if case_plain(text):
        # Lower-casing changes the ASCII letters only, as `blind_lower` does.
        assert text.lower() == blind_lower(text) and len(text.lower()) == len(text)
        _same_as_case_blind(text)
        _same_as_its_twin(text)
    for read in (d.later_act, d.self_described_act, d.argument_act):
        assert read(text) == _plainly(monkeypatch, read, text)


@pytest.mark.parametrize("text", [
    "Lists jobs \u2014 it then deletes them", "Report, emailed to x \u2014 then \u201cdone\u201d",
    "\u4e2d, re-run daily\u2019s", "x\x1c; results are logged to the queue",
    "If `x` is given\u00a0the file is saved", "\u0130t deletes them \u2014 x",
    "Nothing is written\u2026 data is sent to s3 \u212a", "Jobs, re-run da\u0131ly",
    "The tool will \u017ftart it", "Stra\u00dfe, emailed to x", "\u0130f `x` is given, it is saved",
])
def test_caseless_text_takes_the_twins_on_examples(monkeypatch: pytest.MonkeyPatch,
                                                   text: str) -> None:
    _same_as_plain(monkeypatch, text)


@settings(max_examples=400, deadline=None)
@given(mixed_texts)
def test_caseless_text_takes_the_twins_and_finds_what_the_plain_form_finds(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _same_as_plain(monkeypatch, text)


def test_which_characters_make_text_case_plain() -> None:
    assert case_plain("Lists jobs \u2014 \u201cnow\u201d\u00a0\u4e2d\x1c")
    for char in _CASED:
        assert not case_plain("Lists jobs \u2014 " + char), char


@settings(max_examples=1000, deadline=None)
@given(st.characters(min_codepoint=128))
def test_a_caseless_character_matches_case_blind_patterns_only_as_itself(char: str) -> None:
    if not words._caseless(char):
        return
    for letter in "abcdefghijklmnopqrstuvwxyz":
        assert re.fullmatch(letter, char, re.IGNORECASE) is None
        assert re.fullmatch(letter.upper(), char, re.IGNORECASE) is None
    for pattern in ("[a-z]", "[^a-z]", "[A-Z]", r"\w", r"\s", r"\W", "[^A-Z]", r"[\w-]"):
        assert (re.fullmatch(pattern, char, re.IGNORECASE) is None) \
            == (re.fullmatch(pattern, char) is None)


# Phrases for the patterns that open with a word boundary and a word, searched from the word.
_WITH_PHRASES = [
    [["", "x", "_", "\u00e9", "9", "-", "`"], ["with", "With", "WITH", "within", "with_"],
     [" ", "  ", "\n", ""], ["`purge`", "`a.b`", "purge_all", "the id", "a x", "x"],
     ["", " set", " given", " true"], ["", ",", " "], [" ", ""],
     ["", "the output ", "every object "], ["is ", "are ", "will be ", "gets "],
     ["", "all ", "quietly "], ["dropped", "saved", "added to the list", "changed", "x"]],
    [["", "x", "Note: ", "\n"], ["replaced", "a tag", "deleted by this call"],
     [" passed", " given", ""], [" ", " is "], ["removed", "done", "performed by the tool"]],
]
with_texts = st.lists(st.tuples(st.sampled_from(GLUE), st.sampled_from(_WITH_PHRASES).flatmap(
    lambda slots: st.tuples(*(st.sampled_from(slot) for slot in slots)).map("".join))),
    max_size=4).map(lambda parts: "".join(glue + text for glue, text in parts))


def _same_from_the_word(text: str) -> None:
    lowered = blind_lower(text)
    for pattern, from_the_word in ((d._WITH_AN_ARGUMENT, d._WITH_AN_ARGUMENT_AT_WITH),
                                   (d._WITH_GIVEN, d._WITH_GIVEN_AT_WITH)):
        assert from_the_word is not pattern  # (else the search would try every character)
        for searched in (text, lowered):
            assert _found(from_the_word.finditer(searched)) == _found(pattern.finditer(searched))
    for split in d._WHICH_THE_CALL_AT_EACH:
        assert not split.pattern.startswith("\\b")  # (searched from its word)
    for searched in (text, lowered):
        assert _found(leftmost_matches(searched, d._WHICH_THE_CALL_AT_EACH)) \
            == _found(d._WHICH_THE_CALL.finditer(searched))


@pytest.mark.parametrize("text", [
    "with `purge` set, every object is dropped", "xwith `a` set it is saved", "With the id given, "
    "it is changed", "\u00e9with purge_all, all are deleted", "_with x given x is saved",
    "within `x` it is saved. with `y`\nit is added to the list",
    "Stale records, which this call deletes", "Sessions that each call signs out, which a call "
    "now evicts", "xwhich this call deletes, _that the call signs out", "whichthe call evicts",
])
def test_patterns_searched_from_their_word_on_examples(text: str) -> None:
    _same_from_the_word(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(with_texts, odd_texts))
def test_patterns_searched_from_their_word_find_what_the_pattern_finds(text: str) -> None:
    _same_from_the_word(text)


def test_a_pattern_not_opening_with_the_word_is_searched_as_written() -> None:
    for pattern in (re.compile(r"\bwith?x"), re.compile(r"\bwith+"), re.compile(r"with\b"),
                    re.compile(r"\bwith x", re.IGNORECASE), re.compile(r"\bwit")):
        assert word_first(pattern, "with") is pattern
    assert word_first(re.compile(r"\bwith\s+x"), "with").pattern == r"with(?<!\wwith)\s+x"


# `_PASSED_BARE_TO` as it was written before its words were made ones the engine skips to.
_PLAIN_PASSED_BARE_TO = re.compile(
    r"\b(?:pass|give|supply|provide)\s+(?:an?\s+|the\s+)?(?!(?:it|them|this|that|these"
    r"|those|one)\b)[a-z_][\w.-]{0,39}\s+(?:(?!to\b)[\w'`-]+\s+){0,2}?to\s+([a-z]+)\s+(\w+)")


@pytest.mark.parametrize("text", [
    "pass tags to delete them", "xpass tags to delete them", "Pass x.y here to overwrite it",
    "give it to delete it", "to supply the tag to delete it; provide tag to\tdelete it",
    "\u0131pass tags to delete them", "é supply tags to delete it", "_give x to delete it",
])
def test_words_the_engine_skips_to_match_where_the_word_boundary_does(text: str) -> None:
    _same_as_after_a_word_boundary(text)


@settings(max_examples=300, deadline=None)
@given(odd_texts)
def test_words_the_engine_skips_to_find_what_the_boundary_pattern_finds(text: str) -> None:
    _same_as_after_a_word_boundary(text)


def _same_as_after_a_word_boundary(text: str) -> None:
    lowered = blind_lower(text)
    for searched in (text, lowered):
        assert _found(d._PASSED_BARE_TO.finditer(searched)) \
            == _found(_PLAIN_PASSED_BARE_TO.finditer(searched))
    skipped = re.compile(first_letters_skipped_to(("give", "given", "x", "pass")) + r"\w*")
    assert _found(skipped.finditer(text)) \
        == _found(re.compile(r"\b(?:give|given|x|pass)\w*").finditer(text))


def test_every_word_an_argument_rule_needs_holds_one_of_the_stems_looked_for_first() -> None:
    # A word added to a rule's clues without its stem would be ruled out before the rule runs.
    for word in (*d._HANDED_OVER, *(clue for _, clues, _ in d._BARE_CLUES for clue in clues)):
        assert contains_any(word, d._ANY_CLUE), word


# The search it replaced: from the start, a mark with no other up to the end of the clause.
_PLAIN_CLAUSE_START = re.compile(r"[,;:.!?()\n\u2014\u2013][^,;:.!?()\n\u2014\u2013]*\Z")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=",;:.!?()\n\u2014\u2013-ab ", max_size=40), st.integers(0, 45))
def test_a_clause_opens_where_the_plain_search_finds_its_start(text: str, end: int) -> None:
    end = min(end, len(text))
    found = _PLAIN_CLAUSE_START.search(text, 0, end)
    assert d._clause_start(text, end) == (found.start() + 1 if found else 0)


def test_an_act_said_in_passing_is_read_from_its_own_clause() -> None:
    # "deleting" opens the clause that says "as it goes"; "Returns" and the earlier clause's
    # "archived" are not in it.
    text = "Lists archived runs. Returns the rows, deleting stale ones as it goes"
    assert d._done_in_passing(text) == ("deleting", "remove")
    assert d._done_in_passing("Lists runs; sorting them as it goes") is None


# An argument's description whose act ends exactly at the last character read (120) or just
# past it: "moved" acts, "mowed" is no verb of the table.
_SUBJECT = "Entries returned are" + " " * 95


def _tool(name: str, said: str) -> ToolInfo:
    return ToolInfo(name=name, description="List the entries of the log.",
                    input_schema={"type": "object", "properties": {
                        "target": {"type": "string", "description": said}}})


def test_the_argument_reading_cache_is_keyed_by_all_the_text_it_reads() -> None:
    """The cache of argument readings never answers one text with another's reading: texts
    that differ in the last character read get their own readings, in either order and from
    a cold or a warm cache, and only text past the window read shares one."""
    acts, none = _SUBJECT + "moved", _SUBJECT + "mowed"
    assert len(acts) == len(none) == d._CLAUSE_WINDOW
    texts = [acts, none, acts + " to this bucket", none + " to this bucket", acts, none]
    expected = {"acts": ("moved", "modify"), "none": None}
    for order in (texts, texts[::-1]):
        d._done_to_the_window.cache_clear()
        for text in order:
            want = expected["acts" if text.startswith(acts) else "none"]
            assert d.done_to_what_it_names(text) == want
            assert d._done_to_the_window.__wrapped__(text[:d._CLAUSE_WINDOW]) == want
    # Through the classifier, one server's tools in either order, warm or cold: each tool is
    # classified as it is alone.
    tools = [_tool(f"list_entries_{i}", text) for i, text in enumerate(texts)]
    d._done_to_the_window.cache_clear()
    alone = {t.name: classify_all([t])[t.name].category for t in tools}
    assert {alone[t.name] for t in tools[0::2]} == {"Destructive"}
    assert {alone[t.name] for t in tools[1::2]} == {"Read"}
    for order in (tools, tools[::-1]):
        found = classify_all(order)
        assert {name: c.category for name, c in found.items()} == alone


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Entries returned are ", "Sessions older than this "
                                           "are ", "If set, every alert listed is ", "Rows "]),
                          st.integers(0, 110),
                          st.sampled_from(["moved", "mowed", "ended", "sorted", "silenced x"]),
                          st.sampled_from(["", " to this bucket", ". x"])),
                min_size=1, max_size=8))
def test_cached_argument_readings_equal_fresh_ones(parts: list[tuple[str, int, str, str]]
                                                   ) -> None:
    texts = [head + " " * pad + said + tail for head, pad, said, tail in parts]
    for text in texts + texts[::-1]:
        assert d.done_to_what_it_names(text) == d._done_to_the_window.__wrapped__(
            text[:d._CLAUSE_WINDOW])


# Arguments' descriptions shaped like what `done_to_what_it_names` looks for: a condition, a
# subject, a passive, and where what is done goes; with tabs and line ends as the white space
# that `\s` and `str.split` both cut at.
_SAID_OF_AN_ARGUMENT = st.tuples(*(st.sampled_from(slot) for slot in (
    ["", "If set, ", "when given,\t", "xif set, "],
    ["", "the ", "every ", "Old "],
    ["alert ", "ticket listed ", "report\t", "entries returned ", "x-"],
    ["is ", "are ", "will be ", "will\nbe ", "gets ", "get ", "isx ", "to ", "with "],
    ["", "quietly ", "x "],
    ["closed", "mailed", "e-mailed", "sent", "silenced", "moved", "sorted", "to"],
    ["", " with it", " with\tthis", " with them", " to", " to this", " to these x", " to\n",
     "to", " tomorrow", ", with it", " - with it", " withit"],
    ["", ".", " x", " when given"],
))).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(_SAID_OF_AN_ARGUMENT, min_size=1, max_size=2).map(" ".join),
       st.integers(0, 5))
def test_the_words_looked_for_first_never_rule_out_an_argument_pattern(text: str,
                                                                        how: int) -> None:
    """`done_to_what_it_names` runs its passive, "sent to" and "done with it" patterns only on a
    clause holding an auxiliary whole, a clause holding "to" whole and a window holding
    "with": wherever a pattern matches, the word it was looked for by is there."""
    lowered = _cased(text, how)[:d._CLAUSE_WINDOW].lower()
    condition = d._ITSELF_GIVEN.match(lowered)
    start = condition.end() if condition else 0
    end = d._FIRST_CLAUSE_ENDS.search(lowered, start)
    stop = end.start() if end else len(lowered)
    words = lowered[start:stop].split()
    if d._OPENING_PASSIVE.match(lowered, start, stop):
        assert not d._AUXILIARIES.isdisjoint(words)
    if d._SENT_TO_IT.search(lowered, start, stop):
        assert d._SENT_WORD in words
    if d._DONE_WITH_IT.search(lowered):
        assert d._WITH_WORD in lowered
    assert d.done_to_what_it_names(text) == d._done_to_the_window.__wrapped__(
        text[:d._CLAUSE_WINDOW])


@pytest.mark.parametrize(("text", "expected"), [
    ("If set, every alert listed is silenced for this long", ("silenced", "write")),
    ("Address the report is mailed to", ("mailed", "write")),
    ("Resolution note; the ticket is closed with it", ("closed", "write")),
    ("Resolution note; the ticket is closed\twith\tit", ("closed", "write")),
    ("Entries returned are\tmoved to the archive", ("moved", "modify")),
    ("Sessions older than this are deleted", ("deleted", "remove")),
    ("Entries returned are moved", ("moved", "modify")),
    ("Only keys matching this pattern are returned", None),
    ("The token is sent as a bearer header", None),
])
def test_argument_patterns_behind_their_words_on_examples(
        text: str, expected: tuple[str, str] | None) -> None:
    d._done_to_the_window.cache_clear()
    assert d.done_to_what_it_names(text) == expected


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["x", "ab", " ", "\t", "\n", "-", " - ", "\t-\n", "-x", ".", ";",
                                 ":", ",", "(", "!", "?", "\u2014", "\u00a0-\u00a0", "\x1c-\x1c"]),
                max_size=12).map("".join),
       st.integers(0, 6))
def test_a_first_clause_ends_where_the_plain_search_ends_it(text: str, start: int) -> None:
    """Without a "-" in the text, the end of the first clause is found by its marks alone."""
    plain = d._FIRST_CLAUSE_ENDS.search(text, start)
    fast = d._first_clause_end(text, start)
    assert (fast.start() if fast else None) == (plain.start() if plain else None)


# Phrases for the patterns ruled out by a cheaper test of what every match holds.
_PRETESTED_PHRASES = [
    [["", "x", "Note: ", ". ", "; ", "\n", "!"], ["", "nothing ", "the ", "old "],
     ["tags ", "set ", "x y z "], ["is ", "are ", "will be ", "gets ", "get "],
     ["replaced", "overwritten", "set", "reset", "changed", "updated"],
     [" with ", " by ", " to ", "  with\n", " from "], ["the ", "a ", "an ", "its "],
     ["", "new ", "values x "], ["given", "provided", "passed", "x"]],
    [["", "x", "(", "un", "A "], ["e.g.", "such as", "for example", "for instance", "like",
                                 "likely", "e.g", "such  as"],
     ["", " ", ": ", ","], ["Sales Invoice", "a payment", "x", ""]],
]
pretested_texts = st.lists(st.tuples(st.sampled_from(GLUE), st.sampled_from(
    _PRETESTED_PHRASES).flatmap(lambda slots: st.tuples(*(st.sampled_from(slot) for slot in slots))
                                .map("".join))), max_size=4).map(
    lambda parts: "".join(glue + text for glue, text in parts))


def _pretests_hold(text: str) -> None:
    lowered = blind_lower(text)  # (as `given_in_another_order` reads it)
    if d._REPLACED_BY_THE_GIVEN.search(lowered):
        assert d._REPLACED_BY.search(lowered)
    if money._EXAMPLE.search(text):
        assert contains_any(text, money._EXAMPLE_WORDS)


@pytest.mark.parametrize("text", [
    "Tags. The old set is replaced with the values given", "x; tags are overwritten by a new "
    "passed", "Submit a document (e.g. Sales Invoice)", "Records such as a payment", "Looks like x",
])
def test_pretests_on_examples(text: str) -> None:
    # Each example matches its pattern, and so its pre-test.
    assert d._REPLACED_BY_THE_GIVEN.search(blind_lower(text)) or money._EXAMPLE.search(text)
    _pretests_hold(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(pretested_texts, odd_texts))
def test_pretests_never_rule_out_a_match(text: str) -> None:
    _pretests_hold(text)
