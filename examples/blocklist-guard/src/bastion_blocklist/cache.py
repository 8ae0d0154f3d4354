"""Each tenant's patterns in memory, so the guard reads the database at most once per tenant
per ``ttl_s`` instead of on every Check.

Everything here runs on the server's event loop (the guard is ``async``), so plain dicts
need no lock. Loads go to a worker thread and are shared: when an entry expires under load,
concurrent Checks of that tenant wait for one query, not one each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class PatternCache:
    """Tenant id → its patterns, each kept ``ttl_s`` seconds (0: not kept at all)."""

    def __init__(self, load: Callable[[str], tuple[str, ...]], ttl_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._loading: dict[str, asyncio.Task[tuple[str, ...]]] = {}
        # Bumped by forget(): a load that started before a change must not store its result.
        self._generation = 0

    def cached(self, tenant_id: str) -> tuple[str, ...] | None:
        """The tenant's patterns if cached and fresh, else None (no I/O)."""
        entry = self._entries.get(tenant_id)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    async def get(self, tenant_id: str) -> tuple[str, ...]:
        """The tenant's patterns, from memory when fresh, else loaded (off the loop)."""
        found = self.cached(tenant_id)
        if found is not None:
            return found
        task = self._loading.get(tenant_id)
        if task is None:
            task = asyncio.ensure_future(self._fetch(tenant_id))
            self._loading[tenant_id] = task
            task.add_done_callback(lambda done: self._loaded(tenant_id, done))
        # A caller that times out (the guard's deadline) must not cancel the shared load.
        return await asyncio.shield(task)

    async def _fetch(self, tenant_id: str) -> tuple[str, ...]:
        generation = self._generation
        found = await asyncio.to_thread(self._load, tenant_id)
        if generation == self._generation and self.ttl_s > 0:
            self._entries[tenant_id] = (self._clock() + self.ttl_s, found)
        return found

    def _loaded(self, tenant_id: str, task: asyncio.Task[tuple[str, ...]]) -> None:
        if self._loading.get(tenant_id) is task:
            del self._loading[tenant_id]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter may have given up already

    def forget(self, tenant_id: str) -> None:
        """Drops the tenant's patterns, after a change made through this server."""
        self._generation += 1
        self._entries.pop(tenant_id, None)
        self._loading.pop(tenant_id, None)
