"""Cedar export for ToolHive, checked against Cedar's own engine (cedarpy, the Rust Cedar).

Each call is put to Cedar the way ToolHive builds its request: `Client` principal,
`Action::"call_tool"`, `Tool::"<name>"` with `name`/`operation`/`feature`, every top-level
argument as `arg_x` on the resource and in the context (strings and booleans as they are,
numbers as `decimal`, objects and arrays as `arg_x_present: true`, null left out) and any
evaluation error counted as a deny, as ToolHive does. Then, for thousands of generated policies
and calls:

- Cedar never allows a call `decide` does not allow (fail-closed, everywhere);
- Cedar allows exactly what `decide` allows for every tool the export calls exact;
- Cedar denies every call to a tool the export forbade because Cedar cannot hold its rule.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from policytui.decision import Outcome, decide
from policytui.export import export_policy
from policytui.export.cedar import CedarPlan, export_cedar
from policytui.policy.model import Policy

cedarpy = pytest.importorskip("cedarpy")

ROOT = Path(__file__).resolve().parent.parent
POLICYTUI = Path(sys.executable).parent / "policytui"

TOOLS = ["read", "write", "drop", "q\"uote", "new\nline", "*", "sql"]
ARGS = ["db", "n", "flag", "tags", "x_present", "weird-name"]
# Arguments numbers: at most four decimals (what Cedar's decimal holds; see the export's table).
NUMBERS = [0, 1, -1, 5, 5.5, 2.25, 10, 1000, 3.0001, -7.125, 10**16]
STRINGS = ["", "prod", "dev", "a*b", "Prod", "x\"y", "\\", "5", "true", "*", "ä"]
# Texts a server may resolve as paths or URLs, which `decide` also judges as resolved.
PATHS = ["/srv/a", "/srv/../etc", "//srv", "/srv/./a", "/srv/", "/srv/a/..", "https://h/srv",
         "https://h//srv", "https://h/srv/../x", "see a/../b", "docs/../srv", "1://srv", "~/../srv",
         "/srv/%2e%2e/etc", "%2E%2E%2Fsrv", "https://h/srv/%2e%2e/x", "https://h/srv?q=%2e%2e",
         "/srv/%252e%252e/etc", "/srv/%2E%2e/etc", "/%73rv", "https://h/%65tc", "https://h/srv/..;/etc",
         "https://h/etc;x", "https://h/srv/..\\etc", "https:\\\\h\\etc", "https://h/e\ttc",
         "https://h/srv/.\n./etc", " https://h/etc", "https://h/etc\x00", "~/srv", "~root/../srv",
         "/srv/\u212a", "/\u212ae\u037e", "see https://h/srv/../etc", "s3://b/srv/../etc",
         "HTTPS://h/srv/../etc", "https://h/a b/../../etc", "C:\\srv\\..\\etc", "/srv/a\x00/../../etc",
         "https:/h/etc", "https:h/etc", "https:///h/etc", "HTTPS:/h/etc", "ws:h/srv/../etc",
         "https:\\h/etc", "file:/etc", "file:etc", "file:////etc", "https:/h/srv", "Https:h/etc",
         " https:h/etc", "ht\ttps:h/etc", "hTtPs:h/etc", "https:h?u=http://h/etc", "FILE:/etc",
         "/srv/a/", "srv/.", "/etc/", "/", "etc#", "etc?x", "/srv/a#/../../etc", "e tc#x", "etc# x",
         "see /etc? no", "https://h/etc?x", "https://h/srv?x#y", "/etc/?x", "etc#?", "a b?c?d"]
STRINGS += PATHS
# Texts a server reads in Unicode normal form (NFC), as `decide` does, each in every spelling
# unicodedata gives: composed, decomposed, and characters that stand for another (U+212B
# ANGSTROM SIGN for Å, U+F900 for 豈's normal form, U+0958 that NFC splits into क and a nukta),
# plus letters an accent after them joins in NFC (`pro` and U+0301 before `d`).
UNICODE_WORDS = ["Privé", "/srv/Privé/a", "Å", "\u212b", "\uf900", "각", "\u0958", "ẹ́", "pró", "/srṽ/x", "e"]
SPELLINGS = sorted({form(word) for word in UNICODE_WORDS
                    for form in (str, lambda w: unicodedata.normalize("NFC", w),
                                 lambda w: unicodedata.normalize("NFD", w))})
STRINGS += SPELLINGS
VALUE_KINDS = ("string", "number", "bool", "null", "object", "array")


def _value(rng: random.Random, kind: str | None = None) -> Any:
    kind = kind or rng.choice(VALUE_KINDS)
    if kind == "string":
        # Often a text in some Unicode spelling, where an export that compares as written fails.
        return rng.choice(SPELLINGS) if rng.random() < 0.3 else rng.choice(STRINGS)
    if kind == "number":
        return rng.choice(NUMBERS)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "object":
        return rng.choice([{}, {"a": "prod"}, {"n": 5}])
    return rng.choice([[], ["prod"], [5, "dev"], ["a*b", True]])


def _condition(rng: random.Random) -> dict[str, Any]:
    name = rng.choice(ARGS)
    path = f"args.{name}" if rng.random() < 0.9 else f"args.{name}.inner"
    op = rng.choice(["eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "exists", "contains", "regex"])
    if op in ("lt", "lte", "gt", "gte"):
        value: Any = rng.choice([0, 1, 5, 5.5, -1, 2.25, 1000, 0.00001, 10**20])
    elif op == "exists":
        value = rng.random() < 0.5
    elif op in ("in", "not_in"):
        # Lists mixing kinds are where the type check is subtle: generate plenty of them.
        kinds = rng.choice([["string", "number"], ["string", "bool"], ["number", "bool"], ["string"], ["number"], ["null", "string"]])
        value = [_value(rng, rng.choice(kinds)) for _ in range(rng.randint(0, 3))]
    elif op == "regex":
        value = rng.choice(["^p", "d.v", "^/srv", "srv$", "^/srv/", "/a$", "^Privé$", "Privé", "^/srv/Prive\u0301",
                            "^\u212b", "क", "^e$", "\u0301"])
    elif op == "contains":
        value = rng.choice(["ro", "*", "a*", 5, "x\"y", "/srv", "//", "é", "e\u0301", "/", "Å", "क", "\u8c48", "srv/"])
    else:
        value = _value(rng, rng.choice(["string", "number", "bool", "string", "null", "object"]))
    return {"path": path, "op": op, "value": value}


def _rule(rng: random.Random) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.1:
        rule["action"] = "deny"
    elif roll < 0.17:
        rule["action"] = "require_approval"
    if rng.random() < 0.3:
        rule["reason"] = "namespace prod is off limits"
    for key in ("require", "deny_if", "require_approval_if"):
        if rng.random() < 0.45:
            rule[key] = [_condition(rng) for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.1:
        rule["limits"] = [{"counter": "c", "window": "minute", "max": 3}]
    return rule


def generate_policy(rng: random.Random) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": "1", "default": rng.choice(["allow", "deny"])}
    if rng.random() < 0.3:
        doc["hide"] = rng.sample(TOOLS, rng.randint(1, 2)) if rng.random() < 0.9 else ["*"]
    if rng.random() < 0.05:
        doc["all_tools"] = {"limits": [{"counter": "all", "window": "hour", "max": 100}]}
    doc["tools"] = {name: _rule(rng) for name in rng.sample(TOOLS, rng.randint(0, 4))}
    return doc


def generate_args(rng: random.Random, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """Arguments of every kind; half the values are ones the policy's conditions name (the
    boundaries where an export goes wrong)."""
    named: list[Any] = []
    for rule in (doc or {}).get("tools", {}).values():
        for key in ("require", "deny_if", "require_approval_if"):
            for condition in rule.get(key, []):
                value = condition["value"]
                named.extend(value if isinstance(value, list) else [value])
    usable = [v for v in named if not isinstance(v, (int, float)) or isinstance(v, bool) or _four_places(v)]
    # Each named text in its other spellings too, and with an accent after it.
    usable += [form for v in usable if isinstance(v, str) for form in _other_spellings(v)]
    args = {}
    for name in rng.sample(ARGS, rng.randint(0, 4)):
        args[name] = rng.choice(usable) if usable and rng.random() < 0.5 else _value(rng)
    return args


def _other_spellings(text: str) -> list[str]:
    body = text.strip("^$")
    return [unicodedata.normalize("NFC", body), unicodedata.normalize("NFD", body), body + "\u0301",
            "/" + body + "\u0303/x"]


def _four_places(value: float) -> bool:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return number == number.quantize(Decimal("0.0001"))


def _pick_tool(rng: random.Random, doc: dict[str, Any]) -> str:
    listed = list(doc.get("tools", {}))
    return rng.choice(listed) if listed and rng.random() < 0.7 else rng.choice(TOOLS)


# ToolHive's request, after pkg/authz/authorizers/cedar (entity.go, core.go) ---------------------


def _cedar_value(value: Any) -> Any:
    """A JSON argument as ToolHive hands it to Cedar; None when it is left out."""
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if abs(number) > Decimal("922337203685477"):
            return None  # NewDecimalFromFloat fails: the argument is left out
        return {"__extn": {"fn": "decimal", "arg": format(number.quantize(Decimal("0.0001")), "f")}}
    return None


def toolhive_context(args: dict[str, Any]) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for key, value in args.items():
        if isinstance(value, (dict, list)):
            context[f"arg_{key}_present"] = True
            continue
        converted = _cedar_value(value)
        if converted is not None:
            context[f"arg_{key}"] = converted
    return context


def toolhive_allows(policies: Any, tool: str, args: dict[str, Any]) -> bool:
    context = toolhive_context(args)
    attrs = {"name": tool, "operation": "call", "feature": "tool", **context}
    entities = [
        {"uid": {"type": "Tool", "id": tool}, "attrs": attrs, "parents": []},
        {"uid": {"type": "Client", "id": "agent"}, "attrs": {}, "parents": []},
    ]
    request = {
        "principal": {"type": "Client", "id": "agent"},
        "action": {"type": "Action", "id": "call_tool"},
        "resource": {"type": "Tool", "id": tool},
        "context": context,
    }
    result = cedarpy.is_authorized(request, policies, entities)
    # ToolHive: any evaluation error is a deny.
    return bool(result.allowed) and not list(result.diagnostics.errors)


def _policies(text: str) -> Any:
    doc = json.loads(text)
    assert doc["version"] == "1.0" and doc["type"] == "cedarv1"
    assert json.loads(doc["cedar"]["entities_json"]) == []
    return cedarpy.PolicySet.from_str("\n".join(doc["cedar"]["policies"]))


def _check(doc: dict[str, Any], calls: list[tuple[str, dict[str, Any]]]) -> dict[str, int]:
    policy = Policy.from_document(doc)
    result, plan = export_cedar(policy)
    policies = _policies(result.text)
    seen = {"exact": 0, "stricter": 0, "denied": 0}
    for tool, args in calls:
        ours = decide(policy, tool, args).outcome is Outcome.ALLOWED
        theirs = toolhive_allows(policies, tool, args)
        where = f"policy {json.dumps(doc)}\ncall {tool!r} {json.dumps(args)}\nexport {result.text}"
        assert not (theirs and not ours), "Cedar allowed a call decide does not allow\n" + where
        kind = _kind(plan, tool)
        seen[kind] += 1
        if kind == "denied":
            assert not theirs, "a tool exported fail-closed was allowed\n" + where
        elif kind == "exact":
            assert theirs == ours, "the export claims exact but Cedar disagrees\n" + where
    return seen


def _kind(plan: CedarPlan, tool: str) -> str:
    if plan.deny_all or tool in plan.denied:
        return "denied"
    if tool in plan.stricter:
        return "stricter"
    return "exact"


@pytest.mark.parametrize("kind", ["require", "deny_if"])
def test_every_path_a_server_may_resolve_is_denied_where_decide_denies_it(kind: str) -> None:
    """Each text of PATHS under each text condition, both ways: Cedar allows no call that
    `decide` denies (`decide` judges the text also as the path a server resolves)."""
    shapes = [("regex", "^/srv"), ("regex", "srv$"), ("regex", "^/etc"), ("contains", "/srv"),
              ("contains", "etc"), ("eq", "/srv/a"), ("neq", "/srv/a"), ("in", ["/srv/a", "/etc"]),
              ("not_in", ["/etc", "x"]), ("regex", "^https://h/etc"), ("regex", "^https://h/srv"),
              ("contains", "K"), ("contains", ";"), ("regex", "^~")]
    for op, value in shapes:
        doc = {"version": "1", "default": "deny",
               "tools": {"read": {kind: [{"path": "args.db", "op": op, "value": value}]}}}
        _check(doc, [("read", {"db": text}) for text in PATHS])


@pytest.mark.parametrize("kind", ["require", "deny_if"])
def test_every_unicode_spelling_is_denied_where_decide_denies_it(kind: str) -> None:
    """Each text of SPELLINGS compared every way against calls in every spelling, with an accent
    after it or more text around it: Cedar allows no call that `decide` denies (`decide` reads
    both in NFC), and for a tool the export calls exact, allows the same calls."""
    calls = [("read", {"db": text}) for word in SPELLINGS
             for text in (word, word + "\u0301", word + "\u0323", "x" + word, word + "/")]
    for word in SPELLINGS:
        shapes = [("eq", word), ("neq", word), ("in", [word, "x"]), ("not_in", [word, "x"]),
                  ("contains", word), ("regex", f"^{word}"), ("regex", f"{word}$"), ("regex", f"^{word}$"),
                  ("regex", word)]
        for op, value in shapes:
            doc = {"version": "1", "default": "deny",
                   "tools": {"read": {kind: [{"path": "args.db", "op": op, "value": value}]}}}
            _check(doc, calls)


def test_generated_policies_agree_with_cedar() -> None:
    rng = random.Random(20261202)
    totals = {"exact": 0, "stricter": 0, "denied": 0}
    allowed = 0
    for _ in range(1500):
        doc = generate_policy(rng)
        calls = [(_pick_tool(rng, doc), generate_args(rng, doc)) for _ in range(8)]
        calls.append((_pick_tool(rng, doc), {}))
        seen = _check(doc, calls)
        for key, count in seen.items():
            totals[key] += count
        policy = Policy.from_document(doc)
        allowed += sum(decide(policy, t, a).outcome is Outcome.ALLOWED for t, a in calls)
    # The generator must reach every class, and plenty of allowed calls to compare.
    assert totals["exact"] > 5000 and totals["stricter"] > 200 and totals["denied"] > 1000, totals
    assert allowed > 2000


def test_call_with_typed_arguments_matches_decide_exactly() -> None:
    doc = {
        "version": "1",
        "default": "deny",
        "tools": {
            "run_sql": {
                "require": [{"path": "args.limit", "op": "lte", "value": 100}],
                "deny_if": [
                    {"path": "args.database", "op": "eq", "value": "prod"},
                    {"path": "args.dry", "op": "eq", "value": False},
                    {"path": "args.mode", "op": "not_in", "value": ["read", "list"]},
                ],
            }
        },
    }
    calls = [
        ("run_sql", {"limit": 5, "database": "dev", "dry": True, "mode": "read"}),
        ("run_sql", {"limit": 5, "database": "prod", "dry": True, "mode": "read"}),
        ("run_sql", {"limit": 101, "database": "dev", "dry": True, "mode": 2}),
        ("run_sql", {"limit": "5", "database": "dev", "dry": True, "mode": "read"}),  # wrong type
        ("run_sql", {"limit": 5, "database": 7, "dry": True, "mode": "read"}),  # wrong type
        ("run_sql", {"limit": 5, "database": "dev", "dry": True, "mode": True}),  # wrong type
        ("run_sql", {"limit": 5, "database": "dev", "mode": "read"}),  # missing: denied
        ("other", {}),
    ]
    policy = Policy.from_document(doc)
    result, plan = export_cedar(policy)
    # Stricter only in denying text that begins like JSON (a server may read it as a list).
    assert plan.stricter == {"run_sql"} and not plan.denied and not plan.exact
    policies = _policies(result.text)
    got = [toolhive_allows(policies, t, a) for t, a in calls]
    assert got == [True, False, False, False, False, False, False, False]
    assert got == [decide(policy, t, a).allowed for t, a in calls]


def test_text_that_begins_like_json_is_denied_where_a_condition_reads_the_argument() -> None:
    doc = {"version": "1", "default": "allow", "tools": {"ls": {"deny_if": [
        {"path": "args.paths", "op": "contains", "value": "/etc/shadow"}]}}}
    policy = Policy.from_document(doc)
    result, plan = export_cedar(policy)
    policies = _policies(result.text)
    # The MCP Python SDK turns this text into ["/etc/shadow"] for a list parameter.
    sent = {"paths": '["\\/etc\\/shadow"]'}
    assert not decide(policy, "ls", sent).allowed
    assert not toolhive_allows(policies, "ls", sent)
    for text in (' ["x"]', '{"a": 1}', "null", "[WIP] notes"):
        assert not toolhive_allows(policies, "ls", {"paths": text}), text
    assert toolhive_allows(policies, "ls", {"paths": "/home/me"})
    assert any("begins like JSON" in w.message for w in result.warnings)


def test_a_list_mixing_kinds_is_not_written_as_a_validator_may_coerce_one_into_another() -> None:
    doc = {"version": "1", "default": "allow", "tools": {"t": {"deny_if": [
        {"path": "args.n", "op": "in", "value": [5, "prod"]}]}}}
    policy = Policy.from_document(doc)
    result, plan = export_cedar(policy)
    assert plan.denied == {"t"}
    assert not decide(policy, "t", {"n": "5"}).allowed  # "5" may reach the server as 5
    assert not toolhive_allows(_policies(result.text), "t", {"n": "dev"})


def test_numbers_are_compared_as_decimals() -> None:
    doc = {"version": "1", "default": "allow", "tools": {"t": {"deny_if": [{"path": "args.n", "op": "eq", "value": 5}]}}}
    text = export_policy(Policy.from_document(doc), "cedar").text
    assert 'decimal("5.0")' in "\n".join(json.loads(text)["cedar"]["policies"])
    policies = _policies(text)
    assert not toolhive_allows(policies, "t", {"n": 5})
    assert not toolhive_allows(policies, "t", {"n": 5.0})
    assert toolhive_allows(policies, "t", {"n": 6})


def test_what_cedar_cannot_hold_is_forbidden_and_listed() -> None:
    doc = {
        "version": "1",
        "default": "allow",
        "tools": {
            "ask": {"action": "require_approval", "reason": "a human decides"},
            "rate": {"limits": [{"counter": "r", "window": "minute", "max": 5}]},
            "re": {"deny_if": [{"path": "args.q", "op": "regex", "value": "^drop(s)?"}]},
            "deep": {"require": [{"path": "args.a.b", "op": "eq", "value": 1}]},
        },
    }
    result, plan = export_cedar(Policy.from_document(doc))
    assert plan.denied == {"ask", "rate", "re", "deep"}
    paths = [w.path for w in result.warnings]
    assert paths == ["tools.ask.reason", "tools.ask.action", "tools.rate.limits", "tools.re.deny_if[0]",
                     "tools.deep.require[0]"]
    assert "carry no message" in result.warnings[0].message  # the agent is not told the reason
    policies = _policies(result.text)
    for tool in plan.denied:
        assert not toolhive_allows(policies, tool, {"q": "select", "a": {"b": 1}})
    assert toolhive_allows(policies, "unlisted", {})


def test_all_tools_limits_forbid_everything() -> None:
    doc = {"version": "1", "default": "allow", "all_tools": {"limits": [{"counter": "a", "window": "day", "max": 9}]}}
    result, plan = export_cedar(Policy.from_document(doc))
    assert plan.deny_all
    assert [w.path for w in result.warnings] == ["all_tools.limits"]
    assert not toolhive_allows(_policies(result.text), "anything", {})


def test_list_filtering_never_shows_a_hidden_tool() -> None:
    """ToolHive lists a tool when a call without arguments is allowed."""
    doc = {"version": "1", "default": "allow", "hide": ["secret"], "tools": {"needs": {"require": [{"path": "args.x", "op": "exists", "value": True}]}}}
    result, _ = export_cedar(Policy.from_document(doc))
    policies = _policies(result.text)
    assert not toolhive_allows(policies, "secret", {})
    assert not toolhive_allows(policies, "needs", {})
    assert "tools/list" in " ".join(w.message for w in result.warnings)


def test_cli_writes_the_config_and_prints_the_table(tmp_path: Path) -> None:
    source = tmp_path / "policy.json"
    source.write_text(
        json.dumps(
            {
                "version": "1",
                "default": "deny",
                "tools": {"ls": {}, "rm": {"action": "require_approval", "reason": "namespace prod is off limits"}},
            }
        )
    )
    out = tmp_path / "authz.json"
    done = subprocess.run(
        [str(POLICYTUI), "export", str(source), "--format", "cedar", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "What ToolHive (Cedar) cannot hold as written (2):" in done.stderr
    assert "tools.rm.action" in done.stderr and "tools.rm.reason" in done.stderr
    config = json.loads(out.read_text())
    policies = cedarpy.PolicySet.from_str("\n".join(config["cedar"]["policies"]))
    assert toolhive_allows(policies, "ls", {})
    assert not toolhive_allows(policies, "rm", {})
    assert not toolhive_allows(policies, "cat", {})


@pytest.mark.parametrize("sample", sorted((ROOT / "sample_policies").glob("*.json")), ids=lambda p: p.name)
def test_sample_policies_export_to_valid_cedar(sample: Path) -> None:
    policy = Policy.from_document(json.loads(sample.read_text(encoding="utf-8")))
    result, plan = export_cedar(policy)
    policies = _policies(result.text)  # parses, or raises
    assert export_policy(policy, "cedar").text == result.text  # deterministic
    approvals = [n for n, r in (policy.tools or {}).items() if r.action == "require_approval" or r.require_approval_if]
    warned = {w.path.split(".")[1] for w in result.warnings if w.path.startswith("tools.")}
    assert set(approvals) <= warned
    for name in policy.tools or {}:
        if _kind(plan, name) == "denied":
            assert not toolhive_allows(policies, name, {})


ARG_VALUES: list[Any] = [
    "prod", "dev", "", "a*b", "5", "prod\n", "\n", "xprod", "a.b", "axb", 5, 5.5, 0, -1, 1000, 2.25, True, False, None, {}, {"a": 1}, [], ["prod"], [5, "dev"],
]
CONDITION_VALUES: dict[str, list[Any]] = {
    "eq": ["prod", 5, 5.5, True, False, ""],
    "neq": ["prod", 5, True, "a*b"],
    "in": [["prod", "dev"], [5, "prod"], [True, 5], ["prod", False], [5, 2.25], [], ["prod", 5, True]],
    "not_in": [["prod", "dev"], [5, "prod"], [True, 5], ["prod", False], [5, 2.25], [], ["prod", 5, True]],
    "lt": [5, 0, 2.25], "lte": [5, -1], "gt": [5, 1000], "gte": [5.5, 0],
    "exists": [True, False],
    "contains": ["ro", "*", "a*"],
    "regex": ["pro", "^pro", "od$", "^prod$", "^$", "", "a.b", "^(dev|prod)$", "\n$"],
}


@pytest.mark.parametrize("op", sorted(CONDITION_VALUES))
def test_every_operator_against_every_kind_of_argument(op: str) -> None:
    """One condition at a time, in each place it can stand, against arguments of every kind."""
    calls = [("t", {})] + [("t", {"x": value}) for value in ARG_VALUES] + [("t", {"x": v, "y": 1}) for v in ARG_VALUES]
    for value in CONDITION_VALUES[op]:
        for kind in ("require", "deny_if", "require_approval_if"):
            for default in ("allow", "deny"):
                doc = {"version": "1", "default": default, "tools": {"t": {kind: [{"path": "args.x", "op": op, "value": value}]}}}
                _check(doc, calls)


def test_a_tool_name_cedar_cannot_write_never_opens_a_hole() -> None:
    doc = {"version": "1", "default": "allow", "tools": {"bad\ud800name": {"action": "deny"}, "ok": {}}}
    result, plan = export_cedar(Policy.from_document(doc))
    assert plan.deny_all
    assert not toolhive_allows(_policies(result.text), "ok", {})
    strict = {"version": "1", "default": "deny", "tools": {"bad\ud800name": {}, "ok": {}}}
    result, plan = export_cedar(Policy.from_document(strict))
    assert not plan.deny_all and toolhive_allows(_policies(result.text), "ok", {})


def test_a_refusal_of_an_accented_name_refuses_its_decomposed_spelling_through_the_cli(tmp_path: Path) -> None:
    """`decide` reads `Prive` and a combining accent as `Privé` (server-filesystem opens the
    one for the other); Cedar compares as written, so the refusal forbids its tool, listed."""
    composed = "/srv/Privé/notes.txt"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    source = tmp_path / "policy.json"
    source.write_text(json.dumps({"version": "1", "default": "allow", "tools": {
        "read_file": {"deny_if": [{"path": "args.path", "op": "regex", "value": "/Privé/"}]},
        "write_file": {"require": [{"path": "args.path", "op": "in", "value": ["/srv/Privé/a", "/srv/b"]}]},
    }}, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "authz.json"
    done = subprocess.run([str(POLICYTUI), "export", str(source), "--format", "cedar", "-o", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    policies = _policies(out.read_text(encoding="utf-8"))
    policy = Policy.from_document(json.loads(source.read_text(encoding="utf-8")))
    assert not decide(policy, "read_file", {"path": decomposed}).allowed
    assert not toolhive_allows(policies, "read_file", {"path": decomposed})
    assert "tools.read_file.deny_if[0]" in done.stderr and "Unicode spelling" in done.stderr
    # An allow-list is stricter as it is: only the spelling written passes, in Cedar and in decide.
    allowed = unicodedata.normalize("NFC", "/srv/Privé/a")
    assert toolhive_allows(policies, "write_file", {"path": allowed})
    assert decide(policy, "write_file", {"path": allowed}).allowed
    assert not toolhive_allows(policies, "write_file", {"path": unicodedata.normalize("NFD", allowed)})
    assert "tools.write_file.require" not in done.stderr
