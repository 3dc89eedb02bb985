"""Pinning in the editor: the policy setting, approved versus live definitions, re-approval.

With pinning on (`x-policytui.pin`, or `gateway --pin` whatever the file says), the gateway
denies a tool whose live definition differs from the fingerprint saved under
`x-policytui.fingerprints`, or that has none. So that a save cannot approve a rewritten or an
added tool by accident, every save (the file's pin setting cannot tell whether the gateway
pins) keeps every approved fingerprint as it is and adds none once any tool is approved (the
first save approves every tool the author saw); a changed or new tool is approved only by the
explicit re-approve action (turning pinning on approves only in a policy that approves no
tool yet, as its first save would). A pinned policy also keeps the approved
definitions beside the fingerprints (`x-policytui.definitions`) so the editor can show them
next to the live ones.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from policytui.gateway.pins import (
    BEFORE_MEMBERS,
    FINGERPRINTS,
    PIN_SETTING,
    approved_before_members,
    pinning_on,
    unpinned_members,
)
from policytui.textsafe import without_secrets
from policytui.toolinfo import ToolInfo, changed_members, fingerprint_matches, is_legacy_fingerprint

if TYPE_CHECKING:
    from policytui.editor.state import EditorState

META_KEY = "x-policytui"
DEFINITIONS = "definitions"

__all__ = ["PinChange", "changed_names", "changes", "definition", "kept_fingerprints", "none_approved", "pinned_meta", "pinning_on", "reapprove", "reapprove_unpinned", "set_pinning", "side_by_side", "unapproved_new_names", "unpinned"]


def definition(tool: ToolInfo, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
    """What an approval covers, in wire form (the members the fingerprint hashes,
    `ToolInfo.pinned`).

    A credential the server was given and quotes back (a description or a schema default that
    repeats its token) is shown as *** here, so it never reaches the policy file; the
    fingerprint is still of the definition as the server sent it."""
    out = tool.pinned()
    if secrets:
        scrubbed = without_secrets(out, secrets)
        assert isinstance(scrubbed, dict)
        return scrubbed
    return out


def definition_text(data: dict[str, Any] | None) -> str:
    if data is None:
        # e.g. pinning by `gateway --pin` only, approved on another machine or before this
        # machine kept approved definitions: a policy keeps them only while it pins.
        return ("(the approved definition was not kept: a policy keeps them only while pinning is on in it, "
                "and this machine only those its saves approved; p turns pinning on)")
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


def side_by_side(approved: dict[str, Any] | None, live: dict[str, Any]) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """The lines of both definitions, each marked True where it is not in the other one.

    A one-sentence injection in a long description, or one changed schema field, is easy to
    miss in two plain columns; the dialog highlights the marked lines. With no approved
    definition kept there is nothing to compare, and nothing is marked."""
    old_lines = definition_text(approved).splitlines()
    new_lines = definition_text(live).splitlines()
    if approved is None:
        return [(line, False) for line in old_lines], [(line, False) for line in new_lines]
    old_marks = [True] * len(old_lines)
    new_marks = [True] * len(new_lines)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for block in matcher.get_matching_blocks():
        for i in range(block.size):
            old_marks[block.a + i] = False
            new_marks[block.b + i] = False
    return list(zip(old_lines, old_marks, strict=True)), list(zip(new_lines, new_marks, strict=True))


@dataclass(frozen=True)
class PinChange:
    """A tool whose live definition is not the approved one."""

    name: str
    approved_fingerprint: str | None
    live_fingerprint: str
    approved: dict[str, Any] | None
    tool: ToolInfo  # as the server lists it now
    secrets: tuple[str, ...]  # the credentials the server was given, never shown
    # Where the approved definition shown comes from: the policy, or this machine's cache of
    # definitions approved by earlier saves (see approved_definitions); None when neither has it.
    approved_from: str | None = None

    @cached_property
    def live(self) -> dict[str, Any]:
        """The live definition, in wire form (`definition`). Worked out when it is looked at:
        the Pins dialog lists 10,000 changed tools and shows one at a time."""
        return definition(self.tool, self.secrets)


def _meta(state: EditorState) -> dict[str, Any]:
    meta = state.policy.extensions.get(META_KEY)
    return meta if isinstance(meta, dict) else {}


def changes(state: EditorState) -> list[PinChange]:
    """Tools of the server whose definition differs from the approved one (or has none)."""
    meta = _meta(state)
    stored = meta.get(FINGERPRINTS)
    approved: dict[str, Any] = stored if isinstance(stored, dict) else {}
    kept = meta.get(DEFINITIONS)
    definitions: dict[str, Any] = kept if isinstance(kept, dict) else {}
    out = []
    for name, tool in state.tools_by_name.items():
        live = state.fingerprints.get(name, "")
        fp = approved.get(name)
        if fingerprint_matches(fp, live):
            continue
        old = definitions.get(name)
        source: str | None = "policy" if isinstance(old, dict) else None
        if source is None and isinstance(fp, str):
            from policytui.editor.approved_definitions import recall

            old = recall(fp)
            source = "this machine" if old is not None else None
        out.append(PinChange(name, fp if isinstance(fp, str) else None, live, old if isinstance(old, dict) else None,
                             tool, state.listing.secrets, source))
    return out


def changed_parts(state: EditorState, name: str) -> list[str] | None:
    """What differs between a changed tool's approved and live definitions, in words ("title",
    "description", "input schema", ..., "_meta", "icons", "execution", "other members"), as the
    gateway names them; None when the approved definition was not kept (neither in the policy
    nor on this machine)."""
    tool = state.tools_by_name.get(name)
    meta = _meta(state)
    stored = meta.get(FINGERPRINTS)
    fp = stored.get(name) if isinstance(stored, dict) else None
    kept = meta.get(DEFINITIONS)
    old = kept.get(name) if isinstance(kept, dict) else None
    if not isinstance(old, dict) and isinstance(fp, str):
        from policytui.editor.approved_definitions import recall

        old = recall(fp)
    if tool is None or not isinstance(old, dict):
        return None
    return changed_members(old, definition(tool, state.listing.secrets))


def changed_names(state: EditorState) -> list[str]:
    """Tools with an approved fingerprint that their live definition no longer matches."""
    stored = _meta(state).get(FINGERPRINTS)
    approved: dict[str, Any] = stored if isinstance(stored, dict) else {}
    live = state.fingerprints
    return [name for name, fp in approved.items() if name in live and not fingerprint_matches(fp, live[name])]


def none_approved(state: EditorState) -> bool:
    """Whether the policy approves no tool yet: its first save (or turning pinning on)
    approves every tool as the server lists it then, so none of them is "new"."""
    stored = _meta(state).get(FINGERPRINTS)
    return not isinstance(stored, dict) or not stored


def unapproved_new_names(state: EditorState) -> list[str]:
    """Tools of the server the policy has no fingerprint for, while it approves others (a
    save adds none of them; see `kept_fingerprints`)."""
    stored = _meta(state).get(FINGERPRINTS)
    if not isinstance(stored, dict) or not stored:
        return []
    return [name for name in state.tools_by_name if name not in stored]


def set_pinning(state: EditorState, on: bool) -> None:
    """Turn pinning on or off (one undoable edit)."""
    with state._edit("pinning " + ("on" if on else "off"), None, meta=True):
        meta = state.policy.extensions.setdefault(META_KEY, {})
        if on:
            meta[PIN_SETTING] = True
            # A policy that approves nothing yet approves what the author sees now, so turning
            # pinning on never denies every tool. One that approves some keeps a changed or
            # added tool unapproved: a stricter setting must not let a rug pull through.
            meta.update(pinned_meta(meta, state))
        else:
            meta.pop(PIN_SETTING, None)
            if not meta:
                del state.policy.extensions[META_KEY]


def reapprove(state: EditorState, name: str) -> None:
    """Approve the live definition of `name` (one undoable edit)."""
    if name not in state.tools_by_name:
        raise KeyError(name)
    _approve(state, [name], f"re-approve {name}")


def unpinned(state: EditorState) -> dict[str, list[str]]:
    """The changed tools whose live definition differs from the approved one only in members
    that the version of policytui which approved them did not pin (`_meta`, `icons`, ...), each
    with those members (`gateway.pins.unpinned_members`), in the order the server lists them."""
    meta = _meta(state)
    stored = meta.get(FINGERPRINTS)
    if not isinstance(stored, dict):
        return {}
    before = approved_before_members(meta)
    known = state.unpinned_known
    out: dict[str, list[str]] = {}
    for name, tool in state.tools_by_name.items():
        if name not in before:
            continue
        fp = stored.get(name)
        # The answer depends only on the approved fingerprint once `name` is in `before` (the
        # tool's definition is fixed for the session): each tool is hashed once, not on every
        # look (the Pins dialog's, after each approval and its undo). A tool is known only once
        # its approved fingerprint was found not to match the live one, which cannot change.
        hit = known.get(name)
        if hit is not None and hit[0] == fp:
            words = hit[1]
        elif fingerprint_matches(fp, state.fingerprints.get(name)):
            continue  # the fingerprints known already: most tools cost no hashing
        else:
            words = unpinned_members(name, fp, tool, before, state.fingerprints.get(name))
            if isinstance(fp, str):
                known[name] = (fp, words)
        if words is not None:
            out[name] = list(words)
    return out


def reapprove_unpinned(state: EditorState) -> list[str]:
    """Approve, as one undoable edit, the live definition of every tool `unpinned` names, and of
    no other; the tools approved (none: no edit)."""
    names = list(unpinned(state))
    if names:
        _approve(state, names, f"re-approve {len(names)} tools changed only in members never approved")
    return names


def _approve(state: EditorState, names: list[str], label: str) -> None:
    with state._edit(label, names, meta=True):
        meta = state.policy.extensions.setdefault(META_KEY, {})
        # Read before the fingerprints change: a policy without the list holds only approvals
        # of versions that did not pin other members, the ones replaced here aside.
        before = approved_before_members(meta)
        fingerprints = dict(meta.get(FINGERPRINTS) or {})
        definitions = dict(meta.get(DEFINITIONS) or {})
        pinned = pinning_on(state.policy)
        for name in names:
            fingerprints[name] = state.fingerprints[name]
            if pinned:
                definitions[name] = definition(state.tools_by_name[name], state.listing.secrets)
            else:
                # Unpinned, the policy keeps only fingerprints (the save puts the definition in
                # this machine's cache); one kept from when it pinned is no longer the approved
                # one, and the Pins dialog would show it as such.
                definitions.pop(name, None)
        meta[FINGERPRINTS] = fingerprints
        meta[BEFORE_MEMBERS] = sorted(before - set(names))
        if definitions:
            meta[DEFINITIONS] = definitions
        else:
            meta.pop(DEFINITIONS, None)


def before_members_kept(meta: dict[str, Any], fingerprints: dict[str, Any], live: dict[str, str]) -> list[str]:
    """`x-policytui.approved_before_members` as a save writes it, from the policy's metadata
    before the save (`meta`) and the fingerprints the save writes: the tools an earlier version
    approved whose fingerprint the save keeps and their live definition does not match. One
    that matches has been approved as it is, none of its members left out (it has none, or was
    approved by this version), so a `_meta` the server gives it later is a rewrite."""
    before = approved_before_members(meta)
    return sorted(name for name in before
                  if name in fingerprints and not fingerprint_matches(fingerprints[name], live.get(name)))


def pinned_meta(meta: dict[str, Any], state: EditorState) -> dict[str, Any]:
    """x-policytui as a pinned policy's save writes it: approved fingerprints kept (new tools
    added only as `kept_fingerprints` says), and the approved definition of every tool whose
    live one still matches."""
    meta = dict(meta)
    fingerprints = kept_fingerprints(meta.get(FINGERPRINTS), state.fingerprints)
    meta[BEFORE_MEMBERS] = before_members_kept(meta, fingerprints, state.fingerprints)
    meta[FINGERPRINTS] = fingerprints
    kept = meta.get(DEFINITIONS)
    definitions: dict[str, Any] = dict(kept) if isinstance(kept, dict) else {}
    for name, tool in state.tools_by_name.items():
        if fingerprints.get(name) == state.fingerprints.get(name):
            definitions[name] = definition(tool, state.listing.secrets)
    meta[DEFINITIONS] = definitions
    return meta


def kept_fingerprints(stored: Any, live: dict[str, str]) -> dict[str, Any]:
    """The fingerprints a save writes: every approved one kept (so are those of tools the
    server lost). A save approves no changed definition and, once the policy approves any tool,
    no new one either: a tool the server adds later is a rug pull as much as a rewritten one,
    and an unrelated save must not let it through `gateway --pin`. Only `reapprove` approves
    those. The first save of a policy that approves nothing yet approves every live tool (what
    the author reviewed), and so does turning pinning on in such a policy. A 64-bit
    fingerprint of an older save is replaced by the whole digest of the same definition
    (nothing new is approved by that)."""
    old: dict[str, Any] = stored if isinstance(stored, dict) else {}
    out: dict[str, Any] = {} if old else dict(live)
    for name, fp in old.items():
        now = live.get(name)
        out[name] = now if now is not None and is_legacy_fingerprint(fp) and fingerprint_matches(fp, now) else fp
    return out
