"""Converting a policy to other gateways' formats.

`export_policy(policy, "policylayer" | "intercept" | "cedar")` returns the text to write and the warnings
about everything the target format cannot express. What cannot be expressed is exported
fail-closed: the exported policy may deny more than the original, never less. The CLI
(`policytui export`) and the TUI's export action both call this one function.
"""

from __future__ import annotations

from policytui.export.result import ExportResult, ExportWarning
from policytui.policy.model import Policy

FORMATS: tuple[str, ...] = ("policylayer", "intercept", "cedar")

# The usual file name suffix of each format, for save dialogs and default output names.
SUFFIXES: dict[str, str] = {"policylayer": ".json", "intercept": ".yaml", "cedar": ".json"}

# What each format is called in messages and in the table of what was lost.
TARGETS: dict[str, str] = {
    "policylayer": "PolicyLayer",
    "intercept": "Intercept",
    "cedar": "ToolHive (Cedar)",
}


def export_policy(policy: Policy, fmt: str) -> ExportResult:
    """Convert `policy` to `fmt` (one of FORMATS). Raises ValueError for an unknown format."""
    if fmt == "policylayer":
        from policytui.export.policylayer import export_policylayer

        return export_policylayer(policy)
    if fmt == "intercept":
        from policytui.export.intercept import export_intercept

        return export_intercept(policy)
    if fmt == "cedar":
        from policytui.export.cedar import export_cedar

        return export_cedar(policy)[0]
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "SUFFIXES", "TARGETS", "ExportResult", "ExportWarning", "export_policy"]
