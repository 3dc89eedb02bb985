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

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policytui.decision.argument_size import holds_too_many_values
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


# A variable whose name ends in the word for a credential holds one itself (API_KEY,
# DB_PASSWORD, GITHUB_TOKEN), where TOKEN_TTL, AUTH_ENABLED or KEY_ID hold a setting about one.
_CREDENTIAL_NOUN = re.compile(
    r"(?:^|[_.-])(?:TOKEN|SECRET|KEY|APIKEY|PASSWORD|PASSWD|PASS|PWD|PASSPHRASE|PAT|CREDENTIALS?)$", re.IGNORECASE
)


def _names_things_on_this_machine(value: str) -> bool:
    """Whether a setting's value is the absolute path of a file or folder that exists here, or a
    list of them (`PYTHONPATH`, `WORKSPACE=/home/me/work`). Such a setting is no credential, and
    counting it as one would hide every path the agent sends under that folder, leaving replay
    unable to decide a condition on a path. A value that names nothing here stays a possible
    credential."""
    parts = [part for part in value.split(os.pathsep) if part]
    return bool(parts) and all(os.path.isabs(part) and os.path.exists(part) for part in parts)


def recording_secrets(spec: ServerSpec) -> list[str]:
    """The server's secrets, as for messages, less the values only ordinary process settings
    hold (PATH, HOME, LANG: hiding them would hide every path under the home folder).

    Fails closed: a value given as a credential (under a variable whose name says secret, a
    credential argument, a header, the URL's sign-in) stays a secret whatever setting holds it
    too, and one under a name that ends in a credential's word (API_KEY=pw1) counts however
    short; `redact_arguments` finds one under 4 characters where it stands as a word."""
    def plain(key: str, value: str) -> bool:
        if env_name_says_secret(key):
            return False
        return _PLAIN_ENV.match(key) is not None or _names_things_on_this_machine(value)

    only_plain = {value for key, value in spec.env.items() if plain(key, value)}
    only_plain -= {value for key, value in spec.env.items() if not plain(key, value)}
    only_plain -= set(spec.credentials())
    short = sorted({value for key, value in spec.env.items()
                    if value.strip() and env_name_says_secret(key) and _CREDENTIAL_NOUN.search(key)}, key=len, reverse=True)
    return list(dict.fromkeys([*(s for s in spec.secrets() if s not in only_plain), *short]))


class Recorder:
    """Appends one line per decided call to a recording file (created owner-only)."""

    def __init__(self, path: Path | str, secrets: list[str] | tuple[str, ...] = ()) -> None:
        self.path = Path(path)
        self._secrets = tuple(secrets)
        # The same append-only, one-write-per-line file, with the secrets starred in the
        # record's text (a denial's reason may quote a condition's value); a short one only in
        # the arguments, where it is found as a word: starred inside the record's other words,
        # it would turn tool names and times to stars.
        self._log = AuditLog(self.path, tuple(s for s in self._secrets if len(s) >= 4), label="recording")

    def write(self, entry: dict[str, Any], arguments: Any) -> None:
        """Record the audit `entry` of one call together with its (redacted) arguments."""
        line = dict(entry)
        if holds_too_many_values(arguments):
            # Redacting millions of values would hold the gateway's one thread for seconds
            # (argument_size): the call is recorded as an audit line is, by its arguments'
            # digest, and a replay reads it as a call whose arguments were not recorded.
            line.pop("arguments", None)
        else:
            line["arguments"] = redact_arguments(arguments, self._secrets)
        self._log.write(line)

    def close(self) -> None:
        self._log.close()

    def discard(self) -> None:
        """Close after a start that failed: a recording this gateway created, still empty, is
        removed (an existing one is left untouched)."""
        self._log.discard()
