"""The one rule for what of a tool call's arguments may be written down or shown to people.

A call's arguments may hold credentials the agent passes to the server (a password, an API
key, a bearer token). They go to the server as sent, and nowhere else: a recording, the
approvals queue and whatever shows a held call (`policytui approvals`, an approval form), the
gateway's debug log and replay's report all keep them through `redact_arguments`, which
replaces by REDACTED

- a value under a secret-looking key: `token`, `password`, `api_key`, `authorization`,
  `secret`, `client_secret`, `private_key`, ... (the rule that decides which environment
  variables are secrets), and `passphrase`, `bearer`, `jwt`, `creds`;
- a string that holds a credential whatever its key: a URL's password, an HTTP
  authorization (`Authorization: ...`, `Bearer <token>`, `Basic <user:password in base64>`),
  a URL query or fragment parameter named like a credential (`?access_token=...`, `&api_key=...`,
  `#access_token=...`) or a matrix parameter of its path (`/mcp;jsessionid=...`, a key alone:
  `;<key>`), a URL whose query is a key alone (`?<key>`, read as a part of its path is), a URL
  whose path holds a key, written with its scheme or without (`hooks.slack.com/services/...`;
  `secret_path_parts`: a webhook's, a long hexadecimal or random-looking part, a UUID not named
  by its collection), a JSON Web Token, an AWS access key ID, a Google API key, a GitHub, GitLab, Slack, OpenAI,
  Anthropic or Stripe token, or a PEM private key block;
- a string that contains one of the server's own secrets (its environment and header values,
  its command line's credential arguments: `ServerSpec.secrets`), and a key that does.

Replay treats a redacted value as unknown, never as the text "[redacted]".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from policytui.discovery.spec import _SECRET_NAME  # the one rule for secret-looking names
from policytui.textsafe import without_secrets

REDACTED = "[redacted]"
REDACTED_KEY = "[redacted key {n}]"

# Argument names that say a credential beyond those an environment variable's name says
# (`_SECRET_NAME`): a key's passphrase, a bearer token, a JWT, "creds".
_SECRET_ARGUMENT = re.compile(r"passphrase|bearer|jwt|creds", re.IGNORECASE)

# Credentials an agent passes inside a value, whatever the key: the password of a URL
# (`https://admin:hunter2@db.internal/`) or its user alone, which is then the credential
# (`https://TOKEN@github.com/...`), an HTTP authorization (`Authorization: ...`,
# `Bearer eyJ...`, `Basic YWRtaW46...`) and a PEM private key block, in any case; and, in the
# case they are issued in, a JSON Web Token (an `eyJ` header, a dot, more), an AWS access key
# ID (`AKIA` and 16 more), a Google API key (`AIza` and 35 more) and the tokens of GitHub,
# GitLab, Slack, OpenAI and Anthropic (`sk-...`) and Stripe (`sk_live_...`) by their prefix.
# After `bearer` or `basic`, a credential is a word of the token alphabet that prose does not
# write: one with a digit (8 characters or more), one that mixes case after its first letter
# (12 or more), or any of 20 or more; so 'basic information', 'Bearer bonds' and 'bearer
# authentication' stay prose. An OpenAI-style `sk-` key holds a digit and a capital, which
# `sk-learn-compatible` does not.
# Every repeat is bounded (or possessive) and each credential starts only where a word does: a
# call's arguments may be megabytes long, and a repeat tried at each position is quadratic.
_TOKEN_CHAR = r"[A-Za-z0-9._~+/=-]"
_CREDENTIAL_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://(?:[^/\s:@]{0,256}:[^/\s@]{1,256}|[^/\s:@]{1,256}:?)@"
    r"|authorization\s{0,8}[:=]\s{0,8}\S"
    r"|\b(?:bearer|basic)\s{1,8}(?:"
    rf"(?={_TOKEN_CHAR}{{0,64}}\d){_TOKEN_CHAR}{{8}}"
    rf"|(?-i:(?=[A-Za-z]{_TOKEN_CHAR}{{0,64}}?[a-z]{_TOKEN_CHAR}{{0,64}}?[A-Z])){_TOKEN_CHAR}{{12}}"
    rf"|{_TOKEN_CHAR}{{20}})"
    r"|-----BEGIN[A-Z ]{0,40}PRIVATE KEY-----",
    re.IGNORECASE,
)
_ISSUED_CREDENTIAL = re.compile(
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,2048}+\.[A-Za-z0-9_-]{4}"
    r"|(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}(?![A-Za-z0-9])"
    r"|(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"
    r"|(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30}|github_pat_[A-Za-z0-9_]{20}|xox[abposr]-[A-Za-z0-9-]{10}"
    r"|glpat-[A-Za-z0-9_-]{20}|[sr]k_(?:live|test)_[A-Za-z0-9]{16})"
    r"|(?<![A-Za-z0-9_-])sk-(?=[A-Za-z0-9_-]{0,64}\d)(?=[A-Za-z0-9_-]{0,64}[A-Z])[A-Za-z0-9_-]{20}"
)
# What each issued credential starts with: a pattern of literals is searched many times faster
# than one with look-behinds, and most text holds none of them.
_ISSUED_PREFIX = re.compile(
    r"eyJ|AKIA|ASIA|AGPA|AIDA|AROA|AIza|gh[pousr]_|github_pat_|xox[abposr]-|glpat-|[sr]k_(?:live|test)_|sk-"
)
# A URL's query parameter, its fragment's (`#access_token=...`: OAuth's implicit grant hands
# the token back there) or a matrix parameter of its path (`/mcp;jsessionid=...`, `;api_key=...`).
_QUERY_PARAMETER = re.compile(r"[?&#;]([^=&#?;\s]{1,64})=[^&#;\s]")
# A session's id (`jsessionid`, `PHPSESSID`, `session_id`) signs its holder in as a token does.
_SECRET_PARAMETER = re.compile(r"token|secret|passw|api[-_]?key|apikey|auth|credential|signature|^key$|^sig$|"
                               r"sess(?:ion)?[-_]?id",
                               re.IGNORECASE)


def holds_credential(text: str) -> bool:
    """Does `text` hold something that reads as a credential, whatever key it stands under?"""
    if _CREDENTIAL_IN_TEXT.search(text) is not None:
        return True
    if _ISSUED_PREFIX.search(text) is not None and _ISSUED_CREDENTIAL.search(text) is not None:
        return True
    if any(_SECRET_PARAMETER.search(found.group(1)) for found in _QUERY_PARAMETER.finditer(text)):
        return True
    return "/" in text and any(secret_path_parts(host, path) or (query and bare_query_keys(host, query))
                               or (";" in path and bare_query_keys(host, "&".join(matrix_parameters(path))))
                               for host, path, query in _urls_in(text))


def _urls_in(text: str) -> Iterator[tuple[str, str, str]]:
    """The host, path and query of each URL in `text`, written with its scheme or without it."""
    if "://" in text:
        for found in _URL_IN_TEXT.finditer(text):
            yield found.group(1), found.group(2) or "", found.group(3) or ""
    if "." in text:
        for found in _BARE_URL_IN_TEXT.finditer(text):
            yield found.group(1), found.group(2), found.group(3) or ""


def matrix_parameters(path: str) -> list[str]:
    """The matrix parameters of a URL's path, each as written (`/mcp;jsessionid=abc;<key>` ->
    `jsessionid=abc`, `<key>`): read as its query's parameters are, named (`secret_parameter`)
    or a key alone (`bare_query_keys`)."""
    return [param for part in path.split("/") for param in part.split(";")[1:] if param]


def bare_query_keys(host: str, query: str) -> list[str]:
    """The parts of a URL's query given without a name (`?<key>`, as some services take their
    key) that read as a key, as a part of its path is read (`secret_path_parts`); `?format`,
    `?json`, `?v2` and other words are not."""
    # Shorter than 8, no pair is one (`secret_path_parts` judges none such): not read at all,
    # as most queries and matrix parameters are words.
    bare = [pair for pair in query.split("&") if len(pair) >= 8 and "=" not in pair and "${" not in pair]
    return [pair for pair in bare if secret_path_parts(host, "/" + pair)]


def is_bare_url(text: str) -> bool:
    """Is `text` a URL written without its scheme, and nothing else (`hooks.slack.com/services/...`,
    `api.telegram.org/bot123:ABC/sendMessage?chat_id=1`)?"""
    found = _BARE_URL_IN_TEXT.match(text)
    rest = text[found.end():] if found is not None else " "
    return (rest == "" or rest[0] in "?#") and not any(c.isspace() for c in rest)


# A URL in free text: its host, its path and its query. Bounded, and found without overlap, so a megabyte
# of "x://" is read once.
_URL_IN_TEXT = re.compile(r"://(?:[^/\s?#@]{0,256}@)?([^/\s?#@]{1,256})(/[^\s?#\"'<>\\]{0,4096})?"
                          r"(?:\?([^\s#\"'<>\\]{0,4096}))?")
# A URL written without its scheme, as people, programs and their logs often write one
# (`hooks.slack.com/services/T0/B0/<key>`, `api.telegram.org/bot123:ABC.../`,
# `example.com/webhook/<token>`): a host name of two or more labels whose last (the top-level
# domain) is two or more letters, an optional port, then `/` and its path. Not where it goes on
# from a word, a path or a URL (`/srv/example.com/...`, `a.b.c`, `https://`'s host, found above),
# so a file's folder (`src/app/main.py`: no dot before the first `/`), a version
# (`v1.2/docs`: its last label a number), `localhost:8080/...` and a bare IP address are no such
# URL. The path is read as a scheme's URL's path is; ordinary parts of it are shown.
_BARE_URL_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9_.~%+/@:\\-])((?:[A-Za-z0-9][A-Za-z0-9-]{0,62}\.){1,16}[A-Za-z]{2,63}(?::[0-9]{1,5})?)"
    r"(/[^\s?#\"'<>\\]{0,4096})(?:\?([^\s#\"'<>\\]{0,4096}))?"
)

# Services that take their key in the endpoint's path, where every part after the route is the
# credential whatever it looks like (`https://hooks.slack.com/services/T0/B0/XXXX`): the host,
# and how many parts of the path come first that are not.
_WEBHOOK_HOSTS = {
    "hooks.slack.com": 1,  # /services/T.../B.../key, /workflows/..., /triggers/...
    "hooks.zapier.com": 2,  # /hooks/catch/<account>/<key>/
    "outlook.office.com": 1,  # /webhook/<id>@<tenant>/IncomingWebhook/<key>/<id>
    "outlook.office365.com": 1,
}
_WEBHOOK_HOST_ENDINGS = (".webhook.office.com",)  # <tenant>.webhook.office.com/webhookb2/...
# A part that says the next ones are a webhook's key, on any host (Discord's `/api/webhooks/<id>/
# <token>`, Mattermost's `/hooks/<key>`): those of 16 or more token characters are taken for it,
# where a hook's number (`/projects/1/hooks/5`) is not one.
_HOOK_PART = re.compile(r"(?:web)?hooks?", re.IGNORECASE)
_HOOK_KEY = re.compile(r"[A-Za-z0-9._~+=-]{16,}")
# A whole part: a UUID; a part that is a long run of hexadecimal digits, letters and digits
# both (alone, or between `-`, `_` or `.`: `key-<hex>`), as many services issue their keys; a
# random-looking key of 20 or more letters and digits that mixes both cases with a digit
# (`xcMLHm0VHEdvV5Tt5yoEWhfa`), or of 32 or more with few `-` or `_` in it (a base64url token,
# where a title's slug has a separator every few letters); a Telegram bot's `bot<id>:<token>`.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_PART = re.compile(r"(?<![A-Za-z0-9])(?=[0-9a-fA-F]{0,4096}?[0-9])(?=[0-9a-fA-F]{0,4096}?[a-fA-F])"
                       r"[0-9a-fA-F]{32,4096}(?![A-Za-z0-9])")
_MIXED_KEY = re.compile(r"(?=[A-Za-z0-9_-]{0,4096}?[a-z])(?=[A-Za-z0-9_-]{0,4096}?[A-Z])"
                        r"(?=[A-Za-z0-9_-]{0,4096}?[0-9])[A-Za-z0-9_-]{20,4096}")
_TELEGRAM_BOT = re.compile(r"bot\d{3,}:\S+")
# A commit, a tree or a checksum is named by a long run of hexadecimal digits too: after one
# of these words it is that, and is shown.
_HASH_BEFORE = re.compile(r"commits?|tree|blob|blame|raw|compare|changesets?|revisions?|rev|sha\d*|"
                          r"checksums?|hash|digests?|objects|blobs|manifests", re.IGNORECASE)
# A UUID names a tenant, a project or a record after its collection's name (`/tenants/<uuid>`),
# and is shown there; anywhere else (first, after a version `v1`, after another id, after a word
# that says access: `/keys/`, `/invite/`, `/share/`) it may be the key itself, and is hidden.
_COLLECTION = re.compile(r"[A-Za-z][A-Za-z_-]{0,63}")
_ACCESS_WORD = re.compile(r"token|key|secret|auth|hook|session|passw|credential|sig|invit|share|magic|reset|"
                          r"verif|confirm|unsubscribe|access|login|signin|callback|private", re.IGNORECASE)


def secret_path_parts(host: str, path: str) -> list[int]:
    """Which parts of a URL's path (numbered as `path.split("/")` numbers them) are credentials:
    all after the route on a webhook service's host (`hooks.slack.com/services/***/***/***`),
    and on any host one that reads as a credential (`holds_credential`), a long hexadecimal key,
    a random-looking key, a webhook's key or a UUID not named by its collection; see above."""
    # A part's matrix parameters (`mcp;jsessionid=...`) are read as a query's are
    # (`matrix_parameters`): the part is judged without them.
    parts = [part.partition(";")[0] for part in path.split("/")]
    host = host.rpartition(":")[0] if host.rpartition(":")[2].isdigit() else host
    host = host.lower().rstrip(".")
    fixed = _WEBHOOK_HOSTS.get(host, 1 if host.endswith(_WEBHOOK_HOST_ENDINGS) else None)
    found = []
    for i, part in enumerate(parts):
        if not part or "${" in part or part == "***":  # a reference, or masked already
            continue
        if fixed is not None and i > fixed:
            found.append(i)
            continue
        if len(part) < 8:  # shorter than any credential below (a JWT, `bot123:x`)
            continue
        before = parts[i - 1] if i > 1 else ""
        if (holds_credential(part) or _TELEGRAM_BOT.fullmatch(part) is not None
              or (_HOOK_PART.fullmatch(before) is not None and _HOOK_KEY.fullmatch(part) is not None)
              or (_HEX_PART.search(part) is not None and _HASH_BEFORE.fullmatch(before) is None)
              or (_random_key(part) and _HASH_BEFORE.fullmatch(before) is None)
              or (_UUID.fullmatch(part) is not None
                  and (_COLLECTION.fullmatch(before) is None or _ACCESS_WORD.search(before) is not None))):
            found.append(i)
    return found


def _random_key(part: str) -> bool:
    """Does a part of a path read as a random key: letters of both cases and a digit, 20 or more
    of them with no separator, or 32 or more with one in 16 at most?"""
    if _MIXED_KEY.fullmatch(part) is None:
        return False
    separators = part.count("-") + part.count("_")
    return separators == 0 or (len(part) >= 32 and separators * 16 <= len(part))


def secret_parameter(name: str) -> bool:
    """Does a URL query parameter's name say its value is a credential (`api_key`, `sig`)?"""
    return _SECRET_PARAMETER.search(name) is not None


def secret_key(name: str) -> bool:
    """Does an argument's name say its value is a credential (`password`, `api_key`, `jwt`)?"""
    return _SECRET_NAME.search(name) is not None or _SECRET_ARGUMENT.search(name) is not None


# A secret shorter than this (a three-letter password in DB_PASSWORD) is found only where it
# stands as a word of its own ("pw1", "user pw1"): inside other words, as every string holding
# "1" or "ab" does, it would redact every argument and tell nothing of the secret.
_WHOLE_WORD_BELOW = 4


def redact_arguments(value: Any, secrets: list[str] | tuple[str, ...] = ()) -> Any:
    """A copy of the call arguments with secret-looking values replaced by REDACTED."""
    counter = [0]
    long = [secret for secret in secrets if len(secret) >= _WHOLE_WORD_BELOW]
    words = [re.escape(secret) for secret in secrets if 0 < len(secret) < _WHOLE_WORD_BELOW]
    short = re.compile(rf"(?<![^\W_])(?:{'|'.join(words)})(?![^\W_])") if words else None

    def holds_secret(text: str) -> bool:
        return any(secret in text for secret in long) or (short is not None and short.search(text) is not None)

    def walk(node: Any, key: str | None) -> Any:
        if key is not None and secret_key(key):
            return REDACTED
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for k, v in node.items():
                name = str(k)
                if holds_secret(name) or holds_credential(name):
                    counter[0] += 1
                    name = REDACTED_KEY.format(n=counter[0])
                    out[name] = REDACTED
                    continue
                out[name] = walk(v, name)
            return out
        if isinstance(node, list):
            return [walk(item, None) for item in node]
        if isinstance(node, str) and (holds_secret(node) or holds_credential(node)):
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


# The largest refused message whose text a log line shows (redacted): reading one means parsing
# it, and a refused message may be megabytes of tiny arrays or nested thousands deep.
_SHOWN_MESSAGE_LIMIT = 64 << 10


def redacted_message(raw: bytes | str, limit: int = 200, secrets: tuple[str, ...] = ()) -> str:
    """A client's raw message fit for a log line: its JSON with the arguments' credentials
    redacted (`redact_arguments` over the whole message) and each of `secrets` (the server's
    credentials, which a client may echo anywhere in it) starred, before it is written out
    and cut after `limit` characters, where escaping or the cut would hide them. Text that is
    not JSON cannot be read for what is a credential, and a message over 64 KiB is not read at
    all: only its length is told."""
    size = len(raw)
    if size > _SHOWN_MESSAGE_LIMIT:
        return f"({size:,} bytes, not shown)"
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        message = without_secrets(redact_arguments(json.loads(text)), secrets)
        shown = json.dumps(message, ensure_ascii=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        return f"({size:,} bytes that are not JSON the log can show, not shown)"
    return shown if len(shown) <= limit else shown[:limit] + "…"


class RedactedMessage:
    """`redacted_message(raw)` for a log call's argument, made only when the line is written
    (a refused message may be megabytes, and the debug log is usually off)."""

    __slots__ = ("raw", "secrets")

    def __init__(self, raw: bytes | str, secrets: tuple[str, ...] = ()) -> None:
        self.raw = raw
        self.secrets = secrets

    def __str__(self) -> str:
        return redacted_message(self.raw, secrets=self.secrets)


CREDENTIAL_LINE = "[a line that holds a credential, not shown]"
# In free text (a log line, a dumped dict), a value given to a credential's name: `password=...`,
# `"api_key": "..."`, `token: ...`.
_NAMED_CREDENTIAL = re.compile(
    r"(?:token|secret|passw(?:or)?d?|passphrase|api[-_]?key|apikey|private[-_]?key|credentials?|authorization)"
    r"[\"']?\s{0,4}[:=]\s{0,4}[\"']?[^\s\"',}\]]",
    re.IGNORECASE,
)


def without_credential_lines(text: str) -> str:
    """`text` with each line that holds a credential (`holds_credential`, or a value given to a
    credential's name: `password=...`, `"api_key": "..."`) replaced whole by CREDENTIAL_LINE.

    For what a server writes (its stderr, stray output on stdout), quoted in an error or a log:
    a credential there may be one an agent passed in a call, and where in the line it ends
    cannot be told, so the line goes."""
    return "\n".join(CREDENTIAL_LINE if _NAMED_CREDENTIAL.search(line) or holds_credential(line) else line
                     for line in text.split("\n"))
