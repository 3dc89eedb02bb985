"""A blind second opinion on the labels the scoreboard measures against.

The scoreboard's read-only figures count a tool as right or wrong by what its own server
declares (readOnlyHint, destructiveHint). Servers get that wrong too: a tool that only reads
may be declared not read-only, and then a classifier that reads its words correctly counts an
"unsafe error". This tool measures how much of a figure is such label noise, without anyone
looking into the test half's misses:

1. `build` writes a shuffled mix of one half's classifier misses (not read-only tools called
   Read, read-only tools called anything else) and as many correct tools of each kind drawn at
   random as decoys, without annotations or classifier output, split into parts for labellers.
   The key (which tool is which) goes to a separate file that labellers must not open.
2. Each labeller reads only its part and judges each tool from its own name, description and
   arguments: "reads", "acts" or "unclear" (LABELLER_RULES below), writing a JSON list.
3. `score` prints, per group, how the judgements fall (counts only, never a tool's name), and
   with --store merges the judgements into tests/fixtures/servers/corpus/label-audit.json,
   which the scoreboard reads to print its audited rows.

The decoys show whether the labeller agrees with servers where the classifier does: if it
does on nearly all of them, its judgement of the misses is worth as much.

    .venv/bin/python bench/label_audit.py build --split test --out /tmp/audit
    (labellers write /tmp/audit/answers1.json, answers2.json from part1.json, part2.json)
    .venv/bin/python bench/label_audit.py score --out /tmp/audit --store

A later round judges only what is new: `build --only-unjudged` leaves out every tool the file
already judges, and `score --store` adds the new judgements to it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import scoreboard as sb  # noqa: E402

from policytui.risk import classify_all  # noqa: E402
from policytui.risk.categories import READ  # noqa: E402

AUDIT_FILE = sb.CORPUS / "label-audit.json"
GROUPS = ("unsafe", "ro-miss", "nro-ok", "ro-ok")
JUDGEMENTS = ("reads", "acts", "unclear")

LABELLER_RULES = (
    "For each tool decide, from its own name, description and arguments only, what a "
    "successful call does. reads: it only reads, looks up, computes or returns information "
    "and changes nothing in any system, account, file, device or outside world (a preview, "
    "estimate, validation, search or download into the reply is a read). acts: it creates, "
    "changes, deletes, sends, posts, runs something, starts or stops a process, writes a file, "
    "opens a UI on a device, subscribes, places an order, moves money or otherwise changes "
    "state somewhere, even state local to the server. unclear: the text does not tell. Do not "
    "open the key, the corpus or the classifier; judge by reading the text.")


def blinded(server: str, tool: Any) -> dict[str, Any]:
    """What a labeller sees of a tool: its own words, never a hint or a verdict."""
    props = (tool.input_schema or {}).get("properties") or {}
    return {
        "server": server, "tool": tool.name, "title": tool.title or "",
        "description": (tool.description or "")[:2500],
        "arguments": {name: {k: v for k, v in (spec or {}).items()
                             if k in ("type", "description", "enum")}
                      for name, spec in props.items() if isinstance(spec, dict)},
    }


def groups_of(half: str) -> dict[str, list[dict[str, Any]]]:
    """The half's tools by group: misses of each kind, and the correct tools decoys come from."""
    servers = {s.name: s for s in sb.load_corpus()}
    out: dict[str, list[dict[str, Any]]] = {group: [] for group in GROUPS}
    for name in sb.load_split()[half]:
        server = servers.get(name)
        if server is None:
            continue
        classes = classify_all(server.listing.tools, use_annotations=False)
        for tool in server.listing.tools:
            read_only, destructive = sb.declared(tool)
            called_read = classes[tool.name].category == READ
            if read_only is True:
                out["ro-ok" if called_read else "ro-miss"].append(blinded(name, tool))
            elif read_only is False or destructive is True:
                out["unsafe" if called_read else "nro-ok"].append(blinded(name, tool))
    return out


def build(half: str, out: Path, decoys: int, seed: int, parts: int,
          only_unjudged: bool = False) -> None:
    found = groups_of(half)
    if only_unjudged:
        # A later round: only tools no labeller has judged yet (new servers, new misses).
        judged = sb.load_audit()
        found = {group: [item for item in items
                         if item["tool"] not in judged.get(item["server"], {})]
                 for group, items in found.items()}
    rng = random.Random(seed)
    chosen = {
        "unsafe": found["unsafe"], "ro-miss": found["ro-miss"],
        "nro-ok": rng.sample(found["nro-ok"], min(decoys, len(found["nro-ok"]))),
        "ro-ok": rng.sample(found["ro-ok"], min(decoys, len(found["ro-ok"]))),
    }
    mix = [(group, item) for group, items in chosen.items() for item in items]
    rng.shuffle(mix)
    out.mkdir(parents=True, exist_ok=True)
    size = -(-len(mix) // parts)
    for part in range(parts):
        chunk = [item for _, item in mix[part * size:(part + 1) * size]]
        (out / f"part{part + 1}.json").write_text(
            json.dumps(chunk, ensure_ascii=False, indent=1), encoding="utf-8")
    key = {"half": half, "seed": seed, "parts": parts,
           "key": [[item["server"], item["tool"], group] for group, item in mix]}
    (out / "key.json").write_text(json.dumps(key), encoding="utf-8")
    (out / "RULES.txt").write_text(LABELLER_RULES + "\n", encoding="utf-8")
    print(f"{len(mix)} tools in {parts} part(s) under {out}: "
          + ", ".join(f"{group} {len(items)}" for group, items in chosen.items()))


def score(out: Path, store: bool) -> int:
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    answers: list[dict[str, Any]] = []
    for part in range(key["parts"]):
        path = out / f"answers{part + 1}.json"
        if not path.exists():
            print(f"{path} is missing: every part needs its labeller's answers")
            return 1
        answers += json.loads(path.read_text(encoding="utf-8"))
    if len(answers) != len(key["key"]):
        print(f"{len(answers)} answers for {len(key['key'])} tools: the parts are incomplete")
        return 1
    table: dict[str, Counter[str]] = defaultdict(Counter)
    judged: dict[str, dict[str, str]] = defaultdict(dict)
    for (server, tool, group), answer in zip(key["key"], answers):
        if answer.get("server") != server or answer.get("tool") != tool:
            print(f"answers out of order at {server}: {tool}")
            return 1
        judgement = answer.get("judgement")
        if judgement not in JUDGEMENTS:
            judgement = "unclear"
        table[group][judgement] += 1
        judged[server][tool] = judgement
    for group in GROUPS:
        cells = ", ".join(f"{j} {table[group][j]}" for j in JUDGEMENTS)
        print(f"{group:8} {sum(table[group].values()):4}: {cells}")
    if store:
        data = (json.loads(AUDIT_FILE.read_text(encoding="utf-8")) if AUDIT_FILE.exists()
                else {"rule": LABELLER_RULES, "servers": {}})
        for server, tools in judged.items():
            data["servers"].setdefault(server, {}).update(tools)
        data["servers"] = {s: dict(sorted(t.items())) for s, t in sorted(data["servers"].items())}
        AUDIT_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")
        print(f"stored {sum(len(t) for t in judged.values())} judgements in {AUDIT_FILE.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the blinded mix and its key")
    b.add_argument("--split", choices=("dev", "test"), default="test")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--decoys", type=int, default=50, help="correct tools of each kind")
    b.add_argument("--seed", type=int, default=20261203)
    b.add_argument("--parts", type=int, default=2)
    b.add_argument("--only-unjudged", action="store_true",
                   help="leave out tools label-audit.json already judges")
    s = sub.add_parser("score", help="count the judgements by group (and store them)")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--store", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.split, args.out, args.decoys, args.seed, args.parts, args.only_unjudged)
        return 0
    return score(args.out, args.store)


if __name__ == "__main__":
    sys.exit(main())
