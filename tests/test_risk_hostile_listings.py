"""No tool list a server can send crashes the classifier, or anything built on it.

A `tools/list` answer is hostile input. A seeded generator builds tool lists in every shape the
MCP spec and JSON Schema allow and many they do not but JSON can carry (a `type` that is a list,
missing or a number; `properties` as a list, null or text; schemas that are booleans, lists or
numbers; odd `enum`s; `anyOf`/`oneOf`/`allOf`/`not`/`$ref`/`items` of odd types or nested 200
levels deep; descriptions and titles that are not text, empty, 1 MB long, full of control
characters, RTL marks or unpaired surrogates; empty and Unicode names; odd annotations,
`outputSchema` and `_meta`), and mutates the corpus's real tools the same way, so that the
generated shapes reach the rules real names and descriptions reach. Every list goes through
`classify_all` and every preset; a sample through the installed `policytui tools` and
`policytui init`, the gateway's start-up over a real stdio server, and the editor.
"""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_gateway_hostile_server import running_gateway
from test_tui_hostile import assert_no_escape_bytes, detail_text, screen_text
from tui_support import until

from policytui.risk import CATEGORIES, SEVERITIES, classify_all
from policytui.risk.presets import PRESETS, build_policy
from policytui.toolinfo import ServerListing
from policytui.tui import make_app
from policytui.tui.table import ToolTable

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "servers" / "corpus"
LISTED_TOOLS = ROOT / "tests" / "servers" / "misbehaving" / "listed_tools.py"
SEED = 281

WORDS = ["action", "operation", "mode", "command", "sql", "query", "amount", "currency", "overwrite",
         "force", "delete", "list", "get", "create", "update", "pay", "refund", "transfer", "run",
         "search", "url", "path", "konto", "kontostand", "balance", "invoice", "id", "name", "file",
         "content", "to", "recipient", "side", "price", "status", "report"]
TYPES = ["string", "integer", "number", "boolean", "object", "array", "null"]
# Values JSON can carry where a schema expects something else.
ODD = [None, True, False, 0, 1, -1, 1.5, 1e308, "", "string", "null", "true", [], {}, ["string", "null"],
       ["string", "integer"], [None], [[]], [{}], {"a": 1}, "object", "array", "\u202e\u200f",
       "\x00\x1b[2J\x9b", "\ud800", "😀"]
SCHEMA_KEYS = ["type", "properties", "enum", "const", "anyOf", "oneOf", "allOf", "not", "$ref", "items",
               "description", "title", "default", "required", "additionalProperties", "$defs"]


def _text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6)))
    if roll < 0.55:
        return ""
    if roll < 0.65:
        return f"\u202e\u200f{rng.choice(WORDS)}\x07\x1b[31m\x9b2J"
    if roll < 0.72:
        return f"\ud800{rng.choice(WORDS)}\udfff"  # unpaired surrogates, as JSON's "\ud800"
    if roll < 0.85:
        return "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(0, 16)))
    return "_".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def _type(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(TYPES)
    if roll < 0.75:
        return rng.sample(TYPES, rng.randint(0, 3))
    return rng.choice(ODD)


def _odd(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if roll < 0.35 or depth <= 0:
        return rng.choice(ODD)
    if roll < 0.5:
        return _text(rng)
    if roll < 0.8:
        return _schema(rng, depth - 1)
    return [_odd(rng, depth - 1) for _ in range(rng.randint(0, 3))]


def _enum(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if roll < 0.65:
        return [rng.choice([rng.choice(WORDS), None, 1, 2.5, True, {"a": "delete"}, ["x"], _text(rng)])
                for _ in range(rng.randint(0, 6))]
    if roll < 0.7:
        return [f"delete_{i}" for i in range(rng.randint(1_000, 3_000))]
    return _odd(rng, depth)


def _schema(rng: random.Random, depth: int) -> Any:
    """A schema, or what stands where one should: true and false are schemas too."""
    if rng.random() < 0.1 or depth <= 0:
        return rng.choice([True, False, None, 1, "x", [], [1, {}], {}])
    schema: dict[str, Any] = {}
    for key in rng.sample(SCHEMA_KEYS, rng.randint(0, 6)):
        if key == "type":
            schema[key] = _type(rng)
        elif key == "properties":
            schema[key] = ({rng.choice(WORDS + [_text(rng)]): _schema(rng, depth - 1)
                            for _ in range(rng.randint(0, 5))} if rng.random() < 0.7 else _odd(rng, depth))
        elif key == "enum":
            schema[key] = _enum(rng, depth)
        elif key in ("anyOf", "oneOf", "allOf"):
            schema[key] = ([_schema(rng, depth - 1) for _ in range(rng.randint(0, 3))]
                           if rng.random() < 0.7 else _odd(rng, depth))
        elif key in ("description", "title"):
            schema[key] = _text(rng) if rng.random() < 0.6 else rng.choice(ODD)
        else:
            schema[key] = _schema(rng, depth - 1) if rng.random() < 0.6 else _odd(rng, depth)
    return schema


def _nested(rng: random.Random, levels: int = 200) -> dict[str, Any]:
    """A schema whose one argument sits `levels` levels down anyOf, oneOf, allOf, not, items,
    properties and $ref."""
    schema: dict[str, Any] = {"type": ["string", "null"], "enum": ["delete", None]}
    for _ in range(levels):
        key = rng.choice(["anyOf", "oneOf", "allOf", "not", "items", "properties", "$ref"])
        if key in ("anyOf", "oneOf", "allOf"):
            schema = {key: [schema, True]}
        elif key == "properties":
            schema = {"type": "object", "properties": {rng.choice(WORDS): schema}}
        elif key == "$ref":
            schema = {"$ref": "#/$defs/x", "$defs": {"x": schema}}
        else:
            schema = {key: schema}
    return schema


def _tool(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    tool: dict[str, Any] = {"name": f"{rng.choice(WORDS)}_{rng.choice(WORDS)}" if roll < 0.6
                            else _text(rng) if roll < 0.92 else rng.choice(ODD)}
    if rng.random() < 0.8:
        tool["description"] = _text(rng) if rng.random() < 0.85 else rng.choice(ODD)
    if rng.random() < 0.05:
        tool["description"] = "Delete " + "\u202e\x1b[2J all of it " * 60_000  # about 1 MB
    if rng.random() < 0.2:
        tool["title"] = _text(rng) if rng.random() < 0.8 else rng.choice(ODD)
    roll = rng.random()
    if roll < 0.04:
        tool["inputSchema"] = {"type": "object", "properties": {"action": _nested(rng)}}
    elif roll < 0.9:
        schema = _schema(rng, 4)
        if isinstance(schema, dict) and rng.random() < 0.8:
            schema["type"] = "object"
            if "properties" not in schema:
                schema["properties"] = {rng.choice(WORDS): _schema(rng, 3) for _ in range(rng.randint(0, 5))}
        tool["inputSchema"] = schema
    else:
        tool["inputSchema"] = _odd(rng, 1)
    if rng.random() < 0.3:
        hints = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint", "title"]
        tool["annotations"] = ({hint: rng.choice(ODD) for hint in rng.sample(hints, rng.randint(0, 5))}
                               if rng.random() < 0.85 else rng.choice(ODD))
    if rng.random() < 0.2:
        tool["outputSchema"] = _schema(rng, 2) if rng.random() < 0.7 else rng.choice(ODD)
    if rng.random() < 0.2:
        tool["_meta"] = _odd(rng, 2)
    return tool


def _mutated(rng: random.Random, node: Any, depth: int = 0) -> Any:
    """A real tool's schema (or annotations) with odd shapes put in at random places."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            roll = rng.random()
            if roll < 0.12:
                out[key] = rng.choice(ODD)
            elif roll < 0.18 and depth < 6:
                out[key] = _odd(rng, 1)
            elif key == "type" and roll < 0.35:
                out[key] = _type(rng)
            elif key == "enum" and roll < 0.35 and isinstance(value, list):
                out[key] = [*value, None, {"a": 1}, ["x"], 3]
            else:
                out[key] = _mutated(rng, value, depth + 1)
        if rng.random() < 0.05:
            out["type"] = _type(rng)
        return out
    if isinstance(node, list):
        return [_mutated(rng, item, depth + 1) for item in node]
    return node


# One of each shape named, so that each is tried whatever the generator draws.
NAMED_SHAPES: list[dict[str, Any]] = [
    {"name": "get_report", "inputSchema": {"type": "object", "properties": {"id": {"type": ["string", "null"]}}}},
    {"name": "report", "description": "Report.", "inputSchema": {"properties": {"id": {}}}},
    {"name": "delete_file", "inputSchema": {"type": "object", "properties": ["path"]}},
    {"name": "update_file", "inputSchema": {"type": "object", "properties": None}},
    {"name": "pay_invoice", "inputSchema": {"type": "object", "properties": "amount"}},
    {"name": "run_command", "inputSchema": {"type": "object", "properties": {"command": True, "mode": False,
                                                                               "sql": [], "amount": 3}}},
    {"name": "set_mode", "inputSchema": {"type": 7, "properties": {"mode": {"enum": [{"a": 1}, None, 2, ["x"]]}}}},
    {"name": "manage", "inputSchema": {"type": "object", "properties": {"action": {
        "enum": [f"delete_{i}" for i in range(50_000)]}}}},
    {"name": "kontostand", "description": "Kontostand des Kontos.", "inputSchema": {"type": "object", "properties": {
        "konto": {"type": [["string"], {"a": 1}]}, "seite": {"type": "array", "items": [1, {}]}}}},
    {"name": "odd_combinators", "inputSchema": {"type": "object", "anyOf": 3, "oneOf": {"a": 1}, "allOf": "x",
                                                "not": [], "$ref": 5, "properties": {"x": {"items": "y"}}}},
    {"name": "deep", "inputSchema": {"type": "object", "properties": {"action": _nested(random.Random(SEED))}}},
    {"name": "", "inputSchema": {"type": "object"}},
    {"name": "列出文件_\u202e", "description": "列出\x1b[2J", "title": "\u200f", "inputSchema": {"type": "object"}},
    {"name": "create_\ud800issue", "description": "Create an issue.", "inputSchema": {"type": "object"}},
    {"name": "search_\udfff", "description": "Search \ud83d.", "inputSchema": {"type": "object"}},
    {"name": "list_items", "description": "\ud800 List items.", "inputSchema": {"type": "object", "properties": {
        "q\ud800": {"type": "string", "description": "\udfff"}}}},
    {"name": "hinted", "annotations": {"readOnlyHint": "true", "destructiveHint": None, "openWorldHint": 1,
                                        "idempotentHint": [True]}, "inputSchema": {"type": "object"}},
    {"name": "described", "description": 5, "title": {"t": 1}, "inputSchema": {"type": "object"}},
    {"name": "outputs", "outputSchema": [1], "_meta": [None], "inputSchema": {"type": "object"}},
    {"name": "huge_text", "description": "x" * 1_000_000, "title": "\x07" * 1000, "inputSchema": {"type": "object"}},
]


def generated_listings(count: int, seed: int = SEED) -> list[list[Any]]:
    """`count` tool lists: made-up tools of every shape, and corpus servers' real tools mutated."""
    rng = random.Random(seed)
    servers = []
    for path in sorted(CORPUS.glob("*.json")):
        tools = json.loads(path.read_text(encoding="utf-8")).get("tools")
        if isinstance(tools, list):
            servers.append(tools)
    listings: list[list[Any]] = [NAMED_SHAPES]
    for index in range(count):
        if index % 2:
            tools = rng.choice(servers)
            listings.append([{**tool, "inputSchema": _mutated(rng, tool.get("inputSchema")),
                              "annotations": _mutated(rng, copy.deepcopy(tool.get("annotations")))}
                             for tool in rng.sample(tools, min(len(tools), 12))])
        else:
            listings.append([_tool(rng) for _ in range(rng.randint(1, 8))])
    return listings


def _check(listing: ServerListing) -> None:
    first = classify_all(listing.tools)
    again = classify_all(listing.tools)
    assert set(first) == {tool.name for tool in listing.tools}
    for name, found in first.items():
        assert found.category in CATEGORIES and found.severity in SEVERITIES
        assert found.evidence and all(type(line) is str for line in found.evidence)
        assert found.to_json() == again[name].to_json()  # the same answer every time
    for preset in PRESETS:
        build_policy(listing, preset, first)  # raises if the preset made an invalid Policy


def test_every_generated_tool_list_is_classified_and_makes_a_policy_of_every_preset() -> None:
    for entries in generated_listings(400):
        try:
            _check(ServerListing.from_tool_dicts(entries))
        except Exception as exc:
            raise AssertionError(f"{type(exc).__name__}: {exc} on {json.dumps(entries)[:3000]}") from exc


def _installed(*args: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "policytui"
    return subprocess.run([str(command), *args], capture_output=True, text=True, timeout=180, check=False)


def _sample() -> list[Any]:
    """The named shapes and a sample of generated tools, as one server would list them."""
    listings = generated_listings(40)
    return NAMED_SHAPES + [tool for entries in listings[1::3] for tool in entries[:4]]


def test_the_installed_commands_list_and_make_policies_of_a_sample(tmp_path: Path) -> None:
    snapshot = tmp_path / "server.json"
    snapshot.write_text(json.dumps({"tools": _sample()}), encoding="utf-8")
    listed = _installed("tools", "--from", str(snapshot), "--json")
    assert listed.returncode == 0, listed.stderr[-3000:]
    shown = json.loads(listed.stdout)
    broken = {row["name"]: row["problem"] for row in shown["brokenTools"]}
    assert "get_report" in {row["name"] for row in shown["tools"]}
    assert "list_items" in broken
    assert broken["create_\ud800issue"] == (
        "tool 'create_\\ud800issue' holds text that is not Unicode (an unpaired surrogate such as "
        "\\ud800), which no policy, snapshot or fingerprint can hold")
    for preset in PRESETS:
        policy = tmp_path / f"{preset}.json"
        made = _installed("init", "--from", str(snapshot), "--preset", preset, "-o", str(policy))
        assert made.returncode == 0, made.stderr[-3000:]
        assert "Traceback" not in made.stderr and "unexpected error" not in made.stderr
        json.loads(policy.read_text(encoding="utf-8"))
    assert "policytui init: skipped tool #13 (create_\\ud800issue): tool 'create_\\ud800issue' holds text" in made.stderr


@pytest.mark.parametrize("broken", [0, 1, 2])
def test_init_says_whether_the_server_listed_no_tools_or_none_it_can_read(tmp_path: Path, broken: int) -> None:
    """A server whose every tool is broken did list tools: `init` says none could be read, not
    that the server lists none (which sends its user to the server's set-up instead)."""
    snapshot = tmp_path / "server.json"
    snapshot.write_text(json.dumps({"tools": [{"name": f"create_\ud800{i}"} for i in range(broken)]}),
                        encoding="utf-8")
    made = _installed("init", "--from", str(snapshot), "-o", str(tmp_path / "policy.json"))
    assert made.returncode == 0, made.stderr[-3000:]
    said = {0: "the server lists no tools", 1: "the one tool the server lists cannot be read",
            2: "none of the 2 tools the server lists can be read"}[broken]
    assert f"policytui init: {said}; the policy has only a default" in made.stderr, made.stderr


def test_the_gateway_starts_in_front_of_a_server_listing_the_sample(tmp_path: Path) -> None:
    listed = tmp_path / "tools.json"
    listed.write_text(json.dumps(_sample()), encoding="utf-8")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"delete_file": {"action": "deny"}}}),
                      encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    command = [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state", "memory://",
               "--audit", str(audit), "--", sys.executable, str(LISTED_TOOLS)]
    env = {**os.environ, "LISTED_TOOLS": str(listed), "LISTED_RECORD": str(tmp_path / "received.txt")}
    with running_gateway(tmp_path, command, env) as client:
        tools = client.request("tools/list", {})["result"]["tools"]
        assert "get_report" in {tool.get("name") for tool in tools if isinstance(tool, dict)}
        assert client.call("get_report") == "ran get_report"
        assert "[POLICY DENIED]" in client.call("delete_file")
    received = [json.loads(line) for line in (tmp_path / "received.txt").read_text(encoding="utf-8").splitlines()]
    assert [name for name in received if not name.startswith("policytui-probe-")] == ["get_report"]
    decisions = {line["tool"]: line["decision"] for line in map(json.loads, audit.read_text().splitlines())
                 if line.get("tool") in ("get_report", "delete_file")}
    assert decisions == {"get_report": "allowed", "delete_file": "denied"}


async def test_the_editor_opens_the_sample_and_shows_every_odd_tool(tmp_path: Path) -> None:
    listing = ServerListing.from_tool_dicts(_sample(), server_name="odd")
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing)
    async with app.run_test(size=(100, 30)) as pilot:
        # A tool the editor cannot fingerprint once stopped it opening the server at all.
        await until(app.loaded.is_set, "the editor opened the tools")
        table = app.query_one(ToolTable)
        await until(lambda: len(table.view) == len(listing.tools), "every readable tool in the table")
        for index in range(min(len(table.view), 20)):
            table.cursor = index
            await pilot.pause()
            assert_no_escape_bytes(screen_text(app))
            name = table.current_row.name
            assert_no_escape_bytes(detail_text(app, name))
