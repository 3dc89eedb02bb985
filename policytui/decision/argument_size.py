"""How many values a call's arguments hold, counted only as far as the bound that matters.

Judging a tool's conditions reads every text of the arguments several ways (its path resolved,
cut where a URL's query begins, in Unicode normal form, inside JSON text once parsed), some
microseconds each. A message of 8 MiB holds some 2.7 million empty texts, which took 9 s of
the gateway's one thread to judge: every other client, approval and time-out waited that long,
and a client could send one such call after another. So arguments holding more values than
MOST_VALUES are denied by a tool with conditions before any reading is made; the count stops at
the bound, so telling costs little whatever the message holds.
"""

from __future__ import annotations

from typing import Any

# Far more than any tool's arguments hold (a list of ten thousand paths is 10,001 values), and
# judged in well under a second: the most one call may make the gateway read.
MOST_VALUES = 100_000
_JSON_OPENERS = ("[", "{")
_JSON_WHITESPACE = " \t\r\n"


def holds_too_many_values(args: Any, most: int = MOST_VALUES) -> bool:
    """Whether `args` holds more than `most` values (texts, numbers, lists, objects, their
    keys aside). A top-level text that begins like a JSON list or object counts as every value
    it may hold once parsed, as a server on the MCP Python SDK parses it: one more for each
    `,`, `:`, `[` and `{` in it, which is never fewer than it holds (commas in its texts count
    too: stricter, never looser)."""
    count = 0
    if isinstance(args, dict):
        for value in args.values():
            if isinstance(value, str) and value.lstrip(_JSON_WHITESPACE).startswith(_JSON_OPENERS):
                count += sum(value.count(mark) for mark in ",:[{")
                if count > most:
                    return True
    stack = [args]
    while stack:
        value = stack.pop()
        count += 1
        if count > most:
            return True
        if isinstance(value, (dict, list)):
            if count + len(value) > most:  # each member is one more: told before copying any
                return True
            stack.extend(value.values() if isinstance(value, dict) else value)
    return False
