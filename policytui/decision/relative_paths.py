"""The folders a condition names, where a server may open a relative path.

A server opens a relative path in a folder of its own: server-filesystem in the folder it
serves (`Keys/id.txt` is `ROOT/Keys/id.txt` to it), a server on the Python SDK in its working
folder. The gateway does not know that folder, so a condition that speaks of absolute paths
(`deny_if args.path regex "^/srv/files/private/"`, `eq "/srv/files/private"`, `regex "/Keys/"`)
is judged on a relative text placed in each folder the condition itself names, and in `/`
(`policytui.decision.conditions` makes those readings). A condition that names no absolute
path (`in ["dev", "prod"]`, `regex "^(a\\.txt|/srv/.*)$"`, where `/srv` is one choice of two)
names no folder, and a relative text is judged as written.
"""

from __future__ import annotations

import json
import posixpath
from functools import lru_cache
from typing import Any

# Characters with a meaning in a pattern; a literal run ends at the first of them.
_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_REPEATS = frozenset("*+?{")
_INLINE_FLAGS = frozenset("aiLmsux")


def folders_named(op: str, value: Any) -> tuple[str, ...]:
    """The folders a relative path is placed in to judge it by this condition; none when the
    condition names no absolute path."""
    if op not in _NAMING_OPS:
        return ()  # a cheap test first: numbers compared, `exists`
    if isinstance(value, str):
        return _folders(op, value)  # cached: evaluated for every call
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return _folders(op, tuple(value))
    try:
        return _folders(op, json.dumps(value, sort_keys=True), True)
    except (TypeError, ValueError):
        return ()


_NAMING_OPS = frozenset(("regex", "eq", "neq", "in", "not_in", "contains"))


@lru_cache(maxsize=1024)
def _folders(op: str, key: str | tuple[str, ...], as_json: bool = False) -> tuple[str, ...]:
    value: Any
    if isinstance(key, tuple):
        value = list(key)
    else:
        value = json.loads(key) if as_json else key
    found: set[str] = set()
    if op == "regex":
        if not isinstance(value, str):
            return ()
        anchored, literal = _leading_literal(value)
        if literal.startswith("/"):
            # `^/srv/files/priv` and `^/srv/files/private/` name /srv/files, a folder a
            # relative path (`private/a`) may be opened in, and every folder above it.
            found.update(_above(literal))
        if not anchored and "/" in value:
            found.add("/")  # searched anywhere: `/Keys/` is found in any FOLDER/Keys/...
    elif op in ("eq", "neq", "in", "not_in", "contains"):
        for text in _texts(value):
            if text.startswith("/"):
                # `eq "/srv/files/private"`: `private` opened in /srv/files is that folder.
                found.update(_above(text))
            elif op == "contains" and "/" in text:
                found.add("/")
    return tuple(sorted(found))


def _above(path: str) -> set[str]:
    """The folders above what the absolute `path` names: /srv/files and / for /srv/files/a/.
    Not /srv/files/a itself: a server is given the folder the policy's paths are in, not a
    folder the policy refuses, and every relative path placed there would be refused."""
    folder = posixpath.dirname(posixpath.normpath("/" + path.lstrip("/")))
    out = {folder}
    while folder != "/":
        folder = posixpath.dirname(folder)
        out.add(folder)
    return out


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    return []


def _leading_literal(pattern: str) -> tuple[bool, str]:
    """Whether `pattern` is anchored at the start (`^`, `\\A`), and the literal text it begins
    with there (after inline flags such as `(?i)`), escapes read: `^/srv/a\\-b/` is `/srv/a-b/`.
    A character a repeat follows (`/x?`) is not part of it."""
    at = 0
    while pattern.startswith("(?", at):
        end = pattern.find(")", at)
        if end < 0 or not set(pattern[at + 2:end]) <= _INLINE_FLAGS or end == at + 2:
            break
        at = end + 1
    anchored = False
    if pattern.startswith("^", at):
        anchored, at = True, at + 1
    elif pattern.startswith("\\A", at):
        anchored, at = True, at + 2
    if anchored and pattern.startswith(".*", at):
        anchored = False  # `^.*/Keys/` is searched anywhere, as `/Keys/` is
    out: list[str] = []
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            if at + 1 >= len(pattern) or pattern[at + 1].isalnum():
                break  # `\d`, `\s`: a class, not a character
            char, step = pattern[at + 1], 2
        elif char in _SPECIAL:
            break
        else:
            step = 1
        if pattern[at + step:at + step + 1] in _REPEATS:
            break
        out.append(char)
        at += step
    return anchored, "".join(out)
