"""The guards' per-replica cache (runtime/ttl_cache.py): at most one read per key in
flight, values served for their TTL, errors and invalidations never cached."""

from __future__ import annotations

import asyncio

import pytest

from bastion.runtime.ttl_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Store:
    """A loader whose reads wait until the test releases them."""

    def __init__(self) -> None:
        self.reads: list[str] = []
        self.release = asyncio.Event()
        self.value = "v1"
        self.error: Exception | None = None

    async def load(self, key: str) -> str:
        self.reads.append(key)
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return f"{key}={self.value}"


async def test_concurrent_misses_share_one_read() -> None:
    store, clock = Store(), Clock()
    cache = TtlCache(store.load, 1.0, clock=clock)
    waiting = [asyncio.create_task(cache.get("t1")) for _ in range(64)]
    await asyncio.sleep(0)  # let every caller reach the cache
    store.release.set()
    assert await asyncio.gather(*waiting) == ["t1=v1"] * 64
    assert store.reads == ["t1"]


async def test_a_value_is_served_for_its_ttl_then_read_again() -> None:
    store, clock = Store(), Clock()
    store.release.set()
    cache = TtlCache(store.load, 1.0, clock=clock)
    assert cache.peek("t1") == (False, None)
    assert await cache.get("t1") == "t1=v1"
    store.value = "v2"
    clock.now += 0.9
    assert cache.peek("t1") == (True, "t1=v1") and await cache.get("t1") == "t1=v1"
    clock.now += 0.2
    assert cache.peek("t1") == (False, None)
    assert await cache.get("t1") == "t1=v2"
    assert store.reads == ["t1", "t1"]


async def test_a_failed_read_reaches_every_waiter_and_is_not_cached() -> None:
    store, clock = Store(), Clock()
    store.error = OSError("database down")
    cache = TtlCache(store.load, 1.0, clock=clock)
    waiting = [asyncio.create_task(cache.get("t1")) for _ in range(3)]
    await asyncio.sleep(0)
    store.release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results) and store.reads == ["t1"]
    store.error = None
    assert await cache.get("t1") == "t1=v1" and store.reads == ["t1", "t1"]


async def test_a_read_that_predates_an_invalidation_is_not_cached() -> None:
    store, clock = Store(), Clock()
    cache = TtlCache(store.load, 1.0, clock=clock)
    before = asyncio.create_task(cache.get("t1"))
    await asyncio.sleep(0)
    cache.invalidate("t1")               # this replica changed t1 while the read ran
    store.release.set()
    assert await before == "t1=v1"       # its caller still gets an answer
    store.value = "v2"
    assert await cache.get("t1") == "t1=v2"
    assert store.reads == ["t1", "t1"]


async def test_a_caller_that_gives_up_does_not_cancel_the_others_read() -> None:
    store, clock = Store(), Clock()
    cache = TtlCache(store.load, 1.0, clock=clock)
    impatient = asyncio.create_task(cache.get("t1"))
    patient = asyncio.create_task(cache.get("t1"))
    await asyncio.sleep(0)
    impatient.cancel()                   # a guard's deadline
    store.release.set()
    assert await patient == "t1=v1"
    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert cache.peek("t1") == (True, "t1=v1") and store.reads == ["t1"]


async def test_the_cache_stays_bounded() -> None:
    store, clock = Store(), Clock()
    store.release.set()
    cache = TtlCache(store.load, 1.0, max_entries=2, clock=clock)
    for key in ("a", "b", "c"):
        await cache.get(key)
    assert cache.peek("c") == (True, "c=v1")
    assert cache.peek("a") == (False, None)  # cleared when "c" would have made three
