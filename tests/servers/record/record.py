#!/usr/bin/env python3
"""Install and record real MCP servers' tool lists for the classifier corpus.

Each recipe in recipes.json names a package on npm or PyPI, how to start it and the dummy
environment it needs. For each one this script installs the package in its own folder (an npm
project, or a virtual environment), starts it over stdio, sends a raw `initialize`, the
`notifications/initialized` notification and `tools/list` (following `nextCursor` to the last
page), and writes tests/fixtures/servers/corpus/<name>.json with the tools exactly as sent.

Nothing here runs in CI: the corpus files are committed. Run it by hand to re-record:

    python3 tests/servers/record/record.py                 # every recipe
    python3 tests/servers/record/record.py paypal-mcp ...  # some of them
    python3 tests/servers/record/record.py --workdir /tmp/corpus-servers --no-install NAME

Environment values in recipes are dummies: a listing never needs a real credential, and the
recorded file must never hold a secret.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "servers" / "corpus"
PROTOCOL = "2025-11-25"


def install_command(recipe: dict) -> str:
    """The shell command that installs the recipe's package into the current folder."""
    if recipe["registry"] == "npm":
        spec = f"{recipe['package']}@{recipe['version']}"
        return (
            "npm init -y >/dev/null && PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "
            f"npm install --no-audit --no-fund --loglevel=error {shlex.quote(spec)}"
        )
    python = recipe.get("python", "python3")
    extra = " ".join(shlex.quote(p) for p in recipe.get("pip_extra", []))
    spec = f"{recipe['package']}=={recipe['version']}"
    return (
        f"{python} -m venv venv && venv/bin/pip install --quiet --disable-pip-version-check "
        f"{shlex.quote(spec)} {extra}".rstrip()
    )


class Session:
    """A raw JSON-RPC conversation with a server over its stdin/stdout."""

    def __init__(self, argv: str, cwd: Path, env: dict[str, str]) -> None:
        full_env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        full_env.update(env)
        self.proc = subprocess.Popen(
            ["bash", "-c", argv],
            cwd=cwd,
            env=full_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.buffer = b""
        self.next_id = 1
        self.skipped: list[str] = []

    def send(self, message: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict, timeout: float) -> dict:
        ident = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            message = self.read_message(deadline)
            if message.get("id") == ident and ("result" in message or "error" in message):
                if "error" in message:
                    raise RuntimeError(f"{method} failed: {message['error']}")
                return message["result"]
            if "method" in message and "id" in message:  # a request from the server (ping, roots)
                reply: dict = {"jsonrpc": "2.0", "id": message["id"]}
                if message["method"] == "ping":
                    reply["result"] = {}
                elif message["method"] == "roots/list":
                    reply["result"] = {"roots": []}
                else:
                    reply["error"] = {"code": -32601, "message": "not supported by the recorder"}
                self.send(reply)

    def read_message(self, deadline: float) -> dict:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                text = line.decode("utf-8", "replace").strip()
                if not text:
                    continue
                try:
                    message = json.loads(text)
                except json.JSONDecodeError:
                    self.skipped.append(text[:200])  # a log line printed on stdout
                    continue
                if isinstance(message, dict):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer from the server in time")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                err = (
                    self.proc.stderr.read().decode("utf-8", "replace")[-2000:]
                    if self.proc.stderr
                    else ""
                )
                raise RuntimeError(f"the server closed its output; stderr tail:\n{err}")
            self.buffer += chunk

    def close(self) -> None:
        """Stop the server and everything it started (some start helpers, e.g. a Java gateway)."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:
            pass
        for sig in (15, 9):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.5)
        if self.proc.poll() is None:
            self.proc.kill()


def stop_leftovers(folder: Path) -> None:
    """Stop processes a server detached from its group (a gateway, a settings sidecar): every
    process still running from the server's own install folder was started by this recording."""
    root = str(folder.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (
                (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            )
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == root or cwd.startswith(root + "/") or root + "/" in cmdline:
            try:
                os.kill(int(entry.name), 15)
            except OSError:
                pass


def record(recipe: dict, folder: Path, timeout: float) -> dict:
    session = Session(recipe["start"], folder, recipe.get("env", {}))
    try:
        init = session.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL,
                "capabilities": {},
                "clientInfo": {"name": "policytui-corpus-recorder", "version": "1"},
            },
            timeout,
        )
        session.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        tools: list[dict] = []
        cursor = None
        pages = 0
        while True:
            params = {"cursor": cursor} if cursor else {}
            page = session.request("tools/list", params, timeout)
            pages += 1
            tools.extend(page.get("tools", []))
            cursor = page.get("nextCursor")
            if not cursor or pages > 1000:
                break
    finally:
        session.close()
        stop_leftovers(folder)
    registry = recipe["registry"]
    spec = (
        f"{recipe['package']}@{recipe['version']}"
        if registry == "npm"
        else f"{recipe['package']}=={recipe['version']}"
    )
    return {
        "server": recipe["name"],
        "source": f"{registry}:{spec}",
        "package": recipe["package"],
        "version": recipe["version"],
        "registry": registry,
        "install": install_command(recipe),
        "start": recipe["start"],
        "env_used": recipe.get("env", {}),
        "domain": recipe.get("domain", ""),
        "notes": recipe.get("notes", ""),
        "server_info": init.get("serverInfo", {}),
        "protocol_version": init.get("protocolVersion", ""),
        "pages": pages,
        "recorded_by": "tests/servers/record/record.py (raw initialize + tools/list over stdio)",
        "recorded_at": datetime.date.today().isoformat(),
        "tools": tools,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="recipes to record (default: all)")
    parser.add_argument(
        "--workdir", default="/tmp/corpus-servers", help="where packages are installed"
    )
    parser.add_argument("--no-install", action="store_true", help="use what is already installed")
    parser.add_argument(
        "--timeout", type=float, default=90.0, help="seconds to wait for each answer"
    )
    parser.add_argument("--out", default=str(CORPUS), help="where the recordings are written")
    args = parser.parse_args()
    recipes = json.loads((HERE / "recipes.json").read_text(encoding="utf-8"))
    chosen = [r for r in recipes if not args.names or r["name"] in args.names]
    missing = set(args.names) - {r["name"] for r in recipes}
    if missing:
        print(f"no recipe named {', '.join(sorted(missing))}", file=sys.stderr)
        return 2
    failures = 0
    for recipe in chosen:
        folder = Path(args.workdir) / recipe["name"]
        folder.mkdir(parents=True, exist_ok=True)
        try:
            if not args.no_install and not (folder / ".installed").exists():
                subprocess.run(["bash", "-c", install_command(recipe)], cwd=folder, check=True)
                (folder / ".installed").touch()
            data = record(recipe, folder, args.timeout)
        except Exception as exc:  # report and go on with the next server
            failures += 1
            print(f"{recipe['name']}: FAILED: {exc}", file=sys.stderr)
            continue
        if not data["tools"]:
            failures += 1
            print(f"{recipe['name']}: FAILED: listed no tools", file=sys.stderr)
            continue
        out = Path(args.out) / f"{recipe['name']}.json"
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        tmp = out.with_suffix(".json.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        annotated = sum(1 for t in data["tools"] if "annotations" in t)
        print(f"{recipe['name']}: {len(data['tools'])} tools ({annotated} annotated) -> {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
