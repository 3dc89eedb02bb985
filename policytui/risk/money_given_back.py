"""Money acts the verb tables cannot see in a name: a deposit given back ("devolver_senal":
"Devolución de la señal cuando el taller no puede cumplir el plazo"; "Zwrot zaliczki
członkowi") and orders submitted in bulk, named by the act's noun ("bulkOrderSubmission":
"Bulk order submission for a basket of symbols"). Asked by the money stage only of a tool
that does not read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from policytui.risk.words import sentence_tokens

# Words that give something back, as a verb or as the act's noun, in the languages servers
# are written in. Not English "return", which far more often hands back what is read
# ("Returns the deposit address"): money given back in English is said with its object
# and where it goes (`money_said`).
_GIVING_BACK = frozenset(
    """
    devolver devuelve devuelva devolucion devolución devolviendo
    reembolsar reembolso devolver devolucao devolução restituir restituição restitution
    restituer restitue restituisci restituire restituzione rimborso rimborsare rimborsa
    zwrot zwrocic zwróć zwraca rückzahlung zurückzahlen zurueckzahlen erstatten erstattung
    """.split())
# Money paid ahead to hold a booking or an order.
_DEPOSITS = frozenset(
    """
    deposito depósito depositos depósitos fianza anticipo caparra cauzione
    acompte acomptes arrhes anzahlung kaution zaliczka zaliczki zaliczke zaliczkę kaucja kaucji
    sinal senal señal
    """.split())
# Of those, the words that as often mean something else ("señal" is also a signal, "sinal" a
# sign): a deposit only where the tool names the booking, the order or the amount it is for.
_DEPOSITS_IF_BOOKED = frozenset("sinal senal señal".split())
_BOOKED = frozenset(
    """
    reserva reservas reservation booking bookings order orders pedido pedidos encomenda
    prenotazione commande importe monto amount valor importo kwota betrag
    """.split())
# An order's submission named by nouns: "order submission", "order placement", "order entry".
_ORDERS = frozenset("order orders".split())
_SUBMITTING = frozenset("submission submissions placement placements entry".split())


def worth_asking(name_words: list[str], sentence_words: list[str]) -> bool:
    """May a tool of these name words and first-sentence words (`sentence_tokens`, which
    take a word's accents off) give a deposit back or name orders submitted? A cheap test
    before `deposit_given_back` and `orders_submitted`: most tools hold none of the words."""
    if _GIVING_BACK_TOKENS.isdisjoint(sentence_words) and _GIVING_BACK_TOKENS.isdisjoint(
            name_words):
        return not (_ORDERS.isdisjoint(name_words) and _ORDERS.isdisjoint(sentence_words)) and (
            not (_SUBMITTING.isdisjoint(name_words) and _SUBMITTING.isdisjoint(sentence_words)))
    return True


def _folded(word: str) -> str:
    """The word without its accents: "devolución" and "devolucion" are one word."""
    return "".join(c for c in unicodedata.normalize("NFKD", word)
                   if not unicodedata.combining(c))


def deposit_given_back(words: Iterable[str], arguments: Iterable[str]) -> str | None:
    """The deposit word when `words` (a name's and a first sentence's, lower-cased) give a
    deposit back, or None. A word that is a deposit only sometimes ("señal") counts when the
    words or an argument's name (`arguments`, split into words) name a booking, an order or
    an amount."""
    said = {_folded(word) for word in words}
    if said.isdisjoint(_FOLDED_GIVING_BACK):
        return None  # nearly every tool
    deposits = said & _FOLDED_DEPOSITS
    if not deposits:
        return None
    plain = sorted(deposits - _FOLDED_IF_BOOKED)
    if plain:
        return plain[0]
    if said.isdisjoint(_BOOKED) and {_folded(word) for word in arguments}.isdisjoint(_BOOKED):
        return None  # "Devuelve la señal del sensor": a signal
    return sorted(deposits)[0]


_FOLDED_GIVING_BACK = frozenset(_folded(word) for word in _GIVING_BACK)
_FOLDED_DEPOSITS = frozenset(_folded(word) for word in _DEPOSITS)
_FOLDED_IF_BOOKED = frozenset(_folded(word) for word in _DEPOSITS_IF_BOOKED)
# The giving-back words as `sentence_tokens` splits them, accents taken off ("devolución" ->
# "devolucion", "zwróć" -> "zwroc"), as it splits the sentences they are sought in.
_GIVING_BACK_TOKENS = frozenset(
    token for word in _GIVING_BACK for token in sentence_tokens(word) if len(token) > 3)


def orders_submitted(name_words: list[str], sentence_words: list[str]) -> str | None:
    """"order submission" when a name ends with orders and then their submission or
    placement ("bulkOrderSubmission"), or a first sentence names them so, then ends or goes
    on to what they are for ("Batch order placement for a basket"), else None. Not a view of
    them ("order_entry_log": "Order entry log for the desk")."""
    if (len(name_words) > 1 and name_words[-2] in _ORDERS and name_words[-1] in _SUBMITTING):
        return f"{name_words[-2]} {name_words[-1]}"
    for at in range(len(sentence_words) - 1):
        if (sentence_words[at] in _ORDERS and sentence_words[at + 1] in _SUBMITTING
                and (at + 2 == len(sentence_words) or sentence_words[at + 2] in _WHAT_FOR)):
            return f"{sentence_words[at]} {sentence_words[at + 1]}"
    return None


# What may follow the act's noun when it names the act and not a view of it.
_WHAT_FOR = frozenset("for of to in on with via from into".split())


# A word in any script, and the places a camelCase name joins two ("reservaId").
_WORD = re.compile(r"[^\W\d_]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def words_of(text: str) -> list[str]:
    """The lower-cased words of a sentence or a name, accents kept ("Devolución de la señal"
    -> devolución, de, la, señal; "pedidoId" -> pedido, id)."""
    return _WORD.findall(_CAMEL.sub(" ", text[:300]).lower())


def argument_words(schema: Any) -> list[str]:
    """The words of the names of a schema's arguments (none for a schema of another shape)."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return []
    return [word for key in properties if isinstance(key, str) for word in words_of(key)]
