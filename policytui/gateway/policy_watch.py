"""The gateway's current policy, reloaded when its file changes.

Checking is cheap: one `stat` per interval; the file is read and hashed only when its size,
modification time or inode changed, and parsed only when its content hash changed. A file that
does not validate is refused and logged, and the last good policy stays in force.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from policytui.policy.display import visible
from policytui.policy.model import Policy

log = logging.getLogger("policytui.gateway")


class PolicyStartError(Exception):
    """The policy cannot be used at start; `str()` is one sentence."""


@dataclass(frozen=True)
class _Seen:
    size: int
    mtime_ns: int
    inode: int


def _seen(path: Path) -> _Seen | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _Seen(st.st_size, st.st_mtime_ns, st.st_ino)


class PolicyWatcher:
    """Holds the policy in force and swaps it when the file changes to another valid policy."""

    def __init__(self, path: Path, on_change: Callable[[Policy, Policy], None] | None = None) -> None:
        self.path = Path(path)
        self.on_change = on_change
        self._seen: _Seen | None = None
        self._sha256 = ""
        self.policy: Policy = self._load_first()
        # Why the file on disk is not in force, while it is not (None when it is).
        self.refused: str | None = None

    def _load(self) -> tuple[Policy | None, str, str]:
        """(policy or None, sha256 of the text, first problem when invalid)."""
        from policytui.policy.files import load_policy

        loaded = load_policy(self.path)
        if loaded.policy is None:
            errors = loaded.report.errors
            problem = errors[0].format() if errors else "the file is not a valid policy"
            return None, loaded.stamp.sha256, visible(problem)
        for warning in loaded.report.warnings:
            log.warning("policy %s: %s", self.path, visible(warning.format()))
        return loaded.policy, loaded.stamp.sha256, ""

    def _load_first(self) -> Policy:
        from policytui.policy.files import PolicyFileError

        seen = _seen(self.path)
        try:
            policy, sha, problem = self._load()
        except PolicyFileError as exc:
            raise PolicyStartError(f"{_sentence(str(exc))}") from None
        if policy is None:
            raise PolicyStartError(f"{self.path} is not a valid policy: {problem}")
        self._seen, self._sha256 = seen, sha
        return policy

    def check(self) -> bool:
        """Reload if the file changed. True when a new policy came into force."""
        from policytui.policy.files import PolicyFileError

        seen = _seen(self.path)
        if seen == self._seen:
            return False
        try:
            policy, sha, problem = self._load()
        except PolicyFileError as exc:
            # Missing for a moment (an editor's rename) or unreadable: keep the policy in force.
            if self.refused != str(exc):
                log.error("policy file %s cannot be read (%s); keeping the last good policy", self.path, exc)
            self.refused = str(exc)
            self._seen = seen
            return False
        self._seen = seen
        if sha == self._sha256:
            self.refused = None
            return False
        if policy is None:
            if self.refused != problem:
                log.error("refused the changed policy %s: %s; keeping the last good policy", self.path, problem)
            self.refused = problem
            return False
        old, self.policy, self._sha256, self.refused = self.policy, policy, sha, None
        log.info("policy %s reloaded (sha256 %s)", self.path, sha[:12])
        if self.on_change is not None:
            self.on_change(old, policy)
        return True


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."
