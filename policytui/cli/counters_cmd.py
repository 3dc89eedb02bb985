"""`policytui counters`: how much of each rate limit is used in its current window.

Reads the same state store as the gateways (`--state URL`, or `--state-dir`), so it shows what
every gateway sharing that store has counted: per policy, counter, scope and window.
"""

from __future__ import annotations

import argparse
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


def _limits_of(path: Path) -> dict[tuple[str, str, str], list[int]] | None:
    """The maxima of the policy file's limits on each (counter, scope, window), smallest
    first; None when the file cannot be read as a valid policy."""
    from policytui.policy.files import PolicyFileError, load_policy

    try:
        policy = load_policy(path).policy
    except (PolicyFileError, OSError, ValueError):
        return None
    if policy is None:
        return None
    limits = list(policy.all_tools.limits or []) if policy.all_tools else []
    for rule in (policy.tools or {}).values():
        limits.extend(rule.limits or [])
    found: dict[tuple[str, str, str], set[int]] = {}
    for limit in limits:
        found.setdefault((limit.counter, limit.effective_scope, limit.window), set()).add(limit.max)
    return {key: sorted(maxima) for key, maxima in found.items()}


def _policy_file(key: str, wanted: str | None) -> Path | None:
    """The file of the policy whose counters are kept under `key`: the key itself where the
    store names policies by their absolute path, else the `--policy` file, when it is one."""
    if Path(key).is_absolute():
        return Path(key)
    if wanted and Path(wanted).expanduser().is_file():
        return Path(wanted).expanduser()
    return None


def run(args: argparse.Namespace) -> int:
    from policytui.cli.approvals_cmd import run_saying_failures

    return run_saying_failures(args, _checked_run)


def _checked_run(args: argparse.Namespace) -> int:
    from policytui.cli.approvals_cmd import _out, _sentence, failed, json_out, open_state
    from policytui.gateway.store import StateUnavailable
    from policytui.gateway.store.base import CounterUse
    from policytui.textsafe import a_few, visible

    store = open_state(args, "counters")
    if isinstance(store, int):
        return store
    try:
        uses = store.usage() if store is not None else []
    except StateUnavailable as exc:
        return failed(args, "counters", _sentence(str(exc)))
    finally:
        if store is not None:
            store.close()
    others: list[str] = []
    if args.policy:
        others = sorted({u.policy for u in uses if not _chosen(u.policy, args.policy)})
        uses = [u for u in uses if _chosen(u.policy, args.policy)]
    uses.sort(key=lambda u: (u.policy, u.counter, u.scope, u.scope_id, u.window))
    read: dict[str, dict[tuple[str, str, str], list[int]] | None] = {}
    for key in {u.policy for u in uses}:
        path = _policy_file(key, args.policy)
        read[key] = _limits_of(path) if path is not None else None

    def limits(use: CounterUse) -> list[int] | None:
        known = read[use.policy]
        return None if known is None else known.get((use.counter, use.scope, use.window), [])

    if args.json:
        json_out(args, [{**u.to_json(), "limits": limits(u)} for u in uses], ascii_only=False)
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
    rows = [("POLICY", "COUNTER", "SCOPE", "WINDOW", "USED", "LIMIT", "RESETS IN")]
    for use in uses:
        who = "global" if use.scope == "global" else f"{use.scope} {use.scope_id}"
        left = max(0, int(use.window_end - now))
        maxima = limits(use)
        limit = "?" if maxima is None else ", ".join(map(str, maxima)) or "none"
        rows.append((use.policy, use.counter, who, use.window, str(use.used), limit, f"{left} s"))
    widths = [max(len(visible(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        _out("  ".join(visible(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    unread = sorted(key for key, known in read.items() if known is None)
    if unread:
        _out(f"A LIMIT of ? is one of a policy not read here ({a_few([visible(repr(k)) for k in unread])}: "
             "missing, invalid, or named without its file, which `--policy FILE` gives).")
    return 0
