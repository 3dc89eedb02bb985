"""The most a gate could save on each stage of the classifier: the perfect gate's ceiling.

A gate skips a stage for a tool whose words cannot make the stage fire. The best any gate can
do is to skip exactly the calls that change nothing, at no cost. This bench finds those calls
(one pass that records, for each call of a stage, whether it changed the reading or returned
anything), then times the same tools with those calls skipped against the same tools with
every call made, in alternating rounds, each through the same thin wrapper so that only the
skipping differs. A classification that differs with the calls skipped is reported: it means
a stage did more than the recording saw, and the ceiling is not one.

A real gate costs something (tokenising, a set test) and skips less: a sound one must let
through every tool holding any word the stage's rules can match. If the ceiling of a stage is
small, no gate on it is worth writing.

Run: .venv/bin/python bench/gate_ceiling.py [--rounds R] [--tools N] [--servers S]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_classifier import (  # noqa: E402
    corpus_servers,
    forget_what_was_classified,
    synthetic_tools,
)

from policytui.risk import classifier, classify_all, wording  # noqa: E402
from policytui.toolinfo import ToolInfo  # noqa: E402


def _reading_state(reading: Any) -> tuple[Any, ...]:
    """All a stage may change on the reading it weighs (`findings.Reading`)."""
    return (reading.category, reading.severity, reading.confidence, tuple(reading.evidence),
            tuple(reading.against), reading.kind, reading.disagree, reading.rendered)


def _changed_the_reading(args: tuple[Any, ...], before: Any, result: Any) -> bool:
    return _reading_state(args[0]) != before


def _found_something(args: tuple[Any, ...], before: Any, result: Any) -> bool:
    return result is not None


# (label, module whose global the classifier calls it by, function name, what the stage
# reads before it runs, whether a call did anything).
Stage = tuple[str, ModuleType, str, Callable[[tuple[Any, ...]], Any],
              Callable[[tuple[Any, ...], Any, Any], bool]]
STAGES: list[Stage] = [
    ("money stage (weigh_money)", classifier, "weigh_money",
     lambda args: _reading_state(args[0]), _changed_the_reading),
    ("argument rules (weigh_arguments)", classifier, "weigh_arguments",
     lambda args: _reading_state(args[0]), _changed_the_reading),
    ("later-sentence rules (wording._said_later)", wording, "_said_later",
     lambda args: None, _found_something),
]


class _Calls:
    """Counts a stage's calls in order; in `skip`, the indexes of those that did nothing."""

    def __init__(self) -> None:
        self.at = 0
        self.did_nothing: list[bool] = []
        self.skip = False


def _wrapped(original: Callable[..., Any], calls: _Calls, before: Callable[..., Any],
             did: Callable[..., bool], *, record: bool) -> Callable[..., Any]:
    if record:
        def recording(*args: Any) -> Any:
            state = before(args)
            result = original(*args)
            calls.did_nothing.append(not did(args, state, result))
            return result
        return recording

    def replaying(*args: Any) -> Any:
        at = calls.at
        calls.at = at + 1
        if calls.skip and calls.did_nothing[at]:
            return None  # what such a call returned (every stage here returns None or a find)
        return original(*args)
    return replaying


def _classify(tool_sets: list[list[ToolInfo]]) -> list[dict[str, Any]]:
    return [classify_all(tools) for tools in tool_sets]


def _as_json(found: list[dict[str, Any]]) -> list[str]:
    return [json.dumps({name: c.to_json() for name, c in server.items()}, sort_keys=True)
            for server in found]


def ceiling(stage: Stage, tool_sets: list[list[ToolInfo]], rounds: int) -> dict[str, Any]:
    """The stage's calls, those that did nothing, and the best CPU time of `rounds` rounds
    with every call made and with those calls skipped."""
    _label, module, name, before, did = stage
    original = getattr(module, name)
    calls = _Calls()
    expected = _as_json(_classify(tool_sets))
    try:
        setattr(module, name, _wrapped(original, calls, before, did, record=True))
        forget_what_was_classified()
        _classify(tool_sets)
        setattr(module, name, _wrapped(original, calls, before, did, record=False))
        best = {False: float("inf"), True: float("inf")}
        for _ in range(rounds):
            for skip in (False, True):
                calls.at, calls.skip = 0, skip
                forget_what_was_classified()
                cpu = time.process_time()
                found = _classify(tool_sets)
                best[skip] = min(best[skip], time.process_time() - cpu)
                if calls.at != len(calls.did_nothing):
                    raise SystemExit(f"{name}: {calls.at} calls, {len(calls.did_nothing)} "
                                     "recorded: the calls are not made in one order")
                if skip and _as_json(found) != expected:
                    raise SystemExit(f"{name}: a classification changed with the calls that "
                                     "did nothing skipped: the recording missed what they do")
    finally:
        setattr(module, name, original)
    return {"calls": len(calls.did_nothing), "did_nothing": sum(calls.did_nothing),
            "all": best[False], "skipped": best[True]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--servers", type=int, default=None,
                        help="only the first S corpus servers (all by default)")
    args = parser.parse_args(argv)
    servers = corpus_servers()[:args.servers]
    real = sum(len(tools) for tools in servers)
    sets = [(f"{args.tools} synthetic tools", [synthetic_tools(args.tools)], args.tools)]
    if real:
        sets.append((f"{real} real tools (corpus)", servers, real))
    print(f"best of {args.rounds} alternating rounds, CPU seconds per 10,000 tools")
    print(f"{'stage':44} {'tools':28} {'calls':>6} {'idle':>6} {'all':>7} {'skipped':>7} "
          f"{'saves':>6}")
    for stage in STAGES:
        for label, tool_sets, count in sets:
            found = ceiling(stage, tool_sets, args.rounds)
            scale = 10_000 / count
            whole, skipped = found["all"] * scale, found["skipped"] * scale
            print(f"{stage[0]:44} {label:28} {found['calls']:6} {found['did_nothing']:6} "
                  f"{whole:7.3f} {skipped:7.3f} {100 * (whole - skipped) / whole:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
