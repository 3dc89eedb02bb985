"""Reading recorded calls: `gateway --record` files (with arguments) and audit logs (without).

Both are JSON lines written by the gateway. A line with `arguments` is a recording; a line
with only `args_sha256` comes from an audit log, and its argument values are unknown. A last
line cut short (the gateway was killed mid-write) is skipped and counted; any other line that
is not a recorded call stops the reading with one sentence naming the line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from policytui.decision import Caller


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
    # The human's answer when the call was held ("approved", "rejected", "timed_out"), else None.
    approval: str | None
    # How the forwarded call ended ("ok", "error", ...), None when it was not forwarded.
    upstream: str | None

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


def _epoch(text: str, line: int) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError):
        raise RecordingError(f"line {line} has no valid time ({text!r})") from None


def _call(record: Any, line: int) -> RecordedCall:
    if not isinstance(record, dict):
        raise RecordingError(f"line {line} is not a recorded call (a JSON object was expected)")
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
    upstream = record.get("upstream")
    return RecordedCall(
        line=line,
        time=str(time_text),
        at=at,
        tool=tool,
        caller=Caller(
            grant=grant if isinstance(grant, str) else "default",
            session=session if isinstance(session, str) else "default",
        ),
        arguments=arguments,
        decision=decision,
        rule=str(record.get("rule", "")),
        approval=approval if isinstance(approval, str) else None,
        upstream=upstream if isinstance(upstream, str) else None,
    )


def parse_calls(text: str) -> Calls:
    """The calls in a recording or audit log's text, in file order."""
    lines = text.split("\n")
    calls: list[RecordedCall] = []
    skipped = False
    last = max((i for i, raw in enumerate(lines) if raw.strip()), default=-1)
    for index, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            if index == last and not text.endswith("\n"):
                skipped = True  # cut short while being written
                continue
            raise RecordingError(f"line {index + 1} is not JSON") from None
        if isinstance(record, dict) and record.get("decision") == "probe":
            continue  # the gateway's own call at start (how the server answers unknown tools)
        calls.append(_call(record, index + 1))
    with_arguments = bool(calls) and all(c.arguments is not None for c in calls)
    return Calls(calls, with_arguments, skipped)


def load_calls(path: Path | str) -> Calls:
    """The calls recorded in `path`. Raises RecordingError (one sentence) or OSError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RecordingError(f"{path} is not a text file") from None
    try:
        return parse_calls(text)
    except RecordingError as exc:
        raise RecordingError(f"{path}: {exc}") from None
