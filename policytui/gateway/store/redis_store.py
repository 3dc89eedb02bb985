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
A Redis that comes back from a restart without its data (no persistence, a `FLUSHALL`, a
failover to an empty replica) would start every counter over while the gateways run, each
allowing a whole limit again. So each gateway keeps a mark `<ns>g:<id>` in Redis and a tally of
what it charged in the current windows; the charging script refuses to charge while the mark is
gone, and the gateway then adds its tally back (one script, which also sets the mark again, so
it is added once) before it charges. A thread of the store's own looks for the mark every
second, so an idle gateway's calls are back within a second too.

Every key starts with the namespace (`policytui:` unless the URL says `?prefix=`); counters
carry their policy's name after it, so policies never share a budget by accident.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
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
log = logging.getLogger("policytui.gateway")

# How long a gateway's mark outlives its last charge: past the longest window (a day), after
# which nothing it charged still counts.
MARK_KEPT_FOR = 2 * 86400
# How often the store's thread looks for the gateway's mark (seconds).
MARK_CHECKED_EVERY = 1.0

# How long the contents of a policy file gateways started with are remembered (`note_policy`).
POLICY_SEEN_FOR = 86400

# How often a charge looks whether Redis may evict keys to free memory (seconds); while it
# may, every charge looks (see `_refuse_if_evicting`).
EVICTION_CHECKED_EVERY = 1.0

# KEYS: the counters. ARGV: per counter, its window size (s) and its maximum.
# Returns {0, now, start1, start2, ...} when charged, {index, now} when budget `index` is full.
# The last KEY is the gateway's mark: while it is gone (Redis lost its data) nothing is charged
# and {-1, now} is returned, so that the gateway adds back what it counted first.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mark = KEYS[#KEYS]
if redis.call('EXPIRE', mark, ARGV[#ARGV]) == 0 then return {-1, tostring(now)} end
local starts = {}
local values = {}
for i = 1, #KEYS - 1 do
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
for i = 1, #KEYS - 1 do
  local size = tonumber(ARGV[2 * i - 1])
  redis.call('HSET', KEYS[i], 'ws', starts[i], 'v', values[i])
  redis.call('EXPIREAT', KEYS[i], starts[i] + size + 1)
  reply[#reply + 1] = starts[i]
end
return reply
"""

# KEYS: the gateway's mark, then counters it charged. ARGV: how long the mark is kept, then per
# counter the window start, the window size and the calls charged in it. Sets the mark and adds
# each count to its counter, in the window still current; does nothing while the mark is there,
# so what one gateway counted is added back once however often it is asked.
RESTORE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return -1 end
local t = redis.call('TIME')
local added = 0
for i = 2, #KEYS do
  local ws = tonumber(ARGV[3 * i - 4])
  local size = tonumber(ARGV[3 * i - 3])
  local count = tonumber(ARGV[3 * i - 2])
  if math.floor(tonumber(t[1]) / size) * size == ws and count > 0 then
    local stored = redis.call('HMGET', KEYS[i], 'ws', 'v')
    if stored[1] and tonumber(stored[1]) == ws then
      redis.call('HINCRBY', KEYS[i], 'v', count)
    else
      redis.call('HSET', KEYS[i], 'ws', ws, 'v', count)
    end
    redis.call('EXPIREAT', KEYS[i], ws + size + 1)
    added = added + count
  end
end
return added
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
        self._restore = self.client.register_script(RESTORE)
        # This gateway's mark, and what it charged: counter name -> [window start, window
        # size, calls] (see the module's docstring). The mark is set at the first charge.
        self._mark = f"{namespace}g:{secrets.token_hex(8)}"
        self._marked = False
        self._tally: dict[str, list[int]] = {}
        self._tally_lock = threading.Lock()
        self._closed = threading.Event()
        self._watch: threading.Thread | None = None
        # When a charge last looked at Redis's eviction policy, and what it was if it evicts;
        # Redis's count of keys evicted at the last look while it did not (see `_after_evictions`).
        self._policy_looked_at = -EVICTION_CHECKED_EVERY
        self._evicting: str | None = None
        self._evicted_keys: int | None = None

    def _key(self, name: str) -> str:
        return f"{self.namespace}c:{name}"

    def _call(self, work: Callable[[], Any]) -> Any:
        import redis

        try:
            return work()
        except redis.exceptions.AuthenticationError as exc:
            raise StateUnavailable(f"{self.description} refused the credentials: {exc}") from None
        except redis.exceptions.ResponseError as exc:
            # Redis answered, with a refusal (a read-only replica, out of memory, a command
            # renamed away): "did not answer" would send the operator to the network.
            raise StateUnavailable(
                f"{self.description} refused the gateway's command: {type(exc).__name__}: {exc}") from None
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
            self._restore.sha = self.client.script_load(RESTORE)
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
        sizes = [WINDOW_SECONDS[budget.key.window] for budget in budgets]
        args: list[int] = []
        for size, budget in zip(sizes, budgets):
            args += [size, budget.max]
        args.append(MARK_KEPT_FOR)
        keys = [*(self._key(n) for n in names), self._mark]
        self._refuse_if_evicting()
        if not self._marked:
            self._put_back()  # sets the mark: nothing counted yet
            self._marked = True
            self._start_watch()
        reply = self._call(lambda: self._reserve(keys=keys, args=args))
        if int(reply[0]) == -1:  # Redis lost its data since the last charge
            self._put_back()
            reply = self._call(lambda: self._reserve(keys=keys, args=args))
            if int(reply[0]) == -1:
                raise StateUnavailable(f"{self.description} lost the gateway's counters again as they were put back")
        index, now = int(reply[0]), float(reply[1])
        if index:
            return Reservation(now=now, denied=index - 1)
        starts = [int(s) for s in reply[2:]]
        with self._tally_lock:
            for name, size, start in zip(names, sizes, starts):
                kept = self._tally.get(name)
                if kept is not None and kept[0] == start:
                    kept[2] += 1
                else:
                    self._tally[name] = [start, size, 1]
            if len(self._tally) > 4096:  # per-session counters come and go: drop past windows
                self._tally = {n: k for n, k in self._tally.items() if k[0] + k[1] > now}
        return Reservation(now=now, charged=tuple(zip(names, starts)))

    def _refuse_if_evicting(self) -> None:
        """StateUnavailable while Redis may evict keys to free memory (a `maxmemory` with a
        `maxmemory-policy` other than `noeviction`). Every counter key has a time to live, so
        any such policy can drop one mid-window and start its limit over, each gateway allowing
        it again; under `volatile-ttl` the gateway's mark (kept two days) outlives a day's
        counter, so nothing tells the gateway to put its calls back. Looked at once a second,
        and at every charge while it evicts, so counting resumes at the first call after the
        policy is changed."""
        now = time.monotonic()
        if self._evicting is None and now - self._policy_looked_at < EVICTION_CHECKED_EVERY:
            return
        self._evicting, evicted = self._call(self._evictions)
        self._policy_looked_at = now
        if self._evicting is not None:
            raise StateUnavailable(
                f"{self.description} may evict keys to free memory (maxmemory-policy {self._evicting}), "
                "which would start limits over; set maxmemory-policy noeviction")
        self._after_evictions(evicted)

    def _evictions(self) -> tuple[str | None, int]:
        """Redis's eviction policy if it may evict keys (else None), and how many keys it has
        evicted since it started."""
        pipe = self.client.pipeline(transaction=False)
        pipe.info("memory")
        pipe.info("stats")
        memory, stats = pipe.execute()
        policy = str(memory.get("maxmemory_policy", "noeviction"))
        evicting = policy if int(memory.get("maxmemory") or 0) > 0 and policy != "noeviction" else None
        return evicting, int(stats.get("evicted_keys") or 0)

    def _after_evictions(self, evicted: int) -> None:
        """Count again what this gateway counted when Redis evicted keys since the last look
        (`evicted`: its count of keys evicted, looked at while it does not evict). A counter
        evicted while its policy allowed it, then set back to `noeviction` between two looks
        or while calls were denied, would start its limit over: under an `allkeys-*` policy the
        gateway's mark, looked at each second, outlives its idle counters, so nothing else
        puts them back. The mark is dropped and the tally added back, once: a counter that was
        not evicted counts this gateway's calls twice, which errs on the strict side."""
        with self._tally_lock:
            previous, self._evicted_keys = self._evicted_keys, evicted
        if previous is None or evicted == previous:
            return
        self._call(lambda: self.client.delete(self._mark))
        self._put_back(f"evicted {evicted - previous if evicted > previous else 'some'} keys to free memory "
                       "since the gateway last looked")

    def _put_back(self, why: str = "lost its counters (it restarted without its data, or was emptied)") -> None:
        """Set this gateway's mark again, adding back what it charged in the current windows
        (once: nothing is added while the mark is there)."""
        with self._tally_lock:
            counted = [(name, kept) for name, kept in self._tally.items() if kept[2] > 0]
        keys = [self._mark, *(self._key(name) for name, _ in counted)]
        args: list[int] = [MARK_KEPT_FOR]
        for _, (start, size, calls) in counted:
            args += [start, size, calls]
        added = int(self._call(lambda: self._restore(keys=keys, args=args)))
        if added > 0:
            log.warning(
                "state: %s %s; the %s this gateway counted in the current windows %s counted again",
                self.description, why, f"{added} call" if added == 1 else f"{added} calls",
                "is" if added == 1 else "are",
            )

    def _start_watch(self) -> None:
        """Look for the mark every second from a thread of the store's own, so that what an
        idle gateway counted is put back soon after Redis lost it, not at its next charge."""
        if self._watch is not None:
            return

        def watch() -> None:
            while not self._closed.wait(MARK_CHECKED_EVERY):
                try:
                    if not self.client.exists(self._mark):
                        self._put_back()
                    evicting, evicted = self._evictions()
                    if evicting is None:
                        self._after_evictions(evicted)
                except Exception:  # noqa: BLE001 - unreachable now: the calls say so, not this
                    continue

        self._watch = threading.Thread(target=watch, name="policytui-redis-mark", daemon=True)
        self._watch.start()

    def refund(self, reservation: Reservation) -> None:
        if not reservation.charged:
            return
        keys = [self._key(name) for name, _ in reservation.charged]
        starts = [start for _, start in reservation.charged]
        self._call(lambda: self._refund(keys=keys, args=starts))
        with self._tally_lock:  # once given back: a refund that failed leaves its charge counted
            for name, start in reservation.charged:
                kept = self._tally.get(name)
                if kept is not None and kept[0] == start and kept[2] > 0:
                    kept[2] -= 1

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
        self._closed.set()
        for client in (self.client, self._once):
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing a dead connection is not worth a message
                pass


def _text(value: Any) -> str | None:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
