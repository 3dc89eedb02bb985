"""`policytui counters`: how much of each rate limit is used in its current window.

Reads the same state store as the gateways (`--state URL`, or `--state-dir`), so it shows what
every gateway sharing that store has counted: per policy, counter, scope and window.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from policytui.cli.approvals_cmd import add_state_arguments

    add_state_arguments(parser)
    parser.add_argument(
        "--policy", metavar="FILE|NAME",
        help="only this policy's counters: its file (as the gateway was given it), or its file name with or without .json",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _chosen(key: str, wanted: str) -> bool:
    """Whether counters kept under `key` belong to the policy `wanted` names.

    A machine-local store keys counters by the policy file's absolute path, Redis by its file
    name (see `policy_key`): a file given here matches its path, a bare name matches both.
    """
    name = Path(wanted).stem if wanted.endswith(".json") else wanted
    if key == name or (Path(key).stem == name and "/" not in wanted):
        return True
    return key == str(Path(wanted).expanduser().resolve())


def run(args: argparse.Namespace) -> int:
    from policytui.cli.approvals_cmd import _out, _sentence, open_state
    from policytui.gateway.store import StateUnavailable
    from policytui.textsafe import a_few, visible

    store = open_state(args, "counters")
    if isinstance(store, int):
        return store
    try:
        uses = store.usage() if store is not None else []
    except StateUnavailable as exc:
        print(f"policytui counters: {_sentence(str(exc))}", file=sys.stderr)
        return 1
    finally:
        if store is not None:
            store.close()
    others: list[str] = []
    if args.policy:
        others = sorted({u.policy for u in uses if not _chosen(u.policy, args.policy)})
        uses = [u for u in uses if _chosen(u.policy, args.policy)]
    uses.sort(key=lambda u: (u.policy, u.counter, u.scope, u.scope_id, u.window))
    if args.json:
        _out(json.dumps([u.to_json() for u in uses], ensure_ascii=False, indent=2))
        return 0
    if not uses and others:
        # A --policy spelt otherwise than the gateway was given it must not read as "unused".
        named = a_few([visible(repr(other)) for other in others])
        _out(f"No counter of policy {visible(repr(args.policy))} has been used in its current "
             f"window; counters of {named} have (`policytui counters` lists them).")
        return 0
    if not uses:
        _out("No counter has been used in its current window.")
        return 0
    now = time.time()
    rows = [("POLICY", "COUNTER", "SCOPE", "WINDOW", "USED", "RESETS IN")]
    for use in uses:
        who = "global" if use.scope == "global" else f"{use.scope} {use.scope_id}"
        left = max(0, int(use.window_end - now))
        rows.append((use.policy, use.counter, who, use.window, str(use.used), f"{left} s"))
    widths = [max(len(visible(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        _out("  ".join(visible(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return 0
