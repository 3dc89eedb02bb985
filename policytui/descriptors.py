"""How many connections a listening front end (the HTTP gateway, serve) lets wait for a token.

A connection that has not shown a known token yet may be anybody's: without a bound, idle ones
could take every file descriptor the process may open, and then the clients who have a token,
the server's connection, the state store and the files written would all fail. Both front ends
use this one rule.
"""

from __future__ import annotations

import contextlib
import resource

# The most connections that may wait, at once, to show a known token.
MAX_UNPROVEN = 256
# Where the hard limit allows, the soft limit on open files is raised to this first.
WANTED_DESCRIPTORS = 4096


def unproven_limit() -> int:
    """A quarter of the file descriptors this process may open (its soft limit raised to
    WANTED_DESCRIPTORS first, where the hard limit allows), at least 8 and at most
    MAX_UNPROVEN. The rest stay for what has shown a token and what the process writes."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = WANTED_DESCRIPTORS if hard == resource.RLIM_INFINITY else min(hard, WANTED_DESCRIPTORS)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
    if soft == resource.RLIM_INFINITY:
        return MAX_UNPROVEN
    return max(8, min(MAX_UNPROVEN, soft // 4))
