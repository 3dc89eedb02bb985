"""Money that payment, trading and accounting servers say in their own way, beyond the verb
and object tables of `money`: a trading bot or agent set to work, a code or voucher that holds
funds made or redeemed, a rented resource whose billing a tool stops, a smart contract's
state-changing function called with a key that signs; and a description that says in so many
words that the tool moves no money. Each test starts with a set operation on words the tool
already has, so that most tools cost nothing more.
"""

from __future__ import annotations

import re
from typing import Any

from policytui.risk.descriptions import DescriptionVerbs
from policytui.risk.money import on_cart
from policytui.risk.names import NameVerbs
from policytui.risk.schema import normalize
from policytui.risk.words import contains_any


def may_be_grouped(name: NameVerbs, desc: DescriptionVerbs) -> bool:
    """Could any of `trading_bot`, `voucher_money`, `billing_stopped` or `contract_call` find
    money? Two set operations and a substring test: most tools stop here (`money_said_later`
    has its own)."""
    if not _GROUP_WORDS.isdisjoint(name.words) or not _GROUP_WORDS.isdisjoint(desc.words[:12]):
        return True
    opening = desc.text[:_BILLING_WINDOW]
    return "illing" in opening or "ILLING" in opening


# --- Trading bots and agents -------------------------------------------------------------
# What does the trading for the user: a bot, an agent, an executor, a strategy run live.
_TRADERS = frozenset("bot bots agent agents executor executors autotrader".split())
# Words that say the trader trades: "Supervised trading agent", "trading executors", "bots
# ... for trading strategies", "places orders".
_TRADING = frozenset("trading trade trades orders order".split())
# What makes the run a pretence or a look back: a backtest, a paper or simulated run.
_NOT_LIVE = frozenset(
    "backtest backtests backtesting paper simulate simulated simulation demo mock".split())
_TRADING_WINDOW = 60


def trading_bot(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """The trader a tool that acts sets to work or runs ("manage_bots": "Manage controller-based
    bots: deploy, monitor, ... For most trading strategies ..."; "skill_agent": "Supervised
    trading agent ... executes only after explicit approval"): a trading bot places orders with
    the user's money. Its word, or None. The trader must be the name's, or a "trading bot" of
    the description's first words, and trading said in the description's opening; not a
    backtest or a paper run."""
    first = desc.words[:12]
    if _TRADERS.isdisjoint(name.words) and _TRADERS.isdisjoint(first):
        return None  # nearly every tool
    trader = next((w for w in name.words if w in _TRADERS), None) or next(
        (w for before, w in zip(first, first[1:]) if w in _TRADERS and before == "trading"),
        None)
    if trader is None:
        return None  # nearly every tool
    said = [*desc.words[:_TRADING_WINDOW], *desc.rest()[:_TRADING_WINDOW]]
    if _TRADING.isdisjoint(said) or not _NOT_LIVE.isdisjoint(said) or not _NOT_LIVE.isdisjoint(
            name.words):
        return None
    return trader


# --- Codes and vouchers that hold funds ---------------------------------------------------
# Codes that hold money: redeemed, they credit the balance; made with an amount, they take it
# from the balance ("codes__create_code(ticker, amount)", "apply_code": "applies WhiteBIT code").
_VOUCHERS = frozenset(
    "code codes voucher vouchers giftcard giftcards gift".split())
_REDEEMING = frozenset("redeem redeems apply applies activate activates claim claims".split())
_MAKING = frozenset("create creates issue issues generate generates make makes".split())
# A discount, promotion or coupon code changes a price, which is catalog (see `money`).
_PRICE_CODES = frozenset("discount discounts promo promotion promotional coupon coupons".split())
_AMOUNT_ARGUMENT = re.compile(r"amount|value|balance|sum")


def voucher_money(name: NameVerbs, desc: DescriptionVerbs, schema: Any,
                  money_server: bool) -> str | None:
    """The code or voucher a tool redeems (on a server whose business is money) or makes
    holding an amount (an amount argument), or None. A name of a verb and the code alone
    (`apply_code`, `create_code`, `redeem_voucher`) or a description doing it ("Redeem a gift
    card"); not a discount or promotion code, nor source code ("apply_code_changes")."""
    if _VOUCHERS.isdisjoint(name.words) and _VOUCHERS.isdisjoint(desc.words[:6]):
        return None  # nearly every tool
    words = name.words[1:] if name.namespace else name.words
    named = [w for w in words if w not in ("gift", "card", "cards")]
    voucher = next((w for w in words if w in _VOUCHERS), None)
    verb = name.verb
    if voucher is None or len(named) > 3:
        first = desc.words[:6]
        voucher = next((w for w in first if w in _VOUCHERS), None)
        verb = desc.lead
        if voucher is None:
            return None  # nearly every tool
        named = first
    if voucher == "gift" and "card" not in [*words, *desc.words[:6]]:
        return None
    if not _PRICE_CODES.isdisjoint(named) or not _PRICE_CODES.isdisjoint(desc.words[:12]):
        return None
    if on_cart(desc):
        return None  # "Apply a gift card to a cart": nothing is paid until the order is placed
    if verb in _REDEEMING and (money_server or _amount_argument(schema)):
        return voucher
    if verb in _MAKING and _amount_argument(schema):
        return voucher
    return None


def _amount_argument(schema: Any) -> bool:
    props = schema.get("properties") if type(schema) is dict else None
    return type(props) is dict and any(
        type(arg) is str and _AMOUNT_ARGUMENT.search(normalize(arg[:60])) is not None
        for arg in list(props)[:40])


# --- Rented resources whose billing stops -------------------------------------------------
# "Delete a rented volume ..., stopping its billing immediately", "This stops billing for the
# instance": ending what is billed by the hour or month ends a purchase.
_BILLING_STOPS = re.compile(
    r"\b(?:stop|stops|stopping|end|ends|ending|cancels|cancelling|canceling)\s+"
    r"(?:(?:its|the|all|their|any)\s+)?billing\b(?!\s+(?:service|server|"
    r"container|job|worker|module|api|daemon|pipeline|process))"
    r"|\bbilling\s+(?:stops|ends|is\s+stopped|is\s+ended)\b")
_RENTED = frozenset("rented leased".split())
_BILLING_WINDOW = 400


def billing_stopped(desc: DescriptionVerbs) -> str | None:
    """The words with which a tool that acts says it ends something billed: a rented resource
    removed ("Destroy (terminate) a rented instance"), billing stopped ("stopping its billing
    immediately"). None when nothing says so."""
    if not _RENTED.isdisjoint(desc.words[:8]):
        return next(w for w in desc.words[:8] if w in _RENTED)
    opening = desc.text[:_BILLING_WINDOW]
    if "illing" not in opening and "ILLING" not in opening:
        return None  # nearly every tool: a substring test, no lower-casing
    found = _BILLING_STOPS.search(opening.lower())
    return None if found is None else " ".join(found.group(0).split())


# --- Smart contracts ---------------------------------------------------------------------
# A contract's function that changes its state, called with a key that signs: the call is a
# transaction, and may move the caller's tokens ("write_contract": "Write data to a smart
# contract by calling a state-changing function", with `privateKey`).
_CONTRACTS = frozenset("contract contracts".split())
_CALLING = frozenset(
    "write call calls execute executes invoke invokes send sends interact transact".split())
_SIGNING = re.compile(r"privatekey|signer|mnemonic|seedphrase|wallet|secretkey")
_STATE_CHANGING = re.compile(r"state[-\s]changing|writ(?:e|es|ing)\s+(?:data\s+)?to\s+(?:a|the)"
                             r"\s+(?:smart\s+)?contract|(?:payable|non-view)\s+function")


def contract_call(name: NameVerbs, desc: DescriptionVerbs, schema: Any) -> str | None:
    """What says a tool sends a transaction to a smart contract's state-changing function, or
    None: a name or first sentence of a calling verb and a contract, with an argument that
    signs (a private key, a signer, a wallet) or a sentence that says the function changes
    state. Reading a contract ("read_contract", a view function) is no such call."""
    if _CONTRACTS.isdisjoint(name.words) and _CONTRACTS.isdisjoint(desc.words[:12]):
        return None  # nearly every tool
    if _CALLING.isdisjoint(name.words) and desc.lead not in _CALLING:
        return None
    said = _STATE_CHANGING.search(desc.sentence[:300].lower())
    if said is not None:
        return " ".join(said.group(0).split())
    props = schema.get("properties") if type(schema) is dict else None
    if type(props) is dict:
        for arg in list(props)[:40]:
            if type(arg) is str and _SIGNING.search(normalize(arg[:60])) is not None:
                return arg
    return None


# --- Ledgers written and tokens launched --------------------------------------------------
# Writing transactions into the books records money moved ("Append one or more transactions
# to the book", "Write a proposal from propose_transactions into the book"); opening an
# account in them records none.
_BOOKS = frozenset("book books ledger ledgers".split())
_WRITING = frozenset(
    "write writes append appends add adds commit commits post posts save saves record records "
    "insert inserts import imports".split())
_ENTRIES = frozenset("transaction transactions posting postings entry entries".split())
_INTO = frozenset("into to in".split())
_ENTRY_WINDOW = 40


def ledger_write(desc: DescriptionVerbs) -> str | None:
    """The books a description's writing verb writes transactions into ("... into the book"),
    or None. Transactions must be named in the description's opening."""
    words = desc.words[:24]
    if _BOOKS.isdisjoint(words) or desc.lead not in _WRITING:
        return None
    at = next((i for i, w in enumerate(words) if w in _BOOKS), 0)
    if not _INTO.intersection(words[max(0, at - 3):at]):
        return None  # the books are not where it writes ("Add the book to a shelf")
    said = [*desc.words[:_ENTRY_WINDOW], *desc.rest()[:_ENTRY_WINDOW]]
    return words[at] if not _ENTRIES.isdisjoint(said) else None


# Launching a token on a chain deploys it and pays for the launch; an API or access token is
# a credential, a design token a style value.
_LAUNCHING = frozenset("launch launches deploy deploys".split())
_TOKENS = frozenset("token tokens coin coins memecoin memecoins".split())
_CREDENTIALS = frozenset("api access auth bearer refresh session personal design".split())


def launched_token(name: NameVerbs, desc: DescriptionVerbs) -> str | None:
    """The token a tool launches ("Launch a token on Robinhood Chain"), or None."""
    if not _CREDENTIALS.isdisjoint(name.words) or not _CREDENTIALS.isdisjoint(desc.words[:8]):
        return None  # "Deploy an API token to the server"
    for verb, words in ((name.verb, name.words), (desc.lead, desc.words[:8])):
        if verb not in _LAUNCHING:
            continue
        token = next((w for w in words if w in _TOKENS), None)
        if token is not None:
            return token
    return None


# --- Money said later in English, in ways `money_said` does not know ----------------------
# "releases the deposit hold if no damage is reported": held funds go back to the payer;
# "Reported quantities are aggregated and billed at the end of the period": a participle
# before the billing one; "adds $10/month to the organization's subscription": a price added;
# "schedules final pay", "schedules a refund": a payment set to go out; "If the invoice is a
# draft it is finalised": the bill is issued.
_SAID_LATER = re.compile(
    r"\breleas(?:e|es|ing)\s+(?:the\s+|its\s+|any\s+)?(?:security\s+)?(?:deposit|escrow|held\s+funds"
    r"|funds\s+held|pre-?authori[sz]ation)\b"
    r"|\b(?:is|are)\s+[a-z]+ed\s+and\s+(?:billed|charged|invoiced)\s+(?:at|to|on|monthly|"
    r"immediately|automatically)\b"
    r"|\badds?\s+[$\u20ac\u00a3\u00a5]\d[\d.,]*(?:/[a-z]+)?"
    r"|\bschedul(?:e|es|ing)\s+(?:a\s+|an\s+|the\s+|its\s+|their\s+)?(?:final\s+|next\s+)?"
    r"(?:pay|payment|payout|refund|transfer)\b(?!\s+(?:reminder|reminders|notification|"
    r"notifications|email|emails|report|reports|review|date|dates|run|runs))"
    r"|\b(?:invoice|bill)\b[^.]{0,60}\b(?:is|are|gets)\s+(?:then\s+)?finali[sz]ed\b")
_SAID_LATER_WINDOW = 300


def money_said_later(text: str) -> str | None:
    """The words with which a description of a tool that acts says money moves in one of the
    ways above, or None. Not when denied ("never releases the deposit")."""
    opening = text[:_SAID_LATER_WINDOW]
    # A substring each way needs, tested on the text as it is (no lower-casing, no loop):
    # most descriptions hold none.
    if not ("eleas" in opening or "chedul" in opening or "inali" in opening or "$" in opening
            or "\u20ac" in opening or "\u00a3" in opening or "nd billed" in opening
            or "nd charged" in opening or "nd invoiced" in opening):
        return None  # nearly every tool
    low = opening.lower()
    for found in _SAID_LATER.finditer(low):
        before = low[max(0, found.start() - 20):found.start()].split()[-2:]
        if not _DENYING.isdisjoint(before):
            continue
        return " ".join(found.group(0).split())
    return None


_DENYING = frozenset("not never no without nothing".split())


# --- Descriptions that say no money moves -------------------------------------------------
# "Does not charge the customer", "This does not send money to the customer", "creating it
# does not collect any funds", "Nothing is charged or transferred", "moves no money",
# "Денег не двигает". Not a denial for now ("is not charged until check-in", "not charged
# again"), which says the money moves later or once.
# (Every English alternative starts a word: one "\b" before them all lets the engine give up
# inside a word at once, and the one said of the tool itself starts with its "d", so its
# lookbehinds are tried only there. A tenth of the cost of trying each alternative at every
# character, with the same matches.)
_NO_MONEY = re.compile(
    r"\b(?:(?:does\s+not|doesn't|do\s+not|don't|will\s+not|won't|never)\s+"
    r"(?:charge|collect|debit|bill|capture|withdraw|move|send|transfer|pay)\s+"
    r"(?:the\s+customer|the\s+card|the\s+payer|any\s+(?:money|funds)|money|funds)\b"
    r"|(?:does\s+not|doesn't|do\s+not|will\s+not|won't|never)\s+(?:charge|debit|bill)\b"
    r"|nothing\s+is\s+(?:charged|debited|billed|paid|transferred|collected)\b"
    r"|no\s+(?:money|funds)\s+(?:is\s+|are\s+)?(?:moved|moves|move|charged|collected|"
    r"transferred|changes\s+hands)\b"
    r"|moves?\s+no\s+(?:money|funds)\b"
    # ... or that what it prices or builds is not carried out: "Quote the output amount for
    # swapping ... Does not execute."
    # (Said of the tool itself: "The next renewal will not execute" is what a cancel does.)
    r"|d(?:(?<=^d)|(?<=[.;]\sd)|(?<=\bit\sd)|(?<=\bthis\sd)|(?<=\btool\sd))(?:oes\s+not|oesn't)\s+"
    r"(?:execute|submit|place|broadcast)\b(?!\s+(?:until|unless|before|if|when)\b)"
    r"|(?:order|payment|trade|transfer)\s+(?:is|will\s+be)\s+never\s+(?:sent|placed|executed|"
    r"submitted|charged|filled)\b"
    r"|no\s+(?:order|payment|trade|transfer|charge|refund|payout)s?\s+(?:is|are|will\s+be|gets)\s+"
    r"(?:placed|sent|made|executed|submitted|created|charged|issued|filled)\b)"
    r"|không\s+(?:tạo\s+đơn|trừ\s+tiền|thu\s+(?:phí|tiền))"
    r"|денег\s+не\s+двига|не\s+двига\w*\s+денег|деньги\s+не\s+(?:списыва|переводит)")
_LATER = re.compile(r"\s*(?:\w+\s+){0,3}?(?:until|unless|again|twice|extra|yet|before|"
                    r"beyond|more\s+than|over)\b"
                    # ... or a condition after it: "No order is placed if the price moved".
                    r"|\s+(?:if|when|whenever)\b")
_NO_MONEY_WINDOW = 600
_NO_MONEY_HINTS = ("not", "n't", "nothing", "no ", "never", "не ", "không")


# A first sentence that charges or pays outright ("Place the order and CHARGE the card"): a
# later "nothing is charged" is what happens when the call fails.
_CHARGES_FIRST = re.compile(r"\b(?:charge|charges|pay|pays|debit|debits|bill|bills)\s+(?:the|a|an"
                            r"|your|their)\b")
_CONDITION = re.compile(r"\b(?:if|when|unless|should|otherwise|fails?|failed|error)\b")


def no_money_said(text: str, first_sentence: str) -> str | None:
    """The words with which a description says the tool moves no money ("This does not send
    money to the customer; use your payment processor for that"), or None. Not a condition
    ("If anything drifted, nothing is charged"), nor under a first sentence that charges."""
    low = text[:_NO_MONEY_WINDOW].lower()
    if not contains_any(low, _NO_MONEY_HINTS):
        return None  # nearly every description
    for found in _NO_MONEY.finditer(low):
        if _LATER.match(low, found.end()) is not None:
            continue
        clause = low[max(low.rfind(".", 0, found.start()), low.rfind("\n", 0, found.start()),
                         low.rfind(";", 0, found.start())) + 1:found.start()]
        if _CONDITION.search(clause) is not None:
            continue
        if _CHARGES_FIRST.search(first_sentence[:300].lower()) is not None:
            return None
        return " ".join(found.group(0).split())
    return None


# Every word one of the tests above starts from.
_GROUP_WORDS = _TRADERS | _VOUCHERS | _RENTED | _CONTRACTS | _BOOKS | _TOKENS
