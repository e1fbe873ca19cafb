"""Bounded stores that forget each key a while after it was put: message ids already handled (TTLSet), and
the WeCom AI bot's streams (a TTLMap of stream id → state)."""

import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Generic, Optional, Tuple, TypeVar

V = TypeVar("V")


class TTLMap(Generic[V]):
    """key → value, each forgotten `ttl` seconds after it was put; at most `maxsize` keys (oldest dropped)."""

    def __init__(self, maxsize: int = 10000, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: "OrderedDict[str, Tuple[float, V]]" = OrderedDict()
        self._maxsize = maxsize
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._data:
            _, (expires, _) = next(iter(self._data.items()))
            if expires > now:
                break
            self._data.popitem(last=False)

    def set(self, key: str, value: V) -> None:
        now = self._clock()
        with self._lock:
            self._expire(now)
            self._data.pop(key, None)
            self._data[key] = (now + self._ttl, value)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def get(self, key: str) -> Optional[V]:
        with self._lock:
            self._expire(self._clock())
            entry = self._data.get(key)
        return entry[1] if entry else None

    def set_if_new(self, key: str, value: V) -> bool:
        """Puts `key` unless it is there; True if it was not there (first time seen)."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if key in self._data:
                return False
            self._data[key] = (now + self._ttl, value)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)
            return True

    def __len__(self) -> int:
        return len(self._data)


class TTLSet:
    """A set of keys that forgets each key after `ttl` seconds and holds at most `maxsize` keys."""

    def __init__(self, maxsize: int = 10000, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._keys: TTLMap[Any] = TTLMap(maxsize, ttl, clock)

    def add_if_new(self, key: str) -> bool:
        """Adds `key`; True if it was not there (first time seen), False for a repeat."""
        return self._keys.set_if_new(key, None)
