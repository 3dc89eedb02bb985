"""Snapshot files: a server's identity and tools as sent, recorded for offline use.

`load_snapshot` reads policytui's own snapshots and also the plainer shapes people have at
hand: a `tools/list` result, a JSON-RPC response carrying one, a bare list of tools.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from policytui.discovery.errors import DiscoveryError
from policytui.discovery.listing import mark_duplicates
from policytui.discovery.spec import ServerSpec
from policytui.textsafe import visible
from policytui.toolinfo import ServerListing
from policytui.userfiles import read_user_file

SNAPSHOT_FORMAT = 1
SNAPSHOT_KEY = "policytuiSnapshot"


def read_snapshot_document(path: Path) -> dict[str, Any]:
    """The file's content normalised to a dict with a `tools` list. Raises DiscoveryError."""
    shown = visible(str(path))
    try:
        text = read_user_file(path).decode("utf-8")
    except FileNotFoundError:
        raise DiscoveryError(f"The snapshot file {shown} does not exist.") from None
    except IsADirectoryError:
        raise DiscoveryError(f"{shown} is a folder, not a snapshot file.") from None
    except UnicodeDecodeError:
        raise DiscoveryError(
            f"The snapshot file {shown} is not text (UTF-8); give a file written by `policytui snapshot`."
        ) from None
    except OSError as exc:
        reason = exc.strerror.lower() if exc.strerror else type(exc).__name__
        raise DiscoveryError(f"The snapshot file {shown} cannot be read ({reason}).") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiscoveryError(
            f"The snapshot file {shown} is not valid JSON (line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:  # json.loads gives up on arrays or objects nested thousands deep
        raise DiscoveryError(f"The snapshot file {shown} is nested too deeply to read.") from None
    except ValueError:  # an integer of thousands of digits, which Python refuses to convert
        raise DiscoveryError(f"The snapshot file {shown} holds a number too long to read.") from None
    if isinstance(data, list):
        data = {"tools": data}
    if isinstance(data, dict) and isinstance(data.get("result"), dict) and "tools" not in data:
        data = data["result"]  # a JSON-RPC response to tools/list
    if not isinstance(data, dict) or not isinstance(data.get("tools"), list):
        raise DiscoveryError(
            f"The file {shown} has no list of tools; expected a file written by `policytui snapshot`."
        )
    return data


def load_snapshot(path: Path, *, default_name: str = "") -> ServerListing:
    """A ServerListing from a snapshot or fixture file (transport "snapshot")."""
    return snapshot_listing(read_snapshot_document(path), path, default_name=default_name)


def snapshot_server_name(data: dict[str, Any], path: Path, *, default_name: str = "") -> str:
    """The name of the server a snapshot recorded, as the editor's header shows it: the one it
    gave itself (serverInfo), else `default_name`, the file's `server`, the file's stem."""
    info = data.get("serverInfo", data.get("server_info"))
    info = info if isinstance(info, dict) else {}
    name = (
        info.get("name")
        or default_name
        or (data.get("server") if isinstance(data.get("server"), str) else "")
    )
    return str(name or path.stem)


def snapshot_listing(data: dict[str, Any], path: Path, *, default_name: str = "") -> ServerListing:
    """A ServerListing from a document `read_snapshot_document` returned."""
    info = data.get("serverInfo", data.get("server_info"))
    info = info if isinstance(info, dict) else {}
    instructions = data.get("instructions")
    listing = ServerListing.from_tool_dicts(
        data["tools"],
        server_name=snapshot_server_name(data, path, default_name=default_name),
        server_version=str(info.get("version") or ""),
        instructions=instructions if isinstance(instructions, str) else "",
        transport="snapshot",
        source=str(path),
    )
    mark_duplicates(listing)
    return listing


def snapshot_document(
    spec: ServerSpec,
    *,
    tools: list[Any],
    initialize_result: dict[str, Any] | None = None,
    recorded_from: str | None = None,
    offline_reason: str | None = None,
    server_name: str = "",
) -> dict[str, Any]:
    """The JSON document `policytui snapshot` writes. Holds no env or header values.

    `offline_reason` marks a document copied from the built-in snapshot instead of the live
    server (and why); `recorded_from` names that file. `server_name` is written as `server`
    when the document holds no `serverInfo` to name the server by.
    """
    init = initialize_result or {}
    source: dict[str, Any] = {"transport": spec.transport}
    if spec.transport == "stdio":
        source["command"] = spec.command_line()
        if spec.env:
            source["envKeys"] = spec.env_keys
    elif spec.transport in ("http", "sse"):
        source["url"] = spec.safe_url()
        if spec.headers:
            source["headerKeys"] = spec.header_keys
    else:
        source["file"] = recorded_from or str(spec.snapshot_path)
    if offline_reason is not None:
        source["offline"] = offline_reason
        source["file"] = recorded_from or str(spec.fallback_snapshot)
    doc: dict[str, Any] = {
        SNAPSHOT_KEY: SNAPSHOT_FORMAT,
        "recordedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source,
    }
    for key in ("protocolVersion", "serverInfo", "capabilities", "instructions"):
        if key in init:
            doc[key] = init[key]
    if "serverInfo" not in doc and server_name:
        # No initialize answer (the built-in snapshot stood in, or a file without one): without
        # the name, `--from` would call the server after the file, and a replay would not find
        # its calls.
        doc["server"] = server_name
    doc["tools"] = tools
    return doc


def dump_snapshot(document: dict[str, Any], spec: ServerSpec) -> str:
    """Serialise, then make sure no secret of `spec` made it into the text (a server could echo one)."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    redacted = spec.redact(text)
    if redacted != text:
        # A server put one of the user's secrets into its own metadata; keep it out of the file.
        text = redacted
    return text


def write_snapshot(path: Path, text: str, *, force: bool = False) -> None:
    """Write atomically; an existing file is replaced only with `force`.

    Raises OutputFileExists (a subclass of OutputFileError) when `path` exists and `force` is
    false, OutputFileError when the file cannot be written; either way no file is changed.
    """
    from policytui.output_file import write_text_atomic

    write_text_atomic(path, text, replace=force)


def offline_listing(
    spec: ServerSpec, *, reason: str, document: dict[str, Any] | None = None
) -> ServerListing:
    """The catalogue snapshot standing in for `spec`, marked offline with `reason`.

    `document` is the snapshot file's content when the caller has already read it.
    """
    if spec.fallback_snapshot is None:
        raise DiscoveryError(
            f"There is no offline snapshot of {spec.name!r}; record one with "
            f"`policytui snapshot {spec.name} -o FILE` and open it with --from FILE."
        )
    if document is None:
        document = read_snapshot_document(spec.fallback_snapshot)
    listing = snapshot_listing(document, spec.fallback_snapshot, default_name=spec.name)
    listing.offline_reason = reason
    listing.source = f"built-in snapshot of {spec.fallback_label}"
    return listing
