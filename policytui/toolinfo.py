"""What a server told us about its tools, kept exactly as sent.

Every part of policytui that looks at tools (classifier, TUI, validator, gateway) reads them
through these two types, so a tool list from a live server, a snapshot file or a test fixture
looks the same to all of them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from policytui.decision.key_forms import folded

_LEGACY_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{16}")
_FULL_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")
_LEGACY_LENGTH = len("sha256:") + 16


def fingerprint_matches(approved: object, live: object) -> bool:
    """Whether a stored (approved) fingerprint is the one of this live definition.

    Policies saved before fingerprints were the whole SHA-256 hold its first 16 hex digits;
    those still match the same definition, so existing pins keep working (with the 64-bit
    strength they had) until the editor's next save replaces them with the whole digest."""
    # `live` is always a whole digest when it was computed from a definition; anything else
    # (the gateway's marks for an unreadable or doubly listed tool) matches nothing, not even
    # the same text written into a policy by hand.
    if not isinstance(approved, str) or not isinstance(live, str):
        return False
    if approved == live:
        return _FULL_FINGERPRINT.fullmatch(live) is not None
    # Unequal: only a legacy prefix can still match. Its length is tested first, so the Pins
    # dialog's look over 10,000 changed tools runs no pattern for most of them.
    return (len(approved) == _LEGACY_LENGTH and live.startswith(approved)
            and _LEGACY_FINGERPRINT.fullmatch(approved) is not None and _FULL_FINGERPRINT.fullmatch(live) is not None)


def is_legacy_fingerprint(value: object) -> bool:
    return isinstance(value, str) and _LEGACY_FINGERPRINT.fullmatch(value) is not None


# The members of a tool read into fields of their own, by their folded form (`key_forms.folded`).
_MEMBERS = {folded(key): key for key in ("name", "title", "description", "inputSchema", "outputSchema", "annotations")}

# What a drift sentence calls each member of a tool, in the order it names them; a member not
# named here (a vendor's own, or one a later protocol adds) is one of its "other members".
_PART_WORDS = (("title", "title"), ("description", "description"), ("inputSchema", "input schema"),
               ("outputSchema", "output schema"), ("annotations", "annotations"), ("_meta", "_meta"),
               ("icons", "icons"), ("execution", "execution"))
OTHER_MEMBERS = "other members"
_PLURAL_WORDS = frozenset({"annotations", "icons", OTHER_MEMBERS})


def changed_members(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The members that differ between two definitions in the form `ToolInfo.pinned` gives
    them, in words ("title", "description", "input schema", "output schema", "annotations",
    "_meta", "icons", "execution", "other members"). Key order is not a change."""
    named = {key for key, _ in _PART_WORDS}
    words = [word for key, word in _PART_WORDS if _canonical(old.get(key)) != _canonical(new.get(key))]
    others = [key for key in {*old, *new} - named if _canonical(old.get(key)) != _canonical(new.get(key))]
    return words + [OTHER_MEMBERS] if others else words


def other_members(entry: dict[str, Any]) -> dict[str, Any]:
    """The members of a tool entry, or of an approved definition (`ToolInfo.pinned`), beyond
    its name, title, description, schemas and annotations."""
    return {key: value for key, value in entry.items() if key not in _MEMBERS.values()}


def member_words(members: dict[str, Any]) -> list[str]:
    """The names of a tool's other members (`ToolInfo.other_members`) as a person checks them,
    `_meta` by each of its keys (`_meta.fastmcp`, `_meta.ui`): FastMCP's tags and the MCP Apps
    page a host renders for the tool are not alike. Sorted; the server's own text, to be made
    visible before it is shown."""
    words: list[str] = []
    for key, value in members.items():
        if key == "_meta" and isinstance(value, dict) and value:
            words.extend(f"_meta.{inner}" for inner in value)
        else:
            words.append(key)
    return sorted(words)


def said_changed(parts: list[str]) -> str:
    """`changed_members`' words as a clause: "description differs", "title and icons differ"."""
    words = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    plural = len(parts) > 1 or parts[0] in _PLURAL_WORDS
    return f"{words} {'differ' if plural else 'differs'}"


def _misspelt_member(data: dict[str, Any]) -> tuple[str, str] | None:
    """A key of a tool entry that is one of its members in another letter case (`Title`,
    `deſcription`), and the member, or None. A client on Go's encoding/json (mark3labs/mcp-go)
    reads it as that member, the last of two winning: a `Title` beside an approved tool's
    definition would be a title its user sees that no fingerprint covers."""
    for key in data:
        member = _MEMBERS.get(folded(key)) if isinstance(key, str) else None
        if member is not None and member != key:
            return key, member
    return None


def _holds_unpaired_surrogate(data: dict[str, Any]) -> bool:
    """Whether a tool entry holds half a surrogate pair (JSON's `"\\ud800"`) in any text, a key
    too: JSON may carry one, no UTF-8 file can. Such a name cannot be written into a policy, and
    such a tool has no fingerprint (the gateway already calls it unreadable)."""
    pending: list[Any] = [data]
    while pending:
        value = pending.pop()
        if type(value) is str:
            if not value.isascii() and not _encodable(value):
                return True
        elif type(value) is dict:
            pending.extend(value)
            pending.extend(value.values())
        elif type(value) is list:
            pending.extend(value)
    return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class ToolInfo:
    """One tool as the server described it. All text in here is untrusted."""

    name: str
    description: str = ""
    title: str | None = None
    input_schema: dict[str, Any] = field(default_factory=dict)
    output_schema: dict[str, Any] | None = None
    # Wire-form annotations (camelCase keys), only the keys the server actually sent:
    # an absent hint is no evidence, so we never fill in defaults here.
    annotations: dict[str, Any] = field(default_factory=dict)
    # The tool object exactly as it arrived, for snapshots and the gateway's verbatim answers.
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> ToolInfo:
        """Build from a `tools/list` entry in wire form. Raises ValueError if it is not a tool."""
        if not isinstance(data, dict):
            raise ValueError("tool entry is not an object")
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("tool has no name")
        if _holds_unpaired_surrogate(data):
            # Read as a tool, it stopped `init` writing a policy and the editor opening the server.
            raise ValueError(f"tool {name!r} holds text that is not Unicode (an unpaired surrogate such as "
                             f"\\ud800), which no policy, snapshot or fingerprint can hold")
        misspelt = _misspelt_member(data)
        if misspelt is not None:
            raise ValueError(f"tool {name!r} has a key {misspelt[0]!r}, which clients that ignore letter case "
                             f"read as its {misspelt[1]!r}")
        description = data.get("description")
        if description is not None and not isinstance(description, str):
            raise ValueError(f"tool {name!r} has a description that is not text")
        title = data.get("title")
        if title is not None and not isinstance(title, str):
            # No client reads it as a title (the mcp SDK's refuses the whole listing), and a
            # title left unread would be a member the fingerprint does not cover.
            raise ValueError(f"tool {name!r} has a title that is not text")
        annotations = data.get("annotations")
        if annotations is not None and not isinstance(annotations, dict):
            raise ValueError(f"tool {name!r} has annotations that are not an object")
        annotations = dict(annotations or {})
        # Older servers put the title only inside annotations.
        if title is None and isinstance(annotations.get("title"), str):
            title = annotations["title"]
        input_schema = data.get("inputSchema")
        if not isinstance(input_schema, dict):
            raise ValueError(f"tool {name!r} has no inputSchema object")
        output_schema = data.get("outputSchema")
        if output_schema is not None and not isinstance(output_schema, dict):
            raise ValueError(f"tool {name!r} has an outputSchema that is not an object")
        return cls(
            name=name,
            description=description or "",
            title=title if isinstance(title, str) else None,
            input_schema=input_schema,
            output_schema=output_schema,
            annotations=annotations,
            raw=data,
        )

    def to_wire(self) -> dict[str, Any]:
        """The tool in wire form: the original object when we have it."""
        if self.raw:
            return self.raw
        out: dict[str, Any] = {"name": self.name}
        if self.title is not None:
            out["title"] = self.title
        if self.description:
            out["description"] = self.description
        out["inputSchema"] = self.input_schema
        if self.output_schema is not None:
            out["outputSchema"] = self.output_schema
        if self.annotations:
            out["annotations"] = self.annotations
        return out

    def pinned_title(self) -> str | None:
        """The title an approval covers beyond the annotations: the top-level one, unless it is
        the annotations' own title (which the annotations already carry)."""
        if self.title is None or self.title == self.annotations.get("title"):
            return None
        return self.title

    def other_members(self) -> dict[str, Any]:
        """The members of the entry as sent beyond its name, title, description, schemas and
        annotations: `_meta` (which UI an MCP Apps host renders for the tool, `ui.resourceUri`),
        `icons` (what its user sees), `execution` (whether a call runs as a task), and any
        other. The gateway passes every one of them on to clients."""
        return other_members(self.raw)

    def pinned(self) -> dict[str, Any]:
        """What an approval covers, in wire form: the members the fingerprint hashes."""
        out: dict[str, Any] = {"description": self.description, "inputSchema": self.input_schema}
        title = self.pinned_title()
        if title is not None:
            out["title"] = title
        if self.output_schema is not None:
            out["outputSchema"] = self.output_schema
        if self.annotations:
            out["annotations"] = self.annotations
        out.update(self.other_members())
        return out

    def fingerprint(self, *, members: bool = True) -> str:
        """A hash of what an agent and its user rely on (description, schemas, annotations, the
        title a client shows in place of the name, and every other member the gateway passes
        on: `_meta`, `icons`, `execution`, ...), to detect a rewritten tool. Annotations, the
        title and the other members join the hash only when the server sent them, so tools
        without them keep the fingerprints saved before they counted.

        `members=False`: the hash versions of policytui before the other members counted gave
        the definition (the same for a tool without them), to tell a tool approved by such a
        version from one rewritten since."""
        parts: list[Any] = [self.description, self.input_schema, self.output_schema]
        if self.annotations:
            parts.append(self.annotations)
        title = self.pinned_title()
        if title is not None:
            # A list, where the annotations are an object: no definition without a title
            # hashes as one with it.
            parts.append(["title", title])
        others = self.other_members() if members else {}
        if others:
            # Tagged as the title is, and last: no definition without them hashes as one with
            # them. None of them is left out as noise: the members real servers send here
            # (FastMCP's `_meta.fastmcp`, its tags sorted, an app's `tool_hash` made from the
            # app's and the tool's names; MCP Apps' `ui`; `icons`; `execution`) are the same
            # at every listing.
            parts.append(["members", others])
        payload = json.dumps(
            parts,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        # The whole digest: the server's author writes both the approved and the rewritten
        # definition, so a 64-bit prefix (what was stored before) is within reach of a birthday
        # search for a colliding pair. Such stored prefixes are still read: see
        # `fingerprint_matches`.
        return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def changed_parts(self, other: ToolInfo) -> list[str]:
        """The members the fingerprint covers that differ in `other`, in words (see
        `changed_members`)."""
        return changed_members(self.pinned(), other.pinned())


def _canonical(value: Any) -> str:
    # As the fingerprint hashes it: key order is not a change.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class BrokenTool:
    """A `tools/list` entry that could not be read; the rest of the list still is."""

    index: int
    name: str | None
    problem: str


@dataclass
class ServerListing:
    """A server's identity and its tools, from a live connection or a snapshot file."""

    tools: list[ToolInfo]
    server_name: str = ""
    server_version: str = ""
    instructions: str = ""
    # "stdio", "http", "sse", or "snapshot" when read from a file.
    transport: str = "snapshot"
    # Human description of where this came from: a command line (secrets removed), URL or file.
    source: str = ""
    broken_tools: list[BrokenTool] = field(default_factory=list)
    # Set when this is an offline snapshot standing in for a live server, and why.
    offline_reason: str | None = None
    # The credentials the server was given (secret env values, header values), longest first:
    # a server may quote one in its own metadata, and what is shown or saved leaves them out.
    secrets: tuple[str, ...] = field(default=(), repr=False)
    # Where each of `tools` stood in the server's list (broken entries count): what a broken
    # tool found later, such as a second tool of one name, is numbered by.
    positions: list[int] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def from_tool_dicts(cls, entries: list[Any], **kwargs: Any) -> ServerListing:
        """Read wire-form tool entries, keeping the good ones and naming the broken ones."""
        tools: list[ToolInfo] = []
        broken: list[BrokenTool] = []
        positions: list[int] = []
        for index, entry in enumerate(entries):
            try:
                tools.append(ToolInfo.from_wire(entry))
                positions.append(index)
            except ValueError as exc:
                name = entry.get("name") if isinstance(entry, dict) else None
                broken.append(
                    BrokenTool(index, name if isinstance(name, str) else None, str(exc))
                )
        return cls(tools=tools, broken_tools=broken, positions=positions, **kwargs)

    def tool(self, name: str) -> ToolInfo | None:
        for tool in self.tools:
            if tool.name == name:
                return tool
        return None
