"""How long `policytui gateway` takes to answer its client's first message, against the bare server.

Every MCP client window starts its own gateway over stdio, so the time from the process's start
to the answer of the client's `initialize` is waited for on every new chat. Per server, in one
run, rounds alternating between the two:

- bare:    the server alone, started as the client would start it;
- gateway: `policytui gateway --policy P --audit A --state-dir S -- SERVER` (the installed
           command, a policy allowing everything, the default SQLite state store).

Each is timed two ways, both real processes:

1. by subprocess: spawned with pipes, `initialize` written at once, timed until its answer line
   is read;
2. in tmux: started in a pane of a private tmux server with `initialize` on its input and its
   output on the terminal, timed from the pane's start until the answer is on the screen.

Servers: the recording flows server of the tests (Python, the MCP SDK's `MCPServer`) and
server-everything (Node), when installed. Reported: medians, what the gateway adds, and the ratio.

Run: .venv/bin/python bench/bench_gateway_start.py [--rounds 7] [--servers DIR] [--skip-tmux] [--tmux-socket NAME]
The machine is shared: single starts vary by a third; use enough rounds.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv/bin/python")
POLICYTUI = str(ROOT / ".venv/bin/policytui")
INITIALIZE = json.dumps({
    "jsonrpc": "2.0", "id": 0, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
})
ANSWERED = '"serverInfo"'  # in the answer to initialize, on the screen


def servers(folder: Path, work: Path) -> dict[str, list[str]]:
    found = {"flows (Python SDK)": [PYTHON, str(ROOT / "tests/servers/recording/flows_server.py"),
                                    str(work / "executed.jsonl")]}
    everything = folder / "everything/node_modules/.bin/mcp-server-everything"
    if everything.exists():
        found["server-everything (Node)"] = [str(everything), "stdio"]
    return found


def gateway(server: list[str], work: Path) -> list[str]:
    policy = work / "policy.json"
    policy.write_text('{"version": "1", "default": "allow"}', encoding="utf-8")
    return [POLICYTUI, "gateway", "--policy", str(policy), "--audit", str(work / "audit.jsonl"),
            "--state-dir", str(work / "state"), "--", *server]


def by_subprocess(argv: list[str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(INITIALIZE.encode() + b"\n")
    process.stdin.flush()
    line = process.stdout.readline()
    took = time.perf_counter() - started
    process.stdin.close()
    process.wait(timeout=60)
    if b'"result"' not in line:
        raise SystemExit(f"{shlex.join(argv)} did not answer initialize: {line[:300]!r}")
    return took


class Tmux:
    """A private tmux server with one pane to start programs in."""

    def __init__(self, cwd: Path, socket: str) -> None:
        self.socket = socket
        self.cwd = cwd
        self.run("new-session", "-d", "-x", "200", "-y", "50", "-c", str(cwd), "sleep 100000")
        self.run("set-option", "-g", "remain-on-exit", "on")

    def run(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                                capture_output=True, text=True, timeout=10)
        return result.stdout

    def time_answer(self, argv: list[str], timeout: float = 60.0) -> float:
        """From the pane's start until the answer is on the screen. The client's input stays
        open until then (a client that has sent initialize waits for its answer)."""
        self.run("respawn-pane", "-k", "-c", str(self.cwd), "sleep 100000")
        self.run("clear-history")
        hold = self.cwd / "hold"
        hold.unlink(missing_ok=True)
        feed = f"printf '%s\\n' {shlex.quote(INITIALIZE)}; while [ ! -e hold ]; do sleep 0.05; done"
        command = f"( {feed} ) | {shlex.join(argv)} 2>/dev/null"
        started = time.perf_counter()
        self.run("respawn-pane", "-k", "-c", str(self.cwd), f"sh -c {shlex.quote(command)}")
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if ANSWERED in self.run("capture-pane", "-p", "-J"):
                took = time.perf_counter() - started
                hold.touch()
                return took
            time.sleep(0.005)
        raise SystemExit(f"{shlex.join(argv)}: no answer on the screen:\n{self.run('capture-pane', '-p')}")

    def close(self) -> None:
        (self.cwd / "hold").touch()
        self.run("respawn-pane", "-k", "sleep 1")
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--skip-tmux", action="store_true", help="skip the measurement in tmux")
    parser.add_argument("--tmux-socket", default=f"gateway-start-bench-{os.getpid()}",
                        help="the name of the private tmux server started for the bench (tmux -L)")
    parser.add_argument("--servers", type=Path,
                        default=Path(os.environ.get("POLICYTUI_TEST_SERVERS", ROOT / ".test-servers")))
    options = parser.parse_args()
    times: dict[tuple[str, str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="gateway-start-bench-") as folder:
        work = Path(folder)
        found = servers(options.servers, work)
        ways = ["subprocess"] if options.skip_tmux else ["subprocess", "tmux"]
        tmux = None if options.skip_tmux else Tmux(work, options.tmux_socket)
        try:
            for name, server in found.items():
                layouts = {"bare": server, "gateway": gateway(server, work)}
                for argv in layouts.values():
                    by_subprocess(argv)  # untimed warm-up: the OS file cache is not what we measure
                for round_ in range(options.rounds):
                    order = list(layouts.items()) if round_ % 2 == 0 else list(layouts.items())[::-1]
                    for layout, argv in order:
                        times.setdefault((name, "subprocess", layout), []).append(by_subprocess(argv))
                        if tmux is not None:
                            times.setdefault((name, "tmux", layout), []).append(tmux.time_answer(argv))
        finally:
            if tmux is not None:
                tmux.close()
    print(f"Median of {options.rounds} starts, seconds from the process's start to the answer of "
          "initialize; real processes; the bare server in the same run.\n")
    print("| server | measured | bare server | gateway in front | gateway adds | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for name in found:
        for way in ways:
            bare = statistics.median(times[(name, way, "bare")])
            ours = statistics.median(times[(name, way, "gateway")])
            print(f"| {name} | {way} | {bare:.3f} | {ours:.3f} | {ours - bare:+.3f} | {ours / bare:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
