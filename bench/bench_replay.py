"""How fast replay is on 10,000 recorded calls: whole process, in process, in the editor panel.

The recording is written in the gateway's `--record` format (60 tools, mixed arguments, two
callers, one call every 0.3 s so minute and hour windows fill up). The draft has argument
conditions, per-tool and shared limits, approvals and hidden tools. Baselines from the same
run, on the same calls: reading the file's JSON lines, and calling `decide` once per call with
no comparison or counting around it. Best of several rounds.

Run: .venv/bin/python bench/bench_replay.py [--calls N] [--rounds R]
Target: the editor's panel re-decides 10,000 calls in under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policytui.decision import decide  # noqa: E402
from policytui.policy.model import Policy  # noqa: E402
from policytui.replay import Replay, load_calls  # noqa: E402

TARGET_MS = 100.0
TOOLS = [f"tool_{i:02d}" for i in range(60)]


def write_recording(path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = 1764583200.0  # a UTC hour boundary
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            at = start + i * 0.3
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"
            tool = rng.choice(TOOLS)
            args = {"namespace": rng.choice(["dev", "prod", "test"]), "n": rng.randint(0, 200), "path": f"/data/{i}.txt"}
            record = {
                "time": stamp, "server": "bench", "grant": rng.choice(["alice", "bob"]), "session": "s1",
                "tool": tool, "decision": "allowed", "rule": "default", "reason": "",
                "args_sha256": "0" * 64, "upstream": "ok", "ms": 1.0, "arguments": args,
            }
            out.write(json.dumps(record) + "\n")


def draft_policy() -> Policy:
    tools: dict[str, dict] = {}
    for i, name in enumerate(TOOLS):
        if i % 6 == 0:
            tools[name] = {"deny_if": [{"path": "args.namespace", "op": "eq", "value": "prod"}]}
        elif i % 6 == 1:
            tools[name] = {"limits": [{"counter": f"c{i}", "window": "minute", "max": 5}]}
        elif i % 6 == 2:
            tools[name] = {"require_approval_if": [{"path": "args.n", "op": "gt", "value": 150}]}
        elif i % 6 == 3:
            tools[name] = {"limits": [{"counter": "writes", "window": "hour", "max": 400, "scope": "global"}]}
        elif i % 6 == 4:
            tools[name] = {"action": "deny"}
        else:
            tools[name] = {}
    return Policy.from_document({"version": "1", "default": "deny", "hide": [TOOLS[5]], "tools": tools})


def best(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def editor_panel_ms(recording: Path, rounds: int) -> tuple[float, int]:
    """Best time of the panel's refresh after an edit, in a running editor (Pilot)."""
    from policytui.toolinfo import ServerListing
    from policytui.tui import make_app

    listing = ServerListing.from_tool_dicts(
        [{"name": name, "description": f"Tool {name}.", "inputSchema": {"type": "object"}} for name in TOOLS],
        server_name="bench",
    )
    times: list[float] = []
    changed = 0

    async def run() -> None:
        nonlocal changed
        with tempfile.TemporaryDirectory(prefix="replay-bench-") as folder:
            policy_path = Path(folder) / "policy.json"
            policy_path.write_text(draft_policy().model_dump_json(by_alias=True, exclude_none=True), encoding="utf-8")
            app = make_app(policy_path=policy_path, listing=listing, replay_path=recording)
            async with app.run_test(size=(120, 40)) as pilot:
                await app.loaded.wait()
                assert app.replay_ready is not None
                await app.replay_ready.wait()
                await pilot.press("6")  # the tab decides the calls again while it shows
                await pilot.pause(0.2)
                for i in range(rounds):
                    await pilot.press("d" if i % 2 == 0 else "a")  # an edit on the selected tool
                    await pilot.pause(0.35)  # the panel refreshes once typing pauses
                    times.append(app.replay_ms)
                assert app.replay_report is not None
                changed = sum(c.count for c in app.replay_report.changes)

    asyncio.run(run())
    return min(times), changed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-editor", action="store_true", help="skip the editor panel measurement")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="replay-bench-") as folder:
        recording = Path(folder) / "recording.jsonl"
        write_recording(recording, args.calls)
        draft = Path(folder) / "draft.json"
        draft.write_text(draft_policy().model_dump_json(by_alias=True, exclude_none=True), encoding="utf-8")
        policy = draft_policy()
        calls = load_calls(recording)
        lines = recording.read_text(encoding="utf-8").splitlines()

        parse_json = best(lambda: [json.loads(line) for line in lines], args.rounds)
        load = best(lambda: load_calls(recording), args.rounds)
        replay = Replay(calls)
        run = best(lambda: replay.run(policy), args.rounds)

        def bare() -> None:
            for call in calls.calls:
                decide(policy, call.tool, call.arguments, None, caller=call.caller, now=call.at)

        bare_decide = best(bare, args.rounds)
        command = [str(Path(sys.executable).parent / "policytui"), "replay", str(recording), "--policy", str(draft), "--json"]
        process = best(lambda: subprocess.run(command, capture_output=True, check=False), max(3, args.rounds // 2))
        help_only = best(
            lambda: subprocess.run([str(Path(sys.executable).parent / "policytui"), "--help"], capture_output=True, check=False),
            max(3, args.rounds // 2),
        )
        report = replay.run(policy)
        panel = None if args.no_editor else editor_panel_ms(recording, args.rounds)

    n = args.calls
    rows = [
        ("baseline: json.loads of every line", parse_json, None),
        ("baseline: decide() per call, nothing else", bare_decide, None),
        ("baseline: policytui --help (process start)", help_only, None),
        ("load_calls (read + check the file)", load, parse_json),
        ("Replay.run (re-decide, counters, compare)", run, bare_decide),
        ("policytui replay --json (whole process)", process, help_only),
    ]
    print(f"replay of {n:,} recorded calls ({sum(c.count for c in report.changes):,} change), best of {args.rounds}")
    print(f"{'measure':48} {'ms':>9} {'µs/call':>8} {'ratio':>7}")
    for label, seconds, base in rows:
        ratio = f"{seconds / base:.2f}x" if base else ""
        print(f"{label:48} {seconds * 1000:9.1f} {seconds * 1e6 / n:8.2f} {ratio:>7}")
    if panel is not None:
        ms, _changed = panel
        print(f"{'editor Replay panel refresh after an edit':48} {ms:9.1f} {ms * 1000 / n:8.2f} {ms / (run * 1000):6.2f}x")
        verdict = "met" if ms < TARGET_MS else "NOT met"
        print(f"target: panel under {TARGET_MS:.0f} ms for 10,000 calls: {verdict} ({ms:.1f} ms)")


if __name__ == "__main__":
    main()
