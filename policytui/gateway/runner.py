"""Starting and running a gateway: policy, upstream connection, then stdio or HTTP serving."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import logging.handlers
import math
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

from policytui.descriptors import unproven_limit
from policytui.gateway.approvals import ApprovalQueue
from policytui.gateway.approver import Approver
from policytui.gateway.audit import AuditLog
from policytui.gateway.enforcer import Enforcer
from policytui.gateway.policy_watch import PolicyWatcher
from policytui.gateway.server import MAX_IN_PROGRESS, Gateway, Identity
from policytui.gateway.startup_gc import CollectAfterStart
from policytui.gateway.state import ensure_private_dir
from policytui.gateway.unknown import UnknownTools
from policytui.gateway.upstream_common import Connect, refusal_when_down
from policytui.policy.model import Policy

log = logging.getLogger("policytui.gateway")

# How long calls in progress over HTTP may go on once the gateway is stopped (a signal), before
# they are cancelled; a second signal ends the grace at once. Short: a service manager waits
# only so long (Docker 10 s) before it kills, and the server behind must be stopped within that.
STOP_GRACE_SECONDS = 3.0
# How much longer the HTTP server waits for connections after the grace before it cancels what is
# left (a client that does not read its answer): the stop is bounded whatever clients do.
STOP_BACKSTOP_SECONDS = 2.0
# Over HTTP a further signal cancels the calls in progress at once; their answers have this long
# to reach their clients before every connection still open (a client that does not read its
# answer) is cut, instead of the HTTP server's wait of up to STOP_BACKSTOP_SECONDS more.
FURTHER_SIGNAL_SECONDS = 1.0
# Over stdio a signal cancels the calls in progress at once; this bounds how long the calls
# withdrawn from approval take to answer, and then the answers take to reach the client's pipe
# (a client that reads nothing any more does not keep the gateway from exiting).
STDIO_STOP_SECONDS = 1.0
# Over stdio a signal ends the process without waiting for the threads reading a terminal or a
# file; what the gateway opened (the state store giving back the calls it leased, the audit log)
# is closed first, for at most this long. An SQLite store waits 1 s for a file locked elsewhere
# (CLOSING_PATIENCE) and a Redis store closes its sockets without a round trip; this bounds
# whatever else could hang (a file system that stopped answering), so the exit never does.
STDIO_CLOSE_SECONDS = 2.0
# The exit code of a gateway whose state store did not close within STDIO_CLOSE_SECONDS.
CLOSE_FAILED_EXIT = 1
# The exit code of an HTTP gateway whose server is gone for good while serving: a failure, so a
# supervisor that restarts failed services restarts it (and the server with it).
SERVER_GONE_EXIT = 1


@dataclass
class GatewayConfig:
    """Everything `policytui gateway` was told. Paths are final (defaults already applied)."""

    policy_path: Path
    state_dir: Path
    server_name: str = ""
    audit: Path | str | None = None  # a file, "-" for standard error, None for no audit log
    listen: tuple[str, int] | None = None  # None: serve on stdin/stdout
    # Over HTTP: the sockets already listening on `listen` (taken before anything started, so
    # a port in use is said first); None: the HTTP server opens them itself.
    listen_sockets: list[Any] | None = field(default=None, repr=False)
    tokens: dict[str, str] | None = field(default=None, repr=False)
    grant: str = "default"
    approval_timeout: float = 120.0
    approval_mode: str = "auto"
    dry_run: bool = False
    reload_interval: float = 1.0
    # How long the server's start may take (--timeout): its initialize and each listing of its
    # tools at start. `call_timeout` (--call-timeout) bounds each request once serving begins.
    start_timeout: float = 30.0
    call_timeout: float | None = None
    # Over HTTP: how long a client may take to send a request's head, and its body.
    client_timeout: float = 10.0
    # Requests one client (a stdio client, an HTTP session) may have in progress at once.
    max_in_progress: int = MAX_IN_PROGRESS
    # The opened state store (counters, held calls); None: SQLite in state_dir.
    store: Any = field(default=None, repr=False)
    state_fail_open: bool = False
    record: Path | None = None  # gateway --record: calls with arguments, for `policytui replay`
    record_secrets: tuple[str, ...] = field(default=(), repr=False)  # values redacted from it
    pin: bool = False  # gateway --pin: enforce approved tool definitions whatever the policy says
    # The credentials the gateway holds for the server (its tokens, headers, secret settings):
    # where the server repeats one to its clients (instructions, a tool's description), *** is
    # shown instead. The gateway holds them so that agents do not.
    server_secrets: tuple[str, ...] = field(default=(), repr=False)
    # Over HTTP: how long calls in progress may go on once the gateway is stopped.
    stop_grace: float = STOP_GRACE_SECONDS


def _hidden(policy: Policy) -> frozenset[str]:
    return frozenset(policy.hide or ())


async def run_gateway(
    config: GatewayConfig,
    connect: Connect,
    *,
    watcher: PolicyWatcher | None = None,
    on_listening: Callable[[str], None] | None = None,
    make_upstream: Callable[[], Any] | None = None,
) -> int:
    """Serve until the client leaves (stdio) or the process is stopped (HTTP); the exit code:
    130 when stopped by SIGINT (ctrl+c, as every command), else 0.

    A signal stops the gateway at once: no call is sent to the server after it, and held calls
    are withdrawn. Over HTTP, calls in progress then get `config.stop_grace` seconds to finish
    (a second signal ends the grace) and are cancelled; over stdio they are cancelled at once.

    `connect(message_handler)` opens the upstream connection (an async context manager). The
    policy must already be valid: pass a `watcher` built before anything slow happens, so a bad
    policy stops the gateway before a server is started. `make_upstream`, when given, builds
    the upstream connection instead of `connect` (a `StdioUpstream` for a server started as a
    command).
    """
    with CollectAfterStart() as start:
        return await _run_gateway(config, connect, start, watcher=watcher, on_listening=on_listening,
                                  make_upstream=make_upstream)


async def _run_gateway(
    config: GatewayConfig,
    connect: Connect,
    start: CollectAfterStart,
    *,
    watcher: PolicyWatcher | None,
    on_listening: Callable[[str], None] | None,
    make_upstream: Callable[[], Any] | None,
) -> int:
    # Whatever is opened here is closed on every way out, a failure before serving began
    # included: an SQLite store keeps a checkpoint thread and, once there is something to
    # move, a process of its own; a Redis store a connection. The store the caller opened is
    # this gateway's to close from the first line.
    in_use: list[Any] = []  # the store, once chosen
    with contextlib.ExitStack() as opened:
        if config.store is not None:
            opened.callback(config.store.close)
        code = await _run_opened(config, connect, start, opened, in_use, watcher=watcher, on_listening=on_listening,
                                 make_upstream=make_upstream)
    return code if all(_released(store) for store in in_use) else CLOSE_FAILED_EXIT


async def _run_opened(
    config: GatewayConfig,
    connect: Connect,
    start: CollectAfterStart,
    opened: contextlib.ExitStack,
    in_use: list[Any],
    *,
    watcher: PolicyWatcher | None,
    on_listening: Callable[[str], None] | None,
    make_upstream: Callable[[], Any] | None,
) -> int:
    """`_run_gateway` with `opened` closing, once it ends, each thing opened here; the state
    store is added to `in_use` once chosen."""
    watcher = watcher or PolicyWatcher(config.policy_path)
    in_state_dir = (config.audit is not None and str(config.audit) != "-"
                    and os.path.abspath(Path(config.audit).parent) == os.path.abspath(config.state_dir))
    audit = AuditLog(config.audit, config.server_secrets, own_folder=in_state_dir)
    stop = _Stopper()
    # A start that failed leaves no empty audit log it made (one read as a gateway that ran and
    # decided nothing); one that was there before, or holds a line, stays as it is.
    opened.callback(lambda: audit.close() if stop.started else audit.discard())
    watcher.announce_loaded()  # the identity every audit line names, from the first
    store = config.store
    if store is None:
        from policytui.gateway.store import open_policy_store

        store = open_policy_store(None, config.state_dir, config.policy_path)
        opened.callback(store.close)
    in_use.append(store)
    queue = ApprovalQueue(store)
    enforcer = Enforcer(
        lambda: watcher.policy,
        audit=audit,
        dry_run=config.dry_run,
        server_name=config.server_name,
        store=store,
        fail_open=config.state_fail_open,
    )
    enforcer.policy_problem = watcher.problem  # an invalid policy file denies every call
    enforcer.policy_sha256 = lambda: watcher.sha256  # which policy decided, in every audit line
    if config.record is not None:  # gateway --record
        from policytui.gateway.recorder import Recorder

        recorder = enforcer.recorder = Recorder(config.record, config.record_secrets)
        # A start that failed (the server never answered, a refusal) leaves no recording it made.
        opened.callback(lambda: recorder.close() if stop.started else recorder.discard())
    approver = Approver(
        queue, timeout=config.approval_timeout, mode=config.approval_mode, server_name=config.server_name,
        secrets=tuple(config.server_secrets),
    )
    if make_upstream is None:
        # The SDK's client, for a server reached over HTTP: loaded only then (half a second that
        # a server started as a command, spoken to in raw lines, does not need).
        from policytui.gateway.upstream import Upstream

        make_upstream = partial(Upstream, connect, call_timeout=config.call_timeout)
    upstream: Any = make_upstream()
    gateway = Gateway(
        upstream,
        enforcer,
        approver,
        lambda: watcher.policy,
        identity=Identity(grant=config.grant),
    )
    opened.callback(gateway.close_flood_lines)
    gateway.secrets = config.server_secrets
    gateway.grants_share_server = len(set((config.tokens or {}).values())) > 1
    gateway.max_in_progress = config.max_in_progress
    enforcer.upstream_gone = lambda: refusal_when_down(upstream)
    upstream.on_notification = gateway.relay_notification
    if hasattr(upstream, "on_request"):
        upstream.on_request = gateway.server_request
    # Pinned definitions (on with --pin or the policy's x-policytui.pin setting).
    from policytui.gateway.pins import Pins

    pins = enforcer.pins = Pins(lambda: watcher.policy, forced=config.pin)
    pins.fetch = lambda params: upstream.request("tools/list", params)
    pins.announce = gateway.tools_changed
    pins.secrets = tuple(config.server_secrets)
    if config.dry_run:
        log.warning("dry run: every call is forwarded; the audit log shows what the policy would decide")

    stop.gateway = gateway
    if config.listen is not None and hasattr(upstream, "on_down"):
        # Over HTTP a gateway whose server is gone for good (its process ended, a remote one
        # ended the session) stops, and exits with 1: it would otherwise go on listening as if
        # healthy while every call fails, and a supervisor that restarts it on a failure
        # (systemd, Docker, Kubernetes) restarts the server, or opens a new session, with it.
        # Over stdio it stays for its one client, which started it, answering each request
        # with the error until the client leaves.
        upstream.on_down = stop.server_gone
    parts = _Parts(config=config, upstream=upstream, gateway=gateway, watcher=watcher, audit=audit, stop=stop,
                   on_listening=on_listening, start=start)
    async with anyio.create_task_group() as tg:
        # The signal handlers come first, before the server is started or anything is
        # announced: a signal at any moment from here on stops the server behind us too.
        await tg.start(_on_signals, stop, upstream, opened, store)
        try:
            # The server's connection is held in a group of its own, which ends only once
            # the server is stopped: the signal handlers stay ours until then, so a signal
            # while the server is stopped hurries that stop instead of interrupting it
            # (which left the server running, and logged a traceback).
            async with anyio.create_task_group() as held:
                try:
                    await _serve(parts, held)
                finally:
                    stop.ending = True
                    log.debug("serving has ended: the server is stopped")
                    upstream.stop()
        finally:
            tg.cancel_scope.cancel()  # the signal handlers (a stop they began still ends)
    return SERVER_GONE_EXIT if stop.gone else _exit_code(stop.signum)


@dataclass(frozen=True, kw_only=True)
class _Parts:
    """What `run_gateway` was given and put together, for serving."""

    config: GatewayConfig
    upstream: Any  # an `Upstream`, or a `StdioUpstream` for a server started as a command
    gateway: Gateway
    watcher: PolicyWatcher
    audit: AuditLog
    stop: _Stopper
    on_listening: Callable[[str], None] | None  # told the URL once HTTP serving listens
    start: CollectAfterStart  # the collector, off until serving begins


async def _serve(parts: _Parts, held: anyio.abc.TaskGroup) -> None:
    """Start the server (its connection kept in `held`), then serve until stopped."""
    config, gateway, stop = parts.config, parts.gateway, parts.stop
    await parts.upstream.start(held)
    # How the server answers a tool it does not have: hidden tools answer the same way.
    from policytui.gateway import refused as refused_mod
    from policytui.gateway.unnamed import UnnamedTools

    unknown = UnknownTools()
    # Tools the server lists that the policy does not name: told at start, after each listing
    # the server's list_changed makes, and after a reload.
    unnamed = UnnamedTools(gateway.secrets, window=refused_mod.window_from_environment())
    unknown.on_listed = lambda: _tell_unnamed(unnamed, unknown, parts.watcher, gateway)
    try:
        await unknown.learn(parts.upstream, parts.audit, config.server_name, timeout=config.start_timeout)
        stop.started = True
        started_serving()
        parts.start.serving()
        gateway.enforcer.answer_blocked = unknown.blocked
        gateway.unknown_tools = unknown
        async with anyio.create_task_group() as watching:
            watching.start_soon(_watch, parts.watcher, gateway, config.reload_interval,
                                lambda: _tell_unnamed(unnamed, unknown, parts.watcher, gateway))
            try:
                with anyio.CancelScope() as stop.scope:
                    if stop.gone:
                        pass  # the server ended before serving began: nothing to serve
                    elif config.listen is None:
                        await _serve_stdio(gateway, config)
                    else:
                        await _serve_http(gateway, config, parts.on_listening, stop)
            finally:
                watching.cancel_scope.cancel()
    finally:
        unnamed.close()


def _tell_unnamed(unnamed: Any, unknown: UnknownTools, watcher: PolicyWatcher, gateway: Gateway) -> None:
    """Log the tools of the server's last listing that the policy in force does not name."""
    pins = gateway.enforcer.pins
    pinning = not gateway.dry_run and pins is not None and pins.enabled()
    try:
        unnamed.tell(watcher.policy, unknown.entries, pinning=pinning)
    except Exception:  # a line for the operator must never take the gateway down
        log.debug("telling the tools the policy does not name failed", exc_info=True)


async def _watch(watcher: PolicyWatcher, gateway: Gateway, interval: float,
                 reloaded: Callable[[], None] = lambda: None) -> None:
    counters = _CounterKey(gateway.enforcer.store, watcher.path)
    while True:
        await anyio.sleep(interval)
        counters.follow()  # before the file it leads to now is enforced, with nothing between
        before = _hidden(watcher.policy)
        try:
            changed = watcher.check()
        except Exception as exc:  # a reload bug must never take the gateway down, nor open it
            log.debug("checking the policy file failed", exc_info=True)
            watcher.fail(f"could not be checked ({type(exc).__name__})")
            continue
        if changed:
            reloaded()  # the tools it names may be others now
        if changed and _hidden(watcher.policy) != before:
            await gateway.tools_changed()
        elif changed and gateway.enforcer.pins is not None:
            await gateway.enforcer.pins.announce_changes()  # re-approved or pinning toggled


class _CounterKey:
    """Keeps a store shared by the policy file's path (SQLite) counting under the file the
    path leads to now. The key is that file's path, symbolic links resolved, taken at start;
    a link switched to another file while the gateway runs (a release folder switched with
    `ln -sfn`, a Kubernetes ConfigMap's `..data`, a Nix profile) would leave this gateway
    counting, for the new file's rules, under the old file's key, and every gateway started
    since under the new one: each allowing a whole limit. So each check follows the link, and
    the counts of the current windows go with the key (`StateStore.follow_policy`)."""

    def __init__(self, store: Any, path: Path) -> None:
        self.store, self.path = store, path
        # A store keyed by the file's path (a link switched while the server started included).
        self.active = store.machine_local and bool(store.policy)

    def follow(self) -> None:
        from policytui.gateway.store.base import StateUnavailable, StoreBusy

        if not self.active:
            return
        try:
            now = str(Path(self.path).expanduser().resolve(strict=True))
        except (OSError, RuntimeError):
            return  # missing, or a loop: the watcher says so, and counts stay where they are
        old = self.store.policy
        if now == old:
            return
        try:
            self.store.try_now(self.store.follow_policy, now)
        except (StoreBusy, StateUnavailable) as exc:
            log.debug("the counters of %s could not follow it to %s yet (%s); trying again at the next check",
                      self.path, now, exc)
            return
        if self.store.policy != old:
            log.info("policy %s now leads to %s: its calls are counted under that file from now on, "
                     "with the calls counted in the current windows", self.path, now)


class _Stopper:
    """How a signal ends serving: no call goes to the server from then on (`Gateway.stop`);
    HTTP then shuts down within a grace (`http`, called again for each further signal), stdio
    just stops reading."""

    def __init__(self) -> None:
        self.scope: anyio.CancelScope | None = None
        self.gateway: Gateway | None = None
        self.http: Callable[[], None] | None = None  # set while HTTP is served
        self.signum: int | None = None  # the signal that stopped serving, if one did
        # Why the server is gone, when that stopped serving (before any signal did).
        self.gone = ""
        # Serving has ended (its client left, a signal, the server gone) and the server is
        # being stopped: a signal now only hurries that.
        self.ending = False
        # The server has started and its tools are known: serving begins (a start that failed
        # never gets here).
        self.started = False

    def server_gone(self, reason: str) -> None:
        """The server is gone for good while serving over HTTP (its process ended, a remote
        one ended the session): stop as on a signal (every request from now on refused with
        `reason`), and exit with SERVER_GONE_EXIT."""
        if self.gone or self.signum is not None:
            return
        self.gone = reason
        log.info("the gateway stops, its server gone (%s): no new requests are taken, and it exits with "
                 "code %d, for a supervisor to restart it", reason, SERVER_GONE_EXIT)
        self()

    def __call__(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()  # first of all, before any task runs again
        if self.http is not None:
            self.http()
        elif self.scope is not None:
            self.scope.cancel()


def _exit_code(signum: int | None) -> int:
    """ctrl+c (SIGINT) ends the gateway as it ends every command, with 130; SIGTERM and SIGHUP,
    which service managers send, are a normal stop (0)."""
    return 130 if signum == signal.SIGINT else 0


def stopping_signals() -> tuple[int, ...]:
    """The signals that stop the gateway: SIGTERM always (a service manager's stop), SIGINT and
    SIGHUP unless the gateway was started ignoring them. `nohup policytui gateway ... &` sets
    SIGHUP ignored so that the gateway outlives the terminal it was started from, and a shell
    starts a script's background job with SIGINT ignored so that ctrl+c at that terminal is not
    for it; Python itself leaves an ignored SIGINT ignored. A handler of ours in their place
    stopped the gateway when its operator logged out."""
    return tuple(each for each in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
                 if each == signal.SIGTERM or signal.getsignal(each) is not signal.SIG_IGN)


@contextlib.contextmanager
def _signal_queue(signums: tuple[int, ...]) -> Iterator[asyncio.Queue[int]]:
    """Each of these signals, once for each time it comes, in a queue on the running loop.

    asyncio's own handlers (`loop.add_signal_handler`, which anyio uses) learn of a signal only
    from a byte written to the loop's self-pipe, the pipe every result handed back from another
    thread also writes a byte to; thousands of those at once (limited calls queued for a state
    file another program held locked, answered together) fill it, the signal's byte is dropped,
    and a SIGTERM never stops the gateway. Here the signal's Python handler hands it to the loop
    itself, and a wakeup descriptor of its own, which nothing else writes to, wakes the loop.
    Raises ValueError outside the main thread."""
    loop = asyncio.get_running_loop()
    signals: asyncio.Queue[int] = asyncio.Queue()

    def handler(signum: int, _frame: Any) -> None:
        loop.call_soon_threadsafe(signals.put_nowait, signum)

    def drain() -> None:
        with contextlib.suppress(OSError):
            while wake_in.recv(512):
                pass

    wake_in, wake_out = socket.socketpair()
    wake_in.setblocking(False)
    wake_out.setblocking(False)
    previous: dict[int, Any] = {}
    before = -1
    try:
        before = signal.set_wakeup_fd(wake_out.fileno(), warn_on_full_buffer=False)
        loop.add_reader(wake_in.fileno(), drain)
        for signum in signums:
            previous[signum] = signal.signal(signum, handler)
        yield signals
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(before)
        loop.remove_reader(wake_in.fileno())
        wake_in.close()
        wake_out.close()


def _hurry(upstream: Any, why: str = "a further signal") -> None:
    """A signal after the first (or once serving has ended): the server is stopped without the
    wait for it to exit on its own (a server started as a command; a remote one has no process
    to stop)."""
    hurry = getattr(upstream, "hurry", None)
    if hurry is not None:
        log.info("%s: the server is stopped now", why)
        hurry()


async def _hurry_on_signals(signals: asyncio.Queue[int], upstream: Any) -> None:
    """While the server is being stopped over stdio, each further signal hurries it."""
    while True:
        signum = await signals.get()
        log.info("stopping on signal %s", signal.Signals(signum).name)
        _hurry(upstream)


async def _on_signals(
    stop: _Stopper, upstream: Any, opened: contextlib.ExitStack, store: Any,
    *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
) -> None:
    started = False
    # SIGTERM and SIGINT end serving normally, so the upstream server (in its own process
    # group) is always stopped too instead of being left behind.
    try:
        with _signal_queue(stopping_signals()) as signals:
            task_status.started()
            started = True
            while True:
                signum = await signals.get()
                log.info("stopping on signal %s", signal.Signals(signum).name)
                if stop.ending:
                    _hurry(upstream, "serving has ended")
                    continue
                if stop.signum is None:
                    stop.signum = signum  # the exit code is the first signal's
                else:
                    _hurry(upstream)  # a second ctrl+c means now
                if stop.http is None and stop.gateway is not None:
                    # Over stdio the client still reads: before serving ends, each request in
                    # progress is answered, those the server was running with an error that
                    # says the gateway stopped (as over HTTP) and audited `cancelled`.
                    from policytui.gateway.relay import CANCELLED_BY_STOP

                    stop.gateway.stop()
                    with anyio.CancelScope(shield=True):
                        await stop.gateway.answer_stopped(CANCELLED_BY_STOP, STDIO_STOP_SECONDS)
                stop()
                if stop.http is None:
                    # Over stdio (or before HTTP serving began) a terminal or a file may be
                    # read in a thread that a slow read keeps from ending; stop the server
                    # behind us, then leave. Shielded: serving ending meanwhile must not undo
                    # the handlers first.
                    with anyio.CancelScope(shield=True):
                        upstream.stop()
                        with anyio.move_on_after(10):
                            async with anyio.create_task_group() as waits:
                                waits.start_soon(_hurry_on_signals, signals, upstream)
                                await upstream.stopped.wait()
                                waits.cancel_scope.cancel()
                        # The exit below skips `opened`: closed here, or the store would keep
                        # the calls this gateway leased counted until their window ends.
                        closed = _closed_within(opened, STDIO_CLOSE_SECONDS) and _released(store)
                        logging.shutdown()
                        os._exit(_exit_code(stop.signum) if closed else CLOSE_FAILED_EXIT)
    except (NotImplementedError, ValueError, RuntimeError):  # not the main thread, or no signals here
        if not started:
            task_status.started()
        return


def _closed_within(opened: contextlib.ExitStack, seconds: float) -> bool:
    """Close what the gateway opened (its state store, audit log, recording) on a thread of its
    own, waiting for it at most `seconds`: whether it was closed. When it was not, standard error
    says so; the process then exits with the close unfinished."""
    done = threading.Event()

    def close() -> None:
        try:
            opened.close()
        except Exception:  # a failure to close must not keep the gateway from exiting
            log.warning("closing the gateway's state store or logs failed", exc_info=True)
        finally:
            done.set()

    threading.Thread(target=close, name="policytui-closing", daemon=True).start()
    if done.wait(seconds):
        return True
    print(f"policytui gateway: the state store did not close within {seconds:g} s, so the calls this gateway "
          "leased and did not use may stay counted until their window ends.", file=sys.stderr, flush=True)
    return False


def _released(store: Any) -> bool:
    """Whether the closed store gave back all it held; when not, standard error says what
    stays counted, in one sentence."""
    unreleased = getattr(store, "unreleased", "")
    if unreleased:
        print(f"policytui gateway: {unreleased}.", file=sys.stderr, flush=True)
    return not unreleased


async def _serve_stdio(gateway: Gateway, config: GatewayConfig) -> None:
    """Serve the one client on standard input/output: every line, whether it comes through a
    pipe, a socket, a terminal or a file, goes through the JSON-RPC relay and its wire rules
    (`policytui.gateway.stdio`)."""
    from policytui.gateway.relay import StdioRelay
    from policytui.gateway.stdio import stdio_streams

    log.info("serving MCP on standard input/output")
    async with stdio_streams() as streams:
        # Once the client's input ends, its calls in progress are answered for up to the call
        # timeout: the longest any one of them would have been waited for anyway.
        relay = StdioRelay(gateway, streams.reader, streams.writer, gateway.initialize_result(),
                           end_wait=config.call_timeout)
        await relay.serve()
    log.info("the client closed the connection")


async def _serve_http(
    gateway: Gateway, config: GatewayConfig, on_listening: Callable[[str], None] | None, stop: _Stopper
) -> None:
    import uvicorn

    from policytui.gateway.http import (
        HostOriginGuard,
        TokenGate,
        head_timeout_protocol,
    )
    from policytui.gateway.http_relay import HttpRelayApp

    assert config.listen is not None
    host, port = config.listen
    app = HttpRelayApp(gateway, gateway.initialize_result(), body_seconds=config.client_timeout)
    # Host and Origin are checked before the token: a rebound or cross-site page gets nowhere.
    gate = HostOriginGuard(TokenGate(app, config.tokens, default_grant=config.grant), host,
                           tokens=config.tokens is not None)
    grace = max(0.0, config.stop_grace)
    unproven = unproven_limit()
    uv_config = uvicorn.Config(
        gate, host=host, port=port, log_level="warning", access_log=False, lifespan="on", log_config=None,
        # A request head that never ends does not hold a connection, nor do connections
        # without a token use up the file descriptors...
        http=head_timeout_protocol(config.client_timeout, unproven),
        # ...even when they come all at once: asyncio accepts up to `backlog` connections in a
        # row before any of them is seen (uvicorn's 2048 would take every descriptor of a
        # process allowed 1024), so it takes no more than the limit before the oldest are closed.
        backlog=unproven,
        # Once stopped, uvicorn waits for open connections: the grace, when `stopping` cancels
        # what is left, then this much more before it cancels whatever still holds one.
        timeout_graceful_shutdown=math.ceil(grace + STOP_BACKSTOP_SECONDS),
    )

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # Signals are ours (see _on_signals): uvicorn would re-raise them after its
            # shutdown and end the process before the upstream server is stopped.
            yield

    uv_server = _Server(uv_config)
    grace_ends: asyncio.TimerHandle | None = None
    cut_at: asyncio.TimerHandle | None = None

    def end_grace() -> None:
        left = app.in_progress()
        if left:
            log.info("cancelling %d request%s still in progress: the gateway stops", left, "" if left == 1 else "s")
        app.cancel_calls()

    def cut_connections() -> None:
        """Cut every connection still open and end the HTTP server's wait for them (what
        uvicorn does on its own second ctrl+c)."""
        nonlocal cut_at
        cut_at = None
        uv_server.force_exit = True
        left = list(uv_server.server_state.connections)
        if left:
            log.info("cutting %d connection%s still open: a further signal", len(left), "" if len(left) == 1 else "s")
        for connection in left:
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()  # a client that does not read: what it has not taken is dropped

    def stopping() -> None:
        """A signal: the first stops taking requests and gives those in progress the grace; a
        further one ends the grace now, and the wait for connections soon after; one more cuts
        them at once."""
        nonlocal grace_ends, cut_at
        if app.stopping:
            if grace_ends is not None:
                grace_ends.cancel()
                grace_ends = None
                end_grace()
            if cut_at is None and not uv_server.force_exit:
                cut_at = asyncio.get_running_loop().call_later(FURTHER_SIGNAL_SECONDS, cut_connections)
            elif cut_at is not None:
                cut_at.cancel()
                cut_connections()
            return
        app.stop(stop.gone)  # no new requests; GET streams and idle sessions end
        uv_server.should_exit = True  # uvicorn stops listening and waits for the connections left
        busy = app.in_progress()
        if busy and not stop.gone:  # with the server gone, they are being answered its end now
            log.info("no new requests are taken; %d in progress may finish within %g s (a second "
                     "signal cancels %s now)", busy, grace, "it" if busy == 1 else "them")
        grace_ends = asyncio.get_running_loop().call_later(grace, end_grace)

    async def announce() -> None:
        while not uv_server.started:
            await anyio.sleep(0.02)
        bound = port
        for listener in getattr(uv_server, "servers", []):
            for sock in getattr(listener, "sockets", []) or []:
                bound = sock.getsockname()[1]
                break
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{bound}/mcp"
        log.info("serving MCP over streamable HTTP at %s", url)
        if on_listening is not None:
            on_listening(url)

    stop.http = stopping
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(announce)
            await uv_server.serve(sockets=config.listen_sockets)
            tg.cancel_scope.cancel()
    finally:
        # `stop.http` stays: a signal from here on finds nothing more to stop, and the gateway
        # ends as it does now.
        if grace_ends is not None:
            grace_ends.cancel()
        if cut_at is not None:
            cut_at.cancel()
        app.cancel_calls()  # nothing outlives serving (a parked 2026-07-28 call, say)


class _FollowedFileHandler(logging.handlers.WatchedFileHandler):
    """Writes each record to the file its path names at that moment. A log removed (`rm
    gateway.log` to clear it) or renamed (a rotation) while the gateway runs would otherwise
    take every later line where nobody reads it: the outages, the refused audit writes and the
    approve commands of held calls. Such a file is opened anew at the path, as at start, and
    the new file says so first; when it cannot be, the lines go on into the file already open.
    A path that leads to the file in use (`/dev/stderr`, a link to it) is that file."""

    def __init__(self, path: str) -> None:
        self.path = path  # as the user gave it (opened as given, named as given)
        super().__init__(path, encoding="utf-8")

    def _open(self) -> Any:
        from policytui.gateway.audit import open_log_file

        # Opened as --audit and --record are (a missing folder or a symlink refused), with the
        # mode a log file usually gets (0o666 less the umask).
        return open(open_log_file(Path(self.path), 0o666), "a", encoding="utf-8")  # noqa: SIM115

    def reopenIfNeeded(self) -> None:
        # The standard library's closes the file in use before it opens the new one, and every
        # later line is lost when that fails (its folder gone, a link put there): here the new
        # one is opened first.
        try:
            now = os.stat(self.path)
            if (now.st_dev, now.st_ino) == (self.dev, self.ino):
                return
        except FileNotFoundError:
            pass
        except OSError:
            return
        try:
            stream = self._open()
        except OSError:
            return
        old = self.setStream(stream)
        if old is not None:
            old.close()
        self._statstream()
        stream.write(self.format(logging.LogRecord(
            "policytui.gateway", logging.WARNING, __file__, 0,
            "the log %s was removed or replaced while in use; writing a new one there", (self.path,), None,
        )) + self.terminator)


def configure_logging(target: str | None, level: str = "info") -> None:
    """Diagnostics go to a file or standard error; never to standard output (the protocol)."""
    handler: logging.Handler
    if target and target != "-":
        handler = _FollowedFileHandler(target)
    elif level.lower() == "debug":
        handler = logging.StreamHandler(sys.stderr)
    else:
        handler = _StartHeld(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s policytui gateway %(levelname)s %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("policytui").setLevel(getattr(logging, level.upper(), logging.INFO))


class _StartHeld(logging.StreamHandler):  # type: ignore[type-arg]
    """Standard error that holds the informational lines of the start (the state store, the
    policy loaded) until the server has started (`started_serving`): when the server cannot be
    started, the user reads the one sentence that says why, not two lines of routine before it.
    Warnings and errors are written at once; `--log-level debug` and `--log FILE` hold nothing."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.held: list[logging.LogRecord] | None = []

    def emit(self, record: logging.LogRecord) -> None:
        if self.held is not None and record.levelno < logging.WARNING:
            self.held.append(record)
            return
        super().emit(record)

    def let_out(self) -> None:
        held, self.held = self.held or [], None
        for record in held:
            super().emit(record)


def logs_apart_from_standard_error() -> bool:
    """Does the log go to a file other than standard error (`--log FILE`)? What the gateway
    says there alone on its way out (why it could not start) is then written into it too."""
    try:
        error = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        error = None
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _FollowedFileHandler) and handler.stream is not None:
            try:
                if error is None or not os.path.samestat(os.fstat(handler.stream.fileno()), error):
                    return True
            except (OSError, ValueError):
                continue
    return False


def started_serving() -> None:
    """The server has started: the start's informational lines, held until now, are written."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _StartHeld):
            handler.let_out()


def default_connect(spec: Any, *, timeout: float, call_timeout: float | None) -> Connect:
    """Open the upstream through discovery, with upstream notifications passed to the gateway."""
    import inspect

    from policytui.discovery import open_connection

    accepts_handler = "message_handler" in inspect.signature(open_connection).parameters

    def connect(handler: Any) -> AbstractAsyncContextManager[Any]:
        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def opened() -> Any:
            kwargs: dict[str, Any] = {"timeout": timeout, "call_timeout": call_timeout}
            if accepts_handler:
                kwargs["message_handler"] = handler
            async with open_connection(spec, **kwargs) as connection:
                if not accepts_handler:
                    # The session reads this attribute for every notification it receives.
                    connection.session._message_handler = handler
                yield connection

        return opened()

    return connect


def ensure_state_dir(path: Path) -> Path:
    return ensure_private_dir(path)
