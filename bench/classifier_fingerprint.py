"""Every classification the classifier gives on the stored tools, as one file to diff.

For speed work that must not change a single result: dump before a change, dump after, and
`diff` the two files (or pass `--against` the first). It covers every corpus server
(tests/fixtures/servers/corpus, each server through `classify_all` on its own, with its
annotations and without them, as the scoreboard reads it), the red-team made-up servers (as
bench/redteam.py reads them) and the 10,000 synthetic tools of bench/bench_classifier.py. Each
line is one tool's full `Classification.to_json()`.

Run: .venv/bin/python bench/classifier_fingerprint.py --out FILE [--against OLD_FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_classifier import corpus_servers, synthetic_tools  # noqa: E402
from redteam import classifications as redteam_classifications  # noqa: E402
from redteam import load as redteam_load  # noqa: E402

from policytui.risk import classify_all  # noqa: E402


def fingerprint_lines() -> Iterator[str]:
    """One line per classified tool: where it comes from, then its classification as JSON."""
    for index, tools in enumerate(corpus_servers()):
        for use_annotations in (True, False):
            found = classify_all(tools, use_annotations=use_annotations)
            for name, result in found.items():
                yield (f"corpus/{index}/{'hints' if use_annotations else 'words'}/{name}\t"
                       + json.dumps(result.to_json(), sort_keys=True, ensure_ascii=False))
    for key, result in redteam_classifications(redteam_load()).items():
        yield f"redteam/{key}\t" + json.dumps(result.to_json(), sort_keys=True,
                                              ensure_ascii=False)
    for name, result in classify_all(synthetic_tools(10_000)).items():
        yield f"synthetic/{name}\t" + json.dumps(result.to_json(), sort_keys=True,
                                                 ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--against", type=Path, help="an earlier dump to compare with")
    args = parser.parse_args(argv)
    lines = list(fingerprint_lines())
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} classifications written to {args.out}")
    if args.against is None:
        return 0
    old = args.against.read_text(encoding="utf-8").splitlines()
    changed = [key for key, (a, b) in enumerate(zip(old, lines, strict=False)) if a != b]
    if len(old) != len(lines) or changed:
        print(f"DIFFERENT from {args.against}: {len(changed)} lines changed, "
              f"{len(old)} lines before, {len(lines)} now")
        for index in changed[:10]:
            print(f"- {old[index][:300]}\n+ {lines[index][:300]}")
        return 1
    print(f"identical to {args.against}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
