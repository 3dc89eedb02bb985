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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the classifier is imported only when first needed (startup speed)
    from policytui.risk.classifier import ServerContext

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
        # What a preset reads beyond the brief (`PresetFacts`), for the tools that have more
        # (actions, an override, a declared hint), and every tool whose facts are known: a
        # preset then needs no tool classified again.
        self._facts: dict[str, Any] = {}
        self._facts_known: set[str] = set()
        # The server's namespace words (`compute_` in `compute_vm_delete`), whether money is
        # its business, the verbs its names use as nouns, the money document its generic
        # records may be and how it names its verbless readers, found from all of its tools:
        # a tool classified alone, or in a chunk, must read its name as `tools` does.
        self._context: ServerContext | None = None

    def classify(self, tools: Iterable[Any], server_tools: Iterable[Any] | None = None) -> None:
        """(Re)classify `tools`, chunk by chunk; `server_tools` is the server's whole list when
        `tools` is only part of it (its namespace words are read from the whole list)."""
        from policytui.risk.classifier import classify_all, server_context

        tools = list(tools)
        if server_tools is not None or self._context is None:
            self._context = server_context(tools if server_tools is None else server_tools)
        context = self._context
        for start in range(0, len(tools), CHUNK):
            chunk = tools[start:start + CHUNK]
            self._take(classify_all(chunk, self._overrides(chunk), namespaces=context.namespaces,
                                    money_server=context.money_server, nouns=context.nouns,
                                    money_record=context.money_record,
                                    verbless=context.verbless))

    def _overrides(self, tools: list[Any]) -> dict[str, str]:
        found: dict[str, str] = {}
        for tool in tools:
            override = self._override(tool.name)
            if override:
                found[tool.name] = override
        return found

    def _take(self, found: Mapping[str, Any]) -> None:
        from policytui.risk.preset_facts import preset_facts

        for name, classification in found.items():
            self._brief[name] = (classification.category, classification.severity)
            self._full.pop(name, None)
            facts = preset_facts(classification)
            if facts is None:
                self._facts.pop(name, None)
            else:
                self._facts[name] = facts
            self._facts_known.add(name)

    def take_briefs(self, briefs: Mapping[str, Brief]) -> None:
        """Category and severity worked out already (the editor's first rows), with the facts
        a preset reads when they come from `brief_classify`."""
        self._brief.update(briefs)
        if isinstance(briefs, Briefs):
            self._facts.update(briefs.facts)
            self._facts_known.update(briefs)

    def preset_view(self) -> dict[str, Any]:
        """{tool name: what `build_policy` reads of its classification}: the facts kept, and a
        full classification only for a tool whose facts are not known."""
        from policytui.risk.preset_facts import PresetFacts

        plain: dict[Brief, Any] = {}
        view: dict[str, Any] = {}
        for name, brief in self._brief.items():
            facts = self._facts.get(name)
            if facts is None and name in self._facts_known:
                facts = plain.get(brief)
                if facts is None:
                    facts = plain[brief] = PresetFacts(*brief)
            view[name] = facts if facts is not None else self[name]
        return view

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
        from policytui.risk.classifier import server_context

        context = self._context
        if context is None:
            # Briefs taken from the first rows (`take_briefs`) came with no context: read it
            # from every tool once, so the detail pane says what the table says.
            known = (self._tool(other) for other in self._brief)
            context = self._context = server_context(t for t in known if t is not None)
        full = classify(tool, self._override(name), namespaces=context.namespaces,
                        money_server=context.money_server, nouns=context.nouns,
                        money_record=context.money_record, verbless=context.verbless)
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


class Briefs(dict[str, Brief]):
    """{tool name: (category, severity)}, with the `PresetFacts` of the tools that have more."""

    def __init__(self, briefs: Mapping[str, Brief], facts: Mapping[str, Any]) -> None:
        super().__init__(briefs)
        self.facts = dict(facts)


def brief_classify(tools: list[Any]) -> Briefs:
    """Category and severity of each tool with no overrides, classified chunk by chunk."""
    found = Classifications(lambda _name: None, lambda _name: None)
    found.classify(tools)
    return Briefs(found._brief, found._facts)
