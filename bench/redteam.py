"""The classifier on tools that red-team writers made up, as a ratchet.

Writers wrote servers the way real ones are written, to get acting tools called Read (the
unsafe error) and reading tools called something riskier (false alarms). They never saw the
corpus. `tests/fixtures/redteam/made-up-servers.json` keeps every tool they wrote, labelled
by whether a successful call acts, with the leaks and false alarms the classifier still had
when they were stored. Later rounds also say whether each tool moves money, and what the
money tools missed and the tools wrongly called Financial were when stored.
tests/test_risk_redteam.py fails when a tool leaks that did not before, when false alarms
grow, when a money tool stops being Financial or when wrong Financials grow: a rule that
opens an old hole is caught even where no corpus tool shows it.

    .venv/bin/python bench/redteam.py            # counts, and what changed since stored
    .venv/bin/python bench/redteam.py --rounds   # the same counts for each round of writers
    .venv/bin/python bench/redteam.py --store    # record today's leaks and false alarms
    .venv/bin/python bench/redteam.py --classes  # false alarms and leaks by what decided them
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policytui.risk import Classification, classify_all  # noqa: E402
from policytui.risk.categories import FINANCIAL, READ  # noqa: E402
from policytui.toolinfo import ToolInfo  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "redteam" / "made-up-servers.json"


def load(path: Path = FIXTURE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def classifications(data: dict[str, Any]) -> dict[str, Classification]:
    """{"<server index>/<tool name>": classification} for every made-up tool, annotations
    unused."""
    out: dict[str, Classification] = {}
    for index, server in enumerate(data["servers"]):
        tools = [ToolInfo.from_wire({"name": t["name"], "description": t.get("description", ""),
                                     "inputSchema": t.get("inputSchema")
                                     or {"type": "object", "properties": {}}})
                 for t in server["tools"]]
        found = classify_all(tools, use_annotations=False)
        for spec in server["tools"]:
            out[f"{index}/{spec['name']}"] = found[spec["name"]]
    return out


def classified(data: dict[str, Any]) -> dict[str, str]:
    """{"<server index>/<tool name>": category} for every made-up tool, annotations unused."""
    return {key: found.category for key, found in classifications(data).items()}


# A quoted word, not an apostrophe inside one: "the description's first sentence ... ends with
# 'status'" quotes only 'status'.
_QUOTED = re.compile(r"(?<!\w)'[^']*'(?!\w)")


def reader_of(found: Classification) -> str:
    """The rule that decided a classification, as a class of tools: the first line of its
    evidence with the words it quotes ("name verb 'run' runs something") left out, up to its
    first colon, and the last line's the same way when a later stage (arguments, money)
    added one."""
    lines = [_QUOTED.sub("_", line).split(": ", 1)[0][:110] for line in found.evidence]
    if not lines:
        return "(no evidence)"
    return lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"


def by_class(keys: list[str], found: dict[str, Classification]
             ) -> list[tuple[str, str, list[str]]]:
    """(category, reader, the tools' keys) for `keys`, the largest class first."""
    groups: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        groups.setdefault((found[key].category, reader_of(found[key])), []).append(key)
    return sorted(((category, reader, members) for (category, reader), members in groups.items()),
                  key=lambda row: (-len(row[2]), row[0], row[1]))


def print_classes(title: str, rows: list[tuple[str, str, list[str]]], limit: int = 40) -> None:
    print(f"{title}: {sum(len(row[2]) for row in rows)} in {len(rows)} class(es)")
    for category, reader, members in rows[:limit]:
        print(f"  {len(members):4}  {category:11}  {reader}")
        print(f"        e.g. {', '.join(members[:3])}")
    if len(rows) > limit:
        print(f"  ... {len(rows) - limit} smaller class(es)")


def outcomes(data: dict[str, Any], found: dict[str, str] | None = None
             ) -> tuple[list[str], list[str], int, int]:
    """(acting tools called Read, reading tools called anything else, acting count, reading
    count); a tool is named "<server index>/<tool name>"."""
    found = classified(data) if found is None else found
    leaks: list[str] = []
    alarms: list[str] = []
    acting = reading = 0
    for index, server in enumerate(data["servers"]):
        for spec in server["tools"]:
            key = f"{index}/{spec['name']}"
            said = found[key]
            if spec["acts"]:
                acting += 1
                if said == READ:
                    leaks.append(key)
            else:
                reading += 1
                if said != READ:
                    alarms.append(key)
    return leaks, alarms, acting, reading


def money_outcomes(data: dict[str, Any], found: dict[str, str] | None = None
                   ) -> tuple[list[str], list[str], int]:
    """Over the tools labelled for money (a "money" key; later rounds have one): (money tools
    not called Financial, tools called Financial that move no money, money tools)."""
    found = classified(data) if found is None else found
    missed: list[str] = []
    wrongly: list[str] = []
    money = 0
    for index, server in enumerate(data["servers"]):
        for spec in server["tools"]:
            if "money" not in spec:
                continue
            key = f"{index}/{spec['name']}"
            said = found[key] == FINANCIAL
            money += spec["money"]
            if spec["money"] and not said:
                missed.append(key)
            elif said and not spec["money"]:
                wrongly.append(key)
    return missed, wrongly, money


def by_round(data: dict[str, Any], leaks: list[str], alarms: list[str]
             ) -> dict[str, list[int]]:
    """{round: [leaks, acting, false alarms, reading]} from `outcomes`' keys."""
    leaked, alarmed = set(leaks), set(alarms)
    counts: dict[str, list[int]] = {}
    for index, server in enumerate(data["servers"]):
        row = counts.setdefault(str(server.get("round", "?")), [0, 0, 0, 0])
        for spec in server["tools"]:
            key = f"{index}/{spec['name']}"
            if spec["acts"]:
                row[0] += key in leaked
                row[1] += 1
            else:
                row[2] += key in alarmed
                row[3] += 1
    return counts


def money_by_round(data: dict[str, Any], found: dict[str, str]
                   ) -> dict[str, tuple[int, int, int]]:
    """{round: (money tools called Financial, money tools, tools called Financial)} for the
    rounds labelled for money."""
    rows: dict[str, list[int]] = {}
    for index, server in enumerate(data["servers"]):
        for spec in server["tools"]:
            if "money" not in spec:
                continue
            row = rows.setdefault(str(server.get("round", "?")), [0, 0, 0])
            said = found[f"{index}/{spec['name']}"] == FINANCIAL
            row[0] += said and spec["money"]
            row[1] += spec["money"]
            row[2] += said
    return {name: (row[0], row[1], row[2]) for name, row in rows.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", action="store_true",
                        help="record today's leaks and false alarms in the fixture")
    parser.add_argument("--rounds", action="store_true",
                        help="also count each round of writers on its own (a round written "
                             "blind to the rules measures how they generalise)")
    parser.add_argument("--classes", action="store_true",
                        help="also group the false alarms and the leaks by category and by the "
                             "rule that decided them (the first line of their evidence)")
    args = parser.parse_args(argv)
    data = load()
    full = classifications(data)
    found = {key: classification.category for key, classification in full.items()}
    leaks, alarms, acting, reading = outcomes(data, found)
    missed, wrongly, money = money_outcomes(data, found)
    if args.rounds:
        money_rows = money_by_round(data, found)
        for round_name, counts in sorted(by_round(data, leaks, alarms).items()):
            hits, labelled, said = money_rows.get(round_name, (0, 0, 0))
            money_cell = (f"; Financial recall {hits}/{labelled}, precision {hits}/{said}"
                          if labelled else "")
            print(f"round {round_name:20} acting called Read {counts[0]}/{counts[1]}; "
                  f"reading called riskier {counts[2]}/{counts[3]}{money_cell}")
    known = data.get("known", {})
    print(f"acting tools called Read: {len(leaks)}/{acting}; reading tools called riskier: "
          f"{len(alarms)}/{reading}")
    new = sorted(set(leaks) - set(known.get("leaks", [])))
    closed = sorted(set(known.get("leaks", [])) - set(leaks))
    print(f"since stored: {len(new)} new leak(s) {new[:10]}, {len(closed)} closed; "
          f"false alarms {known.get('false_alarms')} -> {len(alarms)}")
    if money:
        hits = money - len(missed)
        print(f"money-labelled rounds: Financial recall {hits}/{money}; precision "
              f"{hits}/{hits + len(wrongly)}")
        lost = sorted(set(missed) - set(known.get("money_missed", [])))
        print(f"since stored: {len(lost)} money tool(s) no longer Financial {lost[:10]}; "
              f"wrongly Financial {known.get('wrongly_financial')} -> {len(wrongly)}")
    if args.classes:
        print_classes("reading tools called riskier, by class", by_class(alarms, full))
        print_classes("acting tools called Read, by class", by_class(leaks, full))
    if args.store:
        data["known"] = {"leaks": sorted(leaks), "false_alarms": len(alarms),
                         "money_missed": sorted(missed), "wrongly_financial": len(wrongly)}
        FIXTURE.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n",
                           encoding="utf-8")
        print(f"stored in {FIXTURE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    # Piped into `head`: stop quietly when the reader has had enough, as other tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
