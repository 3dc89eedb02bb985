"""Argument conditions hold for every reading a server may make of a call, checked from the
server's side.

A condition judges the arguments as the gateway sees them; the server may see them otherwise:

- the MCP Python SDK turns a top-level text argument holding JSON (`"paths":
  "[\\"\\\\/etc\\\\/shadow\\"]"`) into a list or object for a parameter not typed as text;
- its validator coerces `"1"` and `true` into the integer 1;
- a JavaScript server reads 9007199254740993 as 9007199254740992;
- a server opening a path resolves it: `/srv/../etc/passwd` and `//etc/shadow` are files in /etc.

Each call below carries a value the policy refuses, phrased so that only the server's reading
shows it. The gateway must deny it: the SDK server's own record of what ran
(`tests/servers/recording/flows_server.py`) must not have it, and the audit log must say it was
denied. The same calls phrased plainly, and harmless ones, show the policy is live.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from gateway_support import sdk_client

pytestmark = pytest.mark.servers

RECORDING = Path(__file__).resolve().parent / "servers" / "recording"

POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {
        "list_paths": {"deny_if": [{"path": "args.paths", "op": "contains", "value": "/etc/shadow"}]},
        "purge_ids": {"deny_if": [{"path": "args.ids", "op": "contains", "value": 1}]},
        "copy_with": {"deny_if": [{"path": "args.opts.force", "op": "exists", "value": True}],
                      "require": [{"path": "args.source", "op": "regex", "value": r"^(a\.txt|/srv/.*)$"}]},
    },
}

# (tool, arguments, allowed?) in the order sent.
CALLS: list[tuple[str, dict[str, Any], bool]] = [
    ("list_paths", {"paths": ["/home/me"]}, True),
    ("list_paths", {"paths": ["/etc/shadow"]}, False),
    ("list_paths", {"paths": '["\\/etc\\/shadow"]'}, False),  # JSON text with escaped slashes
    ("list_paths", {"paths": ' [ "\\u002fetc\\u002fshadow" ] '}, False),  # blank space, \u escapes
    ("list_paths", {"paths": '["/home/me"]'}, True),  # JSON text, harmless either way
    ("purge_ids", {"ids": [2, 3]}, True),
    ("purge_ids", {"ids": [1]}, False),
    ("purge_ids", {"ids": ["1"]}, False),  # the validator makes it 1
    ("purge_ids", {"ids": [True]}, False),  # and this too
    ("copy_with", {"source": "a.txt"}, True),
    ("copy_with", {"source": "a.txt", "opts": {"force": True}}, False),
    ("copy_with", {"source": "a.txt", "opts": '{"\\u0066orce": true}'}, False),
    ("list_paths", {"paths": ["/home/me/../../etc/shadow"]}, False),  # dot segments
    ("list_paths", {"paths": ["//etc//shadow"]}, False),  # repeated slashes
    ("list_paths", {"paths": ["/etc/./shadow"]}, False),
    ("copy_with", {"source": "/srv//data/./report.txt"}, True),  # resolved, still under /srv
    ("copy_with", {"source": "/srv/../etc/passwd"}, False),  # matches the pattern as written only
    ("copy_with", {"source": "/srv/data/.."}, False),  # /srv itself, outside `^/srv/.*`
    ("list_paths", {"paths": ' [ "/etc/./shadow" ] '}, False),  # a path inside JSON text
    ("list_paths", {"paths": ' [ "/home/./me" ] '}, True),  # harmless once resolved
    ("copy_with", {"source": "/srv/%252e%252e/etc/passwd"}, False),  # escaped twice
    ("copy_with", {"source": "/srv/%2E%2e/etc/passwd"}, False),
    # Python's `$` also matches before a final newline; Go's and JavaScript's do not: the
    # pattern's two readings disagree, which counts against the caller.
    ("copy_with", {"source": "a.txt\n"}, False),
    ("copy_with", {"source": "/srv/report.txt\n"}, False),
]


def _text(result: Any) -> str:
    return " ".join(getattr(part, "text", "") for part in result.content)


async def test_a_refused_value_the_server_would_read_is_denied_and_never_runs(tmp_path: Path) -> None:
    policy, audit, executed = tmp_path / "policy.json", tmp_path / "audit.jsonl", tmp_path / "executed.jsonl"
    policy.write_text(json.dumps(POLICY), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    upstream = [sys.executable, str(RECORDING / "flows_server.py"), str(executed)]
    answers = []
    async with sdk_client("stdio", "legacy", options, upstream, tmp_path / "gateway.log") as client:
        for tool, arguments, _ in CALLS:
            answers.append(await client.call_tool(tool, arguments))

    for (tool, arguments, allowed), result in zip(CALLS, answers, strict=True):
        assert result.is_error is (not allowed), (tool, arguments, _text(result))
    ran = [json.loads(line) for line in executed.read_text(encoding="utf-8").splitlines()]
    assert [entry["tool"] for entry in ran] == [tool for tool, _, allowed in CALLS if allowed]
    # What ran is what the policy allows, as the server read it.
    assert {"tool": "list_paths", "arguments": {"paths": ["/home/me"]}} in ran
    assert all("/etc/shadow" not in json.dumps(entry) for entry in ran)
    assert all(1 not in (entry["arguments"].get("ids") or []) for entry in ran)
    assert all(not entry["arguments"].get("source", "").endswith("\n") for entry in ran)
    # Every call is in the audit log, denied or allowed as it was answered.
    lines = outcome_lines(audit)
    calls = [line for line in lines if line.get("tool") in POLICY["tools"]]
    assert [line["decision"] for line in calls] == ["allowed" if allowed else "denied" for *_, allowed in CALLS]


async def test_an_integer_a_javascript_server_rounds_into_a_refused_one_is_denied(
    tmp_path: Path, everything: Path
) -> None:
    policy, audit = tmp_path / "policy.json", tmp_path / "audit.jsonl"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"get-sum": {"deny_if": [
        {"path": "args.a", "op": "eq", "value": 9007199254740992}]}}}), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    async with sdk_client("stdio", "legacy", options, [str(everything), "stdio"], tmp_path / "gateway.log") as client:
        plain = await client.call_tool("get-sum", {"a": 9007199254740992, "b": 0})
        rounded = await client.call_tool("get-sum", {"a": 9007199254740993, "b": 0})
        other = await client.call_tool("get-sum", {"a": 2, "b": 3})
    assert plain.is_error and rounded.is_error, (_text(plain), _text(rounded))
    assert not other.is_error and "5" in _text(other)
    decisions = [line["decision"] for line in outcome_lines(audit) if line.get("tool") == "get-sum"]
    assert decisions == ["denied", "denied", "allowed"]


async def test_a_pattern_that_backtracks_without_end_is_cut_short_and_the_gateway_serves_on(
    tmp_path: Path,
) -> None:
    # "^(a|a)*$" passes the load-time check (its alternatives overlap, which that check does
    # not look for) and takes about 2**40 steps on "a" * 40 + "!". The search is cut short,
    # the call denied, and the next call answered.
    policy, audit, executed = tmp_path / "policy.json", tmp_path / "audit.jsonl", tmp_path / "executed.jsonl"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"list_flows": {
        "deny_if": [{"path": "args.namespace", "op": "regex", "value": "^(a|a)*$"}]}}}), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    upstream = [sys.executable, str(RECORDING / "flows_server.py"), str(executed)]
    async with sdk_client("stdio", "legacy", options, upstream, tmp_path / "gateway.log") as client:
        crafted = await client.call_tool("list_flows", {"namespace": "a" * 40 + "!"})
        plain = await client.call_tool("list_flows", {"namespace": "prod"})
    assert crafted.is_error and not plain.is_error, (_text(crafted), _text(plain))
    # The denial says why: the search ran out of time (the value was text, of the right type).
    assert "args.namespace for the pattern ran out of time after 0.1 s" in _text(crafted), _text(crafted)
    assert "of another type" not in _text(crafted)
    ran = [json.loads(line) for line in executed.read_text(encoding="utf-8").splitlines()]
    assert [entry["arguments"]["namespace"] for entry in ran] == ["prod"]
    reasons = [json.loads(line).get("reason", "") for line in audit.read_text(encoding="utf-8").splitlines()]
    assert any("ran out of time" in reason for reason in reasons), reasons


@pytest.fixture
def filesystem_server(test_servers: Path) -> Path:
    """The real server-filesystem (npm), started over stdio by the tests that need it."""
    server = test_servers / "filesystem" / "node_modules" / ".bin" / "mcp-server-filesystem"
    if not server.exists():
        pytest.skip(f"server-filesystem is not installed at {server} (run tests/servers/install.sh)")
    return server


async def test_the_real_filesystem_server_never_opens_a_path_outside_the_allow_list(
        tmp_path: Path, filesystem_server: Path) -> None:
    """The filesystem server serves everything under the folder it is given, and resolves `..`
    and `//` itself. A policy narrows reading to `public/`: a path that matches that pattern
    only as written must not reach the server, and one that resolves inside it still works."""
    root = (tmp_path / "files").resolve()
    (root / "public").mkdir(parents=True)
    (root / "public" / "notes.txt").write_text("public notes", encoding="utf-8")
    (root / "secret.txt").write_text("the secret", encoding="utf-8")
    policy, audit = tmp_path / "policy.json", tmp_path / "audit.jsonl"
    inside = {"path": "args.path", "op": "regex", "value": "^" + re.escape(f"{root}/public/")}
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {
        "read_text_file": {"require": [inside]}}}), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    attempts = [
        (f"{root}/public/notes.txt", True),
        (f"{root}/public//notes.txt", True),
        (f"{root}/public/./sub/../notes.txt", True),
        (f"{root}/public/../secret.txt", False),
        (f"{root}/public/..//secret.txt", False),
        (f"{root}/public/sub/../../secret.txt", False),
    ]
    answers = []
    async with sdk_client("stdio", "legacy", options, [str(filesystem_server), str(root)], tmp_path / "gateway.log") as client:
        for path, _ in attempts:
            answers.append(_text(await client.call_tool("read_text_file", {"path": path})))
    for (path, allowed), text in zip(attempts, answers, strict=True):
        assert ("public notes" in text) is allowed, (path, text)
        assert "the secret" not in text
    outcomes = [(line["tool"], line["decision"]) for line in outcome_lines(audit)
                if line["decision"] != "probe"]
    assert outcomes == [("read_text_file", "allowed" if allowed else "denied") for _, allowed in attempts]


async def test_the_real_filesystem_server_never_opens_a_name_a_deny_pattern_refuses(
        tmp_path: Path, filesystem_server: Path) -> None:
    """server-filesystem, asked for a name it does not find as written, opens the one with the
    same Unicode normal form (NFC): `\u212aeys` (a Kelvin sign) opens `Keys`. A `deny_if` on
    `/Keys/` must refuse that spelling too."""
    root = (tmp_path / "files").resolve()
    (root / "Keys").mkdir(parents=True)
    (root / "Keys" / "id.txt").write_text("the secret", encoding="utf-8")
    (root / "notes.txt").write_text("public notes", encoding="utf-8")
    policy, audit = tmp_path / "policy.json", tmp_path / "audit.jsonl"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"read_text_file": {
        "deny_if": [{"path": "args.path", "op": "regex", "value": "/Keys/"}]}}}), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    attempts = [(f"{root}/notes.txt", True), (f"{root}/Keys/id.txt", False), (f"{root}/\u212aeys/id.txt", False)]
    answers = []
    async with sdk_client("stdio", "legacy", options, [str(filesystem_server), str(root)], tmp_path / "gateway.log") as client:
        for path, _ in attempts:
            answers.append(_text(await client.call_tool("read_text_file", {"path": path})))
    for (path, allowed), text in zip(attempts, answers, strict=True):
        assert ("public notes" in text) is allowed, (path, text)
        assert "the secret" not in text, path
    outcomes = [line["decision"] for line in outcome_lines(audit) if line["decision"] != "probe"]
    assert outcomes == ["allowed" if allowed else "denied" for _, allowed in attempts]


async def test_the_real_filesystem_server_never_lists_a_refused_folder_written_with_a_trailing_slash(
        tmp_path: Path, filesystem_server: Path) -> None:
    """server-filesystem resolves `private/` and `private/.` to `private` (path.resolve drops
    the slash): an `eq` or `$`-anchored `deny_if` on the folder refuses every spelling."""
    root = (tmp_path / "files").resolve()
    (root / "private").mkdir(parents=True)
    (root / "private" / "salaries.csv").write_text("the secret", encoding="utf-8")
    (root / "public").mkdir()
    (root / "public" / "notes.txt").write_text("public notes", encoding="utf-8")
    policy, audit = tmp_path / "policy.json", tmp_path / "audit.jsonl"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {
        "list_directory": {"deny_if": [{"path": "args.path", "op": "eq", "value": f"{root}/private"}]},
        "directory_tree": {"deny_if": [{"path": "args.path", "op": "regex", "value": "/private$"}]},
    }}), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    attempts = [(tool, f"{root}/{where}") for tool in ("list_directory", "directory_tree")
                for where in ("private", "private/", "private/.", "public/")]
    answers = []
    async with sdk_client("stdio", "legacy", options, [str(filesystem_server), str(root)], tmp_path / "gateway.log") as client:
        for tool, path in attempts:
            answers.append(_text(await client.call_tool(tool, {"path": path})))
    for (tool, path), text in zip(attempts, answers, strict=True):
        assert "salaries" not in text, (tool, path, text)
        assert ("notes.txt" in text) is path.endswith("public/"), (tool, path, text)
    outcomes = [line["decision"] for line in outcome_lines(audit) if line["decision"] != "probe"]
    assert outcomes == ["denied", "denied", "denied", "allowed"] * 2


async def test_the_real_filesystem_server_never_opens_a_refused_path_written_relative(
        tmp_path: Path, filesystem_server: Path) -> None:
    """server-filesystem opens a relative path in the folder it serves: `Keys/id.txt` is
    `ROOT/Keys/id.txt` to it. A `deny_if` on an absolute path, or on a folder name with its
    slashes, must refuse the relative spelling too; a relative path outside what the policy
    refuses is still served."""
    root = (tmp_path / "files").resolve()
    for folder, name, text in (("Keys", "id.txt", "secret key"), ("private", "salaries.csv", "secret pay"),
                               ("public", "notes.txt", "public notes"), ("Cl\u00e9s", "a.txt", "secret too")):
        (root / folder).mkdir(parents=True)
        (root / folder / name).write_text(text, encoding="utf-8")
    policy, audit = tmp_path / "policy.json", tmp_path / "audit.jsonl"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {
        "read_text_file": {"deny_if": [
            {"path": "args.path", "op": "regex", "value": "/Keys/"},
            {"path": "args.path", "op": "regex", "value": "/Cl\u00e9s/"},
            {"path": "args.path", "op": "regex", "value": "^" + re.escape(f"{root}/private/")}]},
        "list_directory": {"deny_if": [{"path": "args.path", "op": "eq", "value": f"{root}/private"}]},
    }}), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    attempts = [
        ("read_text_file", "public/notes.txt", True),
        ("read_text_file", "Keys/id.txt", False),
        ("read_text_file", "private/salaries.csv", False),
        ("read_text_file", "public/../private/salaries.csv", False),
        ("read_text_file", "public%2f..%2fKeys/id.txt", False),
        ("read_text_file", "Cle\u0301s/a.txt", False),  # decomposed: opened as Clés, in NFC
        ("list_directory", "private", False),
        ("list_directory", "public", True),
    ]
    answers = []
    async with sdk_client("stdio", "legacy", options, [str(filesystem_server), str(root)], tmp_path / "gateway.log") as client:
        for tool, path, _ in attempts:
            answers.append(_text(await client.call_tool(tool, {"path": path})))
    for (tool, path, allowed), text in zip(attempts, answers, strict=True):
        assert "secret" not in text and "salaries" not in text, (tool, path, text)
        assert ("notes" in text) is allowed, (tool, path, text)
    outcomes = [line["decision"] for line in outcome_lines(audit) if line["decision"] != "probe"]
    assert outcomes == ["allowed" if allowed else "denied" for _, _, allowed in attempts]


async def test_the_real_filesystem_server_never_opens_a_refused_name_in_another_unicode_form(
        tmp_path: Path, filesystem_server: Path) -> None:
    """server-filesystem opens, for a name it does not find as written, the entry with the same
    NFC form: `Prive\u0301` (e and a combining accent, NFD) opens `Privé` (NFC), and `Privé`
    opens a folder a Mac wrote decomposed. Names that differ only so are one name to it, so a
    `deny_if` refuses each spelling, whichever form the policy and the disk use; an accented
    name the policy allows is still served."""
    root = (tmp_path / "files").resolve()
    composed, decomposed = "Priv\u00e9", "Prive\u0301"
    (root / composed).mkdir(parents=True)
    (root / composed / "a.txt").write_text("secret A", encoding="utf-8")
    (root / "Re\u0301sume\u0301s").mkdir()  # written decomposed, as macOS writes names
    (root / "Re\u0301sume\u0301s" / "c.txt").write_text("secret C", encoding="utf-8")
    (root / "\u00c9quipe").mkdir()
    (root / "\u00c9quipe" / "notes.txt").write_text("public notes", encoding="utf-8")
    (root / "Caf\u00e9").mkdir()
    (root / "Caf\u00e9" / "menu.txt").write_text("secret D", encoding="utf-8")
    policy, audit = tmp_path / "policy.json", tmp_path / "audit.jsonl"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"read_text_file": {
        "require": [{"path": "args.path", "op": "regex",
                     "value": "^" + re.escape(f"{root}/") + "(\u00c9quipe|Priv|R|Caf)"}],
        "deny_if": [
            {"path": "args.path", "op": "regex", "value": f"/{composed}/"},  # the policy in NFC
            {"path": "args.path", "op": "contains", "value": "/Re\u0301sume\u0301s/"},  # copied from the disk
            {"path": "args.path", "op": "eq", "value": f"{root}/Caf\u00e9/menu.txt"},
        ]}}}), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    attempts = [
        (f"{root}/\u00c9quipe/notes.txt", True),
        (f"{root}/{composed}/a.txt", False),
        (f"{root}/{decomposed}/a.txt", False),
        (f"{root}/Re\u0301sume\u0301s/c.txt", False),
        (f"{root}/R\u00e9sum\u00e9s/c.txt", False),
        (f"{root}/Caf\u00e9/menu.txt", False),
        (f"{root}/\u00c9quipe/../Cafe\u0301/menu.txt", False),  # resolved, then one name in NFC
    ]
    answers = []
    async with sdk_client("stdio", "legacy", options, [str(filesystem_server), str(root)], tmp_path / "gateway.log") as client:
        for path, _ in attempts:
            answers.append(_text(await client.call_tool("read_text_file", {"path": path})))
    for (path, allowed), text in zip(attempts, answers, strict=True):
        assert ("public notes" in text) is allowed, (path, text)
        assert "secret" not in text, path
    outcomes = [line["decision"] for line in outcome_lines(audit) if line["decision"] != "probe"]
    assert outcomes == ["allowed" if allowed else "denied" for _, allowed in attempts]


async def test_a_refused_name_escaped_decomposed_inside_json_text_is_denied_and_never_runs(
    tmp_path: Path,
) -> None:
    # `"[\"/Prive\\u0301/x\"]"` is ASCII as sent, so NFC changes nothing there; the SDK parses
    # it into the list ["/Prive\u0301/x"], which a server matching names by NFC opens as
    # /Privé/x. The parsed list and its plain JSON text must be read in NFC too.
    policy, audit, executed = tmp_path / "policy.json", tmp_path / "audit.jsonl", tmp_path / "executed.jsonl"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"list_paths": {"deny_if": [
        {"path": "args.paths", "op": "contains", "value": "/Priv\u00e9/x"},
        {"path": "args.paths", "op": "regex", "value": "/Priv\u00e9/y"}]}}}), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    upstream = [sys.executable, str(RECORDING / "flows_server.py"), str(executed)]
    calls: list[tuple[dict[str, Any], bool]] = [
        ({"paths": '["/home/me"]'}, True),
        ({"paths": '["/Prive\\u0301/x"]'}, False),  # parsed, then NFC: the list holds /Privé/x
        ({"paths": '["/Prive\\u0301/a/../x"]'}, False),  # parsed, resolved, then NFC
        ({"paths": '["/Prive\\u0301/y"]'}, False),  # the pattern, on the plain JSON text in NFC
        ({"paths": ["/Priv\u00e9/x"]}, False),  # the policy is live
    ]
    answers = []
    async with sdk_client("stdio", "legacy", options, upstream, tmp_path / "gateway.log") as client:
        for arguments, _ in calls:
            answers.append(await client.call_tool("list_paths", arguments))

    for (arguments, allowed), result in zip(calls, answers, strict=True):
        assert result.is_error is (not allowed), (arguments, _text(result))
    ran = [json.loads(line) for line in executed.read_text(encoding="utf-8").splitlines()]
    assert ran == [{"tool": "list_paths", "arguments": {"paths": ["/home/me"]}}]
    decisions = [line["decision"] for line in outcome_lines(audit) if line.get("tool") == "list_paths"]
    assert decisions == ["allowed" if allowed else "denied" for _, allowed in calls]


async def test_an_option_named_in_another_unicode_form_is_judged_and_two_alike_names_are_refused(
    tmp_path: Path,
) -> None:
    """A server that reads option names in NFC (`set_options` normalises the keys it gets, the
    later of two alike keeping its value) must never run a call the policy refuses for the
    option so named. A condition on `args.options.löschen` judges the key spelled `lo` U+0308
    `schen` too; an object with two keys that are one name in NFC (`Kanal`, and `Kanal` with
    a Kelvin sign) is refused before anything is decided, as two keys alike are. Before, the
    gateway judged the keys as sent: both calls ran with the refused option."""
    policy, audit, executed = tmp_path / "policy.json", tmp_path / "audit.jsonl", tmp_path / "executed.jsonl"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"set_options": {
        "deny_if": [{"path": "args.options.l\u00f6schen", "op": "exists", "value": True}],
        "require": [{"path": "args.options.Kanal", "op": "eq", "value": "lesen"}]}}}), encoding="utf-8")
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    upstream = [sys.executable, str(RECORDING / "flows_server.py"), str(executed)]
    async with sdk_client("stdio", "legacy", options, upstream, tmp_path / "gateway.log") as client:
        ran = await client.call_tool("set_options", {"options": {"Kanal": "lesen"}})
        assert not ran.is_error, _text(ran)
        decomposed = await client.call_tool("set_options", {"options": {"Kanal": "lesen", "lo\u0308schen": True}})
        assert decomposed.is_error and "[POLICY DENIED]" in _text(decomposed), _text(decomposed)
        composed = await client.call_tool("set_options", {"options": {"Kanal": "lesen", "l\u00f6schen": True}})
        assert composed.is_error, _text(composed)  # the policy is live
        with pytest.raises(Exception, match="same name in Unicode normal form") as refused:
            await client.call_tool("set_options", {"options": {"Kanal": "lesen", "\u212aanal": "schreiben"}})
        assert "ambiguous" in str(refused.value)
        after = await client.call_tool("set_options", {"options": {"Kanal": "lesen"}})
        assert not after.is_error, _text(after)  # the gateway serves on

    ran_with = [json.loads(line) for line in executed.read_text(encoding="utf-8").splitlines()]
    assert ran_with == [{"tool": "set_options", "arguments": {"options": {"Kanal": "lesen"}}}] * 2, ran_with
    decisions = [line["decision"] for line in outcome_lines(audit) if line.get("tool") == "set_options"]
    assert decisions == ["allowed", "denied", "denied", "allowed"], decisions
