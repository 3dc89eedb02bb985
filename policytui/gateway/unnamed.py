"""Tools the server lists that the policy does not name, told to whoever runs the gateway.

A policy is written against one listing of its server. A tool the server adds later is decided
by `default` (the contract keeps that), so under `default: allow` with pinning off it is
allowed without anybody having looked at it. At start, whenever the server's list changes and
whenever a reload changes the policy, the gateway names such tools in one log line, with what
happens to them:

- allowed (`default: allow`, pinning off): WARNING, the case nobody would otherwise hear of;
- hidden and denied by pinning until approved: WARNING, as pinning's own lines are (they come
  only once a call makes the gateway list the tools; this one comes at start);
- denied by `default: deny`: INFO, a shorter note, since that is what the author asked for.

Under pinning the same line also names the tools the policy has a rule for but approves no
definition of (a rule added by hand, or a policy saved before pinning kept fingerprints):
pinning hides and denies them as it does the unnamed ones, and its own line names them only at
the first call, while the author, having written a rule, expects them served.

A tool the policy names is one with a rule under `tools`, one `hide` lists (`"*"` names every
tool), or one whose definition it approves (`x-policytui.fingerprints`, which the editor writes
for every tool it showed when the policy was saved). Where the policy holds approved
definitions and pinning is off, the tools whose live definition differs from the approved one
are named in the same line: pinning would hold them back, and without it they are served as
they are now. Under pinning, drift is told by `pins`.

The line is written only when what it says changes, at most a few times a window (a server that
says its tools changed without end must not fill the log: `FewerInAFlood`), and with the names
the server chose made visible, the server's credentials starred and a name that holds a
credential left out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from policytui.gateway.flood_lines import FewerInAFlood
from policytui.gateway.log_names import names_for_log
from policytui.gateway.pins import approved_fingerprints, live_fingerprint
from policytui.policy.model import Policy
from policytui.toolinfo import fingerprint_matches

log = logging.getLogger("policytui.gateway")

# Lines about the tool list per window; past them the changes are counted and summed up once.
LINES_PER_WINDOW = 5


_APPROVE = "; approve in `policytui connect` (key P) what should be served"


def _summed_up(untold: int, window: float) -> None:
    log.info("the server's tool list changed %d more times in the last %s s; the tools the policy does not "
             "name were not logged each time", untold, f"{window:g}")


class UnnamedTools:
    """Tells the tools a listing holds that the policy does not name (see the module)."""

    def __init__(self, secrets: Iterable[str] = (), *, window: float = 60.0) -> None:
        self._secrets = tuple(secrets)
        self._lines = FewerInAFlood(_summed_up, per_window=LINES_PER_WINDOW, window=window)
        self._told: tuple[int, str] | None = None

    def tell(self, policy: Policy, entries: dict[str, Any], *, pinning: bool) -> None:
        """Log the line for this listing (`entries`: each tool's entry by name) under `policy`,
        unless it is the line told last."""
        line = unnamed_line(policy, entries, pinning=pinning, secrets=self._secrets)
        if line == self._told:
            return
        self._told = line
        if line is not None and self._lines.tell():
            log.log(*line)

    def close(self) -> None:
        self._lines.close()


def unnamed_line(policy: Policy, entries: dict[str, Any], *, pinning: bool,
                 secrets: tuple[str, ...] = ()) -> tuple[int, str] | None:
    """The level and text of the line for a listing, or None when the policy names every tool
    and, pinning off, none differs from its approved definition, or, pinning on, every tool it
    has a rule for and does not hide has an approved definition."""
    if policy.hide and "*" in policy.hide:
        return None  # every tool is hidden: none reaches an agent
    approved = approved_fingerprints(policy)
    named = set(policy.tools or ()) | set(policy.hide or ()) | set(approved)
    unnamed = sorted(name for name in entries if name not in named)
    # A rule is no approval: under pinning a listed tool without an approved definition is
    # hidden and denied whatever its rule says.
    ruled_unapproved = sorted(
        name for name in entries
        if name in (policy.tools or {}) and name not in approved and not policy.is_hidden(name)) if pinning else []
    differ = [] if pinning else sorted(
        name for name, fingerprint in approved.items()
        if name in entries and not policy.is_hidden(name)
        and not fingerprint_matches(fingerprint, live_fingerprint(entries[name])))
    if not unnamed and not differ and not ruled_unapproved:
        return None
    said = []
    level = logging.WARNING
    if unnamed:
        one = len(unnamed) == 1
        if pinning:
            fate = "hidden and denied by pinning"
            advice = "" if ruled_unapproved else _APPROVE
        elif policy.default == "allow":
            fate = 'allowed by its "default": "allow"'
            advice = '; give each a rule or hide it, or set "default": "deny"'
        else:
            fate, advice = 'denied by its "default": "deny"', ""
            level = logging.INFO if not differ else level
        said.append(f"{len(unnamed):,} tool{'' if one else 's'} the server lists {'is' if one else 'are'} "
                    f"not named in the policy and {'is' if one else 'are'} {fate}: {names_for_log(unnamed, secrets)}{advice}")
    if ruled_unapproved:
        one = len(ruled_unapproved) == 1
        said.append(f"{len(ruled_unapproved):,} tool{'' if one else 's'} the policy has a rule for "
                    f"{'has' if one else 'have'} no approved definition and {'is' if one else 'are'} hidden and "
                    f"denied by pinning: {names_for_log(ruled_unapproved, secrets)}{_APPROVE}")
    if differ:
        one = len(differ) == 1
        said.append(f"{len(differ):,} tool{'' if one else 's'} differ{'s' if one else ''} from the definition "
                    f"the policy approved, and pinning is off, so {'it is' if one else 'they are'} served as "
                    f"{'it is' if one else 'they are'} now: {names_for_log(differ, secrets)}")
    return level, "policy: " + "; ".join(said)


