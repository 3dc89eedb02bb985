"""The preset names and one-line summaries, kept apart from `presets` so that the command line
can offer them without importing the policy model (pydantic) at start-up."""

from __future__ import annotations

RECOMMENDED = "recommended"
READ_ONLY = "read-only"
LOCKDOWN = "lockdown"
PERMISSIVE_WITH_APPROVAL = "permissive-with-approval"

PRESETS: tuple[str, ...] = (RECOMMENDED, READ_ONLY, LOCKDOWN, PERMISSIVE_WITH_APPROVAL)

PRESET_SUMMARIES: dict[str, str] = {
    RECOMMENDED: "reads allowed, writes and runs rate-limited, changes to existing data, money, "
                 "reads of secrets and tools that say nothing of what they do need approval, "
                 "tools that delete, wipe or overwrite data hidden; unknown tools denied",
    READ_ONLY: "only tools (and actions) that read are allowed (reads of secrets need approval); everything else denied",
    LOCKDOWN: "every call denied; destructive and financial tools hidden",
    PERMISSIVE_WITH_APPROVAL: "everything allowed, except that running code, destroying data "
                              "and moving money wait for a human",
}
