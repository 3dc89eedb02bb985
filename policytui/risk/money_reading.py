"""Whether a tool that does one thing moves money: its verb acting on something paid or owed
(by name or by the description's object), what it makes or starts (an invoice, a payment),
money spent on the way, a free request to an API that handles money, an allowance granted, or
arguments shaped like a transfer (an amount with a payee, a destination or a trade side).

The word lists and rules are in `money`; this stage weighs them for one reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from policytui.risk import vocabulary as v
from policytui.risk.arguments import ArgumentShape
from policytui.risk.categories import CRITICAL, FINANCIAL, READ
from policytui.risk.descriptions import DescriptionVerbs
from policytui.risk.findings import Reading, quote
from policytui.risk.money import (
    CARDS,
    FACETS,
    FILLER,
    FUNDED_CARDS,
    MAKE_UP,
    MONEY_WITHOUT_PAID_WORDS,
    NAME_SETTLING_WORDS,
    PAID_HEADS,
    WHAT_IFS,
    MoneyRecord,
    accepted_quote,
    applied_discount,
    automation_switched,
    booked_travel,
    checks_out,
    confirms_a_check,
    converted_into,
    copied_to_books,
    data_subscription,
    description_books,
    description_object,
    details_only,
    financial,
    fiscal_receipt,
    for_reimbursement,
    funded_product,
    launched_money,
    listed_objects,
    mails_a_document,
    marked_paid,
    metered_usage,
    money_act,
    money_arguments,
    money_context,
    named_money_act,
    narrower_object,
    object_may_be_paid,
    on_cart,
    paying_word,
    possessed_items,
    pretended,
    quoted_word,
    raw_api_call,
    rebalanced,
    shelved_only,
    spend_limit,
    timed_switch,
    with_server_record,
)
from policytui.risk.money_given_back import (
    argument_words,
    deposit_given_back,
    orders_submitted,
    words_of,
    worth_asking,
)
from policytui.risk.money_groups import (
    billing_stopped,
    contract_call,
    launched_token,
    ledger_write,
    may_be_grouped,
    money_said_later,
    no_money_said,
    trading_bot,
    voucher_money,
)
from policytui.risk.money_said import (
    charged_on_the_way,
    money_act_opened,
    money_said_past_the_first_sentence,
)
from policytui.risk.names import NameVerbs
from policytui.risk.schema import SchemaFacts
from policytui.risk.words import sentence_tokens


def weigh_money(r: Reading, name: NameVerbs, desc: DescriptionVerbs, facts: SchemaFacts,
                schema: Any, shape: ArgumentShape, money_server: bool,
                money_record: MoneyRecord | None = None) -> None:
    """Make the reading Financial (Critical) when the tool moves money, saying why. A reader
    becomes Financial only on money it makes, spends or moves; `money_server` says money is
    the whole server's business, which lets verbs that need money in sight count;
    `money_record()` is the money document the server's words give as one of its generic
    records (`server_money_record`)."""
    was, first_said = (r.category, r.severity), len(r.evidence)
    if r.kind is not None and r.kind not in (v.READ, v.MONEY):
        # The verb the reading rests on, so that it is not taken for its own object.
        acting: str | None
        told: list[str] | None = None
        if name.last is not None and name.last_kind == r.kind:
            acting = name.last
        elif name.verb is not None and name.kind == r.kind:
            acting = name.verb
        else:
            acting = desc.lead if desc.kind == r.kind else name.verb or desc.lead
        if acting is None and name.words and name.kind is None and desc.kind is None:
            # A verb the tables lack ("collect_payments": "Collects payments ..."): the
            # name's first word is the command, and what it acts on may be money.
            # Or the name's later word the description leads with, unless that is a thing
            # paid: "giftcard.load": "Load value onto an existing gift card" loads, and the
            # gift card is what it acts on ("customer_refunds": "Refunds for a customer ...").
            lead = desc.words[0] if desc.words else None
            acting = lead if lead is not None and lead in name.words[1:] and (
                lead not in PAID_HEADS) else name.words[
                1 if name.namespace and len(name.words) > 1 else 0]
            told = _unknown_command_object(acting, desc)
        words = _acted_on_words(name, acting)
        # Money is found in what the verb acts on only when the verb is one that needs money
        # in sight, or the name or the description's sentence holds something that may be
        # paid (see `financial` and `object_may_be_paid`); most tools hold none.
        if (acting in v.MONEY_IF_CONTEXT or not PAID_HEADS.isdisjoint(words)
                or acting in MONEY_WITHOUT_PAID_WORDS
                or (desc.lead is not None and object_may_be_paid(acting, desc))) and (
                # "send_invoice_by_email(invoice_id, email_to)": a copy is delivered.
                not mails_a_document(name, desc, acting, schema)) and (
                (found := _acts_on_money(r.kind, name, desc, acting, words, lambda: (
                    money_server or money_context(name, desc, facts, schema=schema)),
                    money_record, bool(facts.money_arguments)))
                is not None):
            r.evidence.extend(found)
            r.category, r.severity = FINANCIAL, CRITICAL
            r.confidence = max(r.confidence, 70)
        elif told is not None and not mails_a_document(name, desc, acting, schema) and (
                found := _acts_on_money(
                r.kind, name, desc, acting, [*words, *told], lambda: (
                    money_server or money_context(name, desc, facts, schema=schema)),
                money_record, bool(facts.money_arguments))) is not None:
            # "originate_ach": "Originate an ACH credit or debit to a counterparty": what
            # the command the tables lack acts on is read on in its description.
            r.evidence.append(f"the description goes on to what {quoted_word(acting or '')} "
                              f"acts on: {' '.join(told)!r}")
            r.evidence.extend(found)
            r.category, r.severity = FINANCIAL, CRITICAL
            r.confidence = max(r.confidence, 70)
        elif name.verb in v.HTTP_WRITES and raw_api_call(schema) and (
                money_server or money_context(name, desc, facts, schema=schema)):
            # "api_post" with a free `path`: it can call anything the API offers, and this
            # API handles money.
            r.evidence.append(f"sends any {name.verb} request to an API that handles money")
            r.category, r.severity = FINANCIAL, CRITICAL

    if r.category != FINANCIAL:
        reads = r.category == READ
        words = name.words[1:] if name.namespace else name.words
        # A conversion or a launch needs its verb first: most names and sentences have none.
        made = ((converted_into(words) or launched_money(words))
                if words and words[0] in _MAKING_FIRST else None) or (
            launched_money(desc.words)
            if not reads and desc.words and desc.words[0] in _LAUNCHING_FIRST else None) or (
            # "Effectue un virement", "Выполняет перевод средств": the act named in another
            # language as what the opening verb makes, when that verb does not read.
            money_act_opened(desc.sentence, desc.words)
            if not reads and desc.kind != v.READ and pretended(words) is None else None)
        # "Convert between two currencies in the user's Coinbase account": what is held there
        # is traded for another currency.
        traded = (converted_holding(desc)
                  if made is None and desc.lead == "convert" and v.HYPOTHETICAL.isdisjoint(words)
                  and money_context(name, desc, facts, schema=schema) else None)
        if traded is not None:
            r.evidence.append(f"it converts currencies held in the {quoted_word(traded)}: "
                              "a conversion there trades them")
            made = traded
        # "panel.quote": "Price quote for buying responses": what buying would cost.
        what_if = not v.HYPOTHETICAL.isdisjoint(words) or not v.HYPOTHETICAL.isdisjoint(
            desc.words[:2])
        paying = None if made or what_if else paying_word(desc, reads=reads)
        if made is not None and traded is None:
            # "convert_estimate_to_invoice", "initiate_payment": whatever the verb, what comes
            # out (or is started) is money owed or moving.
            r.evidence.append(f"it makes or starts {quoted_word(made)}: it creates what someone "
                              "pays or is owed")
        elif paying is not None:
            r.evidence.append(f"description says {quoted_word(paying)} on the way: it spends "
                              "money")
        settled = acted = None
        if made is None and paying is None and not (reads and desc.kind == v.READ):
            def in_sight() -> bool:
                return money_server or money_context(name, desc, facts, schema=schema)

            # The arguments named for money (a refund switch, a spender, an amount to spend):
            # only a tool that does not read is weighed by them, and by what follows.
            arguments = None if reads else money_arguments(schema)
            if arguments is not None:
                if (named := named_money_act(desc)) is not None and (
                        desc.kind is None or desc.lead == named):
                    # "Off-cycle payment (e.g. final pay) sent immediately": no verb (or the
                    # act's noun taken for an unknown one: "Reembolso parcial ..."), but the
                    # act the description names first is a payment, and the tool does not
                    # read.
                    settled = (f"the description names {quoted_word(named)} as what it does: "
                               "it moves money")
                    r.evidence.append(settled)
                else:
                    settled = _settled_in_other_words(words, desc, in_sight,
                                                      arguments.refund_switch)
                    if settled is not None:
                        r.evidence.append(settled)
            if settled is None:
                acted = money_act(words, desc.words[0] if desc.words else None, in_sight,
                                  timer=lambda: timed_switch(desc))
                if acted is not None:
                    r.evidence.append(f"verb {quoted_word(acted)} moves money")
                elif arguments is not None and (spender := arguments.spender) is not None:
                    acted = spender
                    r.evidence.append(f"argument {quote(spender)} names who may spend the "
                                      "funds: it grants an allowance")
                elif arguments is not None and (
                        spent := _spent_amount(words, desc, arguments.spending)) is not None:
                    acted = spent
                    r.evidence.append(f"argument {quote(spent)} is an amount to spend or put "
                                      "in: it moves money")
        if (reads and made is None and paying is None
                and (later := money_said_past_the_first_sentence(desc.text, desc.sentence))
                is not None and pretended(words) is None):
            # "getInvoice": "Get an invoice. Passing pay: true pays it from the default
            # source": a later sentence says what the call does besides showing.
            settled = (f"the description's words {quote(later)} say money changes hands when "
                       "it is called")
            r.evidence.append(settled)
        if made is not None or paying is not None or settled is not None or acted is not None:
            if r.category == READ:
                r.against.append("the verb alone would say it reads")
            r.category, r.severity = FINANCIAL, CRITICAL
            r.confidence = max(r.confidence, 70)

    if r.category not in (READ, FINANCIAL) and (
            (grouped := _said_by_money_servers(name, desc, schema, money_server)
             if may_be_grouped(name, desc) else None) is not None
            or (grouped := _said_later(desc)) is not None):
        r.evidence.append(grouped)
        r.category, r.severity = FINANCIAL, CRITICAL
        r.confidence = max(r.confidence, 70)

    if r.category != FINANCIAL and pretended(name.words) is None and (
            billed := metered_usage(name.words[1:] if name.namespace else name.words,
                                    desc.words, desc.rest)) is not None:
        # Usage reported to a metered price is billed, whatever a verbless or reading
        # name seems to show ("report_usage").
        r.evidence.append(f"verb {quoted_word(billed)} reports usage or events that are "
                          "metered or billed: it creates a charge")
        if r.category == READ:
            r.against.append("the verb alone would say it reads")
        r.category, r.severity = FINANCIAL, CRITICAL
        r.confidence = max(r.confidence, 70)

    if r.category not in (READ, FINANCIAL) and pretended(name.words) is None and (
            handed := for_reimbursement(name.words, desc.sentence,
                                        (name.verb, desc.lead))) is not None:
        # "Submit an expense claim for approval and reimbursement": what is handed in
        # makes what the employer owes.
        r.evidence.append(f"it hands something in {quote(handed)}: it creates what is owed")
        r.category, r.severity = FINANCIAL, CRITICAL
        r.confidence = max(r.confidence, 70)

    if (r.category not in (READ, FINANCIAL) and worth_asking(name.words, desc.words)
            and pretended(name.words) is None):
        # "devolver_senal": "Devolución de la señal cuando el taller no puede cumplir el
        # plazo", with `pedido_id`: the deposit paid on the order is given back.
        # "bulkOrderSubmission": "Bulk order submission for a basket of symbols".
        sentence = words_of(desc.sentence)
        if (deposit := deposit_given_back([*name.words, *sentence], argument_words(schema))
                ) is not None:
            r.evidence.append(f"it gives back {quoted_word(deposit)}, money paid ahead for a "
                              "booking or an order: it moves money")
            r.category, r.severity = FINANCIAL, CRITICAL
            r.confidence = max(r.confidence, 70)
        elif (submitted := orders_submitted(name.words, sentence)) is not None:
            r.evidence.append(f"it names {quoted_word(submitted)}: submitting orders places "
                              "them, and a placed order is paid")
            r.category, r.severity = FINANCIAL, CRITICAL
            r.confidence = max(r.confidence, 70)

    if (shape.transfer and (r.category not in (READ, FINANCIAL) or (
            r.category == READ and name.kind is None and desc.kind is None))
            and pretended(name.words) is None
            and not (name.kind in (None, v.READ) and not v.HYPOTHETICAL.isdisjoint(name.words))
            # "simulate_order", "preview_transfer": the name opens with a what-if, whatever
            # verb it then names.
            and not (name.words and name.words[0] in v.HYPOTHETICAL)):
        # The arguments' shape carries across servers where money words do not: an amount
        # with a payee, a destination account or a trade side moves money, whatever the verb,
        # and whatever a name of nouns alone seems to show ("mass_payouts").
        r.evidence.append(f"arguments {quote(shape.amounts[0])} and {quote(shape.counterparts[0])}"
                          " give an amount and where it goes: it moves money")
        r.category, r.severity = FINANCIAL, CRITICAL
        r.confidence = max(r.confidence, 70)

    if (r.category == FINANCIAL and was[0] not in (READ, FINANCIAL)
            and (denied := no_money_said(desc.text, desc.sentence)) is not None):
        # "Record a refund against an order, for reporting. This does not send money to the
        # customer": the server says no money moves, and the words' own reading stands (a
        # tool read as reading stays Financial: this never makes a tool Read).
        r.against.extend(r.evidence[first_said:])
        del r.evidence[first_said:]
        r.evidence.append(f"the description's words {quote(denied)} say it moves no money")
        r.category, r.severity = was


_ARTICLES = frozenset("a an the".split())
# What ends the object of such a command: a preposition or a clause, or a bracket, a dash or
# a stop in the sentence ("Explode a parts list (bill of materials) into ...").
_OBJECT_STOPS = frozenset(
    "for of from to in into with by on at via using when if that which who whose where after "
    "before against across within between per through over under".split())
_ASIDE_OR_STOP = re.compile(r"[(\[{:;,.!?\u2013\u2014]| - ")


def _unknown_command_object(acting: str | None, desc: DescriptionVerbs) -> list[str] | None:
    """What a command the tables lack acts on, when the description opens with the name's
    own command and an article ("originate_ach": "Originate an ACH credit or debit to a
    counterparty" -> an, ach, credit, or, debit), up to a preposition, a bracket, a dash or a
    stop; or None. A what-if ("Simulate a promotion ...") acts on nothing."""
    words = desc.words
    if (acting is None or desc.lead is not None or len(words) < 3 or acting in v.HYPOTHETICAL
            or words[0] not in (acting, f"{acting}s") or words[1] not in _ARTICLES):
        return None
    aside = _ASIDE_OR_STOP.search(desc.sentence[:300])
    opening = sentence_tokens(desc.sentence[:aside.start()] if aside else desc.sentence[:300])
    told: list[str] = []
    for word in opening[1:10]:
        if word in _OBJECT_STOPS:
            break
        told.append(word)
    return told


def _said_later(desc: DescriptionVerbs) -> str | None:
    """Money a later sentence says moves ("releases the deposit hold"), as evidence."""
    said = money_said_later(desc.text)
    if said is None:
        return None
    return f"the description's words {quote(said)} say money moves when it is called"


def _said_by_money_servers(name: NameVerbs, desc: DescriptionVerbs, schema: Any,
                           money_server: bool) -> str | None:
    """Why a tool that acts moves money in a way payment, trading and accounting servers say
    apart from the verb tables (`money_groups`), or None."""
    if (bot := trading_bot(name, desc)) is not None:
        return f"it sets a trading {quoted_word(bot)} to work: the bot places orders"
    if (voucher := voucher_money(name, desc, schema, money_server)) is not None:
        return (f"it makes or redeems a {quoted_word(voucher)} that holds funds: it takes them "
                "from a balance or credits them")
    if (stopped := billing_stopped(desc)) is not None:
        return (f"the description's words {quote(stopped)} say it ends something billed: it "
                "changes what is paid")
    if (books := ledger_write(desc)) is not None:
        return (f"it writes transactions into the {quoted_word(books)}: it records money "
                "moved")
    if (token := launched_token(name, desc)) is not None:
        return f"it launches a {quoted_word(token)} on a chain: the launch is paid for"
    if (called := contract_call(name, desc, schema)) is not None:
        return (f"it calls a smart contract's state-changing function ({quote(called)}): the "
                "call is a transaction that can move tokens")
    return None


def _acts_on_money(kind: str, name: NameVerbs, desc: DescriptionVerbs, acting: str | None,
                   words: list[str], in_sight: Callable[[], bool],
                   record: MoneyRecord | None = None, amounts: bool = True) -> list[str] | None:
    """Why the verb the reading rests on (`acting`, of `kind`) moves money by what it acts on,
    in the name (`words`) or in the description, or None. `in_sight()` says money is in
    sight (asked at most once). `record` is the server's money record, which a bare generic
    object of the description may be. Asked only when the verb needs money in sight or
    something that may be paid is named. `amounts` says the schema takes an amount."""
    seen: list[bool] = []

    def money() -> bool:
        if not seen:
            seen.append(in_sight())
        return seen[0]

    # "skill_trade_review", described as "Analyzes closed trades": the name's only verb
    # is a noun there, and the description reads. Unless the description does it too, as
    # a later step ("Get the balance, then transfer the funds").
    noun_verb = (name.ambiguous and desc.kind == v.READ and not desc.indirect
                 and acting == name.verb and acting in v.MONEY_IF_CONTEXT
                 and all(verb != acting for verb, _ in desc.alternatives))
    noun_verb = noun_verb or (acting in v.MONEY_IF_CONTEXT and money_verb_named(name, desc))
    found: list[str] = []
    answers: dict[str, bool] = {}

    def unpaid(head: str) -> bool:
        if head not in answers:
            answers[head] = (
                # a card made without an amount, and not one that holds funds
                not amounts and FUNDED_CARDS.isdisjoint(words)
                and FUNDED_CARDS.isdisjoint(desc.words[:30])
                if head in CARDS else data_subscription(words, desc))
        return answers[head]

    # What the description's verb acts on counts too; a description without a verb says
    # nothing (its empty object would read as a bare "deposit" with money in sight). And a
    # change that touches only details ("Update an order's addresses") leaves the money.
    # A "confirm" that only checks ("verify_payment": "Confirm a payment settled") and a
    # change made on a shopping cart ("Set the tip on the cart") move no money either.
    # "Exports the accounting journal ... into the finance folder": a reading verb made
    # a writer by where its output goes writes a file, and moves no money.
    file_only = (acting is not None and acting == desc.lead and desc.kind == v.WRITE
                 and v.VERBS.get(acting) == v.READ)
    # "archive_invoice": "Archive an invoice (hidden from default views, kept for records)".
    shelved = shelved_only(acting, desc)
    if name.words and name.words[-1] in WHAT_IFS and desc.kind == v.READ:
        # "cancel_order_preview": "Show what cancelling an order would refund": the act the
        # name previews is shown, not done.
        return None
    if (shelved or automation_switched(name, desc) or fiscal_receipt(words, acting, desc)
            or copied_to_books(desc.lead, desc)):
        # A fiscal receipt for a sale already paid; "set_auto_add_margin": the act is switched
        # on, not done; "Push approved transactions to the accounting system": a copy.
        return None
    if not noun_verb and not file_only and not confirms_a_check(name, desc) and (
            financial(kind, acting, words, money, found, unpaid=unpaid) or (
                  desc.lead is not None and object_may_be_paid(acting, desc) and (
                      _object_financial(kind, acting, desc, money, found, unpaid, record)
                      or _narrow_financial(kind, acting, desc, money, found, unpaid)
                      or _listed_financial(kind, acting, desc, money, found, unpaid)))
            ) and not details_only(desc) and not on_cart(desc):
        return found
    return None


def _object_financial(kind: str, acting: str | None, desc: DescriptionVerbs,
                      money: Callable[[], bool], found: list[str],
                      unpaid: Callable[[str], bool], record: MoneyRecord | None) -> bool:
    """Does the verb move money by what the description says it acts on? "Update an existing
    document" on a server whose words give a sales invoice as one of its documents may update
    an invoice: the bare generic object is read as that record."""
    acted_on = description_object(desc)
    widened = with_server_record(acted_on, record)
    if not financial(kind, acting, widened, money, found, "description", unpaid):
        return False
    if widened is not acted_on:
        found.insert(0, f"the server's tools give {quoted_word(widened[-1])} as a kind of "
                        f"{quoted_word(acted_on[-1])}, and this one names no kind: it may be one")
    return True


# Where funds are held, named as where a conversion is done: "in the user's account", "from
# your wallet balance". A conversion said without one ("Convert an amount between currencies
# at today's rate") works out a figure.
_HOLDING = re.compile(
    r"\b(?:in|from|within|on|using)\s+(?:the\s+|your\s+|their\s+|its\s+|a\s+|an\s+|my\s+)?"
    r"(?:[\w'’-]+\s+){0,3}?(account|accounts|wallet|wallets|balance|balances|portfolio)\b")


def converted_holding(desc: DescriptionVerbs) -> str | None:
    """The holding a description that opens with "convert" trades in ("Convert between two
    currencies in the user's account" -> account), or None."""
    found = _HOLDING.search(desc.sentence[:200].lower())
    return None if found is None else found.group(1)


# The first words of a name that `converted_into` or `launched_money` may find money made by,
# and of a sentence that `launched_money` may: its launchers, maybe in the third person.
_LAUNCHING_FIRST = v.LAUNCHERS | frozenset(verb + "s" for verb in v.LAUNCHERS)
_MAKING_FIRST = v.CONVERTERS | _LAUNCHING_FIRST


# What a name of nouns shows, ending it: "fills_history", "roast_statement",
# "funding_balance".
_SHOWN = frozenset(
    "history histories log logs statement statements balance balances summary summaries report "
    "reports".split())


def money_verb_named(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Is the verb that needs money in sight only a noun here? A description with no verb
    that opens with it and what one reads of it ("payflo_charge": "Charge details by ID: amount,
    outcome ..."), or one that leads with it under a name of nouns ending with what it shows
    ("fills.history": "Trade fills with price, quantity, fee")."""
    words = desc.words
    if len(words) < 2:
        return False
    if desc.kind is None and words[0] == name.verb and words[1] in FACETS:
        return True
    return name.kind is None and words[0] == desc.lead and bool(name.words) and (
        name.words[-1] in _SHOWN)


def _acted_on_words(name: NameVerbs, acting: str | None) -> list[str]:
    """The name's words a verb may act on: its words past the namespace, or all of them when
    the verb stands there alone ("factura_cancelar", "invoice_void" on a server whose every
    tool starts with "factura" or "invoice"): the namespace is then what the verb acts on."""
    if not name.namespace:
        return name.words
    words = name.words[1:]
    if acting is not None and words and all(w == acting or w in FILLER for w in words):
        return name.words
    return words


def _narrow_financial(kind: str, acting: str | None, desc: DescriptionVerbs,
                      money: Callable[[], bool], found: list[str],
                      unpaid: Callable[[str], bool]) -> bool:
    """The description's narrower object ("every open order", cut before "across all
    markets") moves money. Asked only when it differs from the wider one, and never with an
    empty object, which would read as the bare verb."""
    if not narrower_object(desc):
        return False
    narrow = description_object(desc, narrow=True)
    return bool(narrow) and narrow != description_object(desc) and financial(
        kind, acting, narrow, money, found, "description", unpaid)


def _listed_financial(kind: str, acting: str | None, desc: DescriptionVerbs,
                      money: Callable[[], bool], found: list[str],
                      unpaid: Callable[[str], bool]) -> bool:
    """Does the verb move money by an item listed after the first in what it acts on ("Cancel
    an RFQ, a single order, or a batch"; "Modify a pie's settings, instrument allocations, or
    target weights")? The first item is `_object_financial`'s. Only a description whose verb
    acts lists what is acted on: a reader's list is what it shows ("Show the basket total,
    delivery fee and arrival time")."""
    if desc.kind is None or desc.kind == v.READ:
        return False
    for item in listed_objects(desc):
        if financial(kind, acting, item, money, found, "description", unpaid):
            return True
    if MAKE_UP.isdisjoint(desc.words[:24]):
        return False  # nearly every tool
    parts = possessed_items(desc) if "s" in desc.words[:8] else []
    for item in [description_object(desc), *parts]:
        if (make_up := rebalanced(item)) is not None and money():
            # "instrument allocations": changing them buys and sells to match.
            found.append(f"description noun {quoted_word(make_up)}: changing a portfolio's "
                         "make-up trades to match it")
            return True
    return False


# Leads of a description that accepts what follows ("The endpoint confirms an estimated quote").
_ACCEPTING_LEADS = frozenset("accept confirm execute".split())


def _settled_in_other_words(words: list[str], desc: DescriptionVerbs,
                            money: Callable[[], bool], switch: str | None) -> str | None:
    """Money moved by an act the verb tables cannot see, said for the user: a document marked
    paid, travel or a show booked, a price quote accepted, funds put into a yield product,
    a switch that refunds, money the description says changes hands when the tool is called,
    or None. Asked only of a tool that does not read (a reader's "paid" or "booking" is a filter
    or a record). `money()` says money is in sight; `switch` is the schema's `refund_switch`."""
    # The rules on the name's words, asked only of a name with a word one of them needs.
    named = not NAME_SETTLING_WORDS.isdisjoint(words)
    if named and (paid := marked_paid(words)) is not None:
        # "invoice_mark_paid": recording a payment settles what is owed, as "record_payment"
        # does.
        return f"it marks {quoted_word(paid)} paid: it records what someone paid or owes"
    if named and checks_out(words):
        # "grocery_checkout": checking out places the order and pays for it.
        return "it checks out: checking out pays for the order"
    booked = (booked_travel(words) if named else None) or description_books(desc)
    if booked is not None and pretended(words) is None:
        # "book_flight", "train_book": a seat or a night is sold when it is booked.
        return f"it books {quoted_word(booked)}: booking travel or a seat buys it"
    accepted = (accepted_quote(words) if named else None) or (
        accepted_quote(desc.words[:10]) if desc.lead in _ACCEPTING_LEADS else None)
    if accepted is not None and money():
        # "convert_confirm": "Confirms an estimated quote" makes the conversion it prices.
        return (f"verb {quoted_word(accepted)} of a quote with money in sight: accepting a "
                "price quote makes the trade or order")
    discount = applied_discount(words, desc) if named else None
    if discount is not None:
        # "cb_apply_coupon": the discount lowers what the subscription bills from now on.
        return f"it applies or removes {quoted_word(discount)}: it changes what is paid"
    limit = (spend_limit(words) if named else None) or spend_limit(desc.words[:12])
    if limit is not None:
        # "set-spend-limit": how much may be spent is set, a card's or an account's.
        return f"it sets {quoted_word(limit)}: it changes how much may be spent"
    funded = funded_product(words) if named else None
    if funded is not None and money():
        # "allocate_earn" with an amount: the funds leave the account for the product.
        return f"it puts funds into or takes them from {quoted_word(funded)}, a yield product"
    if switch is not None:
        # "cancelRegistration" with `refund`: cancelling can give the money back.
        return f"argument {quote(switch)} refunds when set: it moves money"
    # "invoice_upcoming": "... the total that will be billed at the next renewal": what is
    # charged later is shown now.
    charged = None if "upcoming" in words else charged_on_the_way(desc.text)
    if charged is not None:
        # "reserve_berth": "Reserve a visitor berth. The nightly fee is charged to the card
        # supplied by the skipper": the act is the name's, the money is said after it.
        return (f"the description's words {quote(charged)} say money changes hands when it "
                "is called")
    return None


def _spent_amount(words: list[str], desc: DescriptionVerbs, spent: str | None) -> str | None:
    """The argument giving an amount to buy, pay or deposit with ("dev_buy_amount"; `spent`,
    the schema's `spending_argument`), unless the act is a what-if ("estimate_swap"), a
    pretence or a change to a shopping cart ("Set the tip amount on the cart": nothing is paid
    until the order is placed)."""
    if spent is None:
        return None
    if not v.HYPOTHETICAL.isdisjoint(words) or pretended(words) is not None:
        return None
    if desc.lead in v.HYPOTHETICAL:
        return None
    return None if on_cart(desc) else spent
