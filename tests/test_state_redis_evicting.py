"""A Redis that may evict keys to free memory (a `maxmemory` with a `maxmemory-policy` other
than `noeviction`, as many managed and cache-configured Redis servers run).

Every counter key has a time to live, so any evicting policy (`volatile-*` or `allkeys-*`) can
drop a counter while the gateways count in it: the limit starts over mid-window, and the
gateway's mark, kept two days, outlives a counter under `volatile-ttl`, so nothing is put back.
Such a Redis is refused for counting: limited calls are denied with the reason logged, and
counted again once the policy is `noeviction`.

Real redis-server on a loopback port, a real `policytui gateway` over stdio in front of the
project's recording server (which writes every call it runs), the mcp SDK's client; judged by
what the calls were answered, what the server ran, the audit log and the gateway's log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from audit_support import outcome_lines
from mcp import Client
from state_support import (
    RedisServer,
    executed_namespaces,
    flow_calls,
    recorded_gateway,
    write_policy,
)

pytestmark = pytest.mark.usefixtures("one_window")

LIMIT = 3
POLICY = {"version": "1", "default": "allow", "tools": {"list_flows": {"limits": [
    {"counter": "flows", "window": "day", "max": LIMIT, "scope": "global"}]}}}
UNAVAILABLE = "[POLICY DENIED] rate-limit state unavailable; retry shortly"


@pytest.fixture
def evicting_redis(tmp_path: Path) -> Iterator[RedisServer]:
    # volatile-ttl evicts the key closest to its expiry first: a day's counter before the
    # gateway's mark (two days), so the counter goes alone.
    server = RedisServer(tmp_path / "redis", "--maxmemory", "2mb", "--maxmemory-policy", "volatile-ttl").start()
    try:
        yield server
    finally:
        server.stop()


def _gateway(folder: Path, policy: Path, url: str, executed: Path) -> AbstractAsyncContextManager[Client]:
    return recorded_gateway(folder, policy, executed, "--state", url)


def _fill_until_something_is_evicted(url: str) -> None:
    """Write keys without a time to live (another application's data) until Redis evicts one
    key: small ones, so that each eviction frees one key, the closest to its expiry."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        n = 0
        while int(client.info("memory")["used_memory"]) + 65_536 < 2 * 1024 * 1024:
            pipe = client.pipeline(transaction=False)
            for _ in range(100):
                pipe.set(f"other-app:{n}", b"x" * 100)
                n += 1
            pipe.execute()
        while int(client.info("stats")["evicted_keys"]) == 0:
            client.set(f"other-app:{n}", b"x" * 100)
            n += 1
    finally:
        client.close()


async def test_a_redis_that_may_evict_keys_is_not_counted_in_until_it_may_not(
    tmp_path: Path, evicting_redis: RedisServer
) -> None:
    policy = write_policy(tmp_path / "policy.json", POLICY)
    executed, folder = tmp_path / "executed.jsonl", tmp_path / "gw"
    url = evicting_redis.url
    async with _gateway(folder, policy, url, executed) as client:
        before = await flow_calls(client, "before", 2)
        _fill_until_something_is_evicted(url)
        during = await flow_calls(client, "during", 2)
        import redis

        admin = redis.Redis.from_url(url)
        try:
            admin.config_set("maxmemory-policy", "noeviction")
            admin.config_set("maxmemory", 0)
        finally:
            admin.close()
        after = await flow_calls(client, "after", LIMIT + 1)

    assert before == during == [UNAVAILABLE] * 2
    assert after[:LIMIT] == ["allowed"] * LIMIT
    assert after[LIMIT].startswith(f"[POLICY DENIED] rate limit {LIMIT} per day reached"), after
    ran = executed.read_text(encoding="utf-8").splitlines() if executed.exists() else []
    assert len(ran) == LIMIT
    audited = [(line["decision"], line.get("state")) for line in outcome_lines(folder / "audit.jsonl")
               if line["tool"] == "list_flows"]
    assert audited == [("denied", "unavailable")] * 4 + [("allowed", None)] * LIMIT + [("denied", None)]
    log = (folder / "gateway.log").read_text(encoding="utf-8")
    assert (f"state store unavailable ({url} may evict keys to free memory (maxmemory-policy volatile-ttl), "
            "which would start limits over; set maxmemory-policy noeviction); limited calls are denied") in log
    assert "reachable again" in log
    assert "Traceback" not in log and "Traceback" not in (folder / "stderr.txt").read_text(encoding="utf-8")


async def test_a_redis_made_a_read_only_replica_is_said_to_refuse_not_to_be_silent(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """A Redis turned into a replica (a failover that left the gateways on the old primary)
    answers each write with READONLY: limited calls are denied, and the log says Redis refused
    the command; before, it said Redis "did not answer", which sends the operator to the network."""
    import redis

    policy = write_policy(tmp_path / "policy.json", POLICY)
    executed, folder = tmp_path / "executed.jsonl", tmp_path / "gw"
    url = redis_server.url
    async with _gateway(folder, policy, url, executed) as client:
        before = await flow_calls(client, "before", 1)
        admin = redis.Redis.from_url(url)
        try:
            # A primary that is not there: the replica stays read-only and keeps its data.
            admin.execute_command("REPLICAOF", "127.0.0.1", "1")
            during = await flow_calls(client, "during", 2)
            admin.execute_command("REPLICAOF", "NO", "ONE")
        finally:
            admin.close()
        after = await flow_calls(client, "after", LIMIT)

    assert before == ["allowed"] and during == [UNAVAILABLE] * 2
    assert after[:LIMIT - 1] == ["allowed"] * (LIMIT - 1)
    assert after[LIMIT - 1].startswith(f"[POLICY DENIED] rate limit {LIMIT} per day reached"), after
    assert executed_namespaces(executed) == ["before0", "after0", "after1"]
    audited = [(line["decision"], line.get("state")) for line in outcome_lines(folder / "audit.jsonl")
               if line["tool"] == "list_flows"]
    assert audited == [("allowed", None), ("denied", "unavailable"), ("denied", "unavailable"),
                       ("allowed", None), ("allowed", None), ("denied", None)]
    log = (folder / "gateway.log").read_text(encoding="utf-8")
    assert f"{url} refused the gateway's command: ReadOnlyError:" in log, log
    assert f"{url} did not answer" not in log, log
    assert "Traceback" not in log


def _fill_until_gone(url: str, pattern: str) -> None:
    """Write another application's keys, without a time to live, until Redis has evicted every
    key matching `pattern` (the gateway's counters)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        n = 0
        while any(True for _ in client.scan_iter(match=pattern, count=1000)):
            pipe = client.pipeline(transaction=False)
            for _ in range(100):
                pipe.set(f"other-app:{n}", b"x" * 100)
                n += 1
            pipe.execute()
            assert n < 1_000_000, "Redis never evicted the counter"
    finally:
        client.close()


async def test_a_counter_evicted_while_the_policy_allowed_it_is_counted_again_once_it_does_not(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """Redis switched for a while to `allkeys-lru` with a `maxmemory` (a cache's settings put
    on the wrong server), evicting a counter, then back to `noeviction`. Limited calls are
    denied meanwhile; after, the evicted counter started its limit over (3 more calls ran for a
    limit of 3): under `allkeys-*` the gateway's mark, which it looks at each second, outlives
    its idle counters. Now the gateway sees that Redis evicted keys since it last looked and
    counts again what it had counted."""
    import anyio
    import redis

    policy = write_policy(tmp_path / "policy.json", POLICY)
    executed, folder = tmp_path / "executed.jsonl", tmp_path / "gw"
    url = redis_server.url
    admin = redis.Redis.from_url(url)
    try:
        async with _gateway(folder, policy, url, executed) as client:
            before = await flow_calls(client, "before", 2)
            # Redis's LRU clock ticks each second: the counter, idle since, is older than the mark.
            await anyio.sleep(2.5)
            admin.config_set("maxmemory", "2mb")
            admin.config_set("maxmemory-policy", "allkeys-lru")
            _fill_until_gone(url, "policytui:c:*")
            during = await flow_calls(client, "during", 1)
            admin.config_set("maxmemory-policy", "noeviction")
            admin.config_set("maxmemory", 0)
            after = await flow_calls(client, "after", LIMIT)
    finally:
        admin.close()

    assert before == ["allowed"] * 2 and during == [UNAVAILABLE]
    assert after[0] == "allowed"
    assert all(text.startswith(f"[POLICY DENIED] rate limit {LIMIT} per day reached") for text in after[1:]), after
    assert executed_namespaces(executed) == ["before0", "before1", "after0"]
    audited = [(line["decision"], line.get("state")) for line in outcome_lines(folder / "audit.jsonl")
               if line["tool"] == "list_flows"]
    assert audited == [("allowed", None)] * 2 + [("denied", "unavailable"), ("allowed", None)] + [("denied", None)] * 2
    log = (folder / "gateway.log").read_text(encoding="utf-8")
    assert "keys to free memory since the gateway last looked; the 2 calls this gateway counted" in log, log
    assert "Traceback" not in log and "Traceback" not in (folder / "stderr.txt").read_text(encoding="utf-8")
