"""How the editor names the server it edits a policy for, in its header and in the browser
page's title alike: the server's own name and version, as it reports them when it starts
(`mcp-servers/everything 2.0.0`), or, until it has (or when it reports none), the name of the
command or catalogue entry that starts it (`mcp-server-everything`). Before, the page's title
named the command and the header the server, so one server had two names.
"""

from __future__ import annotations

from policytui.editor.text import one_line

# The most of a server's name and version shown: a server chooses them, and a long one would
# push the policy's part out of the header.
NAME_LIMIT = 40
VERSION_LIMIT = 20


def server_name_parts(reported_name: str, reported_version: str, fallback: str) -> tuple[str, str]:
    """The name and the version (with its leading space, "" when there is none) the editor
    shows, each on one line and free of control characters."""
    name = one_line(reported_name or fallback or "server", NAME_LIMIT)
    version = " " + one_line(reported_version, VERSION_LIMIT) if reported_version and reported_name else ""
    return name, version


def server_label(reported_name: str, reported_version: str, fallback: str) -> str:
    """The name and version as one text: what the page's title says."""
    name, version = server_name_parts(reported_name, reported_version, fallback)
    return name + version


def page_title(policy_name: str, label: str) -> str:
    """The browser page's title: the policy file, the server, and the program."""
    return f"{policy_name} · {label} · policytui" if label else f"{policy_name} · policytui"
