"""A bounded set of keys that forgets each key after a while: message ids already handled."""

import threading
import time
from collections import OrderedDict
from typing import Callable


class TTLSet:
    """A set of keys that forgets each key after `ttl` seconds and holds at most `maxsize` keys."""

    def __init__(self, maxsize: int = 10000, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: "OrderedDict[str, float]" = OrderedDict()
        self._maxsize = maxsize
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._data:
            key, expires = next(iter(self._data.items()))
            if expires > now:
                break
            self._data.popitem(last=False)

    def add_if_new(self, key: str) -> bool:
        """Adds `key`; True if it was not there (first time seen), False for a repeat."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if key in self._data:
                return False
            self._data[key] = now + self._ttl
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)
            return True
