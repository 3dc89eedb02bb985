"""Argument descriptions that a server wrote only in its tool's docstring.

Servers built with FastMCP and similar frameworks take the tool description from the function's
docstring and the input schema from its type hints. What each argument does is then written
only in the docstring's "Args:" section ("ack: acknowledge messages after reading (removes
them from the queue)"), and the schema's property carries no description. The classifier reads
switches and arguments from property descriptions, so those words would be missed. This module
hands them over: a property without a description of its own gets the docstring's line.
"""

from __future__ import annotations

import re
from typing import Any

# The header of a Google- or NumPy-style argument section, alone on its line. Google's style
# also documents keyword arguments under "Keyword Args:" and NumPy's under "Other Parameters":
# a switch there ("ack (bool): If true, the messages are deleted") is as much an argument.
_HEADER = (r"[ \t]*(?:Args|Arguments|Parameters|Params|Keyword[ \t]+Arg(?:ument)?s"
           r"|Kwargs|Other[ \t]+Parameters)[ \t]*:?[ \t]*$")
# The header on the first line, then on any line after a newline: a pattern that starts with
# the newline is searched for by a fast scan, one that starts with "^" is tried everywhere.
_SECTION_FIRST = re.compile(_HEADER, re.MULTILINE | re.IGNORECASE)
_SECTION_LATER = re.compile("\n" + _HEADER, re.MULTILINE | re.IGNORECASE)
# One argument's entry: "name: text", "name (bool): text" or NumPy's "name : bool" whose text
# is on the next, deeper-indented line; maybe as a bullet ("- ack: If true, ...").
_ENTRY = re.compile(r"^([ \t]*)(?:[-*][ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?:\([^)\n]*\))?"
                    r"[ \t]*:[ \t]*(.*)$")
# A remark inside the section at an argument's depth ("Note: acknowledged messages are deleted
# from the broker") is about the argument above it, not an argument of its own.
_REMARKS = frozenset("note notes warning warnings caution important nb".split())
# Sphinx's field list: ":param ack: acknowledge after reading", ":param bool ack: ...".
_SPHINX = re.compile(r"^[ \t]*:param(?:[ \t]+[\w.\[\], ]+?)?[ \t]+([A-Za-z_]\w*)[ \t]*:[ \t]*(.*)$",
                     re.MULTILINE)
# Headers that end the argument section.
_ENDS = frozenset("returns return raises raise yields example examples notes note see".split())
# Enough for any real docstring; hostile text beyond it is not parsed.
_WINDOW = 4000
_MAX_TEXT = 300


def docstring_args(description: str) -> dict[str, str]:
    """{argument name: its text} from the description's "Args:" section, or from Sphinx's
    ":param name: text" lines, or {}."""
    found = (_SECTION_FIRST.match(description, 0, _WINDOW)
             or _SECTION_LATER.search(description, 0, _WINDOW))
    if found is None:
        window = description[:_WINDOW]
        if ":param" not in window:
            return {}  # no Sphinx field either (most descriptions)
        return {name: text.strip()[:_MAX_TEXT] for name, text in _SPHINX.findall(window)}
    out: dict[str, str] = {}
    current: str | None = None
    indent = -1
    for line in description[found.end():_WINDOW].splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        underline = not stripped.strip("-")  # a line of dashes only
        if underline or stripped.rstrip(":").lower() in _ENDS:
            if underline and not out:
                continue  # NumPy's underline of the header itself
            break
        depth = len(line) - len(line.lstrip())
        entry = _ENTRY.match(line)
        if (entry is not None and current is not None and depth <= indent
                and entry.group(2).lower() in _REMARKS):
            out[current] = (out[current] + " " + stripped).strip()[:_MAX_TEXT]
        elif entry is not None and (indent < 0 or depth <= indent):
            indent = depth
            current = entry.group(2)
            out[current] = entry.group(3).strip()[:_MAX_TEXT]
        elif current is not None and depth > indent:
            # A continuation line, or NumPy's text under "name : type".
            out[current] = (out[current] + " " + stripped).strip()[:_MAX_TEXT]
        else:
            break  # back at the section's own depth with no entry: the section is over
    return out


def with_docstring_args(schema: Any, description: str) -> Any:
    """`schema` with each property that has no description given the docstring's text for it;
    the schema itself when there is nothing to add. Never changes the schema it is given."""
    # Cheapest first: a section starts on a line of its own (a search for a newline is much
    # cheaper than for a word), most properties describe themselves, and most descriptions
    # have no argument section.
    # (Only the first _WINDOW characters are parsed: what comes later is never looked for.)
    if type(schema) is not dict or description.find("\n", 0, _WINDOW) < 0:
        return schema
    props = schema.get("properties")
    if type(props) is not dict or not props:
        return schema
    for prop in props.values():
        if type(prop) is dict and not prop.get("description"):
            break
    else:
        return schema
    if (description.find("rgs", 0, _WINDOW) < 0  # "Args", "Kwargs", "Parameters", ":param"
            and description.find("aram", 0, _WINDOW) < 0
            and description.find("rgument", 0, _WINDOW) < 0  # "Arguments", "Keyword Arguments"
            and description.find("RGS", 0, _WINDOW) < 0
            and description.find("ARAM", 0, _WINDOW) < 0
            and description.find("RGUMENT", 0, _WINDOW) < 0):
        return schema
    texts = docstring_args(description)
    if not texts:
        return schema
    merged: dict[str, Any] = {}
    added = False
    for name, prop in props.items():
        text = texts.get(name) if type(prop) is dict and not prop.get("description") else None
        if text:
            merged[name] = {**prop, "description": text}
            added = True
        else:
            merged[name] = prop
    return {**schema, "properties": merged} if added else schema
