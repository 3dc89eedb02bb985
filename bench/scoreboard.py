"""How the risk classifier does on real servers it was not written against.

The corpus is tests/fixtures/servers/corpus/*.json (each server's tool list as it was sent, with
where it came from), split by server into a development half, on which the rules may be tuned,
and a test half, which is only ever scored (split.json). Every tool is classified with its
annotations hidden and measured against what its server declares:

- read-only -> Read: tools declared readOnlyHint=true that come out Read (higher is better).
- not read-only -> Read: tools declared not read-only (readOnlyHint=false, or
  destructiveHint=true without readOnlyHint=true) that come out Read: the unsafe error.
- removal -> D/Crit: destructive-declared tools whose name or first sentence removes something
  (delete, remove, destroy, ...) that come out Destructive or with Critical severity.
- destructive -> Read/Other: destructive-declared tools that come out Read or Other.
- Financial precision and recall on the hand-labelled money tools of the corpus's payment and
  trading servers: a tool is money when most of its blind votes say so (money-labels.json, the
  first labeller's, and money-votes.json, two more from bench/money_vote.py).

Run: .venv/bin/python bench/scoreboard.py [--split dev|test|both] [--verbose] [--servers A,B]
                                          [--fold A|B]
--verbose lists the development half's misses only: the test half is never looked into.
--fold scores one of two fixed folds of the development half (a server is in fold A when the
first byte of the SHA-256 of its file name, without .json, is even): a rule written from fold
A's misses is kept only if fold B, which it was not written from, gains too.
--fold X --save FILE keeps each tool's category (under hashed names); after a change,
--fold X --moved-since FILE counts the tools that moved, by declared label and direction, so
a rule that fires nowhere on the other fold is told from one that fires both ways, without a
name.
--fold X --classes groups the fold's tools called Read by the rule that decided them (the
first line of their evidence, as bench/redteam.py --classes does), counted by declared label:
which reading rules the unsafe errors pass through, and how many readers tightening each
would put at stake. It names no tool.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# redteam.py beside this file names the reading rules; the tests load this file by path, so its
# folder is not on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from redteam import reader_of  # noqa: E402

from policytui.risk import classify_all  # noqa: E402
from policytui.risk.categories import CRITICAL, DESTRUCTIVE, FINANCIAL, OTHER, READ  # noqa: E402
from policytui.toolinfo import ServerListing  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "servers" / "corpus"
SPLIT_FILE = CORPUS / "split.json"
MONEY_FILE = CORPUS / "money-labels.json"
VOTES_FILE = CORPUS / "money-votes.json"
AUDIT_FILE = CORPUS / "label-audit.json"
NOT_CORPUS = {SPLIT_FILE.name, MONEY_FILE.name, VOTES_FILE.name, AUDIT_FILE.name}

# The figures the test half must reach: (row, "max" or "min", bound).
TARGETS: dict[str, tuple[str, float]] = {
    "not read-only -> Read": ("max", 0.01),
    "read-only -> Read": ("min", 0.97),
    "removal -> D/Crit": ("min", 0.97),
    "destructive -> Read/Other": ("max", 0.05),
    "Financial recall": ("min", 0.90),
    "Financial precision": ("min", 0.90),
}
ROWS = tuple(TARGETS)

REMOVAL = re.compile(
    r"\b(?:delet|remov|destroy|drop|purg|eras|wip|truncat|unregister|uninstall|revok|terminat)"
    r"[a-z]*", re.I)
_SPLIT_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclasses.dataclass
class Tally:
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.total += 1
        self.hits += hit

    @property
    def rate(self) -> float | None:
        return self.hits / self.total if self.total else None

    def cell(self) -> str:
        if not self.total:
            return "-"
        return f"{self.hits}/{self.total} ({100 * self.hits / self.total:.1f}%)"


@dataclasses.dataclass
class Server:
    name: str
    listing: ServerListing
    source: str


def load_corpus(root: Path = CORPUS) -> list[Server]:
    """Every server file of the corpus, in name order."""
    out = []
    for path in sorted(root.glob("*.json")):
        if path.name in NOT_CORPUS:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        tools = data.get("tools") if isinstance(data, dict) else None
        if not isinstance(tools, list):
            continue
        out.append(Server(path.stem, ServerListing.from_tool_dicts(tools),
                          str(data.get("source", ""))))
    return out


def load_split(root: Path = CORPUS) -> dict[str, list[str]]:
    data = json.loads((root / SPLIT_FILE.name).read_text(encoding="utf-8"))
    return {"dev": list(data["dev"]), "test": list(data["test"])}


def fold_of(server: str) -> str:
    """"A" or "B": the development fold a server belongs to, fixed by its name alone."""
    return "A" if hashlib.sha256(server.encode("utf-8")).digest()[0] % 2 == 0 else "B"


def load_money_labels(root: Path = CORPUS, first_only: bool = False) -> dict[str, set[str]]:
    """{server: names of its tools that move money} for every labelled server.

    money-labels.json is the first labeller's ({"servers": {server: {tool: {"financial": true
    | false, "reason": ...}}}}); money-votes.json, when present, holds later blind votes
    ({"servers": {server: {tool: [vote, ...]}}}, bench/money_vote.py). A tool is money when
    most of its votes, the first labeller's among them, say so; a tie keeps the first label.
    `first_only` ignores the later votes."""
    path = root / MONEY_FILE.name
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    votes_path = root / VOTES_FILE.name
    later: dict[str, dict[str, list[bool]]] = {}
    if votes_path.exists() and not first_only:
        later = json.loads(votes_path.read_text(encoding="utf-8")).get("servers", {})
    out: dict[str, set[str]] = {}
    for server, tools in data.get("servers", {}).items():
        out[server] = set()
        for name, label in tools.items():
            if not isinstance(label, dict):
                continue
            first = label.get("financial") is True
            ballot = [first, *later.get(server, {}).get(name, [])]
            yes = sum(ballot)
            if yes * 2 > len(ballot) or (yes * 2 == len(ballot) and first):
                out[server].add(name)
    return out


def declared(tool: Any) -> tuple[bool | None, bool | None]:
    hints = tool.annotations
    read_only = hints.get("readOnlyHint")
    destructive = hints.get("destructiveHint")
    return (read_only if isinstance(read_only, bool) else None,
            destructive if isinstance(destructive, bool) else None)


def removes(tool: Any) -> bool:
    """Does the tool's name or first sentence remove something?"""
    name = " ".join(_SPLIT_WORDS.findall(tool.name))
    first = re.split(r"(?<=[.!?])\s|\n\n", tool.description.strip(), maxsplit=1)[0]
    return bool(REMOVAL.search(name) or REMOVAL.search(first))


def score(servers: Iterable[Server], money: dict[str, set[str]]
          ) -> tuple[dict[str, Tally], list[str]]:
    """The tallies of one split (annotations hidden) and a line per miss."""
    rows = {row: Tally() for row in ROWS}
    misses: list[str] = []
    for server in servers:
        classes = classify_all(server.listing.tools, use_annotations=False)
        labelled = money.get(server.name)
        for tool in server.listing.tools:
            got = classes[tool.name]
            read_only, destructive = declared(tool)
            shown = f"{server.name}: {tool.name} -> {got.category}/{got.severity}"
            if read_only is True:
                rows["read-only -> Read"].add(got.category == READ)
                if got.category != READ:
                    misses.append(f"read-only not Read    {shown}")
            else:
                destructive_marked = destructive is True
                if read_only is False or destructive_marked:
                    rows["not read-only -> Read"].add(got.category == READ)
                    if got.category == READ:
                        misses.append(f"UNSAFE not-ro as Read {shown}")
                if destructive_marked:
                    weak = got.category in (READ, OTHER)
                    rows["destructive -> Read/Other"].add(weak)
                    if weak:
                        misses.append(f"destructive as R/O    {shown}")
                    if removes(tool):
                        ok = got.category == DESTRUCTIVE or got.severity == CRITICAL
                        rows["removal -> D/Crit"].add(ok)
                        if not ok:
                            misses.append(f"removal not D/Crit    {shown}")
            if labelled is not None:
                is_money = tool.name in labelled
                said = got.category == FINANCIAL
                if is_money:
                    rows["Financial recall"].add(said)
                    if not said:
                        misses.append(f"money missed          {shown}")
                if said:
                    rows["Financial precision"].add(is_money)
                    if not is_money:
                        misses.append(f"not money, Financial  {shown}")
    return rows, misses


def load_audit(root: Path = CORPUS) -> dict[str, dict[str, str]]:
    """{server: {tool: "reads" | "acts" | "unclear"}}: a blind labeller's judgement of each
    audited tool from its own words (bench/label_audit.py), or {} without an audit."""
    path = root / AUDIT_FILE.name
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("servers", {}))


def audited(servers: Iterable[Server], judged: dict[str, dict[str, str]]) -> list[str]:
    """Lines saying how the blind judgements weigh on the read-only rows: how many unsafe
    errors a blind reader says only read (server label noise), and both rows again without
    the tools whose server label the blind reader contradicts. A miss never judged counts as
    a real one."""
    unsafe = Counter()
    ro_total = ro_read = nro_total = 0
    for server in servers:
        classes = classify_all(server.listing.tools, use_annotations=False)
        said = judged.get(server.name, {})
        for tool in server.listing.tools:
            read_only, destructive = declared(tool)
            called_read = classes[tool.name].category == READ
            judgement = said.get(tool.name, "not judged")
            if read_only is True:
                if judgement == "acts":
                    continue  # the server calls it read-only; its words say it acts
                ro_total += 1
                ro_read += called_read
            elif read_only is False or destructive is True:
                if called_read:
                    unsafe[judgement] += 1
                if judgement != "reads" or not called_read:
                    nro_total += 1
    if not unsafe and not ro_total:
        return []
    real = sum(n for j, n in unsafe.items() if j != "reads")
    parts = ", ".join(f"{j} {n}" for j, n in sorted(unsafe.items()))
    return [f"unsafe errors by a blind reader's judgement: {parts}",
            f"{'not read-only -> Read':28} {real}/{nro_total} ({100 * real / max(nro_total, 1):.1f}%)"
            "  leaving out tools whose words only read",
            f"{'read-only -> Read':28} {ro_read}/{ro_total} ({100 * ro_read / max(ro_total, 1):.1f}%)"
            "  leaving out tools whose words act"]


def classes_by_key(servers: Iterable[Server]) -> dict[str, tuple[str, str]]:
    """{key: (declared label, category)} for every tool, annotations hidden. A key is a hash
    of the server and tool names, so a file of them names no tool of a held-out fold."""
    out: dict[str, tuple[str, str]] = {}
    for server in servers:
        classes = classify_all(server.listing.tools, use_annotations=False)
        for tool in server.listing.tools:
            label = label_of(tool)
            key = hashlib.sha256(f"{server.name}/{tool.name}".encode()).hexdigest()[:20]
            out[key] = (label, classes[tool.name].category)
    return out


def label_of(tool: Any) -> str:
    """"read-only", "not read-only" or "unlabelled": what the tool's server declares."""
    read_only, destructive = declared(tool)
    return ("read-only" if read_only is True else "not read-only"
            if read_only is False or destructive is True else "unlabelled")


LABELS = ("read-only", "not read-only", "unlabelled")


def read_classes(servers: Iterable[Server]) -> dict[str, Counter[str]]:
    """{the rule that decided it: Counter of declared labels} over the tools called Read,
    annotations hidden; the rule is named as bench/redteam.py names it (`reader_of`)."""
    out: dict[str, Counter[str]] = {}
    for server in servers:
        classes = classify_all(server.listing.tools, use_annotations=False)
        for tool in server.listing.tools:
            found = classes[tool.name]
            if found.category == READ:
                out.setdefault(reader_of(found), Counter())[label_of(tool)] += 1
    return out


def print_read_classes(fold: str, rows: dict[str, Counter[str]]) -> None:
    """The classes of `read_classes`, those holding unsafe errors first, then the largest."""
    total = sum(sum(c.values()) for c in rows.values())
    print(f"\ntools called Read in fold {fold}, by the rule that decided them: {total} in "
          f"{len(rows)} class(es)")
    print(f"  {'read-only':>9} {'not r-o':>7} {'unlab.':>6}  rule")
    for reader, counts in sorted(rows.items(), key=lambda row: (
            -row[1]["not read-only"], -sum(row[1].values()), row[0])):
        print(f"  {counts['read-only']:9} {counts['not read-only']:7} {counts['unlabelled']:6}  "
              f"{reader}")


def moved(before: dict[str, str], now: dict[str, tuple[str, str]]) -> dict[str, Counter[str]]:
    """{declared label: Counter of "to Read" / "from Read" / "other"} over the tools whose
    category differs from `before` (tools new since then are left out)."""
    out: dict[str, Counter[str]] = {}
    for key, (label, category) in now.items():
        old = before.get(key)
        if old is None or old == category:
            continue
        way = "to Read" if category == READ else "from Read" if old == READ else "other"
        out.setdefault(label, Counter())[way] += 1
    return out


def _read_saved(path: Path, fold: str) -> dict[str, str]:
    """The categories `--save` wrote for the fold, or ValueError saying why they cannot be
    read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{path} is not a file --save wrote (not JSON)") from None
    if not isinstance(data, dict) or not isinstance(data.get("classes"), dict):
        raise ValueError(f"{path} is not a file --save wrote (no classes)")
    if data.get("fold") != fold:
        raise ValueError(f"{path} holds fold {data.get('fold')}, not fold {fold}")
    return {str(k): str(c) for k, c in data["classes"].items()}


def _cannot_write(path: Path) -> str | None:
    """Why `--save` could not write `path`, as the write would say it, or None. Nothing is
    created: the file is written once the fold is scored."""
    if path.is_dir():
        return "Is a directory"
    folder = path.parent
    if not folder.is_dir():
        return "No such file or directory" if not folder.exists() else "Not a directory"
    if not os.access(path if path.exists() else folder, os.W_OK):
        return "Permission denied"
    return None


def meets(row: str, tally: Tally) -> bool | None:
    rate = tally.rate
    if rate is None:
        return None
    how, bound = TARGETS[row]
    return rate <= bound if how == "max" else rate >= bound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true",
                        help="list the development half's misses (never the test half's)")
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both",
                        help="which half to score: dev while changing the rules, test once "
                             "they are done (default both)")
    parser.add_argument("--dev-only", action="store_true", help="the same as --split dev")
    parser.add_argument("--servers", default="",
                        help="comma-separated server names: score only these (e.g. servers "
                             "added since the rules were last tuned, as unseen data)")
    parser.add_argument("--fold", choices=("A", "B"),
                        help="score only this fold of the development half (implies --split "
                             "dev): write rules from fold A's misses, check them on fold B")
    parser.add_argument("--save", metavar="FILE", type=Path,
                        help="with --fold: keep each tool's category in FILE (under hashed "
                             "names) for a later --moved-since")
    parser.add_argument("--moved-since", metavar="FILE", type=Path,
                        help="with --fold: count the tools whose category moved since --save "
                             "wrote FILE, by declared label and direction (totals only)")
    parser.add_argument("--classes", action="store_true",
                        help="with --fold: group the fold's tools called Read by the rule that "
                             "decided them, counted by declared label (no tool named)")
    args = parser.parse_args(argv)
    if args.classes and not args.fold:
        parser.error("--classes groups one fold's readers; give --fold A or --fold B")
    if (args.save or args.moved_since) and not args.fold:
        parser.error("--save and --moved-since compare one fold with itself; give --fold A "
                     "or --fold B")
    if args.fold and args.split == "test":
        parser.error("--fold is a part of the development half; it cannot go with --split test")
    if args.fold:
        args.split = "dev"
    # The files named are checked before anything is scored (seconds of classifying): a
    # mistyped path is refused at once, and no table is printed above the refusal.
    before: dict[str, str] | None = None
    if args.moved_since:
        try:
            before = _read_saved(args.moved_since, args.fold)
        except ValueError as exc:
            parser.error(str(exc))
    if args.save:
        why = _cannot_write(args.save)
        if why:
            parser.error(f"cannot write {args.save}: {why}")
    halves = ("dev",) if args.dev_only else ("dev", "test") if args.split == "both" else (
        args.split,)

    servers = {s.name: s for s in load_corpus()}
    split = load_split()
    money = load_money_labels()
    unsplit = sorted(set(servers) - set(split["dev"]) - set(split["test"]))
    if args.servers:
        only = {name.strip() for name in args.servers.split(",") if name.strip()}
        unknown = sorted(only - set(servers))
        if unknown:
            parser.error(f"no corpus server named {', '.join(unknown)}")
        split = {half: [name for name in names if name in only] for half, names in split.items()}
        unsplit = []
    if args.fold:
        split = {"dev": [name for name in split["dev"] if fold_of(name) == args.fold],
                 "test": []}
        unsplit = []
    results = {}
    for half in ("dev", "test"):
        if half not in halves:
            results[half] = ([], {row: Tally() for row in ROWS}, [])
            continue
        chosen = [servers[name] for name in split[half] if name in servers]
        results[half] = (chosen, *score(chosen, money))

    tools = {half: sum(len(s.listing.tools) for s in results[half][0]) for half in results}
    everything = sum(len(s.listing.tools) for s in servers.values())
    print(f"corpus: {len(servers)} servers, {everything} tools; annotations hidden")
    if args.fold:
        print(f"fold {args.fold} of the development half only (the dev column below)")
    print(f"{'':28} {'dev':>22} {'test':>22}  target (test half)")
    counts = {half: f"{len(results[half][0])} / {tools[half]}" for half in results}
    print(f"{'servers / tools':28} {counts['dev']:>22} {counts['test']:>22}")
    for row in ROWS:
        how, bound = TARGETS[row]
        verdict = meets(row, results["test"][1][row])
        mark = "-" if verdict is None else ("meets" if verdict else "MISSES")
        sign = "<=" if how == "max" else ">="
        print(f"{row:28} {results['dev'][1][row].cell():>22} {results['test'][1][row].cell():>22}"
              f"  {sign} {bound:.0%}: {mark}")
    judged = load_audit()
    if judged and "test" in halves:
        lines = audited(results["test"][0], judged)
        if lines:
            print("\ntest half against a blind second labeller (label-audit.json, "
                  "docs/risk.md); the targets are judged on the rows above:")
            for line in lines:
                print("  " + line)
    first_money = load_money_labels(first_only=True)
    if first_money != money:
        print("\nFinancial rows by the first labeller alone (money-labels.json); the rows above "
              "count a tool as money when most of its blind votes say so (money-votes.json):")
        for row in ("Financial recall", "Financial precision"):
            cells = []
            for half in ("dev", "test"):
                labelled = [s for s in results[half][0] if s.name in first_money]
                cells.append(score(labelled, first_money)[0][row].cell() if labelled else "-")
            print(f"  {row:26} {cells[0]:>22} {cells[1]:>22}")
    if unsplit:
        print(f"\nnot in the split (not scored): {', '.join(unsplit)}")
    if args.fold and args.classes:
        print_read_classes(args.fold, read_classes(results["dev"][0]))
    if args.fold and (args.save or args.moved_since):
        now = classes_by_key(results["dev"][0])
        if before is not None:
            changes = moved(before, now)
            total = sum(sum(c.values()) for c in changes.values())
            print(f"\nmoved since {args.moved_since} (fold {args.fold}): {total} tool(s)")
            for label in ("read-only", "not read-only", "unlabelled"):
                ways = changes.get(label, Counter())
                print(f"  {label + ':':15} {ways['to Read']} to Read, {ways['from Read']} from "
                      f"Read, {ways['other']} between other categories")
        if args.save:
            try:
                args.save.write_text(json.dumps(
                    {"fold": args.fold, "classes": {k: c for k, (_, c) in now.items()}},
                    sort_keys=True) + "\n", encoding="utf-8")
            except OSError as exc:
                parser.error(f"cannot write {args.save}: {exc.strerror or exc}")
            print(f"\nsaved the categories of fold {args.fold}'s {len(now)} tools to {args.save}")
    if "dev" not in halves:
        return 0
    dev_misses = results["dev"][2]
    print(f"\ndevelopment half: {len(dev_misses)} miss(es)"
          + ("" if args.verbose else " (--verbose lists them)"))
    if args.verbose:
        for line in sorted(dev_misses):
            print("  " + line)
    return 0


if __name__ == "__main__":
    # Piped into `head`: stop quietly when the reader has had enough, as other tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
