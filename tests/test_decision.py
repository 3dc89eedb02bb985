"""The decision engine's fail-closed contract: unit tests and properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policytui.decision import (
    Approval,
    Caller,
    CounterStore,
    Decision,
    Outcome,
    decide,
    visible_tools,
)
from policytui.policy.model import OPS, Policy

T0 = 1_700_000_040.0  # 00:00:40 into a UTC minute


def policy(**kw: Any) -> Policy:
    return Policy.from_document({"version": "1", "default": "deny", **kw})


def one_tool(rule: dict[str, Any], **kw: Any) -> Policy:
    return policy(tools={"t": rule}, **kw)


ANYONE = Caller()


def run(p: Policy, store: CounterStore, n: int, *, now: float = T0, tool: str = "t",
        caller: Caller = ANYONE) -> list[Decision]:
    """n calls in a row, charging every allowed one as a gateway does."""
    out = []
    for _ in range(n):
        d = decide(p, tool, {}, store, caller=caller, now=now)
        if d.allowed:
            store.charge(d.charges)
        out.append(d)
    return out


# ---- order of the rules ------------------------------------------------------------------


def test_hidden_wins_over_everything() -> None:
    p = one_tool({"action": "allow"}, hide=["t"], default="allow")
    d = decide(p, "t", {})
    assert d.outcome is Outcome.HIDDEN and d.rule == "hide"
    assert d.agent_text() == '[POLICY DENIED] Tool "t" is hidden by policy'
    assert decide(policy(hide=["*"], default="allow"), "any").outcome is Outcome.HIDDEN
    assert visible_tools(policy(hide=["a"]), ["a", "b", "c"]) == ["b", "c"]


def test_default_decides_unlisted_tools() -> None:
    assert decide(policy(default="deny"), "x").outcome is Outcome.DENIED
    assert decide(policy(default="allow"), "x").allowed
    assert decide(policy(default="deny", tools={"x": {}}), "x").allowed


def test_default_allow_still_passes_all_tools_limits() -> None:
    p = policy(default="allow", all_tools={"limits": [{"counter": "all", "window": "minute",
                                                       "max": 2}]})
    results = run(p, CounterStore(), 3, tool="unlisted")
    assert [d.allowed for d in results] == [True, True, False]
    assert results[2].rule == "all_tools.limits[0]"


def test_action_deny_uses_the_reason() -> None:
    d = decide(one_tool({"action": "deny", "reason": "never on Fridays"}), "t", {})
    assert d.outcome is Outcome.DENIED and d.reason == "never on Fridays"
    assert d.rule == "tools.t.action"


def test_require_deny_if_and_approval_name_the_condition() -> None:
    p = one_tool({"require": [{"path": "args.ns", "op": "eq", "value": "dev"}],
                  "deny_if": [{"path": "args.action", "op": "eq", "value": "delete"}],
                  "require_approval_if": [{"path": "args.action", "op": "eq", "value": "kill"}]})
    assert decide(p, "t", {"ns": "prod"}).rule == "tools.t.require[0]"
    assert "args.ns eq" in decide(p, "t", {"ns": "prod"}).reason
    assert decide(p, "t", {"ns": "dev", "action": "delete"}).rule == "tools.t.deny_if[0]"
    held = decide(p, "t", {"ns": "dev", "action": "kill"})
    assert held.outcome is Outcome.NEEDS_APPROVAL and held.rule == "tools.t.require_approval_if[0]"
    assert decide(p, "t", {"ns": "dev", "action": "get"}).allowed


def test_an_approval_nobody_could_give_is_not_called_a_time_out() -> None:
    d = decide(one_tool({"action": "require_approval"}), "t", {}, approval=Approval.UNAVAILABLE)
    assert d.outcome is Outcome.DENIED
    assert d.reason.endswith("the approvals queue could not keep the call, so no human could answer")
    assert "in time" not in d.reason


@pytest.mark.parametrize("answer", [Approval.REJECTED, Approval.TIMED_OUT, Approval.UNAVAILABLE, "rejected", "maybe",
                                    True, 1])
def test_approval_other_than_approved_denies(answer: Any) -> None:
    p = one_tool({"action": "require_approval"})
    assert decide(p, "t", {}).outcome is Outcome.NEEDS_APPROVAL
    d = decide(p, "t", {}, approval=answer)
    assert d.outcome is Outcome.DENIED


def test_approved_call_continues_to_limits() -> None:
    p = one_tool({"action": "require_approval",
                  "limits": [{"counter": "c", "window": "minute", "max": 1}]})
    store = CounterStore()
    first = decide(p, "t", {}, store, now=T0, approval=Approval.APPROVED)
    assert first.allowed
    store.charge(first.charges)
    assert decide(p, "t", {}, store, now=T0, approval=Approval.APPROVED).outcome is Outcome.DENIED


# ---- conditions: missing or wrong-typed arguments count against the caller ----------------


@pytest.mark.parametrize(
    "op,value,args",
    [
        ("eq", "delete", {}),
        ("eq", 5, {"a": "5"}),
        ("eq", True, {"a": 1}),
        ("neq", "x", {"a": 1}),
        ("in", ["a", "b"], {"a": 1}),
        ("in", [1, 2], {"a": "1"}),
        ("not_in", ["a"], {"a": ["a"]}),
        ("lt", 10, {"a": "3"}),
        ("gte", 0, {"a": True}),
        ("gt", 100, {"a": float("nan")}),
        ("regex", "^x", {"a": 5}),
        ("contains", "x", {"a": 5}),
        ("contains", "x", {"a": {"x": 1}}),
        ("eq", 1, {"a": None}),
        # At any depth, a value a validator may coerce into the compared one is the wrong type.
        ("eq", [True], {"a": [1]}),
        ("eq", {"n": 5}, {"a": {"n": "5"}}),
        ("contains", 1, {"a": [True]}),
        ("contains", 1, {"a": ["1"]}),
        ("contains", 1, {"a": [" 1.0 "]}),
        # ... exactly, past what a float holds, and as JavaScript's Number() reads text.
        ("contains", 1234567890123456789, {"a": ["1234567890123456789"]}),
        ("contains", 1234567890123456789, {"a": [" 1_234_567_890_123_456_789 "]}),
        ("eq", {"ids": [1234567890123456789]}, {"a": {"ids": ["1234567890123456789.0"]}}),
        ("contains", 16, {"a": ["0x10"]}),
        ("contains", 16, {"a": [[16]]}),
        ("contains", True, {"a": ["false"]}),  # Boolean("false") is true
        ("in", [5, "x"], {"a": "5"}),
        # JSON text the MCP Python SDK turns into a list or object before its tool sees it.
        ("contains", "/etc/shadow", {"a": ' [ "\\/etc\\/shadow" ] '}),
        ("regex", "force", {"a": '{"\\u0066orce": true}'}),
        # Integers a JavaScript server rounds to a double it would judge otherwise.
        ("eq", 9007199254740992, {"a": 9007199254740993}),
        ("in", [18014398509481984], {"a": 18014398509481985}),
        ("gte", 9007199254740996, {"a": 9007199254740995}),
    ],
)
def test_missing_or_wrong_type_fails_require_and_holds_in_deny_and_approval(
    op: str, value: Any, args: dict[str, Any]
) -> None:
    condition = {"path": "args.a", "op": op, "value": value}
    assert decide(one_tool({"require": [condition]}), "t", args).outcome is Outcome.DENIED
    assert decide(one_tool({"deny_if": [condition]}), "t", args).outcome is Outcome.DENIED
    held = decide(one_tool({"require_approval_if": [condition]}), "t", args)
    assert held.outcome is Outcome.NEEDS_APPROVAL


@pytest.mark.parametrize("op,value,text", [
    ("regex", "-----BEGIN [A-Z ]*PRIVATE KEY-----", '{"name": "app", "version": "1.0.0"}'),
    ("contains", "password", '{"q": 1}'),
    ("regex", "^[^$]*$", '{"status": "open"}'),
    ("regex", "secret", "null"),
    ("contains", "x", "[\n]"),
])
def test_json_text_under_a_text_condition_is_judged_as_text_written_plainly(
    op: str, value: Any, text: str
) -> None:
    # A `content` or `body` typed as text stays text for the server: JSON in it that says
    # nothing the condition looks for is not denied for being JSON.
    condition = {"path": "args.a", "op": op, "value": value}
    kind = "require" if value == "^[^$]*$" else "deny_if"
    assert decide(one_tool({kind: [condition]}), "t", {"a": text}).allowed


def test_a_field_inside_json_text_is_looked_for_as_the_server_will_see_it() -> None:
    # The MCP Python SDK parses `"opts": "{\"force\": true}"` into an object for a parameter
    # not typed as text: `args.opts.force` exists for its tool, though not in the text.
    present = {"path": "args.opts.force", "op": "exists", "value": True}
    sent = {"opts": '{"force": true}'}
    assert not decide(one_tool({"deny_if": [present]}), "t", sent).allowed
    assert not decide(one_tool({"require": [{**present, "value": False}]}), "t", sent).allowed
    # Text that is no JSON list, object or null stays text, as the SDK leaves it.
    assert decide(one_tool({"deny_if": [present]}), "t", {"opts": '"force"'}).allowed


@pytest.mark.parametrize("sent, allowed", [
    ("/srv/data/report.txt", True),
    ("/srv//data/./report.txt", True),  # resolves under /srv too
    ("/srv/data/..", False),  # /srv itself: `^/srv(/|$)` allows the folder too
    ("/srv/data/", True),
    ("/srv/data/../..", False),
    ("/srv/../etc/passwd", False),
    ("/srv/%2e%2e/etc/passwd", False),  # a server decoding the text first
    ("/srv/%2E%2E%2Fetc/passwd", False),
    ("/srv/100%/a", True),
    ("https://files.example/srv/a", False),  # not a path under /srv, either way
])
def test_an_allow_list_pattern_holds_for_the_path_the_server_opens(sent: str, allowed: bool) -> None:
    # A server opening `/srv/../etc/passwd` opens /etc/passwd: a pattern the text matches only
    # as written does not let it through.
    require = {"path": "args.path", "op": "regex", "value": "^/srv/"}
    assert decide(one_tool({"require": [require]}), "t", {"path": sent}).allowed is allowed


@pytest.mark.parametrize("sent", ["/etc/passwd", "/tmp/../etc/passwd", "//etc/passwd", "/./etc/passwd",
                                  "tmp/../../etc/shadow"])
def test_a_deny_pattern_finds_the_path_however_it_is_written(sent: str) -> None:
    deny = {"path": "args.path", "op": "regex", "value": "^/etc/|^\\.\\./etc/"}
    assert not decide(one_tool({"deny_if": [deny]}), "t", {"path": sent}).allowed
    assert decide(one_tool({"deny_if": [deny]}), "t", {"path": "/tmp/etc/passwd"}).allowed


@pytest.mark.parametrize(("condition", "sent", "allowed"), [
    ({"op": "regex", "value": "^/srv/files/private/"}, "private/pay.csv", False),
    ({"op": "regex", "value": "^/srv/files/private/"}, "public/../private/pay.csv", False),
    ({"op": "regex", "value": "^/srv/files/private/"}, "public/notes.txt", True),
    ({"op": "regex", "value": "/Keys/"}, "Keys/id.txt", False),
    ({"op": "regex", "value": "^.*/Keys/"}, "Keys/id.txt", False),
    ({"op": "eq", "value": "/srv/files/private"}, "private", False),
    ({"op": "in", "value": ["/etc/passwd", "/etc/shadow"]}, "shadow", False),
    ({"op": "contains", "value": "/Keys/"}, "Keys/id.txt", False),
    ({"op": "eq", "value": "/srv/files/private"}, "public", True),
    ({"op": "in", "value": ["prod", "root"]}, "dev", True),  # names no path: as written
])
def test_a_deny_if_on_an_absolute_path_refuses_a_relative_path_opened_under_it(
        condition: dict[str, Any], sent: str, allowed: bool) -> None:
    # A server opens a relative path in a folder of its own (server-filesystem in the one it
    # serves): in each folder above what the condition names, the call must still pass.
    deny = {"path": "args.path", **condition}
    assert decide(one_tool({"deny_if": [deny]}), "t", {"path": sent}).allowed is allowed


def test_a_require_naming_no_folder_keeps_its_relative_choice() -> None:
    require = {"path": "args.path", "op": "regex", "value": "^(a\\.txt|/srv/.*)$"}
    assert decide(one_tool({"require": [require]}), "t", {"path": "a.txt"}).allowed
    listed = {"path": "args.path", "op": "in", "value": ["/srv/a", "b"]}  # `b` may be /srv/b
    assert not decide(one_tool({"require": [listed]}), "t", {"path": "b"}).allowed


@pytest.mark.parametrize("text", [
    "https://api.example/v1/items/", "https://api.example", "s3://bucket/key/", "/tmp", "a.txt",
    "see ../docs for more", "1/2 cup", "C:\\temp\\..\\x", "/", "https://h/a?next=b#top",
    "what is it? #q",
])
def test_text_that_resolves_to_itself_is_judged_as_sent(text: str) -> None:
    # URLs keep their "//" and trailing slash: nothing to disagree about.
    same = {"path": "args.a", "op": "eq", "value": text}
    assert decide(one_tool({"require": [same]}), "t", {"a": text}).allowed


def test_a_url_is_resolved_in_its_path_alone() -> None:
    allowed = {"path": "args.url", "op": "regex", "value": "^https://api\\.example/public/"}
    rule = one_tool({"require": [allowed]})
    assert decide(rule, "t", {"url": "https://api.example/public/a?next=../admin"}).allowed
    assert not decide(rule, "t", {"url": "https://api.example/public/../admin"}).allowed
    assert not decide(rule, "t", {"url": "https://api.example/public/%2e%2e/admin"}).allowed
    assert decide(rule, "t", {"url": "https://api.example/public/a?next=%2e%2e%2fadmin"}).allowed


@pytest.mark.parametrize("sent", [
    "https://h/admin/users",
    "https://h/public/..;/admin",  # a path parameter: Tomcat and Jetty drop it
    "https://h/%61dmin",  # an escaped unreserved letter: the same URL to every web server
    "https://h/public/%252e%252e/admin",  # escaped twice, for a server that decodes twice
    "https://h/public/..\\admin",  # a backslash: a slash to a WHATWG parser (Node's fetch)
    "https:\\\\h\\admin",
    "https://h/ad\tmin",  # tabs and line breaks dropped by that parser
    " https://h/admin\n",  # and blank space around the URL trimmed
    "https:/h/admin",  # any run of slashes after the scheme: the two before the host
    "https:h/admin",
    "https:///h/admin",
    "https://\\h/admin",
])
def test_a_deny_pattern_finds_a_url_path_however_a_server_reads_it(sent: str) -> None:
    deny = {"path": "args.url", "op": "regex", "value": "^https://h/admin"}
    assert not decide(one_tool({"deny_if": [deny]}), "t", {"url": sent}).allowed
    assert decide(one_tool({"deny_if": [deny]}), "t", {"url": "https://h/public/a;v=1"}).allowed


@pytest.mark.parametrize("sent", ["file:/etc/passwd", "file:etc/passwd", "file:////etc/passwd",
                                  "file:\\etc\\passwd"])
def test_a_file_url_without_a_host_is_read_as_the_local_path(sent: str) -> None:
    deny = {"path": "args.url", "op": "regex", "value": "^file:///etc/"}
    assert not decide(one_tool({"deny_if": [deny]}), "t", {"url": sent}).allowed
    assert decide(one_tool({"deny_if": [deny]}), "t", {"url": "file://etc/passwd"}).allowed  # host etc


@pytest.mark.parametrize("sent", ["R/private", "R/private/", "R/private/.", "R/x/../private//"])
def test_a_folder_is_the_same_folder_with_a_trailing_slash(sent: str) -> None:
    # server-filesystem's path.resolve drops the slash: `R/private/` lists R/private.
    for deny in ({"path": "args.path", "op": "eq", "value": "R/private"},
                 {"path": "args.path", "op": "regex", "value": "/private$"}):
        assert not decide(one_tool({"deny_if": [deny]}), "t", {"path": sent}).allowed, deny
    same = {"path": "args.path", "op": "eq", "value": "R/private"}
    assert decide(one_tool({"deny_if": [same]}), "t", {"path": "R/private/a"}).allowed


@pytest.mark.parametrize("sent", ["db_password#", "db_password?x", "db_password#/../x", "db_password/.?",
                                  "db_password# x"])
def test_a_value_pasted_into_a_url_is_judged_up_to_its_query(sent: str) -> None:
    # Kestra's server builds `/namespaces/{namespace}/kv/{key}`: its HTTP client ends the
    # path at `#` or `?`, so `db_password#` reaches the key `db_password`.
    deny = {"path": "args.key", "op": "eq", "value": "db_password"}
    assert not decide(one_tool({"deny_if": [deny]}), "t", {"key": sent}).allowed
    # With blank space before the cut the name is another (the space is escaped into the URL).
    assert decide(one_tool({"deny_if": [deny]}), "t", {"key": "db password#"}).allowed


def test_a_home_folder_is_read_as_the_home_a_started_server_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/me")
    deny = {"path": "args.path", "op": "regex", "value": "^/home/me/\\.ssh/"}
    assert not decide(one_tool({"deny_if": [deny]}), "t", {"path": "~/.ssh/id_rsa"}).allowed
    assert decide(one_tool({"deny_if": [deny]}), "t", {"path": "~/notes.txt"}).allowed


def test_a_character_nfc_makes_ascii_is_read_as_that_letter() -> None:
    # server-filesystem opens `Keys` for `\u212aeys` (a Kelvin sign) when no such name exists.
    deny = {"path": "args.path", "op": "regex", "value": "/Keys/"}
    assert not decide(one_tool({"deny_if": [deny]}), "t", {"path": "/srv/\u212aeys/id"}).allowed
    assert decide(one_tool({"deny_if": [deny]}), "t", {"path": "/srv/k\u00e9ys/id"}).allowed


def test_a_path_inside_json_text_is_resolved_as_the_tool_gets_it() -> None:
    # With blank space in it, the JSON text is prose as written; the SDK hands the tool a list.
    deny = {"path": "args.paths", "op": "contains", "value": "/etc/shadow"}
    rule = one_tool({"deny_if": [deny]})
    assert not decide(rule, "t", {"paths": ' [ "/etc/./shadow" ] '}).allowed
    assert not decide(rule, "t", {"paths": '[ "/srv/../etc//shadow" ]'}).allowed
    assert decide(rule, "t", {"paths": ' [ "/srv/./a" ] '}).allowed


@pytest.mark.parametrize("text", [
    "https://h/a%20b/c?q=%2e%2e", "https://en.wikipedia.org/wiki/C%2B%2B", "http://localhost:8080/",
    "s3://bucket/key/part-0001.parquet", "io.kestra.tests", "0 */5 * * *", "^[a-z]+\\d{2}$",
    "See [the guide](https://h/docs/../guide) for more.", "mailto:a@b.example", "a;b",
    "https: is required", "note: see a/b", "12:30/45",
])
def test_realistic_arguments_are_read_as_sent(text: str) -> None:
    same = {"path": "args.a", "op": "eq", "value": text}
    assert decide(one_tool({"require": [same]}), "t", {"a": text}).allowed


def test_exists_is_the_one_op_that_looks_at_absence() -> None:
    present = {"path": "args.force", "op": "exists", "value": True}
    absent = {"path": "args.force", "op": "exists", "value": False}
    assert decide(one_tool({"deny_if": [present]}), "t", {}).allowed
    assert not decide(one_tool({"deny_if": [present]}), "t", {"force": None}).allowed
    assert decide(one_tool({"require": [absent]}), "t", {}).allowed
    assert not decide(one_tool({"require": [absent]}), "t", {"force": False}).allowed


@pytest.mark.parametrize("args", [
    {"Force": True}, {"FORCE": None}, {"o": 1, "forc\u212a": 0},  # `\u212a`: no k, a Kelvin sign
    {"opts": {"Force": True}}, {"Opts": {"force": True}}, {"OPTS": {"Force": False}},
])
def test_an_argument_there_but_for_letter_case_is_no_missing_one_to_exists(args: dict[str, Any]) -> None:
    """A server on Go's encoding/json (mark3labs/mcp-go) fills its `force` field from `Force`:
    `exists` may not take such an argument for missing, so it counts against the caller."""
    path = "args.opts.force" if any(key.lower() == "opts" for key in args) else "args.force"
    path = path.replace("force", "forck") if "forc\u212a" in args else path
    present = {"path": path, "op": "exists", "value": True}
    absent = {"path": path, "op": "exists", "value": False}
    denied = decide(one_tool({"deny_if": [present]}), "t", args)
    assert denied.outcome is Outcome.DENIED
    assert denied.reason.endswith(
        f"({path} is sent under a key differing only in letter case, which a server may read as "
        "it, and counts against the caller)"), denied.reason
    assert decide(one_tool({"require": [absent]}), "t", args).outcome is Outcome.DENIED
    assert decide(one_tool({"require_approval_if": [present]}), "t", args).outcome is Outcome.NEEDS_APPROVAL
    # A key that is another name altogether is still an argument the call does not have.
    assert decide(one_tool({"deny_if": [present]}), "t", {"forced": True, "opts": {"forced": 1}}).allowed


@pytest.mark.parametrize(
    "op,value,actual,holds",
    [
        ("eq", 1, 1.0, True),
        ("eq", [1, {"a": True}], [1, {"a": True}], True),
        ("eq", [True], [False], False),  # JSON types, all the way down
        ("eq", [True], [0], False),  # no validator makes 0 true
        ("contains", 1, ["x", 2], False),
        ("contains", 1, ["x", 1], True),
        ("eq", 9007199254740993, 9007199254740993, True),  # exact, and as doubles too
        ("contains", "/etc/shadow", "[\"/etc/passwd\"]", False),  # no reading has it
        ("neq", "a", "b", True),
        ("in", ["get", "list"], "get", True),
        ("not_in", ["delete"], "get", True),
        ("lt", 10, 9.5, True),
        ("lte", 10, 10, True),
        ("gt", 10, 10, False),
        ("gte", 10, 10, True),
        ("regex", "^prod-", "prod-eu", True),
        ("regex", "prod", "my-prod-x", True),  # search, not full match
        ("contains", "prod", "my-prod-x", True),
        ("contains", "b", ["a", "b"], True),
    ],
)
def test_condition_semantics(op: str, value: Any, actual: Any, holds: bool) -> None:
    p = one_tool({"deny_if": [{"path": "args.a", "op": op, "value": value}]})
    assert decide(p, "t", {"a": actual}).allowed is (not holds)


def test_nested_paths_and_list_indexes() -> None:
    p = one_tool({"deny_if": [{"path": "args.opts.targets.1", "op": "eq", "value": "prod"}]})
    assert not decide(p, "t", {"opts": {"targets": ["dev", "prod"]}}).allowed
    assert decide(p, "t", {"opts": {"targets": ["dev", "test"]}}).allowed
    assert not decide(p, "t", {"opts": {"targets": ["dev"]}}).allowed  # missing: holds


def test_a_broken_condition_edited_in_memory_denies_instead_of_crashing() -> None:
    p = one_tool({"require": [{"path": "args.a", "op": "regex", "value": "x"}]})
    p.tools["t"].require[0].value = "("  # type: ignore[index]  # past validation
    assert decide(p, "t", {"a": "x"}).outcome is Outcome.DENIED


# ---- limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("window,size", [("minute", 60), ("hour", 3600), ("day", 86400)])
def test_limits_are_exact_and_reset_in_the_next_utc_window(window: str, size: int) -> None:
    p = one_tool({"limits": [{"counter": "c", "window": window, "max": 3}]})
    store = CounterStore()
    start = (T0 // size) * size
    results = run(p, store, 4, now=start + size - 1)
    assert [d.allowed for d in results] == [True, True, True, False]
    assert results[3].retry_after == 1
    assert results[3].reason == f"rate limit 3 per {window} reached; retry in 1 s"
    assert run(p, store, 1, now=start + size)[0].allowed  # new window


def test_shared_counter_names_share_one_budget_per_scope() -> None:
    limit = {"counter": "writes", "window": "minute", "max": 2}
    p = policy(tools={"a": {"limits": [limit]}, "b": {"limits": [limit]}})
    store = CounterStore()
    assert run(p, store, 1, tool="a")[0].allowed
    assert run(p, store, 1, tool="b")[0].allowed
    assert not run(p, store, 1, tool="a")[0].allowed
    # Another grant has its own budget; a global counter is shared by everyone.
    assert run(p, store, 1, tool="b", caller=Caller(grant="other"))[0].allowed
    g = policy(tools={"a": {"limits": [{**limit, "scope": "global"}]}})
    gstore = CounterStore()
    run(g, gstore, 2, tool="a", caller=Caller(grant="one"))
    assert not run(g, gstore, 1, tool="a", caller=Caller(grant="two"))[0].allowed
    s = policy(tools={"a": {"limits": [{**limit, "scope": "session"}]}})
    sstore = CounterStore()
    run(s, sstore, 2, tool="a", caller=Caller(session="s1"))
    assert run(s, sstore, 1, tool="a", caller=Caller(session="s2"))[0].allowed


def test_refund_gives_the_budget_back() -> None:
    p = one_tool({"limits": [{"counter": "c", "window": "minute", "max": 1}]})
    store = CounterStore()
    first = decide(p, "t", {}, store, now=T0)
    store.charge(first.charges)
    assert not decide(p, "t", {}, store, now=T0).allowed
    store.refund(first.charges)  # the upstream call failed
    assert decide(p, "t", {}, store, now=T0).allowed


def test_two_limits_on_one_counter_charge_it_once() -> None:
    p = one_tool({"limits": [{"counter": "c", "window": "minute", "max": 5},
                             {"counter": "c", "window": "minute", "max": 5}]})
    assert len(decide(p, "t", {}, CounterStore(), now=T0).charges) == 1


def test_tool_limits_then_all_tools_limits() -> None:
    p = policy(tools={"t": {"limits": [{"counter": "t", "window": "minute", "max": 5}]}},
               all_tools={"limits": [{"counter": "all", "window": "minute", "max": 1}]})
    store = CounterStore()
    results = run(p, store, 2)
    assert results[1].rule == "all_tools.limits[0]"


def test_expire_forgets_ended_windows() -> None:
    p = one_tool({"limits": [{"counter": "c", "window": "minute", "max": 1}]})
    store = CounterStore()
    run(p, store, 1)
    store.expire(T0 + 60)
    assert store.snapshot() == {}


# ---- properties --------------------------------------------------------------------------

json_args = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True),
              st.sampled_from(["get", "delete", "prod", "x"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["a", "b", "action"]), inner,
                                            max_size=3)),
    max_leaves=6,
)
values_for = {
    "in": st.lists(st.sampled_from(["get", "delete", 1, True, None]), max_size=3),
    "not_in": st.lists(st.sampled_from(["get", "delete", 1, True, None]), max_size=3),
    "lt": st.integers(-5, 5), "lte": st.integers(-5, 5), "gt": st.integers(-5, 5),
    "gte": st.floats(-5, 5),
    "exists": st.booleans(), "regex": st.sampled_from(["^d", "e", "^$", "t$"]),
    "contains": st.sampled_from(["e", 1, True, None]),
    "eq": st.sampled_from(["get", "delete", 1, True, None, [1], {"a": 1}]),
    "neq": st.sampled_from(["get", "delete", 1, True, None]),
}
conditions = st.sampled_from(OPS).flatmap(lambda op: st.fixed_dictionaries({
    "path": st.sampled_from(["args.a", "args.action", "args.a.b", "args.a.0"]),
    "op": st.just(op), "value": values_for[op]}))
limits = st.fixed_dictionaries({"counter": st.sampled_from(["c", "d"]),
                                "window": st.sampled_from(["minute", "hour", "day"]),
                                "max": st.integers(1, 3)},
                               optional={"scope": st.sampled_from(["grant", "session", "global"])})
rules = st.fixed_dictionaries({}, optional={
    "action": st.sampled_from(["allow", "deny", "require_approval"]),
    "require": st.lists(conditions, max_size=2),
    "deny_if": st.lists(conditions, max_size=2),
    "require_approval_if": st.lists(conditions, max_size=2),
    "limits": st.lists(limits, max_size=2),
})
approvals = st.sampled_from([None, Approval.APPROVED, Approval.REJECTED, Approval.TIMED_OUT])


@settings(max_examples=200, deadline=None)
@given(rules, json_args, approvals, st.booleans())
def test_hidden_always_wins(rule: dict[str, Any], args: Any, approval: Any, star: bool) -> None:
    p = policy(default="allow", hide=["*"] if star else ["t"], tools={"t": rule})
    assert decide(p, "t", args, approval=approval).outcome is Outcome.HIDDEN


@settings(max_examples=400, deadline=None)
@given(rules, json_args, approvals, st.integers(0, 3))
def test_a_deny_never_becomes_an_allow(rule: dict[str, Any], args: Any, approval: Any,
                                       used: int) -> None:
    """Adding conditions, limits or approval to a rule can only take allows away."""
    p = one_tool(rule)
    store = CounterStore()
    d = decide(p, "t", args, store, now=T0, approval=approval)
    # The same rule stripped to its action alone: the most permissive version of it.
    bare = one_tool({"action": rule["action"]} if "action" in rule else {})
    if not decide(bare, "t", args, now=T0, approval=approval).allowed:
        assert not d.allowed
    if rule.get("action") == "deny":
        assert d.outcome is Outcome.DENIED
    if d.allowed:
        for i, c in enumerate(rule.get("require", [])):
            assert decide(one_tool({"require": [c]}), "t", args).outcome is not Outcome.DENIED, i
        for c in rule.get("deny_if", []):
            assert decide(one_tool({"deny_if": [c]}), "t", args).allowed
        needs_human = rule.get("action") == "require_approval" or any(
            decide(one_tool({"require_approval_if": [c]}), "t", args).outcome
            is Outcome.NEEDS_APPROVAL for c in rule.get("require_approval_if", []))
        if needs_human:
            assert approval is Approval.APPROVED
    # Filling the counters can only turn allows into denies.
    for key in d.charges:
        for _ in range(used):
            store.charge([key])
    after = decide(p, "t", args, store, now=T0, approval=approval)
    if not d.allowed:
        assert not after.allowed


@settings(max_examples=200, deadline=None)
@given(conditions)
def test_missing_argument_counts_against_the_caller(condition: dict[str, Any]) -> None:
    if condition["op"] == "exists":
        return
    assert decide(one_tool({"require": [condition]}), "t", {}).outcome is Outcome.DENIED
    assert decide(one_tool({"deny_if": [condition]}), "t", {}).outcome is Outcome.DENIED
    assert decide(one_tool({"require_approval_if": [condition]}), "t", {}).outcome in (
        Outcome.NEEDS_APPROVAL,)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 20), st.sampled_from(["minute", "hour", "day"]),
       st.floats(0, 86400 * 3))
def test_exactly_max_calls_per_window(max_calls: int, window: str, offset: float) -> None:
    p = one_tool({"limits": [{"counter": "c", "window": window, "max": max_calls}]})
    store = CounterStore()
    now = 1_700_000_000.0 + offset
    results = run(p, store, max_calls + 1, now=now)
    assert [d.allowed for d in results] == [True] * max_calls + [False]
    assert results[-1].retry_after is not None and results[-1].retry_after >= 1
    assert run(p, store, 1, now=now + results[-1].retry_after)[0].allowed


def test_a_denial_says_when_the_argument_was_missing_or_of_another_type() -> None:
    """A missing argument counts against the caller; the reason must not claim it held the
    refused value."""
    deny = {"path": "args.force", "op": "eq", "value": True}
    missing = decide(one_tool({"deny_if": [deny]}), "t", {"mode": "c"})
    assert not missing.allowed
    assert missing.reason == "denied because args.force eq true (args.force is missing, which counts against the caller)"
    typed = decide(one_tool({"deny_if": [deny]}), "t", {"force": "yes"})
    assert typed.reason.endswith("(args.force is of another type, which counts against the caller)")
    sent = decide(one_tool({"deny_if": [deny]}), "t", {"force": True})
    assert sent.reason == "denied because args.force eq true"
    need = {"path": "args.n", "op": "lt", "value": 5}
    assert decide(one_tool({"require": [need]}), "t", {}).reason == (
        "required condition not met: args.n lt 5 (args.n is missing, which counts against the caller)")


def test_a_key_in_another_unicode_form_is_judged_and_two_alike_keys_count_against_the_caller() -> None:
    """Arguments decided without the gateway's wire rules (a replayed recording, say): a key
    spelled in another normal form than a condition's path is judged under that path too,
    and an object with two keys that are one name in NFC satisfies no condition on it."""
    p = one_tool({"deny_if": [{"path": "args.o.l\u00f6schen", "op": "exists", "value": True}],
                  "require": [{"path": "args.o.Kanal", "op": "eq", "value": "lesen"}]})
    assert decide(p, "t", {"o": {"Kanal": "lesen"}}).allowed
    assert decide(p, "t", {"o": {"Kanal": "lesen", "lo\u0308schen": 1}}).outcome is Outcome.DENIED
    assert decide(p, "t", {"o": {"Kanal": "lesen", "\u212aanal": "schreiben"}}).outcome is Outcome.DENIED
    # The path written decomposed in the policy names the composed key too.
    q = one_tool({"deny_if": [{"path": "args.lo\u0308schen", "op": "exists", "value": True}]})
    assert decide(q, "t", {"l\u00f6schen": 1}).outcome is Outcome.DENIED
    assert decide(q, "t", {"behalten": 1}).allowed


@pytest.mark.parametrize(("rule", "pattern", "sent", "allowed"), [
    ("require", "^[a-z]+$", "main", True),
    ("require", "^[a-z]+$", "main\n", False),  # Python's `$` matches before the newline, Go's not
    ("require", "^[a-z]+\\Z", "main\n", False),  # strict already: both readings say no
    ("require", "(?m)^[a-z]+$", "main\n", True),  # `$` ends lines in all three readings
    ("require", "^[a-z]+(\n)?$", "main\n", True),  # the newline allowed by the pattern itself
    ("require", "[a-z]", "main\n", True),  # no `$`: nothing to read two ways
    ("deny_if", "^/etc/passwd$", "/etc/passwd\n", False),  # holds in one reading: denied
    ("deny_if", "^/etc/passwd$", "/tmp/x\n", True),  # no reading matches
    ("require_approval_if", "^prod$", "prod\n", False),  # held for approval, not allowed
])
def test_a_pattern_ending_in_dollar_holds_for_the_end_as_go_and_javascript_read_it(
        rule: str, pattern: str, sent: str, allowed: bool) -> None:
    condition = {"path": "args.ref", "op": "regex", "value": pattern}
    decision = decide(one_tool({rule: [condition]}), "t", {"ref": sent})
    assert decision.allowed is allowed, decision
    if rule == "require" and not allowed and "\\Z" not in pattern:
        assert "ends with a newline" in str(decision.reason), decision.reason
