"""Conditions read a URL as a WHATWG parser does, checked against a real one: Node's `new URL`,
which `fetch` in every Node MCP server uses. Each spelling below is one Node fetches from
host `h` at `/admin`; a `deny_if` written for that URL must hold for every spelling of it."""
from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from policytui.decision import decide
from policytui.policy.model import Policy

SPELLINGS = [
    "https://h/admin",
    "https:/h/admin",  # one slash
    "https:h/admin",  # none
    "https:///h/admin",  # three
    "https://\\h/admin",
    "https:\\\\h\\admin",
    " https:h/admin\n",  # blank space around it trimmed
    "ht\ttps:h/ad\nmin",  # tabs and line breaks dropped, even in the scheme
    "https:/h/public/../admin",
    "HTTPS:/h/admin",  # the scheme's case: the pattern below ignores case, as it must
]
# Spellings Node does not read as a URL of host h: a deny-list of h must not hold for them.
OTHER = ["https://g/admin", "https: h/admin", "see https:/h/admin", "https:/h/public/admin"]


def _node_hrefs(texts: list[str]) -> list[str | None]:
    node = shutil.which("node")
    assert node is not None, "node is needed (tests/servers/install.sh installs servers with it)"
    script = ("const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "console.log(JSON.stringify(texts.map(t => { try { return new URL(t).href }"
              " catch (e) { return null } })));")
    done = subprocess.run([node, "-e", script], input=json.dumps(texts), capture_output=True,
                          text=True, timeout=60, check=True)
    hrefs: list[str | None] = json.loads(done.stdout)
    return hrefs


def _deny_admin() -> Policy:
    deny: dict[str, Any] = {"path": "args.url", "op": "regex", "value": "(?i)^https://h/admin"}
    return Policy.from_document({"version": "1", "default": "allow",
                                 "tools": {"fetch": {"deny_if": [deny]}}})


def test_every_spelling_node_fetches_as_the_url_is_judged_as_that_url() -> None:
    hrefs = _node_hrefs(SPELLINGS + OTHER)
    assert hrefs[:len(SPELLINGS)] == ["https://h/admin"] * len(SPELLINGS), "the premise: Node reads each so"
    assert all(href is None or not href.startswith("https://h/admin") for href in hrefs[len(SPELLINGS):])
    policy = _deny_admin()
    for text in SPELLINGS:
        assert not decide(policy, "fetch", {"url": text}).allowed, text
    for text in OTHER:
        assert decide(policy, "fetch", {"url": text}).allowed, text


@pytest.mark.parametrize("text", ["file:/etc/passwd", "file:etc/passwd", "FILE:\\etc\\passwd"])
def test_a_file_url_node_reads_as_a_local_path_is_judged_as_that_path(text: str) -> None:
    assert _node_hrefs([text]) == ["file:///etc/passwd"]
    deny: dict[str, Any] = {"path": "args.url", "op": "regex", "value": "(?i)^file:///etc/"}
    policy = Policy.from_document({"version": "1", "default": "allow",
                                   "tools": {"fetch": {"deny_if": [deny]}}})
    assert not decide(policy, "fetch", {"url": text}).allowed
