"""Expanding `${env:NAME}`, `${NAME}` and `${NAME:-default}` in server configs.

MCP clients disagree on the spelling (VS Code and Cursor use `${env:NAME}`, Claude Code uses
`${NAME}` and `${NAME:-default}`), so policytui accepts all of them. `${userHome}` and
`${workspaceFolder}` (VS Code) are supported too; `${input:...}` prompts are not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_REFERENCE = re.compile(r"\$\{([^}]*)\}")


class MissingVariable(Exception):
    """A `${...}` reference could not be filled in; `name` is the variable, never its value."""

    def __init__(self, name: str, reason: str = "unset", written: str = "") -> None:
        super().__init__(name)
        self.name = name
        self.reason = reason
        # The reference as the user wrote it (`${env:NAME}`), so the message quotes their words.
        self.written = written or f"${{{name}}}"


@dataclass
class Expansion:
    """Remembers which variables an expansion used, so their values can be kept out of output."""

    environ: Mapping[str, str]
    home: str = ""
    workspace: str = ""
    used: dict[str, str] = field(default_factory=dict)

    def expand(self, text: str) -> str:
        """Fill in every reference in `text`. Raises MissingVariable for an unset one."""
        if "${" not in text:
            return text
        return _REFERENCE.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        body = match.group(1).strip()
        if body == "userHome":
            return self.home
        if body == "workspaceFolder":
            return self.workspace
        if body.startswith("input:"):
            raise MissingVariable(body, "input")
        body = body.removeprefix("env:")
        name, _, default = body.partition(":-")
        name = name.strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise MissingVariable(name or match.group(0), "invalid")
        value = self.environ.get(name)
        if value is None or (value == "" and ":-" in body):
            if ":-" in body:
                return default
            raise MissingVariable(name, written=match.group(0))
        self.used[name] = value
        return value


def references(text: str) -> list[str]:
    """The variable names a text refers to (for listing a server's needs without values)."""
    names = []
    for match in _REFERENCE.finditer(text):
        body = match.group(1).strip()
        body = body.removeprefix("env:")
        name = body.partition(":-")[0].strip()
        if name and name not in ("userHome", "workspaceFolder") and not name.startswith("input:"):
            names.append(name)
    return names


def prompts(text: str) -> list[str]:
    """The VS Code prompts a text asks for (`${input:token}` -> "input:token"), which policytui
    cannot answer: an entry that uses one cannot be started."""
    return [body for body in (m.group(1).strip() for m in _REFERENCE.finditer(text)) if body.startswith("input:")]
