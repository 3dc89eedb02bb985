"""Money said after the act: a tool that acts and whose description says money changes hands
when it is called ("Reserve a berth. The nightly fee is charged to the card"), in English and
in the other languages the tables know. Asked by the money stage only of tools that do not
read; `charged_on_the_way` returns the server's own words."""

from __future__ import annotations

import re
import string

# A tool that acts and whose description says money changes hands when it is called. Each
# way of saying so is a pattern on the lower-cased opening, asked only when the words it needs
# are there (one word of each set given): most descriptions hold none, and scanning every
# pattern, or looking for every word with `in`, cost more than the rest of the money stage.
# What stands between words, made a space before the opening is split into its words (a
# translation and a split are several times cheaper than a regular expression's split).
_BETWEEN_WORDS = str.maketrans({c: " " for c in string.punctuation + string.digits
                                + "€£¥’‘“”«»—–…•·\u00a0"})


def _words(*groups: str) -> tuple[frozenset[str], ...]:
    """Sets of words, each of which a pattern needs one of."""
    return tuple(frozenset(group.split()) for group in groups)




_MONEY_SAID: tuple[tuple[tuple[frozenset[str], ...], re.Pattern[str]], ...] = tuple(
    (keys, re.compile(pattern)) for keys, pattern in (
        # A passive money participle with where, when or how much: "The nightly fee is
        # charged to the card supplied by the skipper", "Billed to the customer at $95 per
        # 30 minutes", "The deposit is refunded if cancelled more than 48h before", "the
        # difference is prorated on the next bill". "Customers are billed monthly" describes
        # the customer.
        (_words("charged billed debited refunded prorated invoiced paid"),
         r"(?:\b(?:is|are|will\s+be|gets|get)\s+(?:[a-z]+ly\s+)?"
         r"(charged|billed|debited|refunded|prorated|invoiced|paid)"
         r"|(?:^|[.;:]\s+|\b)(charged|billed|debited|invoiced)"
         r"(?=\s+(?:[a-z]+ly\s+)?(?:to|from|against)\b))"
         # (An adverb may stand first: "billed monthly to the account starting today".)
         r"(?=\s+(?:[a-z]+ly\s+)?(?:to|from|on|against|at|by|via|if|when|in|within"
         r"|immediately|automatically|upfront|right|now|today|straight)\b|\s*[€$£¥0-9])"),
        # Funds held or taken on a card or an account: "A pre-authorisation for the deposit is
        # placed on the customer's card", "the deposit is taken from the card".
        (_words("placed taken held captured collected blocked pulled drawn",
                "card account wallet"),
         r"\b(?:is|are)\s+(?:[a-z]+ly\s+)?(placed|taken|held|captured|collected|blocked"
         r"|pulled|drawn)\s+(?:on|from)\s+(?:the\s+|a\s+|their\s+|its\s+|your\s+)?"
         r"(?:[\w'’-]+\s+){0,3}(?:card|account|wallet)\b"),
        # Said of the money itself, however it goes on: "A reservation fee of EUR 2 is
        # charged.", "Payment is taken at booking", "The card on the tab is charged and the
        # receipt printed", "principal plus interest is collected", "The invoice ... is then
        # issued", "Their monthly direct debit is updated to the new price".
        (_words("fee fees price payment amount deposit card total cost fare principal "
                "interest month subscription invoice refund debit",
                "charged billed debited deducted collected prepaid updated written captured "
                "taken paid added authorized authorised preauthorized preauthorised refunded "
                "issued raised"),
         r"\b(?:fee|fees|price|payment|amount|deposit|card|total|cost|fare|principal|interest"
         r"|month|subscription|invoice|refund|debit)\b(?:\s+[\w'’$€£.%-]+){0,4}?\s+"
         r"(?:is|are|gets|will\s+be)\s+(?:(?:[a-z]+ly|then|also|now|first)\s+)?"
         r"(charged|billed|debited|deducted|collected|prepaid|updated|written\s+off"
         r"|captured|taken|paid|added|pre-?authori[sz]ed|authori[sz]ed|refunded|issued|raised)\b"),
        # ... or goes on an account: "The lesson fee goes on the member's account".
        (_words("goes", "fee fees charge charges cost costs price"),
         r"\b(?:fee|fees|charge|charges|cost|costs|price)\b(?:\s+[\w'’-]+){0,3}?\s+"
         r"(goes\s+(?:on|onto|to))\b"),
        # A refund needs no more said: "Everyone booked is refunded and notified".
        (_words("refunded reimbursed"),
         r"\b(?:is|are|will\s+be|gets|get)\s+(?:[a-z]+ly\s+)?(refunded|reimbursed)\b"),
        # Billing set up on a card: "Sets up recurring monthly billing on the given card".
        (_words("billing charge charges", "card account"),
         r"\b(billing|charges?)\s+(?:on|to)\s+(?:the\s+|a\s+|their\s+)?(?:[\w'’-]+\s+){0,2}"
         r"(?:card|account)\b"),
        # Paid on a card: "Reorder parts from the wholesaler; paid on the company card".
        (_words("paid", "card account wallet"),
         r"\b(paid)\s+(?:on|with|by|from)\s+(?:the\s+|a\s+|their\s+)?(?:[\w'’-]+\s+){0,2}"
         r"(?:card|account|wallet)\b"),
        # An act of money in the third person, before what it acts on: "Produces the final
        # bill and charges the remaining balance to the card on file".
        (_words("charges bills refunds debits"),
         r"\b(charges|bills|refunds|debits)\s+(?:the|a|an|their|its|his|her|each|every|any"
         r"|all)\b"),
        # Money given back: "returns the ticket price to the attendee's card".
        (_words("price amount fee fees deposit payment funds money", "returns return"),
         r"\b(returns?\s+(?:the\s+|a\s+|their\s+|its\s+)?(?:[\w-]+\s+){0,2}"
         r"(?:price|amount|fee|fees|deposit|payment|funds|money)\s+to)\b"),
        # An invoice or a subscription made on the way: "Triggers the final invoice to the
        # customer", "Sets up a monthly subscription for the course fee", "Take a 25%
        # deposit on an accepted quote".
        (_words("invoice bill subscription debit standing plan deposit payment fee"),
         r"\b((?:triggers|issues|raises|generates)\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){0,2}"
         r"(?:invoice|bill)"
         r"|(?:sets\s+up|starts)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}"
         r"(?:subscription|direct\s+debit|standing\s+order|payment\s+plan)"
         r"|(?:take|takes|collect|collects)\s+(?:a|an|the)\s+(?:[\w%$€£.-]+\s+){0,2}"
         r"(?:deposit|payment|fee))\b"),
        # Put on what someone will pay: "No-show fee of €20 added to the client's next bill".
        (_words("added", "bill invoice tab statement"),
         r"\b(added)\s+to\s+(?:the\s+|a\s+|their\s+|its\s+)?(?:[\w'-]+\s+){0,2}"
         r"(?:bill|invoice|tab|statement)\b"),
        # The same said in French, Spanish, Portuguese, Italian, German, Swedish and
        # Indonesian: "Les frais sont débités immédiatement", "se cobra al confirmar",
        # "addebitato sul conto", "Facture au client ...".
        (_words(" ".join(f"{d}bit{e}{f}{n}" for d in ("de", "dé") for e in "eé"
                         for f in ("", "e") for n in ("", "s"))
                + " debitado debitada debitados debitadas facturé facturée facturés facturées"
                " " + " ".join(f"pr{e1}lev{e2}{f}{n}" for e1 in "eé" for e2 in "eé"
                               for f in ("", "e") for n in ("", "s"))
                + " cobrado cobrada cobrados cobradas cobra factura reembolsa addebitato"
                " addebitata addebitati addebitate addebito abgebucht facture eingezogen"
                " faktureras debiteras ditagih"),
         r"\b(d[ée]bit[ée]e?s?|debitad[oa]s?|factur(?:é|ée|és|ées)|pr[ée]lev[ée]e?s?"
         r"|cobrad[oa]s?|se\s+cobra|se\s+factura|se\s+reembolsa|addebitat[oaie]|addebito\s+sul"
         r"|abgebucht|facture\s+(?:à|au|aux)|eingezogen|faktureras|debiteras|ditagih)\b"),
    ))
# Every word one of the patterns needs first (each pattern names its rarer words first: "returns"
# is in most readers' descriptions).
_ANY_MONEY_SAID = frozenset().union(*(needs[0] for needs, _ in _MONEY_SAID))
_DENIALS = frozenset("not no nothing never free without".split())
_CHARGE_WINDOW = 800


def charged_on_the_way(text: str) -> str | None:
    """The words with which a description says money changes hands when the tool is called
    ("... is charged to the card" -> charged, "Sets up a monthly subscription" -> those words),
    or None: the first such words in the text that nothing denies ("Nothing is charged").
    They are the server's: quote them with `findings.quote`."""
    low = text[:_CHARGE_WINDOW].lower()
    split = low.translate(_BETWEEN_WORDS).split()
    if _ANY_MONEY_SAID.isdisjoint(split):
        return None  # nearly every description: one set operation
    words = set(split)
    first: tuple[int, str] | None = None
    for needs, pattern in _MONEY_SAID:
        if any(need.isdisjoint(words) for need in needs):
            continue
        for found in pattern.finditer(low):
            if first is not None and found.start() >= first[0]:
                break
            if _DENIALS.isdisjoint(low[max(0, found.start() - 30):found.start()].split()[-3:]):
                # The server's own words, spaces made single.
                said = next(group for group in found.groups() if group)
                first = (found.start(), " ".join(said.split()))
                break
    return None if first is None else first[1]
