"""The plugin on its own: hooks, configuration, matching and the cache (no server)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bastion.runtime.config import Settings
from bastion.runtime.errors import InvalidArgument
from bastion_blocklist import BlocklistPlugin
from bastion_blocklist.cache import PatternCache
from bastion_blocklist.matching import blocking_pattern, parse_pattern


def test_the_plugin_manager_holds_just_the_plugin_and_its_hooks(bastion_plugin_manager) -> None:
    assert [name for name, _ in bastion_plugin_manager.list_name_plugin()] == ["blocklist"]
    plugin = bastion_plugin_manager.get_plugin("blocklist")
    assert isinstance(plugin, BlocklistPlugin)
    hooks = {h.name for h in bastion_plugin_manager.get_hookcallers(plugin)}
    assert hooks == {"bastion_configure", "bastion_migrations", "bastion_guard_check",
                     "bastion_services"}
    (folder,) = [p for group in bastion_plugin_manager.hook.bastion_migrations() for p in group]
    assert (folder / "0001_blocklist.py").is_file()


@pytest.mark.parametrize("ttl", [0, 2.5, "10"])
def test_cache_ttl_is_configurable(ttl) -> None:
    plugin = BlocklistPlugin()
    plugin.bastion_configure(Settings(plugin_sections={"blocklist": {"cache_ttl_s": ttl}}),
                             database=None)  # type: ignore[arg-type]
    assert plugin.cache.ttl_s == float(ttl)


@pytest.mark.parametrize("ttl", [-1, "soon", 86_400])
def test_a_bad_cache_ttl_refuses_to_start(ttl) -> None:
    with pytest.raises(ValueError, match="cache_ttl_s"):
        BlocklistPlugin().bastion_configure(
            Settings(plugin_sections={"blocklist": {"cache_ttl_s": ttl}}),
            database=None)  # type: ignore[arg-type]


def test_matching() -> None:
    assert blocking_pattern("payments.refund", ["payments.*"]) == "payments.*"
    assert blocking_pattern("payments.refund", ["files.*", "payments.refund"]) == \
        "payments.refund"
    assert blocking_pattern("payments.refund", ["payments.charge", "payments"]) is None
    assert blocking_pattern("payments", ["payments.*"]) is None


@pytest.mark.parametrize("value", ["a", "payments.refund", "payments.*", "x*", "a:b/c-d_e"])
def test_valid_patterns(value) -> None:
    assert parse_pattern(value, "pattern") == value


@pytest.mark.parametrize("value", ["", "*", ".a", "a b", "a.*.b", "a**", "x" * 257])
def test_invalid_patterns_name_the_field(value) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_pattern(value, "pattern")
    assert info.value.field == "pattern"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_cache_reads_once_per_ttl_and_forgets_on_change() -> None:
    loads: list[str] = []
    stored = {"t1": ("a.*",), "t2": ()}

    def load(tenant_id: str) -> tuple[str, ...]:
        loads.append(tenant_id)
        return stored[tenant_id]

    clock = FakeClock()
    cache = PatternCache(load, ttl_s=5.0, clock=clock)

    async def scenario() -> None:
        assert await cache.get("t1") == ("a.*",)
        assert await cache.get("t1") == ("a.*",)
        assert await cache.get("t2") == ()
        assert loads == ["t1", "t2"]
        stored["t1"] = ("a.*", "b")
        clock.now += 4.9
        assert await cache.get("t1") == ("a.*",)      # still fresh: no query
        clock.now += 0.2
        assert await cache.get("t1") == ("a.*", "b")  # expired: read again
        stored["t1"] = ()
        cache.forget("t1")
        assert await cache.get("t1") == ()            # a local change applies at once
        assert loads == ["t1", "t2", "t1", "t1"]

    asyncio.run(scenario())


def test_concurrent_misses_share_one_query() -> None:
    loads: list[str] = []

    def load(tenant_id: str) -> tuple[str, ...]:
        loads.append(tenant_id)
        return ("x",)

    cache = PatternCache(load, ttl_s=5.0)

    async def scenario() -> None:
        results = await asyncio.gather(*(cache.get("t1") for _ in range(20)))
        assert results == [("x",)] * 20

    asyncio.run(scenario())
    assert loads == ["t1"]


def test_a_load_overtaken_by_a_change_is_not_cached() -> None:
    started, release = threading.Event(), threading.Event()

    def load(tenant_id: str) -> tuple[str, ...]:
        started.set()
        release.wait(10)
        return ("stale",)

    cache = PatternCache(load, ttl_s=5.0)

    async def scenario() -> None:
        pending = asyncio.ensure_future(cache.get("t1"))
        assert await asyncio.to_thread(started.wait, 10)  # the query is under way
        cache.forget("t1")                                 # ...when a change commits
        release.set()
        assert await pending == ("stale",)
        assert cache.cached("t1") is None

    asyncio.run(scenario())
