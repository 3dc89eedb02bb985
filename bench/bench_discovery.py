"""How much policytui's discovery costs over a bare MCP SDK client, on real servers.

For each server, several rounds alternate between policytui (`policytui.discovery.list_tools`:
raw paged tools/list, stderr captured, process group handling) and a bare `mcp.Client` in
legacy mode doing initialize + every page of `list_tools`, both in this process with the SDK
already imported. Two times per round: until the full tool list is in hand ("listed"), and
until the server is closed too ("total"). Prints medians and policytui/SDK ratios, after one untimed warm-up round each.
On a shared machine single rounds vary by a third; use enough rounds.

Run: .venv/bin/python bench/bench_discovery.py [--rounds R] [--servers DIR]
Target: "listed" ratio at most 1.10 (policytui adds no more than 10%).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from policytui.discovery import resolve_target
from policytui.discovery.connect import open_connection
from policytui.discovery.spec import ServerSpec

TARGET_RATIO = 1.10
KESTRA_CODE = (
    "import sys, src; sys.path.insert(0, list(src.__path__)[0]); import server; server.main()"
)


@dataclass
class Case:
    label: str
    spec: ServerSpec
    tools: int = 0
    ours: list[tuple[float, float]] = field(default_factory=list)
    sdk: list[tuple[float, float]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def cases(servers: Path, workdir: Path) -> tuple[list[Case], list[subprocess.Popen]]:
    found: list[Case] = []
    background: list[subprocess.Popen] = []
    everything = servers / "everything/node_modules/.bin/mcp-server-everything"
    filesystem = servers / "filesystem/node_modules/.bin/mcp-server-filesystem"
    kestra = servers / "kestra/bin/python"
    timeserver = servers / "time/bin/mcp-server-time"
    if everything.exists():
        found.append(Case("server-everything", resolve_target(command=[str(everything)])))
    if filesystem.exists():
        found.append(
            Case("server-filesystem", resolve_target(command=[str(filesystem), str(workdir)]))
        )
    if kestra.exists():
        spec = resolve_target(command=[str(kestra), "-c", KESTRA_CODE])
        spec.env = {"KESTRA_BASE_URL": "http://127.0.0.1:9/api/v1"}
        spec.cwd = str(workdir)
        found.append(Case("kestra (PyPI)", spec))
    if timeserver.exists():
        found.append(Case("mcp-server-time", resolve_target(command=[str(timeserver)])))
    paginating = ROOT / "tests/servers/misbehaving/paginating.py"
    spec = resolve_target(command=[sys.executable, str(paginating)])
    spec.env = {"TOOL_COUNT": "2000", "PAGE_SIZE": "100", "CLEAN": "1"}
    found.append(Case("paginating, 2000 tools / 20 pages", spec))
    if everything.exists():
        port = free_port()
        background.append(
            subprocess.Popen(
                [str(everything), "streamableHttp"],
                env={**os.environ, "PORT": str(port)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        wait_port(port)
        found.append(
            Case("server-everything (HTTP)", resolve_target(f"http://127.0.0.1:{port}/mcp"))
        )
    return found, background


async def with_policytui(spec: ServerSpec) -> tuple[float, float, int]:
    start = time.perf_counter()
    async with open_connection(spec, timeout=60, close_grace=2.0) as connection:
        listed = time.perf_counter() - start
        count = len(connection.listing.tools)
    return listed, time.perf_counter() - start, count


async def with_sdk(spec: ServerSpec, errlog) -> tuple[float, float, int]:
    if spec.transport == "stdio":
        params = StdioServerParameters(
            command=spec.command, args=spec.args, env=spec.env or None, cwd=spec.cwd
        )
        target = stdio_client(params, errlog=errlog)
    else:
        target = spec.url
    start = time.perf_counter()
    async with Client(target, mode="legacy", read_timeout_seconds=60) as client:
        tools, cursor = [], None
        while True:
            page = await client.list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        listed = time.perf_counter() - start
    return listed, time.perf_counter() - start, len(tools)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--servers",
        type=Path,
        default=Path(os.environ.get("POLICYTUI_TEST_SERVERS", ROOT / ".test-servers")),
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, open(os.devnull, "w") as errlog:
        found, background = cases(options.servers, Path(workdir))
        try:
            for case in found:
                # One untimed round each: module imports and the OS file cache are not what we measure.
                anyio.run(with_policytui, case.spec)
                anyio.run(with_sdk, case.spec, errlog)
                for round_ in range(options.rounds):
                    order = (0, 1) if round_ % 2 == 0 else (1, 0)
                    for which in order:
                        if which == 0:
                            listed, total, count = anyio.run(with_policytui, case.spec)
                            case.ours.append((listed, total))
                        else:
                            listed, total, count = anyio.run(with_sdk, case.spec, errlog)
                            case.sdk.append((listed, total))
                        if case.tools and count != case.tools:
                            raise SystemExit(
                                f"{case.label}: tool counts differ ({count} vs {case.tools})"
                            )
                        case.tools = count
        finally:
            for proc in background:
                os.killpg(proc.pid, signal.SIGTERM)
    report(found, options.rounds)


def report(found: list[Case], rounds: int) -> None:
    header = f"{'server':36} {'tools':>5}  {'listed: policytui':>17} {'SDK':>7} {'ratio':>6}  {'total: policytui':>16} {'SDK':>7} {'ratio':>6}"
    print(
        f"Median of {rounds} rounds, seconds (listed = full tool list in hand; total = server closed too)"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for case in found:
        ours_listed = statistics.median(x for x, _ in case.ours)
        sdk_listed = statistics.median(x for x, _ in case.sdk)
        ours_total = statistics.median(y for _, y in case.ours)
        sdk_total = statistics.median(y for _, y in case.sdk)
        ratio = ours_listed / sdk_listed
        worst = max(worst, ratio)
        print(
            f"{case.label:36} {case.tools:>5}  {ours_listed:>17.3f} {sdk_listed:>7.3f} {ratio:>6.2f}"
            f"  {ours_total:>16.3f} {sdk_total:>7.3f} {ours_total / sdk_total:>6.2f}"
        )
    verdict = "met" if worst <= TARGET_RATIO else "NOT met"
    print(f"\nWorst 'listed' ratio {worst:.2f}; target <= {TARGET_RATIO:.2f}: {verdict}")


if __name__ == "__main__":
    main()
