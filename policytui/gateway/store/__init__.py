"""Where the gateway keeps state that outlives a call: counters and held calls.

`open_store(url, state_dir)` picks the backend from `--state URL`:

- none: `<state folder>/state.sqlite`, shared by every process on this machine using that folder;
- `sqlite:///PATH`: that SQLite file;
- `redis://[user:password@]host[:port][/db][?prefix=NAME]` (or `rediss://` for TLS): shared by
  replicas on many machines;
- `memory://`: this process only.

A URL that cannot be used raises `StateConfigError` with one sentence for the user.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from policytui.gateway.store.base import (
    NOTHING_RESERVED,
    CounterUse,
    Reservation,
    StateConfigError,
    StateStore,
    StateUnavailable,
    StateURLError,
    StoreBusy,
    StoredApproval,
    StoreGaveUp,
    StoreLocked,
    run_in_store,
    run_to_the_end,
)

STATE_ENV = "POLICYTUI_STATE"
STATE_FILE = "state.sqlite"
URL_FORMS = "memory://, sqlite:///PATH or redis://HOST:PORT/DB"
# The stores another process can read (`approvals`, `counters`): memory:// is one gateway's own.
SHARED_URL_FORMS = "sqlite:///PATH or redis://HOST:PORT/DB"

__all__ = [
    "NOTHING_RESERVED",
    "STATE_ENV",
    "CounterUse",
    "Reservation",
    "StateConfigError",
    "StateStore",
    "StateUnavailable",
    "StateURLError",
    "StoreBusy",
    "StoredApproval",
    "StoreGaveUp",
    "StoreLocked",
    "describe_url",
    "open_store",
    "sqlite_file",
    "open_policy_store",
    "policy_name",
    "run_in_store",
    "run_to_the_end",
]

_PREFIX_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def policy_name(policy_path: Path) -> str:
    """A policy's file name without the extension: what its counters are kept under in a store
    replicas on several machines share (Redis), where each machine may keep the file elsewhere."""
    return Path(policy_path).stem or "policy"


def policy_key(policy_path: Path, store: StateStore) -> str:
    """What `policy_path`'s counters are kept under in `store`.

    A store only this machine's processes reach (SQLite, memory) keys them by the file's
    absolute path, symlinks resolved: every replica on the machine reads that one file, and two
    unrelated projects with a `policy.json` each (the default name) in the default state file
    stay apart. A store replicas on several machines share (Redis) keys them by the file name,
    because each machine may keep the file under another path; there `?prefix=NAME` separates
    deployments.
    """
    if store.machine_local:
        return str(Path(policy_path).expanduser().resolve())
    return policy_name(policy_path)


def open_policy_store(url: str | None, state_dir: Path, policy_path: Path) -> StateStore:
    """The store a gateway enforcing `policy_path` counts in (see `open_store` and `policy_key`).

    Counters kept under the file's name by earlier versions in a machine-local store count on
    under the new key until their window ends: a budget never restarts because of the upgrade
    (the old counter held every same-named policy's calls, so this only ever denies more).
    """
    store = open_store(url, state_dir)
    store.for_policy(policy_key(policy_path, store))
    if store.machine_local:
        try:
            store.carry_over(policy_name(policy_path))
        except BaseException:
            store.close()
            raise
    return store


def describe_url(url: str) -> str:
    """The URL as it may be shown: without user name or password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the --state URL"
    if parts.scheme in ("redis", "rediss"):
        host = parts.hostname or "?"
        shown = f"[{host}]" if ":" in host else host
        try:
            port = parts.port or 6379
        except ValueError:
            port = "?"  # type: ignore[assignment]
        prefix = parse_qs(parts.query).get("prefix")
        tail = f"?prefix={prefix[-1]}" if prefix and _PREFIX_RE.match(prefix[-1]) else ""
        return f"{parts.scheme}://{shown}:{port}{parts.path or '/0'}{tail}"
    return url


def open_store(url: str | None, state_dir: Path, *, policy: str = "", shared: bool = False) -> StateStore:
    """Open the store `url` names (None: `$POLICYTUI_STATE`, else SQLite in `state_dir`).

    `shared`: for a command that reads a gateway's store from outside it, which a memory://
    store never is; a URL that is none of the forms names only the ones that command takes."""
    forms, schemes = (SHARED_URL_FORMS, ["sqlite", "redis", "rediss"]) if shared else (
        URL_FORMS, ["memory", "sqlite", "redis", "rediss"])
    from_env = os.environ.get(STATE_ENV) or None
    url = _with_password_of(url, from_env) if url else from_env
    if url is None:
        from policytui.gateway.store.sqlite import SQLiteStore

        return SQLiteStore(state_dir / STATE_FILE, policy=policy)
    if "://" not in url:
        shown = "that value" if "@" in url else repr(url)  # it may hold a password
        raise StateURLError(f"--state wants {forms}, not {shown}")
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        from policytui.gateway.store.memory import MemoryStore

        if url.lower() != "memory://":
            raise StateURLError(f"memory:// takes nothing after it, not {url!r}")
        return MemoryStore(policy=policy)
    if scheme == "sqlite":
        from policytui.gateway.store.sqlite import SQLiteStore

        return SQLiteStore(sqlite_file(url), policy=policy)
    if scheme in ("redis", "rediss"):
        return _redis(url, policy)
    import difflib

    close = difflib.get_close_matches(scheme, schemes, n=1)
    hint = f"; did you mean {close[0]}://?" if close else ""
    from policytui.textsafe import visible

    # The URL may come from $POLICYTUI_STATE, set who knows where: its bytes are shown, not
    # sent to the terminal to act on.
    raise StateURLError(f"--state wants {forms}, not a {visible(scheme)}:// URL{hint}")


def sqlite_file(url: str) -> Path:
    """The state file a `sqlite://` URL names, or StateURLError saying what is wrong with it."""
    path = url[len("sqlite://") :]
    if not path.startswith("/"):
        raise StateURLError(f"sqlite:// wants an absolute path, as in sqlite:///var/lib/policytui/state.sqlite, not {url!r}")
    if "?" in path:
        # An option (`?mode=ro`, `?timeout=5`) would otherwise name another file, made as
        # the gateway starts, that the commands given the URL without it never read.
        raise StateURLError(f"sqlite:// takes the state file's path and no options (?...), not {url!r}")
    # `sqlite:////var/lib/x.sqlite` (four slashes, as SQLAlchemy writes an absolute path) names
    # /var/lib/x.sqlite: the file is said as the user's path, not as `//var/lib/...`, which
    # POSIX leaves to each system to read and `Path` keeps.
    return Path("/" + path.lstrip("/"))


def _with_password_of(url: str, from_env: str | None) -> str:
    """`url`, with the user name and password of `$POLICYTUI_STATE` when both name the same
    Redis (scheme, host, port, database) and `url` carries none.

    The approve command a gateway logs names its Redis store without the password (nothing
    shows one); run where `$POLICYTUI_STATE` holds the password, that `--state` would otherwise
    override it and fail to log in."""
    if not from_env or "@" in url:
        return url
    try:
        given, known = urlsplit(url), urlsplit(from_env)
        same = (given.scheme.lower() in ("redis", "rediss")
                and given.scheme.lower() == known.scheme.lower()
                and (given.hostname or "") == (known.hostname or "")
                and (given.port or 6379) == (known.port or 6379)
                and (given.path.strip("/") or "0") == (known.path.strip("/") or "0"))
    except ValueError:
        return url
    if not same or not (known.username or known.password):
        return url
    credentials = known.netloc.rpartition("@")[0]
    return given._replace(netloc=f"{credentials}@{given.netloc}").geturl()


def _redis(url: str, policy: str) -> StateStore:
    shown = describe_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise StateURLError(f"{shown} is not a valid Redis URL (the port must be a number from 1 to 65535)") from None
    if not parts.hostname:
        raise StateURLError(f"{shown} names no host; write redis://HOST:PORT/DB")
    if port == 0:
        raise StateURLError(f"{shown} has port 0; write the port Redis listens on")
    db = parts.path.strip("/") or "0"
    if not (db.isascii() and db.isdigit()):  # `²` is a digit to str.isdigit, not to Redis
        raise StateURLError(f"{shown}: the database after the host must be a number, as in redis://HOST:6379/0")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"prefix"})
    if unknown:
        raise StateURLError(f"{shown}: unknown URL option {unknown[0]!r} (only ?prefix=NAME is understood)")
    prefix = (query.get("prefix") or ["policytui"])[-1]
    if not _PREFIX_RE.match(prefix):
        raise StateURLError(f"{shown}: the prefix must be 1 to 64 letters, digits or _ . : -")
    try:
        import redis  # noqa: F401
    except ImportError:
        raise StateConfigError("a redis:// state needs the redis package (pip install redis)") from None
    from policytui.gateway.store.redis_store import RedisStore

    # Only the prefix is ours: the rest goes to redis-py without it.
    plain = parts._replace(query="").geturl()
    return RedisStore(plain, description=shown, namespace=prefix.rstrip(":") + ":", policy=policy)
