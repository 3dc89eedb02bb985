"""Two more hand labels for the money figures, so that no one labeller's slips decide them.

money-labels.json holds one labeller's judgement of every tool of the payment, accounting and
trading servers: does a successful call move money? The Financial precision and recall rest
on it, and one labeller reads a rule in their own way (is a price list money? a budget? a
pie of shares?). This tool collects a second vote on every one of those tools, and a third
where the first two disagree, without any labeller seeing another's vote or a classifier's
output:

1. `build` writes every tool of every labelled server, a server's tools together (what a
   server is for is part of what its tools mean), with only its name, title, description and
   arguments, in parts of about equal size. RULES.txt is the rule the first labeller followed.
2. Each labeller reads one part and writes answersK.json, a list in the part's order:
   [{"server": ..., "tool": ..., "financial": true | false}].
3. `tiebreak` compares the second votes with the first and writes the tools where they
   disagree, shuffled and without either vote, as tiebreak.json for a third labeller, who
   writes tiebreak-answers.json the same way. It prints how far the two agree (counts and
   Cohen's kappa, never a tool's name).
4. `store` writes money-votes.json beside money-labels.json: each tool's second vote and,
   where asked, its third. The scoreboard then counts a tool as money when two of its votes
   say so, and prints the first labeller's figures beside them.

    .venv/bin/python bench/money_vote.py build --out /tmp/votes --parts 8
    (labellers write /tmp/votes/answers1.json ... from part1.json ...)
    .venv/bin/python bench/money_vote.py tiebreak --out /tmp/votes
    (a third labeller writes /tmp/votes/tiebreak-answers.json from tiebreak.json)
    .venv/bin/python bench/money_vote.py store --out /tmp/votes
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import scoreboard as sb  # noqa: E402
from label_audit import blinded  # noqa: E402

VOTES_FILE = sb.CORPUS / "money-votes.json"

ANSWER_FORMAT = (
    "Write a JSON list with one object per tool, in the order given: "
    '{"server": ..., "tool": ..., "financial": true or false}. Judge each tool from its own '
    "name, title, description and arguments, and what its server is for. Do not open any other "
    "file of the corpus, its labels or a classifier.")


def first_labels() -> dict[str, dict[str, bool]]:
    """{server: {tool: financial}} as the first labeller wrote it."""
    data = json.loads(sb.MONEY_FILE.read_text(encoding="utf-8"))
    return {server: {tool: label.get("financial") is True for tool, label in tools.items()
                     if isinstance(label, dict)}
            for server, tools in data["servers"].items()}


def rule() -> str:
    return str(json.loads(sb.MONEY_FILE.read_text(encoding="utf-8"))["rule"])


def build(out: Path, parts: int) -> int:
    labelled = first_labels()
    servers = [s for s in sb.load_corpus() if s.name in labelled]
    # Largest servers first, each into the lightest part: parts of about equal size.
    servers.sort(key=lambda s: -len(s.listing.tools))
    chunks: list[list[dict[str, Any]]] = [[] for _ in range(parts)]
    for server in servers:
        lightest = min(chunks, key=len)
        lightest += [blinded(server.name, tool) for tool in server.listing.tools]
    out.mkdir(parents=True, exist_ok=True)
    for number, chunk in enumerate(chunks, 1):
        (out / f"part{number}.json").write_text(
            json.dumps(chunk, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "RULES.txt").write_text(rule() + "\n\n" + ANSWER_FORMAT + "\n", encoding="utf-8")
    (out / "build.json").write_text(json.dumps({"parts": parts}), encoding="utf-8")
    total = sum(len(chunk) for chunk in chunks)
    print(f"{total} tools of {len(servers)} servers in {parts} part(s) under {out}")
    return 0


def _answers(path: Path, expected: list[dict[str, Any]]) -> dict[tuple[str, str], bool] | str:
    """The votes of one answer file, or why they cannot be used."""
    if not path.exists():
        return f"{path} is missing: every part needs its labeller's answers"
    try:
        answers = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return f"{path} is not JSON ({exc.msg} at line {exc.lineno})"
    if not isinstance(answers, list) or len(answers) != len(expected):
        got = len(answers) if isinstance(answers, list) else 0
        return f"{path} has {got} answers for {len(expected)} tools: it is incomplete"
    votes: dict[tuple[str, str], bool] = {}
    for want, answer in zip(expected, answers):
        if not isinstance(answer, dict) or (answer.get("server"), answer.get("tool")) != (
                want["server"], want["tool"]):
            return f"{path} is out of order at {want['server']}: {want['tool']}"
        if not isinstance(answer.get("financial"), bool):
            return f"{path} gives no true or false for {want['server']}: {want['tool']}"
        votes[(want["server"], want["tool"])] = answer["financial"]
    return votes


def second_votes(out: Path) -> dict[tuple[str, str], bool] | str:
    parts = json.loads((out / "build.json").read_text(encoding="utf-8"))["parts"]
    votes: dict[tuple[str, str], bool] = {}
    for number in range(1, parts + 1):
        expected = json.loads((out / f"part{number}.json").read_text(encoding="utf-8"))
        got = _answers(out / f"answers{number}.json", expected)
        if isinstance(got, str):
            return got
        votes.update(got)
    return votes


def kappa(pairs: list[tuple[bool, bool]]) -> float:
    """Cohen's kappa of two labellers' yes/no votes: agreement beyond what chance gives."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    yes_a = sum(a for a, _ in pairs) / n
    yes_b = sum(b for _, b in pairs) / n
    chance = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    return 1.0 if chance == 1 else (observed - chance) / (1 - chance)


def agreement(first: dict[str, dict[str, bool]], second: dict[tuple[str, str], bool]) -> None:
    split = sb.load_split()
    half_of = {name: half for half in ("dev", "test") for name in split[half]}
    for half in ("dev", "test", None):
        pairs = [(first[s][t], vote) for (s, t), vote in second.items()
                 if half is None or half_of.get(s) == half]
        if not pairs:
            continue
        cells = Counter(pairs)
        print(f"{half or 'all':4} {len(pairs):5} tools: both money {cells[(True, True)]}, "
              f"neither {cells[(False, False)]}, first only {cells[(True, False)]}, "
              f"second only {cells[(False, True)]}; kappa {kappa(pairs):.2f}")


def tiebreak(out: Path, seed: int) -> int:
    second = second_votes(out)
    if isinstance(second, str):
        print(second)
        return 1
    first = first_labels()
    agreement(first, second)
    split_up = [key for key, vote in second.items() if first[key[0]][key[1]] != vote]
    servers = {s.name: s for s in sb.load_corpus()}
    tools = {(s, t.name): t for s in {k[0] for k in split_up}
             for t in servers[s].listing.tools}
    items = [blinded(server, tools[(server, tool)]) for server, tool in split_up]
    random.Random(seed).shuffle(items)
    (out / "tiebreak.json").write_text(json.dumps(items, ensure_ascii=False, indent=1),
                                       encoding="utf-8")
    print(f"{len(items)} disagreements written to {out / 'tiebreak.json'}")
    return 0


def store(out: Path, target: Path = VOTES_FILE) -> int:
    second = second_votes(out)
    if isinstance(second, str):
        print(second)
        return 1
    first = first_labels()
    missing = [key for key in ((s, t) for s, tools in first.items() for t in tools)
               if key not in second]
    if missing:
        print(f"{len(missing)} labelled tools have no second vote: build again and relabel")
        return 1
    split_up = [key for key, vote in second.items() if first[key[0]][key[1]] != vote]
    third: dict[tuple[str, str], bool] = {}
    if split_up:
        expected = json.loads((out / "tiebreak.json").read_text(encoding="utf-8"))
        got = _answers(out / "tiebreak-answers.json", expected)
        if isinstance(got, str):
            print(got)
            return 1
        third = got
    votes: dict[str, dict[str, list[bool]]] = {}
    for (server, tool), vote in sorted(second.items()):
        votes.setdefault(server, {})[tool] = [vote] + (
            [third[(server, tool)]] if (server, tool) in third else [])
    data = {"rule": rule(),
            "how": "votes after the first labeller's (money-labels.json), each cast blind by "
                   "bench/money_vote.py: the second on every tool, the third where the first "
                   "two disagree. A tool is money when two votes say so.",
            "servers": votes}
    target.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    flipped = Counter(first[s][t] for (s, t) in third if third[(s, t)] != first[s][t])
    print(f"stored {len(second)} second votes and {len(third)} third votes in "
          f"{target.name}; the majority overturns the first labeller on "
          f"{sum(flipped.values())} tools ({flipped[True]} to not money, "
          f"{flipped[False]} to money)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write every labelled tool, blinded, in parts")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--parts", type=int, default=4)
    t = sub.add_parser("tiebreak", help="agreement figures and the disagreements to settle")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--seed", type=int, default=20261203)
    s = sub.add_parser("store", help="write the votes to money-votes.json")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--votes-file", type=Path, default=VOTES_FILE,
                   help=f"where to write the votes (default {VOTES_FILE.name} in the corpus)")
    args = parser.parse_args(argv)
    if args.command == "build":
        return build(args.out, max(1, args.parts))
    if args.command == "tiebreak":
        return tiebreak(args.out, args.seed)
    return store(args.out, args.votes_file)


if __name__ == "__main__":
    sys.exit(main())
