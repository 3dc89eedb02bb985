"""Names and sentences of nouns that show what is owed or due, in the languages the English
tables do not read: "faelligeRechnungen": "Fällige Rechnungen und offene Beträge der nächsten
14 Tage", "zalegle_platnosci": "Zaległe płatności najemców", "caparra.importo": "Importo della
caparra richiesta per una prenotazione", "Valores em atraso", "Ödenmemiş faturalar".

Such a name has no verb, so the tool was Other: an unknown thing may act. It shows, when the
name and its first sentence are the same noun phrase and that phrase opens with which ones are
meant (due, unpaid, overdue, pending), an amount, or an overview, and no word of either acts.
An act said as a noun ("Pago de facturas vencidas", "Spłata zaległych płatności") opens with
the act, not with one of these, and stays Other. wording.py asks the rest (nothing done after a
comma, no passive).

Words are compared as the word splitter leaves them (lower case, accents taken off), with a
German umlaut written out ("faellig") taken as the letter ("fällig" -> "fallig"), and a word is
the same as another that shares all but its last two letters (an ending: "faktury", "faktur").
"""

from __future__ import annotations

# Which ones are meant: due, overdue, unpaid, pending, open, in arrears (German, French,
# Spanish, Portuguese, Italian, Polish, Czech, Turkish, Dutch, Danish and Norwegian, Swedish),
# and due dates (French "échéances", Italian "scadenze"). Beginnings of words: "pendient"
# takes "pendiente" and "pendientes".
_DUE_STARTS = (
    "fallig", "uberfallig", "ausstehend", "offen", "impaye", "echeanc", "echu", "pendient",
    "vencid", "impagad", "adeudad", "pendent", "atras", "scadut", "scadenz", "insolut",
    "arretrat", "zalegl", "nieoplacon", "niezaplacon", "przeterminowan", "nezaplacen", "splatn",
    "odenmemis", "gecikmis", "achterstallig", "openstaand", "forfald", "obetald", "forfallen",
    "residu", "restant",
)
# Amounts and balances named before what they are of.
_AMOUNTS = frozenset(
    """
    importo importi importe importes montant montants betrag betrage kwota kwoty castka
    castky tutar tutari valor valores saldo saldos bedrag bedragen belopp suma sumy somme
    """.split())
# Overviews a sentence may open with before what is shown: "Přehled nezaplacených faktur".
_OVERVIEWS = frozenset(
    "prehled ubersicht apercu panoramica resumen resumo zestawienie wykaz overzicht".split())
# How near its start a sentence must name each of the name's words.
_NAMED_WITHIN = 8
# Small words between which ones and what they are of: "Échéances des factures", "Importo
# della caparra", "Valores em atraso".
_OF = frozenset(
    "des de du del della delle dei degli di do da dos das der von van em for of".split())


def _plain(word: str) -> str:
    """The word with a German umlaut written out taken as its letter ("faellig" -> "fallig")."""
    if "e" not in word:
        return word
    return word.replace("ae", "a").replace("oe", "o").replace("ue", "u")


def _due(word: str) -> bool:
    return _plain(word).startswith(_DUE_STARTS)


def _amount(word: str) -> bool:
    return word in _AMOUNTS


def same_word(one: str, other: str) -> bool:
    """Are two words one word, ending aside ("faktury", "faktur"; "faellige", "fallige")?"""
    one, other = _plain(one), _plain(other)
    if one == other:
        return True
    shared = 0
    for a, b in zip(one, other):
        if a != b:
            break
        shared += 1
    return shared >= max(4, min(len(one), len(other)) - 2)


def owed_or_due_named(name_words: list[str], said: list[str]) -> str | None:
    """The word saying which ones, or the amount, when a name of nouns and its first sentence
    (`said`, its words) name the same thing owed or due: the name is which ones or an amount
    and at most one thing they are of, and the sentence opens with them (after an overview, if
    any) and then that thing, or with the thing and then them, and goes on past both, naming
    each of the name's words near its start; else None. A German command phrase ends with its verb ("Fällige Beträge
    einziehen": `faellige_einziehen`), which is no thing owed. The caller checks that no word
    of either acts."""
    if not said:
        return None
    content = [word for word in name_words if len(word) > 2]
    if len(content) < 2:
        return None
    marker = next((word for word in content if _due(word) or _amount(word)), None)
    if marker is None:
        return None  # nearly every name
    things = [word for word in content if not (_due(word) or _amount(word))]
    if len(things) > 1:
        return None  # "ueberfaellige_zahlungen_einziehen": something else is named too
    at = 1 if said[0] in _OVERVIEWS else 0
    start = at
    while at < len(said) and (_due(said[at]) or _amount(said[at]) or said[at] in _OF):
        at += 1
    if at > start:
        # Which ones or the amount first, then the thing: "Fällige Rechnungen der ...".
        if things and (at >= len(said) - 1 or not same_word(said[at], things[0])):
            return None
    elif things and same_word(said[0], things[0]):
        # The thing first, then which ones, as Romance languages write them: "Prestações em
        # atraso do contrato".
        at = 1
        while at < len(said) and said[at] in _OF:
            at += 1
        if at >= len(said) - 1 or not (_due(said[at]) or _amount(said[at])):
            return None
    else:
        return None  # the sentence leads with something else: "Pago de facturas vencidas"
    opening = said[:_NAMED_WITHIN]
    if not all(any(same_word(word, other) for other in opening) for word in content):
        return None
    return marker


# Terms, policies and conditions in the languages the English tables do not read ("Política de
# reembolso", "Polityka zwrotów", "Rückgabebedingungen"), and the ends of German compounds that
# name them ("Erstattungsrichtlinie").
_TERMS = frozenset(
    """
    politica politicas politique politiques polityka politika politikasi richtlinie
    richtlinien bedingungen regeln condiciones condicoes condizioni regulamin voorwaarden
    beleid villkor vilkar kosullar
    """.split())
_TERMS_ENDING_A_COMPOUND = ("richtlinie", "richtlinien", "bedingungen", "regeln")


def terms_named(name_words: list[str], said: list[str]) -> str | None:
    """The terms word when a name of nouns names terms, a policy or conditions and its first
    sentence opens with the name's words as one noun phrase that goes on with "of" what or
    whom ("politicaReembolso": "Política de reembolso de la tienda: plazos y condiciones";
    "Erstattungsrichtlinie": "Erstattungsrichtlinie des Shops mit Fristen"); else None. A
    German command phrase ("Erstattungsrichtlinie zuweisen") goes on with its verb instead.
    The caller checks that no word acts."""
    terms = next((word for word in name_words
                  if word in _TERMS or word.endswith(_TERMS_ENDING_A_COMPOUND)), None)
    if terms is None or len(said) < 3:
        return None  # nearly every name
    content = [word for word in name_words if len(word) > 2]
    if not same_word(said[0], content[0]) and not same_word(said[0], terms):
        return None
    at = 1
    for word in content[1:]:
        while at < len(said) and said[at] in _OF:
            at += 1
        if at >= len(said) or not same_word(said[at], word):
            return None
        at += 1
    if at < len(said) and said[at] in _OF:
        return terms
    # Polish and Czech name what the terms are of in a bare genitive, with no "of": "Polityka
    # zwrotów sklepu: terminy i warunki".
    return terms if at < len(said) and terms in _GENITIVE_TERMS and said[at].isalpha() else None


_GENITIVE_TERMS = frozenset("polityka politika regulamin podminky".split())


def is_amount(word: str) -> bool:
    """Is the word an amount named before what it is of ("importe", "Betrag")?"""
    return _amount(word)
