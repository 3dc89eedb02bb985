"""Several real gateway processes sharing one state store (SQLite file or real Redis).

Each replica is what an MCP client window starts: the SDK's client, `policytui gateway` over
stdio, and its own server-everything. The limits are counted by the store, so what one
replica charges, every other one sees.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
from state_support import (
    RedisServer,
    cli,
    http_client,
    http_replica,
    left_together,
    replica,
    text_of,
    write_policy,
)

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None: the default SQLite file in the shared state folder; else the Redis URL."""
    if request.param == "sqlite":
        yield None
        return
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server.url
    finally:
        server.stop()


def _state_args(url: str | None) -> list[str]:
    return ["--state", url] if url else []


def _echo_limited(maximum: int) -> dict[str, Any]:
    """`echo` limited to `maximum` calls a day for all callers together; other tools free."""
    return {
        "version": "1",
        "default": "allow",
        "tools": {"echo": {"limits": [{"counter": "echo", "window": "day", "max": maximum, "scope": "global"}]}},
    }


GLOBAL_TEN = _echo_limited(10)


async def _replicas(
    enter: Callable[[Any], Awaitable[Any]], tmp: Path, policy: Path, everything: Path, extras: list[list[str]]
) -> list[tuple[Any, Any]]:
    return [
        await enter(
            replica(tmp / f"replica{i}", policy, tmp / "state", everything, *extra)
        )
        for i, extra in enumerate(extras)
    ]


async def test_four_replicas_fifty_calls_each_allow_exactly_the_global_ten(
    tmp_path: Path, everything: Path, store_url: str | None
) -> None:
    policy = write_policy(tmp_path / "policy.json", GLOBAL_TEN)
    async with left_together() as enter:
        replicas = await _replicas(enter, tmp_path, policy, everything, [_state_args(store_url)] * 4)
        results = await asyncio.gather(
            *(
                client.call_tool("echo", {"message": f"r{i} c{j}"})
                for i, (client, _) in enumerate(replicas)
                for j in range(50)
            )
        )
    allowed = [r for r in results if not r.is_error]
    denied = [r for r in results if r.is_error]
    assert len(allowed) == 10
    assert len(denied) == 190
    assert all(text_of(r).startswith("[POLICY DENIED] rate limit 10 per day reached") for r in denied)
    audited = [line["decision"] for _, run in replicas for line in run.audit_lines()]
    assert audited.count("allowed") == 10 and audited.count("denied") == 190

    shown = cli("counters", "--json", "--state-dir", str(tmp_path / "state"), *_state_args(store_url))
    assert shown.returncode == 0, shown.stderr
    # SQLite keys a policy's counters by its file's path (every replica here reads that file),
    # Redis by its file name (replicas on other machines may keep the file elsewhere).
    key = "policy" if store_url else str(policy.resolve())
    assert [(u["policy"], u["counter"], u["scope"], u["window"], u["used"]) for u in json.loads(shown.stdout)] == [
        (key, "echo", "global", "day", 10)
    ]


async def test_two_projects_with_their_own_policy_json_keep_their_own_budgets(tmp_path: Path, everything: Path) -> None:
    """Two unrelated projects on one machine, each with its own `./policy.json` and the default
    state settings (one state folder for both): one project's traffic never spends the other's
    budget, though both files and both counters have the same names."""
    state = tmp_path / "state"
    project_a, project_b = tmp_path / "projA", tmp_path / "projB"
    for folder, maximum in ((project_a, 3), (project_b, 100)):
        folder.mkdir()
        write_policy(folder / "policy.json", _echo_limited(maximum))
    async with left_together() as enter:
        client, _ = await enter(replica(project_b, Path("policy.json"), state, everything))
        for i in range(3):
            result = await client.call_tool("echo", {"message": f"b{i}"})
            assert not result.is_error, text_of(result)
        client, _ = await enter(replica(project_a, Path("policy.json"), state, everything))
        results = [await client.call_tool("echo", {"message": f"a{i}"}) for i in range(4)]
    assert [r.is_error for r in results] == [False, False, False, True], [text_of(r) for r in results]
    assert text_of(results[3]).startswith("[POLICY DENIED] rate limit 3 per day reached")

    shown = cli("counters", "--json", "--state-dir", str(state))
    assert shown.returncode == 0, shown.stderr
    used = {(u["policy"], u["used"]) for u in json.loads(shown.stdout)}
    assert used == {(str((project_a / "policy.json").resolve()), 3), (str((project_b / "policy.json").resolve()), 3)}
    one = cli("counters", "--json", "--state-dir", str(state), "--policy", str(project_a / "policy.json"))
    assert [u["used"] for u in json.loads(one.stdout)] == [3]
    both = cli("counters", "--json", "--state-dir", str(state), "--policy", "policy")
    assert len(json.loads(both.stdout)) == 2


async def test_replicas_of_one_deployment_share_a_budget_however_each_names_the_file(
    tmp_path: Path, everything: Path
) -> None:
    """Replicas on one machine given one policy file by different paths (relative, through a
    symlink) count in one budget of the default state file."""
    (tmp_path / "deploy").mkdir()
    write_policy(tmp_path / "deploy" / "policy.json", _echo_limited(4))
    (tmp_path / "link").symlink_to(tmp_path / "deploy")
    paths = [Path("policy.json"), tmp_path / "link" / "policy.json"]
    async with left_together() as enter:
        replicas = [
            await enter(
                replica(tmp_path / "deploy" if i == 0 else tmp_path / f"r{i}", path, tmp_path / "state", everything)
            )
            for i, path in enumerate(paths)
        ]
        results = [await client.call_tool("echo", {"message": f"{i}.{j}"}) for i, (client, _) in enumerate(replicas) for j in range(3)]
    assert [r.is_error for r in results] == [False, False, False, False, True, True]


async def test_redis_replicas_share_a_budget_wherever_each_keeps_the_policy(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    """Replicas on several machines keep the same policy file under different paths; through
    Redis they still count in one budget."""
    policies = []
    for machine in ("m1", "m2"):
        (tmp_path / machine).mkdir()
        policies.append(write_policy(tmp_path / machine / "policy.json", _echo_limited(4)))
    async with left_together() as enter:
        replicas = [
            await enter(
                replica(tmp_path / f"r{i}", path, tmp_path / f"state{i}", everything, "--state", redis_server.url)
            )
            for i, path in enumerate(policies)
        ]
        results = [await client.call_tool("echo", {"message": f"{i}.{j}"}) for i, (client, _) in enumerate(replicas) for j in range(3)]
    assert [r.is_error for r in results] == [False, False, False, False, True, True]


async def test_counters_kept_under_the_policy_name_count_on_after_the_upgrade(tmp_path: Path, everything: Path) -> None:
    """A state file written when counters were keyed by the policy's file name: the budget in
    its current window does not start over."""
    from policytui.decision import Budget, CounterKey
    from policytui.gateway.store.sqlite import SQLiteStore

    (tmp_path / "proj").mkdir()
    policy = write_policy(tmp_path / "proj" / "policy.json", _echo_limited(5))
    old = SQLiteStore(tmp_path / "state" / "state.sqlite", policy="policy")
    budget = Budget(CounterKey("echo", "global", "*", "day", 0), 5, "tools.echo.limits[0]")
    for _ in range(4):
        assert old.reserve((budget,)).allowed
    old.close()
    async with replica(tmp_path / "proj", policy, tmp_path / "state", everything) as (client, _):
        results = [await client.call_tool("echo", {"message": str(i)}) for i in range(3)]
    assert [r.is_error for r in results] == [False, True, True]


SCOPED = {
    "version": "1",
    "default": "allow",
    "tools": {
        "echo": {"limits": [{"counter": "per_grant", "window": "day", "max": 3, "scope": "grant"}]},
        "get-sum": {"limits": [{"counter": "per_session", "window": "day", "max": 2, "scope": "session"}]},
    },
}


async def test_grant_and_session_scopes_stay_separate_across_replicas(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    policy = write_policy(tmp_path / "policy.json", SCOPED)
    state = ["--state", redis_server.url]
    async with left_together() as enter:
        (alice1, _), (alice2, _), (bob, _) = await _replicas(
            enter, tmp_path, policy, everything,
            [[*state, "--grant", "alice"], [*state, "--grant", "alice"], [*state, "--grant", "bob"]],
        )
        # Grant scope: alice's two replicas share 3; bob has his own 3.
        alice_calls = await asyncio.gather(
            *(c.call_tool("echo", {"message": f"{n}"}) for c in (alice1, alice2) for n in range(4))
        )
        bob_calls = await asyncio.gather(*(bob.call_tool("echo", {"message": f"{n}"}) for n in range(4)))
        assert sum(not r.is_error for r in alice_calls) == 3
        assert sum(not r.is_error for r in bob_calls) == 3
        # Session scope: every replica is its own session, with its own 2.
        for client in (alice1, alice2, bob):
            sums = [await client.call_tool("get-sum", {"a": 1, "b": 2}) for _ in range(3)]
            assert [r.is_error for r in sums] == [False, False, True]

    table = cli("counters", env={"POLICYTUI_STATE": redis_server.url}).stdout.splitlines()
    assert table[0].split() == ["POLICY", "COUNTER", "SCOPE", "WINDOW", "USED", "LIMIT", "RESETS", "IN"]
    # Redis names the policy by its file name: its limits are known once the file is given.
    assert any(row.split()[:7] == ["policy", "per_grant", "grant", "alice", "day", "3", "?"] for row in table[1:])
    given = cli("counters", "--state", redis_server.url, "--policy", str(policy)).stdout.splitlines()
    assert any(row.split()[:7] == ["policy", "per_grant", "grant", "alice", "day", "3", "3"] for row in given[1:])
    shown = cli("counters", "--json", "--state", redis_server.url)
    uses = json.loads(shown.stdout)
    per_grant = sorted((u["scope_id"], u["used"]) for u in uses if u["counter"] == "per_grant")
    assert per_grant == [("alice", 3), ("bob", 3)]
    per_session = [u for u in uses if u["counter"] == "per_session"]
    assert len(per_session) == 3 and all(u["used"] == 2 for u in per_session)
    assert len({u["scope_id"] for u in per_session}) == 3


async def test_http_replicas_share_grant_budgets_through_redis(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    """Two HTTP replicas behind a load balancer, as in the compose example: the token's grant
    is counted once across both, and a stdio gateway on the same store shares the global limit."""
    doc = {
        "version": "1",
        "default": "allow",
        "tools": {
            "echo": {"limits": [{"counter": "per_grant", "window": "day", "max": 4, "scope": "grant"}]},
            "get-sum": {"limits": [{"counter": "sums", "window": "day", "max": 5, "scope": "global"}]},
        },
    }
    policy = write_policy(tmp_path / "policy.json", doc)
    tokens = {"alice-token-0123456789abcdef": "alice", "bob-token-0123456789abcdef00": "bob"}
    state = ["--state", redis_server.url]
    with (
        http_replica(tmp_path / "h1", policy, tokens, everything, *state) as url1,
        http_replica(tmp_path / "h2", policy, tokens, everything, *state) as url2,
    ):
        async with AsyncExitStack() as stack:
            alice = [await stack.enter_async_context(http_client(u, "alice-token-0123456789abcdef")) for u in (url1, url2)]
            bob = await stack.enter_async_context(http_client(url2, "bob-token-0123456789abcdef00"))
            stdio, _ = await stack.enter_async_context(replica(tmp_path / "s", policy, tmp_path / "state", everything, *state))
            alice_calls = await asyncio.gather(*(c.call_tool("echo", {"message": f"{n}"}) for c in alice for n in range(4)))
            bob_calls = await asyncio.gather(*(bob.call_tool("echo", {"message": f"{n}"}) for n in range(5)))
            sums = await asyncio.gather(
                *(c.call_tool("get-sum", {"a": 1, "b": n}) for c in (*alice, bob, stdio) for n in range(3))
            )
    assert sum(not r.is_error for r in alice_calls) == 4
    assert sum(not r.is_error for r in bob_calls) == 4
    assert sum(not r.is_error for r in sums) == 5


async def test_counters_survive_a_gateway_restart(tmp_path: Path, everything: Path, store_url: str | None) -> None:
    policy = write_policy(tmp_path / "policy.json", _echo_limited(5))
    async with replica(tmp_path / "first", policy, tmp_path / "state", everything, *_state_args(store_url)) as (client, _):
        first = [await client.call_tool("echo", {"message": str(n)}) for n in range(3)]
    assert not any(r.is_error for r in first)
    async with replica(tmp_path / "second", policy, tmp_path / "state", everything, *_state_args(store_url)) as (client, _):
        second = [await client.call_tool("echo", {"message": str(n)}) for n in range(3)]
    assert [r.is_error for r in second] == [False, False, True]
    assert "rate limit 5 per day reached" in text_of(second[2])


async def test_redis_going_away_denies_with_the_reason_and_recovers(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    policy = write_policy(tmp_path / "policy.json", _echo_limited(100))
    async with replica(tmp_path / "r", policy, tmp_path / "state", everything, "--state", redis_server.url) as (client, run):
        assert text_of(await client.call_tool("echo", {"message": "before"})) == "Echo: before"
        redis_server.stop(signal.SIGKILL)
        during = await client.call_tool("echo", {"message": "during"})
        assert during.is_error is True
        assert text_of(during) == "[POLICY DENIED] rate-limit state unavailable; retry shortly"
        # The gateway keeps serving: calls that need no counter still go through.
        assert text_of(await client.call_tool("get-sum", {"a": 2, "b": 3})) == "The sum of 2 and 3 is 5."
        redis_server.restart_same_port()
        # The first call after the restart reconnects by itself.
        assert text_of(await client.call_tool("echo", {"message": "after"})) == "Echo: after"
    lines = [line for line in run.audit_lines() if line["tool"] == "echo"]
    assert [(line["decision"], line.get("state")) for line in lines][:2] == [("allowed", None), ("denied", "unavailable")]
    assert lines[1]["reason"] == "rate-limit state unavailable; retry shortly"
    # Why, in one sentence, as the log says it once per outage.
    assert lines[1]["state_reason"].startswith(f"{redis_server.url} did not answer: "), lines[1]
    assert lines[-1]["decision"] == "allowed"
    log = run.log.read_text(encoding="utf-8")
    assert "state store unavailable" in log and "reachable again" in log


async def test_a_hung_redis_stalls_only_the_calls_that_need_it(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    """A Redis that accepts connections but never answers (stopped with SIGSTOP): the limited
    call waits for the store's time-out (1 s, not retried) and is denied; a call that needs no
    counter, sent after it, is answered first."""
    policy = write_policy(tmp_path / "policy.json", _echo_limited(100))
    async with replica(tmp_path / "r", policy, tmp_path / "state", everything, "--state", redis_server.url) as (client, _):
        assert text_of(await client.call_tool("echo", {"message": "warm"})) == "Echo: warm"
        assert redis_server.process is not None
        redis_server.process.send_signal(signal.SIGSTOP)
        try:
            finished: list[str] = []

            waited: list[float] = []

            async def limited() -> None:
                for _ in range(2):  # each limited call of the outage waits one time-out only
                    started = time.monotonic()
                    result = await client.call_tool("echo", {"message": "stalled"})
                    waited.append(time.monotonic() - started)
                finished.append(text_of(result))

            async def free() -> None:
                await anyio.sleep(0.2)  # sent after the limited call is waiting on Redis
                finished.append(text_of(await client.call_tool("get-sum", {"a": 1, "b": 1})))

            async with anyio.create_task_group() as tg:
                tg.start_soon(limited)
                tg.start_soon(free)
        finally:
            redis_server.process.send_signal(signal.SIGCONT)
        assert finished == [
            "The sum of 1 and 1 is 2.",
            "[POLICY DENIED] rate-limit state unavailable; retry shortly",
        ]
        assert all(0.9 < seconds < 1.7 for seconds in waited), waited
        assert text_of(await client.call_tool("echo", {"message": "back"})) == "Echo: back"


async def test_a_redis_down_at_start_fails_closed_until_it_comes(tmp_path: Path, everything: Path) -> None:
    policy = write_policy(tmp_path / "policy.json", _echo_limited(1))
    server = RedisServer(tmp_path / "redis")  # its port is chosen, nothing listens there yet
    try:
        async with replica(tmp_path / "r", policy, tmp_path / "state", everything, "--state", server.url) as (client, run):
            early = await client.call_tool("echo", {"message": "early"})
            assert text_of(early) == "[POLICY DENIED] rate-limit state unavailable; retry shortly"
            server.restart_same_port()
            assert text_of(await client.call_tool("echo", {"message": "now"})) == "Echo: now"
            assert "rate limit 1 per day reached" in text_of(await client.call_tool("echo", {"message": "again"}))
    finally:
        server.stop()
    assert "did not answer" in run.log.read_text(encoding="utf-8")


async def test_fail_open_is_an_explicit_logged_choice(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    policy = write_policy(tmp_path / "policy.json", _echo_limited(100))
    extra = ["--state", redis_server.url, "--state-fail-mode", "open"]
    async with replica(tmp_path / "r", policy, tmp_path / "state", everything, *extra) as (client, run):
        redis_server.stop(signal.SIGKILL)
        assert text_of(await client.call_tool("echo", {"message": "uncounted"})) == "Echo: uncounted"
    line = run.audit_lines()[-1]
    assert (line["decision"], line["state"]) == ("allowed", "unavailable")
    assert "--state-fail-mode open" in run.log.read_text(encoding="utf-8")


async def _pending(url: str, count: int = 1) -> list[dict[str, Any]]:
    for _ in range(300):
        shown = await anyio.to_thread.run_sync(lambda: cli("approvals", "list", "--json", "--state", url))
        assert shown.returncode == 0, shown.stderr
        pending: list[dict[str, Any]] = json.loads(shown.stdout)
        if len(pending) >= count:
            return pending
        await anyio.sleep(0.1)
    raise AssertionError("no held call reached the shared queue")


async def test_a_call_held_by_one_replica_is_answered_through_another(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    doc = {"version": "1", "default": "allow", "tools": {"echo": {"action": "require_approval"}}}
    policy = write_policy(tmp_path / "policy.json", doc)
    # Each replica has its own state folder: only the Redis store joins them.
    common = ["--state", redis_server.url, "--approvals", "queue", "--approval-timeout", "60"]
    async with left_together() as enter:
        (held_by, run), (other, _) = [
            await enter(replica(tmp_path / name, policy, tmp_path / name / "state", everything, *common))
            for name in ("a", "b")
        ]
        results: dict[str, Any] = {}
        async with anyio.create_task_group() as tg:

            async def call() -> None:
                results["held"] = await held_by.call_tool("echo", {"message": "through b"})

            tg.start_soon(call)
            (pending,) = await _pending(redis_server.url)
            assert pending["arguments"] == {"message": "through b"}
            answered = await anyio.to_thread.run_sync(lambda: cli("approvals", "approve", pending["id"], "--state", redis_server.url))
            assert answered.returncode == 0, answered.stderr
        assert text_of(results["held"]) == "Echo: through b"
        # The other replica's own calls are held and answered the same way.
        async with anyio.create_task_group() as tg:

            async def call_other() -> None:
                results["other"] = await other.call_tool("echo", {"message": "rejected"})

            tg.start_soon(call_other)
            (pending,) = await _pending(redis_server.url)
            rejected = await anyio.to_thread.run_sync(lambda: cli("approvals", "reject", pending["id"], "--state", redis_server.url))
            assert rejected.returncode == 0, rejected.stderr
        assert "a human rejected the call" in text_of(results["other"])
    assert [line.get("approval") for line in run.audit_lines() if line["tool"] == "echo"] == ["approved"]
    assert json.loads(cli("approvals", "list", "--json", "--state", redis_server.url).stdout) == []


async def test_a_held_call_whose_record_the_store_lost_is_denied_at_once(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    """Redis restarted without persistence while a call waits for a human: nobody can answer it
    any more, so it is denied at once (not at the end of its 60 s) and the log says why."""
    doc = {"version": "1", "default": "allow", "tools": {"echo": {"action": "require_approval"}}}
    policy = write_policy(tmp_path / "policy.json", doc)
    extra = ["--state", redis_server.url, "--approvals", "queue", "--approval-timeout", "60"]
    async with replica(tmp_path / "r", policy, tmp_path / "state", everything, *extra) as (client, run):
        results: dict[str, Any] = {}
        async with anyio.create_task_group() as tg:

            async def call() -> None:
                results["held"] = await client.call_tool("echo", {"message": "lost"})
                results["at"] = time.monotonic()

            tg.start_soon(call)
            await _pending(redis_server.url)
            redis_server.stop()
            redis_server.restart_same_port()
            restarted = time.monotonic()
        assert results["at"] - restarted < 20, "the held call waited out its time-out"
        # Not a human's silence: the agent and the audit say the queue lost the call.
        assert "the approvals queue could not keep the call, so no human could answer" in text_of(results["held"])
        assert "no human answered in time" not in text_of(results["held"])
    assert "is no longer in" in run.log.read_text(encoding="utf-8")
    assert [line.get("approval") for line in run.audit_lines() if line["tool"] == "echo"] == ["unavailable"]


async def test_a_call_the_down_store_cannot_hold_is_denied_as_unavailable_not_timed_out(
    tmp_path: Path, everything: Path
) -> None:
    """The approvals store is down when a call needing approval arrives: the call is denied at
    once, and the agent and the audit say nobody could be asked rather than "no human answered"."""
    from state_support import free_port

    doc = {"version": "1", "default": "allow", "tools": {"echo": {"action": "require_approval", "reason": "echo needs a human"}}}
    policy = write_policy(tmp_path / "policy.json", doc)
    extra = ["--state", f"redis://127.0.0.1:{free_port()}/0", "--approvals", "queue", "--approval-timeout", "60"]
    async with replica(tmp_path / "r", policy, tmp_path / "state", everything, *extra) as (client, run):
        started = time.monotonic()
        result = await client.call_tool("echo", {"message": "x"})
        assert time.monotonic() - started < 20
    assert text_of(result) == (
        '[POLICY DENIED] echo needs a human (Tool "echo" requires approval; '
        "the approvals queue could not keep the call, so no human could answer)"
    )
    lines = [line for line in run.audit_lines() if line["tool"] == "echo"]
    assert [(line["decision"], line.get("approval"), line.get("approval_via")) for line in lines] == [
        ("denied", "unavailable", "queue")
    ]


async def test_a_different_policy_of_the_same_name_on_one_redis_is_said_at_start(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    """Redis keys counters by the policy file's name, so that replicas keeping one policy under
    different paths share their budgets; a different policy file of that name (another
    deployment without its own ?prefix=) then counts in the same counters. That only denies
    more, so it is kept, but the gateway says so at start; replicas of one policy do not."""
    (tmp_path / "one").mkdir()
    (tmp_path / "other").mkdir()
    first = write_policy(tmp_path / "one" / "policy.json", _echo_limited(10))
    copy = tmp_path / "one-copy.json"
    shutil.copy(first, copy)
    copy = copy.rename(tmp_path / "policy.json")  # the same content under another path
    different = write_policy(tmp_path / "other" / "policy.json", _echo_limited(3))
    runs = {}
    async with left_together() as enter:
        for name, policy, url in (
            ("first", first, redis_server.url),
            ("replica", copy, redis_server.url),
            ("other", different, redis_server.url),
            ("own-prefix", different, redis_server.url + "?prefix=other"),
        ):
            client, runs[name] = await enter(replica(tmp_path / name, policy, tmp_path / "state", everything, "--state", url))
            assert text_of(await client.call_tool("echo", {"message": name})) == f"Echo: {name}"
    logs = {name: run.log.read_text(encoding="utf-8") for name, run in runs.items()}
    said = "with a different policy file named 'policy' counts in the same counters"
    assert said not in logs["first"] and said not in logs["replica"] and said not in logs["own-prefix"]
    assert said in logs["other"]
    assert "give each its own ?prefix=NAME" in logs["other"]
