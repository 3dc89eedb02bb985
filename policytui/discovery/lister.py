"""Where a target's tools come from: the one place that decides.

A snapshot file is read; `--offline` reads the built-in catalogue snapshot; otherwise the live
server is asked, and a catalogue server that cannot run (no Docker, no token) falls back to
its built-in snapshot, marked offline with the reason. The CLI commands, the editor and the
gateway all list through `start_listing` / `list_target`, so they all decide alike.

A stdio server is started the moment `start_listing` is called and spoken to in raw JSON-RPC
(`stdio_listing`), so callers start it before loading anything heavy. HTTP and SSE servers go
through the MCP SDK (`connect.open_connection`). Either can be cancelled from any thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from policytui.discovery.errors import DiscoveryError, ListingCancelled, SnapshotFileError
from policytui.discovery.spec import ServerSpec

if TYPE_CHECKING:
    from policytui.discovery.stdio_listing import StdioListing
    from policytui.toolinfo import ServerListing

OFFLINE_ASKED = "--offline asked for the recorded snapshot."


def start_listing(spec: ServerSpec, *, offline: bool = False, timeout: float = 30.0) -> Lister:
    """Begin listing `spec`'s tools now (a stdio server is spawned at once); call the result
    to wait for the ServerListing."""
    lister = Lister(spec, offline=offline, timeout=timeout)
    lister.start()
    return lister


def list_target(spec: ServerSpec, *, offline: bool = False, timeout: float = 30.0) -> ServerListing:
    """The target's tools, waiting for them. Raises DiscoveryError whose str is one sentence."""
    return start_listing(spec, offline=offline, timeout=timeout)()


def has_offline_snapshot(spec: ServerSpec) -> bool:
    """Whether a recorded snapshot can stand in for this (live) target, when asked for."""
    if spec.transport == "snapshot":
        return False
    from policytui.discovery.catalogue import CATALOGUE

    return spec.fallback_snapshot is not None or spec.name in CATALOGUE


def with_catalogue_snapshot(spec: ServerSpec) -> ServerSpec:
    """A configured name that shadows a catalogue entry may still use its snapshot offline."""
    if spec.fallback_snapshot is None:
        from policytui.discovery.catalogue import CATALOGUE, snapshot_path

        entry = CATALOGUE.get(spec.name)
        if entry is not None:
            spec.fallback_snapshot = snapshot_path(entry)
            spec.fallback_label = entry.snapshot_label
    return spec


@dataclass
class Recording:
    """A listing's raw material exactly as the server (or the snapshot file) sent it."""

    initialize_result: dict[str, Any]
    raw_tools: list[Any]
    recorded_from: str | None = None  # the snapshot file it was read from, if any
    offline_reason: str | None = None  # set when a built-in snapshot stood in for the server

    @classmethod
    def of_document(
        cls, document: dict[str, Any], path: str, *, offline_reason: str | None = None
    ) -> Recording:
        keys = ("protocolVersion", "serverInfo", "capabilities", "instructions")
        init = {key: document[key] for key in keys if key in document}
        return cls(init, document["tools"], path, offline_reason)


class Lister:
    """A loader of one target's tools: `lister()` waits for them, `lister.cancel()` stops it.

    Calling it again after a failure tries again (a fresh server process). `cancel()` may be
    called from any thread at any time: the server's process group is killed at once and a
    waiting call raises ListingCancelled; later calls raise it too.
    """

    def __init__(self, spec: ServerSpec, *, offline: bool = False, timeout: float = 30.0) -> None:
        self.spec = spec
        self.offline = offline
        self.timeout = timeout
        self._attempt: StdioListing | None = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        # What the last successful call read, as sent (for `policytui snapshot`).
        self.recording: Recording | None = None

    @property
    def live(self) -> bool:
        """Whether this asks a running server (as opposed to reading a file)."""
        return self.spec.transport != "snapshot" and not self.offline

    @property
    def pid(self) -> int | None:
        """The stdio server being listed, while it runs."""
        attempt = self._attempt
        return attempt.pid if attempt is not None else None

    def start(self) -> None:
        """Spawn a stdio server now, unless an attempt is already under way."""
        if not self.live or self.spec.transport != "stdio":
            return
        with self._lock:
            if self._attempt is None and not self._cancelled.is_set():
                from policytui import __version__
                from policytui.discovery.stdio_listing import StdioListing

                attempt = StdioListing(self.spec, timeout=self.timeout, client_version=__version__)
                attempt.start()
                self._attempt = attempt

    def cancel(self) -> None:
        """Stop now: kill the server being listed; the waiting call raises ListingCancelled."""
        self._cancelled.set()
        with self._lock:
            attempt = self._attempt
        if attempt is not None:
            attempt.cancel()

    def __call__(self) -> ServerListing:
        if self._cancelled.is_set():
            raise ListingCancelled()
        spec = self.spec
        if spec.transport == "snapshot":
            from policytui.discovery.snapshot import read_snapshot_document, snapshot_listing

            assert spec.snapshot_path is not None
            try:
                document = read_snapshot_document(spec.snapshot_path)
            except DiscoveryError as error:
                raise SnapshotFileError(str(error)) from None
            self.recording = Recording.of_document(document, str(spec.snapshot_path))
            return snapshot_listing(document, spec.snapshot_path)
        if self.offline:
            # A copy: a configured name that shadows a catalogue entry gets the entry's
            # snapshot only when asked, never as a silent stand-in for its live server.
            return self._offline(with_catalogue_snapshot(replace(spec)), OFFLINE_ASKED)
        try:
            return self._live()
        except DiscoveryError as error:
            if spec.fallback_snapshot is None or self._cancelled.is_set():
                raise
            return self._offline(spec, offline_reason(error, spec))

    def _offline(self, spec: ServerSpec, reason: str) -> ServerListing:
        from policytui.discovery.snapshot import offline_listing, read_snapshot_document

        if spec.fallback_snapshot is None:
            return offline_listing(spec, reason=reason)  # raises, saying how to record one
        document = read_snapshot_document(spec.fallback_snapshot)
        self.recording = Recording.of_document(
            document, str(spec.fallback_snapshot), offline_reason=reason
        )
        return offline_listing(spec, reason=reason, document=document)

    def _live(self) -> ServerListing:
        if self.spec.transport == "stdio":
            self.start()
            attempt = self._attempt
            if attempt is None:  # cancelled before it started
                raise ListingCancelled()
            try:
                listing = attempt.result()
                self.recording = Recording(attempt.initialize_result, attempt.raw_tools)
                return listing
            finally:
                with self._lock:
                    if self._attempt is attempt:
                        self._attempt = None  # the next call starts afresh
        return self._live_over_sdk()

    def _live_over_sdk(self) -> ServerListing:
        """HTTP and SSE: the SDK's transports, in an event loop of this thread."""
        import anyio

        from policytui.discovery.connect import LIST_CLOSE_GRACE, open_connection

        found: list[ServerListing] = []

        async def listing() -> None:
            async with anyio.create_task_group() as tg:

                async def watch_cancel() -> None:
                    while not self._cancelled.is_set():
                        await anyio.sleep(0.05)
                    tg.cancel_scope.cancel()

                tg.start_soon(watch_cancel)
                async with open_connection(
                    self.spec, timeout=self.timeout, close_grace=LIST_CLOSE_GRACE
                ) as connection:
                    found.append(connection.listing)
                    self.recording = Recording(connection.initialize_result, connection.raw_tools)
                tg.cancel_scope.cancel()

        try:
            anyio.run(listing)
        except BaseExceptionGroup as group:  # the cancel watcher's task group wraps errors
            from policytui.discovery.explain import flatten

            for leaf in flatten(group):
                if isinstance(leaf, DiscoveryError):
                    raise leaf from None
            raise
        if not found:
            raise ListingCancelled()
        return found[0]


def offline_reason(error: DiscoveryError, spec: ServerSpec) -> str:
    """Why the live server could not be used, in words for the offline banner."""
    tail = error.stderr_tail
    if spec.command == "docker":
        if "not found on PATH" in error.message:
            return "Docker is not installed here ('docker' was not found on PATH)."
        lowered = tail.lower()
        # The daemon runs, but its socket refuses this user: "permission denied while trying to
        # connect to the Docker daemon socket at unix:///var/run/docker.sock". Saying Docker is
        # not running would send the user to start what already runs.
        if "permission denied" in lowered and "docker daemon" in lowered:
            return ("Docker is installed, but this user may not use its daemon (permission denied on its "
                    "socket): add the user to the docker group, or run with access to the socket.")
        if "docker daemon" in lowered:
            return "Docker is not running here (the docker command cannot reach a Docker daemon)."
    last = tail.splitlines()[-1].strip() if tail else ""
    return error.message + (f" Its last line on stderr: {last}" if last else "")
