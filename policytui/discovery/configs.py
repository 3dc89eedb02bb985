"""Where MCP clients keep their server lists, and reading entries from them.

Entries are read as written (with `${...}` references unexpanded); expansion happens only when
one name is resolved, so a variable missing for one server never hides the others.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policytui.discovery.jsonc import loads_lenient

PROJECT_MARKERS = (".mcp.json", ".vscode/mcp.json", ".cursor/mcp.json", ".git")


@dataclass(frozen=True)
class ConfigSource:
    """One config file and where in it the servers sit."""

    label: str  # e.g. "Claude Desktop"
    path: Path
    keys: tuple[str, ...]  # path of keys to the name -> entry mapping
    project: bool = False  # defined by the project (a cloned repository may have written it)


@dataclass
class ConfigEntry:
    """One named server as written in a config file."""

    name: str
    source: ConfigSource
    raw: dict[str, Any]
    problem: str | None = None  # set when the entry cannot be used as written

    @property
    def origin(self) -> str:
        return f"{self.source.label} ({_home_short(self.source.path)})"

    @property
    def disabled(self) -> bool:
        return self.raw.get("disabled") is True or self.raw.get("enabled") is False


@dataclass
class ConfigScan:
    """Every entry found, in resolution order, and files that could not be read."""

    entries: list[ConfigEntry] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    searched: list[ConfigSource] = field(default_factory=list)


def home_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or os.path.expanduser("~"))


def _home_short(path: Path) -> str:
    home = os.environ.get("HOME")
    text = str(path)
    if home and text.startswith(home.rstrip("/") + "/"):
        return "~" + text[len(home.rstrip("/")) :]
    return text


def policytui_config_dir(environ: Mapping[str, str]) -> Path:
    """policytui's own config folder: $POLICYTUI_CONFIG_DIR, else $XDG_CONFIG_HOME/policytui."""
    if environ.get("POLICYTUI_CONFIG_DIR"):
        return Path(environ["POLICYTUI_CONFIG_DIR"])
    xdg = environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else home_dir(environ) / ".config"
    return base / "policytui"


def project_root(cwd: Path, environ: Mapping[str, str]) -> Path | None:
    """The nearest folder at or above `cwd` holding an MCP config or a .git, below $HOME.

    $HOME itself is never a project: ~/.cursor/mcp.json is Cursor's user-level file.
    """
    if environ.get("POLICYTUI_PROJECT_DIR"):
        return Path(environ["POLICYTUI_PROJECT_DIR"])
    home = home_dir(environ).resolve()
    cwd = cwd.resolve()
    for folder in (cwd, *cwd.parents):
        if folder == home or folder == Path(folder.anchor):
            break
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return None if cwd == home else cwd


def config_sources(cwd: Path, environ: Mapping[str, str]) -> list[ConfigSource]:
    """All places searched, in resolution order (first definition of a name wins)."""
    home = home_dir(environ)
    xdg = Path(environ["XDG_CONFIG_HOME"]) if environ.get("XDG_CONFIG_HOME") else home / ".config"
    mac = home / "Library" / "Application Support"
    sources = [
        ConfigSource("policytui", policytui_config_dir(environ) / "servers.json", ("mcpServers",))
    ]
    root = project_root(cwd, environ)
    if root is not None:
        sources += [
            ConfigSource("project .mcp.json", root / ".mcp.json", ("mcpServers",), project=True),
            ConfigSource(
                "project VS Code", root / ".vscode" / "mcp.json", ("servers",), project=True
            ),
            ConfigSource(
                "project Cursor", root / ".cursor" / "mcp.json", ("mcpServers",), project=True
            ),
        ]
    sources += [
        ConfigSource(
            "Claude Desktop", xdg / "Claude" / "claude_desktop_config.json", ("mcpServers",)
        ),
        ConfigSource(
            "Claude Desktop", mac / "Claude" / "claude_desktop_config.json", ("mcpServers",)
        ),
    ]
    claude_dir = Path(environ["CLAUDE_CONFIG_DIR"]) if environ.get("CLAUDE_CONFIG_DIR") else home
    claude_json = claude_dir / ".claude.json"
    # Claude Code keeps per-project ("local") servers under projects[<absolute path>], the path
    # as the shell gave it (symlinks kept), so both spellings are tried.
    candidates = (Path(os.path.abspath(cwd)), cwd.resolve(), root)
    for folder in dict.fromkeys(p for p in candidates if p is not None):
        sources.append(
            ConfigSource(
                "Claude Code (this project)", claude_json, ("projects", str(folder), "mcpServers")
            )
        )
    sources += [
        ConfigSource("Claude Code", claude_json, ("mcpServers",)),
        ConfigSource("Cursor", home / ".cursor" / "mcp.json", ("mcpServers",)),
    ]
    for app in ("Code", "Code - Insiders"):
        for base in (xdg, mac):
            sources.append(ConfigSource("VS Code", base / app / "User" / "mcp.json", ("servers",)))
            sources.append(
                ConfigSource(
                    "VS Code settings", base / app / "User" / "settings.json", ("mcp", "servers")
                )
            )
    sources.append(
        ConfigSource(
            "Windsurf", home / ".codeium" / "windsurf" / "mcp_config.json", ("mcpServers",)
        )
    )
    return sources


def scan_configs(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> ConfigScan:
    """Read every config file that exists; a broken file is reported, never fatal."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    scan = ConfigScan()
    documents: dict[Path, Any] = {}
    for source in config_sources(cwd, environ):
        scan.searched.append(source)
        if source.path not in documents:
            documents[source.path] = _read(source.path, scan)
        document = documents[source.path]
        if document is None:
            continue
        for name, raw in _servers_in(document, source):
            scan.entries.append(_entry(name, raw, source))
    return scan


def _read(path: Path, scan: ConfigScan) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        scan.unreadable.append((path, f"cannot be read ({exc.__class__.__name__})"))
        return None
    if not text.strip():
        return None
    try:
        return loads_lenient(text)
    except json.JSONDecodeError as exc:
        scan.unreadable.append((path, f"is not valid JSON (line {exc.lineno}, column {exc.colno})"))
        return None
    except RecursionError:  # arrays or objects nested thousands deep
        scan.unreadable.append((path, "is nested too deeply to read"))
        return None


def _servers_in(document: Any, source: ConfigSource) -> Iterator[tuple[str, Any]]:
    node = document
    for key in source.keys:
        if not isinstance(node, dict) or key not in node:
            return
        node = node[key]
    if not isinstance(node, dict):
        return
    yield from node.items()


def _no_command_nor_url(command: Any, url: Any) -> str:
    """Why an entry names no server to start or reach: a command or url of the wrong type is
    named as such, since "neither" would read as if the key were missing."""
    if isinstance(command, list) and command and all(isinstance(part, str) for part in command):
        return ("its command is a list; put the program in command and its arguments in args "
                '("command": "npx", "args": ["-y", "..."])')
    for key, value in (("command", command), ("url", url)):
        if value is not None and not isinstance(value, str):
            return f"its {key} is {_json_type(value)}, not a string"
    if isinstance(command, str) and command and not command.strip():
        return "its command is blank"
    return "it has neither a command nor a url"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    return "a list" if isinstance(value, list) else "null"


def _entry(name: str, raw: Any, source: ConfigSource) -> ConfigEntry:
    if not isinstance(raw, dict):
        return ConfigEntry(name, source, {}, problem="its entry is not an object")
    problem = None
    has_command = isinstance(raw.get("command"), str) and raw["command"].strip()
    url = raw.get("url", raw.get("serverUrl"))
    if not has_command and not (isinstance(url, str) and url):
        problem = _no_command_nor_url(raw.get("command"), url)
    elif not isinstance(raw.get("args", []), list) or not all(
        isinstance(a, (str, int, float)) for a in raw.get("args", [])
    ):
        problem = "its args are not a list of strings"
    elif not isinstance(raw.get("env", {}), dict) or not isinstance(raw.get("headers", {}), dict):
        problem = "its env or headers are not an object"
    return ConfigEntry(name, source, raw, problem=problem)
