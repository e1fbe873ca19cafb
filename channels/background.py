"""Work a channel does after its webhook has answered."""

import asyncio
import logging
from typing import Any, Awaitable, Optional

from channels.log_privacy import masked_for_log

logger = logging.getLogger(__name__)


class BackgroundTasks:
    """Runs coroutines after the webhook answered. Keeps a reference to each task (so none is garbage
    collected half-way), limits how many run at once, and logs every exception."""

    def __init__(self, name: str, max_concurrent: int = 16) -> None:
        self._name = name
        self._tasks: "set[asyncio.Task]" = set()
        self._max_concurrent = max_concurrent
        self._semaphore: Optional[asyncio.Semaphore] = None

    def spawn(self, coro: Awaitable[Any], what: str) -> "asyncio.Task":
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._max_concurrent)
        task = asyncio.ensure_future(self._run(coro, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, coro: Awaitable[Any], what: str) -> None:
        assert self._semaphore is not None
        async with self._semaphore:
            try:
                await coro
            except asyncio.CancelledError:
                logger.error("%s.task.cancelled what=%s", self._name, what)
                raise
            except Exception as e:  # noqa: BLE001 - log, never drop silently
                logger.error(
                    "%s.task.failed what=%s error=%s: %s", self._name, what, type(e).__name__, masked_for_log(e)
                )
                logger.debug("%s.task.failed traceback", self._name, exc_info=True)
