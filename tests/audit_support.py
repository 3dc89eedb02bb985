"""Reading a gateway's audit log in tests.

A call that goes to the server has two lines: one written just before it is sent
(`"upstream": "sent"`) and its outcome line. Most tests count calls by their outcome lines;
`sent_lines` gives the others.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SENT = "sent"


def parse_records(text: str | bytes) -> list[dict[str, Any]]:
    """Every record of an audit log's text, in order."""
    lines = text.splitlines() if isinstance(text, str) else text.split(b"\n")
    return [json.loads(line) for line in lines if line.strip()]


def outcomes(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of decided calls: one per call, without the lines written before sending."""
    return [record for record in records if record.get("upstream") != SENT]


def outcome_lines(path: Path) -> list[dict[str, Any]]:
    """One record per call in the audit log at `path` (none when it does not exist)."""
    return outcomes(parse_records(path.read_text(encoding="utf-8"))) if path.exists() else []


def sent_lines(path: Path) -> list[dict[str, Any]]:
    """The lines written just before a call went to the server."""
    records = parse_records(path.read_text(encoding="utf-8")) if path.exists() else []
    return [record for record in records if record.get("upstream") == SENT]
