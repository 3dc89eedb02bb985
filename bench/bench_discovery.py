"""How long the CLI and the editor take to list a live server, against a bare MCP SDK client.

Everything here is a real process, timed from outside, in the same run, rounds alternating
between policytui and the baseline; medians are reported with their ratios.

1. `policytui tools --json -- SERVER`, the whole process (spawn to exit), against a bare SDK
   client process (`mcp.Client` over `stdio_client`, initialize + every page of tools/list,
   prints the count). Target: at most 0.8x.
2. `policytui connect -- SERVER` in a tmux pane until "N tools" is on the screen, against the
   same bare SDK client in the same pane until its line "N tools" is on the screen.
   Target: at most 1.2x.
3. `policytui tools --from FILE` with 10,000 tools (table and --json), spawn to exit, next to
   a bare `python -c "json.load(FILE)"`. Target: the table in at most 1.5 s.

Run: .venv/bin/python bench/bench_discovery.py [--rounds R] [--servers DIR] [--skip-editor]
The machine is shared: single rounds vary by a third; use enough rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv/bin/python")
POLICYTUI = str(ROOT / ".venv/bin/policytui")
KESTRA_CODE = (
    "import sys, src; sys.path.insert(0, list(src.__path__)[0]); import server; server.main()"
)
CLI_TARGET = 0.8
EDITOR_TARGET = 1.2
FROM_TARGET_SECONDS = 1.5
PANE = (120, 40)

# The baseline: what someone would write with the MCP SDK to list a stdio server's tools.
BARE_SDK_CLIENT = """
import sys, anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

async def main():
    params = StdioServerParameters(command=sys.argv[1], args=sys.argv[2:])
    async with Client(stdio_client(params), mode="legacy") as client:
        tools, cursor = [], None
        while True:
            page = await client.list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        print(f"{len(tools)} tools", flush=True)

anyio.run(main)
"""


@dataclass
class Server:
    label: str
    command: list[str]
    tools: int = 0
    times: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, seconds: float) -> None:
        self.times.setdefault(key, []).append(seconds)

    def median(self, key: str) -> float:
        return statistics.median(self.times[key])


def servers(folder: Path, workdir: Path) -> list[Server]:
    found = []
    everything = folder / "everything/node_modules/.bin/mcp-server-everything"
    kestra = folder / "kestra/bin/python"
    timeserver = folder / "time/bin/mcp-server-time"
    if everything.exists():
        found.append(Server("server-everything (npm)", [str(everything)]))
    if kestra.exists():
        # `env` passes the one variable the server needs, to policytui and the SDK alike.
        found.append(
            Server(
                "kestra (PyPI)",
                ["env", "KESTRA_BASE_URL=http://127.0.0.1:9/api/v1", str(kestra), "-c", KESTRA_CODE],
            )
        )
    if timeserver.exists():
        found.append(Server("mcp-server-time (PyPI)", [str(timeserver)]))
    paginating = ROOT / "tests/servers/misbehaving/paginating.py"
    found.append(
        Server(
            "paginating, 2000 tools / 20 pages",
            ["env", "TOOL_COUNT=2000", "PAGE_SIZE=100", "CLEAN=1", sys.executable, str(paginating)],
        )
    )
    return found


def run_process(argv: list[str], cwd: Path) -> tuple[float, str]:
    """Seconds from spawn to exit, and stdout; fails loudly on a non-zero exit."""
    env = {**os.environ, "HOME": str(cwd), "XDG_CONFIG_HOME": str(cwd / "config")}
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    took = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)[:200]} failed ({result.returncode}): {result.stderr[-500:]}")
    return took, result.stdout


def cli_round(server: Server, cwd: Path, order: int) -> None:
    ours = [POLICYTUI, "tools", "--json", "--", *server.command]
    bare = [PYTHON, "-c", BARE_SDK_CLIENT, *server.command]
    for which in ((0, 1) if order % 2 == 0 else (1, 0)):
        if which == 0:
            took, out = run_process(ours, cwd)
            count = len(json.loads(out)["tools"])
            server.add("cli", took)
        else:
            took, out = run_process(bare, cwd)
            count = int(out.split()[0])
            server.add("cli bare", took)
        if server.tools and count != server.tools:
            raise SystemExit(f"{server.label}: tool counts differ ({count} vs {server.tools})")
        server.tools = count


class Tmux:
    """A private tmux server with one pane to start programs in."""

    def __init__(self, cwd: Path) -> None:
        self.socket = f"cli-bench-{os.getpid()}"
        self.cwd = cwd
        self.run("new-session", "-d", "-x", str(PANE[0]), "-y", str(PANE[1]), "-c", str(cwd), "sleep 100000")
        self.run("set-option", "-g", "remain-on-exit", "on")

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True, text=True, timeout=10,
        )
        return result.stdout

    def start(self, argv: list[str]) -> float:
        env = f"env TERM=xterm-256color HOME={shlex.quote(str(self.cwd))} XDG_CONFIG_HOME={shlex.quote(str(self.cwd / 'config'))}"
        self.run("respawn-pane", "-k", "-c", str(self.cwd), "sleep 100000")
        self.run("send-keys", "-R")
        self.run("clear-history")
        start = time.perf_counter()
        self.run("respawn-pane", "-k", "-c", str(self.cwd), f"{env} {shlex.join(argv)}")
        return start

    def wait_for(self, text: str, timeout: float = 60.0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if text in self.run("capture-pane", "-p"):
                return time.perf_counter()
            time.sleep(0.005)
        raise TimeoutError(f"{text!r} never appeared on the screen:\n{self.run('capture-pane', '-p')}")

    def close(self) -> None:
        socket_path = self.run("display-message", "-p", "#{socket_path}").strip()
        self.run("respawn-pane", "-k", "sleep 1")
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)
        if socket_path:
            Path(socket_path).unlink(missing_ok=True)


def editor_round(server: Server, tmux: Tmux, cwd: Path, order: int) -> None:
    policy = cwd / "bench-policy.json"
    ours = [POLICYTUI, "connect", "--policy", str(policy), "--", *server.command]
    bare = [PYTHON, "-c", BARE_SDK_CLIENT, *server.command]
    shown = f"{server.tools} tools"
    for which in ((0, 1) if order % 2 == 0 else (1, 0)):
        start = tmux.start(ours if which == 0 else bare)
        server.add("editor" if which == 0 else "editor bare", tmux.wait_for(shown) - start)
    tmux.run("respawn-pane", "-k", "sleep 100000")


def from_file_rounds(rounds: int, cwd: Path) -> dict[str, list[float]]:
    tools = [
        {
            "name": f"{verb}_item_{i:05d}",
            "description": f"{verb.capitalize()}s item {i} of the store. " * 3,
            "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}},
        }
        for i in range(10_000)
        for verb in (("delete", "get", "create", "list")[i % 4],)
    ]
    path = cwd / "tools-10000.json"
    path.write_text(json.dumps({"tools": tools}), encoding="utf-8")
    times: dict[str, list[float]] = {}
    commands = {
        "tools --from (table)": [POLICYTUI, "tools", "--from", str(path)],
        "tools --from --json": [POLICYTUI, "tools", "--from", str(path), "--json"],
        "bare json.load": [PYTHON, "-c", f"import json; json.load(open({str(path)!r}))"],
    }
    run_process(commands["tools --from (table)"], cwd)  # warm the file cache
    for _ in range(rounds):
        for label, argv in commands.items():
            times.setdefault(label, []).append(run_process(argv, cwd)[0])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--skip-editor", action="store_true", help="skip the tmux measurement")
    parser.add_argument(
        "--servers",
        type=Path,
        default=Path(os.environ.get("POLICYTUI_TEST_SERVERS", ROOT / ".test-servers")),
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cli-bench-") as folder:
        cwd = Path(folder)
        (cwd / "config").mkdir()
        found = servers(options.servers, cwd)
        for server in found:
            cli_round(server, cwd, 0)  # untimed warm-up: the OS file cache is not what we measure
            server.times.clear()
            for round_ in range(options.rounds):
                cli_round(server, cwd, round_)
        if not options.skip_editor:
            tmux = Tmux(cwd)
            try:
                for server in found:
                    editor_round(server, tmux, cwd, 0)
                    server.times.pop("editor", None)
                    server.times.pop("editor bare", None)
                    for round_ in range(options.rounds):
                        editor_round(server, tmux, cwd, round_)
            finally:
                tmux.close()
        from_file = from_file_rounds(options.rounds, cwd)
    report(found, from_file, options.rounds, editor=not options.skip_editor)


def report(found: list[Server], from_file: dict[str, list[float]], rounds: int, *, editor: bool) -> None:
    print(f"Median of {rounds} rounds, seconds; real processes; baselines in the same run.\n")
    print("| server | tools | `tools --json -- SERVER` | bare SDK client | ratio (target <= 0.8) |")
    print("|---|---:|---:|---:|---:|")
    worst_cli = 0.0
    for s in found:
        ratio = s.median("cli") / s.median("cli bare")
        worst_cli = max(worst_cli, ratio)
        print(f"| {s.label} | {s.tools} | {s.median('cli'):.3f} | {s.median('cli bare'):.3f} | {ratio:.2f} |")
    print(f"\nWorst CLI ratio {worst_cli:.2f}: {'met' if worst_cli <= CLI_TARGET else 'NOT met'}\n")
    if editor:
        print("| server | `connect -- SERVER`: tools on screen | bare SDK client: count on screen | ratio (target <= 1.2) |")
        print("|---|---:|---:|---:|")
        worst = 0.0
        for s in found:
            ratio = s.median("editor") / s.median("editor bare")
            worst = max(worst, ratio)
            print(f"| {s.label} | {s.median('editor'):.3f} | {s.median('editor bare'):.3f} | {ratio:.2f} |")
        print(f"\nWorst editor ratio {worst:.2f}: {'met' if worst <= EDITOR_TARGET else 'NOT met'}\n")
    print("| 10,000 tools | seconds | vs bare json.load |")
    print("|---|---:|---:|")
    bare = statistics.median(from_file["bare json.load"])
    for label, times in from_file.items():
        median = statistics.median(times)
        print(f"| {label} | {median:.3f} | {median / bare:.2f}x |")
    table = statistics.median(from_file["tools --from (table)"])
    print(f"\n`tools --from` table {table:.2f} s; target <= {FROM_TARGET_SECONDS} s: "
          f"{'met' if table <= FROM_TARGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
