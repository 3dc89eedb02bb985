"""What `policytui gateway` adds to each tool call, against calling the server directly.

In one run, with the SDK already imported, the same mcp `Client` (legacy mode, stdio) calls
server-everything's `echo` tool:

- direct:  client -> mcp-server-everything
- gateway: client -> `python -m policytui gateway --policy P -- mcp-server-everything stdio`
           -> mcp-server-everything (policy: allow `echo` with a rate limit, so every call is
           decided, charged and audited to a file)

Latency: N sequential calls after a warm-up, p50 and p99 each way; "added" is the gateway's
percentile minus the direct one. Throughput: N calls with C in flight at once. Also the cost
of the gateway's own work per call (decide + charge + audit line), measured in process.
Rounds alternate direct and gateway so machine load hits both alike.

Run: .venv/bin/python bench/bench_gateway.py [--calls 1000] [--concurrency 16] [--rounds 2] [--state-calls 3000]
The gateway process keeps its counters in its default state store (SQLite in the state folder);
bench_state.py's table follows, with memory, SQLite and Redis side by side.
Targets: added p50 <= 1 ms, added p99 <= 5 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from policytui.decision import Caller
from policytui.gateway.audit import AuditLog
from policytui.gateway.enforcer import Enforcer
from policytui.policy.model import Policy

P50_TARGET_MS = 1.0
P99_TARGET_MS = 5.0

POLICY = {
    "version": "1",
    "default": "deny",
    "hide": ["get-env"],
    "tools": {
        "echo": {
            "deny_if": [{"path": "args.message", "op": "regex", "value": "^rm -rf"}],
            "limits": [{"counter": "echo_rate", "window": "day", "max": 10_000_000}],
        }
    },
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@asynccontextmanager
async def connect(command: str, args: list[str], errlog: Any) -> Any:
    params = StdioServerParameters(command=command, args=args)
    async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
        yield client


def gateway_pid() -> int | None:
    """This process's `policytui gateway` child, to read its CPU time."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[stat.rfind(")") + 2 :].split()[1]) == me and b"gateway" in cmdline:
            return int(entry)
    return None


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text()
    fields = fields[fields.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(client: Client, calls: int, concurrency: int, pid: int | None = None) -> tuple[list[float], float, float]:
    for i in range(50):  # warm-up: JIT-free, but caches, buffers and the server settle
        await client.call_tool("echo", {"message": f"warm {i}"})
    cpu_before = cpu_seconds(pid)
    latencies = []
    for i in range(calls):
        started = time.perf_counter()
        result = await client.call_tool("echo", {"message": f"call {i}"})
        latencies.append((time.perf_counter() - started) * 1000)
        assert not result.is_error, result
    cpu_ms = (cpu_seconds(pid) - cpu_before) / calls * 1000
    queue = list(range(calls))

    async def worker() -> None:
        while queue:
            i = queue.pop()
            result = await client.call_tool("echo", {"message": f"burst {i}"})
            assert not result.is_error

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    throughput = calls / (time.perf_counter() - started)
    return latencies, throughput, cpu_ms


async def enforcer_cost(calls: int, audit_path: Path) -> float:
    """Microseconds of the gateway's own work per call: decide, charge, audit line."""
    enforcer = Enforcer(lambda: policy, audit=AuditLog(audit_path))
    policy = Policy.from_document(POLICY)
    caller = Caller("default", "bench")

    async def forward() -> dict[str, Any]:
        return {"content": []}

    async def ask(decision: Any) -> Any:
        raise AssertionError

    started = time.perf_counter()
    for i in range(calls):
        await enforcer.handle_call("echo", {"message": f"call {i}"}, caller, forward, ask)
    return (time.perf_counter() - started) / calls * 1e6


async def main_async(args: argparse.Namespace) -> int:
    servers = Path(os.environ.get("POLICYTUI_TEST_SERVERS", ROOT / ".test-servers"))
    everything = servers / "everything" / "node_modules" / ".bin" / "mcp-server-everything"
    if not everything.exists():
        print(f"server-everything is not installed at {everything}; run tests/servers/install.sh", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        policy = tmp / "policy.json"
        policy.write_text(json.dumps(POLICY), encoding="utf-8")
        gateway_args = [
            "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp / "state"),
            "--log", str(tmp / "gateway.log"), "--", str(everything), "stdio",
        ]
        direct: dict[str, list[Any]] = {"lat": [], "tput": []}
        through: dict[str, list[Any]] = {"lat": [], "tput": [], "cpu": []}
        with open(tmp / "stderr.txt", "w") as errlog:  # noqa: ASYNC230 - set-up, before timing
            for _ in range(args.rounds):
                async with connect(str(everything), ["stdio"], errlog) as client:
                    lat, tput, _ = await measure(client, args.calls, args.concurrency)
                    direct["lat"] += lat
                    direct["tput"].append(tput)
                async with connect(sys.executable, gateway_args, errlog) as client:
                    lat, tput, cpu = await measure(client, args.calls, args.concurrency, gateway_pid())
                    through["lat"] += lat
                    through["tput"].append(tput)
                    through["cpu"].append(cpu)
        audited = (tmp / "state" / "audit.jsonl").read_text(encoding="utf-8").count("\n")
        own_us = await enforcer_cost(args.calls * 5, tmp / "bench-audit.jsonl")

    rows = []
    for label, q in (("p50 latency (ms)", 50), ("p99 latency (ms)", 99)):
        d, g = percentile(direct["lat"], q), percentile(through["lat"], q)
        rows.append((label, d, g, g - d, g / d))
    d_mean, g_mean = statistics.fmean(direct["lat"]), statistics.fmean(through["lat"])
    rows.append(("mean latency (ms)", d_mean, g_mean, g_mean - d_mean, g_mean / d_mean))
    d_t, g_t = statistics.median(direct["tput"]), statistics.median(through["tput"])
    rows.append((f"throughput (calls/s, {args.concurrency} in flight)", d_t, g_t, g_t - d_t, g_t / d_t))

    print(f"policytui gateway vs direct, {args.calls} calls x {args.rounds} rounds, server-everything echo, stdio")
    print(f"{'measure':<36} {'direct':>10} {'gateway':>10} {'added':>10} {'ratio':>7}")
    for label, d, g, added, ratio in rows:
        print(f"{label:<36} {d:>10.3f} {g:>10.3f} {added:>+10.3f} {ratio:>7.2f}")
    print(f"gateway process CPU time per sequential call: {statistics.median(through['cpu']):.3f} ms")
    print(f"gateway's own work per call (decide + charge + audit, in process): {own_us:.1f} us")
    print(f"machine load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"audit lines written through the gateway: {audited}")
    added_p50, added_p99 = rows[0][3], rows[1][3]
    verdict_50 = "met" if added_p50 <= P50_TARGET_MS else "MISSED"
    verdict_99 = "met" if added_p99 <= P99_TARGET_MS else "MISSED"
    print(f"target added p50 <= {P50_TARGET_MS} ms: {verdict_50} ({added_p50:.3f} ms)")
    print(f"target added p99 <= {P99_TARGET_MS} ms: {verdict_99} ({added_p99:.3f} ms)")
    if args.state_calls:
        # The same cost per state store (memory, SQLite, Redis): bench_state.py.
        from bench_state import run_state_bench

        print()
        for line in await anyio.to_thread.run_sync(run_state_bench, args.state_calls, args.rounds):
            print(line)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--state-calls", type=int, default=3000, help="calls per state store in the state table (0: skip it)")
    return anyio.run(main_async, parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
