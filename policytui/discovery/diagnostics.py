"""What a connection attempt saw, kept so a failure can be explained in one sentence."""

from __future__ import annotations

import fcntl
import os
import tempfile
from dataclasses import dataclass, field
from typing import IO

from policytui.discovery.spec import ServerSpec
from policytui.textsafe import visible

# Above this the stderr file is cut back to its tail, so a chatty long-lived server (behind the
# gateway) cannot fill the disk.
_STDERR_MAX_BYTES = 4 * 1024 * 1024
_STDERR_KEEP_BYTES = 64 * 1024


@dataclass
class HttpAnswer:
    method: str
    url: str
    status: int
    reason: str
    content_type: str
    authenticate: bool  # the server sent WWW-Authenticate
    location: str = ""  # where a redirect said to go, as the server wrote it


@dataclass
class Diagnostics:
    spec: ServerSpec
    stage: str = "starting"  # starting | initialize | tools/list | connected
    pid: int | None = None
    returncode: int | None = None
    stdout_closed: bool = False
    garbage: list[str] = field(default_factory=list)
    garbage_count: int = 0
    http_errors: list[HttpAnswer] = field(default_factory=list)
    stderr_file: IO[bytes] | None = None
    # tools/list pages answered so far, and the tools on them (a server may die while paging)
    pages: int = 0
    tools_listed: int = 0
    # What the server sent that was refused unread ("sent a message larger than 64 MiB (the
    # limit)"), when it did; its stage is the one it was refused in.
    too_large: str = ""
    too_large_stage: str = ""

    def open_stderr_file(self) -> IO[bytes]:
        """A real, already-unlinked file for the server's stderr (a pipe could block it)."""
        # Lives as long as the connection; close() ends it.
        handle = tempfile.TemporaryFile(prefix="policytui-stderr-")  # noqa: SIM115
        # O_APPEND lets us cut the file back while the server keeps writing through its own
        # copy of the descriptor.
        flags = fcntl.fcntl(handle.fileno(), fcntl.F_GETFL)
        fcntl.fcntl(handle.fileno(), fcntl.F_SETFL, flags | os.O_APPEND)
        self.stderr_file = handle
        return handle

    def note_garbage(self, line: bytes) -> None:
        self.garbage_count += 1
        if len(self.garbage) < 3:
            from policytui.redaction import without_credential_lines

            text = without_credential_lines(line.decode("utf-8", "replace").strip())
            self.garbage.append(text[:160] + ("…" if len(text) > 160 else ""))

    def note_too_large(self, words: str) -> None:
        if not self.too_large:
            self.too_large, self.too_large_stage = words, self.stage

    def note_http(self, answer: HttpAnswer) -> None:
        if len(self.http_errors) < 10:
            self.http_errors.append(answer)

    def garbage_note(self) -> str:
        """"; it wrote text that is not MCP on stdout (...)" when it did, else ""."""
        if not self.garbage:
            return ""
        sample = visible(self.garbage[0])
        note = f"; it wrote text that is not MCP on stdout ({counted(self.garbage_count, 'line')}, first: {sample!r})"
        lowered = " ".join(self.garbage).lower()
        if "http://" in lowered or "https://" in lowered or "listening" in lowered or "port" in lowered:
            note += ", as an HTTP server would: connect to its URL instead"
        return note

    def closed_sentence(self, who: str, stage: str) -> str:
        """The sentence for a server that went away before finishing `stage`."""
        when = f"before answering {stage}"
        if self.stage == "tools/list" and self.pages:
            when = (f"while paging through tools/list (after {counted(self.pages, 'page')}, "
                    f"{counted(self.tools_listed, 'tool')})")
        if self.spec.transport != "stdio":
            return f"{self.spec.safe_url()} closed the connection {when}."
        code = self.returncode
        if code is None:
            what = f"closed its stdout {when}"
        elif code < 0:
            what = f"was killed by signal {-code} {when}"
        else:
            what = f"exited with code {code} {when}"
        return f"{who} {what}{self.garbage_note()}."

    def stderr_tail(self, max_lines: int = 12, max_bytes: int = 8192) -> str:
        """The last lines of the server's stderr, secrets removed (the server's own, and each line
        that holds a credential: `without_credential_lines`) and control characters shown."""
        if self.stderr_file is None or self.stderr_file.closed:
            return ""
        fd = self.stderr_file.fileno()
        size = os.fstat(fd).st_size
        start = max(0, size - max_bytes)
        # pread: the server shares this descriptor's offset; seeking would move its writes.
        data = os.pread(fd, size - start, start)
        from policytui.redaction import without_credential_lines

        text = without_credential_lines(self.spec.redact(data.decode("utf-8", "replace")))
        lines = [visible(line.rstrip()) for line in text.splitlines() if line.strip()]
        if start > 0 and lines and os.pread(fd, 1, start - 1) != b"\n":
            # The first line is cut. Left out, unless it is all there is (one huge last line):
            # then its end is shown, marked as cut, rather than nothing at all. Only the end of
            # a long line: its cut-off start might hold part of a secret the redaction missed.
            huge_line = len(lines) == 1 and len(lines[0]) >= 1000
            lines = ["…" + lines[0][-299:]] if huge_line else lines[1:]
        lines = lines[-max_lines:]
        return "\n".join(line[:300] for line in lines)

    def trim_stderr(self) -> None:
        if self.stderr_file is None or self.stderr_file.closed:
            return
        fd = self.stderr_file.fileno()
        size = os.fstat(fd).st_size
        if size <= _STDERR_MAX_BYTES:
            return
        tail = os.pread(fd, _STDERR_KEEP_BYTES, size - _STDERR_KEEP_BYTES)
        os.ftruncate(fd, 0)
        os.write(fd, tail)

    def close(self) -> None:
        if self.stderr_file is not None:
            self.stderr_file.close()


def counted(number: int, noun: str) -> str:
    """`number` with `noun`, plural unless it is one: "1 page", "2 pages", "0 tools"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
