"""What a tool's arguments say it does, whatever its name and description call it.

Vocabulary fits the servers it was written against; argument shapes carry across servers. Two
shapes are read here:

- A transfer: an amount (`amount`, `amount_cents`, `qty`, `notional`, ...) together with where
  it goes or which way it trades (`recipient`, `payee`, `to_account`, `destination`, `side`).
  A tool shaped like that moves money, whatever its verb. An amount on its own, or with only a
  currency, is not enough: a price list or a discount also has one.
- A payload: an argument holding what the tool writes (`body`, `content`, `data`, `payload`,
  `patch`, `yaml`, `value`). A tool given something to write is not a reader.

Filters are not either: `min_amount`, `max_price` or `amount_gte` on a search narrow a listing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice
from typing import Any, NamedTuple

from policytui.risk.schema import normalize

# How many arguments are looked at: a hostile schema with thousands costs no more than this.
_MAX_ARGUMENTS = 60

# Argument names (normalised) that hold an amount of money or of something traded.
_AMOUNTS = frozenset(
    """
    amount amounts amountcents amountinminorunits amountminor valueusd
    quantity qty notional notionalvalue total totalamount sum price unitprice limitprice
    sendamount transferamount paymentamount payamount
    """.lower().split()
)
_AMOUNT_SUFFIX = re.compile(r"(amount|amountcents|qty|quantity|notional)$")
# Filters and ranges: these narrow a search, they move nothing.
_FILTER = re.compile(r"^(min|max|gte|lte|filter)|^(from|to|start|end)(amount|price|qty|quantity)"
                     r"|(min|max|gte|lte|gt|lt|from|to|range|filter)$")
# Where an amount goes, where it comes from, or which way a trade goes.
_COUNTERPARTS = frozenset(
    """
    side tradeside orderside payee payees payeeid recipient recipients recipientid beneficiary
    beneficiaryid destination destinationaccount destinationaddress toaccount fromaccount
    toaccountid fromaccountid toaccounttype fromaccounttype sourceaccount sourceaccountid
    deposittoaccount paytoaccount towallet fromwallet toaddress withdrawaddress creditor debtor
    counterparty to receiver receiveraddress recipientaddress iban toiban payto
    destinationwallet
    """.split()
)
# Arguments holding what a tool writes.
_PAYLOADS = frozenset("body content contents data payload patch yaml value requestbody".split())
# A payload argument described as what to look for is a filter ("value: the value to search").
_LOOKUP = re.compile(r"\b(search|filter|match|matching|look ?up|find|compare|query)\b",
                     re.IGNORECASE)


# A payload argument described as what the call only looks at: "Selector, text content or
# event name to wait for", "The YAML to validate", "Markdown to be linted". Not one that is
# also kept or sent ("JSON body to validate and save").
_EXAMINED = re.compile(
    r"\bto\s+(?:be\s+)?(?:wait(?:ed)?\s+for|watch(?:ed)?\s+for|look(?:ed)?\s+for|check(?:ed)?"
    r"|validat(?:e|ed)|verif(?:y|ied)|lint(?:ed)?|pars(?:e|ed)|analy[sz](?:e|ed)"
    r"|inspect(?:ed)?)\b", re.IGNORECASE)
_KEPT_OR_SENT = re.compile(
    r"\b(?:save|saved|saves|write|written|writes|store|stored|apply|applied|upload|uploaded"
    r"|send|sent|post|posted|publish|published|create|created|update|updated|set|import)\b",
    re.IGNORECASE)


class ArgumentShape(NamedTuple):
    """The transfer and payload arguments of a tool (empty tuples when it has none)."""

    amounts: tuple[str, ...]
    counterparts: tuple[str, ...]
    payloads: tuple[str, ...]

    @property
    def transfer(self) -> bool:
        return bool(self.amounts and self.counterparts)


_NONE = ArgumentShape((), (), ())


@lru_cache(maxsize=16384)
def _role(name: str) -> int:
    """1 amount, 2 counterpart, 4 payload, 0 nothing. Cached: servers repeat their arguments."""
    key = normalize(name)
    if key in _COUNTERPARTS:
        return 2
    if key in _PAYLOADS:
        return 4
    if (key in _AMOUNTS or _AMOUNT_SUFFIX.search(key)) and not _FILTER.search(key):
        return 1
    return 0


_NO_CONTENT_TYPES = frozenset(("boolean", "integer", "number"))
# Formats of a single value, never content: `data` is a date in Portuguese, Spanish and Italian
# ("data": {"format": "date"}).
_VALUE_FORMATS = frozenset(("date", "date-time", "time", "email", "uuid"))
# A date written out as its pattern, in the languages whose word for date is "data": "AAAA-MM-GG",
# "YYYY-MM-DD", "DD/MM/AAAA"; or a schema pattern of digits and dashes ("^\d{4}-\d{2}-\d{2}$").
_DATE_PATTERN = re.compile(
    r"\b(?:yyyy|aaaa|jjjj|rrrr)[-/.]mm[-/.](?:dd|gg|tt|jj)\b"
    r"|\b(?:dd|gg|tt|jj)[-/.]mm[-/.](?:yyyy|aaaa|jjjj|rrrr)\b"
    r"|^\^?\\d\{4\}-\\d\{2\}-\\d\{2\}", re.IGNORECASE)


def _holds_no_content(prop: dict[str, Any]) -> bool:
    """A switch or a count (`patch: boolean`, `data: integer`), a choice among fixed values or
    a single date, time, address or id (`data` with format "date" or described "AAAA-MM-GG")
    carries nothing to write, whatever its name."""
    kind = prop.get("type")
    if (type(kind) is str and kind in _NO_CONTENT_TYPES) or "enum" in prop or "const" in prop:
        return True
    if kind not in (None, "string"):
        return False
    shape = prop.get("format")
    if type(shape) is str and shape in _VALUE_FORMATS:
        return True
    for key in ("description", "pattern"):
        said = prop.get(key)
        if type(said) is str and _DATE_PATTERN.search(said[:120]):
            return True
    return False


def _properties(schema: Any) -> dict[str, Any] | None:
    props = schema.get("properties") if type(schema) is dict else None
    if type(props) is not dict:
        return None
    if len(props) == 1:
        # Arguments wrapped in one object (`{"params": {...}}`) are the tool's arguments.
        inner = next(iter(props.values()))
        if type(inner) is dict and inner.get("type") == "object":
            nested = inner.get("properties")
            if type(nested) is dict:
                return nested
    return props


def argument_shape(schema: Any) -> ArgumentShape:
    """The transfer and payload arguments among a schema's top-level properties."""
    props = _properties(schema)
    if not props:
        return _NONE
    amounts: list[str] = []
    counterparts: list[str] = []
    payloads: list[str] = []
    for name in islice(props, _MAX_ARGUMENTS):
        if type(name) is not str:
            continue
        role = _role(name[:100])
        if not role:
            continue
        if role == 1:
            amounts.append(name)
        elif role == 2:
            counterparts.append(name)
        else:
            prop = props[name]
            if type(prop) is dict and _holds_no_content(prop):
                continue  # `patch: true` on a log asks to show the patch
            description = prop.get("description") if type(prop) is dict else None
            said = description[:160] if type(description) is str else ""
            if not (_LOOKUP.search(said) or (
                    _EXAMINED.search(said) and not _KEPT_OR_SENT.search(said))):
                payloads.append(name)
    if not (amounts or counterparts or payloads):
        return _NONE
    return ArgumentShape(tuple(amounts), tuple(counterparts), tuple(payloads))
