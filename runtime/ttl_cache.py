"""A per-replica cache of values read from storage, for guards on the hot path.

Each key is read at most once per ``ttl_s``, and at most one read per key is in flight:
callers that find the entry missing or stale while a read is under way await that read.
Without this, an entry that expires under load sends every in-flight request to the
database at once (64 concurrent Checks: 64 identical reads, each a thread hand-off and a
query), which is what a cache in front of shared counters exists to prevent.

Use ``peek`` on the inline fast path (no coroutine when the entry is fresh) and ``get``
otherwise::

    hit, budget = self.budgets.peek(key)
    if hit:
        return self.judge(budget, request)
    return self._judge_after(self.budgets.get(key), request)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """:param load: ``await load(key)`` reads a key's value (it may raise: every caller
        waiting on that read gets the error, and the next call reads again).
    :param ttl_s: how long a value is served; 0 disables caching (every ``get`` reads,
        concurrent ones still share a read).
    :param max_entries: the cache is cleared when it would grow past this (keys come from
        requests: stay bounded).
    :param clock: seconds, monotonic (tests pass their own).
    """

    def __init__(self, load: Callable[[K], Awaitable[V]], ttl_s: float, *,
                 max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load, self.ttl_s, self._max, self._clock = load, ttl_s, max_entries, clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._reading: dict[K, asyncio.Future[V]] = {}

    def peek(self, key: K) -> tuple[bool, V | None]:
        """(True, value) while ``key`` is fresh, else (False, None)."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > self._clock():
            return True, entry[1]
        return False, None

    async def get(self, key: K) -> V:
        hit, value = self.peek(key)
        if hit:
            return value  # type: ignore[return-value]
        reading = self._reading.get(key)
        if reading is None:
            reading = self._reading[key] = asyncio.ensure_future(self._read(key))
        # A caller that gives up (a guard's deadline) must not cancel the others' read.
        return await asyncio.shield(reading)

    async def _read(self, key: K) -> V:
        me = asyncio.current_task()
        try:
            value = await self._load(key)
            if self._reading.get(key) is me:  # not invalidated while reading
                self.put(key, value)
            return value
        finally:
            if self._reading.get(key) is me:
                del self._reading[key]

    def put(self, key: K, value: V) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= self._max and key not in self._entries:
            self._entries.clear()
        self._entries[key] = (self._clock() + self.ttl_s, value)

    def invalidate(self, key: K) -> None:
        """Forgets ``key`` (after this replica changed it). A read already in flight may
        predate the change: its callers get its value, but it is not cached."""
        self._entries.pop(key, None)
        self._reading.pop(key, None)
