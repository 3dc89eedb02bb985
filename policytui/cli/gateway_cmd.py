"""`policytui gateway --policy FILE TARGET`: enforce a policy in front of an MCP server.

The agent's client starts this command instead of the server (stdio), or reaches it over
HTTP with `--listen`. Standard output carries the protocol and nothing else; diagnostics go to
standard error or `--log FILE`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policytui.cli import UsageError
from policytui.output_file import os_reason

if TYPE_CHECKING:
    from policytui.discovery.spec import ServerSpec
    from policytui.gateway.policy_watch import PolicyWatcher
    from policytui.gateway.runner import GatewayConfig


# How often the policy file may be checked. Below the least, the gateway does little but look
# at the file (1e-9 is a busy loop); above the most, a tightened policy waits too long to be
# enforced (inf never would be, and a reload would never come).
RELOAD_INTERVAL_RANGE = (0.1, 60.0)
# How long an HTTP client may take to send a request's head, and its body. Above the most, a
# client that sends nothing holds a connection (and a file descriptor) for as long as it likes.
CLIENT_TIMEOUT = 10.0
LONGEST_CLIENT_WAIT = 600.0
# Requests one client may have in progress at once (the default is the gateway's own,
# `policytui.gateway.server.MAX_IN_PROGRESS`, not imported here: every command builds this
# parser). Above the most, the limit no longer bounds what one client piles up.
MAX_IN_PROGRESS = 64
MOST_IN_PROGRESS = 100_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from policytui.cli.target_args import add_target_arguments

    parser.add_argument("--policy", required=True, metavar="FILE", help="the policy file to enforce (reloaded when it changes)")
    parser.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="serve streamable HTTP at http://HOST:PORT/mcp instead of standard input/output",
    )
    parser.add_argument(
        "--tokens",
        metavar="FILE",
        help='bearer tokens for --listen: a JSON object {"<token>": "<grant name>"}; others get 401',
    )
    parser.add_argument(
        "--grant", default="default", metavar="NAME", help="grant name for stdio clients (default: default)"
    )
    parser.add_argument("--dry-run", action="store_true", help="forward every call; only log what the policy would decide")
    parser.add_argument(
        "--approval-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="deny a held call when no human answers within this time, at most 86400 (default: 120)",
    )
    parser.add_argument(
        "--approvals",
        choices=("auto", "queue"),
        default="auto",
        help=("auto: ask through the client (MCP elicitation) when it can, trusting the client application to put "
              "the question to a person, else the queue; queue: always the queue (for clients not trusted) "
              "(default: auto)"),
    )
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="approvals queue and audit log folder (default: $POLICYTUI_STATE_DIR, else "
        "$XDG_STATE_HOME/policytui, else ~/.local/state/policytui)",
    )
    parser.add_argument(
        "--state",
        metavar="URL",
        help="where counters and held calls live, shared by every gateway using it: "
        "sqlite:///PATH, redis://HOST:PORT/DB[?prefix=NAME] or memory:// "
        "(default: $POLICYTUI_STATE, else STATE_DIR/state.sqlite)",
    )
    parser.add_argument(
        "--state-fail-mode",
        choices=("closed", "open"),
        default="closed",
        help="when the state store cannot be reached: closed (default) denies limited calls; "
        "open forwards them uncounted",
    )
    parser.add_argument(
        "--audit", metavar="FILE", help="audit log, JSON lines (default: STATE_DIR/audit.jsonl; '-' for standard error)"
    )
    parser.add_argument("--no-audit", action="store_true", help="write no audit log")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="hide and deny every tool whose definition is not the one approved in the policy editor "
        "(one with no definition approved too), whatever the policy's x-policytui.pin says",
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        help="also write every call WITH its arguments (secrets redacted) to FILE, JSON lines, for `policytui replay`",
    )
    parser.add_argument("--log", metavar="FILE", help="diagnostic log file (default: standard error)")
    parser.add_argument(
        "--log-level", choices=("debug", "info", "warning", "error"), default="info",
        help="diagnostic detail (default: info)"
    )
    parser.add_argument(
        "--reload-interval", type=float, default=1.0, metavar="SECONDS",
        help=f"how often to check the policy file, {RELOAD_INTERVAL_RANGE[0]:g} to {RELOAD_INTERVAL_RANGE[1]:g} "
        "(default: 1)"
    )
    parser.add_argument(
        "--call-timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="give up on a request relayed to the server once serving has begun after this long "
        "(default: 300; 0 for never); the server's start is bounded by --timeout alone",
    )
    parser.add_argument(
        "--max-in-progress",
        type=int,
        default=MAX_IN_PROGRESS,
        metavar="N",
        help="requests one client (a stdio client, an HTTP session, a grant's requests without a session) may have "
        "in progress at once; "
        f"past it a request is refused at once, pings and cancellations always pass, 1 to {MOST_IN_PROGRESS} "
        f"(default: {MAX_IN_PROGRESS})",
    )
    parser.add_argument(
        "--client-timeout",
        type=float,
        metavar="SECONDS",
        help="with --listen: close a connection whose request line and headers have not all arrived, "
        f"and refuse (408) a request whose body has not, within this long, at most {LONGEST_CLIENT_WAIT:g} "
        f"(default: {CLIENT_TIMEOUT:g})",
    )
    add_target_arguments(
        parser, live_only=True,
        timeout_help="give up on a server that has not started (answered initialize and listed its tools, "
        "also when the gateway asks again before serving) after this long (default 30); each request "
        "once serving has begun has --call-timeout",
    )


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    # str.isdigit takes `²` too, which int() refuses: only ASCII digits are a port.
    if not sep or not host or not (port.isascii() and port.isdigit()) or not 0 <= int(port) <= 65535:
        raise UsageError(f"--listen wants HOST:PORT, e.g. 127.0.0.1:8765, not {text!r}")
    return host, int(port)


def _bind(host: str, port: int) -> list[Any] | str:
    """Listening sockets on every address HOST names (as the HTTP server would open them), or
    the sentence that says why it cannot listen. A HOST that names no address of this machine
    is a wrong command line (UsageError)."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise UsageError(f"--listen {host} is not an address of this machine") from None
    sockets: list[socket.socket] = []
    for family, kind, proto, _name, address in dict.fromkeys(infos):
        sock = socket.socket(family, kind, proto)
        sockets.append(sock)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(2048)
        except OSError as exc:
            for each in sockets:
                each.close()
            if exc.errno == errno.EADDRINUSE:
                reason = "it is in use"
            elif exc.errno == errno.EADDRNOTAVAIL:
                raise UsageError(f"--listen {host} is not an address of this machine") from None
            else:
                reason = exc.strerror or "refused"
            return f"cannot listen on {host} port {port}: {reason}"
        sock.setblocking(False)
    return sockets


def _positive(name: str, value: float, most: float) -> float:
    if not 0 < value <= most:
        raise UsageError(f"{name} must be a number of seconds above 0 and at most {most:g}, not {value:g}")
    return value


def _is_stdout(path: str) -> bool:
    """Whether `path` names this process's standard output (`/dev/stdout`, `/dev/fd/1`, the
    file or pipe it is). `/dev/null` and a terminal as standard output are not counted: lines
    written there reach no client as messages."""
    try:
        target, out = os.stat(path), os.fstat(1)
    except (OSError, ValueError):
        return False
    if not os.path.samestat(target, out) or os.isatty(1):
        return False
    try:
        return not os.path.samestat(out, os.stat(os.devnull))
    except OSError:
        return True


def run(args: argparse.Namespace) -> int:
    from policytui.gateway.http import TokensError, is_loopback, is_text, load_tokens
    from policytui.gateway.policy_watch import PolicyStartError, PolicyWatcher
    from policytui.gateway.runner import GatewayConfig, configure_logging
    from policytui.gateway.state import default_audit_path, default_state_dir, ensure_private_dir
    from policytui.policy.display import visible

    _stop_cleanly_on_signals()
    # The help offers neither (the gateway enforces in front of a running server), so either
    # is a wrong command line: exit 2, as README's table says, before any work.
    for flag, given in (("--offline", getattr(args, "offline", False)),
                        ("--from", getattr(args, "from_file", None))):
        if given:
            raise UsageError(f"{flag} does not apply: the gateway needs the live server")
    listen = _listen(args.listen) if args.listen else None
    if args.tokens and listen is None:
        raise UsageError("--tokens applies only with --listen")
    if args.client_timeout is not None and listen is None:
        raise UsageError("--client-timeout applies only with --listen")
    if args.audit and args.no_audit:
        # Either would be a guess, and the wrong one loses every audit line the other wanted.
        raise UsageError(f"--audit {visible(args.audit)} and --no-audit contradict each other; give one")
    # The longest a held call may wait for a person (a day): longer is no wait a client keeps
    # open, and `inf` would keep the call waiting, and listed, for good.
    from policytui.gateway.approvals import LONGEST_WAIT

    _positive("--approval-timeout", args.approval_timeout, LONGEST_WAIT)
    if args.client_timeout is not None:
        _positive("--client-timeout", args.client_timeout, LONGEST_CLIENT_WAIT)
    low, high = RELOAD_INTERVAL_RANGE
    if not low <= args.reload_interval <= high:
        raise UsageError(f"--reload-interval must be between {low:g} and {high:g} seconds, "
                         f"not {args.reload_interval:g}")
    if not 0 <= args.call_timeout < math.inf:
        raise UsageError(f"--call-timeout must be 0 (never) or a positive number of seconds, not {args.call_timeout:g}")
    if not 1 <= args.max_in_progress <= MOST_IN_PROGRESS:
        raise UsageError(f"--max-in-progress must be a whole number from 1 to {MOST_IN_PROGRESS}, "
                         f"not {args.max_in_progress}")

    for flag, value in (("--log", args.log), ("--audit", args.audit),
                        ("--record", args.record), ("--tokens", args.tokens)):
        if value and value != "-" and Path(value).is_dir():
            raise UsageError(f"{flag} {visible(value)} is a folder; give a file name")
        if listen is None and value and flag in ("--log", "--audit", "--record") and _is_stdout(value):
            raise UsageError(f"{flag} {visible(value)} is the gateway's standard output, which carries "
                             "the MCP messages to its client over stdio; give a file, or - for "
                             "standard error")
    # The server is part of the command line: naming none is a usage error, said first and
    # alone, before the policy is read (and its warnings logged).
    try:
        spec = _target_spec(args)
    except UsageError:
        raise  # a TARGET that names no server: exit 2, as in every command
    except Exception as exc:  # noqa: BLE001 - one sentence already
        return _fail(str(exc))
    if listen is None:
        # Said before any file is opened: the first one would take the closed descriptor's
        # number and be read as the client's messages, or written with the answers.
        for fd, name, role in ((0, "input", "reads its client's messages"), (1, "output", "writes its answers")):
            if not _open(fd):
                return _fail(f"standard {name} is closed: over stdio the gateway {role} there "
                             "(or serve HTTP with --listen)")
    try:
        configure_logging(args.log, args.log_level)
    except OSError as exc:
        return _fail(f"cannot open the log file {args.log}: {os_reason(exc)}")

    # A bad policy stops everything before a server is started: one sentence, exit 1.
    try:
        watcher = PolicyWatcher(Path(args.policy))
    except PolicyStartError as exc:
        return _fail(str(exc))

    if not args.grant:
        # As a tokens file's grant names: an empty one counts and audits calls under no name.
        raise UsageError("the --grant name is empty; give the name this client's calls are counted and audited under")
    if not is_text(args.grant):
        raise UsageError("the --grant name is not valid text (it holds bytes that are not UTF-8)")
    tokens = None
    if args.tokens:
        try:
            tokens = load_tokens(Path(args.tokens))
        except TokensError as exc:
            # A file named on the command line that cannot be used: exit 2, as for --from.
            raise UsageError(visible(str(exc))) from None
        _say_if_others_read(Path(args.tokens))
    if listen is not None and tokens is None and not is_loopback(listen[0]):
        raise UsageError("listening on a non-loopback address needs --tokens, so that strangers cannot call tools")
    # The address is taken now, before the state store is opened or the server started: a
    # port in use is one sentence and exit 1, not a server started for nothing (and, through
    # the HTTP server's own exit, a gateway that ended with 0 as if stopped).
    sockets = _bind(*listen) if listen is not None else None
    if isinstance(sockets, str):
        return _fail(sockets)

    _pass_environment(spec)

    state_dir = Path(args.state_dir).expanduser() if args.state_dir else default_state_dir()
    try:
        ensure_private_dir(state_dir)
    except OSError as exc:
        return _fail(f"cannot create the state folder {state_dir}: {os_reason(exc)}")
    audit = None if args.no_audit else (args.audit or default_audit_path(state_dir))
    if audit is not None and str(audit) != "-":
        from policytui.gateway.audit import AuditLog

        try:
            # Fail now, in one sentence, not after the server started; a file made only to
            # try is removed again, made for good once the gateway starts.
            AuditLog(audit).discard()
        except OSError as exc:
            return _fail(f"cannot open the audit log {audit}: {os_reason(exc)}")

    record = Path(args.record) if args.record else None
    if record is not None:
        from policytui.gateway.audit import AuditLog

        try:
            # Fail now, in one sentence, not after the server started; a file made only to
            # try is removed again, made for good once the gateway records.
            AuditLog(record).discard()
        except OSError as exc:
            return _fail(f"cannot open the recording {record}: {os_reason(exc)}")

    store = _open_state(args, state_dir, Path(args.policy))
    if isinstance(store, int):
        return store
    config = GatewayConfig(
        policy_path=Path(args.policy),
        state_dir=state_dir,
        server_name=spec.name,
        audit=audit,
        listen=listen,
        tokens=tokens,
        grant=args.grant,
        approval_timeout=args.approval_timeout,
        approval_mode=args.approvals,
        dry_run=args.dry_run,
        reload_interval=args.reload_interval,
        start_timeout=getattr(args, "timeout", None) or 30.0,
        call_timeout=args.call_timeout or None,
        client_timeout=args.client_timeout or CLIENT_TIMEOUT,
        max_in_progress=args.max_in_progress,
        store=store,
        state_fail_open=args.state_fail_mode == "open",
        record=record,
        pin=args.pin,
        listen_sockets=sockets,
        # The clients' bearer tokens are credentials too: whoever reads one calls as its grant.
        record_secrets=(*_recording_secrets(spec), *(tokens or {})) if record is not None else (),
        server_secrets=tuple(spec.credentials()),
    )
    return _serve(config, spec, watcher, config.start_timeout)


def _stop_cleanly_on_signals() -> None:
    """Until the gateway's own handlers take over (before it starts the server or says that it
    serves), SIGTERM and SIGHUP end the command with exit 0 instead of killing it: nothing has
    been started that would need stopping."""
    import signal

    from policytui.gateway.runner import stopping_signals

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    # The signals that will stop the gateway (a hang-up it was started ignoring, as under
    # `nohup`, is not among them); SIGINT is Python's KeyboardInterrupt meanwhile.
    for each in stopping_signals():
        if each == signal.SIGINT:
            continue
        try:
            signal.signal(each, stop)
        except ValueError:  # not the main thread (the command run inside another program)
            return


def _open_state(args: argparse.Namespace, state_dir: Path, policy_path: Path) -> Any:
    """The state store, checked; or the exit code after one sentence on standard error.

    A URL that makes no sense is a usage error (exit 2); a store that refuses us (unwritable
    file, wrong Redis password, no such database) ends the start with exit 1. A Redis that is
    only unreachable does not: the gateway starts, denies limited calls and reconnects.
    """
    import logging

    from policytui.gateway.store import (
        StateConfigError,
        StateUnavailable,
        StateURLError,
        open_policy_store,
    )

    log = logging.getLogger("policytui.gateway")
    try:
        store = open_policy_store(args.state, state_dir, policy_path)
    except StateURLError as exc:
        raise UsageError(str(exc)) from None
    except (StateConfigError, StateUnavailable) as exc:
        # StateUnavailable here: the state file could not carry over the counters kept under
        # the policy's name; starting without them could restart budgets, so do not start.
        return _fail(str(exc))
    try:
        store.check()
    except StateConfigError as exc:
        store.close()
        return _fail(str(exc))
    except StateUnavailable as exc:
        log.error("%s; limited calls are denied until it answers", exc)
    if args.state_fail_mode == "open":
        log.warning(
            "--state-fail-mode open: when %s cannot be reached, limited calls are forwarded uncounted",
            store.description,
        )
    log.info("state: %s (counters of policy %r)", store.description, store.policy)
    _say_if_shared(store, policy_path, log)
    return store


def _say_if_others_read(tokens: Path) -> None:
    """Warn when other users of this machine may read the tokens file: each token in it calls
    tools as its grant. Only a warning, as a secret mounted by Kubernetes is 0644 by default
    (readable only inside the container) and refusing it would stop such a gateway."""
    import logging
    import shlex
    import stat

    from policytui.policy.display import visible

    try:
        mode = tokens.stat().st_mode
    except OSError:
        return  # it was just read; a file gone since is the reader's concern
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        who = "every user" if mode & stat.S_IROTH else "its group"
        logging.getLogger("policytui.gateway").warning(
            "the tokens file %s can be read by %s of this machine (mode %s), and each token in "
            "it calls tools as its grant; make it private: chmod 600 %s",
            visible(str(tokens)), who, oct(stat.S_IMODE(mode))[2:].zfill(4),
            visible(shlex.quote(str(tokens))))


def _say_if_shared(store: Any, policy_path: Path, log: Any) -> None:
    """Warn when the store counts this policy together with a different policy file of the same
    name (Redis keys counters by the file's name, so that replicas keeping the file under
    different paths share them). Sharing only ever denies more, so it is kept, and said."""
    import hashlib

    from policytui.gateway.store import StateUnavailable

    if store.machine_local:
        return
    try:
        fingerprint = hashlib.sha256(Path(policy_path).read_bytes()).hexdigest()
        others = store.note_policy(fingerprint)
    except (OSError, StateUnavailable):
        return  # said already when the store is down; the policy file is read by the watcher
    if others:
        log.warning(
            "state: a gateway started %s s ago with a different policy file named %r counts in the "
            "same counters of %s (which only ever denies more); if it is another deployment, give "
            "each its own ?prefix=NAME (an edit of this policy file in the last day shows this too)",
            others[0], store.policy, store.description,
        )


def _serve(config: GatewayConfig, spec: ServerSpec, watcher: PolicyWatcher, timeout: float) -> int:
    import logging

    import anyio

    from policytui.discovery import DiscoveryError
    from policytui.gateway.runner import (
        default_connect,
        logs_apart_from_standard_error,
        run_gateway,
    )

    # The log names the server it fronts, as people are shown it (credentials hidden): a log
    # read later, or one of many gateways, says which server its calls went to.
    logging.getLogger("policytui.gateway").info("server: %s", spec.describe())
    connect = default_connect(spec, timeout=timeout, call_timeout=config.call_timeout)
    make_upstream = None
    if spec.transport == "stdio":
        # A server started as a command is spoken to in raw JSON-RPC lines (no SDK client layers).
        from policytui.gateway.upstream_stdio import StdioUpstream

        def make_upstream() -> StdioUpstream:
            return StdioUpstream(spec, timeout=timeout, call_timeout=config.call_timeout)

    try:
        return anyio.run(lambda: run_gateway(config, connect, watcher=watcher, make_upstream=make_upstream))
    except KeyboardInterrupt:
        return 130
    except BaseException as exc:
        if isinstance(_first(exc, SystemExit), SystemExit):
            return 0  # a signal before the gateway's own handlers were in place
        error = _first(exc, DiscoveryError)
        if error is not None:
            message = error.report() if hasattr(error, "report") else str(error)
            if logs_apart_from_standard_error():
                # Under an MCP client, standard error is often thrown away: the log file is
                # where the reason the server could not be reached is looked for.
                logging.getLogger("policytui.gateway").error("the gateway stops: %s", message)
            return _fail(message)
        if isinstance(_first(exc, KeyboardInterrupt), KeyboardInterrupt):
            return 130
        import logging

        from policytui.gateway.unexpected import innermost, log_unexpected

        log_unexpected(logging.getLogger("policytui.gateway"), "the gateway stopped on an unexpected error")
        leaf = innermost(exc)
        return _fail(f"the gateway stopped on an unexpected error: {type(leaf).__name__}: {leaf}")


def _first(exc: BaseException, kind: type) -> BaseException | None:
    if isinstance(exc, kind):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first(inner, kind)
            if found is not None:
                return found
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc and isinstance(cause, BaseException):
        return _first(cause, kind) if isinstance(cause, (kind, BaseExceptionGroup)) else None
    return None


def _open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _fail(message: str) -> int:
    from policytui.cli import sentence
    from policytui.policy.display import visible

    text = sentence(message)
    # Names in the message may come from a policy or a server: escapes are shown, not obeyed.
    shown = "\n".join(visible(line) for line in text.split("\n"))
    print(f"policytui gateway: {shown}", file=sys.stderr)
    return 1


def _pass_environment(spec: ServerSpec) -> None:
    """A server given as a command after -- gets the gateway's environment.

    An MCP client starts the gateway with the environment meant for the server (API tokens in
    the `env` of its `mcpServers` entry). The SDK hands a child only a few safe variables, so the
    rest is passed on explicitly; being in `spec.env` also keeps those values out of messages.
    """
    if spec.transport != "stdio" or spec.origin != "command line":
        return
    from policytui.discovery.spawn import child_environment

    base = child_environment({})  # what every server gets anyway (the SDK's safe few)
    inherited = {k: v for k, v in os.environ.items() if k not in base and not k.startswith("POLICYTUI_")}
    spec.env = {**inherited, **spec.env}


def _recording_secrets(spec: ServerSpec) -> list[str]:
    from policytui.gateway.recorder import recording_secrets

    return recording_secrets(spec)


def _target_spec(args: argparse.Namespace) -> ServerSpec:
    """The server to put behind the gateway, from the same TARGET arguments as other commands."""
    from policytui.cli.target_args import spec_or_usage_error

    return spec_or_usage_error(args)
