"""Is the recording of the draft's server at all? What the two files hold says, sometimes.

A policy does not name its server, so a recording of another server's calls is decided under
the draft all the same, mostly by its `default`, and every call is reported as a change the
draft never made: a gate passes or fails for the wrong reason. The tools tell: a draft names
tools in its rules, in `hide` and in its approved fingerprints (`x-policytui.fingerprints`, which
the editor writes for every tool the server listed at a save), and a recording of that server's
calls calls some of them.

How much that says depends on where the names come from. Approved fingerprints are the whole
tool list the server had at a save: a recording none of whose tools is approved is another
server's (the gate fails), and one of whose tools fewer than half are approved may be (a
warning). Rules and `hide` name only the tools someone wrote a rule for, often the ones an
agent never calls (a deny-list): none of them called is only a warning. A draft that names no
tool at all (`default` alone) says nothing, and nothing is said.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policytui.gateway.pins import approved_definitions, approved_fingerprints
from policytui.policy.model import Policy
from policytui.replay.calls import Calls
from policytui.textsafe import a_few, visible

# What `other_server` is when the files tell: the gate fails on "likely", warns on "possible".
LIKELY = "likely"
POSSIBLE = "possible"


@dataclass(frozen=True)
class ServerMatch:
    """How many of the tools a recording calls the draft knows, and what that says."""

    servers: tuple[str, ...]  # the servers the recorded calls name, in order of first appearance
    called: tuple[str, ...]  # the tools called, each once, in order of first appearance
    known: int  # how many of them the draft names (a rule, hide, an approved fingerprint)
    named: int  # how many tools the draft names in all
    approved: int  # how many of those it approves a definition of

    @property
    def other_server(self) -> str | None:
        """"likely", "possible", or None when the files do not tell it is another server's."""
        if not self.called or not self.named:
            return None  # nothing called that a draft could name, or a draft that names no tool
        if self.approved:
            if self.known == 0:
                return LIKELY
            return POSSIBLE if self.known * 2 < len(self.called) else None
        return POSSIBLE if self.known == 0 else None

    @property
    def fails(self) -> bool:
        return self.other_server == LIKELY

    def sentence(self, recording: str, draft: str) -> str:
        """The one line on standard error ("" when there is nothing to say)."""
        verdict = self.other_server
        if verdict is None:
            return ""
        called = len(self.called)
        tools = "the 1 tool" if called == 1 else f"the {called} tools"
        which = f"{tools} called in {visible(recording)} ({self._servers_words()}: {a_few([visible(tool) for tool in self.called], 3)})"
        knows = "none" if self.known == 0 else f"only {self.known}"
        if self.approved:
            what = f"approves the definitions of {self.approved} tools"
            if verdict == LIKELY:
                return (f"{visible(draft)} knows {knows} of {which}, and {what}: the recording is of another "
                        "server's calls, so it cannot test this draft and the gate fails.")
            return (f"{visible(draft)} knows {knows} of {which}, and {what}: the recording may be of another "
                    "server's calls.")
        rules = "a rule or hide for 1 tool" if self.named == 1 else f"rules or hide for {self.named} tools"
        return (f"{visible(draft)} knows {knows} of {which}; it has {rules} and approves no definitions: "
                "if the recording is of another server's calls, its changes are the draft's default's.")

    def _servers_words(self) -> str:
        if not self.servers:
            return "its lines name no server"
        names = ", ".join(visible(name) for name in self.servers)
        return f"server {names}" if len(self.servers) == 1 else f"servers {names}"

    def to_json(self) -> dict[str, Any]:
        return {
            "servers": list(self.servers),
            "tools_called": len(self.called),
            "tools_known": self.known,
            "policy_names_tools": self.named,
            "policy_approves_tools": self.approved,
            "other_server": self.other_server,
        }


def named_tools(policy: Policy) -> tuple[frozenset[str], frozenset[str]]:
    """The tools `policy` names anywhere, and those it approves a definition of."""
    approved = set(approved_fingerprints(policy)) | set(approved_definitions(policy))
    named = set(policy.tools or {}) | {name for name in policy.hide or () if name != "*"} | approved
    return frozenset(named), frozenset(approved)


def match(calls: Calls, draft: Policy) -> ServerMatch:
    """How the recorded calls' tools meet the tools the draft names. A call for a tool its
    server did not list (the gateway answered it itself) says nothing of which server it is."""
    named, approved = named_tools(draft)
    called = tuple(dict.fromkeys(call.tool for call in calls.calls if not call.unlisted))
    servers = tuple(dict.fromkeys(call.server for call in calls.calls if call.server))
    return ServerMatch(servers, called, sum(1 for tool in called if tool in named), len(named), len(approved))
