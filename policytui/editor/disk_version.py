"""The policy file as someone else left it on disk, read when a save finds it changed: whether
it can be loaded into the editor, and how its rules differ from the ones being edited."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policytui.policy.files import LoadedPolicy, PolicyFileError, PolicyFileMissing, load_policy
from policytui.policy.model import Policy
from policytui.textsafe import clip, visible


@dataclass(frozen=True)
class DiskVersion:
    """What the file holds now: `loaded` when it is a valid policy, else `problem`, the end of
    a sentence saying why it cannot be loaded (it is gone, not JSON, not a policy)."""

    loaded: LoadedPolicy | None
    problem: str | None

    @property
    def policy(self) -> Policy | None:
        return self.loaded.policy if self.loaded is not None else None


def read_disk_version(path: Path) -> DiskVersion:
    """Read `path` as it is now; never raises for what is (or is not) there."""
    try:
        loaded = load_policy(path)
    except PolicyFileMissing:
        return DiskVersion(None, "it was deleted")
    except PolicyFileError as exc:
        return DiskVersion(None, _sentence(str(exc)))
    except OSError as exc:
        return DiskVersion(None, _sentence(str(exc) or type(exc).__name__))
    if loaded.policy is None:
        problems = [p.format() for p in loaded.report.errors] or ["it is not a valid policy"]
        return DiskVersion(None, f"it is not a valid policy now ({_sentence(problems[0])})")
    return DiskVersion(loaded, None)


def differing_tools(ours: Policy, theirs: Policy) -> list[str]:
    """The tools whose rule differs between the two policies (a rule in one only counts)."""
    mine: dict[str, Any] = ours.to_document().get("tools") or {}
    other: dict[str, Any] = theirs.to_document().get("tools") or {}
    return sorted(name for name in set(mine) | set(other) if mine.get(name) != other.get(name))


def difference_summary(ours: Policy, theirs: Policy) -> str:
    """One sentence for the question: how many tools' rules differ, and whether the default."""
    tools = differing_tools(ours, theirs)
    parts = []
    if tools:
        parts.append("1 tool's rule differs" if len(tools) == 1 else f"{len(tools):,} tools' rules differ")
    if ours.default != theirs.default:
        parts.append(f"the default is {theirs.default} there, {ours.default} here")
    if not parts:
        return "Its tool rules and default are the same as here."
    return "Compared with the editor: " + "; ".join(parts) + "."


def _sentence(text: str) -> str:
    """One line, control characters drawn, no full stop of its own (the caller ends it)."""
    line = (text.strip().splitlines() or [""])[0]
    return visible(clip(line, 200), pictures=True).rstrip(".")
