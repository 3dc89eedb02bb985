"""What policytui needs to reach one server, and how to describe it without its secrets."""

from __future__ import annotations

import base64
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from policytui.textsafe import without_secrets

Transport = Literal["stdio", "http", "sse", "snapshot"]

# Flags whose next argument is usually a credential (`--token abc`, `--api-key=abc`). Their
# values are hidden in the command shown and are secrets (`argument_secrets`). "pat" (a personal
# access token: `--github-pat`) only as a word of its own: `--path`, `--pattern` hold no secret.
_SECRET_FLAG = re.compile(
    r"(token|secret|passw|api[-_]?key|apikey|auth|credential|bearer|(?<![a-z])pat(?![a-z]))",
    re.IGNORECASE,
)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_NAME = re.compile(
    r"(token|secret|passw|pwd|key|auth|credential|cookie|session|pat$)", re.IGNORECASE
)
# Variables every shell or desktop session sets whose names read as secret (PWD, SESSION, AUTH,
# KEY) but which hold none: a folder, the session's kind ("user", "wayland", "ubuntu"), a socket's
# path, a process or user id. A server started as a command after `--` inherits them from the
# desktop client that started the gateway; counted as credentials, every "user" or "1000" the
# server wrote (raw.github***content.com in a tool's description) would reach the client starred,
# and every path under one would be hidden in recordings. Exact names only: SESSION_TOKEN,
# XDG_SESSION_SECRET and the like still count.
_PLAIN_NAMES_THAT_READ_AS_SECRET = frozenset((
    "PWD", "OLDPWD",  # the shell's working folders
    "XDG_SESSION_CLASS", "XDG_SESSION_TYPE", "XDG_SESSION_DESKTOP", "XDG_SESSION_ID",
    "XDG_SESSION_PATH", "DESKTOP_SESSION", "GDMSESSION", "SESSION_MANAGER",
    "DBUS_SESSION_BUS_ADDRESS", "DBUS_SESSION_BUS_PID", "KDE_SESSION_VERSION", "KDE_SESSION_UID",
    "SSH_AUTH_SOCK", "XAUTHORITY", "GNOME_KEYRING_CONTROL", "GNOME_KEYRING_PID",
    "SECURITYSESSIONID", "TERM_SESSION_ID", "ITERM_SESSION_ID",  # macOS terminals
    "SESSIONNAME", "WT_SESSION",  # Windows
))


def env_name_says_secret(name: str) -> bool:
    """Whether an environment variable's name says its value is a secret (TOKEN, PASSWORD...)."""
    return name not in _PLAIN_NAMES_THAT_READ_AS_SECRET and _SECRET_NAME.search(name) is not None


# An env value this long is treated as a possible credential whatever its name.
_LONG_VALUE = 8
# Values shorter than this are not treated as secrets when scrubbing text: redacting "1" or
# "true" everywhere would mangle messages without protecting anything.
_MIN_SECRET_LEN = 4


@dataclass
class ServerSpec:
    """A resolved target: a command to spawn, a URL to reach, or a snapshot file to read.

    `env` and `headers` hold real values (often secrets) and go to the server only; everything
    meant for people goes through `describe()`, `env_keys` and `header_keys`.
    """

    name: str
    transport: Transport
    command: str | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict, repr=False)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    snapshot_path: Path | None = None
    # Where the definition came from, for people: "~/.config/policytui/servers.json", "built-in".
    origin: str = ""
    # The arguments/URL as written in the config, before `${...}` expansion: safe to show.
    display_args: list[str] | None = None
    display_url: str | None = None
    # A recorded tool list that stands in when the live server cannot run (catalogue entries).
    fallback_snapshot: Path | None = None
    fallback_label: str = ""
    # Values that must never appear in output, beyond env and header values (expanded variables).
    extra_secrets: list[str] = field(default_factory=list, repr=False)

    @property
    def env_keys(self) -> list[str]:
        return sorted(self.env)

    @property
    def header_keys(self) -> list[str]:
        return sorted(self.headers)

    def command_line(self) -> str:
        """The command as a shell would show it, with credentials in arguments masked, and any
        credential the server is given elsewhere (`HEROKU_API_KEY`, a header) starred where an
        argument repeats it."""
        if self.command is None:
            return ""
        args = self.display_args if self.display_args is not None else self.args
        return str(without_secrets(shlex.join([self.command, *mask_arguments(args)]), self.credentials()))

    def safe_url(self) -> str:
        """The URL with user info, query values and credential-looking path parts hidden, and
        any credential the server is given (a header's key) starred where the URL repeats it:
        a UUID named by its collection (`/apps/<uuid>`) is shown, unless it is that key."""
        return str(without_secrets(safe_url(self.display_url or self.url or ""), self.credentials()))

    def describe(self) -> str:
        """One line naming the target for people: never an env value or a header value."""
        if self.transport == "stdio":
            text = self.command_line()
            if self.env:
                text += f" (env: {', '.join(self.env_keys)})"
            return text
        if self.transport in ("http", "sse"):
            text = self.safe_url()
            if self.transport == "sse":
                text += " (SSE)"
            if self.headers:
                text += f" (headers: {', '.join(self.header_keys)})"
            return text
        return str(self.snapshot_path or self.name)

    def secrets(self) -> list[str]:
        """Every value that must not leave for anywhere but the server, longest first.

        Env values count when their name says secret (TOKEN, PASSWORD, ...) or when they are
        long enough to be a credential; short settings ("http", "debug") stay readable. The
        command's credential arguments (`argument_secrets`: `--token abc`, `--api-key=abc`),
        header values and the URL's password and query values count too.
        """
        values = self._given_as_credentials()
        values |= {value for value in self.env.values() if len(value) >= _LONG_VALUE}
        values |= {value for value in self.extra_secrets if len(value) >= _LONG_VALUE}
        return sorted((v for v in values if len(v) >= _MIN_SECRET_LEN), key=len, reverse=True)

    def credentials(self) -> list[str]:
        """The secrets given for this server as credentials: `secrets` less settings that are
        only long (an env value whose name does not say secret). What the gateway keeps from
        its clients when the server repeats it: a long ordinary setting may be a tool's text.
        A value given as a credential stays one when a plain setting holds it too."""
        given = self._given_as_credentials()
        unnamed = {value for key, value in self.env.items() if not env_name_says_secret(key)}
        return [value for value in self.secrets() if value in given or value not in unnamed]

    def _given_as_credentials(self) -> set[str]:
        """The values given to the server as credentials: env values whose names say secret,
        the credentials of a URL an env value or a header holds, the command's credential
        arguments, header values (and a bearer token alone), and the URL's sign-in (also as
        HTTP basic auth sends it), query values, credential-named fragment values and path
        keys."""
        values = {value for key, value in self.env.items() if env_name_says_secret(key)}
        # `API=https://host/v1/<key>/x`, `UPSTREAM_URL=...?token=...`: the whole value counts
        # only when long, and a server that repeats just its key would pass, so the URL's
        # sign-in, credential-named query values and path keys count, as in a command's URL.
        for value in self.env.values():
            if "${" not in value:
                values |= set(_url_credentials(value))
        # `--api-key abc`: what the command's description hides (`--api-key ***`) is a secret.
        values |= set(argument_secrets(self.args))
        for value in self.headers.values():
            values.add(value)
            # "Bearer abc": the token alone must not leak either.
            scheme, _, token = value.partition(" ")
            if token and scheme.isalpha():
                values.add(token)
            # `X-Upstream: https://host/v1/<key>/x?token=...`: the URL's own credentials, as
            # for an env value that holds one.
            values |= set(_url_credentials(value))
        if self.url:
            parts = urlsplit(self.url)
            # A user without a password (`https://TOKEN@host`, `https://sk_live_...:@host`) is
            # the credential itself, sent as HTTP basic auth.
            sign_in = parts.password or parts.username
            if sign_in:
                values |= {sign_in, unquote(sign_in), _basic_auth(parts.netloc.rpartition("@")[0])}
            for pair in parts.query.split("&"):
                _, _, value = pair.partition("=")
                values.add(value)
            values |= set(_bare_query_keys(parts.netloc.rpartition("@")[2], parts.query))
            values |= set(_matrix_credentials(parts.netloc.rpartition("@")[2], parts.path, every_named=True))
            values |= set(_fragment_credentials(parts.fragment))
            values |= set(_path_credentials(parts.netloc.rpartition("@")[2], parts.path))
        return values

    def redact(self, text: str) -> str:
        """`text` with every secret of this spec replaced by ***."""
        return str(without_secrets(text, self.secrets()))


def mask_arguments(args: list[str]) -> list[str]:
    """Hide the values that follow credential-looking flags: `--token abc` -> `--token ***`."""
    return [shown for shown, _secrets in _read_arguments(args)]


def argument_secrets(args: list[str]) -> list[str]:
    """The values `mask_arguments` hides (`--token abc`, `--api-key=abc`, `API_KEY=abc`, the
    password of `postgresql://me:pw@db/x`): the credentials given on a command line. One reading
    serves both, so a value the command's description hides is always a secret, and a secret is
    always hidden there."""
    return [secret for _shown, secrets in _read_arguments(args) for secret in secrets]


def _read_arguments(args: list[str]) -> Iterator[tuple[str, list[str]]]:
    """Each argument as shown to people, with the credentials it holds.

    A `${...}` reference is shown as written: it names where the value comes from, not the value.
    """
    for shown, secret in _read_flags(args):
        if secret is None and "${" not in shown:
            yield _credential_in(shown)
        else:
            yield shown, [] if secret is None else [secret]


def _credential_in(arg: str) -> tuple[str, list[str]]:
    """An argument no flag names as a credential, as shown, with the credentials it holds: a URL
    given to the server (`postgresql://me:pw@db/x`, `https://TOKEN@host`, `...?api_key=abc`) is
    shown as `safe_url` shows a target's, its password (or lone user) and query values secret;
    any other argument that reads as a credential (`sk_live_...`, a JWT, `Bearer abc123...`) is
    hidden whole."""
    from policytui.redaction import holds_credential  # it reads us

    in_url = _url_with_credentials(arg)
    if in_url is not None:
        return in_url
    prefix, _, url = arg.partition("=") if "=" in arg.partition("://")[0] else ("", "", arg)
    if holds_credential(arg):
        return "***", [arg]
    if _HEX_KEY.fullmatch(url):  # `abc123...` alone, or after a flag's `=`
        return f"{prefix}=***" if prefix else "***", [url]
    return arg, []


def _url_credentials(text: str) -> list[str]:
    """The credentials of the URL `text` is (with its scheme or without, or after a name's `=`):
    its password or lone user, the values of its query and fragment parameters named like a
    credential, and the parts of its path that read as keys, each also as unquoted; none when it
    is no URL."""
    in_url = _url_with_credentials(text)
    return [] if in_url is None else in_url[1]


def _url_with_credentials(arg: str) -> tuple[str, list[str]] | None:
    """A URL that holds credentials (`_credential_in`'s first case), as shown, with them; None
    when `arg` is no URL or its URL holds none."""
    from policytui.redaction import is_bare_url, secret_parameter  # it reads us

    # `--db=postgresql://...`: the URL after the flag's `=`.
    prefix, _, url = arg.partition("=") if "=" in arg.partition("://")[0] else ("", "", arg)
    if is_bare_url(arg):
        prefix, url = "", arg  # `hooks.example.com/x?token=...`: the `=` is the query's
    # A URL written without its scheme (`hooks.slack.com/services/...`) is read as one.
    bare = is_bare_url(url)
    try:
        parts = urlsplit("//" + url if bare else url)
    except ValueError:
        parts = None
    if parts is not None and (bare or (parts.scheme and "://" in url)):
        sign_in = parts.password or parts.username
        secrets = [sign_in, unquote(sign_in)] if sign_in else []
        # Only named ones: `sslmode=require` would star every "require" the server writes.
        for name, _, value in (pair.partition("=") for pair in parts.query.split("&")):
            if value and secret_parameter(name):
                secrets += [value, unquote(value)]
        secrets += _bare_query_keys(parts.netloc.rpartition("@")[2], parts.query)
        secrets += _matrix_credentials(parts.netloc.rpartition("@")[2], parts.path, every_named=False)
        secrets += _fragment_credentials(parts.fragment)
        # A key in the path (`https://hooks.example.com/services/T0/B0/<hex>`).
        for key in _path_credentials(parts.netloc.rpartition("@")[2], parts.path):
            secrets += [key, unquote(key)]
        if secrets:
            shown = safe_url("//" + url)[2:] if bare else safe_url(url)
            return f"{prefix}={shown}" if prefix else shown, list(dict.fromkeys(secrets))
    return None


def _bare_query_keys(host: str, query: str) -> list[str]:
    from policytui.redaction import bare_query_keys  # redaction reads this module's names

    return bare_query_keys(host, query)


def _matrix_credentials(host: str, path: str, *, every_named: bool) -> list[str]:
    """The credentials among the matrix parameters of a URL's path (`/mcp;jsessionid=...`,
    `;api_key=...`, `;<key>`), read as its query's are: the values of every named one
    (`every_named`: the target's own URL, as all its query values are) or of those named like a
    credential, each also as unquoted, and those given without a name that read as a key."""
    from policytui.redaction import matrix_parameters, secret_parameter  # it reads us

    params = matrix_parameters(path)
    found: list[str] = []
    for name, _, value in (param.partition("=") for param in params):
        if value and "${" not in value and (every_named or secret_parameter(name)):
            found += [value, unquote(value)]
    return found + _bare_query_keys(host, "&".join(params))


def _fragment_credentials(fragment: str) -> list[str]:
    """The values of a URL fragment's parameters named like a credential (`#access_token=...`,
    where OAuth's implicit grant puts the token), each also as unquoted. The fragment is never
    sent to the server and never shown, but an agent may pass its token on in a call."""
    from policytui.redaction import secret_parameter  # it reads us

    found: list[str] = []
    for name, _, value in (pair.partition("=") for pair in fragment.split("&")):
        if value and secret_parameter(name):
            found += [value, unquote(value)]
    return found


def _basic_auth(userinfo: str) -> str:
    """The token HTTP basic auth sends for a URL's `user:password` (the HTTP client sends the
    URL's sign-in this way): base64 of both, unquoted, joined by `:`, as a server may repeat it."""
    user, _, password = userinfo.partition(":")
    return base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()


# An argument of the server's own that is a long run of hexadecimal digits (letters and digits
# both) is taken for a key: a GitHub token of the older kind is 40 of them, and many services
# issue 32 or 64. Only as a whole argument of the command: in a call's arguments or a server's
# log, the same shape is usually a commit or a checksum.
_HEX_KEY = re.compile(r"(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{32,}")


def _read_flags(args: list[str]) -> Iterator[tuple[str, str | None]]:
    """Each argument as shown, with the value a credential flag or assignment gives it (None
    when none does)."""
    hide_next = False
    for arg in args:
        if hide_next and not arg.startswith("-"):
            hide_next = False
            yield (arg, None) if "${" in arg else ("***", arg)
            continue
        hide_next = False
        flag, eq, value = arg.partition("=")
        if eq and not arg.startswith("-") and _ASSIGNMENT.match(flag) and _SECRET_FLAG.search(flag):
            yield (arg, None) if "${" in value else (f"{flag}=***", value)  # `env API_KEY=... server`
            continue
        if arg.startswith("-") and _SECRET_FLAG.search(flag):
            if eq:
                yield (arg, None) if "${" in value else (f"{flag}=***", value)
            else:
                yield arg, None
                hide_next = True
            continue
        yield arg, None


def path_ends_in_sse(url: str) -> bool:
    """Does the URL name a legacy SSE endpoint, its path ending in /sse? Judged on the path as a
    server routes it: without its query and without its parts' matrix parameters
    (`/sse;jsessionid=...` is the `/sse` endpoint). A URL that cannot be read does not."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    return "/".join(part.partition(";")[0] for part in path.split("/")).rstrip("/").endswith("/sse")


def safe_url(url: str) -> str:
    """A URL fit for display: no password (nor a user without one), query values and parts of
    the path that read as credentials masked."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, _, password = userinfo.partition(":")
        # Without a password the user is the credential (`https://TOKEN@host`): hide it too.
        netloc = f"{user}:***@{host}" if password else f"***@{host}"
    host = netloc.rpartition("@")[2]
    query = "&".join(_masked_parameters(host, parts.query.split("&")))
    pieces = parts.path.split("/")
    secret_parts = set(_secret_path_parts(host, parts.path))
    for i, piece in enumerate(pieces):
        base, *params = piece.split(";")
        # A matrix parameter (`/mcp;jsessionid=...`) is hidden as a query's parameter is.
        pieces[i] = ";".join(["***" if i in secret_parts else base, *_masked_parameters(host, params)])
    return urlunsplit((parts.scheme, netloc, "/".join(pieces), query, ""))


def _masked_parameters(host: str, pairs: list[str]) -> list[str]:
    """A URL's query or matrix parameters as shown: every named value hidden (`name=***`), a key
    given alone hidden when it reads as one (`***`: `_bare_query_keys`), a word alone shown."""
    keys = _bare_query_keys(host, "&".join(pairs))
    return [f"{pair.partition('=')[0]}=***" if "=" in pair and "${" not in pair else "***" if pair in keys else pair
            for pair in pairs if pair]


def _path_credentials(host: str, path: str) -> list[str]:
    """The parts of a URL's path that read as credentials: some services put the key in the
    endpoint (`https://actions.example.com/mcp/sk-ak-.../sse`, `/sk_live_.../mcp`, a webhook's
    `/services/T0/B0/<key>`); `redaction.secret_path_parts` says which."""
    pieces = [piece.partition(";")[0] for piece in path.split("/")]  # its matrix parameters: _matrix_credentials
    return [pieces[i] for i in _secret_path_parts(host, path)]


def _secret_path_parts(host: str, path: str) -> list[int]:
    from policytui.redaction import secret_path_parts  # redaction reads this module's names

    return secret_path_parts(host, path)
