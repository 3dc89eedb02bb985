"""Whether a tool moves money, or creates, changes, cancels or deletes what someone pays or is
owed: money verbs, verbs that need money in sight, and the head noun of what a verb acts on."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, NamedTuple

from policytui.risk import vocabulary as v
from policytui.risk.descriptions import DescriptionVerbs
from policytui.risk.european import kind_of as european_kind
from policytui.risk.kinds import CONNECTORS
from policytui.risk.names import NameVerbs
from policytui.risk.schema import SchemaFacts, normalize
from policytui.risk.words import SEPARATORS, base_verb, fold_accents, name_words, sentence_tokens

# Money words the shared vocabulary does not hold, kept here so that only the money rules
# use them. Things paid or owed beyond those of `vocabulary.MONEY_OBJECTS`: a tip or a
# donation is a payment, a loan or an instalment is owed, escrow is money held for someone;
# and invoices, payments, payouts, transfers and refunds named in other languages (factura,
# Rechnung, platba, utbetalning, przelew, tagihan, ödeme, seikyūsho, Mexico's CFDI ...) and a
# payroll run (Lohnlauf), which the other languages' verbs act on; and Brazil's instant payment (Pix) and
# payment slip (boleto), sent, scheduled or paid; a gift card written as one word, which holds
# stored value; a cheque; and a donation named in Spanish, Italian or Portuguese.
EXTRA_MONEY_OBJECTS = frozenset(
    """
    tip tips gratuity gratuities donation donations loan loans repayment repayments
    installment installments instalment instalments escrow escrows autopay
    factura facturas fatura faturas facture factures fattura fatture rechnung rechnungen
    factuur facturen faktura faktury fakturu fakture fakturor pago pagos pagamento pagamentos
    paiement paiements zahlung zahlungen betaling betalingen platnosc platnosci platba platbu
    platby plata reembolso reembolsos remboursement rimborso erstattung terugbetaling
    overboeking pix boleto boletos
    betalning betalningar utbetalning utbetalningar utbetaling utbetalinger uitbetaling
    uitbetalingen przelew przelewy
    tagihan odeme odemeler tahsilat seikyusho lohnlauf cfdi cfdis
    giftcard giftcards cheque cheques donacion donaciones donazione donazioni doacao doacoes
    orden ordenes ordine ordini bestellung bestellungen bestelling bestellingen
    abo abos abonnement abonnements
    """.split())
# ... and those that are money only with money in sight: a direct-debit "mandate" or a card
# "authorization" (a hold of funds), but not a legal mandate or an OAuth authorization; a
# standing "authority" to pull recurring payments, but not a certificate authority; a billing
# "agreement" (a service contract billed each period), but not a licence agreement (see
# `_NOT_MONEY_QUALIFIERS`); German "Autorisierung" as the English; "collateral" put up for a
# margin account or a loan, but not marketing collateral.
EXTRA_MONEY_OBJECTS_IF_CONTEXT = frozenset(
    """
    mandate mandates authorization authorizations authorisation authorisations authority
    authorities agreement agreements autorisierung autorisierungen collateral
    """.split())
# Words that put money in sight besides `vocabulary.MONEY_NOUNS`: what a budgeting app
# names ("income", "spending") says as much as "expense" does, and collateral ("Withdraw
# collateral from a vault") as much as a margin does.
EXTRA_MONEY_NOUNS = EXTRA_MONEY_OBJECTS | frozenset(
    "income incomes spending revenue revenues earnings budgets reward rewards collateral "
    "saldo saldos bakiye cripto cartao cartoes tarjeta tarjetas".split())
# Words that make an act a pretence: a paper trade, a mock payment or a demo order moves no
# money, wherever the word stands in the name ("lighter_paper_market_order").
PRETEND = frozenset("paper mock mocked demo fake simulated".split())
# Money verbs the shared table does not know. These move money whatever they act on:
_MONEY_VERBS = frozenset("rebalance".split())
# ... these only with money in sight ("mint_nft", "burn_tokens", "wrap_eth", "short_stock",
# "aave_supply": an asset lent to a pool; not "burn_subtitles" or "wrap_text"), or, for
# "exercise", an option or warrant:
_MONEY_VERBS_IF_CONTEXT = frozenset("mint burn wrap unwrap short exercise flatten supply".split())
_ANY_MONEY_VERBS = _MONEY_VERBS | _MONEY_VERBS_IF_CONTEXT
_EXERCISED = frozenset("option options warrant warrants contract contracts".split())
# ... and these act on what they name, which must be money: "log_expense",
# "reverse_transaction", "accrue_interest".
_MONEY_ACTS = frozenset("log reverse accrue".split())
# Interest accrued is charged to the borrower's account ("accrue_interest": "Accrue interest on
# all open loan accounts"), where interest alone is more often what someone cares about.
_ACCRUED = frozenset(("interest",))
# Moving to another plan or tier of a paid service changes what is paid ("upgrade_plan"; a
# plan changed some other way, "update_plan", may be a route or a project plan).
_PLAN_CHANGES = frozenset("upgrade downgrade".split())
_PLANS = frozenset("plan plans tier tiers".split())
# Arguments naming who is allowed to spend: an allowance (ERC-20 `approve`) lets a third
# party take funds.
SPENDER_ARGUMENTS = frozenset("spender spenderaddress".split())
# A trading desk's switches that cancel every live order: a kill switch, a dead man's switch.
_SWITCHES = frozenset((("kill", "switch"), ("killswitch", "switch"), ("man", "switch")))
# Two-word money verbs, as names split them and as they are joined; writing off a debt or a
# receivable cancels what someone owes.
_TWO_WORD_VERBS = frozenset((("top", "up"), ("cash", "out"), ("pay", "out"), ("write", "off")))
_TWO_WORD_SECONDS = frozenset(second for _, second in _TWO_WORD_VERBS)
_TWO_WORD_VERBS_JOINED = frozenset("cashout writeoff".split())
# A position is money when it is opened, closed or cut, with or without an amount in sight.
_POSITION_ACTS = frozenset("open close flatten reduce increase liquidate".split())
_POSITIONS = frozenset("position positions".split())
# What one gets of a money act without doing it: "swap_quote", "stake_quote",
# "refund_estimate" read what the act would be.
WHAT_IFS = frozenset(
    "quote quotes estimate estimates preview previews simulation simulations".split())


# Metered billing: usage reported or recorded against a metered price or a subscription is
# what the customer is billed for ("report_usage": "Report metered usage for a subscription
# item"; "Create a usage record on a metered price"), where usage shown ("get_usage",
# "usage_report") or tracked with no bill in sight is not. Events count as usage only when
# called billable or metered ("Ingest billable events for customers on usage-based plans",
# "record_meter_event"): an analytics event sent is no charge.
_USAGE_REPORTS = frozenset(
    "report record create log submit post send push ingest add increment".split())
_USAGE = frozenset("usage usages".split())
_BILLED_USAGE = frozenset("metered meter meters billed billable subscription".split())
_EVENTS = frozenset("event events".split())
_BILLED_EVENTS = frozenset("metered meter billed billable".split())


def _billed_events(words: list[str], start: int) -> bool:
    """Do `words` name billable or metered events at `start` or the next three places?"""
    return any(words[at] in _EVENTS and words[at - 1] in _BILLED_EVENTS
               for at in range(max(start, 1), min(start + 4, len(words))))


def metered_usage(words: list[str], desc_words: list[str], rest: Callable[[], list[str]]
                  ) -> str | None:
    """The verb that reports or records usage (or billable events) to be billed, from the
    name's `words` (its namespace left out) or the description's first sentence, when the name
    or the description says the usage is metered or billed; else None."""
    if len(words) > 1 and words[0] in _USAGE_REPORTS and (
            words[1] in _USAGE or _billed_events(words, 2)):
        verb = words[0]
    elif desc_words and desc_words[0] in _USAGE_REPORTS and (
            not _USAGE.isdisjoint(desc_words[1:4]) or _billed_events(desc_words, 2)):
        verb = desc_words[0]
    else:
        return None
    if _BILLED_USAGE.isdisjoint(words) and _BILLED_USAGE.isdisjoint(desc_words[:40]) and (
            _BILLED_USAGE.isdisjoint(rest()[:60])):
        return None
    return verb


# Handing something in for reimbursement ("Submit an expense claim for approval and
# reimbursement", "upload_receipt_for_reimbursement") makes what the employer owes; a tool
# that only reads is never weighed by it.
_FOR_REIMBURSEMENT = re.compile(
    r"\bfor (?:(?:the |its |their )?\w+ and )?reimburs(?:ement|ing)\b|\bto be reimbursed\b")


def for_reimbursement(words: list[str], sentence: str, verbs: tuple[str | None, ...]
                      ) -> str | None:
    """The words that hand something in for reimbursement, from the name's `words` or the
    description's first sentence, or None. Not when one of `verbs` (the name's, the
    description's lead) only hands over a file: a receipt uploaded for reimbursement is its
    proof, and the claim is made elsewhere."""
    if not _FILING.isdisjoint(verbs):
        return None
    if "reimbursement" in words:
        at = words.index("reimbursement")
        if at > 0 and words[at - 1] == "for":
            return "for reimbursement"
    lowered = sentence[:300].lower()
    if "reimburs" not in lowered:
        # Both of the pattern's phrases hold "reimburs", and nearly no sentence does: one
        # scan for it, where the pattern, opening with a word boundary, is tried at every
        # character.
        return None
    found = _FOR_REIMBURSEMENT.search(lowered)
    return found.group(0) if found else None


def money_act(words: list[str], lead: str | None, money: Callable[[], bool],
              timer: Callable[[], bool] | None = None) -> str | None:
    """A money act the shared verb table does not name: `words` are the name's (its
    namespace left out), `lead` the description's first word. The verb that does it, or
    None. `timer()` says the description makes a switch a timer (`timed_switch`)."""
    if not words or not PRETEND.isdisjoint(words):
        return None  # none, or a pretence (`pretended`)
    first = words[0]
    if (len(words) > 1 and words[1] in _TWO_WORD_SECONDS and (first, words[1]) in _TWO_WORD_VERBS
            and money()):
        # "top_up_wallet", "cash_out_balance": "topup" and "cashout" written as two words.
        return f"{first} {words[1]}"
    if first in _TWO_WORD_VERBS_JOINED and money():
        return first
    if "switch" in words:  # the second word of every one of `_SWITCHES`
        for i in range(len(words) - 1):
            if ((words[i], words[i + 1]) in _SWITCHES and money()
                    and not (timer is not None and timer())):
                # "paradigm_kill_switch", "set_kill_switch": on a trading desk a kill switch
                # cancels every live order at once.
                return f"{words[i]} {words[i + 1]}"
    last = words[-1] if len(words) <= 3 else None
    bare = _bare(lead)
    if "supply" in words and "chain" in words:
        return None  # "supply_chain_risk": the goods a business buys, no asset lent
    if first in _ANY_MONEY_VERBS or last in _ANY_MONEY_VERBS or bare in _ANY_MONEY_VERBS:
        for verb in (first, last, bare):
            if verb not in _ANY_MONEY_VERBS:
                continue  # (and None)
            if verb in _MONEY_VERBS:
                return verb
            if money() or (verb == "exercise" and not _EXERCISED.isdisjoint(words)):
                return verb
    if first in _MONEY_ACTS:
        head = object_head(words, first)
        if money_object(head) or (money_object_if_context(head) and money()) or (
                first == "accrue" and head in _ACCRUED):
            return first
    return None


def _bare(word: str | None) -> str | None:
    """A description's first word without its third-person "s" ("Mints an NFT")."""
    if word is None or word in _MONEY_VERBS or word in _MONEY_VERBS_IF_CONTEXT:
        return word
    return word[:-1] if word.endswith("s") else word


_CHECKERS = frozenset("verify check validate".split())


def confirms_a_check(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Does "confirm" in the description mean the check the name says ("verify_payment":
    "Confirm an on-chain payment, returns {verified: true}")? Then it confirms nothing of
    the payment: it checks it."""
    return (desc.lead == "confirm" and name.kind == v.READ and name.verb in _CHECKERS
            and name.last is None)


def spender_argument(schema: Any) -> str | None:
    """An argument naming who may spend (`spender`): the tool grants or changes an
    allowance over the caller's funds. Its name, or None."""
    return money_arguments(schema).spender


# The shared lists and these together, joined once: the tests below run for every tool.
ALL_MONEY_NOUNS = v.MONEY_NOUNS | EXTRA_MONEY_NOUNS
ALL_MONEY_OBJECTS = v.MONEY_OBJECTS | EXTRA_MONEY_OBJECTS
ALL_MONEY_OBJECTS_IF_CONTEXT = v.MONEY_OBJECTS_IF_CONTEXT | EXTRA_MONEY_OBJECTS_IF_CONTEXT


# Every head that lets `financial` say a verb moves money, but for the money verbs that
# need only money in sight.
PAID_HEADS = (ALL_MONEY_OBJECTS | ALL_MONEY_OBJECTS_IF_CONTEXT | _PLANS | _POSITIONS
              | frozenset(("closing", "upd")) | frozenset("gift prepaid accounting".split()))


def money_noun(word: str) -> bool:
    """Does this word put money in sight?"""
    return word in ALL_MONEY_NOUNS


def money_object(word: str | None) -> bool:
    """Is this the head of something paid or owed, whatever is around it?"""
    return word in ALL_MONEY_OBJECTS


def money_object_if_context(word: str | None) -> bool:
    """Is this the head of something paid or owed when money is in sight?"""
    return word in ALL_MONEY_OBJECTS_IF_CONTEXT


def pretended(words: Iterable[str]) -> str | None:
    """The word that makes the act a pretence ("paper", "mock"), or None."""
    if type(words) is not list:
        words = list(words)  # (an iterator is read twice below; a list, as every caller's, is not)
    if PRETEND.isdisjoint(words):
        return None  # nearly every tool: one set operation
    return next((w for w in words if w in PRETEND), None)


def quoted_word(text: str) -> str:
    """Quote a word from our own tables or `name_words` (letters and digits only, so there is
    nothing to escape)."""
    return "'" + text + "'"


def raw_api_call(schema: Any) -> bool:
    """Does the tool take the API path to call (a tool that sends any request)?"""
    props = schema.get("properties") if type(schema) is dict else None
    if type(props) is not dict:
        return False
    return any(type(arg) is str and normalize(arg) in v.API_PATH_ARGUMENTS
               for arg in list(props)[:50])


def nested_money_argument(schema: Any) -> str | None:
    """An amount argument one level down: a field of an object argument ("update": {amount})
    or of the items of a list argument ("transactions": [{amount, currency}]). The name of the
    argument holding it, or None."""
    props = schema.get("properties") if type(schema) is dict else None
    if type(props) is not dict:
        return None
    for arg, prop in list(props.items())[:50]:
        if type(prop) is not dict:
            continue
        inner = prop.get("items") if prop.get("type") == "array" else prop
        fields = inner.get("properties") if type(inner) is dict else None
        if type(fields) is dict and any(type(f) is str and _money_argument(f)
                                        for f in list(fields)[:50]):
            return arg if type(arg) is str else None
    return None


_MONEY_NAME = re.compile(r"amount|price|currency|cost")


def _money_argument(name: str) -> bool:
    key = normalize(name[:100])
    return key in v.MONEY_ARGUMENTS or _MONEY_NAME.search(key) is not None


def money_context(name: NameVerbs, desc: DescriptionVerbs, facts: SchemaFacts,
                   besides: str | None = None, schema: Any = None) -> bool:
    """Is money in sight: an amount argument (at the top of the schema or one level down), or
    a money noun other than the verb itself (and other than `besides`, the word that needs the
    context)?"""
    if facts.money_arguments:
        return True
    nouns = ALL_MONEY_NOUNS
    skip = {name.verb, besides}
    if any(w in nouns and w not in skip for w in name.words):
        return True
    skip = {desc.lead, besides}
    if any(w in nouns and w not in skip for w in desc.words[1:40]):
        return True
    # Past the first sentence too ("Delete a transaction. Supports bills, invoices, ...").
    if any(w in nouns and w not in skip for w in desc.rest()[:60]):
        return True
    return schema is not None and nested_money_argument(schema) is not None


_OBJECT_ENDS = frozenset(
    "for of from to in into with by on at via using when if that which who whose where after "
    "before against".split())
# Words that may end the phrase too, tried as a second, narrower reading of the object (see
# `description_object`): "Cancel every open order across all markets".
_CLAUSE_ENDS = frozenset("across within between per after before through".split())


def narrower_object(desc: DescriptionVerbs) -> bool:
    """May `description_object(desc, narrow=True)` differ from the usual reading? (A cheap
    test, so that most tools never work out a second object.)"""
    return not (_CLAUSE_ENDS.isdisjoint(desc.words[:12])
                and _ASIDE_MARK.search(desc.sentence[:300]) is None)


def object_may_be_paid(verb: str | None, desc: DescriptionVerbs) -> bool:
    """Could `financial` find money in what the description's verb acts on? Not when the verb
    needs a paid or owed head and no word of the sentence is one, nor a generic "record" whose
    example might be: the object is made of the sentence's words. A cheap test, so that most
    acting tools never work out the object."""
    return verb in v.MONEY_IF_CONTEXT or not _PAID_OR_GENERIC.isdisjoint(desc.words) or (
        not MAKE_UP.isdisjoint(desc.words))


def description_object(desc: DescriptionVerbs, narrow: bool = False) -> list[str]:
    """The words naming what the description's leading verb acts on ("delete a QuickBooks
    transaction" -> a, quickbooks, transaction), up to a preposition or separator. `narrow`
    also ends the phrase at a dash, a bracket or a few more prepositions ("across", "per"):
    a second reading that is only ever added to the first, never put in its place, so that it
    can find money the first misses but never lose what the first finds."""
    if desc.lead in v.HYPOTHETICAL:
        return []  # "Preview a transaction": nothing is done to it
    words = desc.words
    at = _object_start(desc)
    if at < len(words) and words[at] in _WATCHING_GERUNDS and desc.lead in _STARTERS:
        # "Start recording every trade into a buffer": what is started is the recording; the
        # trades are what it records.
        return [words[at]]
    out: list[str] = []
    # A dash or a bracket ends the phrase too: "Modify a recurring payment mandate status —
    # suspend, terminate, or restart" acts on the status, and what follows explains it.
    end = at + 6
    if narrow and _CLAUSE_ENDS.isdisjoint(words[at:end]) and not _ASIDE_MARK.search(
            desc.sentence[:300]):
        return []  # nothing narrower than the first reading
    aside = _ASIDE.search(desc.sentence[:300]) if narrow else None
    if aside is not None:
        end = min(end, len(sentence_tokens(desc.sentence[:aside.start()])))
    low = ""
    i = at
    while i < min(end, len(words)):
        word = words[i]
        i += 1
        if (word in _PART_OF and out and out[-1] in _LINES and i < len(words)
                and all(w in _LINES or w in _BARE for w in out)):
            # "Add a line item to an invoice": the line belongs to what follows.
            end += 4
            continue
        if (word == "of" and out and all(w in _COLLECTING for w in out) and i < len(words)):
            # "Retry collection of a past-due invoice": collecting it, the act named without an
            # article, is taking its payment ("a collection of invoices" is a set of them).
            end += 5
            continue
        if word in _OBJECT_ENDS and i < len(words):
            # "Cancel in-flight transactions", "Send on-chain payments": a preposition joined
            # by a hyphen to the next word is part of a modifier, not the end of the object.
            low = low or desc.sentence[:300].lower()
            if f"{word}-{words[i]}" in low:
                continue
        if word in _OBJECT_ENDS or word in SEPARATORS or word == "e":  # "e.g."
            break
        if narrow and word in _CLAUSE_ENDS:
            break
        out.append(word)
    while len(out) > 1 and is_manner(out[-1]):
        out.pop()  # "Send sats spontaneously to a node": how it is done, after what
    if len(out) > 1 and out[-1] in _PARTICLES_LAST:
        # "Maakt de factuur aan", "Legt eine Rechnung an": the particle of a German or Dutch
        # verb ends the sentence, after what the verb acts on.
        out.pop()
    if out and out[-1] in _GENERIC and desc.text:
        # "Submit a submittable document (e.g. Sales Invoice)": a generic document whose
        # example is money is acted on as that money document.
        opening = desc.text[:300]
        example = (_EXAMPLE.search(opening)
                   if any(word in opening for word in _EXAMPLE_WORDS) else None)
        if example is not None:
            named = example.group(1).lower().split()
            money = next((w for w in named if money_object(w)), None)
            if money is not None:
                out.append(money)
    elif not narrow and _GENERIC.intersection(out) and desc.text:
        # "Create a record: a customer, vendor, invoice, bill, payment, ...": a generic record
        # followed by the list of what it may be; a money document in the list is acted on.
        listed = _GENERIC_LIST.search(desc.sentence[:300])
        if listed is not None:
            named = _LIST_WORDS.findall(fold_accents(listed.group(1).lower()))
            money = next((w for w in named if money_object(w)), None)
            if money is not None:
                out.append(money)
    return out


def is_manner(word: str) -> bool:
    """Is this an adverb of manner or time ("spontaneously", "instantly"), which may end the
    words after a verb without being what it acts on? Not a noun in -ly ("supply", "family")."""
    return (len(word) > 6 and word.endswith("ly") and word not in _LY_NOUNS
            and base_verb(word) is None)


_LY_NOUNS = frozenset("assembly monopoly anomaly butterfly".split())


# The particles German and Dutch verbs leave at the end of a sentence ("Legt ... an", "Maakt
# ... aan", "Stellt ... aus", "Voert ... uit"), none of them a word English ends a noun
# phrase with.
_PARTICLES_LAST = frozenset("an aan ab auf aus bij hinzu op uit zuruck zurueck terug weg mee "
                            "af ein vor".split())


# What ends one item of a listed object: the object's own ends, a clause's, and a place.
_ITEM_ENDS = _OBJECT_ENDS | _CLAUSE_ENDS | frozenset("inside onto over under".split())
# Words that start a new clause rather than another item ("Create a customer, then bill").
_NOT_AN_ITEM = frozenset("then also which that so".split())
_LISTED_AT_MOST = 16


def listed_objects(desc: DescriptionVerbs) -> list[list[str]]:
    """The items listed after the first in what the description's verb acts on: "Cancel a
    DRFQv2 RFQ, a single order, or a batch by filter" gives [a, single, order] and [a,
    batch]; "Execute an instant, gas-free micro-payment inside a channel" gives [gas, free,
    micro, payment]. `description_object` ends at the first comma, "or" or "and", so a money
    document listed second is otherwise never read. Only ever added to the first reading.
    None when the first item is a possessive: the rest are its parts ("a cart's totals,
    currency or checkout URL"; `possessed_items` gives them)."""
    words = desc.words
    if desc.lead is None or desc.lead in v.HYPOTHETICAL or SEPARATORS.isdisjoint(words[:12]):
        return []
    at = _object_start(desc)
    window = words[at:at + _LISTED_AT_MOST]
    if SEPARATORS.isdisjoint(window[:8]):
        return []  # nearly every sentence: one object, read by `description_object`
    aside = _ASIDE.search(desc.sentence[:300])
    if aside is not None:
        # "Build a deal worksheet (price, taxes, fees, payment)": what the brackets list
        # explains the object; it is not acted on.
        window = window[:max(0, len(sentence_tokens(desc.sentence[:aside.start()])) - at)]
    items: list[list[str]] = []
    current: list[str] = []
    first: list[str] = []
    listing = False
    for at_word, word in enumerate(window):
        if not listing and word == "s" and at_word:
            # "Update a member's profile fields or subscription status": what is listed
            # belongs to the member, whose money is `description_object`'s to find.
            return []
        if word in _ITEM_ENDS or word == "e":  # "e.g."
            break
        if word in SEPARATORS:
            if listing and current:
                items.append(current)
            listing, current = True, []
            continue
        if not listing:
            first.append(word)
        if listing:
            if not current and (word in _NOT_AN_ITEM or (
                    base_verb(word) is not None and word not in PAID_HEADS
                    and word not in v.MONEY_IF_CONTEXT and word not in _BARE)):
                break  # "..., then charge the card": a second act, not a second object
            current.append(word)
    if listing and current:
        items.append(current)
    # A listed item is another object when it has its own article ("a single order"), or when
    # the first is only an article and a word before a comma, which the comma joins to what
    # follows ("an instant, gas-free micro-payment"). A bare list ("Set hours, bonuses and
    # reimbursements on a payroll") names what is set on the object after it.
    adjectival = (len(first) == 2 and first[0] in _ARTICLES and len(window) > 2
                  and window[2] == ",")
    return [item for item in items if item[0] in _DETERMINERS or (adjectival and item is items[0])]


# The act of taking a money document's payment, named as a noun before it.
_COLLECTING = frozenset("collection collections".split())
# The lines of a money document, which belong to the document a preposition names next.
_LINES = frozenset("line lines item items lineitem lineitems".split())
_DETERMINERS = frozenset("a an the any every all each one its their your".split())


def possessed_items(desc: DescriptionVerbs) -> list[list[str]]:
    """The parts listed after a possessive object ("Modify an existing pie's settings,
    instrument allocations, or target weights" gives [settings], [instrument, allocations],
    [target, weights]), or nothing."""
    words = desc.words
    if desc.lead is None or desc.lead in v.HYPOTHETICAL:
        return []
    at = _object_start(desc)
    window = words[at:at + _LISTED_AT_MOST]
    if "s" not in window[:5]:
        return []
    items: list[list[str]] = []
    current: list[str] = []
    for word in window[window.index("s") + 1:]:
        if word in _ITEM_ENDS or word == "e":
            break
        if word in SEPARATORS:
            if current:
                items.append(current)
            current = []
            continue
        current.append(word)
    if current:
        items.append(current)
    return items


def _object_start(desc: DescriptionVerbs) -> int:
    """Where what the description's lead acts on starts in its words."""
    words = desc.words
    try:
        return words.index(desc.lead) + 1 if desc.lead else len(words)
    except ValueError:  # the lead was inflected ("Creates")
        return next((i + 1 for i, w in enumerate(words[:4]) if base_verb(w) == desc.lead),
                    len(words))


# Verbs that start or stop an activity, and the activities that only watch or keep what
# passes ("Start streaming fills", "Stop recording trades"): they move nothing they name.
_STARTERS = frozenset("start begin stop pause resume enable disable".split())
_WATCHING_GERUNDS = frozenset(
    "recording logging streaming monitoring tracking watching polling buffering collecting "
    "listening mirroring".split())


# Sending a money document that exists by e-mail delivers it; the money moves when the
# payer pays, and it is owed from when the document was made (by another tool, or by this one
# when its words also make or issue it: "Create and e-mail an invoice").
_DELIVERING = frozenset("send resend email mail deliver forward share".split())
_SENT_DOCUMENTS = frozenset(
    "invoice invoices estimate estimates quote quotes receipt receipts statement statements "
    "purchaseorder purchaseorders payslip payslips upd closing".split())
_MAIL = frozenset("email emails mail emailed mailed".split())  # "e-mail" splits as e, mail
_MADE_BEFORE_SENDING = frozenset(
    "create creates make makes issue issues generate generates raise raises draft drafts "
    "finalize finalizes finalise finalises new".split())
_MONEY_SENT = frozenset("payment payments money funds fund transfer transfers".split())
# Words that make the sending bill the payer: a link to pay, a draft finalised, a status.
_BILLING_WHEN_SENT = frozenset(
    "link links pay paid checkout finalized finalised finalize finalise draft status".split())
# Arguments giving where a copy goes.
_RECIPIENTS = frozenset(
    "email emails emailto sendto to recipient recipients recipientemail cc emailcc bcc "
    "address addresses".split())


def mails_a_document(name: NameVerbs, desc: DescriptionVerbs, acting: str | None,
                     schema: Any) -> bool:
    """Does the tool only e-mail a copy of a money document that exists to an address it is
    given ("send_invoice_by_email(invoice_id, email_to)", "qbo_send(entity, id, send_to)":
    "Email an Invoice, Estimate or PurchaseOrder to the customer")? Not when it also makes,
    issues or finalises it, asks for payment with it ("with a payment link") or changes its
    status; not when it sends to the payer on file alone, which issues the bill; nor when what
    is sent is a payment ("Send a payment by e-mail")."""
    if acting not in _DELIVERING:
        return False
    first = desc.words[:30]
    if _MAIL.isdisjoint(name.words) and _MAIL.isdisjoint(first):
        return False
    said = [*name.words, *first, *desc.rest()[:40]]
    if not (_MADE_BEFORE_SENDING.isdisjoint(said) and _BILLING_WHEN_SENT.isdisjoint(said)):
        return False
    props = schema.get("properties") if type(schema) is dict else None
    if type(props) is not dict or not any(
            type(arg) is str and normalize(arg[:40]) in _RECIPIENTS for arg in list(props)[:30]):
        return False
    sent = [*name.words, *(description_object(desc) if desc.lead in _DELIVERING else [])]
    listed = [w for item in listed_objects(desc) for w in item] if desc.lead else []
    return (not _SENT_DOCUMENTS.isdisjoint(sent + listed)
            and _MONEY_SENT.isdisjoint(sent + listed))


# A portfolio's make-up: changing the allocations or target weights of its instruments buys
# and sells them to match ("Modify a pie's instrument allocations or target weights").
MAKE_UP = frozenset("allocation allocations weight weights weighting weightings".split())
_HOLDINGS = frozenset(
    "instrument instruments asset assets portfolio portfolios target holding holdings stock "
    "stocks fund funds pie pies".split())


def rebalanced(words: list[str]) -> str | None:
    """The make-up of a portfolio in these words of an object ("instrument allocations",
    "target weights"), or None."""
    for before, word in zip(words, words[1:]):
        if word in MAKE_UP and before in _HOLDINGS:
            return f"{before} {word}"
    return None


_ASIDE = re.compile(r"\s[\u2013\u2014-]+\s|\s?\(")
_ASIDE_MARK = re.compile(r"[\u2013\u2014(]|\s-")


# Heads that say nothing of what the thing is ("a document", "a record"), and the example
# that may follow them.
_GENERIC = frozenset(
    "document documents doc docs record records entity entities object objects resource "
    "resources".split())
_GENERIC_LIST = re.compile(
    r"\b(?:document|documents|record|records|entity|entities|object|objects|resource|resources)"
    r"\s*:\s*([^.;\n]{0,160})", re.IGNORECASE)
# Either kind of head, asked of a sentence at once.
_PAID_OR_GENERIC = PAID_HEADS | _GENERIC
_LIST_WORDS = re.compile(r"[a-z]+")
_EXAMPLE = re.compile(r"\b(?:e\.g\.|such as|for example|for instance|like)[\s:,]*"
                      r"((?:[A-Za-z]+\s+){0,2}[A-Za-z]+)")
# What every example it finds opens with, looked for first: most openings hold none, and the
# search, opening with a word boundary, is tried at every character.
_EXAMPLE_WORDS = ("e.g.", "such as", "for example", "for instance", "like")


# A generic head followed by what it may be, anywhere in a description's opening: "Submit a
# submittable document (e.g. Sales Invoice)", "Create a record: a customer, vendor, invoice".
# The examples end with the line, the sentence or the bracket: a colon further on opens
# something else ("sub-entities:\n- addresses: customers require an address to make a
# purchase" names no purchase record).
_GENERIC_EXAMPLES = re.compile(
    r"(?:document|record|entit(?:y|ie)|object|resource)s?[ \t]*(?:\([ \t]*)?"
    r"(?:(?:e\.g\.|such as|for example|for instance|including|like)[ \t:,]*|:[ \t]*)"
    r"([^.;:\n)]{1,160})")
# The generic heads less their first letter, found in either case by a plain search.
_GENERIC_TAILS = ("ocument", "ecord", "ntit", "bject", "esource")
_EXAMPLES_WITHIN = 200
# What may stand before a generic head that leaves it bare: "a document", "an existing
# record", "a submitted document" say nothing of what kind it is; "a Word document" or "a
# name-list record" do.
_BARE = frozenset("a an the new existing given specific single one submitted draft".split())


def server_money_record(descriptions: Iterable[str]) -> str | None:
    """The money document a server's own words give as one of its generic records ("Submit a
    submittable document (e.g. Sales Invoice)" -> invoice, "Create a record: a customer, vendor,
    invoice, ..."), or None. On such a server (an ERP's documents, an accounting API's
    entities) a tool that changes "a document" with no word of what kind may change that
    one."""
    # The openings as one text, one per line, searched for each head by a plain search:
    # most of a server's descriptions hold none, and no example runs past its line.
    text = "\n".join(d[:_EXAMPLES_WITHIN] for d in descriptions if type(d) is str)
    for tail in _GENERIC_TAILS:
        at = text.find(tail, 1)
        while at > 0:
            start = at - 1
            if start == 0 or not text[start - 1].isalnum():  # a head, not "subrecord"
                found = _GENERIC_EXAMPLES.match(text[start:start + 200].lower())
                if found is not None:
                    money = next((w for w in _LIST_WORDS.findall(fold_accents(found.group(1)))
                                  if money_object(w)), None)
                    if money is not None:
                        return money
            at = text.find(tail, at + 1)
    return None


# The server's money record, asked for only when a tool needs it (`lazy_money_record`).
MoneyRecord = Callable[[], "str | None"]


def lazy_money_record(tools: list[Any]) -> MoneyRecord:
    """`server_money_record` of these tools' descriptions, worked out on the first call and
    kept: few tools act on a bare generic record, and reading every description of every
    server up front would cost more than those few."""
    kept: list[str | None] = []

    def record() -> str | None:
        if not kept:
            kept.append(server_money_record(getattr(t, "description", "") for t in tools))
        return kept[0]
    return record


def with_server_record(words: list[str], record: MoneyRecord | None) -> list[str]:
    """What a verb acts on, with the server's money record (`server_money_record`) added when
    it is a bare generic head ("a document", "an existing record"); else `words` as they
    are."""
    if (record is None or not words or words[-1] not in _GENERIC
            or not _BARE.issuperset(words[:-1])):
        return words
    found = record()
    return words if found is None else [*words, found]


# A subscription to data, not to a paid service, said by the words around it rather than
# by a qualifier before it (`_NOTIFYING`): "Subscribes a listener application to receive change
# notifications", "Cancel one subscription and free its market data lines". Narrower than
# `_NOTIFYING`: "data" or "email" alone beside a subscription says nothing of what it is.
_DATA_FEEDS = frozenset(
    """
    webhook webhooks websocket websockets notification notifications listener listeners stream
    streams streaming streamed feed feeds topic topics channel channels event events quote
    quotes tick ticks bar bars candle candles kline klines orderbook depth bulletins headlines
    pubsub mqtt
    """.split())
# What a paid subscription is described by; any of these leaves it money.
_BILLING = frozenset(
    """
    plan plans billing billed bill bills price prices pricing charge charges charged recurring
    renewal renewals invoice invoices payment payments trial tier tiers seat seats license
    licenses fee fees cost costs
    """.split())


def data_subscription(name_words: list[str], desc: DescriptionVerbs) -> bool:
    """Do the tool's name and description show that its subscriptions are to data (events,
    topics, streams, quotes) rather than to something paid for? Only asked about a tool whose
    money would be a subscription."""
    seen = [*name_words, *desc.words[:40], *desc.rest()[:60]]
    return not _DATA_FEEDS.isdisjoint(seen) and _BILLING.isdisjoint(seen)


# Verbs that load a stored balance, and the balances: Indonesian "isi (ulang) saldo", Turkish
# "bakiye yükle", Spanish "cargar saldo", Portuguese "carregar saldo", German "Guthaben
# aufladen", Dutch "tegoed opwaarderen"; English "reload" a balance or wallet ("load" is
# left out: a load balance is a network's).
_LOADING = frozenset("isi yukle cargar carga carregar carrega aufladen opladen opwaarderen "
                     "reload".split())
_STORED_BALANCES = frozenset("saldo bakiye bakiyesi guthaben tegoed balance wallet dompet "
                             "cuzdan billetera carteira monedero".split())
# Conceding a dispute, and the disputes: "accept_dispute", "concede_chargeback_dispute".
_CONCEDING = frozenset("accept concede forfeit".split())
_DISPUTES = frozenset("dispute disputes".split())
# Restoring what was bought in an app store unlocks it again on another device.
# Loyalty points or miles redeemed, or converted into what they buy: "redeemPoints",
# "canjear_puntos", "punti_converti_buono" (into a voucher). Points are worth money to whoever
# holds them; converting them counts only into something of value ("convert data points"
# does not).
_REDEEMING = frozenset("redeem canjear canjea resgatar resgata einlosen riscatta riscattare "
                       "tukar".split())
_CONVERTING = frozenset("convert converti converte convertir convertire".split())
_REWARD_UNITS = frozenset("points punti puntos pontos punkte poin puan miles millas milhas"
                          .split())
_OF_VALUE = frozenset("voucher vouchers buono buoni vale cupon coupon coupons discount "
                      "sconto descuento desconto credit credito cash giftcard".split())
# A bill kept open under another name, voided.
_VOIDING = frozenset(("void",))
_TABS = frozenset("tab tabs folio folios".split())
# Verbs `financial` finds money for with no paid word in sight, which the money stage's
# quick test must let through.
MONEY_WITHOUT_PAID_WORDS = _LOADING | _CONCEDING | _REDEEMING | _CONVERTING | _VOIDING
_RESTORING = frozenset(("restore",))
_PURCHASES = frozenset("purchase purchases".split())


def financial(kind: str | None, verb: str | None, words: list[str],
              money: Callable[[], bool], evidence: list[str], where: str = "name",
              unpaid: Callable[[str], bool] | None = None) -> bool:
    """Does acting with this verb on these words move money or change what someone pays or
    is owed? `money()` says whether money is in sight around them (asked only if needed);
    `unpaid(head)`, when given, says a head that is usually paid for is not paid for here."""
    if verb is not None and not v.HYPOTHETICAL.isdisjoint(words) and hypothetical(words, verb):
        return False  # "preview_subscription_update": works out what it would do, does nothing
    if not PRETEND.isdisjoint(words):
        return False  # "paper_market_order", "mock_payment": a pretence moves no money
    if kind == v.MONEY:
        evidence.append(f"verb {quoted_word(verb or '')} moves money")
        return True
    if verb is None or kind is None or kind == v.READ:
        return False
    if verb in _LOADING and not _STORED_BALANCES.isdisjoint(words):
        # "isi_saldo", "bakiye_yukle", "cargar_saldo": a balance loaded is money paid in to
        # be spent later, as a top-up is.
        balance = next(w for w in words if w in _STORED_BALANCES)
        evidence.append(f"{where} noun {quoted_word(balance)}: '{verb}' loads money onto it")
        return True
    if where == "name" and not _REWARD_UNITS.isdisjoint(words) and (
            verb in _REDEEMING or (verb in _CONVERTING and not _OF_VALUE.isdisjoint(words))):
        # In the name only: a catalogue's "Rewards a member can redeem points for" names
        # what points buy, and spends none.
        units = next(w for w in words if w in _REWARD_UNITS)
        evidence.append(f"{where} noun {quoted_word(units)}: '{verb}' spends what they are "
                        "worth")
        return True
    if verb in _VOIDING and object_head(words, verb) in _TABS:
        # "voidTabItem": "Void a line item on a lane's bar tab": a tab or folio is a bill
        # kept open, and a line voided on it is no longer owed (a browser's tab is closed,
        # never voided).
        evidence.append(f"{where} noun 'tab': '{verb}' changes what someone owes")
        return True
    if verb in _CONCEDING and object_head(words, verb) in _DISPUTES:
        # "accept_dispute": conceding a card dispute gives the disputed amount back to the
        # cardholder (opening or answering one moves nothing yet).
        evidence.append(f"{where} noun 'dispute': '{verb}' gives up the amount disputed")
        return True
    if verb not in v.MONEY_IF_CONTEXT and PAID_HEADS.isdisjoint(words):
        # Nearly every tool: no word the verb could act on is paid or owed (what it acts on
        # is always one of these words), so nothing below could say it moves money.
        return False
    if not WATCHING.isdisjoint(words):
        return False  # "track_invoice": watches whether it is paid, changes nothing owed
    if verb in _FILING:
        return False  # "upload_receipt", "attach_invoice_pdf": hands over a file
    if verb in _ANNOTATING:
        return False  # "tag_transaction", "categorize_expense": a label for the books
    if not _COPIES.isdisjoint(words):
        return False  # "backup_ledger", "Save a copy of the books": a copy moves no money
    if verb in _REPORTING and not _REPORTS.isdisjoint(words):
        return False  # "generate_expense_report": a report about money moves none
    head = object_head(words, verb)
    if verb in _RECOMPUTING and head in _BOOKS:
        return False  # "recalculate_ledger": figures worked out again from what is recorded
    if verb in _STATES and head is not None and head.endswith("s") and verb not in words[:1]:
        return False  # "orders_open", "Open paper positions": which ones are open, a state
    after = object_head(words, verb, after_only=True) if verb in v.MONEY_IF_CONTEXT else ""
    if verb in _BILLS_SOMEONE and after in v.PAYERS:
        # "charge_customer", "bill_card": charging a payer takes money, whatever else is in
        # sight ("charge_battery" charges no payer).
        evidence.append(f"verb {quoted_word(verb)} of {quoted_word(after)} takes money")
        return True
    if unpaid is not None and (head in _SUBSCRIPTIONS or after in _SUBSCRIPTIONS) and unpaid(
            head if head in _SUBSCRIPTIONS else after or ""):
        return False  # "delete_subscription" of a webhook, "renew" one to change events
    if verb in CARD_MAKING and after in CARDS and unpaid is not None and unpaid(after):
        return False  # "Issue an access card", "order_card": a card is made, no money moves
    if after is None and verb in _DELIVERING and _sends_a_message(words, verb):
        return False  # "invoice_reminder_send": the reminder is sent, no money
    if verb in v.MONEY_IF_CONTEXT and (after is None or money_noun(after)
                                       or after in v.MONEY_MOVEMENT_NOUNS
                                       or after in v.PAYERS) and money():
        # "send_money", "transfer_funds", "charge_customer", a bare "withdraw" with an
        # amount; not "send_message" or "withdraw_offer".
        evidence.append(f"verb {quoted_word(verb)} with money in sight moves money")
        return True
    if head in _PLANS and verb in _PLAN_CHANGES:
        # "upgrade_plan": moving to another paid plan changes what is paid.
        evidence.append(f"{where} noun {quoted_word(head)}: '{verb}' changes what is paid")
        return True
    if head in _POSITIONS and verb in _POSITION_ACTS:
        # "close_position": closing or opening a position trades, whatever is in sight.
        evidence.append(f"{where} noun {quoted_word(head)}: '{verb}' trades")
        return True
    if head in _BILLING_DOCUMENTS and (head == "upd" or _closing_document(words, head)):
        # "Delete a closing document (UPD/Act)", "Create UPD (universal transfer document)":
        # the act or UPD that closes a sale bills the buyer, as an invoice does.
        evidence.append(f"{where} noun {quoted_word(head)}: a closing document bills the buyer")
        return True
    if (verb in _SETTLING and head in _PROOFS and _PAID_PROOF.intersection(words)):
        # "lb_payment_verification_approve": approving the proof of a payment settles the bill.
        evidence.append(f"{where} noun {quoted_word(head)}: '{verb}' of a payment's proof "
                        "settles what is owed")
        return True
    if verb in _RESTORING and head in _PURCHASES:
        return False  # "restore_purchases": what was bought is unlocked again, nothing paid
    if head is not None and (money_object(head) or (money_object_if_context(head)
                                                    and money())):
        evidence.append(f"{where} noun {quoted_word(head)}: '{verb}' changes what someone pays or "
                        "is owed")
        return True
    if head is not None and head in _MONEY_THING_HEADS and (
            thing := _money_thing(words, verb, head)) is not None:
        evidence.append(f"{where} noun {quoted_word(thing)}: '{verb}' changes what someone pays, "
                        "is owed or can spend")
        return True
    first = _head_first(words, verb, head)
    if first is not None:
        evidence.append(f"{where} noun {quoted_word(first)}: '{verb}' changes what someone pays "
                        "or is owed")
        return True
    return False


def _head_first(words: list[str], verb: str, head: str | None) -> str | None:
    """The money object right after a verb of another language that leads the name, when
    more words follow it: those languages name the thing acted on first and what it is of or
    paid by after ("crear_factura_cliente", "prijmout_platbu_kartou": a payment by card), where
    English puts the head last; or the one right before such a verb that the name leads with
    the thing it acts on ("factura_enviar_correo": the invoice sent by mail), unless a
    message follows ("factuur_versturen_herinnering" sends a reminder of it). None
    otherwise."""
    at = words.index(verb) if verb in words else -1
    if at < 0 or verb in v.VERBS:
        return None
    if (at > 0 and words[at - 1] != head and money_object(words[at - 1])
            and _REMINDERS.isdisjoint(words[at + 1:])):
        return words[at - 1] if european_kind(verb) is not None else None
    if at + 2 >= len(words) or words[at + 1] == head:
        return None
    first = words[at + 1]
    return first if money_object(first) and european_kind(verb) is not None else None


# Messages a verb of sending may stand after, at the end of a name: "payment_reminder_send".
_MESSAGES = frozenset(
    "reminder reminders notification notifications notice notices message messages email "
    "emails sms alert alerts letter letters newsletter newsletters".split())
# ... and reminders named in other languages, after a verb of theirs that sends.
_REMINDERS = _MESSAGES | frozenset(
    "herinnering herinneringen recordatorio recordatorios lembrete lembretes promemoria "
    "erinnerung erinnerungen".split())


def _sends_a_message(words: list[str], verb: str) -> bool:
    """Does the verb of sending end the name right after a message ("invoice_reminder_send")?"""
    at = words.index(verb) if verb in words else -1
    return at > 0 and at == len(words) - 1 and words[at - 1] in _MESSAGES


# Issuing, ordering or sending a card makes the card (a payment card, a keycard); funds move
# only onto one that holds them: a gift or prepaid card, or one given an amount ("Issue a gift
# card with an initial balance", a virtual card with `spendLimit` and `currency`).
CARD_MAKING = frozenset("issue order send".split())
CARDS = frozenset("card cards keycard keycards".split())
FUNDED_CARDS = frozenset("gift prepaid giftcard giftcards balance value".split())


# Money things named in plain English by a money word before a head that alone names none:
# stored value on a gift or prepaid card ("mkt_crea_gift_card", "Load value onto a prepaid
# card"), the run or program that makes the payments due ("F110_PAYMENT_RUN_EXECUTE":
# "Executes the automatic payment program"), a document posted to the books ("Posts an
# accounting document"), and a check paid in ("deposit_check"; a check run or
# verified is none). Acting on one changes what someone pays, is owed or can spend.
_STORED_VALUE = frozenset("gift prepaid".split())
_PAYMENTS_MADE = frozenset("payment payments payout payouts".split())
_PAYMENT_RUNS = frozenset("run runs program programs batch batches".split())
_POSTED = frozenset("document documents".split())
_CHECKS = frozenset("check checks".split())
_PAYING_IN = frozenset("deposit cash".split())
_MONEY_THING_HEADS = CARDS | _PAYMENT_RUNS | _POSTED | _CHECKS


def _money_thing(words: list[str], verb: str, head: str) -> str | None:
    """The money thing (two words) the head noun and the word before it name, or None; not
    when a message follows it ("Re-deliver a previously issued gift card email")."""
    if head in _CHECKS:
        return head if verb in _PAYING_IN else None
    at = len(words) - 1 - words[::-1].index(head) if head in words else 0
    before = words[at - 1] if at > 0 else ""
    if not _MESSAGES.isdisjoint(words[at + 1:]):
        return None
    if ((head in CARDS and before in _STORED_VALUE)
            or (head in _PAYMENT_RUNS and before in _PAYMENTS_MADE)
            or (head in _POSTED and before == "accounting")):
        return f"{before} {head}"
    return None


# The documents that close a sale in the accounting of Russia and its neighbours (an act of
# completed work, a UPD: an invoice and a waybill in one), as servers write them in English.
_BILLING_DOCUMENTS = frozenset("document documents doc docs upd".split())


def _closing_document(words: list[str], head: str) -> bool:
    at = words.index(head)
    return at > 0 and words[at - 1] == "closing"


# Approving the proof that a payment was made settles the bill it pays.
_SETTLING = frozenset("approve accept".split())
_PROOFS = frozenset("verification verifications proof proofs".split())
_PAID_PROOF = frozenset("payment payments transfer transfers".split())


# Verbs that take money from whoever is named after them.
_BILLS_SOMEONE = frozenset(("charge", "bill"))
# Verbs that are also the state of what they name: "open orders" are orders that are open.
_STATES = frozenset(("open",))


def hypothetical(words: list[str], verb: str) -> bool:
    """Does a word before the verb make the act a what-if ("preview_transaction_create",
    "simulate_refund", "dry_run_payment")?"""
    if v.HYPOTHETICAL.isdisjoint(words):
        return False
    for word in words:
        if word == verb:
            return False
        if word in v.HYPOTHETICAL:
            return True
    return False


def paying_word(desc: DescriptionVerbs, reads: bool = False) -> str | None:
    """A money verb inside the first sentence acting on something ("Fetch a URL, automatically
    paying any challenge", "Signup: pay a 100-sat fee"): the tool spends money on the way,
    whatever its lead verb. The verb must be followed by what is paid (an article or
    quantifier), and not be negated ("without paying", "never pays"). In a reader's sentence
    (`reads`) only the tool's own doing counts ("paying ...", "pays ..."), not a purpose
    ("the methods a customer can use to pay an invoice")."""
    words = desc.words if len(desc.words) <= 40 else desc.words[:40]  # read, never changed
    forms = not _PAYING_FORMS.isdisjoint(words)  # most tools: none
    # Past the first sentence too, but only where the word is there at all: tokenising the
    # rest of every description would cost more than the whole rule is worth.
    automatic = (_automatic_paying(words) if forms else None) or (
        _automatic_paying(desc.rest()[:60]) if desc.text.find("automatic", 0, 600) >= 0
        else None)
    if automatic is not None:
        return automatic
    if not forms:
        return None
    for at, word in enumerate(words[:-1]):
        if at == 0 or word not in _PAYING_FORMS or words[at + 1] not in _PAID_OBJECTS:
            continue
        verb = word if word in v.PAYING_VERBS else base_verb(word)
        if verb not in v.PAYING_VERBS or words[at - 1] in _NEGATIONS:
            continue
        if word != verb and word[-1:] == "s" and (words[at - 1] in _DETERMINERS
                                                  or words[at - 1] == "app"):
            continue  # "List the in-app purchases the user owns": a plural noun, no verb
        if words[at - 1] == "to" and at >= 2 and words[at - 2] in _ASKED_BEFORE:
            continue  # "Decide whether to buy one game": whether to pay is weighed
        if verb == "charge" and not _POWERED.isdisjoint(words[at + 2:at + 4]):
            continue  # "Start charging a vehicle at a charge point": power, not money
        if word == verb and (reads or not any(money_noun(w) for w in words[at + 2:at + 6])):
            # The bare verb may be anyone's ("where buyers pay the merchant"): only paying
            # for money ("pay a 100-sat activation fee") counts, and never in a reader's.
            continue
        if reads and (not word.endswith("ing") or words[at - 1] in _MODALS):
            continue  # "Returns what the customer pays the merchant": a reader's fact
        return word
    return None


def _automatic_paying(words: list[str]) -> str | None:
    """A paying form right after "automatically" ("this tool will automatically pay the 402
    challenge", "automatically paying using nanopayments"): the tool itself pays, whatever
    follows and whether or not it is a reader."""
    if _PAYING_FORMS.isdisjoint(words):
        return None
    for at, word in enumerate(words[1:], 1):
        if word not in _PAYING_FORMS:
            continue
        before = words[max(0, at - 4):at]
        # "automatically pay", "automatically negotiate and pay the invoice"
        if before[-1] in _AUTOMATIC or (before[-1] in CONNECTORS and not _AUTOMATIC.isdisjoint(
                before[:-1])):
            if _NEGATIONS.isdisjoint(before):
                return word
    return None


_AUTOMATIC = frozenset("automatically auto autonomously".split())


# The money verbs as they appear in a sentence: "pay", "pays", "paying", "purchasing".
_PAYING_FORMS = frozenset(
    form for verb in v.PAYING_VERBS
    for form in (verb, verb + "s", verb + "es", verb + "ing", verb[:-1] + "ing",
                 verb + verb[-1] + "ing"))
_PAID_OBJECTS = frozenset("a an any the each every your their its one".split())
_NEGATIONS = frozenset("not never without no nor don doesn cannot before".split())
_ASKED_BEFORE = frozenset(("whether",))
# What is charged with power, not with a price.
_POWERED = frozenset(
    "vehicle vehicles car cars ev evs battery batteries device devices phone phones laptop "
    "laptops fleet scooter scooters bike bikes truck trucks bus buses drone drones".split())
_MODALS = frozenset("to can could may might will would must should shall".split())


def converted_into(words: list[str]) -> str | None:
    """The money object a conversion makes ("convert_estimate_to_invoice",
    "turn_quote_into_order"), or None."""
    if not words or words[0] not in v.CONVERTERS:
        return None
    for at, word in enumerate(words[1:-1], 1):
        if word in ("to", "into") and money_object(words[at + 1]):
            return words[at + 1]
    return None


def launched_money(words: list[str]) -> str | None:
    """The money object a launcher verb starts ("initiate_payment", "Begin a transfer of
    funds" -> payment, transfer): starting a payment is making it. None otherwise."""
    if len(words) < 2:
        return None
    first = words[0]
    if first not in v.LAUNCHERS:
        # A description's verb is inflected: "Initiates a payment", "Starts a transfer".
        first = first[:-1] if first.endswith("s") else first
        if first not in v.LAUNCHERS:
            return None
    if not WATCHING.isdisjoint(words[:8]):
        return None
    if words[1].endswith("ing") or base_verb(words[1]) is not None:
        return None  # "Start tracking ...", "initiate refund_check": another act is started
    head = object_head(words[:8], words[0], after_only=True)
    return head if money_object(head) else None


# What a change touches when it leaves the amounts alone: an order's addresses, a
# transaction's customer information, an invoice's note.
_DETAILS = frozenset(
    "information info address addresses note notes contact contacts metadata email emails "
    "phone name names description title tag tags label labels comment comments attachment "
    "attachments memo date dates selection selections".split())
_CONJUNCTIONS = frozenset((",", "or", "and"))


_CARTS = frozenset("cart carts basket baskets bag".split())
# What is made from a cart when it is paid for.
_PLACED = frozenset("order orders purchase purchases payment payments checkout".split())
_ARTICLES = frozenset("a an the your their this its".split())


def on_cart(desc: DescriptionVerbs) -> bool:
    """Does the first sentence put what it changes on a shopping cart ("Set the tip amount on
    the cart", "Apply a gift card to a cart")? A cart is not yet an order: nothing is paid
    until the order is placed ("Place an order from a cart", "Places an order for the items in
    the cart" are not one of these)."""
    words = desc.words[:30]
    if _CARTS.isdisjoint(words):
        return False
    if not _PLACED.isdisjoint(description_object(desc)):
        return False  # "Places an order for the items in the cart": the order is what it makes
    for at, word in enumerate(words[:-1]):
        if word in ("on", "to", "in", "into"):
            after = words[at + 1]
            if after in _ARTICLES and at + 2 < len(words):
                after = words[at + 2]
            if after in _CARTS:
                return True
    return False


# Nouns of a money act, English and other languages, that a description without a verb may
# open with to say what the tool does: "Off-cycle payment sent immediately", "Reembolso parcial
# ou total de um atendimento", "Terugbetaling van een bestelling", "Verkauf einer Jahreskarte".
# Only acts: an "invoice" or an "order" named first may be what a reader returns.
_MONEY_ACT_NOUNS_ABROAD = frozenset(
    """
    reembolso rimborso remboursement erstattung terugbetaling pagamento pago zahlung betaling
    platba verkauf venta venda vendita uberweisung ueberweisung wyplata
    """.split())
_MONEY_ACT_NOUNS = _MONEY_ACT_NOUNS_ABROAD | frozenset(
    "payment refund reimbursement payout remittance withdrawal purchase sale payroll".split())
# Words that end the opening phrase besides English prepositions: "of", "for" and articles
# in other languages ("Reembolso de ...", "Terugbetaling van ...", "Verkauf einer ...").
_PHRASE_ENDS_ABROAD = frozenset(
    "de di del da do dos das della van voor von fur einer eines einem eine des der dem den "
    "du des au pour para per".split())
_OPENING = 5


def named_money_act(desc: DescriptionVerbs) -> str | None:
    """The money act a description without a leading verb names first ("Off-cycle bonus
    payment to an employee, paid by direct deposit", "Credit note for returned loaves"), or
    None. Only its opening phrase's head counts: "Payment status of an order" is a status;
    a title before a colon is an opening phrase too ("Off-cycle payroll: a one-off ...")."""
    words = desc.words[:_OPENING]
    if _MONEY_ACT_NOUNS.isdisjoint(words) and not ("credit" in words and "note" in words):
        return None  # nearly every tool: one set operation
    named = _opening_money_act(words)
    colon = desc.sentence.find(":", 0, 80) if named is None else -1
    if colon > 0:
        title = words[:len(sentence_tokens(desc.sentence[:colon]))]
        named = _opening_money_act(title) if title else None
    return named


def _opening_money_act(words: list[str]) -> str | None:
    if words[0] in _MONEY_ACT_NOUNS_ABROAD:
        return words[0]  # these languages put the head first: "Reembolso parcial ou total"
    phrase: list[str] = []
    for word in words:
        if (word in _OBJECT_ENDS or word in _PHRASE_ENDS_ABROAD or word in SEPARATORS
                or word == "e"):  # "e.g."
            break
        phrase.append(word)
    if len(phrase) >= 2 and phrase[-1] in _NOTES and phrase[-2] in _NOTED:
        return " ".join(phrase[-2:])  # a credit note lowers what is owed
    return phrase[-1] if phrase and phrase[-1] in _MONEY_ACT_NOUNS else None


def details_only(desc: DescriptionVerbs) -> bool:
    """Does the description's leading verb, one that changes existing data, act only on details that leave the
    amounts alone ("Update an order's billing/shipping addresses or customer note", "revise
    customer information for a billed transaction")? Every part of a list must be one."""
    if desc.lead is None or desc.kind != v.MODIFY:
        return False
    words = desc.words
    at = next((i + 1 for i, w in enumerate(words[:6])
               if w == desc.lead or base_verb(w) == desc.lead), None)
    if at is None:
        return False
    phrase = words[at:at + 10]
    if "s" in phrase[:4]:  # a possessive: "an order's addresses" acts on the addresses
        phrase = phrase[phrase.index("s") + 1:]
    heads: list[str] = []
    last: str | None = None
    for word in phrase:
        if word in _OBJECT_ENDS:
            break
        if word in _CONJUNCTIONS:
            if last is not None:
                heads.append(last)
            last = None
        elif word != "/":
            last = word
    if last is not None:
        heads.append(last)
    if not heads or not all(h in _DETAILS for h in heads):
        return False
    # A "credit note" is a money document, not a note about one.
    return not any(a in _NOTED and b in _NOTES for a, b in zip(phrase, phrase[1:]))


# Words that are not what a verb acts on: identifiers, version marks, generic heads ("tool"),
# and states ("mark_invoice_paid" acts on the invoice).
FILLER = frozenset(
    "id ids uuid v tool tools api apis manager service helper paid unpaid sent done complete "
    "completed closed active inactive archived bulk batch batched".split())
# Parts of a money document: an "invoice item" is still money, and so is an "order status"
# ("update_order_status" cancels or refunds the order).
_PARTS = frozenset(
    "item items line lines intent intents link links url urls page pages request requests "
    "status statuses state content contents".split())
# Prepositions after a phrase made only of parts that lead to the whole: the "line items to a
# purchase order" are the order's.
_PART_OF = frozenset("to of on from in into".split())
# A session is money only as a checkout or payment session; a "trade session" is a login.
_SESSIONS = frozenset("session sessions".split())
_SESSIONED = frozenset("checkout checkouts payment payments".split())
# A note is money only as a credit or debit note; an "order note" is a note.
_NOTES = frozenset("note notes memo memos".split())
_NOTED = frozenset("credit credits debit debits".split())
# Words that make the phrase a record of the past, not money: a "balance history entry",
# "historical balance entries", a "payment log".
_RECORDS = frozenset("history histories historical log logs audit audits".split())
# Verbs that make a report, and what they make: "generate_expense_report", "Export a payment
# report": a report about money moves none (submitting an expense report may ask for money,
# so only these verbs).
_REPORTING = frozenset("generate export compile produce render".split())
_REPORTS = frozenset("report reports".split())
# Entries and receipts that are no money: a "time entry" is worked hours (billed, if ever, by
# an invoice made from them), an "item receipt" or "goods receipt" records what was delivered.
_NOT_MONEY_QUALIFIERS = {
    "entry": frozenset("time timesheet hours hour work worklog".split()),
    "receipt": frozenset("item items goods delivery".split()),
}
# A tax or certificate authority is an office, a licence or user agreement a text to accept.
_NOT_MONEY_QUALIFIERS["authority"] = frozenset(
    "tax certificate cert ca signing root issuing intermediate".split())
_NOT_MONEY_QUALIFIERS["agreement"] = frozenset(
    "license licence user eula terms privacy data processing nda confidentiality".split())
_NOT_MONEY_QUALIFIERS["authorities"] = _NOT_MONEY_QUALIFIERS["authority"]
_NOT_MONEY_QUALIFIERS["agreements"] = _NOT_MONEY_QUALIFIERS["agreement"]
_NOT_MONEY_QUALIFIERS["entries"] = _NOT_MONEY_QUALIFIERS["entry"]
_NOT_MONEY_QUALIFIERS["receipts"] = _NOT_MONEY_QUALIFIERS["receipt"]
# Sales or marketing collateral is printed matter, not what secures a loan or a margin account.
_NOT_MONEY_QUALIFIERS["collateral"] = frozenset(
    "sales marketing brand branded print printed product promotional campaign".split())
# Verbs that hand over a file: uploading a receipt or attaching an invoice PDF moves no money.
_FILING = frozenset("upload attach".split())
# Verbs that only label what they act on: a tag, a category or a note moves no money.
_ANNOTATING = frozenset(
    "tag untag label relabel unlabel categorize categorise recategorize recategorise classify "
    "reclassify annotate comment star unstar pin unpin".split())
# Verbs that shelve a document without changing it: archiving, hiding or pinning an invoice
# changes where it shows, not what is owed.
_SHELVING = frozenset(
    "archive unarchive hide unhide pin unpin star unstar favorite favourite unfavorite "
    "bookmark".split())
# What a description says of a shelved document that is only hidden ("hidden from default
# views"); archiving that also cancels payments or takes the document out of its workflows
# may stop what is owed.
_HIDDEN = frozenset("hidden hide hides hiding invisible visible visibility views".split())
_STOPPING = frozenset("cancel cancels cancelled canceled void voids terminate terminates".split())


# A fiscal or tax receipt is the record a till sends the tax office for a sale already paid
# ("Emit a final (second) 54-FZ fiscal receipt after a prepayment sale"): nothing is billed.
_FISCAL = frozenset("fiscal tax".split())
_RECEIPTS = frozenset("receipt receipts".split())


def fiscal_receipt(words: list[str], verb: str | None, desc: DescriptionVerbs) -> bool:
    """Is what the tool's verb makes or changes (the head of `words`, the name's, or of the
    description's object) a fiscal or tax receipt, as the description's first sentence says?
    Not a payment made "with a fiscal receipt"."""
    if _RECEIPTS.isdisjoint(words) and _RECEIPTS.isdisjoint(desc.words[:12]):
        return False
    acted_on = description_object(desc)
    if object_head(words, verb or "") not in _RECEIPTS and (
            not acted_on or acted_on[-1] not in _RECEIPTS):
        return False
    first = desc.words[:20]
    return any(a in _FISCAL and b in _RECEIPTS for a, b in zip(first, first[1:]))


# What switches an automatic act on or off ("set_auto_add_margin": "Turn on/off
# auto-add-margin"): the setting is changed now, the act is done later, if ever, by the
# service.
_AUTOMATIC_SETTING = frozenset("auto autoadd autotopup".split())
_TURNING = frozenset("turn toggle switch".split())


def automation_switched(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Does the tool only switch on or off an act the service then does by itself: "auto"
    right before the name's verb, under a description that turns it on or off?"""
    if "auto" not in name.prefix[-1:]:
        return False
    return desc.words[:1] == ["enable"] and "disable" in desc.words[:4] or (
        bool(desc.words) and desc.words[0] in _TURNING)


# Copying records into accounting software moves none of their money ("Push approved
# transactions to the connected accounting system").
_COPYING = frozenset("push pushes sync syncs export exports upload uploads mirror".split())
_BOOKKEEPING = frozenset("accounting erp bookkeeping".split())


def copied_to_books(verb: str | None, desc: DescriptionVerbs) -> bool:
    """Does the description's copying verb send what it names to accounting software?"""
    if verb not in _COPYING or _BOOKKEEPING.isdisjoint(desc.words[:24]):
        return False
    words = desc.words[:24]
    at = next((i for i, w in enumerate(words) if w in ("to", "into")), None)
    return at is not None and not _BOOKKEEPING.isdisjoint(words[at:at + 6])


# A switch set as a timer ("creates, updates, or deletes a kill-switch timer"): it would
# cancel the desk's orders when the time runs out; setting it cancels none now.
_TIMERS = frozenset("timer timers countdown".split())


def timed_switch(desc: DescriptionVerbs) -> bool:
    """Does the description make the tool's switch a timer that fires later?"""
    words = [*desc.words[:40], *desc.rest()[:40]]
    return not _TIMERS.isdisjoint(words)


def shelved_only(verb: str | None, desc: DescriptionVerbs) -> bool:
    """Does an archiving (hiding, pinning) verb only hide what it shelves, as the description
    says ("Archive an invoice (hidden from default views, kept for records)"), cancelling
    nothing with it?"""
    if verb not in _SHELVING:
        return False
    words = desc.words[:30]
    return not _HIDDEN.isdisjoint(words) and _STOPPING.isdisjoint(words)


# Words that make the object a copy of the money records ("backup_ledger", "snapshot_books");
# "copy_invoice" makes a new invoice, so not "copy".
_COPIES = frozenset("backup backups snapshot snapshots".split())
# Verbs that work figures out again, and the whole books they may work on: recalculating a
# ledger rebuilds its totals from the entries, which stay as they are (recalculating an
# invoice changes what it bills, so only the books).
_RECOMPUTING = frozenset(
    "recalculate recompute rebuild reindex refresh resync recount rescan".split())
_BOOKS = frozenset("ledger ledgers book books".split())
# Words that make the act one of watching a money document, not changing it: "Start tracking
# an invoice for payment", "untrack_invoice".
WATCHING = frozenset("track tracking tracked untrack untracking".split())


# Qualifiers that make a subscription (or an order of events) a notification or a data
# stream, not money: an "alert subscription", a "market data subscription", a "WebSocket
# subscription".
_NOTIFYING = frozenset(
    "alert alerts anomaly event events webhook webhooks topic topics notification "
    "notifications email emails push feed rss channel channels data stream streams websocket "
    "ws quote quotes ticker tickers tick bar bars depth orderbook news".split())


_SUBSCRIPTIONS = frozenset("subscription subscriptions abo abos abonnement abonnements".split())


def object_head(words: list[str], verb: str, after_only: bool = False) -> str | None:
    """The head noun of what `verb` acts on in a name: the last word of the phrase after the
    verb (up to a preposition), or of the words before a verb that stands last. In
    "delete_saved_payment_method" it is "method": a payment method is no money moving."""
    try:
        at = words.index(verb)
    except ValueError:
        # A verb read from another form of it that ends the name ("facture_finaliser", the
        # French infinitive, whose English reading is the one who finalises): what it acts on
        # is what stands before it, as for a verb that stands last.
        last = words[-1] if words else ""
        at = len(words) - 1 if (verb and len(words) > 1 and last.startswith(verb[:-1])
                                and len(last) - len(verb) <= 2
                                and european_kind(last) is not None) else -1
    phrase: list[str] = []
    rest = words[at + 1:]
    for i, word in enumerate(rest):
        if word in _OBJECT_ENDS or word in CONNECTORS:
            if phrase and word in _PART_OF and all(w in _PARTS for w in phrase):
                # "add_line_items_to_purchase_order": the parts belong to what follows.
                whole = object_head(rest[i + 1:], "", after_only=True)
                if whole is not None:
                    return whole
            break
        if word not in FILLER and not word.isdigit():
            phrase.append(word)
    if phrase and phrase[-1] in _THE_CALL_ITSELF and at > 0 and all(
            w in _THE_CALL_ITSELF or v.VERBS.get(w) is not None for w in phrase):
        # "OrderCancelRequest", "OrderCancelReplaceRequest" (FIX messages): the request is
        # the call itself, and a verb before it joins the first ("cancel-replace"), so what
        # is acted on is named before the verb.
        phrase = []
    if not phrase and at > 0 and not after_only:
        phrase = [w for w in words[:at] if w not in FILLER and not w.isdigit()]
    if not phrase:
        return None
    if not _RECORDS.isdisjoint(phrase):
        return None
    head = phrase[-1]
    while len(phrase) > 1 and (head in _PARTS or (head in _NOTES and phrase[-2] in _NOTED)
                               or (head in _SESSIONS and phrase[-2] in _SESSIONED)):
        phrase = phrase[:-1]  # an "order line item" is the order's
        head = phrase[-1]
    if len(phrase) > 1 and phrase[-2] in _NOTIFYING and head in _SUBSCRIPTIONS:
        return None  # an "alert subscription" or "webhook subscription" is no money; a
        # "push payment" is a payment
    qualifiers = _NOT_MONEY_QUALIFIERS.get(head)
    if qualifiers is not None and len(phrase) > 1 and phrase[-2] in qualifiers:
        return None  # a "time entry", an "item receipt"
    return head


# Words after a verb that name the call itself, not what it acts on: "OrderCancelRequest".
_THE_CALL_ITSELF = frozenset("request requests".split())


# What follows an action's name where a text explains it: "settle: PAY ...", "- buy - Purchase".
_SAID_AS = r"[\"'`*]*\s*[:=\u2013\u2014-]+\s*([A-Za-z]+)"


_SAID_AS_AFTER = re.compile(_SAID_AS)
# What may not stand right before an action's name for the text to explain it ("re-settle",
# "unsettle" hold no "settle").
_JOINED_BEFORE = re.compile(r"[\w-]")


def _said_as(key: str, lowered: str) -> Iterator[str]:
    """The word after each mention of the action `key` in `lowered` that explains it ("settle:
    PAY ..." gives "pay"), as `re.finditer` would find them for `key` + `_SAID_AS` with nothing
    of a word before `key`. A scan for the name and one precompiled pattern at each mention:
    compiling a pattern per action name cost more than all the searches (servers rarely repeat
    an action name, so a cache of them never paid)."""
    at = lowered.find(key)
    while at >= 0:
        end = at + len(key)
        found = None
        if at == 0 or _JOINED_BEFORE.match(lowered, at - 1) is None:
            found = _SAID_AS_AFTER.match(lowered, end)
        if found is not None:
            yield found.group(1)
            at = lowered.find(key, found.end())
        else:
            at = lowered.find(key, at + 1)


def paying_actions(schema: Any, argument: str, values: tuple[str, ...],
                   description: str = "") -> dict[str, str]:
    """Actions of a multi-action tool that its own text says pay: "settle: PAY an agreement's
    endpoint" in the action argument's description, or "- buy: Purchase ..." in the tool's.
    {action value: the paying verb}; empty for most tools (a substring test first)."""
    props = schema.get("properties") if type(schema) is dict else None
    prop = props.get(argument) if type(props) is dict else None
    texts = [prop.get("description")] if type(prop) is dict else []
    texts.append(description)
    out: dict[str, str] = {}
    for text in texts:
        if type(text) is not str or not text:
            continue
        text = text[:4000]
        lowered = text.lower()
        for value in values[:50]:
            if type(value) is not str or not value or value in out:
                continue
            key = value.lower()
            if key not in lowered:
                continue
            for word in _said_as(key, lowered):
                verb = word if word in v.VERBS else base_verb(word) or word
                if verb in v.PAYING_VERBS or v.VERBS.get(verb) == v.MONEY:
                    out[value] = verb
                    break
    return out


# What one reads about a money act named by its noun: a "refund status", "payment details".
FACETS = frozenset(
    "status statuses state states detail details info information result results history "
    "progress".split())


def money_noun_read(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Is the name's money verb a noun whose state is read ("refund_status", "Check the
    current state of a refund request")? Only a word that may be a noun, followed in the name
    by what is read of it, with a description that plainly leads with reading. A verb that
    moves money only with money in sight counts too ("transfer_quote", "swap_quote")."""
    if name.verb is None or (name.kind != v.MONEY and name.verb not in v.MONEY_IF_CONTEXT):
        return False
    if desc.kind != v.READ or desc.indirect:
        return False
    words = name.words
    try:
        at = words.index(name.verb)
    except ValueError:
        return False
    rest = [w for w in words[at + 1:] if w not in FILLER]
    if not rest:
        return False
    # A quote or an estimate of the act ("swap_quote": "Retrieve a swap quote") reads what it
    # would be, whatever the verb; a state is read only of a word that may be a noun.
    return rest[-1] in WHAT_IFS or (name.ambiguous and rest[-1] in FACETS)


def server_handles_money(names: Iterable[str]) -> bool:
    """Is money the server's business: at least 3 of its tools, and a fifth of them, have a
    money noun in their names (a budgeting app's "delete_transaction" is then money even where
    its own text names none)?"""
    total = with_money = 0
    for text in names:
        total += 1
        words = name_words(text) if type(text) is str else ()
        if not ALL_MONEY_NOUNS.isdisjoint(words):
            with_money += 1
    return with_money >= 3 and with_money * 5 >= total


# Marking a money document paid records that it was paid: "mark_invoice_paid",
# "invoice_mark_paid" (whose first word a name of nouns may take for its verb), "set_bill_paid".
# A marking verb must be there: "send_unpaid_invoice_reminder" marks nothing.
_PAID_STATES = frozenset("paid unpaid".split())
_MARKING = frozenset("mark set flag record".split())


def marked_paid(words: list[str]) -> str | None:
    """The money document a name marks paid or unpaid ("invoice_mark_paid" -> invoice), or
    None."""
    if _PAID_STATES.isdisjoint(words) or _MARKING.isdisjoint(words):
        return None
    return next((w for w in words if money_object(w)), None)


# Booking travel or a seat at a show is buying it: "book_flight", "train_book",
# "reserve_hotel", "cancel_flight_booking". Only what is sold by the seat or the night counts:
# booking an appointment, a meeting room or a table is free.
_BOOKING = frozenset("book books reserve reserves booking bookings reservation reservations"
                     .split())
_SOLD_BY_THE_SEAT = frozenset(
    """
    flight flights airfare airfares fare fares hotel hotels train trains rail ticket tickets
    cinema movie concert concerts theatre theater cruise cruises trip trips tour tours
    """.split())


def booked_travel(words: list[str]) -> str | None:
    """What a booking in these words buys ("book_flight" -> flight, "train_book" -> train),
    or None. `words` are a name's, or a description's first words (its lead must book)."""
    if _BOOKING.isdisjoint(words):
        return None
    return next((w for w in words if w in _SOLD_BY_THE_SEAT), None)


def description_books(desc: DescriptionVerbs) -> str | None:
    """What a description leading with booking buys ("Book a flight for the passenger"), or
    None. Only its first words: "Search flights; the user may then book one" books nothing."""
    words = desc.words[:6]
    if not words or words[0] not in _BOOKING:
        return None
    return booked_travel(words)


# Accepting a price quote makes the trade or order it prices: "convert_confirm" ("Confirms an
# estimated quote"), "accept_quote", "execute_swap_quote". Getting or making a quote reads.
_ACCEPTING = frozenset("accept accepts confirm confirms execute executes".split())
_QUOTES = frozenset("quote quotes".split())


def accepted_quote(words: list[str]) -> str | None:
    """The accepting verb when `words` accept a quote after it ("accept_quote", "confirm an
    estimated quote"), or None."""
    for at, word in enumerate(words[:8]):
        if word in _ACCEPTING:
            return word if not _QUOTES.isdisjoint(words[at + 1:at + 5]) else None
    return None


# A coupon or discount put on (or taken off) what is billed changes what is paid:
# "apply_coupon" to a subscription, "redeem_promo" on an invoice. Not on a cart (`on_cart`:
# nothing is paid until the order is placed), and not a coupon made or listed.
_DISCOUNTS = frozenset("coupon coupons discount discounts promo promotion promocode".split())
_APPLYING = frozenset("apply redeem attach detach remove".split())
_BILLED = frozenset(
    "subscription subscriptions invoice invoices order orders customer customers".split())


def applied_discount(words: list[str], desc: DescriptionVerbs) -> str | None:
    """The discount a name applies to or takes off a subscription, an invoice, an order or a
    customer ("cb_apply_coupon": "Coupon applied to an active subscription"), or None."""
    if _DISCOUNTS.isdisjoint(words) or _APPLYING.isdisjoint(words):
        return None  # nearly every tool: two set operations
    seen = desc.words[:20]
    if _BILLED.isdisjoint(words) and _BILLED.isdisjoint(seen):
        return None
    if not _CARTS.isdisjoint(words) or not _CARTS.isdisjoint(seen):
        return None
    return next(w for w in words if w in _DISCOUNTS)


# A limit on what may be spent, set to an amount, is money's own setting: "set_spend_limit",
# "raise_card_limit", "cartao_limite_ajustar". A rate limit or a memory limit is not; nor is
# a spend limit made, suspended or updated ("update_spend_limit" may rename it or change who
# may use it): only the verbs that set how much.
_LIMITS = frozenset("limit limits limite limites".split())
_SPENDING = frozenset(
    "spend spending card cards credit purchase purchases withdrawal payment payments transfer "
    "transaction cartao tarjeta credito".split())


_SETTING_AMOUNTS = frozenset(
    "set sets raise raises lower lowers increase increases decrease decreases adjust adjusts "
    "change changes ajustar ajusta ajuste aumentar reduzir".split())
# ... and updating one that is a card's or a credit limit ("updateCardLimits": "Change the spend
# limit ... on an existing card"), which is an amount and nothing else.
_UPDATING = frozenset("update updates".split())
_AMOUNT_LIMITS = frozenset("card cards credit cartao tarjeta credito".split())


def spend_limit(words: list[str]) -> str | None:
    """The words naming a spending limit a verb of `words` sets ("spend limit", "cartao
    limite"), or None. The qualifier may stand on either side: "card_limit_set",
    "limite_credito_ajustar"."""
    if _LIMITS.isdisjoint(words) or (_SETTING_AMOUNTS.isdisjoint(words)
                                     and _UPDATING.isdisjoint(words)):
        return None
    setting = not _SETTING_AMOUNTS.isdisjoint(words)
    for at, word in enumerate(words):
        if word in _LIMITS:
            near = words[max(0, at - 1):at] + words[at + 1:at + 2]
            spent = next((w for w in near if w in _SPENDING
                          and (setting or w in _AMOUNT_LIMITS)), None)
            if spent is not None:
                return f"{spent} {word}"
    return None


# Putting funds into a yield product, or taking them out, moves money: "allocate_earn",
# "subscribe_savings_product", "deallocate_staking". Allocating a device or a port does not.
_FUNDING = frozenset("allocate deallocate subscribe".split())
_YIELD_PRODUCTS = frozenset("earn savings staking vault vaults".split())


def funded_product(words: list[str]) -> str | None:
    """The yield product a name puts funds into or takes them from ("allocate_earn" -> earn),
    or None."""
    if words and len(words) <= 3 and words[-1] in _FUNDING and words[0] in _YIELD_PRODUCTS:
        return words[0]  # "earn_subscribe": the verb after the product, as namespaces write it
    if not words or words[0] not in _FUNDING:
        return None
    return next((w for w in words[1:4] if w in _YIELD_PRODUCTS), None)


# Checking out a shopping cart pays for what was picked: "grocery_checkout", "checkout_cart".
# What is checked out must be a cart or shopping: a bare "checkout" may be a library loan, a
# version control checkout or an order left waiting for payment, money in sight or not. Not
# with a what-if in the name ("checkout_preview" shows the total).
_CHECKOUTS = frozenset("checkout checkouts".split())
_SHOPPING = _CARTS | frozenset("grocery groceries shopping shop".split())


def checks_out(words: list[str]) -> bool:
    """Does a name check out a shopping cart? "checkout" must be the name's command, first or
    closing a two-word name: "update_checkout_settings" changes settings of a checkout page."""
    if not words or not (words[0] in _CHECKOUTS or (len(words) <= 2 and words[-1] in _CHECKOUTS)):
        return False
    if not v.HYPOTHETICAL.isdisjoint(words) or not WHAT_IFS.isdisjoint(words):
        return False
    return not _SHOPPING.isdisjoint(words)


# The words of a name one of `marked_paid`, `checks_out`, `booked_travel`, `accepted_quote`,
# `applied_discount`, `spend_limit` and `funded_product` needs: a name with none of them is none
# of those acts (nearly every name, told by one set operation).
NAME_SETTLING_WORDS = (_PAID_STATES | _CHECKOUTS | _BOOKING | _ACCEPTING | _DISCOUNTS | _LIMITS
                       | _FUNDING)


# An amount argument named for what is done with it says the tool does it: "dev_buy_amount"
# (a token launch that buys on the way), "deposit_amount" (a channel opened with funds in
# it), "stake_amount". An amount on its own may be a filter or a price to show.
_SPENT_AMOUNT = re.compile(
    r"^(?:[a-z]*?)(buy|pay|purchase|deposit|stake|spend|swap|bet|wager|fund|topup|withdraw|"
    r"withdrawal|transfer|send|charge)(?:ing)?(?:amount|amt|sum)(?:cents|sats|lamports|wei|"
    r"minor|usd)?$")


# Switches that, set, give money back or bill the difference: "refund", "issue_refund",
# "prorate" on a cancel or a change.
_REFUND_SWITCHES = frozenset("refund issuerefund refundpayment withrefund prorate".split())


def refund_switch(schema: Any) -> str | None:
    """A boolean argument of an acting tool that refunds or prorates when set ("refund"), or
    None."""
    return money_arguments(schema).refund_switch


def spending_argument(schema: Any) -> str | None:
    """An argument naming an amount to buy, pay, deposit or stake with ("dev_buy_amount",
    "depositAmount"). Its name, or None."""
    return money_arguments(schema).spending


# What an argument's name alone says it may be, as bits: who may spend (`spender_argument`),
# an amount to spend (`spending_argument`), a refund switch (`refund_switch`, which also asks
# that the argument be a boolean).
_SPENDER_NAME, _SPENDING_NAME, _REFUND_NAME = 1, 2, 4


def _argument_name_marks(arg: str) -> int:
    """The bits of what the argument named `arg` may be. The substring tests come first: most
    names are none of these, and normalising costs more."""
    marks = 0
    if "pender" in arg and normalize(arg[:40]) in SPENDER_ARGUMENTS:
        marks |= _SPENDER_NAME
    if "m" in arg and _SPENT_AMOUNT.match(normalize(arg[:60])) is not None:
        marks |= _SPENDING_NAME
    if ("efund" in arg or "rorate" in arg) and normalize(arg) in _REFUND_SWITCHES:
        marks |= _REFUND_NAME
    return marks


class _ArgumentNameMarks(dict[str, int]):
    """`_argument_name_marks` of each argument name looked up (servers reuse the same few
    argument names across all their tools), emptied when it grows past a bound."""

    def __missing__(self, arg: str) -> int:
        marks = _argument_name_marks(arg)
        if len(self) >= 8192:
            self.clear()
        self[arg] = marks
        return marks


_ARGUMENT_NAME_MARKS = _ArgumentNameMarks()


class MoneyArguments(NamedTuple):
    """The arguments that move money by what they are named: each the first of its kind
    among the first 50, as `refund_switch`, `spender_argument` and `spending_argument` find
    it, or None."""

    refund_switch: str | None
    spender: str | None
    spending: str | None


_NO_MONEY_ARGUMENTS = MoneyArguments(None, None, None)


def money_arguments(schema: Any) -> MoneyArguments:
    """`refund_switch`, `spender_argument` and `spending_argument` of one schema, found in one
    pass over its arguments."""
    props = schema.get("properties") if type(schema) is dict else None
    if type(props) is not dict:
        return _NO_MONEY_ARGUMENTS
    switch = spender = spending = None
    for arg in props if len(props) <= 50 else islice(props, 50):
        if type(arg) is not str:
            continue
        marks = _ARGUMENT_NAME_MARKS[arg]
        if not marks:
            continue  # nearly every argument
        if marks & _REFUND_NAME and switch is None:
            spec = props[arg]
            if type(spec) is dict and spec.get("type") == "boolean":
                switch = arg
        if marks & _SPENDER_NAME and spender is None:
            spender = arg
        if marks & _SPENDING_NAME and spending is None:
            spending = arg
    if switch is None and spender is None and spending is None:
        return _NO_MONEY_ARGUMENTS
    return MoneyArguments(switch, spender, spending)
