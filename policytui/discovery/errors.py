"""The one error type of discovery (a clear sentence, plus what the server last said), and
what a request whose message the server refused (or did not answer) is answered with."""

from __future__ import annotations

from dataclasses import dataclass


class DiscoveryError(Exception):
    """Finding, starting or listing a server failed.

    `str(error)` is one sentence a user can act on. `stderr_tail` holds the last lines the
    server wrote on its stderr (secrets removed, control characters made visible), which is
    usually the real reason a server died; `report()` joins the two for a terminal.
    """

    def __init__(self, message: str, *, stderr_tail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.stderr_tail = stderr_tail

    def __str__(self) -> str:
        return self.message

    def report(self) -> str:
        """The sentence followed by the server's last stderr lines, if any, each marked `  | `.

        The gateway writes this to standard error, where its log and `--audit -` records go
        too: marked as the server's, no line the server wrote can pass for one of them (the
        gateway's log quotes a server that dies while serving the same way). Every command
        reports a failed start in this one form."""
        if not self.stderr_tail:
            return self.message
        return f"{self.message}\n{stderr_report(self.stderr_tail)}"


def stderr_report(stderr_tail: str) -> str:
    """A server's last stderr lines as every command prints them: a heading, then each line
    marked `  | `, so that nothing the server wrote can pass for a line of policytui's own."""
    lines = "\n".join("  | " + line for line in stderr_tail.splitlines())
    return f"Last lines the server wrote to stderr:\n{lines}"


class SnapshotFileError(DiscoveryError):
    """The `--from` file cannot be used (missing, a folder, unreadable, not a list of tools).

    A file named on the command line that is not what it should be is a wrong command line
    (exit 2), as a `--tools` file or a recording is, not a server that failed (exit 1)."""


class ListingCancelled(Exception):
    """The listing was cancelled (the user quit); the server process has been killed."""

    def __init__(self) -> None:
        super().__init__("Listing the server's tools was cancelled.")


@dataclass(frozen=True)
class RefusedPost:
    """Why an HTTP transport could not deliver a request, or get its answer: the `data` of the
    error that answers it (`policytui.discovery.http`). Only this process makes one (the data
    of a server's own error is JSON), so no server can pass an error of its own for this.

    `status` is the HTTP status the server refused the message with (it did not take it), or
    None when the connection failed before the server answered (`detail` says how; the server
    may have taken the message). `timed_out`: the server took the connection and did not
    answer in time (it may be running the tool). `session_ended`: a Streamable HTTP server
    answered 404 to a request of the session, which it no longer knows. `unreadable`: the
    server took the request and answered something that is not a JSON-RPC message (or no answer:
    a 202, say). `maybe_taken`: the server took the message, or may have (a connection that
    closed once the request was sent, an answer cut short, a 5xx status other than 501 and 503,
    which a server or a proxy in front of it may give after the tool ran), so the tool may
    have run: the call keeps its charge."""

    status: int | None
    detail: str
    timed_out: bool = False
    session_ended: bool = False
    unreadable: bool = False
    maybe_taken: bool = False


@dataclass(frozen=True)
class InvalidAnswer:
    """The `data` of the error that answers a request whose answer came from a server reached
    by URL but is not one the protocol allows: `"result": 5` on a legacy SSE event stream (the
    MCP SDK drops such an event, and the request would wait for its time-out), or a result
    beside an error (which the SDK reads as the error alone, refunded). The server answered, so
    its tool ran.
    Only this process makes one, so no server can pass an error of its own for this."""

    detail: str = "an invalid result"
