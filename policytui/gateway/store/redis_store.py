"""`redis://host:port/db`: state shared by gateway replicas on many machines.

A call's budgets are checked and charged by one Lua script, which Redis runs atomically: it
reads the store's clock (`TIME`), works out each budget's UTC-aligned window from it, and
either charges every budget or none (it returns the first full one). Each counter is a hash
{ws: window start, v: used}; a stored window start other than the current one counts as 0, and
the key expires one second after its window ends. Replicas with drifting clocks therefore still
share one window. A refund decrements only if the counter is still in the window charged.

Each policy name also has a hash `<ns>p:<name>` of the contents (SHA-256) its gateways started
with and when, kept a day, so a gateway can say at start that a different policy file of the
same name counts in the same counters (`note_policy`).

Held calls are plain keys: `<ns>a:<id>` (the request, JSON), `<ns>a:<id>:d` (the decision,
written with SET NX so the first one stands), `<ns>a:<id>:r` (what became of the call, written
by its gateway when it settles it) and a sorted set `<ns>approvals` of ids by expiry.
Every key starts with the namespace (`policytui:` unless the URL says `?prefix=`); counters
carry their policy's name after it, so policies never share a budget by accident.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from policytui.decision.counters import Budget
from policytui.gateway.store.base import (
    CounterUse,
    Reservation,
    StateConfigError,
    StateStore,
    StateUnavailable,
    StoredApproval,
    counter_name,
    split_counter_name,
    stored_approval,
)
from policytui.policy.model import WINDOW_SECONDS

# A reachable Redis answers in well under a millisecond on a LAN; one that does not answer in
# this long is treated as gone (the call is denied) rather than stalling every call.
SOCKET_TIMEOUT = 1.0
KEEP_EXPIRED = 300
# How long the contents of a policy file gateways started with are remembered (`note_policy`).
POLICY_SEEN_FOR = 86400

# KEYS: the counters. ARGV: per counter, its window size (s) and its maximum.
# Returns {0, now, start1, start2, ...} when charged, {index, now} when budget `index` is full.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local starts = {}
local values = {}
for i = 1, #KEYS do
  local size = tonumber(ARGV[2 * i - 1])
  local max = tonumber(ARGV[2 * i])
  local ws = math.floor(tonumber(t[1]) / size) * size
  local stored = redis.call('HMGET', KEYS[i], 'ws', 'v')
  local used = 0
  if stored[1] and tonumber(stored[1]) == ws then used = tonumber(stored[2]) or 0 end
  if used + 1 > max then return {i, tostring(now)} end
  starts[i] = ws
  values[i] = used + 1
end
local reply = {0, tostring(now)}
for i = 1, #KEYS do
  local size = tonumber(ARGV[2 * i - 1])
  redis.call('HSET', KEYS[i], 'ws', starts[i], 'v', values[i])
  redis.call('EXPIREAT', KEYS[i], starts[i] + size + 1)
  reply[#reply + 1] = starts[i]
end
return reply
"""

# KEYS: the counters charged. ARGV: the window start each was charged in.
REFUND = """
for i = 1, #KEYS do
  local stored = redis.call('HMGET', KEYS[i], 'ws', 'v')
  if stored[1] and tonumber(stored[1]) == tonumber(ARGV[i]) and (tonumber(stored[2]) or 0) > 0 then
    redis.call('HINCRBY', KEYS[i], 'v', -1)
  end
end
return 0
"""

# KEYS: the request, the result. ARGV: the request without its arguments, the result.
# Both keep the request's time to live; nothing is written for a request that is gone.
SETTLE = """
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then return 0 end
if ttl < 1 then ttl = 1 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
redis.call('SET', KEYS[2], ARGV[2], 'EX', ttl)
return 1
"""


class RedisStore(StateStore):
    blocking = True
    machine_local = False  # replicas on several machines: counters keyed by the policy's name

    def __init__(
        self,
        url: str,
        *,
        description: str,
        namespace: str = "policytui:",
        policy: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        super().__init__(policy, clock)
        self.description = description
        self.namespace = namespace
        # One immediate retry on a fresh connection after a connection error, so the first call
        # after a Redis restart (whose pooled connection is dead) is not denied. A time-out is
        # not retried: a Redis that did not answer in SOCKET_TIMEOUT is hung or overloaded, a
        # second try would most likely hang as long, and every limited call of the outage
        # would wait twice as long before the same denial. So a call waits at most one
        # timeout. A retried charge whose first run did succeed charges twice, which only ever
        # errs on the strict side (refunds are never retried: see `_once`).
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=SOCKET_TIMEOUT,
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)),
            decode_responses=True,
        )
        # Refunds alone go through a client that never retries. A refund whose answer was lost
        # (the connection broke after Redis ran it) cannot be told from one that never arrived,
        # and a second run would give the call back twice: a refused call would buy a call past
        # the limit. Made at most once, a refund lost with its answer only errs on the strict
        # side. (A pooled connection Redis closed, after a restart, is found and replaced before
        # a command is sent, so the first refund after a restart is not lost.)
        self._once = redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=SOCKET_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
            decode_responses=True,
        )
        self._reserve = self.client.register_script(RESERVE)
        self._refund = self._once.register_script(REFUND)
        self._settle = self.client.register_script(SETTLE)

    def _key(self, name: str) -> str:
        return f"{self.namespace}c:{name}"

    def _call(self, work: Callable[[], Any]) -> Any:
        import redis

        try:
            return work()
        except redis.exceptions.AuthenticationError as exc:
            raise StateUnavailable(f"{self.description} refused the credentials: {exc}") from None
        except redis.exceptions.RedisError as exc:
            raise StateUnavailable(f"{self.description} did not answer: {type(exc).__name__}: {exc}") from None
        except OSError as exc:
            raise StateUnavailable(f"{self.description} did not answer: {exc}") from None

    def check(self) -> None:
        import redis

        try:
            self.client.ping()
            self._reserve.sha = self.client.script_load(RESERVE)
            self._refund.sha = self.client.script_load(REFUND)
        except redis.exceptions.AuthenticationError as exc:
            raise StateConfigError(f"{self.description} refused the credentials ({exc})") from None
        except redis.exceptions.ResponseError as exc:
            text = str(exc)
            if "NOAUTH" in text or "WRONGPASS" in text:
                raise StateConfigError(f"{self.description} refused the credentials ({text})") from None
            if "DB index" in text:
                raise StateConfigError(f"{self.description} has no such database ({text})") from None
            raise StateConfigError(f"{self.description} refused the gateway's commands ({text})") from None
        except (redis.exceptions.RedisError, OSError) as exc:
            raise StateUnavailable(f"{self.description} did not answer: {exc}") from None

    def note_policy(self, fingerprint: str) -> list[int]:
        key = f"{self.namespace}p:{self.policy}"

        def work() -> list[int]:
            now = int(self.client.time()[0])
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(key, fingerprint, now)
            pipe.hgetall(key)
            pipe.expire(key, POLICY_SEEN_FOR)
            seen: dict[str, str] = pipe.execute()[1]
            old = [other for other, at in seen.items() if int(at) < now - POLICY_SEEN_FOR]
            if old:
                self.client.hdel(key, *old)
            return sorted(now - int(at) for other, at in seen.items() if other != fingerprint and other not in old)

        result: list[int] = self._call(work)
        return result

    # Counters -----------------------------------------------------------------------------

    def reserve(self, budgets: Sequence[Budget]) -> Reservation:
        names = [counter_name(self.policy, budget) for budget in budgets]
        args: list[int] = []
        for budget in budgets:
            args += [WINDOW_SECONDS[budget.key.window], budget.max]
        reply = self._call(lambda: self._reserve(keys=[self._key(n) for n in names], args=args))
        index, now = int(reply[0]), float(reply[1])
        if index:
            return Reservation(now=now, denied=index - 1)
        starts = [int(s) for s in reply[2:]]
        return Reservation(now=now, charged=tuple(zip(names, starts)))

    def refund(self, reservation: Reservation) -> None:
        if not reservation.charged:
            return
        keys = [self._key(name) for name, _ in reservation.charged]
        starts = [start for _, start in reservation.charged]
        self._call(lambda: self._refund(keys=keys, args=starts))

    def usage(self) -> list[CounterUse]:
        def work() -> list[CounterUse]:
            seconds, _ = self.client.time()
            keys = list(self.client.scan_iter(match=f"{self.namespace}c:*", count=1000))
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.hmget(key, "ws", "v")
            found: list[CounterUse] = []
            for key, (ws, used) in zip(keys, pipe.execute()):
                parts = split_counter_name(key[len(self.namespace) + 2 :])
                if parts is None or ws is None or not used or int(used) <= 0:
                    continue
                policy, (counter, scope, scope_id, window) = parts
                size = WINDOW_SECONDS[window]
                if int(ws) != seconds // size * size:
                    continue
                found.append(CounterUse(policy, counter, scope, scope_id, window, int(used), int(ws)))
            return found

        result: list[CounterUse] = self._call(work)
        return result

    # Held calls ---------------------------------------------------------------------------

    def _request_key(self, approval_id: str) -> str:
        return f"{self.namespace}a:{approval_id}"

    def put_request(self, approval_id: str, request: dict[str, Any], expires: float) -> bool:
        ttl = max(1, int(expires - self.clock()) + KEEP_EXPIRED)

        def work() -> bool:
            created = self.client.set(self._request_key(approval_id), json.dumps(request), nx=True, ex=ttl)
            if created:
                self.client.zadd(f"{self.namespace}approvals", {approval_id: expires})
            return bool(created)

        return bool(self._call(work))

    def get_approval(self, approval_id: str) -> StoredApproval | None:
        key = self._request_key(approval_id)
        request, decision, result = self._call(lambda: self.client.mget(key, key + ":d", key + ":r"))
        return stored_approval(request, decision, result) if request is not None else None

    def put_decision(self, approval_id: str, decision: dict[str, Any]) -> bool:
        key = self._request_key(approval_id)

        def work() -> bool:
            ttl = self.client.ttl(key)
            if ttl is None or ttl < 0:  # no such held call (or it has no expiry: not ours)
                return False
            return bool(self.client.set(key + ":d", json.dumps(decision), nx=True, ex=max(1, ttl)))

        return bool(self._call(work))

    def settle_approval(self, approval_id: str, request: dict[str, Any], result: dict[str, Any]) -> bool:
        key = self._request_key(approval_id)
        texts = [json.dumps(request), json.dumps(result)]
        return bool(self._call(lambda: self._settle(keys=[key, key + ":r"], args=texts)))

    def approvals(self) -> list[StoredApproval]:
        def work() -> list[StoredApproval]:
            index = f"{self.namespace}approvals"
            ids = [str(i) for i in self.client.zrange(index, 0, -1)]
            if not ids:
                return []
            keys: list[str] = []
            for approval_id in ids:
                key = self._request_key(approval_id)
                keys += [key, key + ":d", key + ":r"]
            values = self.client.mget(keys)
            found: list[StoredApproval] = []
            gone: list[str] = []
            for i, approval_id in enumerate(ids):
                request, decision, result = (_text(v) for v in values[3 * i : 3 * i + 3])
                if request is None:
                    gone.append(approval_id)  # expired with its keys: drop it from the index
                    continue
                found.append(stored_approval(request, decision, result))
            if gone:
                self.client.zrem(index, *gone)
            return found

        result: list[StoredApproval] = self._call(work)
        return result

    def remove_approval(self, approval_id: str) -> None:
        key = self._request_key(approval_id)

        def work() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.delete(key, key + ":d", key + ":r")
            pipe.zrem(f"{self.namespace}approvals", approval_id)
            pipe.execute()

        self._call(work)

    def close(self) -> None:
        for client in (self.client, self._once):
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing a dead connection is not worth a message
                pass


def _text(value: Any) -> str | None:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
