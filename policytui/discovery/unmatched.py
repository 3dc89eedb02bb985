"""Which request an answer settles when the id it names is of no use: one rule for every
transport where that id alone ties an answer to its request (a server started as a command,
whose answers all come on its standard output; legacy SSE, whose answers all come on one
event stream).

An id is of no use when the answer names none, names null, names an id of another type than
the request's (`"7"` for the request 7: ids are matched exactly, their type included), or the
id of no request waiting. Such an answer cannot be refused outright: the server answered, so a
tool may have run. With exactly one request waiting it can be the answer of no other: that
request fails as answered with an invalid result, its charge kept. With several, whose answer
it is cannot be told: it is logged and dropped, and they wait for their own answers or their
time-out. Before asking, each transport drops quietly the late answer of a request it gave up
on (its time-out, its client's cancel): it is never taken for another's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

log = logging.getLogger("policytui.discovery")

_Key = TypeVar("_Key")


def matched_id(request_id: Any) -> int | str | None:
    """An id as answers are matched by: a string or an integer, exactly; None for anything
    else, which no request carries (`true` and `7.0` among them, which Python would take for
    1 and 7)."""
    return request_id if type(request_id) is int or type(request_id) is str else None


def lone_request(request_id: Any, waiting: Mapping[_Key, Any]) -> _Key | None:
    """The request an answer naming `request_id`, which names no request in `waiting`,
    settles: the one request waiting, when exactly one is; else None, the answer logged and
    dropped."""
    if len(waiting) == 1:
        # Its call's failure is said in the log as any invalid result is.
        log.debug("the upstream server answered naming no request waiting (id %s): the one request "
                  "waiting fails as answered with an invalid result", shown_id(request_id))
        return next(iter(waiting))
    if not waiting:
        log.warning("the upstream server answered naming no request waiting (id %s) while none wait: "
                    "dropped", shown_id(request_id))
    else:
        log.warning("the upstream server answered naming no request waiting (id %s) while %d wait: "
                    "dropped, they wait for their answers or their time-out", shown_id(request_id), len(waiting))
    return None


def shown_id(request_id: Any) -> str:
    """An id as the log shows it: short, and never a text of the server's at length."""
    text = repr(request_id) if isinstance(request_id, (int, float, bool, type(None))) else type(request_id).__name__
    if isinstance(request_id, str):
        text = repr(request_id[:40])
    return text[:60]
