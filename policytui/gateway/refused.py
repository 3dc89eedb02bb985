"""Refused client messages in the audit log and in the log.

The wire rules (`policytui.gateway.wire`) and the relays refuse a client message before
anything is decided or charged: malformed JSON, duplicate keys, two keys alike in NFC, a batch,
a request without an id, an id still in progress, a version or header that does not fit. An
attacker probing the gateway sends exactly these, so each one that is, or may be, a tool call
gets an audit line of its own (`decision: "refused"`, rule `wire`), written here for stdio and
HTTP alike, and each refusal one WARNING line in the log.

Which refused messages count as a call (docs/gateway.md, "The audit log"):

- one whose `method` reads as `tools/call` in any form: compared after Unicode compatibility
  folding (NFKC) and case folding, with whitespace and invisible characters left out, so
  `Tools/Call`, `tools/call ` and a full-width spelling count; in a message with duplicate
  keys, any of its `method` members; in a batch, each member on its own;
- one the gateway cannot read at all (not UTF-8, not JSON, over the size limit, more arrays and
  objects than the limit, nested too deeply to read): it may be a call, and nothing says not;
- messages glued one after another on one line (`{...}{...}`): each one as if on a line of its
  own (a call among them counted once each), and the rest of the line from where it stops
  reading as JSON as one that cannot be read.

A refused message read as something else (a notification, a response, another method, a JSON
value that is not an object) is no call: it is logged, not audited.

The tool is named only when the message was read as standard JSON without doubt and its
`method` is `tools/call` exactly; its arguments are digested only then too, and when they are
an object (or absent). A message refused as ambiguous (duplicate keys, keys alike in NFC, an
unpaired surrogate escape, nested too deeply) names no tool: which name a server reads is its
parser's choice. Nothing of the message's text is ever written but the tool's name, and the
method or header value a reason quotes, each with the server's credentials starred.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from policytui.gateway import wire
from policytui.gateway.flood_lines import FewerInAFlood
from policytui.textsafe import one_line, without_secrets

log = logging.getLogger("policytui.gateway")

# The audit line's `decision` and `rule` for a refused message (no policy decided it).
REFUSED = "refused"
WIRE_RULE = "wire"
# A reason can quote the client's method (`'tools/call ' needs an id`): kept to this length.
REASON_CHARACTERS = 200
# WARNING lines about refusals per window; beyond them a flood is counted and summed up in one
# line when the window ends (or the gateway stops first), so a client cannot fill the log (the
# audit log, which an attacker fills just as well with denied calls, keeps every call).
WARNINGS_PER_WINDOW = 20
WINDOW_SECONDS = 60.0
# Sets the window in seconds, read once when the gateway starts: a test of the summary line
# must not wait a minute, and an operator may want the flood told sooner or later.
WINDOW_ENV = "POLICYTUI_REFUSAL_LOG_WINDOW"

_lenient = json.JSONDecoder(object_pairs_hook=list)
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True, slots=True)
class RefusedCall:
    """A refused message that is, or may be, a tool call: its tool and arguments when they
    were read without doubt, else None."""

    tool: str | None
    arguments: dict[str, Any] | None


# A message that could not be read at all: it may be a call.
UNREAD = RefusedCall(None, None)


def reads_as_tools_call(method: Any) -> bool:
    """Whether a method name is `tools/call` in some spelling a reader might take for it."""
    if not isinstance(method, str):
        return False
    folded = unicodedata.normalize("NFKC", method).casefold()
    kept = "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch)[0] != "C")
    return kept == "tools/call"


def calls_in_message(message: Any) -> list[RefusedCall]:
    """The call in a message read without doubt (standard JSON, unique keys), if it is one."""
    if not isinstance(message, dict) or not reads_as_tools_call(message.get("method")):
        return []
    params = message.get("params")
    if message.get("method") != "tools/call" or not isinstance(params, dict):
        return [UNREAD]
    name, arguments = params.get("name"), params.get("arguments", {})
    return [RefusedCall(name if isinstance(name, str) else None,
                        arguments if isinstance(arguments, dict) else None)]


def calls_in_line(line: bytes) -> list[RefusedCall]:
    """The calls among a refused line's messages (a batch may hold several, or none)."""
    if line is wire.OVERLONG:
        return [UNREAD]
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return [UNREAD]
    if text.count("[") + text.count("{") > wire.MAX_CONTAINERS:
        return [UNREAD]  # refused for what parsing it costs: not parsed here either
    try:
        value = wire.decode(line)
    except wire.Refusal:
        return _calls_in_ambiguous(text)
    members = value if isinstance(value, list) else [value]
    return [call for member in members for call in calls_in_message(member)]


def _calls_in_ambiguous(text: str) -> list[RefusedCall]:
    """A line that is not standard JSON, or holds an ambiguous object: read leniently (keys
    kept as pairs, duplicates and all) only to tell whether it may be a call, never for a name.
    Messages glued one after another on the line (`{...}{...}`) are each one attempt: a
    reader that splits them may run them all."""
    calls: list[RefusedCall] = []
    for value in _values_in_turn(text.removeprefix("\ufeff")):  # a byte-order mark reads plainly past
        if value is _UNREADABLE:
            calls.append(UNREAD)
        elif _is_object(value):
            calls.extend([UNREAD] if _may_call(value) else [])
        elif isinstance(value, list):
            calls.extend(UNREAD for member in value if _is_object(member) and _may_call(member))
    return calls


# What the rest of a line is from where it stops reading as JSON: it may be a call.
_UNREADABLE = object()


def _values_in_turn(text: str) -> list[Any]:
    """The JSON values written one after another in `text`, read leniently (an object as its
    list of pairs), and `_UNREADABLE` for the rest of it from where it stops reading as JSON or
    after a value that is no object or array (so a line of a million numbers costs one step)."""
    values: list[Any] = []
    index = _after_space(text, 0)
    while index < len(text):
        try:
            value, end = _lenient.raw_decode(text, index)
        except (ValueError, RecursionError):
            values.append(_UNREADABLE)
            break
        values.append(value)
        index = _after_space(text, end)
        if not isinstance(value, list):
            # A text, a number: no message, and what follows it is not read on, one step however long.
            if index < len(text):
                values.append(_UNREADABLE)
            break
    return values or [_UNREADABLE]


def _after_space(text: str, index: int) -> int:
    return _JSON_SPACE.match(text, index).end()  # type: ignore[union-attr]  # matches even nothing


def _is_object(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(pair, tuple) for pair in value)


def _may_call(pairs: list[tuple[str, Any]]) -> bool:
    return any(unicodedata.normalize("NFKC", key).casefold() == "method" and reads_as_tools_call(value)
               for key, value in pairs)


def clipped_reason(reason: str, secrets: tuple[str, ...] = ()) -> str:
    """A refusal's reason as the audit log and the log write it: the server's credentials
    starred before it is clipped, as a credential cut in two is one the starring cannot find."""
    reason = str(without_secrets(reason, secrets))
    return reason if len(reason) <= REASON_CHARACTERS else reason[:REASON_CHARACTERS] + "..."


def quoted(text: str, secrets: tuple[str, ...], limit: int = 0) -> str:
    """The client's `text` (a method, a header's value) as a refusal's reason quotes it: the
    server's credentials starred first, before anything clips or escapes it (a credential cut
    in two, or with its backslashes doubled, is one the starring cannot find later), then made
    one visible line of at most `limit` characters when a limit is given, and quoted."""
    starred = str(without_secrets(text, secrets))
    return repr(one_line(starred, limit) if limit else starred)


def needs_an_id(method: str, secrets: tuple[str, ...]) -> wire.Refusal:
    """The refusal of a request in notification form (a `tools/call` without an id above all)."""
    return wire.Refusal(wire.INVALID_REQUEST, f"Invalid Request: {quoted(method, secrets)} needs an id")


def window_from_environment(environ: Any = None) -> float:
    """The window of `RefusalWarnings`: `$POLICYTUI_REFUSAL_LOG_WINDOW` seconds when it is a
    positive number, else the default minute (a value that is not one is said in the log)."""
    text = (os.environ if environ is None else environ).get(WINDOW_ENV)
    if text is None or not text.strip():
        return WINDOW_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        log.warning("$%s is %s, not a positive number of seconds: refusals are summed up every %g s",
                    WINDOW_ENV, one_line(text, 40), WINDOW_SECONDS)
        return WINDOW_SECONDS
    return seconds


class RefusalWarnings:
    """One WARNING line per refused message, at most `WARNINGS_PER_WINDOW` a window; the rest
    are counted and told in one line when the window ends, or when the gateway stops first
    (`close`), never left for a later refusal that may not come."""

    def __init__(self, clock: Any = time.monotonic, window: float = WINDOW_SECONDS) -> None:
        self._lines = FewerInAFlood(self._summed_up, per_window=WARNINGS_PER_WINDOW, window=window, clock=clock)

    def warn(self, reason: str, grant: str, session: str, calls: list[RefusedCall],
             secrets: tuple[str, ...] = ()) -> None:
        if not self._lines.tell():
            return
        shown = one_line(clipped_reason(reason, secrets), 0)
        log.warning("refused a client message of grant %s (session %s): %s (%s)",
                    one_line(grant, 80), one_line(session, 80), shown, _what_was_audited(calls, secrets))

    def close(self) -> None:
        """The gateway stops: the refusals not yet told are told now, and the timer is gone."""
        self._lines.close()

    @staticmethod
    def _summed_up(untold: int, window: float) -> None:
        log.warning("refused %d more client messages in the last %s s, not logged one by one "
                    "(each call among them is in the audit log)", untold, f"{window:g}")


def _what_was_audited(calls: list[RefusedCall], secrets: tuple[str, ...]) -> str:
    if not calls:
        return "not a tool call; not audited"
    # Starred before clipped: a name clipped first could keep part of a credential.
    names = sorted({one_line(str(without_secrets(call.tool, secrets)), 80) if call.tool is not None
                    else "unread" for call in calls})
    return f"audited as {len(calls)} tool call{'s' if len(calls) > 1 else ''}: tool {', '.join(names)}"
