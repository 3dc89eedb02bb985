"""The gateway's current policy, reloaded when its file changes.

Checking is cheap: one `stat` per interval; the file is read and hashed only when its size,
modification time, change time or inode changed (or it changed so recently that a second write
within the same clock tick would not show in them), and parsed only when its content hash
changed. The change time is there because the modification time can be set back (`cp -p`,
`install -p`, `rsync --inplace`, `touch -r`): a same-size rewrite in place would otherwise go
unseen and the older policy stay in force.

A security gateway fails closed: while the file on disk does not validate, cannot be read, or
has been missing for longer than `MISSING_GRACE_SECONDS` (an editor that saves by renaming
leaves it missing for a moment), `problem()` says why, and every tool call is denied with that
reason. The last valid policy is kept only to list tools (what it hides stays hidden) and to be
enforced again if the same file returns. Each change of state is logged once. The policy in
force is known by the SHA-256 of its file (`sha256`), which the log gives at start and at each
reload and every audit line repeats (`policy_sha256`).
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from policytui.policy.display import visible
from policytui.policy.model import Policy

log = logging.getLogger("policytui.gateway")

# How long the policy file may be missing before calls are denied: editors that save by
# writing a new file and renaming it over the old one leave a moment without it.
MISSING_GRACE_SECONDS = 2.0


class PolicyStartError(Exception):
    """The policy cannot be used at start; `str()` is one sentence."""


# A file changed less than this long before it was looked at is read again at the next check:
# file times have the resolution of the kernel's clock tick, so a second write within the same
# tick, of the same size, leaves the same times.
RECENT_NS = 2_000_000_000


@dataclass(frozen=True)
class _Seen:
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int
    recent: bool = False  # changed just before it was looked at: never taken as unchanged

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Seen) or self.recent or other.recent:
            return False
        return (self.size, self.mtime_ns, self.ctime_ns, self.inode, self.device) == (
            other.size, other.mtime_ns, other.ctime_ns, other.inode, other.device)

    def __hash__(self) -> int:
        return hash((self.size, self.mtime_ns, self.ctime_ns, self.inode, self.device))


def _seen(path: Path) -> _Seen | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    recent = time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < RECENT_NS
    return _Seen(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, recent)


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
        # When the file was first seen missing (monotonic), while it is missing.
        self._missing_since: float | None = None
        self._announced: str | None = None  # the problem last logged
        self.clock: Callable[[], float] = time.monotonic

    @property
    def sha256(self) -> str:
        """The policy in force's identity: the SHA-256 (hex) of its file's bytes, as
        `sha256sum` prints it. The gateway logs it at start (`announce_loaded`) and at each
        reload, and every audit line names it (`policy_sha256`)."""
        return self._sha256

    def announce_loaded(self) -> None:
        """Log the policy the gateway starts with, by the identity its audit lines give."""
        log.info("policy %s loaded (sha256 %s)", self.path, self._sha256)

    def problem(self) -> str | None:
        """Why every call is denied now (one sentence naming the file), or None when the
        policy in force is the file on disk."""
        if self.refused is None:
            return None
        if self._missing_since is not None and self.clock() - self._missing_since < MISSING_GRACE_SECONDS:
            return None
        return f"the policy file {self.path} {self.refused}; every call is denied until it is fixed"

    def _announce(self) -> None:
        """Log each change between enforcing and denying everything, once."""
        now = self.problem()
        if now == self._announced:
            return
        if now is not None:
            log.error("%s", now)
        elif self._announced is not None:
            log.warning("policy file %s is valid again and enforced", self.path)
        self._announced = now

    def fail(self, why: str) -> None:
        """The file could not be checked at all: deny every call until a check succeeds."""
        self.refused, self._missing_since, self._seen = why, None, None
        self._announce()

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

        special = _special_kind(self.path)
        if special is not None:
            raise PolicyStartError(
                f"{self.path} is {special}, not a file: the gateway reads its policy again whenever "
                "the file changes, so save the policy to a file and give that file's path.")
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
        try:
            return self._check()
        finally:
            self._announce()

    def _check(self) -> bool:
        from policytui.policy.files import PolicyFileError

        seen = _seen(self.path)
        if seen == self._seen:
            return False
        special = _special_kind(self.path)
        if special is not None:
            # Never read: a pipe whose writer holds it open without writing would stop the
            # gateway in the read, every call and signal with it.
            self._seen, self._missing_since, self.refused = seen, None, f"is now {special}, not a file"
            return False
        try:
            policy, sha, problem = self._load()
        except PolicyFileError as exc:
            if seen is None:  # missing: denied after the grace, unless it returns
                if self._missing_since is None:
                    self._missing_since = self.clock()
                self.refused = "is missing"
            else:
                self._missing_since = None
                self.refused = f"cannot be read ({_sentence(str(exc)).rstrip('.')})"
            self._seen = seen
            return False
        self._seen, self._missing_since = seen, None
        if sha == self._sha256:
            self.refused = None
            return False
        if policy is None:
            self.refused = f"is not a valid policy ({problem.rstrip('.')})"
            return False
        old, self.policy, self._sha256, self.refused = self.policy, policy, sha, None
        log.info("policy %s reloaded (sha256 %s)", self.path, sha)
        if self.on_change is not None:
            self.on_change(old, policy)
        return True


def _special_kind(path: Path) -> str | None:
    """What `path` (through any symlink) is when it is neither a file nor a folder (a pipe, as
    `--policy <(...)` gives, a device, a socket), or None."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a pipe (as `<(...)` gives)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."
