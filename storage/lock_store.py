"""Rasa's RedisLockStore with one fix: a message waiting behind a dead instance's ticket gets the lock.

Rasa 3.6's ticket lock (rasa.core.lock_store.LockStore._acquire_lock) polls every second until its
ticket is the first one. Every ticket expires TICKET_LOCK_LIFETIME seconds after it was issued, the
waiting one too. When an instance dies mid-turn (SIGKILL, OOM), its ticket stays in Redis, and the
request nginx retries on another instance waits behind it; the two tickets, issued a few
milliseconds apart with the same lifetime, expire within the same one-second poll. From then on the
lock holds no ticket, `now_serving` is 0, never the waiter's number, and Rasa waits until the key is
deleted — which nobody does: the turn is cut by the channel's timeout, and so is every message of
that conversation sent while a waiter keeps the key alive. Reproduced with Rasa's own class:

    Failed to acquire lock for conversation ID '…' because 1 other item(s) … Retrying in 1 seconds ...
    … (5 s: the dead ticket expires, and with it the waiter's own)
    Failed to acquire lock for conversation ID '…' because 2 other item(s) … Retrying in 1 seconds ...
    … (until the caller gives up: channels.rasa.timeout channel=rest … after=10.0s)

Here a waiter whose ticket expired (or whose lock was deleted) takes its number again, at its place
in the queue, and carries on waiting for the tickets still alive before it.

Fewer round trips, the same steps: Rasa's lock makes 7 blocking Redis calls per message (issue: GET, SET;
acquire: GET; finish: GET, SET; is someone waiting: GET; DEL), each one stalling the instance's event
loop. Here the lock just written when the ticket was issued answers the first "is it my turn?" (ticket
numbers only grow, so a ticket first in what was written stays first), and the end reads the lock once
and either saves it without the ticket (someone waits) or deletes it: 4 calls for a message that waits
for no one. They run in a small thread pool, not on the event loop (redis-py's client is blocking; while it
waited for Redis no other turn of the instance could run, and with the CPU shared Redis is often not
scheduled at once). Everything else is Rasa's RedisLockStore (endpoint `type: storage.lock_store.RedisLockStore`,
same keys and values as `type: redis`).

A turn that had to wait for another holder re-checks, once it holds the lock, whatever its caller asked to
check (`after_waiting`): behind the proxy a retried request may find that the instance it waited for, killed
after it had saved the turn, saved it only now (channels.rasa_bridge). A turn that waited for no one costs
nothing more.
"""
from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, AsyncGenerator, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core import lock_store as rasa_lock_store
from rasa.core.lock import Ticket, TicketLock
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

#: Threads making the lock's Redis calls (each turn makes its calls one after another).
REDIS_THREADS = 4

#: Set by a caller for its turn: awaited once the lock is held, if the turn waited for another holder
#: first. What it raises leaves the `async with` (the ticket is given back) and reaches the caller.
after_waiting: ContextVar[Optional[Callable[[], Awaitable[None]]]] = ContextVar("after_waiting", default=None)


class RedisLockStore(rasa_lock_store.RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa builds a lock store named by module path with `endpoint_config=` only.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self._issued: Dict[Tuple[Text, int], TicketLock] = {}  # the lock as written when a ticket was issued
        self._executor = ThreadPoolExecutor(max_workers=REDIS_THREADS, thread_name_prefix="lock-store")

    async def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = rasa_lock_store.LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's LockStore.lock with its Redis calls in the thread pool (module doc)."""
        ticket = await self._call(self.issue_ticket, conversation_id, lock_lifetime)
        try:
            lock, waited = await self._wait_for_turn(conversation_id, ticket, wait_time_in_seconds)
            check = after_waiting.get()
            if waited and check is not None:
                await check()
            yield lock
        finally:
            # shielded: a turn cancelled (its timeout) while this runs still gives its ticket back
            await asyncio.shield(self._call(self.cleanup, conversation_id, ticket))

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = rasa_lock_store.LOCK_LIFETIME) -> int:
        """Rasa's issue_ticket (GET, SET), remembering the lock it wrote for _wait_for_turn."""
        try:
            lock = self.get_or_create_lock(conversation_id)
            ticket = lock.issue_ticket(lock_lifetime)
            self.save_lock(lock)
        except Exception as e:
            raise rasa_lock_store.LockError(f"Error while acquiring lock. Error:\n{e}")
        self._issued[(conversation_id, ticket)] = lock
        return ticket

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Rasa's finish_serving + is_someone_waiting + delete_lock with one read (module doc)."""
        self._issued.pop((conversation_id, ticket_number), None)
        lock = self.get_lock(conversation_id)
        if lock is None:
            return
        lock.remove_ticket_for(ticket_number)
        if lock.is_someone_waiting():
            self.save_lock(lock)
        else:
            self.delete_lock(conversation_id)

    def _renewed(self, conversation_id: Text, ticket: int, lock: Optional[TicketLock]) -> TicketLock:
        """The lock with `ticket` alive again at its place (by number) in the queue."""
        lock = lock or TicketLock(conversation_id)
        alive = [t for t in lock.tickets if t.number != ticket]
        alive.append(Ticket(ticket, time.time() + rasa_lock_store.LOCK_LIFETIME))
        lock.tickets.clear()
        lock.tickets.extend(sorted(alive, key=lambda t: t.number))
        self.save_lock(lock)
        logger.info("lock_store.ticket_renewed conversation=%s ticket=%d (expired while waiting)", conversation_id[:8], ticket)
        return lock

    async def _wait_for_turn(self, conversation_id: Text, ticket: int,
                            wait_time_in_seconds: float) -> Tuple[TicketLock, bool]:
        """The lock once `ticket` is served, and whether another holder had to be waited for."""
        lock = self._issued.pop((conversation_id, ticket), None)
        if lock is not None and not lock.is_locked(ticket):
            return lock, False  # first in the lock just written (module doc)
        while True:
            lock = await self._call(self.get_lock, conversation_id)
            if lock is None or lock._ticket_for_ticket_number(ticket) is None:
                lock = await self._call(self._renewed, conversation_id, ticket, lock)
            if not lock.is_locked(ticket):
                return lock, True
            await asyncio.sleep(wait_time_in_seconds)
            await self._call(self.update_lock, conversation_id)
