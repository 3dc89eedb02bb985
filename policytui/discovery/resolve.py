"""Turning what the user typed (a name, a URL, a command, a file) into a ServerSpec.

Names resolve in this order, first definition wins: policytui's own servers file, the
project's configs (.mcp.json, .vscode/mcp.json, .cursor/mcp.json), the user-level configs of
Claude Desktop, Claude Code, Cursor, VS Code and Windsurf, then the built-in catalogue.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from policytui.discovery.catalogue import CATALOGUE, catalogue_spec
from policytui.discovery.configs import (
    ConfigEntry,
    ConfigScan,
    home_dir,
    project_root,
    scan_configs,
)
from policytui.discovery.envvars import Expansion, MissingVariable, prompts, references
from policytui.discovery.errors import DiscoveryError
from policytui.discovery.spec import ServerSpec, mask_arguments, path_ends_in_sse, safe_url
from policytui.output_file import os_reason
from policytui.textsafe import visible, without_secrets

_SSE_TYPES = {"sse"}
_HTTP_TYPES = {"http", "streamable-http", "streamablehttp", "streamable_http", "streamable"}
_KNOWN_TYPES = "policytui knows http (Streamable HTTP), sse and stdio"


def resolve_target(
    text: str | None = None,
    *,
    command: Sequence[str] | None = None,
    from_file: str | os.PathLike[str] | None = None,
    sse: bool = False,
    headers: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    offers_from: bool = True,
) -> ServerSpec:
    """Resolve one target. Raises DiscoveryError with a sentence saying what to do instead.

    Exactly one of `text` (a server name or an http(s) URL), `command` (program and arguments
    for stdio) and `from_file` (a snapshot or fixture file) is expected. `offers_from`: the
    command has --from, so the sentences may suggest it (the gateway's has not).
    """
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    given = [x for x in (text, command, from_file) if x]
    if len(given) > 1:
        raise DiscoveryError(
            "Give one target: a server name or URL, a command after --, or --from FILE, not several."
        )
    if not given:
        raise DiscoveryError(
            "No server given: name one (see `policytui servers`), give a URL, "
            + ("a command after --, or --from FILE." if offers_from else "or a command after --.")
        )
    if headers and not (text and _is_http_url(text)):
        # Dropped without a word otherwise: a command or a snapshot file has nowhere to send them.
        what = "a command after --" if command else "a snapshot file" if from_file else None
        if what is not None:
            raise DiscoveryError(f"--header only applies to HTTP servers, and {what} is not one.")
    if from_file:
        path = Path(from_file).expanduser()
        return ServerSpec(name=path.name, transport="snapshot", snapshot_path=path, origin="--from")
    if command:
        program, *args = [str(part) for part in command]
        return ServerSpec(
            name=command_name(program, args),
            transport="stdio",
            command=program,
            args=args,
            origin="command line",
        )
    assert text is not None
    if _is_http_url(text):
        spec = _url_spec(text, text, sse=sse, headers=dict(headers or {}), origin="command line")
        _check_headers(spec, headers or {})
        return spec
    spec = _named_spec(text, cwd, environ)
    if headers:
        if spec.transport not in ("http", "sse"):
            raise DiscoveryError(f"--header only applies to HTTP servers, and {text!r} is not one.")
        spec.headers.update(headers)
    _check_headers(spec, headers or {})
    if sse and spec.transport == "http":
        spec.transport = "sse"
    return spec


def _is_http_url(text: str) -> bool:
    """Is `text` an http(s) URL? A scheme is read in any case (`HTTPS://host/mcp`), as a URL's
    scheme is case-insensitive and the HTTP client reads it so."""
    return text[:8].lower().startswith(("http://", "https://"))


# What an HTTP header can carry as sent: a token of the name characters, and printable ASCII
# (and tabs) in the value.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


def _check_headers(spec: ServerSpec, given: Mapping[str, str]) -> None:
    """A header HTTP cannot carry fails every request, and the HTTP library's error quotes the
    value (escaped, so the redaction of secrets misses it): refused here, naming the header and
    never its value. A token read from a file with Windows line ends ends in a carriage return."""
    for name, value in spec.headers.items():
        if _HEADER_NAME.fullmatch(name) and _HEADER_VALUE.fullmatch(value):
            continue
        where = (f"The --header {visible(name)}" if name in given
                 else f"The header {visible(name)} of server {visible(spec.name)!r}")
        part = "name" if not _HEADER_NAME.fullmatch(name) else "value"
        raise DiscoveryError(
            f"{where} has a {part} an HTTP header cannot carry (a line break or carriage return, "
            "another control character, or a character outside ASCII, as a value read from a "
            "file with Windows line ends has); fix it and try again."
        )


_LAUNCHERS = {
    "python",
    "python3",
    "node",
    "npx",
    "uvx",
    "uv",
    "bunx",
    "bun",
    "deno",
    "pipx",
    "sh",
    "bash",
}


def command_name(program: str, args: list[str]) -> str:
    """A short name for a command-line server: the script or package a launcher runs."""
    base = Path(program).name
    if base == "env":
        # `env NAME=VALUE ... COMMAND` is how a variable reaches a server `connect` starts (it
        # passes only a few of the shell's): the server is the command env runs, not "env",
        # which every such server was called, in messages and in the gateway's audit log.
        rest = list(args)
        while rest and ("=" in rest[0] or rest[0].startswith("-")):
            option = rest.pop(0)
            if option in ("-u", "-C", "--unset", "--chdir") and rest:
                rest.pop(0)  # the option's value
            elif option in ("-S", "--split-string") or option.startswith("--split-string="):
                return base  # the command is inside one string: no name to tell
        if rest:
            return command_name(rest[0], rest[1:])
    if base in _LAUNCHERS or base.startswith("python3."):
        for arg in args:
            if arg == "-c":
                break
            if not arg.startswith("-") and arg != "run":
                return Path(arg).name if "/" in arg and not arg.startswith("@") else arg
    return base


def _url_spec(
    url: str, display: str, *, sse: bool, headers: dict[str, str], origin: str
) -> ServerSpec:
    problem = _url_problem(url, display)
    if problem is not None:
        raise DiscoveryError(problem)
    return ServerSpec(
        name=urlsplit(url).hostname or "",  # `_url_problem` refuses a URL without one
        transport="sse" if sse else "http",
        url=url,
        display_url=display,
        headers=headers,
        origin=origin,
    )


def _url_problem(url: str, display: str) -> str | None:
    """Why no connection can be made to `url`, in one sentence that quotes it only as `display`
    (as written, before `${...}` expansion) with its credentials masked; None when one can."""
    try:
        parts = urlsplit(url)
    except ValueError as error:  # `http://[::1/mcp`; its words never quote the URL, which may hold a key
        return f"The server's URL cannot be read ({error}); check its brackets."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{safe_url(display)!r} is not an http(s) URL with a host name."
    try:
        parts.port  # noqa: B018 - read for its check: a port past 65535 or not a number
    except ValueError:
        return f"The port of {safe_url(display)!r} is not a number from 0 to 65535."
    return None


def _named_spec(name: str, cwd: Path, environ: Mapping[str, str]) -> ServerSpec:
    scan = scan_configs(cwd, environ)
    for entry in scan.entries:
        if entry.name == name:
            return spec_from_entry(entry, cwd, environ)
    spec = catalogue_spec(name, environ)
    if spec is not None:
        return spec
    raise DiscoveryError(_not_found_message(name, scan))


def _not_found_message(name: str, scan: ConfigScan) -> str:
    known = sorted({e.name for e in scan.entries} | set(CATALOGUE))
    # A URL of a kind not served (`ftp://u:PW@h/x`) or a key typed where a name goes is shown
    # as a command line shows it: its credential masked.
    shown = visible(mask_arguments([name])[0])
    message = f"No server named {shown!r} is configured"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f"; did you mean {visible(close[0])!r}?"
    elif Path(name).suffix == ".json" and Path(name).exists():
        if _is_a_policy(Path(name)):
            message += (f"; {shown} is a policy file: name a server (run `policytui servers`) "
                        f"and give the policy with --policy {shown}.")
        else:
            message += f"; to read the file, use --from {shown}."
    else:
        message += "; run `policytui servers` to see the names policytui found."
    if scan.unreadable:
        paths = ", ".join(str(p) for p, _ in scan.unreadable)
        message = message.rstrip(".") + f" (could not read: {paths})."
    return message


def _is_a_policy(path: Path) -> bool:
    """Does the file read as a policy (a "default", or rules by tool name) rather than a
    snapshot (a list of tools)? Read only up to a size a policy has, never past it."""
    try:
        with path.open("rb") as file:
            raw = file.read(_POLICY_SNIFF_BYTES + 1)
        if len(raw) > _POLICY_SNIFF_BYTES:
            return False
        data = json.loads(raw)
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and ("default" in data or isinstance(data.get("tools"), dict))


# A file larger than this is not read whole to tell a policy from a snapshot.
_POLICY_SNIFF_BYTES = 4 * 1024 * 1024


def spec_from_entry(entry: ConfigEntry, cwd: Path, environ: Mapping[str, str]) -> ServerSpec:
    """Expand one config entry into a spec. Raises DiscoveryError naming a missing variable."""
    label = f"Server {visible(entry.name)!r} from {entry.origin}"
    if entry.problem:
        raise DiscoveryError(f"{label} cannot be used: {entry.problem}.")
    raw = entry.raw
    root = project_root(cwd, environ) or cwd
    expansion = Expansion(environ, home=str(home_dir(environ)), workspace=str(root))
    try:
        if isinstance(raw.get("command"), str) and raw["command"].strip():
            spec = _stdio_from_entry(entry, expansion, root)
        else:
            spec = _url_from_entry(entry, expansion)
    except MissingVariable as missing:
        raise DiscoveryError(_missing_message(label, missing)) from None
    spec.extra_secrets = list(expansion.used.values())
    return spec


def _stdio_from_entry(entry: ConfigEntry, expansion: Expansion, root: Path) -> ServerSpec:
    raw = entry.raw
    args_written = [str(a) for a in raw.get("args", [])]
    env: dict[str, str] = {}
    env_file = raw.get("envFile")
    if isinstance(env_file, str) and env_file:
        path = _entry_path(env_file, entry, expansion, root)
        try:
            env.update(_read_env_file(path))
        except _UnreadableEnvFile as error:
            raise DiscoveryError(f"Server {visible(entry.name)!r} from {entry.origin} {error}.") from None
    env.update(
        {str(k): expansion.expand(str(v)) for k, v in raw.get("env", {}).items() if v is not None}
    )
    cwd = raw.get("cwd")
    if isinstance(cwd, str) and cwd:
        cwd = str(_entry_path(cwd, entry, expansion, root))
    else:
        cwd = None
    return ServerSpec(
        name=entry.name,
        transport="stdio",
        command=expansion.expand(raw["command"].strip()),
        args=[expansion.expand(a) for a in args_written],
        env=env,
        cwd=cwd,
        origin=entry.origin,
        display_args=args_written,
    )


def _url_from_entry(entry: ConfigEntry, expansion: Expansion) -> ServerSpec:
    raw = entry.raw
    written = str(raw.get("url", raw.get("serverUrl")))
    kind = str(raw.get("type") or raw.get("transport") or "").lower()
    if kind and kind not in _SSE_TYPES | _HTTP_TYPES:
        raise DiscoveryError(
            f"Server {visible(entry.name)!r} from {entry.origin} has type {visible(kind)!r}; "
            f"{_KNOWN_TYPES}."
        )
    # Without a type, a URL ending in /sse is taken for the legacy SSE transport, as Cursor does.
    sse = kind in _SSE_TYPES or (not kind and path_ends_in_sse(written))
    headers = {str(k): expansion.expand(str(v)) for k, v in raw.get("headers", {}).items()}
    spec = _url_spec(
        expansion.expand(written), written, sse=sse, headers=headers, origin=entry.origin
    )
    spec.name = entry.name
    return spec


class _UnreadableEnvFile(Exception):
    """An entry's envFile cannot be read; its text is the reason, after the entry's name
    ("Server 'x' from ...") or "it", as `tools NAME` and `servers` say it."""


def _entry_path(written: str, entry: ConfigEntry, expansion: Expansion, root: Path) -> Path:
    """A path an entry names (its `cwd`, its `envFile`), filled in: `~` is the home folder, and
    a relative path is read from where the file that names it is, not from wherever policytui
    was started: the project's root for a project's file (VS Code's `${workspaceFolder}`, so
    `.env` in `.vscode/mcp.json` is the project's), else the folder of that file."""
    path = Path(expansion.expand(written)).expanduser()
    if not path.is_absolute():
        path = (root if entry.source.project else entry.source.path.parent) / path
    return path


def _read_env_file(path: Path) -> dict[str, str]:
    """The KEY=VALUE lines of an entry's envFile (`_UnreadableEnvFile` when it cannot be read)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = os_reason(error) if isinstance(error, OSError) else "it is not UTF-8 text"
        raise _UnreadableEnvFile(f"names an envFile that cannot be read ({reason}): {visible(str(path))}") from None
    values: dict[str, str] = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _prompt_reason(prompt: str) -> str:
    """Why an entry that asks for `${input:...}` cannot start, after its name or "it"."""
    return (f"asks for ${{{visible(prompt)}}}, a VS Code prompt policytui cannot answer; "
            "put the value in an environment variable and write ${env:NAME} instead")


def _missing_message(label: str, missing: MissingVariable) -> str:
    if missing.reason == "input":
        return f"{label} {_prompt_reason(missing.name)}."
    if missing.reason == "invalid":
        return f"{label} has a reference ${{{visible(missing.name)}}} that is not a variable name."
    return (
        f"{label} uses {visible(missing.written)}, but {missing.name} is not set in your environment; "
        f"set it (export {missing.name}=...) and try again."
    )


@dataclass
class ServerRow:
    """One name found somewhere, as `policytui servers` shows it: keys only, never values."""

    name: str
    origin: str
    path: str
    transport: str
    target: str
    env_keys: list[str] = field(default_factory=list)
    header_keys: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)  # variables it refers to
    missing: list[str] = field(default_factory=list)  # ...of which these are not set
    status: str = "active"  # active | shadowed | disabled | broken
    note: str = ""
    project: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status,
            "origin": self.origin,
            "path": self.path,
            "transport": self.transport,
            "target": self.target,
            "envKeys": self.env_keys,
            "headerKeys": self.header_keys,
            "needsVariables": self.needs,
            "missingVariables": self.missing,
            "note": self.note,
            "project": self.project,
        }


def find_servers(
    cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[list[ServerRow], ConfigScan]:
    """Every server name found, in resolution order, with the catalogue last."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    scan = scan_configs(cwd, environ)
    rows: list[ServerRow] = []
    winner: dict[str, str] = {}
    for entry in scan.entries:
        row = _row_for_entry(entry, cwd, environ)
        if entry.name in winner:
            row.status, row.note = "shadowed", f"overridden by {winner[entry.name]}"
        else:
            winner[entry.name] = entry.origin
        rows.append(row)
    for name, item in CATALOGUE.items():
        spec = catalogue_spec(name, environ)
        assert spec is not None
        row = ServerRow(
            name=name,
            origin="built-in catalogue",
            path="",
            transport="stdio",
            target=spec.command_line(),
            env_keys=sorted(item.passthrough_env),
            note=f"offline snapshot: {item.snapshot_label}",
        )
        if name in winner:
            row.status, row.note = "shadowed", f"overridden by {winner[name]}"
        rows.append(row)
    return rows, scan


def _row_for_entry(entry: ConfigEntry, cwd: Path, environ: Mapping[str, str]) -> ServerRow:
    raw = entry.raw
    row = ServerRow(
        name=entry.name,
        origin=entry.source.label,
        path=str(entry.source.path),
        transport="?",
        target="",
        project=entry.source.project,
    )
    if entry.problem:
        row.status, row.note = "broken", entry.problem
        return row
    texts: list[str] = []
    if isinstance(raw.get("command"), str) and raw["command"].strip():
        args = [str(a) for a in raw.get("args", [])]
        row.transport = "stdio"
        row.target = " ".join([raw["command"].strip(), *mask_arguments(args)])
        texts += [
            raw["command"],
            *args,
            *map(str, raw.get("env", {}).values()),
            str(raw.get("cwd", "")),
        ]
        row.env_keys = sorted(map(str, raw.get("env", {})))
    else:
        url = str(raw.get("url", raw.get("serverUrl")))
        kind = str(raw.get("type") or raw.get("transport") or "").lower()
        sse = kind == "sse" or (not kind and path_ends_in_sse(url))
        row.transport = "sse" if sse else "http"
        row.target = safe_url(url)
        texts += [url, *map(str, raw.get("headers", {}).values())]
        row.header_keys = sorted(map(str, raw.get("headers", {})))
    env_file = raw.get("envFile") if row.transport == "stdio" else None
    texts += [env_file] if isinstance(env_file, str) else []
    row.needs = sorted({name for text in texts for name in references(text)})
    row.missing = [name for name in row.needs if name not in environ]
    asked = [prompt for text in texts for prompt in prompts(text)]
    if asked:  # nobody can answer it: not "needs", which an `export` fixes
        problem: str | None = "it " + _prompt_reason(asked[0])
    elif row.missing:
        problem = None
    elif row.transport == "stdio":
        problem = _env_file_problem(entry, cwd, environ)
    else:
        problem = _url_entry_problem(entry, cwd, environ)
    # A credential the entry gives its server (an env value, a header, one filled in from a
    # variable) is starred where its command or URL repeats it (a key in the args or the path).
    row.target = str(without_secrets(row.target, _entry_credentials(entry, cwd, environ)))
    if problem is not None:
        # Nobody can connect to it, so it must not read as usable; said as `tools NAME` says it.
        row.status, row.note = "broken", problem[0].lower() + problem[1:].rstrip(".")
    elif entry.disabled:
        row.status, row.note = "disabled", "marked disabled in its config"
    elif row.missing:
        row.note = "needs " + ", ".join(row.missing) + " (not set)"
    return row


def _entry_credentials(entry: ConfigEntry, cwd: Path, environ: Mapping[str, str]) -> list[str]:
    """The credentials an entry gives its server (`ServerSpec.credentials`), filled in as `tools
    NAME` fills them in; for an entry that cannot be filled in (a variable not set, an envFile
    not there), those it writes out."""
    try:
        return spec_from_entry(entry, cwd, environ).credentials()
    except DiscoveryError:
        pass
    raw = entry.raw

    def written(values: object) -> dict[str, str]:
        items = values.items() if isinstance(values, dict) else ()
        return {str(k): str(v) for k, v in items if v is not None and "${" not in str(v)}

    args = raw.get("args")
    return ServerSpec(
        name=entry.name, transport="stdio",
        args=[str(a) for a in args if "${" not in str(a)] if isinstance(args, list) else [],
        env=written(raw.get("env")), headers=written(raw.get("headers")),
    ).credentials()


def _env_file_problem(entry: ConfigEntry, cwd: Path, environ: Mapping[str, str]) -> str | None:
    """Why a stdio entry's envFile keeps it from starting (it cannot be read), as
    `spec_from_entry` refuses it; None when it has none or it can be read."""
    env_file = entry.raw.get("envFile")
    if not isinstance(env_file, str) or not env_file:
        return None
    root = project_root(cwd, environ) or cwd
    expansion = Expansion(environ, home=str(home_dir(environ)), workspace=str(root))
    try:
        _read_env_file(_entry_path(env_file, entry, expansion, root))
    except MissingVariable:  # said as what the entry needs
        return None
    except _UnreadableEnvFile as error:
        return f"it {error}"
    return None


def _url_entry_problem(entry: ConfigEntry, cwd: Path, environ: Mapping[str, str]) -> str | None:
    """Why the URL entry cannot be connected to (a type policytui does not speak, a URL that
    cannot be read, not http(s), a bad port), as `spec_from_entry` refuses it; None when it can."""
    raw = entry.raw
    written = str(raw.get("url", raw.get("serverUrl")))
    kind = str(raw.get("type") or raw.get("transport") or "").lower()
    if kind and kind not in _SSE_TYPES | _HTTP_TYPES:
        return f"its type is {visible(kind)!r}; {_KNOWN_TYPES}"
    root = project_root(cwd, environ) or cwd
    try:
        url = Expansion(environ, home=str(home_dir(environ)), workspace=str(root)).expand(written)
    except MissingVariable:  # `${input:...}`: said when the entry is used
        return None
    return _url_problem(url, written)
