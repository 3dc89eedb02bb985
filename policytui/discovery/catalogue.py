"""Servers policytui knows by name without any config, and their offline snapshots.

A catalogue entry says how that server's own users start it. Its tools were recorded from the
real server and ship with policytui, so `policytui connect kestra` opens even where the server
cannot run (no Docker, no network): the listing is then marked as an offline snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from policytui.discovery.spec import ServerSpec

# Environment the Docker CLI itself needs to find its daemon; passed through when set.
DOCKER_ENV = (
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
)


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    title: str
    command: str
    args: tuple[str, ...]
    # Variables passed from the user's environment to the server process when they are set.
    passthrough_env: tuple[str, ...]
    snapshot: str  # file name under policytui/discovery/snapshots/
    snapshot_label: str
    homepage: str


KESTRA_ENV = (
    "KESTRA_BASE_URL",
    "KESTRA_API_TOKEN",
    "KESTRA_TENANT_ID",
    "KESTRA_USERNAME",
    "KESTRA_PASSWORD",
    "KESTRA_MCP_DISABLED_TOOLS",
)

CATALOGUE: dict[str, CatalogueEntry] = {
    "kestra": CatalogueEntry(
        name="kestra",
        title="Kestra",
        command="docker",
        # The command Kestra's README gives MCP clients: `-e NAME` without a value makes Docker
        # copy NAME from its own environment, which is why the variables are passed through.
        args=(
            "run",
            "-i",
            "--rm",
            *(part for name in KESTRA_ENV for part in ("-e", name)),
            "ghcr.io/kestra-io/mcp-server-python:latest",
        ),
        passthrough_env=KESTRA_ENV + ("KESTRA_MCP_LOG_LEVEL",) + DOCKER_ENV,
        snapshot="kestra.json",
        snapshot_label="kestra-io/mcp-server-python at commit 14fe3a3, 39 tools",
        homepage="https://github.com/kestra-io/mcp-server-python",
    ),
}


def snapshot_path(entry: CatalogueEntry) -> Path:
    """The shipped snapshot file of a catalogue entry."""
    return Path(str(resources.files("policytui.discovery") / "snapshots" / entry.snapshot))


def catalogue_spec(name: str, environ: Mapping[str, str]) -> ServerSpec | None:
    """The spec for a catalogue name, with the user's matching variables passed through."""
    entry = CATALOGUE.get(name)
    if entry is None:
        return None
    env = {key: environ[key] for key in entry.passthrough_env if environ.get(key) is not None}
    return ServerSpec(
        name=entry.name,
        transport="stdio",
        command=entry.command,
        args=list(entry.args),
        env=env,
        origin="built-in catalogue",
        fallback_snapshot=snapshot_path(entry),
        fallback_label=entry.snapshot_label,
    )
