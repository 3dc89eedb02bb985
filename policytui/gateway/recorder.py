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
password, an HTTP authorization, a URL's `access_token=` parameter, a JSON Web Token, an AWS
access key ID, a PEM private key block): `policytui.redaction`, the one rule for every place
that keeps or shows a call's arguments. Replay treats a redacted value as unknown, never as the
text "[redacted]".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policytui.discovery.spec import env_name_says_secret
from policytui.gateway.audit import AuditLog
from policytui.redaction import redact_arguments

if TYPE_CHECKING:
    from policytui.discovery.spec import ServerSpec

FORMAT = "policytui-recording/1"


# Environment variables every process has, which the gateway passes on to a server started as
# a command: they are long (so `ServerSpec.secrets` counts them, to be safe in messages) but
# are no credentials, and redacting them would hide every file path under the home folder.
_PLAIN_ENV = re.compile(
    r"^(PATH|HOME|PWD|OLDPWD|SHELL|USER|LOGNAME|LANG|LANGUAGE|TERM|COLORTERM|TMPDIR|HOSTNAME|"
    r"SHLVL|_|MAIL|EDITOR|PAGER|VIRTUAL_ENV|LC_\w+|XDG_\w+)$"
)


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


class Recorder:
    """Appends one line per decided call to a recording file (created owner-only)."""

    def __init__(self, path: Path | str, secrets: list[str] | tuple[str, ...] = ()) -> None:
        self.path = Path(path)
        self._secrets = tuple(secrets)
        # The same append-only, one-write-per-line file, with the secrets starred in the
        # record's text (a denial's reason may quote a condition's value).
        self._log = AuditLog(self.path, self._secrets, label="recording")

    def write(self, entry: dict[str, Any], arguments: Any) -> None:
        """Record the audit `entry` of one call together with its (redacted) arguments."""
        line = dict(entry)
        line["arguments"] = redact_arguments(arguments, self._secrets)
        self._log.write(line)

    def close(self) -> None:
        self._log.close()
