"""The risk classification of every tool, kept small.

A full classification carries its evidence and a per-action breakdown: at 10,000 tools that is
about 7 MB that only the detail pane (one tool at a time) and a preset (once) ever read. The
table needs each tool's category and severity; those are kept for every tool, and the full
classification of a tool is worked out again when asked for (it is deterministic), with the
last few kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

# Tools classified at once while building the brief table: the full objects of one chunk are
# dropped before the next, so the peak never holds them all.
CHUNK = 256
# Full classifications kept for the detail pane (the tool under the cursor and its neighbours).
KEPT = 64

Brief = tuple[str, str]  # (category, severity)


class Classifications(Mapping[str, Any]):
    """{tool name: Classification}, computed on demand; `brief(name)` is the cheap part."""

    def __init__(self, tool: Callable[[str], Any], override: Callable[[str], str | None]) -> None:
        self._tool = tool
        self._override = override
        self._brief: dict[str, Brief] = {}
        self._full: OrderedDict[str, Any] = OrderedDict()

    def classify(self, tools: Iterable[Any]) -> None:
        """(Re)classify `tools`, chunk by chunk."""
        from policytui.risk import classify_all

        chunk: list[Any] = []
        for tool in tools:
            chunk.append(tool)
            if len(chunk) >= CHUNK:
                self._take(classify_all(chunk, self._overrides(chunk)))
                chunk = []
        if chunk:
            self._take(classify_all(chunk, self._overrides(chunk)))

    def _overrides(self, tools: list[Any]) -> dict[str, str]:
        found: dict[str, str] = {}
        for tool in tools:
            override = self._override(tool.name)
            if override:
                found[tool.name] = override
        return found

    def _take(self, found: Mapping[str, Any]) -> None:
        for name, classification in found.items():
            self._brief[name] = (classification.category, classification.severity)
            self._full.pop(name, None)

    def take_briefs(self, briefs: Mapping[str, Brief]) -> None:
        """Category and severity worked out already (the editor's first rows)."""
        self._brief.update(briefs)

    def brief(self, name: str) -> Brief | None:
        return self._brief.get(name)

    def __getitem__(self, name: str) -> Any:
        full = self._full.get(name)
        if full is not None:
            self._full.move_to_end(name)
            return full
        if name not in self._brief:
            raise KeyError(name)
        tool = self._tool(name)
        if tool is None:
            raise KeyError(name)
        from policytui.risk import classify

        full = classify(tool, self._override(name))
        self._full[name] = full
        if len(self._full) > KEPT:
            self._full.popitem(last=False)
        return full

    def __iter__(self) -> Iterator[str]:
        return iter(self._brief)

    def __len__(self) -> int:
        return len(self._brief)

    def __contains__(self, name: object) -> bool:
        return name in self._brief


def brief_classify(tools: list[Any]) -> dict[str, Brief]:
    """Category and severity of each tool with no overrides, classified chunk by chunk."""
    found = Classifications(lambda _name: None, lambda _name: None)
    found.classify(tools)
    return dict(found._brief)
