"""`policytui gateway --record FILE`: every decided call with its arguments, as JSON lines.

A recording is what `policytui replay` reads to test a draft policy against real traffic. Each
line is the call's audit record (`time`, `server`, `grant`, `session`, `tool`, `decision`,
`rule`, `reason`, `args_sha256`, `approval`, `upstream`, ...) plus `arguments`. Recording is
opt-in; the audit log itself stays free of argument values.

Secrets never reach the file: a value under a secret-looking key (`token`, `password`,
`api_key`, `authorization`, ... the same rule that decides which environment variables are
secrets, and `passphrase`, `bearer`, `jwt`) is replaced by `REDACTED`, and so is any string that
contains one of the server's secrets (its environment and header values and its command line's
credential arguments, as `ServerSpec.secrets` lists them) or a credential of its own (a URL's
password, an HTTP authorization, a URL's `access_token=` parameter). Replay treats a redacted value as unknown, never as the text
"[redacted]".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policytui.discovery.spec import (  # the one rule for secret-looking names
    _SECRET_NAME,
    env_name_says_secret,
)
from policytui.gateway.audit import AuditLog

if TYPE_CHECKING:
    from policytui.discovery.spec import ServerSpec

REDACTED = "[redacted]"
REDACTED_KEY = "[redacted key {n}]"
FORMAT = "policytui-recording/1"


# Environment variables every process has, which the gateway passes on to a server started as
# a command: they are long (so `ServerSpec.secrets` counts them, to be safe in messages) but
# are no credentials, and redacting them would hide every file path under the home folder.
_PLAIN_ENV = re.compile(
    r"^(PATH|HOME|PWD|OLDPWD|SHELL|USER|LOGNAME|LANG|LANGUAGE|TERM|COLORTERM|TMPDIR|HOSTNAME|"
    r"SHLVL|_|MAIL|EDITOR|PAGER|VIRTUAL_ENV|LC_\w+|XDG_\w+)$"
)


# Argument names that say a credential beyond those an environment variable's name says
# (`_SECRET_NAME`): a key's passphrase, a bearer token, a JWT, "creds".
_SECRET_ARGUMENT = re.compile(r"passphrase|bearer|jwt|creds", re.IGNORECASE)

# Credentials an agent passes inside a value, whatever the key: the password of a URL
# (`https://admin:hunter2@db.internal/`), an HTTP authorization (`Authorization: ...`,
# `Bearer eyJ...`, `Basic YWRtaW46...`: a word with a digit, so 'basic information' is prose),
# and a URL query parameter named like a credential (`?access_token=...`, `&key=AIza...`).
# Every repeat is bounded and a scheme starts only where a word does: a call's arguments may
# be megabytes long, and an unbounded repeat tried at each position is quadratic.
_CREDENTIAL_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://[^/\s:@]{0,256}:[^/\s@]{1,256}@"
    r"|authorization\s{0,8}[:=]\s{0,8}\S"
    r"|\b(?:bearer|basic)\s{1,8}(?=[A-Za-z0-9._~+/-]{0,64}\d)[A-Za-z0-9._~+/-]{8}",
    re.IGNORECASE,
)
_QUERY_PARAMETER = re.compile(r"[?&]([^=&#?\s]{1,64})=[^&#\s]")
_SECRET_PARAMETER = re.compile(r"token|secret|passw|api[-_]?key|apikey|auth|credential|signature|^key$|^sig$",
                               re.IGNORECASE)


def _holds_credential(text: str) -> bool:
    if _CREDENTIAL_IN_TEXT.search(text) is not None:
        return True
    return any(_SECRET_PARAMETER.search(found.group(1)) for found in _QUERY_PARAMETER.finditer(text))


def _secret_key(name: str) -> bool:
    return _SECRET_NAME.search(name) is not None or _SECRET_ARGUMENT.search(name) is not None


def recording_secrets(spec: ServerSpec) -> list[str]:
    """The server's secrets, as for messages, less the values of ordinary process settings."""
    plain = {
        value
        for key, value in spec.env.items()
        if _PLAIN_ENV.match(key) and not env_name_says_secret(key)
    }
    keep = {value for key, value in spec.env.items()
            if not (_PLAIN_ENV.match(key) and not env_name_says_secret(key))}
    return [s for s in spec.secrets() if s not in plain or s in keep]


def redact_arguments(value: Any, secrets: list[str] | tuple[str, ...] = ()) -> Any:
    """A copy of the call arguments with secret-looking values replaced by REDACTED."""
    counter = [0]

    def walk(node: Any, key: str | None) -> Any:
        if key is not None and _secret_key(key):
            return REDACTED
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for k, v in node.items():
                name = str(k)
                if any(secret in name for secret in secrets):
                    counter[0] += 1
                    name = REDACTED_KEY.format(n=counter[0])
                    out[name] = REDACTED
                    continue
                out[name] = walk(v, name)
            return out
        if isinstance(node, list):
            return [walk(item, None) for item in node]
        if isinstance(node, str) and (any(secret in node for secret in secrets) or _holds_credential(node)):
            return REDACTED
        return node

    return walk(value if value is not None else {}, None)


def is_redacted(value: Any) -> bool:
    """Does this recorded value (or anything inside it) stand for something not recorded?"""
    if isinstance(value, str):
        return value == REDACTED
    if isinstance(value, dict):
        return any(k.startswith("[redacted key ") or is_redacted(v) for k, v in value.items())
    if isinstance(value, list):
        return any(is_redacted(item) for item in value)
    return False


class Recorder:
    """Appends one line per decided call to a recording file (created owner-only)."""

    def __init__(self, path: Path | str, secrets: list[str] | tuple[str, ...] = ()) -> None:
        self.path = Path(path)
        self._secrets = tuple(secrets)
        # The same append-only, one-write-per-line file, with the secrets starred in the
        # record's text (a denial's reason may quote a condition's value).
        self._log = AuditLog(self.path, self._secrets)

    def write(self, entry: dict[str, Any], arguments: Any) -> None:
        """Record the audit `entry` of one call together with its (redacted) arguments."""
        line = dict(entry)
        line["arguments"] = redact_arguments(arguments, self._secrets)
        self._log.write(line)

    def close(self) -> None:
        self._log.close()
