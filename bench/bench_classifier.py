"""How fast the risk classifier is on 10,000 varied synthetic tools.

Prints a table: the classifier next to baselines measured in the same run on the same tools
(a trivial pass that only touches each tool's name, description and properties, and a
`json.dumps` of each tool, about what saving a snapshot costs). Best of several rounds, the
classifier's caches emptied before each, as in a process that has classified nothing yet.

The synthetic tools are short and repeat their arguments; real servers write longer
descriptions and more varied arguments. So the table also times `classify_all` on every
server of the corpus (tests/fixtures/servers/corpus, real tools as servers sent them, each
server classified on its own as the CLI and editor do), scaled to 10,000 tools.

Run: .venv/bin/python bench/bench_classifier.py [--tools N] [--rounds R]
Target: 10,000 tools in under 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policytui.risk import classify, classify_all  # noqa: E402
from policytui.risk.presets import build_policy  # noqa: E402
from policytui.toolinfo import ServerListing, ToolInfo  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "servers" / "corpus"

TARGET_SECONDS = 0.5

VERBS = ["get", "list", "search", "create", "update", "delete", "run", "execute", "send",
         "pay", "refund", "move", "set", "kill", "fetch", "add", "remove", "describe", "start",
         "manage", "sync", "export", "frob"]
NOUNS = ["issue", "flow", "execution", "file", "payment", "invoice", "user", "namespace",
         "record", "table", "query", "process", "branch", "log", "widget", "secret"]
PREFIXES = ["", "", "", "github_", "kestra.", "acme-", "svc_"]
FILLER = ("Returns the result as JSON. Use this tool when the user asks about it. It may "
          "mention delete, update or create in passing. ")


def _name(rng: random.Random) -> str:
    verb, noun, noun2 = rng.choice(VERBS), rng.choice(NOUNS), rng.choice(NOUNS)
    style = rng.randrange(5)
    if style == 0:
        core = f"{verb}_{noun}_{noun2}"
    elif style == 1:
        core = f"{verb}-{noun}"
    elif style == 2:
        core = verb + noun.capitalize() + noun2.capitalize()
    elif style == 3:
        core = f"{noun}_{verb}"
    else:
        core = f"{verb.upper()}_{noun.upper()}"
    return rng.choice(PREFIXES) + core


def _schema(rng: random.Random) -> dict:
    props: dict = {}
    for i in range(rng.randrange(0, 12)):
        props[f"{rng.choice(NOUNS)}_{i}"] = {"type": rng.choice(["string", "integer"]),
                                            "description": "An argument. " * rng.randrange(3)}
    kind = rng.randrange(8)
    if kind == 0:
        props["action"] = {"enum": rng.sample(
            ["get", "list", "create", "update", "delete", "enable", "disable", "kill",
             "change_status", "get_yaml", "refund"], rng.randrange(2, 7))}
    elif kind == 1:
        props["mode"] = {"anyOf": [{"type": "string", "enum": ["rewrite", "append"]},
                                   {"type": "null"}]}
    elif kind == 2:
        props["command"] = {"type": "string"}
    elif kind == 3:
        props["query"] = {"type": "string", "description": "SQL query to execute"}
    elif kind == 4:
        props["amount"] = {"type": "integer"}
        props["currency"] = {"type": "string"}
    return {"type": "object", "properties": props}


def synthetic_tools(count: int, seed: int = 7) -> list[ToolInfo]:
    rng = random.Random(seed)
    tools = []
    for i in range(count):
        name = f"{_name(rng)}_{i}"
        verb = rng.choice(VERBS)
        description = f"{verb.capitalize()} the {rng.choice(NOUNS)} or {rng.choice(VERBS)} it. "
        description += FILLER * rng.choice([0, 0, 1, 3, 20])
        annotations: dict = {}
        if rng.random() < 0.3:
            annotations = {"readOnlyHint": rng.random() < 0.5,
                           "destructiveHint": rng.random() < 0.5}
        tools.append(ToolInfo(name=name, description=description, input_schema=_schema(rng),
                              annotations=annotations))
    return tools


def corpus_servers(root: Path = CORPUS) -> list[list[ToolInfo]]:
    """Each corpus server's tools (files without a "tools" list, such as the split, skipped)."""
    servers = []
    for path in sorted(root.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        tools = data.get("tools") if isinstance(data, dict) else None
        if isinstance(tools, list):
            servers.append(ServerListing.from_tool_dicts(tools).tools)
    return servers


def trivial_pass(tools: list[ToolInfo]) -> int:
    total = 0
    for tool in tools:
        total += len(tool.name) + len(tool.description)
        total += len(tool.input_schema.get("properties") or ())
    return total


def dumps_pass(tools: list[ToolInfo]) -> int:
    return sum(len(json.dumps(t.to_wire())) for t in tools)


def classify_pass(tools: list[ToolInfo]) -> int:
    return sum(len(classify(t).evidence) for t in tools)


def forget_what_was_classified() -> None:
    """Empty the classifier's bounded caches (the words of a tool's name, what an argument's
    name and description say, a word's reading...), as they are in a process that has
    classified nothing yet. Kept from one round to the next, they made every round after the
    first cheaper than classifying tools not seen before, and the best of several rounds
    flattered the figure. Within a round they do what they do for a user: a server's tools
    repeat their arguments."""
    for name, module in list(sys.modules.items()):
        if name == "policytui" or name.startswith("policytui."):
            for value in list(vars(module).values()):
                info = getattr(value, "cache_info", None)
                if callable(info) and info().maxsize is not None:
                    value.cache_clear()


def best_of(rounds: int, fn: Callable[[], object], *, cold: bool = False) -> tuple[float, float]:
    """Best (wall seconds, CPU seconds) over `rounds` runs, each after
    `forget_what_was_classified` when `cold`. CPU time is the fairer number on a shared
    machine, where wall time includes waiting for a core."""
    best_wall = best_cpu = float("inf")
    for _ in range(rounds):
        if cold:
            forget_what_was_classified()
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_wall, best_cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    tools = synthetic_tools(args.tools)
    classes = classify_all(tools)
    spread: dict[str, int] = {}
    for c in classes.values():
        spread[c.category] = spread.get(c.category, 0) + 1

    rows = [
        ("baseline: trivial pass over name/description/props",
         best_of(args.rounds, lambda: trivial_pass(tools))),
        ("baseline: json.dumps of every tool", best_of(args.rounds, lambda: dumps_pass(tools))),
        ("classify every tool", best_of(args.rounds, lambda: classify_pass(tools), cold=True)),
        ("classify_all (finds the server's namespaces first)",
         best_of(args.rounds, lambda: classify_all(tools), cold=True)),
        ("classify_all + build_policy(recommended)",
         best_of(max(1, args.rounds // 2),
                 lambda: build_policy(tools, "recommended", classify_all(tools)), cold=True)),
    ]
    servers = corpus_servers()
    real_count = sum(len(tools) for tools in servers)
    if real_count:
        real = best_of(args.rounds, lambda: [classify_all(tools) for tools in servers], cold=True)
        scale = args.tools / real_count  # so that every row is per `args.tools` tools
        rows.append((f"classify_all, {real_count} real tools (scaled)",
                     (real[0] * scale, real[1] * scale)))
    trivial_wall, trivial_cpu = rows[0][1]
    dumps_wall, dumps_cpu = rows[1][1]
    print(f"{args.tools} synthetic tools, best of {args.rounds} rounds; categories: "
          + ", ".join(f"{k} {v}" for k, v in sorted(spread.items())))
    print(f"{'step':52} {'wall s':>7} {'cpu s':>7} {'us/tool':>8} {'x trivial':>10} "
          f"{'x dumps':>8}")
    for label, (wall, cpu) in rows:
        print(f"{label:52} {wall:7.3f} {cpu:7.3f} {1e6 * cpu / args.tools:8.1f} "
              f"{cpu / trivial_cpu:10.1f} {cpu / dumps_cpu:8.2f}")
    wall, cpu = (x * 10_000 / args.tools for x in rows[3][1])
    verdict = "meets" if cpu < TARGET_SECONDS else "MISSES"
    print(f"\nclassify_all on 10,000 tools takes {cpu:.3f} s of CPU ({wall:.3f} s wall): {verdict} "
          f"the {TARGET_SECONDS} s target (ratios use CPU time)")
    if real_count:
        cpu = rows[-1][1][1] * 10_000 / args.tools
        verdict = "meets" if cpu < TARGET_SECONDS else "MISSES"
        print(f"on real tools, 10,000 would take {cpu:.3f} s of CPU: {verdict} the target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
