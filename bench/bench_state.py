"""What the state store adds to each tool call: memory, SQLite and Redis side by side.

In one process, the gateway's `Enforcer.handle_call` decides, charges and audits calls to a
tool with two rate limits (a global and a per-grant counter), with a no-op upstream. Each
store is timed per call, p50 and p99; "added" is the store's percentile minus the same call
under a policy with no limits (which touches no store). Also the bare round trip of one
`reserve` per store. Redis is a real redis-server on a free loopback port, started and stopped
here (skipped with a note if it is not installed). Rounds alternate the stores so machine load
hits all alike.

Run: .venv/bin/python bench/bench_state.py [--calls 5000] [--rounds 3]
Targets: SQLite adds <= 0.5 ms p50; Redis on loopback adds <= 0.5 ms p50.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anyio

from policytui.decision import Caller, decide
from policytui.gateway.audit import AuditLog
from policytui.gateway.enforcer import Enforcer
from policytui.gateway.store import StateStore, open_store
from policytui.policy.model import Policy

TARGET_MS = 0.5

LIMITED = {
    "version": "1",
    "default": "deny",
    "tools": {
        "echo": {
            "limits": [
                {"counter": "echo_global", "window": "day", "max": 100_000_000, "scope": "global"},
                {"counter": "echo_grant", "window": "minute", "max": 100_000_000, "scope": "grant"},
            ]
        }
    },
}
UNLIMITED = {"version": "1", "default": "deny", "tools": {"echo": {}}}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    return None


async def time_calls(enforcer: Enforcer, calls: int) -> list[float]:
    caller = Caller("default", "bench")

    async def forward() -> dict[str, Any]:
        return {"content": []}

    async def ask(decision: Any) -> Any:
        raise AssertionError("no approval in this policy")

    for i in range(200):  # warm-up: connections, statement caches, the script cache
        await enforcer.handle_call("echo", {"message": f"warm {i}"}, caller, forward, ask)
    latencies = []
    for i in range(calls):
        started = time.perf_counter()
        result = await enforcer.handle_call("echo", {"message": f"call {i}"}, caller, forward, ask)
        latencies.append((time.perf_counter() - started) * 1000)
        assert not result.get("isError"), result
    return latencies


def time_reserve(store: StateStore, calls: int) -> list[float]:
    budgets = decide(Policy.from_document(LIMITED), "echo", {}, caller=Caller("default", "bench")).budgets
    latencies = []
    for _ in range(calls):
        started = time.perf_counter()
        store.reserve(budgets)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def measure(calls: int, rounds: int, tmp: Path) -> dict[str, Any]:
    """Per store: handle_call latencies, reserve latencies; plus the no-limit baseline."""
    stores: dict[str, Callable[[], StateStore]] = {
        "memory": lambda: open_store("memory://", tmp, policy="bench"),
        "sqlite": lambda: open_store(None, tmp / "state", policy="bench"),
    }
    redis = start_redis(tmp)
    if redis is not None:
        stores["redis"] = lambda: open_store(redis[1], tmp, policy="bench")
    limited, unlimited = Policy.from_document(LIMITED), Policy.from_document(UNLIMITED)
    results: dict[str, Any] = {name: {"call": [], "reserve": []} for name in ["none", *stores]}
    try:
        for round_number in range(rounds):
            audit = AuditLog(tmp / f"audit-{round_number}.jsonl")
            baseline = Enforcer(lambda: unlimited, audit=audit, store=stores["memory"]())
            results["none"]["call"] += await time_calls(baseline, calls)
            for name, make in stores.items():
                store = make()
                store.check()
                enforcer = Enforcer(lambda: limited, audit=audit, store=store)
                results[name]["call"] += await time_calls(enforcer, calls)
                results[name]["reserve"] += time_reserve(store, calls)
                store.close()
            audit.close()
    finally:
        if redis is not None:
            redis[0].terminate()
            redis[0].wait(10)
    return results


def report(results: dict[str, Any], calls: int, rounds: int) -> list[str]:
    lines = [
        f"state store cost per call, in process, {calls} calls x {rounds} rounds (decide + charge + audit line)",
        f"{'store':<8} {'call p50':>9} {'call p99':>9} {'added p50':>10} {'added p99':>10} {'reserve p50':>12} {'reserve p99':>12}",
    ]
    base50, base99 = percentile(results["none"]["call"], 50), percentile(results["none"]["call"], 99)
    lines.append(f"{'no limit':<8} {base50:>9.3f} {base99:>9.3f} {'-':>10} {'-':>10} {'-':>12} {'-':>12}")
    verdicts = []
    for name in ("memory", "sqlite", "redis"):
        if name not in results:
            lines.append(f"{name:<8} not measured: redis-server is not installed")
            continue
        call, reserve = results[name]["call"], results[name]["reserve"]
        p50, p99 = percentile(call, 50), percentile(call, 99)
        lines.append(
            f"{name:<8} {p50:>9.3f} {p99:>9.3f} {p50 - base50:>+10.3f} {p99 - base99:>+10.3f} "
            f"{percentile(reserve, 50):>12.3f} {percentile(reserve, 99):>12.3f}"
        )
        if name in ("sqlite", "redis"):
            added = p50 - base50
            verdicts.append(f"target {name} adds <= {TARGET_MS} ms p50: {'met' if added <= TARGET_MS else 'MISSED'} ({added:.3f} ms)")
    lines.append("(milliseconds; added = the store's call percentile minus the no-limit call's)")
    lines += verdicts
    lines.append(f"machine load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return lines


def run_state_bench(calls: int = 5000, rounds: int = 3) -> list[str]:
    """The report's lines; what bench_gateway.py prints after its own table."""
    with tempfile.TemporaryDirectory(prefix="bench-state-") as tmp_name:
        results = anyio.run(measure, calls, rounds, Path(tmp_name))
    return report(results, calls, rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for line in run_state_bench(args.calls, args.rounds):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
