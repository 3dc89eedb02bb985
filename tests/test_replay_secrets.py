"""Secrets an agent passes in a call, recorded by the real gateway and replayed by the installed
command: no output of either (the recording, `replay`'s text and `--json`) may hold them.

The server is tests/servers/misbehaving/rug_pull.py (a real process speaking MCP over stdio);
the gateway is `python -m policytui gateway --record`, reached by the mcp SDK's client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
from discovery_support import script
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

POLICYTUI = Path(sys.executable).parent / "policytui"
PASSWORD = "hunter2-Zq81"


def _record(tmp: Path, calls: list[dict[str, object]], env: dict[str, str] | None = None,
            server_args: tuple[str, ...] = ()) -> Path:
    """Make the calls through the real gateway with --record; `env` is added to the gateway's
    environment, which it passes on to the server, and `server_args` to the server's command."""
    policy = tmp / "live.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp / "state"),
            "--audit", str(tmp / "audit.jsonl"), "--record", str(tmp / "recording.jsonl"),
            "--log", str(tmp / "gateway.log"), "--", *script("rug_pull.py"), *server_args,
        ],
        cwd=str(tmp),
        env={**os.environ, "RUG_PULL_CALLS": str(tmp / "server-calls.txt"), **(env or {})},
    )

    async def traffic() -> None:
        with open(tmp / "stderr.txt", "w", encoding="utf-8") as errlog:  # noqa: ASYNC230 - opened once
            async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=30) as client:
                for arguments in calls:
                    assert (await client.call_tool("fetch_page", arguments)).is_error is not True

    anyio.run(traffic)
    return tmp / "recording.jsonl"


def _replay(recording: Path, draft: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(POLICYTUI), "replay", str(recording), "--policy", str(draft), *extra],
                          capture_output=True, text=True, timeout=120)


def test_credentials_in_values_and_under_credential_names_never_reach_a_recording(tmp_path: Path) -> None:
    """The key rule knew `token`, `password`, `cookie`...: a URL's password, an authorization
    header written into a value, an `access_token` query parameter, and arguments named
    `passphrase`, `bearer` or `jwt` were written to the recording as sent."""
    recording = _record(tmp_path, [
        {"url": f"https://admin:{PASSWORD}@db.internal/export"},
        {"url": "https://example.org/a", "headers": f"Authorization: Bearer {PASSWORD}"},
        {"url": f"https://api.example.org/v1/me?access_token={PASSWORD}&page=2"},
        {"url": "https://example.org/b", "passphrase": PASSWORD, "bearer": PASSWORD, "jwt": PASSWORD},
        {"url": "https://example.org/?q=basic+design&page=2"},
    ])
    text = recording.read_text(encoding="utf-8")
    assert PASSWORD not in text
    recorded = [json.loads(line)["arguments"] for line in text.splitlines()]
    assert recorded == [
        {"url": "[redacted]"},
        {"url": "https://example.org/a", "headers": "[redacted]"},
        {"url": "[redacted]"},
        {"url": "https://example.org/b", "passphrase": "[redacted]", "bearer": "[redacted]", "jwt": "[redacted]"},
        {"url": "https://example.org/?q=basic+design&page=2"},  # no credential: kept to replay
    ]
    # The server got every call as sent: redacting is the recording's, never the call's.
    assert (tmp_path / "server-calls.txt").read_text(encoding="utf-8").split().count("fetch_page") == 5

    # A draft that looks at a redacted URL cannot decide those calls, and says so; no output
    # holds the password.
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"fetch_page": {
        "require": [{"path": "args.url", "op": "regex", "value": "^https://example\\.org/"}]}}}), encoding="utf-8")
    plain, as_json = _replay(recording, draft), _replay(recording, draft, "--json")
    assert plain.returncode == as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert {(c["change"], c["calls"]) for c in report["changes"]} == {("unknown", 2)}
    assert PASSWORD not in plain.stdout + plain.stderr + as_json.stdout + as_json.stderr


def test_a_urls_user_with_no_password_never_reaches_a_recording(tmp_path: Path) -> None:
    """`https://TOKEN@git.example.org/...` (a token given as the URL's user, for basic auth) was
    recorded as sent, where `https://user:PASSWORD@...` was redacted; a user in the path is kept."""
    recording = _record(tmp_path, [
        {"url": f"https://{PASSWORD}@git.example.org/team/repo.git"},
        {"url": f"https://x.example.org/clone?from=https://{PASSWORD}:@git.example.org/r"},
        {"url": "https://example.org/@someone/posts"},
    ])
    text = recording.read_text(encoding="utf-8")
    assert PASSWORD not in text
    recorded = [json.loads(line)["arguments"] for line in text.splitlines()]
    assert recorded == [{"url": "[redacted]"}, {"url": "[redacted]"}, {"url": "https://example.org/@someone/posts"}]
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"version": "1", "default": "deny"}), encoding="utf-8")
    plain, as_json = _replay(recording, draft), _replay(recording, draft, "--json")
    assert PASSWORD not in plain.stdout + plain.stderr + as_json.stdout + as_json.stderr


def test_a_token_in_a_urls_fragment_never_reaches_a_recording_and_an_anchor_does(tmp_path: Path) -> None:
    """OAuth's implicit grant hands the token back in the URL's fragment
    (`https://app/callback#access_token=...`); an agent passing that URL on had it recorded as
    sent, where `?access_token=` was redacted. A fragment that is only an anchor is kept."""
    recording = _record(tmp_path, [
        {"url": f"https://app.example.com/callback#access_token={PASSWORD}&expires_in=3600"},
        {"url": "https://example.org/docs#page=3"},
        {"url": "https://example.org/docs#section-2"},
    ])
    text = recording.read_text(encoding="utf-8")
    assert PASSWORD not in text
    recorded = [json.loads(line)["arguments"] for line in text.splitlines()]
    assert recorded == [{"url": "[redacted]"}, {"url": "https://example.org/docs#page=3"},
                        {"url": "https://example.org/docs#section-2"}]
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"version": "1", "default": "deny"}), encoding="utf-8")
    plain, as_json = _replay(recording, draft), _replay(recording, draft, "--json")
    assert PASSWORD not in plain.stdout + plain.stderr + as_json.stdout + as_json.stderr


def test_a_key_given_as_a_urls_bare_query_never_reaches_a_recording_and_a_word_does(tmp_path: Path) -> None:
    """Some services take their key as the whole query, without a name
    (`https://api.example.com/v1/feed?<key>`); the server's own URL was read so, but an agent
    passing such a URL had it recorded, and logged, as sent. A word alone (`?json`, `?v2`)
    is kept."""
    key, hex_key = "xcMLHm0VHEdvV5Tt5yoEWhfa", "0123456789abcdef0123456789abcdef0123"
    recording = _record(tmp_path, [
        {"url": f"https://api.example.com/v1/feed?{key}"},
        {"url": f"api.example.com/feed?{hex_key}&format=json"},
        {"url": "https://example.org/docs?json"},
        {"url": "https://example.org/api?v2"},
    ])
    text = recording.read_text(encoding="utf-8")
    recorded = [json.loads(line)["arguments"] for line in text.splitlines()]
    assert recorded == [{"url": "[redacted]"}, {"url": "[redacted]"}, {"url": "https://example.org/docs?json"},
                        {"url": "https://example.org/api?v2"}]
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"version": "1", "default": "deny"}), encoding="utf-8")
    plain, as_json = _replay(recording, draft), _replay(recording, draft, "--json")
    written = (text, (tmp_path / "gateway.log").read_text(encoding="utf-8"), plain.stdout, plain.stderr,
               as_json.stdout, as_json.stderr)
    assert not [where for where in written if key in where or hex_key in where]


def test_a_short_credential_or_one_a_plain_setting_holds_never_reaches_a_recording(tmp_path: Path) -> None:
    """The server's credentials are left out of what a recording redacts when a process setting
    (USER, HOME, LANG...) holds the same value, and when under 4 characters: a password given as
    `--password` that is the user's login name, and `DB_PASSWORD=pw1`, were recorded as the
    agent sent them. Both are redacted now; the short one where it stands as a word, so that
    arguments holding its letters inside other words ("pw1x", "page 1") are kept to replay."""
    recording = _record(tmp_path, [
        {"url": "https://db.example.org/login", "user": "ops-alice"},
        {"url": "https://db.example.org/login", "note": "signed in with pw1, then left"},
        {"url": "https://db.example.org/login", "note": "pw1x on page 1"},
    ], env={"USER": "ops-alice", "DB_PASSWORD": "pw1", "TOKEN_TTL": "60"}, server_args=("--password", "ops-alice"))
    text = recording.read_text(encoding="utf-8")
    assert "ops-alice" not in text and "with pw1" not in text
    recorded = [json.loads(line)["arguments"] for line in text.splitlines()]
    assert recorded == [
        {"url": "https://db.example.org/login", "user": "[redacted]"},
        {"url": "https://db.example.org/login", "note": "[redacted]"},
        {"url": "https://db.example.org/login", "note": "pw1x on page 1"},
    ]
    assert [json.loads(line)["tool"] for line in text.splitlines()] == ["fetch_page"] * 3  # no stars in names


def test_a_key_in_a_urls_path_never_reaches_a_recording_and_a_tenants_id_does(tmp_path: Path) -> None:
    """A URL whose path holds a key (a webhook's hexadecimal key, a UUID after the API's version,
    Slack's and Discord's webhook paths, whose parts after the route are the key) was recorded
    as the agent sent it. Each is redacted now; a path whose UUID is named by its collection
    (`/tenants/<uuid>/`), a commit's hash and a title's slug are kept to replay."""
    sha = "9c1185a5c5e9fc54612808977ee8f548b2258d31"
    kept = [
        "https://api.example.com/tenants/0b7e5c1a-2d4f-4e8b-9a6c-1f3e5d7b9c2a/items",
        f"https://github.com/octo/repo/commit/{sha}",
        "https://example.org/docs/how-to-Configure-Kubernetes-2024-Guide",
    ]
    keyed = [
        "https://hooks.example.com/services/T0/B0/9f86d081884c7d659a2feaa0c55ad015",
        "https://api.example.com/v1/3f9c2a71-8b4e-4d6a-9c15-7e20b8d4a6f3/events",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "https://discord.com/api/webhooks/112233445566778899/Zx9_Qw-Er7tyUiOp4asDfGhJkL0zXcVbNm1qWeRtYuIoPa",
    ]
    recording = _record(tmp_path, [{"url": url} for url in keyed + kept])
    text = recording.read_text(encoding="utf-8")
    for secret in ("9f86d081884c7d659a2feaa0c55ad015", "3f9c2a71-8b4e-4d6a-9c15-7e20b8d4a6f3", "XXXXXXXXXXXX",
                   "Zx9_Qw-Er7tyUiOp4asDfGhJkL0zXcVbNm1qWeRtYuIoPa"):
        assert secret not in text
    recorded = [json.loads(line)["arguments"]["url"] for line in text.splitlines()]
    assert recorded == ["[redacted]"] * len(keyed) + kept


def test_a_key_in_the_path_of_a_url_written_without_its_scheme_never_reaches_a_recording(tmp_path: Path) -> None:
    """The same URLs written without `https://`, as an agent often passes them (a Slack webhook,
    a Telegram bot's endpoint, a webhook's token, a UUID after the API's version, one in a
    sentence), were recorded as sent: only a URL with its scheme was read for a key in its path.
    Each is redacted now; a file's path, a version, a tenant's id after its collection and a
    commit's hash written the same way are kept to replay."""
    kept = [
        "src/app/main.py",
        "v1.2/docs",
        "api.example.com/tenants/0b7e5c1a-2d4f-4e8b-9a6c-1f3e5d7b9c2a/items",
        "github.com/octo/repo/commit/9c1185a5c5e9fc54612808977ee8f548b2258d31",
    ]
    keyed = [
        "hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage",
        "example.com/webhook/Zx9QwEr7tyUiOp4asDfGhJkL",
        "api.example.com/v1/3f9c2a71-8b4e-4d6a-9c15-7e20b8d4a6f3/events",
        "post the report to hooks.slack.com/services/T0/B0/XXXX when done",
    ]
    recording = _record(tmp_path, [{"url": url} for url in keyed + kept])
    text = recording.read_text(encoding="utf-8")
    for secret in ("XXXX", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "Zx9QwEr7tyUiOp4asDfGhJkL",
                   "3f9c2a71-8b4e-4d6a-9c15-7e20b8d4a6f3"):
        assert secret not in text
    recorded = [json.loads(line)["arguments"]["url"] for line in text.splitlines()]
    assert recorded == ["[redacted]"] * len(keyed) + kept


def test_the_key_of_a_url_in_a_plainly_named_variable_never_reaches_the_log_or_a_recording(tmp_path: Path) -> None:
    """The gateway's environment holds URLs under names that do not say secret, one with a key in
    its path (`API=https://api.example.com/v1/<key>/x`), one with a token in its query
    (`UPSTREAM_URL=...?region=eu-west-1&token=<token>`). Each whole value was a secret, but the
    key alone was not: the server naming a tool after just the key had it written in the log's
    line of tools the policy does not name, and an agent passing just the key or the token had
    it recorded. The URL's key and token are the server's credentials now: starred in the log,
    redacted in the recording; the query's ordinary value (`eu-west-1`) is neither."""
    key, token = "xcMLHm0VHEdvV5Tt5yoEWhfa", "plain-query-value-4471"
    recording = _record(tmp_path, [
        {"url": "https://example.org/a", "note": f"as the server said: {key}"},
        {"url": "https://example.org/b", "note": token},
        {"url": "https://example.org/c", "note": "region eu-west-1"},
    ], env={"API": f"https://api.example.com/v1/{key}/x",
            "UPSTREAM_URL": f"https://upstream.example.com/feed?region=eu-west-1&token={token}",
            "RUG_PULL_NEW_TOOL": f"export_{key}"})
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    [told] = [line for line in log.splitlines() if " policy: " in line]
    assert '"export_***"' in told, told
    text = recording.read_text(encoding="utf-8")
    assert key not in log + text and token not in log + text
    recorded = [json.loads(line)["arguments"]["note"] for line in text.splitlines()]
    assert recorded == ["[redacted]", "[redacted]", "region eu-west-1"]
    # The server got every call as sent: redacting is the recording's, never the call's.
    assert (tmp_path / "server-calls.txt").read_text(encoding="utf-8").split().count("fetch_page") == 3


def test_a_long_argument_is_recorded_without_delay(tmp_path: Path) -> None:
    """Looking for credentials in a value is linear: a megabyte of letters, of '?' or of
    'bearer ' (what an unbounded pattern tried at each position takes hours on) is recorded
    as sent in a moment."""
    import time

    values = ["a" * 1_000_000, "?" * 1_000_000, "bearer " * 150_000, "x://" * 250_000]
    started = time.monotonic()
    recording = _record(tmp_path, [{"url": value} for value in values])
    assert time.monotonic() - started < 60
    recorded = [json.loads(line)["arguments"]["url"] for line in recording.read_text(encoding="utf-8").splitlines()]
    assert recorded == values
def test_a_recording_that_holds_secrets_never_shows_them(tmp_path: Path) -> None:
    """A recording written by hand, by another tool or by an older version holds a password
    and a URL with one: replay decides on them as recorded, but its example printed them,
    into terminals and CI logs, where a recording made now has "[redacted]"."""
    recording = tmp_path / "old.jsonl"
    recording.write_text(json.dumps({
        "time": "2026-12-01T10:00:00.000Z", "server": "db", "grant": "default", "session": "s1",
        "tool": "export", "decision": "allowed", "rule": "default", "reason": "", "args_sha256": "0" * 64,
        "upstream": "ok", "arguments": {"table": "users", "password": PASSWORD, "target": f"s3://k:{PASSWORD}@bucket/"},
    }) + "\n", encoding="utf-8")
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"version": "1", "default": "deny"}), encoding="utf-8")
    plain, as_json = _replay(recording, draft), _replay(recording, draft, "--json")
    assert plain.returncode == as_json.returncode == 1
    [change] = json.loads(as_json.stdout)["changes"]
    assert change["change"] == "newly_denied"
    assert change["first"]["arguments"] == {"table": "users", "password": "[redacted]", "target": "[redacted]"}
    assert '{"table":"users","password":"[redacted]"' in plain.stdout
    assert PASSWORD not in plain.stdout + plain.stderr + as_json.stdout + as_json.stderr


def test_credentials_known_by_their_look_never_reach_a_recording_or_replay(tmp_path: Path) -> None:
    """A JSON Web Token, an AWS access key ID, a GitHub token and a PEM private key block under
    keys that say nothing (`q`, `body`) were recorded as sent: only a URL's password and an
    authorization were known by their look."""
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC03In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
    aws = "AKIAQ7XTRM2ZBPLMN4OV"
    github = "ghp_" + "Zq81" * 9
    pem_body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
    recording = _record(tmp_path, [
        {"url": "https://example.org/a", "q": f"token {jwt}"},
        {"url": "https://example.org/b", "body": f"keys: {aws} and {github}"},
        {"url": "https://example.org/c", "body": f"-----BEGIN RSA PRIVATE KEY-----\n{pem_body}\n-----END RSA PRIVATE KEY-----"},
        {"url": "https://example.org/d", "q": "eyJ is how a JWT starts; AKIA how a key does"},
    ])
    text = recording.read_text(encoding="utf-8")
    recorded = [json.loads(line)["arguments"] for line in text.splitlines()]
    assert recorded == [
        {"url": "https://example.org/a", "q": "[redacted]"},
        {"url": "https://example.org/b", "body": "[redacted]"},
        {"url": "https://example.org/c", "body": "[redacted]"},
        {"url": "https://example.org/d", "q": "eyJ is how a JWT starts; AKIA how a key does"},  # prose
    ]
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"version": "1", "default": "deny"}), encoding="utf-8")
    plain, as_json = _replay(recording, draft), _replay(recording, draft, "--json")
    for secret in (jwt, aws, github, pem_body):
        assert secret not in text + plain.stdout + plain.stderr + as_json.stdout + as_json.stderr


def test_tokens_people_paste_never_reach_a_recording_and_prose_about_them_does(tmp_path: Path) -> None:
    """A bearer token of letters alone (it was recorded as sent: only a token with a digit was
    known), HTTP basic credentials, a credential in a URL's query and the tokens of OpenAI,
    Slack, GitLab, Google and Stripe under keys that say nothing are redacted in the recording
    and never reach replay's reports; text that only names credentials is recorded as sent."""
    letters = "QxvTmnBzKpLrWdYhGsEc"
    secrets = [f"Bearer {letters}", "Basic YWdlbnQ6b3BlbnNlc2FtZQ==", "https://h.example.org/in?api_key=Zq81Xv3n",
               "sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8x", "xoxb-2754178652-Qz8mWn4pLr", "glpat-Zq81Xv3nMm0pRt7yUw2s",
               "AIzaSyD4-Xq8mWn2pLr6tYv0zBc3eFg7hJk1LmN", "sk_live_51Hq8mWn2pLr6tYv0zBc3eFg"]
    prose = ["Use a bearer token in the Authorization header", "Bearer Authentication is RFC 6750",
             "basic information about bearer bonds", "the token field; see https://example.org/docs?page=2",
             "sk-learn-compatible estimators for task-oriented work"]
    recording = _record(tmp_path, [{"url": "https://example.org/a", "q": text} for text in secrets + prose])
    text = recording.read_text(encoding="utf-8")
    recorded = [json.loads(line)["arguments"]["q"] for line in text.splitlines()]
    assert recorded == ["[redacted]"] * len(secrets) + prose
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"version": "1", "default": "deny"}), encoding="utf-8")
    plain, as_json = _replay(recording, draft), _replay(recording, draft, "--json")
    assert plain.returncode == as_json.returncode == 1, plain.stderr
    for secret in [letters, "YWdlbnQ6", "Zq81Xv3n", *secrets[3:]]:
        assert secret not in text + plain.stdout + plain.stderr + as_json.stdout + as_json.stderr, secret
