"""Which instance holds a connection that must exist once (the DingTalk Stream websocket).

DingTalk hands each robot message to one of the open stream connections; several instances each
holding one would be harmless for delivery but the robot's gateway limits connections per app, and
operators expect one. With REALNAME_REDIS_URL set (the cluster), instances take a lease in Redis:
`SET key token NX PX ttl`, renewed every ttl/3 by the holder only (compare-and-extend in Lua); a
holder that dies stops renewing and another instance takes over within `ttl`. Without Redis there is
one process and it always holds the lease.
"""
from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Optional

from channels.rate_limit import REDIS_URL_ENV

logger = logging.getLogger(__name__)

_RENEW_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class SoleLease:
    """One process: always the holder."""

    held = True

    async def acquire(self) -> None:
        return None

    async def lost(self) -> None:
        await asyncio.Event().wait()  # never

    async def release(self) -> None:
        return None


class RedisLease:
    def __init__(self, url: str, key: str, ttl: float = 15.0, timeout: float = 2.0) -> None:
        import redis.asyncio as aioredis  # redis-py 4.6, installed with Rasa

        self.key = key
        self.ttl_ms = int(ttl * 1000)
        self.token = uuid.uuid4().hex
        self.held = False
        self._client = aioredis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._renew = self._client.register_script(_RENEW_LUA)
        self._release = self._client.register_script(_RELEASE_LUA)

    async def acquire(self) -> None:
        """Returns once this instance holds the lease (waits while another one does)."""
        waiting_logged = False
        while True:
            try:
                if await self._client.set(self.key, self.token, nx=True, px=self.ttl_ms):
                    self.held = True
                    logger.info("leader.acquired key=%s", self.key)
                    return
                if await self._client.get(self.key) == self.token.encode():
                    self.held = True
                    return
                if not waiting_logged:
                    logger.info("leader.standby key=%s (another instance holds it)", self.key)
                    waiting_logged = True
            except Exception as e:  # noqa: BLE001 - Redis down: nobody can take it; try again
                logger.warning("leader.redis_failed error=%s", type(e).__name__)
            await asyncio.sleep(self.ttl_ms / 3000)

    async def lost(self) -> None:
        """Renews the lease while held; returns when another instance has it (renewal refused)."""
        while True:
            await asyncio.sleep(self.ttl_ms / 3000)
            try:
                renewed = await self._renew(keys=[self.key], args=[self.token, self.ttl_ms])
            except Exception as e:  # noqa: BLE001 - Redis down: nobody else can take it either
                logger.warning("leader.renew_failed error=%s (kept)", type(e).__name__)
                continue
            if not int(renewed):
                self.held = False
                logger.warning("leader.lost key=%s", self.key)
                return

    async def release(self) -> None:
        self.held = False
        try:
            await self._release(keys=[self.key], args=[self.token])
        except Exception as e:  # noqa: BLE001 - it expires by itself
            logger.warning("leader.release_failed error=%s", type(e).__name__)


def lease_for(name: str, ttl: float = 15.0) -> "SoleLease | RedisLease":
    url = os.environ.get(REDIS_URL_ENV, "").strip()
    return RedisLease(url, f"realname:lease:{name}", ttl) if url else SoleLease()
