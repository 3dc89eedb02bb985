"""Helpers both exporters share: texts the agent sees and the extension-data sweep."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from policytui.export.result import ExportWarning
from policytui.policy.model import Node, Policy
from policytui.policy.rules import pin_setting_on

# policytui's own metadata: dropped from every export without a warning.
OWN_EXTENSION = "x-policytui"


def quoted(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def with_reason(reason: str | None, text: str) -> str:
    """The same wording the decision engine uses, so an exported deny reads like ours."""
    return f"{reason} ({text})" if reason else text


def _nodes(policy: Policy) -> Iterator[tuple[str, Node]]:
    yield "", policy
    if policy.all_tools is not None:
        yield "all_tools", policy.all_tools
        for i, limit in enumerate(policy.all_tools.limits or []):
            yield f"all_tools.limits[{i}]", limit
    for name, rule in (policy.tools or {}).items():
        base = f"tools.{name}"
        yield base, rule
        for field in ("require", "deny_if", "require_approval_if", "limits"):
            for i, item in enumerate(getattr(rule, field) or []):
                yield f"{base}.{field}[{i}]", item


def extension_warnings(policy: Policy, target: str) -> list[ExportWarning]:
    """One warning per object carrying extension data other than policytui's own, and one for
    pinning turned on in policytui's own (`x-policytui.pin`), which no target can enforce."""
    warnings = []
    own = policy.extensions.get(OWN_EXTENSION)
    if pin_setting_on(own):
        warnings.append(
            ExportWarning(
                f"{OWN_EXTENSION}.pin",
                f"{target} does not check tool definitions: a tool that changed since it was approved, "
                "or was added after, is decided by the rules alone there, where policytui's gateway "
                "hides and denies it",
            )
        )
    for path, node in _nodes(policy):
        foreign = [key for key in node.extensions if key != OWN_EXTENSION]
        if foreign:
            keys = ", ".join(foreign)
            warnings.append(
                ExportWarning(path or "(top level)", f"extension data {keys} was left out: {target} has no place for it")
            )
    return warnings


def plain(value: Any) -> Any:
    """A JSON value copied, so the export never shares lists with the policy."""
    return json.loads(json.dumps(value))


# Characters that reorder or hide text on screen (bidi overrides, zero-width and invisible
# marks, line separators): a tool name holding one can read as another name in a terminal or a
# code review. Written as \u escapes, the reader sees what the engine reads.
HIDDEN_CHARACTERS = re.compile("[\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def json_text(document: dict[str, Any]) -> str:
    """An exported JSON document: indent 2, UTF-8 as is except hidden characters, final newline."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    # Outside strings JSON text is ASCII, so every match is inside a string, where \u is valid.
    return HIDDEN_CHARACTERS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
