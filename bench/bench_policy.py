"""How fast policy files load, validate and save at 10,000 tools.

Prints a table: each policytui step next to a baseline measured in the same run on the same
document (a plain `json.loads` of the text, and a plain `json.dumps(indent=2)` of the data,
which is the least any loader or saver must do). Best of several rounds.

Then the commands as a user runs them: `policytui validate FILE` and `policytui check FILE TOOL`,
spawn to exit, median of --process-rounds, next to a bare `python -c "json.load(FILE)"` process
in the same run (target: at most 3x). Rounds are interleaved, after one untimed warm-up round.
Byte code is cached as in an installed package: PYTHONDONTWRITEBYTECODE is dropped for these
processes, so neither side compiles source on every start. `validate` of a file with one error
is shown too (it takes the full validator, which explains the error; no target).
`--compare-with DIR` adds the same commands run from another checkout of policytui (e.g. an
older commit unpacked with `git archive`), in the same rounds.

Run: .venv/bin/python bench/bench_policy.py [--tools N] [--rounds R] [--process-rounds P]
                                            [--compare-with DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policytui.decision import CounterStore, decide  # noqa: E402
from policytui.policy.files import dumps_policy, load_policy, save_policy  # noqa: E402
from policytui.policy.model import Policy  # noqa: E402
from policytui.policy.validate import validate_policy, validate_text  # noqa: E402


def document(n: int) -> dict:
    tools = {}
    for i in range(n):
        rule: dict = {"limits": [{"counter": f"c{i % 50}", "window": "minute", "max": 30}]}
        if i % 3 == 0:
            rule["deny_if"] = [{"path": "args.action", "op": "in", "value": ["delete", "drop"]}]
        if i % 7 == 0:
            rule["x-policytui"] = {"category": "Write"}
        tools[f"tool_{i:05d}"] = rule
    return {"version": "1", "default": "deny", "hide": ["tool_00001"], "tools": tools}


def best(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--process-rounds", type=int, default=7)
    parser.add_argument("--compare-with", metavar="DIR",
                        help="another checkout of policytui to run the same commands from")
    args = parser.parse_args()

    doc = document(args.tools)
    text = json.dumps(doc, indent=2)
    bad_text = text.replace('"minute"', '"minutes"', 1)
    policy = Policy.from_document(doc)
    folder = Path(tempfile.mkdtemp())
    path = folder / "policy.json"
    path.write_text(text)

    loads = best(lambda: json.loads(text), args.rounds)
    dumps = best(lambda: json.dumps(doc, indent=2), args.rounds)
    rows = [
        ("json.loads (baseline)", loads, loads),
        ("validate_text, valid file", best(lambda: validate_text(text), args.rounds), loads),
        ("validate_text(model=False) (validate)",
         best(lambda: validate_text(text, model=False), args.rounds), loads),
        ("  ... warnings=False (check)",
         best(lambda: validate_text(text, model=False, warnings=False), args.rounds), loads),
        ("validate_text, one error", best(lambda: validate_text(bad_text), args.rounds), loads),
        ("load_policy", best(lambda: load_policy(path), args.rounds), loads),
        ("validate_policy (editor, each change)",
         best(lambda: validate_policy(policy), args.rounds), loads),
        ("json.dumps indent=2 (baseline)", dumps, dumps),
        ("dumps_policy", best(lambda: dumps_policy(policy), args.rounds), dumps),
        ("save_policy (atomic, fsync, .bak)",
         best(lambda: save_policy(path, policy), args.rounds), dumps),
        ("copy_deep (undo snapshot)", best(policy.copy_deep, args.rounds), dumps),
    ]
    store = CounterStore()
    calls = 10_000
    per_call = best(lambda: [decide(policy, f"tool_{i % args.tools:05d}", {"action": "get"},
                                    store, now=0) for i in range(calls)], args.rounds)

    print(f"{args.tools} tools, {len(text) / 1e6:.1f} MB of JSON, best of {args.rounds}")
    print(f"{'step':40} {'seconds':>9} {'x baseline':>11}")
    for name, seconds, base in rows:
        print(f"{name:40} {seconds:9.3f} {seconds / base:11.1f}")
    print(f"{'decide() per call':40} {per_call / calls * 1e6:8.1f}us")
    bad_path = folder / "one-error.json"
    bad_path.write_text(bad_text)
    processes(path, bad_path, args.process_rounds, args.compare_with)


BARE = "bare: python -c json.load"


def processes(path: Path, bad_path: Path, rounds: int, other: str | None) -> None:
    """The commands as real processes, against a bare json.load process, rounds interleaved."""
    python = str(ROOT / ".venv/bin/python")
    # The installed command's own script, run by the same interpreter (so that --compare-with
    # can put another checkout first on the path).
    policytui = [python, str(ROOT / ".venv/bin/policytui")]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("PYTHONPATH", None)
    here = {**env, "PYTHONPATH": str(ROOT)}
    commands: dict[str, tuple[list[str], dict[str, str], bool]] = {
        BARE: ([python, "-c", f"import json; json.load(open({str(path)!r}))"], env, True),
        "policytui validate FILE": ([*policytui, "validate", str(path)], here, True),
        "policytui check FILE TOOL": ([*policytui, "check", str(path), "tool_00002"], here, True),
        "policytui validate FILE (one error)": ([*policytui, "validate", str(bad_path)], here,
                                                False),
    }
    if other:
        there = {**env, "PYTHONPATH": str(Path(other).resolve())}
        for label in list(commands)[1:]:
            argv, _, target = commands[label]
            commands[f"{label} [{Path(other).name}]"] = (argv, there, target)
    times: dict[str, list[float]] = {label: [] for label in commands}
    for round_ in range(rounds + 1):
        for label, (argv, environment, _) in commands.items():
            start = time.perf_counter()
            result = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                                    env=environment)
            if round_:  # the first round only writes byte code caches
                times[label].append(time.perf_counter() - start)
            if result.returncode not in (0, 1) or "Traceback" in result.stderr:
                raise SystemExit(f"{label} failed: {result.stderr[-400:]}")
    bare = statistics.median(times[BARE])
    print(f"\nProcesses, median of {rounds} (spawn to exit)")
    print(f"{'command':48} {'seconds':>9} {'x bare':>8}")
    for label, values in times.items():
        median = statistics.median(values)
        target = "  (target <= 3)" if commands[label][2] and label != BARE else ""
        print(f"{label:48} {median:9.3f} {median / bare:8.2f}{target}")


if __name__ == "__main__":
    main()
