#!/usr/bin/env python3
"""Assign corpus servers to the development or the test half (tests/fixtures/servers/corpus/split.json).

The rule, fixed once and applied the same way to every server added later:
1. A server already in split.json keeps its half forever (scores never move servers).
2. Each new server gets a stratum: "money" if money-labels.json labels its tools (a payment,
   billing, accounting or trading server), else "annotated" if any of its tools carries
   annotations, else "plain".
3. New servers are taken in the order of sha256("policytui-corpus:" + server name), and each goes
   to the half that holds fewer servers of its stratum; on a tie, to "test" when the first byte
   of that hash is odd, else "dev".
So both halves get money servers, annotated servers (and with them declared-destructive tools)
and plain ones, and nobody chooses which server lands where.

    python3 tests/servers/record/split.py          # add new corpus files to split.json
    python3 tests/servers/record/split.py --check  # exit 1 if a corpus file is not assigned
    python3 tests/servers/record/split.py --stats  # servers, tools and annotated tools per half
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "fixtures" / "servers" / "corpus"
NOT_SERVERS = {"split.json", "money-labels.json", "money-votes.json", "label-audit.json"}
RULE = (
    "A server keeps its half once assigned. New servers, taken in order of "
    "sha256('policytui-corpus:' + name), each go to the half holding fewer servers of their "
    "stratum (money: tools labelled in money-labels.json; annotated: any tool has annotations; "
    "plain: the rest); a tie goes to 'test' if the hash's first byte is odd, else 'dev'. "
    "Written by tests/servers/record/split.py; never edited to move a server."
)


def digest(name: str) -> bytes:
    return hashlib.sha256(f"policytui-corpus:{name}".encode()).digest()


def corpus_servers() -> dict[str, dict]:
    out = {}
    for path in sorted(CORPUS.glob("*.json")):
        if path.name in NOT_SERVERS:
            continue
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return out


def stratum(name: str, data: dict, money: set[str]) -> str:
    if name in money:
        return "money"
    if any("annotations" in tool for tool in data.get("tools", [])):
        return "annotated"
    return "plain"


def print_stats(servers: dict[str, dict], halves: dict[str, list[str]], money: set[str]) -> None:
    rows = [
        ("dev", halves["dev"]),
        ("test", halves["test"]),
        ("all", halves["dev"] + halves["test"]),
    ]
    print(
        f"{'half':<5} {'servers':>7} {'tools':>6} {'annotated':>9} {'read-only':>9} {'destructive':>11} {'money srv':>9}"
    )
    for label, names in rows:
        tools = [t for n in names for t in servers[n]["tools"]]
        annotated = [t for t in tools if "annotations" in t]
        read_only = sum(1 for t in annotated if t["annotations"].get("readOnlyHint") is True)
        destructive = sum(
            1
            for t in annotated
            if t["annotations"].get("destructiveHint") is True
            and t["annotations"].get("readOnlyHint") is not True
        )
        print(
            f"{label:<5} {len(names):>7} {len(tools):>6} {len(annotated):>9} {read_only:>9} {destructive:>11} "
            f"{sum(1 for n in names if n in money):>9}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--stats", action="store_true")
    args = parser.parse_args()
    split_path = CORPUS / "split.json"
    split = json.loads(split_path.read_text(encoding="utf-8")) if split_path.exists() else {}
    halves: dict[str, list[str]] = {
        "dev": list(split.get("dev", [])),
        "test": list(split.get("test", [])),
    }
    strata: dict[str, str] = dict(split.get("strata", {}))
    labels_path = CORPUS / "money-labels.json"
    money = (
        set(json.loads(labels_path.read_text(encoding="utf-8")).get("servers", {}))
        if labels_path.exists()
        else set()
    )
    servers = corpus_servers()
    assigned = set(halves["dev"]) | set(halves["test"])
    new = sorted((name for name in servers if name not in assigned), key=digest)
    if args.stats:
        print_stats(servers, halves, money)
        labels = json.loads(labels_path.read_text(encoding="utf-8"))["servers"] if money else {}
        for half, names in halves.items():
            labelled = [labels[n] for n in names if n in labels]
            tools = sum(len(tools) for tools in labelled)
            financial = sum(label["financial"] for tools in labelled for label in tools.values())
            print(
                f"{half}: {len(labelled)} money servers, {tools} labelled tools, {financial} financial"
            )
        return 0
    if args.check:
        for name in new:
            print(f"{name} is not in split.json", file=sys.stderr)
        return 1 if new else 0
    for name in new:
        kind = stratum(name, servers[name], money)
        count = {
            half: sum(1 for s in members if strata.get(s) == kind)
            for half, members in halves.items()
        }
        if count["dev"] != count["test"]:
            half = "dev" if count["dev"] < count["test"] else "test"
        else:
            half = "test" if digest(name)[0] % 2 else "dev"
        halves[half].append(name)
        strata[name] = kind
        print(f"{name}: {kind} -> {half}")
    out = {"rule": RULE, "dev": halves["dev"], "test": halves["test"], "strata": strata}
    tmp = split_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    tmp.replace(split_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
