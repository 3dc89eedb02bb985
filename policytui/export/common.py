"""Helpers both exporters share: texts the agent sees and the extension-data sweep."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from policytui.export.result import ExportWarning
from policytui.policy.model import Node, Policy

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
    """One warning per object carrying extension data other than policytui's own."""
    warnings = []
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
