"""Where things are in a JSON text: line and column of every key and value, and duplicate keys.

`json.loads` gives the data but forgets positions, and silently keeps the last of two equal
keys. `scan` walks the same text once more (after `json.loads` accepted it) and records, for
every location such as `("tools", "manage_flow", "limits", 0, "window")`, where its value starts
and, for object members, where its key starts. It also rejects what Python's json accepts but
JSON does not (NaN, Infinity) and strings that cannot be written back as UTF-8.
"""

from __future__ import annotations

import bisect
import math
import re
import sys
from json.decoder import JSONDecoder, scanstring  # type: ignore[attr-defined]
from typing import NamedTuple

Location = tuple[str | int, ...]

# Deeper nesting than this is refused: real policies are about six levels deep, and a cap keeps
# every recursive step after parsing (validation, copying, saving) far from Python's limit.
MAX_DEPTH = 100

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = ("true", "false", "null")
_SURROGATE = re.compile("[\ud800-\udfff]")


def number_problem(literal: str) -> str | None:
    """Why a JSON number cannot be read back as written, or None.

    Python reads `1e400` as infinity and `1e-400` as 0 (saving would then write `Infinity`,
    which is not JSON, or change the rule), and refuses integers of more digits than
    `sys.get_int_max_str_digits()`.
    """
    shown = literal if len(literal) <= 24 else literal[:20] + "..."
    if any(char in literal for char in ".eE"):
        value = float(literal)
        if math.isinf(value):
            return f"the number {shown} is too large to be read (it would become infinity)"
        if value == 0 and any(char in "123456789" for char in literal.split("e")[0].split("E")[0]):
            return f"the number {shown} is too small to be read (it would become 0)"
        return None
    limit = sys.get_int_max_str_digits()
    digits = len(literal.lstrip("-"))
    if limit and digits > limit:
        return f"the number {shown} has {digits} digits, more than the {limit} that can be read"
    return None


class JSONPositionError(ValueError):
    """Text that json.loads let through but a policy file must not contain."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


# NamedTuple and a plain class rather than dataclasses: `dataclasses` loads `inspect`, `ast`
# and `dis`, about a tenth of a `policytui validate` process.
class Duplicate(NamedTuple):
    """A key that appears twice in one object (the later one would replace the earlier)."""

    location: Location
    line: int
    col: int
    first_line: int
    first_col: int


class Positions:
    """Line/column (1-based) of each value and each object key, by location."""

    def __init__(self) -> None:
        self.values: dict[Location, tuple[int, int]] = {}
        self.keys: dict[Location, tuple[int, int]] = {}
        self.duplicates: list[Duplicate] = []

    def of(self, location: Location, *, key: bool = False) -> tuple[int | None, int | None]:
        """Position of a location's key (if asked and known) or value, else of its parent."""
        loc = tuple(location)
        if key and loc in self.keys:
            return self.keys[loc]
        while True:
            if loc in self.values:
                return self.values[loc]
            if loc in self.keys:
                return self.keys[loc]
            if not loc:
                return None, None
            loc = loc[:-1]


class LineIndex:
    """Turns character offsets into 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def scan(text: str) -> Positions:
    """Positions of everything in `text`, which json.loads has already accepted."""
    return _Scanner(text).run()


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = LineIndex(text)
        self.out = Positions()

    def run(self) -> Positions:
        end = self._value(self._skip(0), (), 0)
        if self._skip(end) != len(self.text):  # json.loads would have refused this already
            self._fail("unexpected text after the JSON document", self._skip(end))
        return self.out

    def _skip(self, i: int) -> int:
        return _WS.match(self.text, i).end()  # type: ignore[union-attr]

    def _fail(self, message: str, offset: int) -> None:
        line, col = self.lines.position(offset)
        raise JSONPositionError(message, line, col)

    def _string(self, i: int) -> tuple[str, int]:
        value, end = scanstring(self.text, i + 1, True)
        bad = _SURROGATE.search(value)
        if bad:
            self._fail(
                f"a string contains an unpaired surrogate \\u{ord(bad.group()):04x}, "
                "which is not valid Unicode text",
                i,
            )
        return value, end

    def _value(self, i: int, location: Location, depth: int) -> int:
        if depth > MAX_DEPTH:
            self._fail(f"the document is nested more than {MAX_DEPTH} levels deep", i)
        self.out.values[location] = self.lines.position(i)
        text = self.text
        char = text[i : i + 1]
        if char == "{":
            return self._object(i, location, depth)
        if char == "[":
            return self._array(i, location, depth)
        if char == '"':
            return self._string(i)[1]
        match = _NUMBER.match(text, i)
        if match and match.end() > i:
            problem = number_problem(match.group())
            if problem:
                self._fail(problem, i)
            return match.end()
        for literal in _LITERALS:
            if text.startswith(literal, i):
                return i + len(literal)
        word = re.match(r"-?[A-Za-z]+", text[i : i + 20])
        shown = word.group() if word else char
        self._fail(f"{shown} is not a JSON value", i)
        return i  # not reached

    def _object(self, i: int, location: Location, depth: int) -> int:
        text = self.text
        i = self._skip(i + 1)
        if text[i : i + 1] == "}":
            return i + 1
        seen: dict[str, tuple[int, int]] = {}
        while True:
            key_at = self.lines.position(i)
            key, i = self._string(i)
            member = location + (key,)
            if key in seen:
                first = seen[key]
                self.out.duplicates.append(Duplicate(member, *key_at, *first))
            else:
                seen[key] = key_at
                self.out.keys[member] = key_at
            i = self._skip(self._skip(i) + 1)  # past the colon
            i = self._skip(self._value(i, member, depth + 1))
            if text[i : i + 1] == ",":
                i = self._skip(i + 1)
                continue
            return i + 1

    def _array(self, i: int, location: Location, depth: int) -> int:
        text = self.text
        i = self._skip(i + 1)
        if text[i : i + 1] == "]":
            return i + 1
        index = 0
        while True:
            i = self._skip(self._value(i, location + (index,), depth + 1))
            index += 1
            if text[i : i + 1] == ",":
                i = self._skip(i + 1)
                continue
            return i + 1


class Locator:
    """Finds the position of single locations on demand, fast, without a full scan.

    Validating a large valid file needs no positions at all, and an invalid one usually only a
    few. Each object or list on the way to a location is indexed once (its children's key and
    value offsets); the values in between are skipped by the C JSON decoder. Use on text that
    json.loads accepted.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._decoder = JSONDecoder()
        # container location -> {child: (key offset or None, value offset)}
        self._children: dict[Location, dict[str | int, tuple[int | None, int]]] = {}
        # container location -> (its opening bracket, where its next unread child starts)
        self._resume: dict[Location, tuple[str, int]] = {}
        self._root = self._skip(0)

    def of(self, location: Location, *, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column of the location's key (if asked) or value, else of its nearest
        existing parent; (None, None) if not even the root can be read."""
        offsets = self._offsets(tuple(location))
        if offsets is None:
            return None, None
        key_at, value_at = offsets
        offset = key_at if key and key_at is not None else value_at
        # Counted per lookup (str.count runs at C speed): a report needs a few positions, and
        # a list of every line start of a large file costs more than all of them.
        text = self.text
        return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)

    def _offsets(self, location: Location) -> tuple[int | None, int] | None:
        found: tuple[int | None, int] = (None, self._root)
        for depth in range(len(location)):
            child = self._child(location[:depth], found[1], location[depth])
            if child is None:
                return found
            found = child
        return found

    def _skip(self, i: int) -> int:
        return _WS.match(self.text, i).end()  # type: ignore[union-attr]

    def _child(
        self, prefix: Location, at: int, wanted: str | int
    ) -> tuple[int | None, int] | None:
        """The offsets of one child of the container at `at`, reading its children only as far
        as needed: a warning about an early key must not decode a large value after it."""
        children = self._children.get(prefix)
        if children is None:
            opener = self.text[at : at + 1]
            if opener not in ("{", "["):
                return None
            children = self._children[prefix] = {}
            self._resume[prefix] = (opener, self._skip(at + 1))
        while wanted not in children and prefix in self._resume:
            self._read_next(prefix, children)
        return children.get(wanted)

    def _read_next(self, prefix: Location, children: dict[str | int, tuple[int | None, int]]) -> None:
        """Read one more child of the container at `prefix` (a repeated key: the last wins, as
        in json.loads); forget the resume point at its end or on anything unreadable."""
        text = self.text
        opener, i = self._resume.pop(prefix)
        try:
            if text[i : i + 1] in ("}", "]"):
                return
            if opener == "{":
                key_at = i
                name, i = scanstring(text, i + 1, True)
                i = self._skip(self._skip(i) + 1)
                children[name] = (key_at, i)
            else:
                children[len(children)] = (None, i)
            i = self._skip(self._decoder.raw_decode(text, i)[1])
        except ValueError:
            return
        if text[i : i + 1] == ",":
            self._resume[prefix] = (opener, self._skip(i + 1))


