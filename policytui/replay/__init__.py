"""Replaying recorded tool calls against a draft policy: what would change before it goes live.

`load_calls(path)` reads a recording (`gateway --record`) or an audit log; `replay(calls,
draft, against=None)` decides every call under the draft with the one decision function, in
order, with rate-limit counters simulated from the recorded times, and compares each outcome
with the recorded decision (or with the decision under `against`).
"""

from policytui.replay.calls import RecordedCall, RecordingError, load_calls, parse_calls
from policytui.replay.engine import Change, Replay, ReplayReport, replay

__all__ = [
    "Change",
    "RecordedCall",
    "RecordingError",
    "Replay",
    "ReplayReport",
    "load_calls",
    "parse_calls",
    "replay",
]
