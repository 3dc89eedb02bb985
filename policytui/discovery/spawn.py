"""Starting a server process: its environment, the checks before spawning, its process group.

Standard library only, so a listing can start the server before the MCP SDK (about 0.7 s of
imports) or anything else heavy is loaded. Shared by the raw listing, the SDK transport and
the gateway's stdio upstream, so all three say the same thing about the same failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from policytui.discovery.diagnostics import Diagnostics
from policytui.discovery.errors import DiscoveryError
from policytui.output_file import os_reason
from policytui.textsafe import visible

# The variables a server inherits from policytui's own environment, as the MCP SDK's
# `get_default_environment` passes them (tests/test_cli_listing.py keeps the two equal).
INHERITED_ENV_VARS = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER")


def child_environment(extra: dict[str, str]) -> dict[str, str]:
    """What the server process sees: the safe minimum (PATH, HOME, ...) plus `extra`."""
    env: dict[str, str] = {}
    for key in INHERITED_ENV_VARS:
        value = os.environ.get(key)
        # A value starting with "()" is an exported shell function: never pass those on.
        if value is not None and not value.startswith("()"):
            env[key] = value
    return env | extra


def check_can_spawn(command: str, cwd: str | None, env: dict[str, str], diag: Diagnostics) -> None:
    """Fail with one sentence before spawning when the command or its folder is not there."""
    if cwd is not None and not Path(cwd).is_dir():
        raise DiscoveryError(f"The server's working directory {visible(cwd)!r} does not exist.")
    if os.sep not in command and shutil.which(command, path=env.get("PATH")) is None:
        raise DiscoveryError(not_found_message(command, diag))


def spawn_error(command: str, exc: OSError, diag: Diagnostics) -> DiscoveryError:
    """The sentence for a server command the operating system refused to start."""
    if isinstance(exc, FileNotFoundError):
        return DiscoveryError(not_found_message(command, diag))
    if isinstance(exc, PermissionError):
        return DiscoveryError(f"The server command {visible(command)!r} is not executable.")
    return DiscoveryError(
        f"The server command {visible(command)!r} could not be started: {os_reason(exc)}."
    )


def not_found_message(command: str, diag: Diagnostics) -> str:
    """The sentence for a server command that cannot be found, with a hint where one helps."""
    shown = visible(command)
    if os.sep in command:
        return f"The server command {shown!r} does not exist."
    hint = ""
    if command == "docker":
        hint = " (Docker is not installed)"
    elif command in ("npx", "node", "npm"):
        hint = " (Node.js is not installed)"
    elif command in ("uvx", "uv"):
        hint = " (uv is not installed)"
    return f"The server command {shown!r} was not found on PATH{hint}; install it or give its full path."


def signal_group(pgid: int, sig: int) -> bool:
    """Signal the whole process group; False when nothing is left in it."""
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is left in the group."""
    if os.path.isdir("/proc/self"):
        # kill(0) also succeeds for zombies, which an init that never reaps keeps forever.
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2 :].split()
            if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
