"""Replay's rules, call by call: redaction, counters from recorded times, held calls, unknowns.

These check the parts the end-to-end tests cannot steer: exact window edges, a human's
recorded answer, refunds after failed upstream calls, redacted keys.
"""

from __future__ import annotations

import json
from typing import Any

from policytui.gateway.enforcer import (
    CANCELLED_IN_APPROVAL,
    CANCELLED_IN_CHARGE,
    STOPPED_BEFORE_SENDING,
    STOPPED_IN_APPROVAL,
)
from policytui.policy.model import Policy
from policytui.redaction import REDACTED, is_redacted, redact_arguments
from policytui.replay import parse_calls, replay

SECRET = "ghp_averyrealtokenvalue123"


# The SHA-256 of a policy file, as the gateway records it in every audit line (`policy_sha256`).
SAME = "5" * 64


def _line(tool: str, time: str, args: dict[str, Any] | None = None, **extra: Any) -> str:
    record: dict[str, Any] = {
        "time": time,
        "server": "s",
        "grant": extra.pop("grant", "default"),
        "session": "s1",
        "tool": tool,
        "decision": extra.pop("decision", "allowed"),
        "rule": extra.pop("rule", "default"),
        "reason": "",
        "args_sha256": "0" * 64,
        **extra,
    }
    if args is not None:
        record["arguments"] = args
    return json.dumps(record)


def _policy(doc: dict[str, Any]) -> Policy:
    return Policy.from_document({"version": "1", **doc})


def test_redaction_by_key_and_by_secret_value() -> None:
    args = {
        "query": "select 1",
        "api_key": "short",
        "headers": {"Authorization": "Bearer x", "accept": "json"},
        "note": f"use {SECRET} please",
        "list": ["plain", SECRET],
        f"x{SECRET}": 1,
        "count": 3,
    }
    out = redact_arguments(args, [SECRET])
    assert out["query"] == "select 1" and out["count"] == 3
    assert out["api_key"] == REDACTED and out["headers"] == {"Authorization": REDACTED, "accept": "json"}
    assert out["note"] == REDACTED and out["list"] == ["plain", REDACTED]
    assert SECRET not in json.dumps(out)
    assert is_redacted(out) and not is_redacted({"a": "b"})
    assert args["api_key"] == "short"  # the call's own arguments are untouched


def test_counters_follow_recorded_times_and_utc_windows() -> None:
    text = "\n".join(
        [
            _line("w", "2026-12-01T10:00:58.000Z", {}),
            _line("w", "2026-12-01T10:00:59.000Z", {}),
            _line("w", "2026-12-01T10:00:59.500Z", {}),  # third in the minute: limited
            _line("w", "2026-12-01T10:01:00.000Z", {}),  # a new minute: allowed again
            _line("w", "2026-12-01T10:01:01.000Z", {}, grant="other"),  # another grant's budget
        ]
    )
    calls = parse_calls(text + "\n")
    draft = _policy({"default": "allow", "tools": {"w": {"limits": [{"counter": "w", "window": "minute", "max": 2}]}}})
    report = replay(calls, draft)
    # The first minute was under way when the recording began: what it had counted before is
    # not in the recording, so the two calls it lets through may not fit a limit the recorded
    # policy did not have. The next minute began within the recording.
    assert [(c.kind, c.count, c.first.line) for c in report.changes] == [("rate_limited", 1, 3), ("limit_unknown", 2, 1)]
    assert report.allowed_now_limit_unknown == 2
    assert report.exit_code == 1


def test_failed_upstream_calls_are_refunded_and_held_calls_use_the_recorded_answer() -> None:
    lines = [  # from the start of the hour: the window's count is all in the recording
        _line("w", "2026-12-01T10:00:00.000Z", {}, upstream="error"),  # refunded
        _line("w", "2026-12-01T10:00:02.000Z", {}, upstream="ok"),
        _line("w", "2026-12-01T10:00:03.000Z", {}, upstream="ok"),
    ]
    draft = _policy({"default": "allow", "tools": {"w": {"limits": [{"counter": "w", "window": "hour", "max": 2}]}}})
    assert replay(parse_calls("\n".join(lines)), draft).changes == []

    # A call the server answered with a result that is not one kept its charge at the gateway
    # (`invalid`: the tool ran), so the replay counts it too, and the third call is over the limit.
    lines[0] = _line("w", "2026-12-01T10:00:00.000Z", {}, upstream="invalid")
    report = replay(parse_calls("\n".join(lines)), draft)
    assert [(c.kind, c.first.line) for c in report.changes] == [("rate_limited", 3)]

    held = [
        _line("h", "2026-12-01T10:00:00.000Z", {}, approval="rejected", decision="denied"),
        _line("h", "2026-12-01T10:00:02.000Z", {}, approval="approved"),
        _line("h", "2026-12-01T10:00:03.000Z", {}),
    ]
    draft = _policy(
        {
            "default": "allow",
            "tools": {"h": {"action": "require_approval", "limits": [{"counter": "h", "window": "hour", "max": 1}]}},
        }
    )
    report = replay(parse_calls("\n".join(held)), draft)
    # The rejected call charged nothing; the approved one used the budget; the third, which
    # was allowed without a human, is now held (the limit applies after approval).
    assert [(c.kind, c.first.line) for c in report.changes] == [("newly_held", 3)]
    assert report.exit_code == 0


def test_a_held_call_that_ended_denied_is_not_newly_denied() -> None:
    """A call held for a human and rejected or left to time out was denied in the end: a draft
    denying the tool changes nothing for it, only for the calls that ran."""
    lines = [
        _line("w", "2026-12-01T10:00:01.000Z", {}, approval="timed_out", decision="denied"),
        _line("w", "2026-12-01T10:00:02.000Z", {}, approval="rejected", decision="denied"),
        _line("w", "2026-12-01T10:00:03.000Z", {}, approval="approved"),
        _line("w", "2026-12-01T10:00:04.000Z", {}),
    ]
    report = replay(parse_calls("\n".join(lines)), _policy({"default": "allow", "tools": {"w": {"action": "deny"}}}))
    assert [(c.kind, c.count, c.first.line) for c in report.changes] == [("newly_denied", 2, 3)]
    assert report.allowed_now_denied == 1 and report.exit_code == 1


def test_unknown_only_where_values_matter() -> None:
    lines = [
        _line("a", "2026-12-01T10:00:01.000Z", {"db": REDACTED, "n": 1}),
        _line("a", "2026-12-01T10:00:02.000Z", {"db": "prod", "n": 1}),
        _line("a", "2026-12-01T10:00:03.000Z", {"[redacted key 1]": REDACTED}),
    ]
    calls = parse_calls("\n".join(lines))
    on_n = _policy({"default": "allow", "tools": {"a": {"deny_if": [{"path": "args.n", "op": "gt", "value": 5}]}}})
    report = replay(calls, on_n)
    # `n` was recorded on the first two calls; on the third it may hide behind the redacted key.
    assert [(c.kind, c.count, c.first.line) for c in report.changes] == [("unknown", 1, 3)]
    on_db = _policy({"default": "allow", "tools": {"a": {"deny_if": [{"path": "args.db", "op": "eq", "value": "prod"}]}}})
    kinds = {(c.kind, c.first.line, c.count) for c in replay(calls, on_db).changes}
    assert kinds == {("newly_denied", 2, 1), ("unknown", 1, 2)}
    denied_outright = _policy({"default": "allow", "tools": {"a": {"action": "deny", "deny_if": [{"path": "args.db", "op": "eq", "value": "x"}]}}})
    assert [(c.kind, c.count) for c in replay(calls, denied_outright).changes] == [("newly_denied", 3)]


def test_an_audit_log_has_no_arguments_at_all() -> None:
    calls = parse_calls(_line("a", "2026-12-01T10:00:01.000Z") + "\n" + _line("b", "2026-12-01T10:00:02.000Z"))
    assert not calls.with_arguments and all(c.arguments is None for c in calls.calls)
    draft = _policy({"default": "allow", "hide": ["b"], "tools": {"a": {"require": [{"path": "args.x", "op": "exists", "value": True}]}}})
    report = replay(calls, draft)
    assert [(c.tool, c.kind) for c in report.changes] == [("b", "newly_denied"), ("a", "unknown")]
    assert report.allowed_now_unknown == 1 and report.allowed_now_denied == 1


def test_calls_denied_as_drift_are_not_compared() -> None:
    lines = [
        _line("t", "2026-12-01T10:00:01.000Z", {}, decision="denied", rule="x-policytui.pin", drift=True),
        _line("t", "2026-12-01T10:00:02.000Z", {}),
        _line("t", "2026-12-01T10:00:03.000Z", {}, decision="denied", rule="state", state="unavailable"),
    ]
    report = replay(parse_calls("\n".join(lines)), _policy({"default": "allow"}))
    assert report.drift == 1 and report.outage == 1 and report.changes == []
    assert report.to_json()["drift_not_compared"] == 1 and report.to_json()["outage_not_compared"] == 1


def test_the_report_never_sends_a_tool_names_escapes_to_the_terminal() -> None:
    from policytui.replay.text import render

    evil = "evil\x1b[2J\u202etool"
    lines = [_line(evil, "2026-12-01T10:00:01.000Z", {"q": "\x1b]0;title\x07"})]
    report = replay(parse_calls("\n".join(lines)), _policy({"default": "deny"}))
    text = render(report, "draft\x1b[31m.json")
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "newly denied" in text and "Failed: 1 call that was allowed would be denied." in text


def test_a_held_call_its_client_cancelled_was_held_under_the_same_policy() -> None:
    line = json.loads(_line("h", "2026-12-01T10:00:01.000Z", decision="denied", rule="tools.h.action"))
    line["reason"] = CANCELLED_IN_APPROVAL  # the gateway's own words for it
    same = _policy({"default": "allow", "tools": {"h": {"action": "require_approval"}}})
    assert replay(parse_calls(json.dumps(line)), same).changes == []


def test_a_call_its_client_cancelled_while_it_was_charged_was_allowed_and_cost_nothing() -> None:
    """Denied in the audit log with the gateway's reason for it, the call was the policy's
    "allowed" (or a human's approval), never sent and refunded: under the same policy nothing
    changes, and the call after it still fits the limit of one."""
    limited = _policy({"default": "allow", "tools": {"t": {
        "limits": [{"counter": "t", "window": "day", "max": 1, "scope": "global"}]}}})
    # Recorded under that very policy (its file's SHA-256): the day's earlier calls, not in the
    # recording, were counted under the same limit.
    plain = json.loads(_line("t", "2026-12-01T10:00:01.000Z", decision="denied", rule="tools.t", policy_sha256=SAME))
    plain["reason"] = CANCELLED_IN_CHARGE  # the gateway's own words for it
    after = _line("t", "2026-12-01T10:00:02.000Z", rule="tools.t", upstream="ok", policy_sha256=SAME)
    calls = parse_calls(json.dumps(plain) + "\n" + after)
    assert [(c.recorded_outcome, c.refunded) for c in calls.calls] == [("allowed", True), ("allowed", False)]
    report = replay(calls, limited, draft_sha256=SAME)
    assert report.changes == [] and report.passed and report.outcomes == {"allowed": 2}
    # Under a draft that denies the tool it is an allowed call now denied, as a sent one is.
    stricter = replay(calls, _policy({"default": "allow", "tools": {"t": {"action": "deny"}}}))
    assert stricter.allowed_now_denied == 2

    held = _policy({"default": "allow", "tools": {"t": {"action": "require_approval",
                    "limits": [{"counter": "t", "window": "day", "max": 1, "scope": "global"}]}}})
    approved = {**plain, "rule": "tools.t.action", "approval": "approved", "approval_via": "queue"}
    then = _line("t", "2026-12-01T10:00:02.000Z", rule="tools.t.action", upstream="ok", approval="approved",
                 policy_sha256=SAME)
    calls = parse_calls(json.dumps(approved) + "\n" + then)
    assert [c.recorded_outcome for c in calls.calls] == ["held", "held"]
    assert replay(calls, held, draft_sha256=SAME).changes == []


def test_calls_the_gateway_did_not_send_because_it_was_stopping_read_as_what_the_policy_decided() -> None:
    """A held call withdrawn as the gateway stopped was held; a call let through but not sent
    as it stopped was allowed, its charge given back: under the same policy nothing changes."""
    held = json.loads(_line("h", "2026-12-01T10:00:01.000Z", decision="denied", rule="tools.h.action",
                            approval="cancelled", policy_sha256=SAME))
    held["reason"] = STOPPED_IN_APPROVAL  # the gateway's own words for it
    unsent = json.loads(_line("t", "2026-12-01T10:00:02.000Z", decision="denied", rule="tools.t", policy_sha256=SAME))
    unsent["reason"] = STOPPED_BEFORE_SENDING
    after = _line("t", "2026-12-01T10:00:03.000Z", rule="tools.t", upstream="ok", policy_sha256=SAME)
    calls = parse_calls("\n".join([json.dumps(held), json.dumps(unsent), after]))
    assert [(c.recorded_outcome, c.refunded) for c in calls.calls] == [
        ("held", False), ("allowed", True), ("allowed", False)]
    same = _policy({"default": "allow", "tools": {"h": {"action": "require_approval"}, "t": {
        "limits": [{"counter": "t", "window": "day", "max": 1, "scope": "global"}]}}})
    report = replay(calls, same, draft_sha256=SAME)
    assert report.changes == [] and report.passed


def test_an_audit_logs_call_is_read_once_from_its_two_lines_or_once_from_the_first() -> None:
    sent = _line("a", "2026-12-01T10:00:01.000Z", upstream="sent")
    done = _line("a", "2026-12-01T10:00:02.000Z", upstream="ok")
    other = _line("b", "2026-12-01T10:00:03.000Z", upstream="sent")  # the gateway stopped here
    calls = parse_calls("\n".join([sent, done, other]) + "\n").calls
    assert [(c.tool, c.upstream, c.line) for c in calls] == [("a", "ok", 2), ("b", "sent", 3)]
    deny_all = _policy({"default": "deny"})
    assert sorted((c.tool, c.kind) for c in replay(parse_calls("\n".join([sent, done, other])), deny_all).changes) == [
        ("a", "newly_denied"), ("b", "newly_denied")]
