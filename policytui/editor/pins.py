"""Pinning in the editor: the policy setting, approved versus live definitions, re-approval.

With pinning on (`x-policytui.pin`), the gateway denies a tool whose live definition differs
from the fingerprint saved under `x-policytui.fingerprints`. So that a save cannot approve a
rewritten tool by accident, a pinned policy's save keeps every approved fingerprint as it is
and only adds those of tools it has none for; a changed tool is approved again only by the
explicit re-approve action. The approved definitions themselves are kept beside the
fingerprints (`x-policytui.definitions`) so the editor can show them next to the live ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policytui.gateway.pins import FINGERPRINTS, PIN_SETTING, pinning_on
from policytui.textsafe import without_secrets
from policytui.toolinfo import ToolInfo

if TYPE_CHECKING:
    from policytui.editor.state import EditorState

META_KEY = "x-policytui"
DEFINITIONS = "definitions"

__all__ = ["PinChange", "changes", "definition", "pinned_meta", "pinning_on", "reapprove", "set_pinning"]


def definition(tool: ToolInfo, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
    """What an approval covers, in wire form (the parts the fingerprint hashes).

    A credential the server was given and quotes back (a description or a schema default that
    repeats its token) is shown as *** here, so it never reaches the policy file; the
    fingerprint is still of the definition as the server sent it."""
    out: dict[str, Any] = {"description": tool.description, "inputSchema": tool.input_schema}
    if tool.output_schema is not None:
        out["outputSchema"] = tool.output_schema
    if tool.annotations:
        out["annotations"] = tool.annotations
    if secrets:
        scrubbed = without_secrets(out, secrets)
        assert isinstance(scrubbed, dict)
        return scrubbed
    return out


def definition_text(data: dict[str, Any] | None) -> str:
    if data is None:
        return "(the approved definition was not kept: it was saved before pinning was on)"
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class PinChange:
    """A tool whose live definition is not the approved one."""

    name: str
    approved_fingerprint: str | None
    live_fingerprint: str
    approved: dict[str, Any] | None
    live: dict[str, Any]


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
        if fp == live:
            continue
        old = definitions.get(name)
        out.append(PinChange(name, fp if isinstance(fp, str) else None, live, old if isinstance(old, dict) else None, definition(tool, state.listing.secrets)))
    return out


def set_pinning(state: EditorState, on: bool) -> None:
    """Turn pinning on or off (one undoable edit)."""
    with state._edit("pinning " + ("on" if on else "off"), None, meta=True):
        meta = state.policy.extensions.setdefault(META_KEY, {})
        if on:
            meta[PIN_SETTING] = True
            # Approve what the author sees now, so turning pinning on never denies every tool.
            meta.update(pinned_meta(meta, state))
        else:
            meta.pop(PIN_SETTING, None)
            if not meta:
                del state.policy.extensions[META_KEY]


def reapprove(state: EditorState, name: str) -> None:
    """Approve the live definition of `name` (one undoable edit)."""
    tool = state.tools_by_name.get(name)
    if tool is None:
        raise KeyError(name)
    with state._edit(f"re-approve {name}", [name], meta=True):
        meta = state.policy.extensions.setdefault(META_KEY, {})
        fingerprints = dict(meta.get(FINGERPRINTS) or {})
        fingerprints[name] = state.fingerprints[name]
        meta[FINGERPRINTS] = fingerprints
        definitions = dict(meta.get(DEFINITIONS) or {})
        definitions[name] = definition(tool, state.listing.secrets)
        meta[DEFINITIONS] = definitions


def pinned_meta(meta: dict[str, Any], state: EditorState) -> dict[str, Any]:
    """x-policytui as a pinned policy's save writes it: approved fingerprints kept, new tools
    added, and the approved definition of every tool whose live one still matches."""
    meta = dict(meta)
    stored = meta.get(FINGERPRINTS)
    old: dict[str, Any] = stored if isinstance(stored, dict) else {}
    fingerprints = {**state.fingerprints, **old}
    meta[FINGERPRINTS] = fingerprints
    kept = meta.get(DEFINITIONS)
    definitions: dict[str, Any] = dict(kept) if isinstance(kept, dict) else {}
    for name, tool in state.tools_by_name.items():
        if fingerprints.get(name) == state.fingerprints.get(name):
            definitions[name] = definition(tool, state.listing.secrets)
    meta[DEFINITIONS] = definitions
    return meta
