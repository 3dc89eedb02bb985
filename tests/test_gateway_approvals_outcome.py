"""`policytui approvals approve|reject|show` tell the person what actually happened.

An approval is not yet a sent call: the client may cancel it (or leave) just as the human
approves, another person may answer first, a rate limit may still stop it, its gateway may be
gone. `python -m policytui gateway --approvals queue` in front of the recording flows server
(behind `tee_stdin.py`), answered by `policytui approvals` run as a person runs it, in another
process; judged by what the command printed and its exit code against what the server read
and ran, and the audit log.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gateway_approvals_withdrawn import (
    POLICY,
    answer,
    approvals,
    audited,
    cancelled,
    delete,
    until_waiting,
)
from test_gateway_redteam import call, flows_server, stdio_gateway
from test_state_locked_file import locked

from policytui.gateway.store import open_store

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

NEVER_SENT = "but its client cancelled it or went away before it could be sent; it was never sent"


@pytest.fixture(params=["sqlite", "redis"])
def state(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The store the gateway and every `policytui approvals` share: the state folder's SQLite
    file, or a Redis named by `$POLICYTUI_STATE` (which both read)."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    from state_support import RedisServer

    redis = RedisServer(tmp_path / "redis").start()
    monkeypatch.setenv("POLICYTUI_STATE", redis.url)
    try:
        yield "redis"
    finally:
        redis.stop()


async def until_decided(tmp: Path, approval_id: str, seconds: float = 30) -> None:
    """Return as soon as a decision for `approval_id` is in the store (read as the gateway reads
    it), within a millisecond or two."""
    store = open_store(None, tmp / "state")
    try:
        deadline = time.monotonic() + seconds
        while (stored := store.get_approval(approval_id)) is None or stored.decision is None:
            assert time.monotonic() < deadline, "the approval never reached the store"
            await asyncio.sleep(0.001)
    finally:
        store.close()


async def reached_the_server(gw: Any, flow: str, seconds: float = 2) -> bool:
    """Whether the server read the call for `flow` (waiting up to `seconds` for it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(m.get("method") == "tools/call" and m["params"]["arguments"].get("flow_id") == flow
               for m in gw.received()):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_an_approval_that_crosses_the_clients_cancel_is_told_what_became_of_the_call(
    tmp_path: Path, state: str
) -> None:
    """The client cancels its held call the moment a person's approval reaches the store, before
    the gateway has seen it (it looks every 0.2 s), or, rarely, just after. Before, `approve`
    said "Call ID approved." (exit 0) either way, for a call the gateway then dropped: only the
    audit log told the truth. Now what it says matches what the server ran, and a call approved
    after it was withdrawn is never sent. Tried until the approval lost the race at least once."""
    told: dict[str, bool] = {}  # flow -> whether `approve` said it was sent
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        for attempt in range(5):
            flow = f"f{attempt}"
            await gw.send(delete(attempt, flow))
            approval_id = (await until_waiting(tmp_path, {flow}))[flow]
            approving = asyncio.create_task(answer(tmp_path, "approve", approval_id))
            await until_decided(tmp_path, approval_id)
            await gw.send(cancelled(attempt))
            approved = await approving
            told[flow] = sent = await reached_the_server(gw, flow)
            if sent:
                assert approved.stdout == f"Call {approval_id} approved and sent to the server.\n", approved
                assert approved.returncode == 0
                continue
            assert approved.returncode == 1, f"told {approved.stdout!r}{approved.stderr!r}, but the call was never sent"
            assert approved.stderr == f"policytui approvals: call {approval_id} was approved, {NEVER_SENT}.\n", approved
            assert approved.stdout == ""
            shown = await asyncio.to_thread(approvals, tmp_path, "show", approval_id)
            assert "then: not sent: its client cancelled it or went away" in shown.stdout, shown
            break
        assert False in told.values(), f"the cancel never came first in {len(told)} tries"

        # The same command, for a call that does go through, says it was sent.
        await gw.send(delete(9, "b"))
        approval_id = (await until_waiting(tmp_path, {"b"}))["b"]
        sent = await answer(tmp_path, "approve", approval_id)
        assert (sent.returncode, sent.stdout) == (0, f"Call {approval_id} approved and sent to the server.\n"), sent
        done = await gw.answer(9)
        assert done is not None and "deleted prod.b" in json.dumps(done)
    # What `approve` said was sent is what reached the server (which may itself drop a call
    # whose cancel followed it at once); what it said was never sent never ran.
    sent_flows = sorted([flow for flow, was_sent in told.items() if was_sent] + ["b"])
    received = [m["params"] for m in gw.received() if m.get("method") == "tools/call"]
    assert sorted(p["arguments"]["flow_id"] for p in received if p["name"] == "delete_flow") == sent_flows
    assert {m["arguments"]["flow_id"] for m in gw.executed()} <= set(sent_flows)
    assert "b" in {m["arguments"]["flow_id"] for m in gw.executed()}
    # A call sent just before its cancel came may end "cancelled" rather than "ok" upstream.
    assert sorted((d, a) for d, a, _ in audited(gw)) == sorted([("denied", "cancelled")] + [("allowed", "approved")] * len(sent_flows))
    assert ("denied", "cancelled", None) in audited(gw)


async def test_an_approved_call_a_rate_limit_then_stops_is_reported_as_not_sent(tmp_path: Path) -> None:
    """The limits are charged once the call is approved: the approver of the call over the limit
    learns that it was not sent, and why, rather than "approved"."""
    policy: dict[str, Any] = {"version": "1", "default": "allow", "tools": {"delete_flow": {
        "action": "require_approval",
        "limits": [{"counter": "deletes", "max": 1, "window": "hour", "scope": "global"}]}}}
    async with stdio_gateway(tmp_path, policy, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        await gw.send(delete(6, "b"))
        held = await until_waiting(tmp_path, {"a", "b"})
        first = await answer(tmp_path, "approve", held["a"])
        second = await answer(tmp_path, "approve", held["b"])
        assert second.returncode == 1, f"told {second.stdout!r}, but the call was never sent"
        assert first.returncode == 0 and "sent to the server" in first.stdout, first
        assert second.stderr.startswith(f"policytui approvals: call {held['b']} was approved, but the gateway "
                                        "did not send it: "), second
        assert re.search(r"did not send it: rate limit 1 per hour reached; retry in \d+ s\.\n$", second.stderr), second
        assert await gw.answer(6) is not None
    assert gw.executed() == [{"tool": "delete_flow", "arguments": {"namespace": "prod", "flow_id": "a"}}]


async def test_answering_a_call_already_answered_says_what_it_already_was(tmp_path: Path) -> None:
    """A call alice approved that a rate limit then stopped: a later approve or reject by someone
    else is told, in one sentence, that it already was approved by alice and was not sent (it
    said `was approved by alice`, as if this answer had approved it), and exits 1 either way: the
    call did not end as asked. `--help` says which exit status goes with which answer."""
    policy: dict[str, Any] = {"version": "1", "default": "allow", "tools": {"delete_flow": {
        "action": "require_approval",
        "limits": [{"counter": "deletes", "max": 1, "window": "hour", "scope": "global"}]}}}
    async with stdio_gateway(tmp_path, policy, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        await gw.send(delete(6, "b"))
        held = await until_waiting(tmp_path, {"a", "b"})
        assert (await answer(tmp_path, "approve", held["a"], user="alice")).returncode == 0
        first = await answer(tmp_path, "approve", held["b"], user="alice")
        assert first.returncode == 1 and "call " + held["b"] + " was approved, but" in first.stderr, first
        assert await gw.answer(6) is not None
        late = [await answer(tmp_path, verb, held["b"], user="carol") for verb in ("approve", "reject")]
    for said in late:
        assert said.returncode == 1 and said.stdout == "", said
        assert re.fullmatch(rf"policytui approvals: call {held['b']} was already approved by alice, but the gateway "
                            r"did not send it: rate limit 1 per hour reached; retry in \d+ s\.\n", said.stderr), said
    assert gw.executed() == [{"tool": "delete_flow", "arguments": {"namespace": "prod", "flow_id": "a"}}]
    helped = approvals(tmp_path, "--help")
    assert helped.returncode == 0
    text = " ".join(helped.stdout.split())
    assert "exit codes of approve and reject: 0 when the call ended as asked" in text, text
    assert "also when someone (or you) had already answered it so; 1 otherwise: already answered the other way" in text


async def test_an_approval_for_a_gateway_that_died_is_told_the_call_was_never_sent(tmp_path: Path) -> None:
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        held = await until_waiting(tmp_path, {"a"})
        gw.process.kill()
        await gw.process.wait()
        approved = await answer(tmp_path, "approve", held["a"])
    assert approved.returncode == 1, approved
    assert approved.stderr.strip() == (f"policytui approvals: call {held['a']} was approved, but its gateway "
                                       f"(process {gw.process.pid}) stopped before sending it; it was never sent.")
    assert gw.received_calls() == []


async def test_a_second_person_answering_at_once_is_told_who_answered_first(tmp_path: Path, state: str) -> None:
    """Two people answer one held call at the same moment, and a third a little later. Before,
    the slower ones could be told `no call is waiting with id ...` (the gateway had removed the
    record), as if they had mistyped the id."""
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        approval_id = (await until_waiting(tmp_path, {"a"}))["a"]
        alice, bob = await asyncio.gather(answer(tmp_path, "approve", approval_id, user="alice"),
                                          answer(tmp_path, "reject", approval_id, user="bob"))
        done = await gw.answer(5)
        assert done is not None
        carol = await answer(tmp_path, "approve", approval_id, user="carol")
        dave = await answer(tmp_path, "reject", approval_id, user="dave")

    for said in (alice, bob, carol, dave):
        assert "no call is waiting" not in said.stderr, said
    if gw.executed():  # Alice's approval came first
        assert (alice.returncode, alice.stdout) == (0, f"Call {approval_id} approved and sent to the server.\n"), alice
        assert bob.returncode == 1, bob
        assert bob.stderr == (f"policytui approvals: call {approval_id} was already approved by alice and sent "
                              "to the server before your rejection.\n")
        assert (carol.returncode, carol.stdout) == (0, f"Call {approval_id} was already approved by alice and "
                                                       "sent to the server.\n"), carol
        assert dave.returncode == 1 and "was already approved by alice" in dave.stderr, dave
        assert audited(gw) == [("allowed", "approved", "ok")]
    else:  # Bob's rejection came first
        assert (bob.returncode, bob.stdout) == (0, f"Call {approval_id} rejected; it will not be sent.\n"), bob
        assert alice.returncode == 1, alice
        assert alice.stderr == f"policytui approvals: call {approval_id} was already rejected by bob; it was never sent.\n"
        assert carol.returncode == 1 and carol.stderr == alice.stderr, carol
        assert (dave.returncode, dave.stdout) == (0, f"Call {approval_id} was already rejected by bob; it will not "
                                                     "be sent.\n"), dave
        assert gw.received_calls() == []
        assert audited(gw) == [("denied", "rejected", None)]


async def test_show_cuts_each_long_argument_and_full_or_json_print_everything(tmp_path: Path) -> None:
    """A client may send megabytes of arguments to a held call. `show ID` printed them whole,
    scrolling the rest of the call out of the approver's terminal; now each value is cut on its
    own, with what is left out counted, and `--full` / `--json` print them all."""
    from policytui.cli.approvals_cmd import SHOW_ARGUMENTS, SHOW_VALUE_LIMIT

    big = "A" * 3_000_000
    command = "\x1b]0;owned\x07 \x9b31m \u202erm -rf /"
    arguments = {"a_padding": big, "b_command": command, "flow_id": "x",
                 **{f"k{n:04}": n for n in range(SHOW_ARGUMENTS + 20)}, "namespace": "prod"}
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(call(5, "delete_flow", arguments))
        approval_id = (await until_waiting(tmp_path, {"x"}))["x"]
        shown = await asyncio.to_thread(approvals, tmp_path, "show", approval_id)
        full = await asyncio.to_thread(approvals, tmp_path, "show", approval_id, "--full")
        as_json = await asyncio.to_thread(approvals, tmp_path, "show", approval_id, "--json")
        await gw.send(cancelled(5))
    assert shown.returncode == 0, shown.stderr
    assert len(shown.stdout) < 2 * SHOW_VALUE_LIMIT + 100 * SHOW_ARGUMENTS, len(shown.stdout)
    hidden = len(json.dumps(big)) - SHOW_VALUE_LIMIT
    assert f'  "a_padding": "{"A" * (SHOW_VALUE_LIMIT - 1)}… ({hidden:,} more characters; --full to print all)\n' in shown.stdout
    # The arguments after the long one are shown, terminal controls made visible; past the
    # first SHOW_ARGUMENTS, how many more there are.
    escaped = '"\\u001b]0;owned\\u0007 \\x9b31m \\u202erm -rf /"'
    assert f'  "b_command": {escaped}\n' in shown.stdout and '  "flow_id": "x"\n' in shown.stdout
    assert '  "k0096": 96\n' in shown.stdout and '"k0097"' not in shown.stdout and "namespace" not in shown.stdout
    assert "  … (24 more arguments; --full to print all)\n" in shown.stdout
    for out in (shown.stdout, full.stdout, as_json.stdout):
        assert not {"\x1b", "\x07", "\x9b", "\u202e"} & set(out)
    assert full.returncode == 0 and big in full.stdout and f'"b_command": {escaped}' in full.stdout
    assert '"namespace": "prod"' in full.stdout and "more characters" not in full.stdout
    assert json.loads(as_json.stdout)["arguments"] == arguments
    assert gw.received_calls() == []


def test_full_is_refused_with_anything_but_show(tmp_path: Path) -> None:
    for action in (["list"], ["approve", "0123456789ab"]):
        done = approvals(tmp_path, *action, "--full")
        assert (done.returncode, done.stdout) == (2, ""), done
        assert done.stderr.strip() == "policytui approvals: --full goes with show ID.", done.stderr


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_json_answers_an_unknown_id_with_the_same_object(tmp_path: Path, action: str) -> None:
    """`approve ID --json` for an id no call has prints the one object it prints whatever
    happened (it printed nothing, leaving a script's JSON reader an empty string); the text
    form is its sentence on standard error, as before."""
    (tmp_path / "state").mkdir()
    unknown = "0123456789ab"
    answered = approvals(tmp_path, action, unknown, "--json")
    assert answered.returncode == 1, answered
    assert json.loads(answered.stdout) == {
        "id": unknown, "asked": action, "done": False, "decision": None, "by": None, "mine": False,
        "result": None, "reason": None, "message": f"No call is waiting with id {unknown}."}
    said = f"policytui approvals: no call is waiting with id {unknown}.\n"
    assert answered.stderr == said
    text = approvals(tmp_path, action, unknown)
    assert (text.returncode, text.stdout, text.stderr) == (1, "", said)


def test_show_json_answers_an_unknown_id_with_one_object(tmp_path: Path) -> None:
    """`show ID --json` for an id no call has prints one object (`found` false), as `approve
    --json` does; before, it printed nothing on standard output, which a script's JSON reader
    took for an empty string. The sentence still goes to standard error, and the exit code is 1."""
    (tmp_path / "state").mkdir()
    unknown = "0123456789ab"
    shown = approvals(tmp_path, "show", unknown, "--json")
    said = f"policytui approvals: no call is waiting with id {unknown}.\n"
    assert (shown.returncode, shown.stderr) == (1, said), shown
    assert json.loads(shown.stdout) == {"id": unknown, "found": False, "decision": None, "result": None,
                                        "message": f"No call is waiting with id {unknown}."}
    text = approvals(tmp_path, "show", unknown)
    assert (text.returncode, text.stdout, text.stderr) == (1, "", said)


async def test_json_says_what_was_decided_and_what_became_of_the_call(tmp_path: Path) -> None:
    """`approve --json` prints one JSON object whatever happened (`done` as the exit code says,
    the sentence as `message`), and `show --json` has the decision and what became of the call,
    as the text forms do."""
    policy: dict[str, Any] = {"version": "1", "default": "allow", "tools": {"delete_flow": {
        "action": "require_approval",
        "limits": [{"counter": "deletes", "max": 1, "window": "hour", "scope": "global"}]}}}
    async with stdio_gateway(tmp_path, policy, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        await gw.send(delete(6, "b"))
        held = await until_waiting(tmp_path, {"a", "b"})
        before = json.loads((await asyncio.to_thread(approvals, tmp_path, "show", held["a"], "--json")).stdout)
        assert before["found"] is True and before["id"] == held["a"]
        assert before["decision"] is None and before["result"] is None and before["seconds_left"] > 0
        first = await asyncio.to_thread(approvals, tmp_path, "approve", held["a"], "--json", user="alice")
        second = await asyncio.to_thread(approvals, tmp_path, "approve", held["b"], "--json", user="alice")
        assert await gw.answer(6) is not None
    assert first.returncode == 0, first
    sent = json.loads(first.stdout)
    assert {k: sent[k] for k in ("id", "asked", "done", "decision", "by", "mine", "result")} == {
        "id": held["a"], "asked": "approve", "done": True, "decision": "approved", "by": "alice", "mine": True,
        "result": "sent"}
    assert sent["message"] == f"Call {held['a']} approved and sent to the server."
    assert second.returncode == 1, second
    refused = json.loads(second.stdout)
    assert (refused["done"], refused["decision"], refused["result"]) == (False, "approved", "not_sent")
    assert refused["reason"].startswith("rate limit 1 per hour reached")
    assert second.stderr.startswith(f"policytui approvals: call {held['b']} was approved, but the gateway did not send it")
    shown = {flow: json.loads((await asyncio.to_thread(approvals, tmp_path, "show", held[flow], "--json")).stdout)
             for flow in ("a", "b")}
    assert shown["a"]["decision"] == {"outcome": "approved", "by": "alice"}
    assert shown["a"]["result"] == {"outcome": "sent", "reason": None}
    assert shown["b"]["result"]["outcome"] == "not_sent" and "rate limit" in shown["b"]["result"]["reason"]
    assert "seconds_left" not in shown["a"]


async def test_ctrl_c_while_approve_waits_says_the_approval_stands(tmp_path: Path) -> None:
    """ctrl+c while `approve` waits to hear whether the call was sent (its gateway busy, here
    stopped with SIGSTOP): the answer is written and stands, and the call is sent once the
    gateway goes on. Before, the command ended with exit 130 and not a word, which reads as an
    approval taken back. With --json the same is one object (`decision` approved, `mine`,
    `done` false, the sentence as `message`); before, standard output was empty."""
    installed = Path(sys.executable).parent / "policytui"
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        await gw.send(delete(6, "b"))
        held = await until_waiting(tmp_path, {"a", "b"})
        os.kill(gw.process.pid, signal.SIGSTOP)
        try:
            approving = {flow: subprocess.Popen(
                [str(installed), "approvals", "approve", held[flow], "--state-dir", str(tmp_path / "state"), *extra],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for flow, extra in (("a", []), ("b", ["--json"]))}
            for flow, process in approving.items():
                await until_decided(tmp_path, held[flow])
                process.send_signal(signal.SIGINT)
            done = {flow: await asyncio.to_thread(process.communicate, timeout=60) for flow, process in approving.items()}
        finally:
            os.kill(gw.process.pid, signal.SIGCONT)
        state = f" --state-dir {tmp_path / 'state'}"
        said = {flow: (f"interrupted: call {held[flow]} is approved all the same (an answer cannot be taken back) "
                       f"and its gateway may send it; `policytui approvals show {held[flow]}{state}` says whether it did.")
                for flow in held}
        for flow, (out, err) in done.items():
            assert approving[flow].returncode == 130, (out, err)
            assert err == f"policytui approvals: {said[flow]}\n"
        assert done["a"][0] == ""
        assert json.loads(done["b"][0]) == {
            "id": held["b"], "asked": "approve", "done": False, "decision": "approved", "by": getpass.getuser(),
            "mine": True, "result": None, "reason": None, "message": said["b"][:1].upper() + said["b"][1:]}
        assert await gw.answer(5) is not None
        assert await gw.answer(6) is not None
    assert sorted(call["arguments"]["flow_id"] for call in gw.executed()) == ["a", "b"]


async def test_ctrl_c_while_the_approval_is_being_written_says_it_stands_once_written(tmp_path: Path) -> None:
    """ctrl+c while `approve` is still writing the answer (here the state file is held locked by
    another program, so the write waits): the answer is written once the file is free, and the
    command says it stands, exit 130. Before, ctrl+c pressed once the answer was in the store
    but before the command knew it ended the command without a word, which reads as an
    approval taken back."""
    installed = Path(sys.executable).parent / "policytui"
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        held = await until_waiting(tmp_path, {"a"})
        with locked(tmp_path / "state" / "state.sqlite") as locker:
            approving = subprocess.Popen(
                [str(installed), "approvals", "approve", held["a"], "--state-dir", str(tmp_path / "state")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            await asyncio.sleep(1.5)  # it has read the call and waits for the file to write its answer
            assert approving.poll() is None
            approving.send_signal(signal.SIGINT)
            await asyncio.sleep(0.2)
            assert locker.stdin is not None
            locker.stdin.write("\n")
            locker.stdin.close()
        out, err = await asyncio.to_thread(approving.communicate, timeout=60)
        state = f" --state-dir {tmp_path / 'state'}"
        assert (approving.returncode, out) == (130, ""), err
        assert err == (f"policytui approvals: interrupted: call {held['a']} is approved all the same (an answer "
                       f"cannot be taken back) and its gateway may send it; `policytui approvals show "
                       f"{held['a']}{state}` says whether it did.\n")
        assert await gw.answer(5) is not None
