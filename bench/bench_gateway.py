"""What `policytui gateway` adds to each tool call: over stdio against calling the server
directly, and over HTTP against `mcp-proxy` (PyPI) in the same layout.

In one run, with the SDK already imported, the same mcp `Client` (legacy mode) calls
server-everything's `echo` tool through four layouts:

- direct:        client -stdio-> mcp-server-everything
- bare relay:    client -stdio-> `python bench/bare_relay.py mcp-server-everything stdio` (copies
                 lines both ways, nothing else: the floor any process in the middle costs here)
- gateway stdio: client -stdio-> `python -m policytui gateway --policy P -- mcp-server-everything stdio`
- gateway HTTP:  client -HTTP-> `policytui gateway --listen 127.0.0.1:0 --policy P -- mcp-server-everything stdio`
- mcp-proxy:     client -HTTP-> `mcp-proxy --port N -- mcp-server-everything stdio` (installed by this
                 bench into its own virtual environment, the newest release from PyPI)

The policy allows `echo` with a condition and a rate limit, so every call through the gateway
is decided, charged and audited to a file. Per layout: N sequential calls after a warm-up (p50,
p99; "added" is the layout's percentile minus the direct one), then N calls with C in flight at
once (throughput, and p50/p99 of those calls), and the CPU time of the middle process (the
gateway or mcp-proxy, not the server) per call over both phases. Rounds alternate the layouts
so machine load hits all alike. Also the cost of the policy work alone, in process.

The client is one Python process whose heap (the SDK, pydantic) takes 40 to 230 ms to collect
in full, and a full collection stops every call in flight. So each layout starts with the
client's garbage collected (a collection owed by the calls before does not land on whichever
layout comes next), and the run lists each full collection the client still made while calls
were in flight, by layout: a p99 with C in flight is then the middle's and the machine's.

Run: .venv/bin/python bench/bench_gateway.py [--calls 1000] [--concurrency 50] [--rounds 2] [--state-calls 3000]
Targets: stdio added p50 <= 0.3 ms; HTTP gateway CPU per call <= 0.8x mcp-proxy's; p99 with C
in flight <= mcp-proxy's. The gateway processes keep their counters in the default state store
(SQLite in the state folder); bench_state.py's table follows, with memory, SQLite and Redis
side by side.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
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

STDIO_ADDED_P50_TARGET_MS = 0.3
HTTP_CPU_RATIO_TARGET = 0.8
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
    return middle_pid(b"gateway")


def middle_pid(marker: bytes) -> int | None:
    """This process's child whose command line holds `marker`, to read its CPU time."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[stat.rfind(")") + 2 :].split()[1]) == me and marker in cmdline:
            return int(entry)
    return None


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Result:
    def __init__(self) -> None:
        self.seq: list[float] = []
        self.burst: list[float] = []
        self.tput: list[float] = []
        self.cpu: list[float] = []
        # This client's own full collections (generation 2) during the calls in flight: ms each.
        self.client_full_gc: list[float] = []


@contextmanager
def client_full_collections(into: list[float]) -> Iterator[None]:
    """Note how long each full collection of this process's garbage collector takes while the
    block runs. One stops every call in flight at once, whatever is in the middle."""
    started = [0.0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            into.append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(timed)
    try:
        yield
    finally:
        gc.callbacks.remove(timed)


async def measure(client: Client, calls: int, concurrency: int, into: Result, pid: int | None = None) -> None:
    # Each layout starts with this client's garbage collected. Its heap (the SDK, pydantic) is
    # large and a full collection of it stops every call in flight for 40 to 230 ms; without
    # this, the one that the earlier layouts' calls made due landed on whichever layout came
    # next in the fixed order, and its p99 with C in flight was the client's pause.
    gc.collect()
    for i in range(50):  # warm-up: caches, buffers and the server settle
        await client.call_tool("echo", {"message": f"warm {i}"})
    cpu_before = cpu_seconds(pid)
    for i in range(calls):
        started = time.perf_counter()
        result = await client.call_tool("echo", {"message": f"call {i}"})
        into.seq.append((time.perf_counter() - started) * 1000)
        assert not result.is_error, result
    queue = list(range(calls))

    async def worker() -> None:
        while queue:
            i = queue.pop()
            began = time.perf_counter()
            result = await client.call_tool("echo", {"message": f"burst {i}"})
            into.burst.append((time.perf_counter() - began) * 1000)
            assert not result.is_error

    started = time.perf_counter()
    with client_full_collections(into.client_full_gc):
        async with anyio.create_task_group() as tg:
            for _ in range(concurrency):
                tg.start_soon(worker)
    into.tput.append(calls / (time.perf_counter() - started))
    into.cpu.append((cpu_seconds(pid) - cpu_before) / (2 * calls) * 1000)


@asynccontextmanager
async def http_client(url: str) -> Any:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(timeout=httpx2.Timeout(60), limits=httpx2.Limits(max_connections=100))
    async with http, Client(streamable_http_client(url, http_client=http), mode="legacy", read_timeout_seconds=60) as client:
        yield client


@asynccontextmanager
async def served(command: list[str], url_of: Any, log: Path, errlog: Any) -> Any:
    """A process serving HTTP; yields (url, pid) once it answers."""
    import subprocess

    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=errlog, stderr=errlog, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        url = None
        while url is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start serving; see {log}")
            url = url_of()
            await anyio.sleep(0.05)
        yield url, process.pid
    finally:
        import signal

        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=20)
        except (ProcessLookupError, Exception):  # noqa: BLE001 - best effort at the end of a bench
            process.kill()


async def raw_http(url: str, calls: int, concurrency: int, into: Result) -> None:
    """The same calls as plain HTTP POSTs (httpx, no MCP client): what the middle process
    costs without the SDK client's own work per call."""
    import httpx2

    gc.collect()  # as `measure` does: no full collection owed by the calls before
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(timeout=60, limits=httpx2.Limits(max_connections=concurrency + 10)) as http:
        opened = await http.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
        headers["mcp-session-id"] = opened.headers["mcp-session-id"]
        await http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        queue = list(range(calls))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                began = time.perf_counter()
                answer = await http.post(url, headers=headers, json={"jsonrpc": "2.0", "id": i, "method": "tools/call",
                                         "params": {"name": "echo", "arguments": {"message": f"raw {i}"}}})
                into.burst.append((time.perf_counter() - began) * 1000)
                assert "Echo: raw" in answer.text, answer.text[:200]

        started = time.perf_counter()
        with client_full_collections(into.client_full_gc):
            async with anyio.create_task_group() as tg:
                for _ in range(concurrency):
                    tg.start_soon(worker)
        into.tput.append(calls / (time.perf_counter() - started))


def ensure_mcp_proxy() -> Path:
    """mcp-proxy in a virtual environment of its own (created once, reused)."""
    import subprocess

    cache = Path(os.environ.get("POLICYTUI_BENCH_CACHE", Path.home() / ".cache" / "policytui-bench"))
    venv = cache / "mcp-proxy"
    binary = venv / "bin" / "mcp-proxy"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "mcp-proxy"],
                       check=True)
    return binary


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    import re

    servers = Path(os.environ.get("POLICYTUI_TEST_SERVERS", ROOT / ".test-servers"))
    everything = servers / "everything" / "node_modules" / ".bin" / "mcp-server-everything"
    if not everything.exists():
        print(f"server-everything is not installed at {everything}; run tests/servers/install.sh", file=sys.stderr)
        return 2
    proxy = ensure_mcp_proxy()
    version = os.popen(f"{proxy} --version 2>&1").read().strip()
    layouts = ("direct", "bare relay", "gateway stdio", "gateway HTTP", "mcp-proxy HTTP")
    results = {name: Result() for name in layouts}
    raw = {"gateway HTTP": Result(), "mcp-proxy HTTP": Result()}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        policy = tmp / "policy.json"
        policy.write_text(json.dumps(POLICY), encoding="utf-8")
        gateway_args = [
            "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp / "state"),
            "--log", str(tmp / "gateway.log"), "--", str(everything), "stdio",
        ]
        http_log = tmp / "gateway-http.log"
        http_gateway = [
            sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp / "state-http"),
            "--listen", "127.0.0.1:0", "--log", str(http_log), "--", str(everything), "stdio",
        ]

        def gateway_url() -> str | None:
            log = Path(http_gateway[http_gateway.index("--log") + 1])
            found = re.search(r"at (http://127\.0\.0\.1:\d+/mcp)", log.read_text() if log.exists() else "")
            return found.group(1) if found else None

        with open(tmp / "stderr.txt", "w") as errlog:  # noqa: ASYNC230 - set-up, before timing
            for round_number in range(args.rounds):
                # A fresh log per round: the listening address is read from it.
                http_log = tmp / f"gateway-http-{round_number}.log"
                http_gateway[http_gateway.index("--log") + 1] = str(http_log)
                async with connect(str(everything), ["stdio"], errlog) as client:
                    await measure(client, args.calls, args.concurrency, results["direct"])
                async with connect(sys.executable, [str(ROOT / "bench" / "bare_relay.py"), str(everything), "stdio"],
                                   errlog) as client:
                    await measure(client, args.calls, args.concurrency, results["bare relay"], middle_pid(b"bare_relay"))
                async with connect(sys.executable, gateway_args, errlog) as client:
                    await measure(client, args.calls, args.concurrency, results["gateway stdio"], gateway_pid())
                async with served(http_gateway, gateway_url, http_log, errlog) as (url, pid):
                    async with http_client(url) as client:
                        await measure(client, args.calls, args.concurrency, results["gateway HTTP"], pid)
                    await raw_http(url, args.calls, args.concurrency, raw["gateway HTTP"])
                port = free_port()
                proxy_command = [str(proxy), "--port", str(port), "--log-level", "WARNING", "--", str(everything), "stdio"]

                def proxy_url(port: int = port) -> str | None:
                    import socket

                    with socket.socket() as sock:
                        return f"http://127.0.0.1:{port}/mcp" if sock.connect_ex(("127.0.0.1", port)) == 0 else None

                async with served(proxy_command, proxy_url, tmp / "stderr.txt", errlog) as (url, pid):
                    async with http_client(url) as client:
                        await measure(client, args.calls, args.concurrency, results["mcp-proxy HTTP"], pid)
                    await raw_http(url, args.calls, args.concurrency, raw["mcp-proxy HTTP"])
        audited = (tmp / "state" / "audit.jsonl").read_text(encoding="utf-8").count("\n")
        own_us = await enforcer_cost(args.calls * 5, tmp / "bench-audit.jsonl")

    direct = results["direct"]
    print(f"policytui gateway, {args.calls} calls x {args.rounds} rounds, server-everything echo; "
          f"{args.concurrency} in flight for throughput; mcp-proxy {version}")
    print(f"{'layout':<16} {'p50 ms':>8} {'p99 ms':>8} {'+p50':>8} {'+p99':>8} {'calls/s':>9} "
          f"{'p50@C ms':>9} {'p99@C ms':>9} {'CPU ms/call':>12}")
    table = {}
    for name in layouts:
        r = results[name]
        row = {
            "p50": percentile(r.seq, 50), "p99": percentile(r.seq, 99),
            "tput": statistics.median(r.tput), "bp50": percentile(r.burst, 50), "bp99": percentile(r.burst, 99),
            "cpu": statistics.median(r.cpu) if r.cpu and name != "direct" else float("nan"),
        }
        row["added50"] = row["p50"] - percentile(direct.seq, 50)
        row["added99"] = row["p99"] - percentile(direct.seq, 99)
        table[name] = row
        print(f"{name:<16} {row['p50']:>8.3f} {row['p99']:>8.3f} {row['added50']:>+8.3f} {row['added99']:>+8.3f} "
              f"{row['tput']:>9.0f} {row['bp50']:>9.2f} {row['bp99']:>9.2f} {row['cpu']:>12.3f}")
    for name, r in raw.items():
        print(f"{name} with a plain HTTP client, {args.concurrency} in flight: {statistics.median(r.tput):.0f} calls/s, "
              f"p50 {percentile(r.burst, 50):.2f} ms, p99 {percentile(r.burst, 99):.2f} ms")
    paused = [(name, r.client_full_gc) for name, r in (*results.items(), *((f"{n}, plain HTTP", r) for n, r in raw.items()))
              if r.client_full_gc]
    print("the client's own full collections while calls were in flight (each stops them all): " + (
        "; ".join(f"{name} {len(ms)} ({', '.join(f'{m:.0f}' for m in ms)} ms)" for name, ms in paused) or "none"))
    print(f"gateway's own work per call (decide + charge + audit, in process): {own_us:.1f} us")
    print(f"machine load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"audit lines written through the stdio gateway: {audited}")
    stdio, http, other = table["gateway stdio"], table["gateway HTTP"], table["mcp-proxy HTTP"]
    ratio = http["cpu"] / other["cpu"]
    checks = [
        (f"stdio added p50 <= {STDIO_ADDED_P50_TARGET_MS} ms", stdio["added50"] <= STDIO_ADDED_P50_TARGET_MS,
         f"{stdio['added50']:.3f} ms"),
        (f"HTTP CPU per call <= {HTTP_CPU_RATIO_TARGET}x mcp-proxy's", ratio <= HTTP_CPU_RATIO_TARGET,
         f"{http['cpu']:.3f} vs {other['cpu']:.3f} ms = {ratio:.2f}x"),
        (f"HTTP p99 with {args.concurrency} in flight <= mcp-proxy's", http["bp99"] <= other["bp99"],
         f"{http['bp99']:.2f} vs {other['bp99']:.2f} ms"),
    ]
    for label, ok, detail in checks:
        print(f"target {label}: {'met' if ok else 'MISSED'} ({detail})")
    bare = table["bare relay"]
    print(f"of the stdio gateway's added p50, one bare process in the middle accounts for {bare['added50']:.3f} ms "
          f"and the gateway's own work for {stdio['p50'] - bare['p50']:.3f} ms "
          f"(CPU per call {stdio['cpu']:.3f} vs {bare['cpu']:.3f} ms)")
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
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--state-calls", type=int, default=3000, help="calls per state store in the state table (0: skip it)")
    return anyio.run(main_async, parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
