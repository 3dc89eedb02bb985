"""`policytui serve [TARGET] [--policy FILE] [--port N]`: the policy editor in a browser.

Each browser window runs `policytui connect` with the same arguments, through textual-serve:
the same editor, keys and mouse. The server listens on 127.0.0.1 unless `--host` says
otherwise, wants the random token of the printed URL on every request, and lets one browser
at a time edit the policy file. The target is resolved here first, so a mistake is reported in
the terminal before any browser is involved.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import json
import os
import shlex
import signal
import socket
import sys
from pathlib import Path

from policytui.cli import EXIT_INTERRUPTED, UsageError, connect_cmd, sentence
from policytui.textsafe import clip, visible

OPENER_PREFIX = "open-"  # the page that leads the desktop browser to the URL: open-<pid>.html
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    connect_cmd.add_arguments(parser)  # TARGET, --policy, --theme: exactly as `connect`
    web = parser.add_argument_group("web")
    web.add_argument(
        "--host", default="127.0.0.1", metavar="ADDR",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    web.add_argument(
        "--port", type=_port, default=0, metavar="N",
        help="port to listen on (default: any free port; the URL names it)",
    )
    web.add_argument(
        "--no-open", action="store_true", help="print the URL without opening a browser"
    )


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expects a port number from 0 to 65535") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("expects a port number from 0 to 65535")
    return value


def connect_arguments(args: argparse.Namespace, policy: Path) -> list[str]:
    """The `policytui connect` arguments each browser's editor is started with.

    Header values stay as given (a `${env:NAME}` reference is expanded by the editor itself from
    the environment it inherits); paths are made absolute.
    """
    argv: list[str] = []
    if args.target:
        argv.append(args.target)
    if args.from_file:
        argv += ["--from", str(Path(args.from_file).resolve())]
    if args.offline:
        argv.append("--offline")
    argv += ["--timeout", repr(args.timeout)]
    for name, value in args.header:
        argv += ["--header", f"{name}: {value}"]
    if args.sse:
        argv.append("--sse")
    argv += ["--policy", str(policy)]
    if args.theme:
        argv += ["--theme", args.theme]
    if args.replay:
        argv += ["--replay", str(Path(args.replay).resolve())]
    if args.server_command:
        argv += ["--", *args.server_command]
    return argv


def run(args: argparse.Namespace) -> int:
    policy = Path(args.policy).resolve()
    if policy.is_dir():
        raise UsageError(
            f"--policy {visible(args.policy)} is a folder; give a file name such as policy.json"
        )
    # The path and the target's name as they are shown (the terminal, the page's title): a
    # control character in a file name is never sent to the terminal, and a byte that is not
    # UTF-8 (kept by Python as a lone surrogate) could not be written out at all.
    shown = visible(str(policy))
    label = visible(_target_label(args))
    if args.theme:
        from policytui.tui.app import theme_names

        if args.theme not in theme_names():
            names = ", ".join(theme_names())
            raise UsageError(f"there is no theme {args.theme!r}; choose one of {names}")
    connect_cmd.check_replay_file(args)
    # A policy file that no save could write is refused before anything listens, in the
    # sentence and with the exit status of `connect` (and of `init`, `export`, `snapshot`).
    unwritable = connect_cmd.policy_folder_problem(str(policy))
    if unwritable is not None:
        print(f"policytui serve: {sentence(unwritable)}", file=sys.stderr)
        return 1

    from policytui.serve.access import TOKEN_PARAMETER, new_token
    from policytui.serve.lock import EditLock, LockFolderError
    from policytui.serve.session import ARGUMENTS_VARIABLE

    try:
        lock = EditLock(policy)
    except (LockFolderError, OSError) as exc:
        raise UsageError(f"cannot keep the edit lock: {exc}") from None
    from policytui.editor.opened import mark_open, open_elsewhere, unmark
    # Before the policy is marked open: a port in use is said alone, and leaves no mark behind.
    sock = _listen(args.host, args.port)
    if isinstance(sock, str):
        print(f"policytui serve: {sock}", file=sys.stderr)
        return 1

    # The edit lock keeps this user's editors apart; another user's `serve`, or anyone's
    # `connect` in a terminal, is only told of: a save of a file changed since it was read
    # asks first, so neither overwrites the other unawares.
    if lock.taken_elsewhere():
        # Another `serve` of this user's has an editor open: the lock turns this one's page
        # away until it ends, so nobody here will be asked about a second save.
        print(
            f"policytui serve: warning: {shown} is being edited in another `policytui serve` "
            "of yours; this one's page says it is already being edited until that editor "
            "quits (ctrl+q) or its window is closed.",
            file=sys.stderr,
        )
    elif open_elsewhere(policy):
        print(
            f"policytui serve: warning: {shown} is open in another policytui editor (a `serve` "
            "or `connect`, maybe another user's); whichever of you saves second is asked "
            "whether to overwrite the other's version.",
            file=sys.stderr,
        )
    opened = mark_open(policy)
    bound = str(sock.getsockname()[0])
    url_host = _url_host(bound)
    token = new_token()
    url = f"http://{url_host}:{sock.getsockname()[1]}/?{TOKEN_PARAMETER}={token}"
    command = shlex.join([sys.executable, "-m", "policytui.serve.session"])

    from policytui.editor.server_name import page_title
    from policytui.serve.server import EditorServer
    from policytui.serve.stop_signals import Stopped, StopSignals

    server = EditorServer(
        command=command,
        # Until the editor has listed the server: then it names the server as its header
        # does, by the name and version the server reports (editor/server_name.py).
        title=page_title(visible(policy.name), label),
        token=token,
        lock=lock,
        sock=sock,
        # Read by each editor process (policytui.serve.session); never part of a page or URL,
        # and given to the editors alone: a browser serve starts would keep a `--header`
        # credential in its environment, and hand it to what it starts, long after serve ends.
        editor_environment={ARGUMENTS_VARIABLE: json.dumps(connect_arguments(args, policy))},
        # The names a browser's Host header may give besides an IP address and "localhost".
        host_names=[name for name in (args.host, url_host) if not _is_address(name)],
    )
    if not _is_loopback(bound):
        where = f"{bound} (every address of this machine)" if _is_unspecified(bound) else bound
        print(
            f"policytui serve: warning: listening on {where}, not only on this machine. "
            "Anyone who can reach it and has the URL can edit the policy, and plain http lets "
            "the network read the token.",
            file=sys.stderr,
        )
    folder = lock.lock_path.parent  # lock_folder(): checked to be this user's own
    # Before the address is printed: whoever waits for it finds the stale pages gone.
    _remove_stale_pages(folder)
    tools_from = f" (its tools from {visible(args.from_file)})" if args.from_file else ""
    print(f"Editing {shown}" + (f" for {label}{tools_from}" if label else ""))
    print(f"Open this address in a browser (it holds the access token):\n  {url}")
    print("Press ctrl+c to stop.", flush=True)
    # The page that leads the browser to the URL (it holds the token) is named before the
    # browser is started, so that it is removed however serve ends, even while the browser
    # command still runs.
    opener = folder / f"{OPENER_PREFIX}{os.getpid()}.html"
    # SIGTERM, and SIGHUP (the terminal closed) unless it is ignored (`nohup`), stop serve the
    # way ctrl+c does, also before the server runs (while the browser command runs): never by
    # the default action, which ends the process at once and leaves the page holding the token
    # behind. The server takes them over while it runs.
    signals = StopSignals()
    try:
        if not args.no_open:
            _open_browser(url, opener)
        server.run(signals)
    except Stopped:
        return 0  # SIGTERM or SIGHUP before serving began: nothing was running yet
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED  # ctrl+c before serving began
    finally:
        opener.unlink(missing_ok=True)
        unmark(opened)
    # As the gateway: 130 on ctrl+c (SIGINT), as every command; 0 on SIGTERM or SIGHUP, a
    # service manager's stop.
    return EXIT_INTERRUPTED if server.stopped_by == signal.SIGINT else 0


def _remove_stale_pages(folder: Path) -> None:
    """Remove the pages a serve ended by SIGKILL (or a crash) left behind: its process is gone."""
    for page in folder.glob(f"{OPENER_PREFIX}*.html"):
        number = page.name.removeprefix(OPENER_PREFIX).removesuffix(".html")
        if not number.isdigit():
            continue
        try:
            os.kill(int(number), 0)
        except ProcessLookupError:
            page.unlink(missing_ok=True)
        except OSError:
            pass  # a process of that number exists (another user's): leave the page


def _target_label(args: argparse.Namespace) -> str:
    """The target's name for the page title, after checking it resolves (UsageError if not)."""
    if not (args.target or args.server_command or args.from_file):
        return ""  # the editor offers the known servers
    from policytui.cli.target_args import check_snapshot_file, spec_from_args
    from policytui.discovery.errors import DiscoveryError

    try:
        spec = spec_from_args(args)
    except DiscoveryError as exc:
        raise UsageError(str(exc)) from None
    recorded = check_snapshot_file(spec)
    if recorded is not None:
        # A snapshot's tools are named after the server that listed them, as the editor's
        # header names it: the file (`--from`'s, which serve's terminal names too) is only
        # where they were kept, and a server's name is what its gateway and policy are about.
        return clip(recorded, 80)
    # Never the command line or URL: they can hold a credential, and the title is on the page.
    return spec.name or "a server"


def _listen(host: str, port: int) -> socket.socket | str:
    """The listening socket, or the sentence saying why there is none when this machine
    refuses it (a port in use: exit 1, the environment is at fault, as for `gateway
    --listen`). A host that is no address of this machine is a usage error."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise UsageError(f"--host {host} is not an address of this machine") from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)  # a browser opened now waits in the backlog until the server accepts
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRNOTAVAIL:
            raise UsageError(f"--host {host} is not an address of this machine") from None
        reason = "it is in use" if port and exc.errno == errno.EADDRINUSE else (exc.strerror or "refused")
        return f"cannot listen on {host} port {port}: {reason}."
    sock.setblocking(False)
    return sock


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _is_unspecified(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_unspecified
    except ValueError:
        return False


def _url_host(bound: str) -> str:
    """The host of the printed URL: the address the socket is bound to, as digits.

    Never a name given to --host: "localhost" resolves to 127.0.0.1 and to ::1, and a browser
    may try the one this server does not listen on, where any local user can be listening on
    the same port to take the token out of the first request.
    """
    if _is_unspecified(bound):
        return _reachable_name()
    if ":" in bound:
        return f"[{bound}]"
    return bound


def _reachable_name() -> str:
    """A name or address by which other machines reach this one, for a wildcard listener.

    Many hosts (containers, laptops) resolve their own name to "localhost", and an address
    naming this machine's loopback is useless to the other machines `--host` was given for.
    """
    name = socket.getfqdn()
    if not _names_loopback(name):
        return name
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            # Connecting a UDP socket only picks the outward interface; nothing is sent.
            probe.connect(("192.0.2.1", 9))
            address = str(probe.getsockname()[0])
        if not ipaddress.ip_address(address).is_loopback and address != "0.0.0.0":
            return address
    except (OSError, ValueError):
        pass
    return socket.gethostname()


def _names_loopback(name: str) -> bool:
    if _is_loopback(name):
        return True
    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback
                   for info in socket.getaddrinfo(name, None))
    except (OSError, ValueError):
        return True


def _open_browser(url: str, path: Path) -> None:
    """Open `url` in the desktop's browser, through a file of this user's that leads there.

    The browser is started with a command line, and every local user can read command lines
    (`ps`): the URL and its token never appear on one. The browser is given the page `path`, in
    this user's own folder (see policytui.serve.lock), that sends it on to the URL; the caller
    removes the page when `serve` ends.
    """
    # Without a desktop, Python's webbrowser would start a text browser in this terminal.
    desktop = sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if not desktop:
        return
    import html
    import webbrowser

    target = html.escape(url, quote=True)
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<meta name='referrer' content='no-referrer'>"
        f"<meta http-equiv='refresh' content='0;url={target}'>"
        "<title>policytui serve</title></head>"
        f"<body><p><a href='{target}'>Open the policy editor</a></p></body></html>"
    )
    try:
        path.unlink(missing_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError:
        return  # the printed URL still works
    try:
        webbrowser.open(path.as_uri(), new=2)
    except webbrowser.Error:
        pass
