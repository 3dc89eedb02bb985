"""Reading recorded calls: `gateway --record` files (with arguments) and audit logs (without).

Both are JSON lines written by the gateway. A line with `arguments` is a recording; a line
with only `args_sha256` comes from an audit log, and its argument values are unknown. A last
line cut short (the gateway was killed mid-write) is skipped and counted, and so is a line
cut short before the end (a gateway killed mid-write, then started again on the same file,
goes on from the next line); any other line that is not a recorded call stops the reading with
one sentence naming the line.

An audit log has two lines for a forwarded call: one written just before it was sent
(`"upstream": "sent"`) and one when its answer came. The call is read once, from the second;
a first line with no second (the gateway stopped while the server worked) is the call itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from policytui.decision import Caller
from policytui.gateway.pins import unapproved
from policytui.userfiles import read_user_file


class RecordingError(Exception):
    """A recording that cannot be read; the message is one sentence."""


@dataclass(frozen=True)
class RecordedCall:
    """One decided `tools/call` as the gateway saw it."""

    line: int
    time: str  # as recorded (ISO 8601, UTC)
    at: float  # the same, in epoch seconds
    tool: str
    caller: Caller
    # The (redacted) arguments, or None when they were not recorded (an audit log).
    arguments: dict[str, Any] | None
    # What the gateway decided then: "allowed", "denied" or "hidden".
    decision: str
    rule: str
    # The human's answer when the call was held ("approved", "rejected", "timed_out", "unavailable"), else None.
    approval: str | None
    # How the forwarded call ended ("ok", "error", ...), None when it was not forwarded.
    upstream: str | None
    # Denied because the tool's definition had drifted from the approved one (pinning).
    drift: bool = False
    # ... because the policy approved no definition of the tool (`unapproved`): a draft that
    # approves one decides the call by its rules, with no definition to compare.
    unapproved: bool = False
    outage: bool = False
    # Denied because the gateway's policy file was invalid or missing, or its audit log could
    # not be written: no rule's doing either.
    fault: bool = False
    # Denied because the server does not list the tool (the gateway answers such a call itself,
    # whatever the policy says: see `policytui.gateway.unknown`).
    unlisted: bool = False
    # Cancelled by its client before the gateway decided it (`_CANCELLED_IN_PINNING`).
    undecided: bool = False
    # Its charge was given back though it was not forwarded: the client cancelled it while its
    # rate limits were being charged (the gateway's reason `_CANCELLED_IN_CHARGE`), or the gateway
    # was being stopped before it was sent (`_STOPPED_BEFORE_SENDING`).
    refunded: bool = False
    # The server the gateway stood in front of (`server` in the audit record), "" when not said:
    # an audit log a state folder's gateways share holds the calls of every server among them.
    server: str = ""
    # The SHA-256 of the policy file that decided it (`policy_sha256`), "" when not said.
    policy_sha256: str = ""
    # For a call a rate limit denied: the limit's maximum and window as the reason states them
    # ("rate limit 3 per hour reached"), else None.
    limit: tuple[int, str] | None = None

    @property
    def recorded_outcome(self) -> str:
        """allowed, held or denied: how the call went without a human's answer counted."""
        if self.approval is not None:
            return "held"
        return "allowed" if self.decision == "allowed" else "denied"


@dataclass
class Calls:
    calls: list[RecordedCall]
    # True when every call carries its arguments; False for an audit log.
    with_arguments: bool
    skipped_last_line: bool = False
    # The numbers of the lines cut short and left out (the last line's among them).
    cut_lines: tuple[int, ...] = ()


def _epoch(text: str, line: int) -> float:
    try:
        return _parse_time(text)
    except (ValueError, AttributeError, TypeError):
        raise RecordingError(f"line {line} has no valid time ({text!r})") from None


@lru_cache(maxsize=256)
def _whole_seconds(prefix: str) -> float:
    return datetime.fromisoformat(prefix + "+00:00").timestamp()


def _parse_time(text: str) -> float:
    # The gateway writes "2026-12-01T10:00:00.123Z": the whole seconds repeat from line to
    # line, so they are parsed once; anything else goes through the full ISO 8601 parser.
    if len(text) == 24 and text[19] == "." and text[23] == "Z" and text[20:23].isdigit():
        return _whole_seconds(text[:19]) + int(text[20:23]) / 1000
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("no time zone")
    return parsed.timestamp()


@lru_cache(maxsize=1024)
def _caller(grant: str, session: str) -> Caller:
    return Caller(grant=grant, session=session)


# The reason the gateway records for a held call its client cancelled while a human was asked
# (`policytui.gateway.enforcer.CANCELLED_IN_APPROVAL`).
_CANCELLED_IN_APPROVAL = "cancelled while waiting for approval"
# The reason it records for a call its client cancelled while the call's rate limits were being
# charged (`policytui.gateway.enforcer.CANCELLED_IN_CHARGE`).
_CANCELLED_IN_CHARGE = "cancelled while its rate limits were being charged"

# The reason it records for a held call withdrawn because the gateway was being stopped (a signal)
# before anyone answered (`policytui.gateway.enforcer.STOPPED_IN_APPROVAL`): held, as a call its
# client cancelled, and never sent.
_STOPPED_IN_APPROVAL = "the gateway is stopping: the call was withdrawn while it waited for approval, and not sent"
# The reason it records for a call let through (and approved, if held) that had not been sent
# when the gateway was being stopped (`policytui.gateway.enforcer.STOPPED_BEFORE_SENDING`): it
# was not sent, and its charge was given back.
_STOPPED_BEFORE_SENDING = "the gateway is stopping: the call was not sent"

# The rule the gateway records for a call to a tool the server does not list
# (`policytui.gateway.unknown`): no policy can let it through, so no draft changes it.
_UNLISTED_RULE = "server.tools"
# The rules of the gateway's own faults (`policytui.gateway.enforcer`): its policy file was
# invalid or missing, or its audit log could not be written. Every call is denied then,
# whatever any policy says.
_FAULT_RULES = ("policy_file", "audit")

# The reason it records for a call its client cancelled before it was decided, while the
# server's tools were listed for pinning (`policytui.gateway.enforcer.CANCELLED_IN_PINNING`).
_CANCELLED_IN_PINNING = "cancelled while the server's tools were listed for pinning"

# The reason the gateway records for a call a full rate limit denied
# (`policytui.decision.decide.rate_limit_denial`).
_LIMIT_REASON = re.compile(r"rate limit ([0-9]{1,18}) per (minute|hour|day) reached")

# The `upstream` of an audit line written just before a call was sent (see the module's doc).
SENT = "sent"

# Lines the gateway writes about itself, not about an agent's call (e.g. "probe": learning how
# the server answers a tool it does not have), and lines of messages refused by the wire rules
# before any policy saw them ("refused": no policy decides them, so no draft changes them, and
# their tool may be unknown). They are skipped.
_OWN_LINES = frozenset({"probe", "refused"})


class NotARecording(RecordingError):
    """The file's first line is not JSON at all: some other kind of file."""


def _call(record: Any, line: int) -> RecordedCall | None:
    if not isinstance(record, dict):
        raise RecordingError(f"line {line} is not a recorded call (a JSON object was expected)")
    if record.get("decision") in _OWN_LINES:
        return None
    tool = record.get("tool")
    decision = record.get("decision")
    if not isinstance(tool, str) or decision not in ("allowed", "denied", "hidden"):
        raise RecordingError(f"line {line} is not a recorded call (it has no tool and decision)")
    if "arguments" in record:
        arguments = record["arguments"]
        if not isinstance(arguments, dict):
            raise RecordingError(f"line {line} has arguments that are not a JSON object")
    elif "args_sha256" in record:
        arguments = None
    else:
        raise RecordingError(f"line {line} is not a recorded call (no arguments and no args_sha256)")
    time_text = record.get("time")
    at = _epoch(time_text, line) if isinstance(time_text, str) else _epoch("", line)
    grant = record.get("grant")
    session = record.get("session")
    approval = record.get("approval")
    reason = record.get("reason")
    if approval is None and decision == "denied" and reason in (_CANCELLED_IN_APPROVAL, _STOPPED_IN_APPROVAL):
        # Held for a human, then cancelled by its client (or the client left), or withdrawn as
        # the gateway stopped: a held call nobody answered.
        approval = "cancelled"
    refunded = decision == "denied" and reason in (_CANCELLED_IN_CHARGE, _STOPPED_BEFORE_SENDING)
    if refunded:
        # Let through by the policy (and approved, if it was held), then cancelled by its
        # client (or the client left), or stopped by the gateway's own stop, before it was
        # sent; its charge was given back. The denial is not the policy's doing: the call is
        # compared as allowed.
        decision = "allowed"
    upstream = record.get("upstream")
    server = record.get("server")
    sha = record.get("policy_sha256")
    limit = None
    if decision == "denied" and isinstance(reason, str):
        stated = _LIMIT_REASON.match(reason)
        if stated:
            limit = (int(stated.group(1)), stated.group(2))
    return RecordedCall(
        line=line,
        time=str(time_text),
        at=at,
        tool=tool,
        caller=_caller(
            grant if isinstance(grant, str) else "default",
            session if isinstance(session, str) else "default",
        ),
        arguments=arguments,
        decision=decision,
        rule=str(record.get("rule", "")),
        approval=approval if isinstance(approval, str) else None,
        upstream=upstream if isinstance(upstream, str) else None,
        drift=record.get("drift") is True,
        unapproved=record.get("drift") is True and reason == unapproved(tool),
        # Denied because the gateway's rate-limit state store was down: no policy's doing.
        outage=decision == "denied" and record.get("rule") == "state",
        fault=decision == "denied" and record.get("rule") in _FAULT_RULES,
        unlisted=decision == "denied" and record.get("rule") == _UNLISTED_RULE,
        undecided=decision == "denied" and reason == _CANCELLED_IN_PINNING,
        refunded=refunded,
        server=server if isinstance(server, str) else "",
        policy_sha256=sha if isinstance(sha, str) else "",
        limit=limit,
    )


def parse_calls(text: str) -> Calls:
    """The calls in a recording or audit log's text, in file order."""
    lines = text.split("\n")
    calls: list[RecordedCall] = []
    # Calls on their way to the server, by who called what with which arguments, until the
    # line with their outcome comes (calls alike are alike for a replay: first in, first out).
    sent: dict[tuple[Any, ...], list[RecordedCall]] = {}
    skipped = False
    cut: list[int] = []
    last = max((i for i, raw in enumerate(lines) if raw.strip()), default=-1)
    for index, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested thousands deep
            if index == last and not text.endswith("\n"):
                skipped = True  # cut short while being written
                cut.append(index + 1)
                continue
            if _cut_short(raw):  # a writer killed mid-line; the next one began a line of its own
                cut.append(index + 1)
                continue
            if not calls and not any(r.strip() for r in lines[:index]):
                raise NotARecording(EXPECTED) from None  # not even the first line: another file
            raise RecordingError(f"line {index + 1} is not JSON") from None
        call = _call(record, index + 1)
        if call is None:
            continue
        key = (call.tool, call.caller, record.get("args_sha256"), call.decision)
        if call.upstream == SENT:
            sent.setdefault(key, []).append(call)
            continue
        waiting = sent.get(key)
        if waiting and call.upstream is not None:
            waiting.pop(0)
        calls.append(call)
    unfinished = [call for waiting in sent.values() for call in waiting]
    if unfinished:
        calls = sorted(calls + unfinished, key=lambda call: call.line)
    with_arguments = bool(calls) and all(c.arguments is not None for c in calls)
    return Calls(calls, with_arguments, skipped, tuple(cut))


_PART_OF_A_VALUE = re.compile(r"(t(r(ue?)?)?|f(a(l(se?)?)?)?|n(u(ll?)?)?|-?[0-9]*(\.[0-9]*)?([eE][+-]?[0-9]*)?)")


def _cut_short(raw: str) -> bool:
    """Whether `raw` is the beginning of a JSON object whose text ends too early (a record
    whose writing stopped part way), rather than text that is wrong where it stands."""
    text = raw.rstrip()
    if not text.startswith("{"):
        return False
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        # Where the reading stopped, only the start of one word or number may stand: `tr`
        # of true, `1.` of 1.5 (the reader stops before what it cannot take whole).
        return exc.msg.startswith("Unterminated string") or _PART_OF_A_VALUE.fullmatch(text, exc.pos) is not None
    except (ValueError, RecursionError):
        return False
    return False


def servers_of(calls: Calls) -> list[str]:
    """The servers whose calls the recording holds, in order of first appearance."""
    return list(dict.fromkeys(call.server for call in calls.calls if call.server))


def of_server(calls: Calls, server: str) -> Calls:
    """Only the calls made through the gateway in front of `server`."""
    kept = [call for call in calls.calls if call.server == server]
    with_arguments = bool(kept) and all(c.arguments is not None for c in kept)
    return Calls(kept, with_arguments, calls.skipped_last_line, calls.cut_lines)


def load_calls(path: Path | str) -> Calls:
    """The calls recorded in `path`. Raises RecordingError (one sentence) or OSError."""
    path = Path(path)
    try:
        # Not read_text: a device (/dev/zero) never ends and a named pipe nobody writes to
        # would wait forever.
        text = read_user_file(path).decode("utf-8")
    except UnicodeDecodeError:
        raise RecordingError(f"{path} is not a text file") from None
    if _one_json_document(text):
        # A pretty-printed call, a policy file, a JSON array: valid JSON, but not a recording.
        raise RecordingError(f"{path} is not a recording: {EXPECTED}")
    try:
        return parse_calls(text)
    except NotARecording:
        raise RecordingError(f"{path} is not a recording: {EXPECTED}") from None
    except RecordingError as exc:
        raise RecordingError(f"{path}: {exc}") from None


EXPECTED = "expected one JSON object per line (gateway --record or an audit log)"


def _one_json_document(text: str) -> bool:
    """Is the text one JSON value that is not a one-line object (the only single document
    that is also a recording of one call)?"""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return False
    try:
        whole = json.loads(stripped)
    except (ValueError, RecursionError):
        return False  # several lines of JSON, or not JSON at all: parse_calls says which
    return not isinstance(whole, dict) or "\n" in stripped
