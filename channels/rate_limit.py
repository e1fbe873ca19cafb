"""Rate limits for the public channels: messages and uploads per sender and per client address.

One algorithm, two stores:

- GCRA (the "generic cell rate algorithm", a token bucket kept as one timestamp per key): `limit`
  hits per `window` seconds, a burst of up to `limit` allowed, then one hit every window/limit.
- :class:`MemoryStore` for one process (`make serve`); :class:`RedisStore` when REALNAME_REDIS_URL is
  set (the cluster), so that every instance counts against the same budget. Redis runs the
  algorithm in one Lua script with its own clock, so instances with skewed clocks agree.

Written here rather than taken from a library: `limits` (the maintained one) needs packaging>=21,
which Rasa 3.6's pin (packaging<21) refuses; sanic-limiter is unmaintained since 2018.

Keys never hold a user id or address in clear: they are hashed (_tag).
A store that fails (Redis down) lets the hit through and logs it: the limiter must never be the
reason the service stops answering.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

logger = logging.getLogger(__name__)

REDIS_URL_ENV = "REALNAME_REDIS_URL"
KEY_PREFIX = "realname:rl:"

@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0


class MemoryStore:
    """GCRA in one process. Bounded: the least recently used keys are forgotten past `max_keys`
    (a forgotten key only starts with a full budget again)."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._tat: "OrderedDict[str, float]" = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()

    async def hit(self, key: str, limit: int, window: float) -> Verdict:
        interval, tolerance = window / limit, window - window / limit
        now = self._clock()
        with self._lock:
            tat = max(self._tat.pop(key, now), now)
            if tat - now > tolerance:
                self._tat[key] = tat
                return Verdict(False, tat - now - tolerance)
            self._tat[key] = tat + interval
            while len(self._tat) > self._max_keys:
                self._tat.popitem(last=False)
        return Verdict(True)


# KEYS[1] = key; ARGV = interval, tolerance (seconds). Returns {allowed 0/1, retry_after as text}.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then
  return {0, tostring(tat - now - tolerance)}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1)
return {1, '0'}
"""


class RedisStore:
    """GCRA in Redis, shared by every instance. Short timeouts; failures let the hit through."""

    def __init__(self, url: str, timeout: float = 0.5) -> None:
        import redis.asyncio as aioredis  # redis-py 4.6, already installed with Rasa

        self._client = aioredis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._script = self._client.register_script(_GCRA_LUA)
        self._warned_at = 0.0

    async def hit(self, key: str, limit: int, window: float) -> Verdict:
        interval = window / limit
        try:
            allowed, retry = await self._script(keys=[key], args=[interval, window - interval])
        except Exception as e:  # noqa: BLE001 - Redis down or slow: never block answers on the limiter
            now = time.monotonic()
            if now - self._warned_at > 30:
                self._warned_at = now
                logger.warning("rate_limit.store_failed error=%s (limits are off until Redis answers)", type(e).__name__)
            return Verdict(True)
        return Verdict(bool(int(allowed)), float(retry))


_shared: Dict[Tuple[int, str], Any] = {}


def shared_store() -> Any:
    """The process's store: Redis when REALNAME_REDIS_URL is set, memory otherwise (one per event loop
    for Redis, whose connections belong to the loop that opened them)."""
    url = os.environ.get(REDIS_URL_ENV, "").strip()
    try:
        loop_id = id(asyncio.get_running_loop()) if url else 0
    except RuntimeError:
        loop_id = 0
    key = (loop_id, url)
    if key not in _shared:
        _shared[key] = RedisStore(url) if url else MemoryStore()
    return _shared[key]


def client_address(request: Any) -> str:
    """The client's address, the per-address key: the first X-Forwarded-For hop when the launcher trusts
    a proxy (REALNAME_TRUSTED_PROXIES, Sanic's PROXIES_COUNT), else the peer of the connection."""
    return str(getattr(request, "remote_addr", "") or getattr(request, "ip", "") or "")


def _tag(value: Any) -> str:
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Limits:
    """A channel's limits, from its entry in credentials.yml (0 turns one off)."""

    messages_per_minute: int = 20
    messages_per_minute_per_address: int = 60
    uploads_per_minute: int = 5
    uploads_per_minute_per_address: int = 10

    @classmethod
    def from_credentials(cls, credentials: Optional[Mapping[str, Any]]) -> "Limits":
        credentials = credentials or {}
        values = {}
        for name in cls.__dataclass_fields__:
            raw = credentials.get(name)
            if raw is None:
                continue
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise ValueError(f"credentials value '{name}' must be a whole number") from None
            if value < 0:
                raise ValueError(f"credentials value '{name}' must not be negative")
            values[name] = value
        return cls(**values)


class ChannelLimiter:
    """Checks one channel's messages and uploads against its Limits (per sender and per address)."""

    WINDOW = 60.0

    def __init__(self, channel: str, limits: Limits, store: Optional[Any] = None) -> None:
        self.channel = channel
        self.limits = limits
        self._store = store
        self._notified: "OrderedDict[str, float]" = OrderedDict()

    def first_refusal(self, sender: str, clock: Callable[[], float] = time.monotonic) -> bool:
        """True once per window per sender: chat apps say "too fast" once, not to every message of a flood."""
        now, key = clock(), _tag(sender)
        for old, at in list(self._notified.items()):
            if now - at < self.WINDOW:
                break
            del self._notified[old]
        if key in self._notified:
            return False
        self._notified[key] = now
        while len(self._notified) > 10_000:
            self._notified.popitem(last=False)
        return True

    @property
    def store(self) -> Any:
        return self._store if self._store is not None else shared_store()

    async def _check(self, kind: str, pairs: Tuple[Tuple[str, Optional[str], int], ...]) -> Verdict:
        worst = Verdict(True)
        for scope, who, limit in pairs:
            if not who or limit <= 0:
                continue
            verdict = await self.store.hit(f"{KEY_PREFIX}{self.channel}:{kind}:{scope}:{_tag(who)}", limit, self.WINDOW)
            if not verdict.allowed and (worst.allowed or verdict.retry_after > worst.retry_after):
                worst = verdict
        if not worst.allowed:
            logger.info(
                "rate_limit.refused channel=%s kind=%s retry_after=%.1f", self.channel, kind, worst.retry_after
            )
        return worst

    async def message(self, sender: str, address: Optional[str] = None) -> Verdict:
        return await self._check(
            "msg",
            (
                ("sender", sender, self.limits.messages_per_minute),
                ("addr", address, self.limits.messages_per_minute_per_address),
            ),
        )

    async def upload(self, sender: str, address: Optional[str] = None) -> Verdict:
        return await self._check(
            "up",
            (
                ("sender", sender, self.limits.uploads_per_minute),
                ("addr", address, self.limits.uploads_per_minute_per_address),
            ),
        )
