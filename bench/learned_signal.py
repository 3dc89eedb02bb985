"""Would a learned signal help the rules? A check on the development half alone.

A logistic regression over the words of a tool's name, the first fifteen words of its
description and its argument names, trained on the development half's declared annotations
(readOnlyHint true: reads; readOnlyHint false or destructiveHint true: acts) and scored by
five-fold cross-validation **grouped by server** (no server is in both the training and the
scoring folds). Its probability then overrides the rules in one of two ways:

- raise: a tool the rules call Read whose probability of reading is below LOW is not Read;
- lower: a tool the rules call Write or Other (Low or Medium severity) whose probability is
  above HIGH is Read.

It prints the development half's read-only -> Read and not read-only -> Read figures for the
rules alone and for each threshold. The test half is never touched.

Run: .venv/bin/python bench/learned_signal.py
"""

from __future__ import annotations

import math
import random
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scoreboard import declared, load_corpus, load_split  # noqa: E402

from policytui.risk import classify_all  # noqa: E402

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
Row = tuple[str, frozenset[str], int, str, str]  # server, features, reads?, category, severity


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(text)]


def _features(tool: Any) -> frozenset[str]:
    out = {"n:" + w for w in _words(tool.name)}
    described = _words(tool.description)[:15]
    out |= {"d:" + w for w in described}
    properties = (tool.input_schema or {}).get("properties") or {}
    if isinstance(properties, dict):
        out |= {"a:" + w for name in properties for w in _words(str(name))}
    return frozenset(out)


def development_rows() -> list[Row]:
    servers = {s.name: s for s in load_corpus()}
    rows: list[Row] = []
    for name in load_split()["dev"]:
        server = servers[name]
        got = classify_all(server.listing.tools, use_annotations=False)
        for tool in server.listing.tools:
            read_only, destructive = declared(tool)
            if read_only is True:
                reads = 1
            elif read_only is False or destructive is True:
                reads = 0
            else:
                continue
            c = got[tool.name]
            rows.append((name, _features(tool), reads, c.category, c.severity))
    return rows


def _train(rows: list[Row], epochs: int = 8, rate: float = 0.2, l2: float = 1e-4
           ) -> tuple[dict[str, float], float]:
    weights: dict[str, float] = defaultdict(float)
    bias = 0.0
    order = list(rows)
    for epoch in range(epochs):
        random.Random(epoch).shuffle(order)
        for _, features, reads, *_ in order:
            gradient = _probability((weights, bias), features) - reads
            bias -= rate * gradient
            for key in features:
                weights[key] -= rate * (gradient + l2 * weights[key])
    return weights, bias


def _probability(model: tuple[dict[str, float], float], features: frozenset[str]) -> float:
    weights, bias = model
    z = bias + sum(weights.get(key, 0.0) for key in features)
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def cross_validated(rows: list[Row], folds: int = 5) -> list[tuple[Row, float]]:
    names = sorted({row[0] for row in rows})
    random.Random(7).shuffle(names)
    out = []
    for k in range(folds):
        held = set(names[k::folds])
        model = _train([row for row in rows if row[0] not in held])
        out += [(row, _probability(model, row[1])) for row in rows if row[0] in held]
    return out


def figures(scored: list[tuple[Row, float]], low: float | None, high: float | None) -> str:
    reads = sum(1 for row, _ in scored if row[2] == 1)
    acts = len(scored) - reads
    read_ok = unsafe = 0
    for (_, _, truth, category, severity), p in scored:
        called_read = category == "Read"
        if called_read and low is not None and p < low:
            called_read = False
        if (not called_read and high is not None and p > high and category in ("Write", "Other")
                and severity in ("Low", "Medium")):
            called_read = True
        if truth:
            read_ok += called_read
        else:
            unsafe += called_read
    return (f"read-only -> Read {read_ok}/{reads} ({100 * read_ok / reads:.1f}%)   "
            f"not read-only -> Read {unsafe}/{acts} ({100 * unsafe / acts:.2f}%)")


def main() -> None:
    scored = cross_validated(development_rows())
    print(f"{'rules alone':<22} {figures(scored, None, None)}")
    for low in (0.05, 0.2):
        print(f"{'raise below ' + str(low):<22} {figures(scored, low, None)}")
    for high in (0.9, 0.95, 0.99):
        print(f"{'lower above ' + str(high):<22} {figures(scored, None, high)}")


if __name__ == "__main__":
    main()
