"""Pinned tool definitions: a tool rewritten after it was approved is hidden and denied.

The editor keeps a fingerprint of every tool the author approved under
`x-policytui.fingerprints` (by a policy's first save, by turning pinning on, or one by one in
its Pins dialog). With pinning on (`"x-policytui": {"pin": true}`
in the policy, or `gateway --pin`), the gateway compares each tool's live definition with its
approved fingerprint:

- a tool whose fingerprint differs ("drift", a rug pull), or that has no approved fingerprint
  at all, is left out of `tools/list` and every call to it is denied with a reason that says
  so, and audited with `"drift": true`;
- the gateway learns live definitions from every `tools/list` that passes through it, and
  lists the tools itself before the first call, once pinning is turned on by a reload, after
  a listing that passed through it showed a definition other than the one held, and after the
  server announces a change;
- when the set of drifted tools changes (the server rewrote a tool, or the author re-approved
  it and the policy was reloaded), clients get `notifications/tools/list_changed`.

Pinning fails closed: a definition the gateway cannot read or has not seen is not approved.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Any, Generic, TypeVar

from policytui.gateway.log_names import names_for_log
from policytui.policy.model import Policy
from policytui.policy.rules import pin_setting_on
from policytui.textsafe import a_few, clip, visible
from policytui.toolinfo import ToolInfo, fingerprint_matches, member_words, said_changed

T = TypeVar("T")

log = logging.getLogger("policytui.gateway")

META_KEY = "x-policytui"
PIN_SETTING = "pin"
FINGERPRINTS = "fingerprints"
DEFINITIONS = "definitions"  # the approved definitions, kept in the policy while it pins
# The `rule` of an audit line for a call denied because its tool drifted.
PIN_RULE = "x-policytui.pin"
_UNREADABLE = "unreadable"
# The editor starts a server given after `--` with a few variables, the gateway with its whole
# environment; a server that picks its tools from the environment lists others in each.
_SAME_SERVER = (" (the editor must see the server as the gateway starts it: give `policytui connect` "
                "the variables the server reads, see docs/servers.md)")
_CONFLICTING = "conflicting"  # one name, two definitions in one listing
# The tools whose approved fingerprint a version of policytui wrote that did not pin their other
# members (`_meta`, `icons`, `execution`, ...): see `approved_before_members`.
BEFORE_MEMBERS = "approved_before_members"


def pinning_on(policy: Policy) -> bool:
    """Whether the policy turns pinning on (`rules.pin_setting_on`: a `pin` neither true nor
    false is read as on)."""
    return pin_setting_on(policy.extensions.get(META_KEY))


def approved_fingerprints(policy: Policy) -> dict[str, str]:
    meta = policy.extensions.get(META_KEY)
    stored = meta.get(FINGERPRINTS) if isinstance(meta, dict) else None
    if not isinstance(stored, dict):
        return {}
    return {name: fp for name, fp in stored.items() if isinstance(name, str) and isinstance(fp, str)}


def approved_definitions(policy: Policy) -> dict[str, Any]:
    meta = policy.extensions.get(META_KEY)
    stored = meta.get(DEFINITIONS) if isinstance(meta, dict) else None
    return stored if isinstance(stored, dict) else {}


def approved_before_members(meta: Any) -> frozenset[str]:
    """The tools whose approved fingerprint may have been written by a version of policytui
    that did not pin their other members (`_meta`, `icons`, `execution`, ...), from the policy's
    x-policytui: those `approved_before_members` lists, which every save of a later version
    writes (empty once none is left); in a policy without that key, saved by such a version,
    every tool it approves. A value that is no list names none: nothing is taken for an
    earlier version's approval that the policy does not say is one."""
    if not isinstance(meta, dict):
        return frozenset()
    if BEFORE_MEMBERS in meta:
        listed = meta[BEFORE_MEMBERS]
        return frozenset(name for name in listed if isinstance(name, str)) if isinstance(listed, list) else frozenset()
    stored = meta.get(FINGERPRINTS)
    return frozenset(name for name in stored if isinstance(name, str)) if isinstance(stored, dict) else frozenset()


def unpinned_members(name: str, approved_fingerprint: Any, tool: ToolInfo, before: Collection[str],
                     live_fingerprint: str | None = None) -> list[str] | None:
    """The members of `tool` (`member_words`) when its live definition differs from the approved
    one only in members that the version of policytui which approved it did not pin: `name` is
    one of `before` (`approved_before_members`), and its title, description, schemas and
    annotations hash to the approved fingerprint as that version hashed them. Those members were
    never approved. None for any other tool, among them one approved by a version that pinned
    them, which a server has since given a `_meta` (a real rewrite). `live_fingerprint`: the
    tool's fingerprint when the caller has it already."""
    if name not in before:
        return None
    members = tool.other_members()
    if not members or fingerprint_matches(approved_fingerprint, live_fingerprint or tool.fingerprint()):
        return None
    if not fingerprint_matches(approved_fingerprint, tool.fingerprint(members=False)):
        return None
    return member_words(members)


def members_counted(unpinned: dict[str, list[str]], at_most: int = 4) -> str:
    """How many tools carry each member (`unpinned_members`' words), most first: "_meta.fastmcp
    on 41 tools and icons on 3" ("and 2 more" past `at_most`), each name made visible."""
    counts: dict[str, int] = {}
    for words in unpinned.values():
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    said = [f"{visible(clip(word, 40))} on {count:,}" for word, count in ranked]
    if said:
        said[0] += " tool" if ranked[0][1] == 1 else " tools"
    return a_few(said, at_most)


# What the drift sentence says changed when the approved definition is not at hand to compare.
EVERY_PART = "its title, description, input or output schema, annotations or other members differ"


def what_changed(name: str, approved_fingerprint: str, kept: Any, entry: Any) -> str:
    """The words "its ... differ(s)" for a tool whose live definition (`entry`, as listed) is not
    the approved one: the parts that changed when the policy keeps the approved definition
    (`kept`) and it is the one approved, else every part the fingerprint covers."""
    if not isinstance(kept, dict) or not isinstance(entry, dict):
        return EVERY_PART
    try:
        approved = ToolInfo.from_wire({**kept, "name": name})
        live = ToolInfo.from_wire(entry)
    except ValueError:
        return EVERY_PART
    # A kept definition that is not the approved one (edited by hand, or a credential the
    # server quoted kept as ***) cannot say what changed.
    if not fingerprint_matches(approved_fingerprint, approved.fingerprint()):
        return EVERY_PART
    parts = approved.changed_parts(live)
    if not parts:
        return EVERY_PART
    return f"its {said_changed(parts)}"


def live_fingerprint(entry: Any) -> str:
    """The fingerprint of one `tools/list` entry as sent; a broken entry never matches."""
    try:
        return ToolInfo.from_wire(entry).fingerprint()
    except ValueError:
        return _UNREADABLE


# How many times a call lists the server's tools for pinning while the server says they changed
# during the listing, before the call is denied (`Pins.check`).
LISTINGS_PER_CALL = 3


def _unreadable(entry: Any) -> str:
    """Why a `tools/list` entry has no fingerprint (`ToolInfo.from_wire`'s words)."""
    try:
        ToolInfo.from_wire(entry)
    except ValueError as exc:
        return str(exc)
    return "its definition cannot be read"


def _quote(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def unapproved(name: str) -> str:
    """Why a call to a tool the policy approves no definition of is denied under pinning: what
    the policy alone decides, before any listing (replay decides it the same way)."""
    return f"Tool {_quote(name)} has no approved definition and pinning is on; approve it in the policy editor"



class _ReadPerPolicy(Generic[T]):
    """`read(policy)`, kept until the policy object in force changes (a reload makes a new one)."""

    def __init__(self, read: Callable[[Policy], T]) -> None:
        self._read = read
        self._for: tuple[Policy, T] | None = None

    def __call__(self, policy: Policy) -> T:
        kept = self._for
        if kept is None or kept[0] is not policy:
            kept = (policy, self._read(policy))
            self._for = kept
        return kept[1]


class Pins:
    """The gateway's view of live tool definitions, checked against the approved ones."""

    def __init__(self, policy: Callable[[], Policy], *, forced: bool = False) -> None:
        self._policy = policy
        self.forced = forced
        self.live: dict[str, str] = {}
        # Each tool's entry as last listed, to say what changed in a drift sentence.
        self.entries: dict[str, Any] = {}
        self._listed = False
        # The last listing the gateway made for a call failed (the server's error, a time-out,
        # an answer it could not read): a tool missing from `live` is then not known to be
        # missing from the server's list.
        self._list_failed = False
        # Set by the gateway: list the upstream tools (one page: params -> result) and tell
        # every client that the tool list changed.
        self.fetch: Callable[[dict[str, Any]], Awaitable[Any]] | None = None
        self.announce: Callable[[], Awaitable[None]] | None = None
        # Set by the gateway: the server's credentials, starred in the names the log lines
        # below give (a server may name a tool after its own key).
        self.secrets: tuple[str, ...] = ()
        self._announced: frozenset[str] = frozenset()
        # What clients' listings showed while the gateway's own listings (one map each) were
        # under way: a definition shown between two of its pages is newer than its first page.
        self._shown_meanwhile: list[dict[str, str]] = []
        # How many times the server said its tools changed: a listing under way when it says
        # so again is not the current one.
        self._changes = 0
        # What the policy in force says about pinning, read once per policy object (a reload
        # makes a new one): a call must not rebuild a 10,000-entry map.
        self._approved = _ReadPerPolicy(approved_fingerprints)
        self._definitions = _ReadPerPolicy(approved_definitions)
        self._before = _ReadPerPolicy(lambda policy: approved_before_members(policy.extensions.get(META_KEY)))
        self._enabled = _ReadPerPolicy(pinning_on)
        self._was_on = False

    @classmethod
    def over_listing(cls, policy: Policy, fingerprints: dict[str, str], broken: Collection[str],
                     entries: dict[str, Any]) -> Pins:
        """The gateway's check over a listing made elsewhere (the editor's, for its Try panel,
        whose fingerprints are made once, not at each call), for `drift`: `fingerprints` by name,
        the names of `broken` entries (never approved), and the wire `entries` of the tools whose
        drift sentence may be asked (what changed in them)."""
        pins = cls(lambda: policy)
        pins.live = {**{name: _UNREADABLE for name in broken}, **fingerprints}
        pins.entries = entries
        return pins

    def enabled(self) -> bool:
        on = self.forced or self._enabled(self._policy())
        if on and not self._was_on:
            # Turned on (by a reload): what the server listed while pinning was off was not
            # learned, so the definitions held are those of before; list them again.
            self._listed = False
        self._was_on = on
        return on

    # Learning live definitions ------------------------------------------------------------

    def observe(self, tools: Any) -> dict[int, str]:
        """Learn the live definitions in one page of `tools/list`; the fingerprint of each entry
        by its position. A name listed twice with two definitions never matches (a server
        could show the approved one beside a rewritten one). A definition other than the one
        held is not taken on a page's word for a call: the server could show the rewritten one
        on a page and the approved one on the next, so the gateway lists the tools itself
        before the next call, and its listing decides."""
        prints: dict[int, str] = {}
        if not isinstance(tools, list):
            return prints
        seen: dict[str, str] = {}
        for index, entry in enumerate(tools):
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str):
                fingerprint = live_fingerprint(entry)
                prints[index] = fingerprint
                if name in seen and seen[name] != fingerprint:
                    fingerprint = _CONFLICTING
                seen[name] = fingerprint
                self.entries[name] = entry
        if any(self.live.get(name, fingerprint) != fingerprint for name, fingerprint in seen.items()):
            self._listed = False
        self.live.update(seen)
        for meanwhile in self._shown_meanwhile:
            for name, fingerprint in seen.items():
                meanwhile[name] = _CONFLICTING if meanwhile.get(name, fingerprint) != fingerprint else fingerprint
        return prints

    def stale(self) -> None:
        """The server said its tools changed: list them again before the next call."""
        self._listed = False
        self._changes += 1

    async def _list_all(self) -> None:
        if self.fetch is None:
            return
        live: dict[str, str] = {}
        entries: dict[str, Any] = {}
        params: dict[str, Any] = {}
        meanwhile: dict[str, str] = {}
        changes = self._changes
        self._shown_meanwhile.append(meanwhile)
        try:
            for _ in range(1000):  # a server paging forever must not hang the gateway
                result = await self.fetch(params)
                tools = result.get("tools") if isinstance(result, dict) else None
                if isinstance(tools, list):
                    for entry in tools:
                        name = entry.get("name") if isinstance(entry, dict) else None
                        if isinstance(name, str):
                            fingerprint = live_fingerprint(entry)
                            live[name] = _CONFLICTING if live.get(name, fingerprint) != fingerprint else fingerprint
                            entries[name] = entry
                cursor = result.get("nextCursor") if isinstance(result, dict) else None
                if not isinstance(cursor, str) or not cursor:
                    break
                params = {"cursor": cursor}
        finally:
            self._shown_meanwhile.remove(meanwhile)
        # A tool a client's listing showed meanwhile with another definition than this listing
        # found is one the server defines two ways: neither is known to be the one it runs.
        for name, fingerprint in meanwhile.items():
            if live.get(name, fingerprint) != fingerprint:
                live[name] = _CONFLICTING
        self.live = live
        self.entries = entries
        self._listed = self._changes == changes
        self._list_failed = False

    # Deciding ----------------------------------------------------------------------------

    def drift(self, name: str) -> str | None:
        """Why this tool is not the approved one (the text the agent sees), or None."""
        return self._drift(name, detail=True)

    def _drift(self, name: str, *, detail: bool) -> str | None:
        # Without `detail`, only whether it drifted: what changed is not worked out (the set of
        # drifted tools is taken after every listing, maybe of 10,000 tools).
        if not self.enabled() or self._policy().is_hidden(name):
            # A hidden tool is answered as a tool the server does not have, whatever its
            # definition: naming it as unapproved or changed would tell an agent it exists.
            return None
        approved = self._approved(self._policy()).get(name)
        live = self.live.get(name)
        if fingerprint_matches(approved, live):
            return None
        quoted = _quote(name)
        if approved is None:
            return unapproved(name)
        if live is None and self._list_failed:
            return (f"Tool {quoted} cannot be checked against its approved definition: the server's tool list "
                    "could not be read")
        if live is None:
            return f"Tool {quoted} is not in the server's tool list, so its definition cannot be checked against the approved one"
        if live == _UNREADABLE and detail:
            return f"Tool {quoted} cannot be checked against its approved definition: {_unreadable(self.entries.get(name))}"
        if detail and live != _CONFLICTING:
            never = self._unpinned([name]).get(name)
            if never is not None:
                # Not a rewrite: the policytui that approved it did not pin these members. The
                # person reading the agent's error learns the key that re-approves all such
                # tools at once, as the gateway's log tells the operator.
                members = a_few([visible(clip(word, 40)) for word in never], 4)
                return (f"Tool {quoted} has members never approved ({members}): the version of policytui "
                        "that approved it did not pin them; review and re-approve it in the policy editor "
                        "(key P, then A re-approves every such tool at once)")
        changed = EVERY_PART if live == _CONFLICTING or not detail else what_changed(
            name, approved, self._definitions(self._policy()).get(name), self.entries.get(name))
        return f"Tool {quoted} changed since it was approved ({changed}); re-approve it in the policy editor"

    def drifted(self) -> frozenset[str]:
        if not self.enabled():
            return frozenset()
        return frozenset(name for name in self.live if self._drift(name, detail=False) is not None)

    def ready(self) -> bool:
        """Whether `drift` can answer now: pinning is off, or the live definitions are known."""
        return self._listed or not self.enabled()

    async def check(self, name: str) -> str | None:
        """Before a call: make sure the live definitions are known, then `drift(name)`."""
        if not self.enabled():
            return None
        if self._listed:
            return self.drift(name)
        # Listed again when the server said its tools changed while they were listed, or while
        # the gateway told its clients what the listing changed (a stdio client not reading
        # makes that wait), a few times at most (a server may say so every time, and a listing
        # it said so after may hold a tool as it was before a rewrite): past that the call is
        # denied, and the next call lists again.
        for _ in range(LISTINGS_PER_CALL):
            try:
                await self._list_all()
            except Exception as exc:  # noqa: BLE001 - the server may be down: fail closed
                # The type only: the server's error message is its own text (and may quote
                # arguments), never written into the log.
                log.warning("pinning: cannot list the server's tools: %s", type(exc).__name__)
                self.live.pop(name, None)
                self._list_failed = True
                await self.announce_changes()
                return self.drift(name)
            if self._listed:
                await self.announce_changes()
                if self._listed:
                    return self.drift(name)
        log.warning("pinning: the server said its tools changed during each of %d listings of "
                    "them; the call is denied", LISTINGS_PER_CALL)
        return (f"Tool {_quote(name)} cannot be checked against its approved definition: the "
                f"server said its tools changed during each of {LISTINGS_PER_CALL} listings of them")

    async def announce_changes(self) -> None:
        """Send tools/list_changed when the set of drifted tools is not what clients last got."""
        now = self.drifted()
        if now != self._announced:
            new = sorted(now - self._announced)
            if new:  # for the operator: which tools are now hidden, and why
                approved = self._approved(self._policy())
                unapproved = [name for name in new if name not in approved]
                changed = [name for name in new if name in approved]
                if unapproved and not approved:
                    log.warning("pinning: no tool has an approved definition, so every tool is hidden and "
                                "denied; approve them in `policytui connect` (key P) and save%s", _SAME_SERVER)
                elif unapproved:
                    log.warning("pinning: hidden and denied, no approved definition (approve them in "
                                "`policytui connect`, key P): %s%s", self._names(unapproved), _SAME_SERVER)
                unpinned = self._unpinned(changed)
                if unpinned:
                    # Most often an upgrade of policytui, not a rewrite: said apart, with the way
                    # to approve them all at once, so 6,000 FastMCP tools are not approved one by one.
                    count = len(unpinned)
                    log.warning("pinning: hidden and denied, %s whose other members were never approved (%s): "
                                "the version of policytui that approved %s did not pin them, and %s title, "
                                "description, schemas and annotations are as approved; review and re-approve "
                                "them at once in `policytui connect` (key P, then A): %s%s",
                                f"{count:,} tools" if count > 1 else "1 tool", members_counted(unpinned),
                                "them" if count > 1 else "it", "their" if count > 1 else "its",
                                self._names(list(unpinned)), _SAME_SERVER)
                rest = [name for name in changed if name not in unpinned]
                if rest:
                    log.warning("pinning: hidden and denied, changed since they were approved: %s%s",
                                self._names(rest), _SAME_SERVER)
            self._announced = now
            if self.announce is not None:
                await self.announce()

    def _names(self, names: list[str]) -> str:
        """Tool names for a log line, as the start-up line of unnamed tools gives them."""
        return names_for_log(names, self.secrets)

    def _unpinned(self, names: list[str]) -> dict[str, list[str]]:
        """Of the drifted `names`, those that differ from their approved definition only in
        members the version of policytui that approved them did not pin, with those members
        (`unpinned_members`); they stay hidden and denied all the same."""
        policy = self._policy()
        approved = self._approved(policy)
        before = self._before(policy)
        out: dict[str, list[str]] = {}
        for name in names:
            entry = self.entries.get(name)
            if self.live.get(name) in (None, _UNREADABLE, _CONFLICTING) or not isinstance(entry, dict):
                continue
            try:
                tool = ToolInfo.from_wire(entry)
            except ValueError:
                continue
            words = unpinned_members(name, approved.get(name), tool, before, self.live.get(name))
            if words is not None:
                out[name] = words
        return out

    def visible(self, result: Any) -> Any:
        """A `tools/list` result without drifted tools (and what it says learned)."""
        if not self.enabled() or not isinstance(result, dict):
            return result
        tools = result.get("tools")
        if not isinstance(tools, list):
            return result
        prints = self.observe(tools)
        approved = self._approved(self._policy())
        # Each entry is checked on its own definition, not only by its name.
        shown = [
            tool
            for index, tool in enumerate(tools)
            if isinstance(tool, dict)
            and self.drift(str(tool.get("name"))) is None
            and fingerprint_matches(approved.get(str(tool.get("name"))), prints.get(index))
        ]
        if len(shown) == len(tools):
            return result
        out = dict(result)
        out["tools"] = shown
        return out
