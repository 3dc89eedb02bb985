"""How often the classifier, reading only names, descriptions and schemas, agrees with the
annotations real servers declare about their own tools.

Every tool in tests/fixtures/servers/*.json is classified with its annotations hidden, then:
- readOnlyHint=true                          -> expected Read
- destructiveHint=true and readOnlyHint!=true -> expected Destructive (or any Critical severity)
- readOnlyHint=false and destructiveHint=false -> expected not Destructive (a false-alarm check)

Run: .venv/bin/python bench/scoreboard.py [--verbose]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policytui.risk import classify  # noqa: E402
from policytui.risk.categories import CRITICAL, DESTRUCTIVE, READ  # noqa: E402
from policytui.toolinfo import ServerListing  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "servers"
READ_TARGET = 0.90
DESTRUCTIVE_TARGET = 0.90


@dataclasses.dataclass
class Tally:
    agree: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.agree += ok

    def cell(self) -> str:
        if not self.total:
            return "-"
        return f"{self.agree}/{self.total} ({100 * self.agree / self.total:.0f}%)"

    @property
    def rate(self) -> float:
        return self.agree / self.total if self.total else 1.0


def load_listings() -> list[tuple[str, ServerListing]]:
    out = []
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        tools = data.get("tools") if isinstance(data, dict) else None
        if not isinstance(tools, list) or not tools or "inputSchema" not in tools[0]:
            continue  # not a tools/list capture (e.g. a tool -> group table)
        out.append((path.stem, ServerListing.from_tool_dicts(tools)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every disagreement")
    args = parser.parse_args(argv)

    rows = []
    overall = {"read": Tally(), "destructive": Tally(), "additive": Tally()}
    misses: list[str] = []
    for server, listing in load_listings():
        tallies = {"read": Tally(), "destructive": Tally(), "additive": Tally()}
        for tool in listing.tools:
            hints = tool.annotations
            read_only = hints.get("readOnlyHint")
            destructive = hints.get("destructiveHint")
            if read_only is not True and destructive is None and read_only is None:
                continue
            # The classifier sees the tool without any annotations.
            got = classify(dataclasses.replace(tool, annotations={}))
            if read_only is True:
                ok = got.category == READ
                key = "read"
            elif destructive is True:
                ok = got.category == DESTRUCTIVE or got.severity == CRITICAL
                key = "destructive"
            elif read_only is False and destructive is False:
                ok = got.category != DESTRUCTIVE
                key = "additive"
            else:
                continue
            tallies[key].add(ok)
            overall[key].add(ok)
            if not ok:
                misses.append(f"{server}: {tool.name} declared {key}, classified "
                              f"{got.category}/{got.severity} ({'; '.join(got.evidence[:2])})")
        rows.append((server, len(listing.tools), tallies))

    header = f"{'server':30} {'tools':>5}  {'readOnly->Read':>16}  {'destructive->D/Crit':>19}  " \
             f"{'additive->not D':>16}"
    print(header)
    print("-" * len(header))
    for server, count, tallies in rows:
        print(f"{server:30} {count:5}  {tallies['read'].cell():>16}  "
              f"{tallies['destructive'].cell():>19}  {tallies['additive'].cell():>16}")
    print("-" * len(header))
    total_tools = sum(count for _, count, _ in rows)
    print(f"{'overall':30} {total_tools:5}  {overall['read'].cell():>16}  "
          f"{overall['destructive'].cell():>19}  {overall['additive'].cell():>16}")
    print()
    verdict_read = "meets" if overall["read"].rate >= READ_TARGET else "MISSES"
    verdict_destructive = "meets" if overall["destructive"].rate >= DESTRUCTIVE_TARGET else "MISSES"
    print(f"read-only agreement {overall['read'].rate:.1%} {verdict_read} the "
          f"{READ_TARGET:.0%} target; destructive agreement {overall['destructive'].rate:.1%} "
          f"{verdict_destructive} the {DESTRUCTIVE_TARGET:.0%} target")
    if misses:
        print(f"\n{len(misses)} disagreement(s):" if args.verbose else
              f"\n{len(misses)} disagreement(s) (--verbose lists them)")
        if args.verbose:
            for line in misses:
                print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
