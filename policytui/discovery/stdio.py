"""The stdio transport: a server as a child process speaking JSON-RPC lines.

policytui runs its own instead of the SDK's `stdio_client` for three reasons: it knows the
child's pid (to stop its whole process group at once when a start-up fails or times out,
instead of waiting out a polite shutdown), it keeps the lines that are not MCP (to say "this
server printed X on stdout" instead of timing out silently), and it notices a server that
exited while a descendant still holds its stdout open.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
import anyio.abc

from policytui.discovery.diagnostics import Diagnostics
from policytui.discovery.limits import MAX_SERVER_MESSAGE_BYTES, too_large_words
from policytui.discovery.spawn import (
    check_can_spawn,
    child_environment,
    group_alive,
    not_found_message,
    signal_group,
    spawn_error,
)

# After stdin closes, how long a server may take to exit on its own (the SDK waits as long).
GRACEFUL_EXIT_SECONDS = 2.0
# After SIGTERM to the process group, how long before SIGKILL.
TERM_GRACE_SECONDS = 1.0
_POLL_SECONDS = 0.02

if TYPE_CHECKING:
    # The SDK loads in `stdio_transport`, which uses it: the gateway takes only `stop_process`
    # from here, and must not pay for the SDK on every start (see policytui.gateway.upstream_common).
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
    from mcp.shared.message import SessionMessage

    Streams = tuple[
        MemoryObjectReceiveStream[SessionMessage | Exception], MemoryObjectSendStream[SessionMessage]
    ]


@asynccontextmanager
async def stdio_transport(
    diag: Diagnostics,
    *,
    close_grace: float = GRACEFUL_EXIT_SECONDS,
    max_message: int = MAX_SERVER_MESSAGE_BYTES,
) -> AsyncIterator[Streams]:
    """Spawn the server in its own process group; yield the message streams; stop it fully.
    A line longer than `max_message` ends the reads (noted in `diag`) and the server with them."""
    import mcp_types as types
    from mcp.shared.message import SessionMessage

    spec = diag.spec
    assert spec.command is not None
    env = child_environment(spec.env)
    check_can_spawn(spec.command, spec.cwd, env, diag)
    errlog = diag.open_stderr_file()
    try:
        process = await anyio.open_process(
            [spec.command, *spec.args],
            env=env,
            cwd=spec.cwd,
            stderr=errlog,
            start_new_session=True,
        )
    except OSError as exc:
        raise spawn_error(spec.command, exc, diag) from None
    diag.pid = process.pid

    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)

    async def deliver(line: bytes) -> None:
        line = line.strip()
        if not line:
            return
        try:
            message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
        except ValueError:
            # Banners and log lines on stdout: real servers do this; skip, but remember them.
            diag.note_garbage(line)
            return
        await read_writer.send(SessionMessage(message))

    async def read_stdout() -> None:
        assert process.stdout is not None
        pending: list[bytes] = []
        size = 0  # of the line under way, in `pending`
        try:
            async with read_writer:
                async for chunk in process.stdout:
                    end = chunk.find(b"\n")
                    if size + (end if end >= 0 else len(chunk)) > max_message:
                        # The session's reads end here, and the failure is explained from the
                        # note (`explain`). What follows is read and dropped until the server
                        # is stopped, so that its pipe ends as it would otherwise.
                        diag.note_too_large(too_large_words(max_message))
                        await read_writer.aclose()
                        async for _ in process.stdout:
                            pass
                        return
                    if end < 0:
                        pending.append(chunk)
                        size += len(chunk)
                        continue
                    pending.append(chunk)
                    *lines, rest = b"".join(pending).split(b"\n")
                    pending = [rest] if rest else []
                    size = len(rest)
                    for line in lines:
                        await deliver(line)
                if pending:
                    await deliver(b"".join(pending))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError):
            pass
        finally:
            diag.stdout_closed = True

    async def write_stdin() -> None:
        assert process.stdin is not None
        try:
            async with write_reader:
                async for session_message in write_reader:
                    data = session_message.message.model_dump_json(
                        by_alias=True, exclude_unset=True
                    )
                    await process.stdin.send(data.encode("utf-8") + b"\n")
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            # The server stopped reading (it died): end the session's reads so no request waits.
            await read_writer.aclose()

    async def watch_exit() -> None:
        tick = 0
        while process.returncode is None:
            await anyio.sleep(_POLL_SECONDS)
            tick += 1
            if tick % 100 == 0:
                diag.trim_stderr()
        diag.returncode = process.returncode
        # A descendant may keep stdout open after the server died; give the reader a moment to
        # pass on what was written, then end the session's reads ourselves.
        await anyio.sleep(0.2)
        await read_writer.aclose()

    failed = False
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(read_stdout)
            tg.start_soon(write_stdin)
            tg.start_soon(watch_exit)
            try:
                yield read_stream, write_stream
            except BaseException:
                failed = True
                raise
            finally:
                with anyio.CancelScope(shield=True):
                    if diag.stdout_closed and process.returncode is None:
                        await _wait_exit(process, 0.5)  # it is on its way out: let it say how
                    if process.returncode is not None:
                        diag.returncode = process.returncode  # exited on its own, not by our signal
                    await stop_process(process, graceful=not failed, grace=close_grace)
                    for stream in (read_stream, write_stream):
                        await stream.aclose()
                tg.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            await stop_process(process, graceful=False)


async def stop_process(
    process: anyio.abc.Process, *, graceful: bool, grace: float = GRACEFUL_EXIT_SECONDS,
    hurry: anyio.Event | None = None,
) -> None:
    """Stop the server and everything it started, then reap it. Never waits unbounded. Once
    `hurry` is set (a second stop signal), the server is no longer waited for to exit on its
    own: it gets SIGTERM at once."""
    if graceful and process.returncode is None:
        try:
            if process.stdin is not None:
                await process.stdin.aclose()
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        await _wait_exit(process, grace, hurry)
    # Even a server that exited may have left children in its group: stop those too.
    signalled = signal_group(process.pid, signal.SIGTERM)
    if signalled and not await _wait_group_gone(process, TERM_GRACE_SECONDS):
        signal_group(process.pid, signal.SIGKILL)
        await _wait_group_gone(process, TERM_GRACE_SECONDS)
    await _wait_exit(process, TERM_GRACE_SECONDS)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            try:
                await stream.aclose()
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass


async def _wait_exit(process: anyio.abc.Process, seconds: float, hurry: anyio.Event | None = None) -> bool:
    # Polls returncode: `process.wait()` would also wait for the pipes, which a surviving
    # descendant can hold open.
    with anyio.move_on_after(seconds):
        while process.returncode is None and not (hurry is not None and hurry.is_set()):
            await anyio.sleep(_POLL_SECONDS)
    return process.returncode is not None


async def _wait_group_gone(process: anyio.abc.Process, seconds: float) -> bool:
    with anyio.move_on_after(seconds):
        while True:
            if process.returncode is not None and not group_alive(process.pid):
                return True
            await anyio.sleep(_POLL_SECONDS)
    return False


# Also used from here by the gateway's stdio upstream.
__all__ = [
    "check_can_spawn",
    "child_environment",
    "not_found_message",
    "stdio_transport",
    "stop_process",
]
