"""Compiled policies per tenant, per replica, invalidated on change (SPEC G5).

The replica keeps the version of every scope that has policies (a tenant id, or ``*``
for the global ones), polled with one query for the versions above the highest it has
seen (:func:`bastion.storage.policies.changes_since`) at most every ``ttl_s`` seconds.
A tenant's compiled policies are reused while the two versions they were built from (the
tenant's and the global one) are current, so:

- a Check for a tenant whose policies are compiled touches no storage and waits for no
  thread (:meth:`PolicyCache.fresh`): past ``ttl_s`` it is answered from the last poll
  while the next one runs in the background;
- a tenant without policies of its own costs nothing to load;
- a change made through another replica or the CLI applies everywhere within ``ttl_s``
  (plus one poll's round trip);
  one made through this replica applies at once (``invalidate``, called from the
  ``bastion_policies_changed`` hook, forces a poll).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from bastion.runtime.policies import CompiledPolicy
from bastion.runtime.policy_admin import GLOBAL, compile_stored
from bastion.runtime.policy_set import PolicySet
from bastion.storage import Database
from bastion.storage import policies as store

_EMPTY = PolicySet(())
log = structlog.get_logger("bastion.semantic")


def _report_failure(poll: asyncio.Future[None]) -> None:
    """A background poll that failed (storage down): the last poll's policies stay in use
    and the next Check past ``ttl_s`` polls again."""
    if not poll.cancelled() and poll.exception() is not None:
        log.warning("policy_poll_failed", error=type(poll.exception()).__name__)


@dataclass(frozen=True)
class _Entry:
    policies: PolicySet
    tenant_policies: Sequence[CompiledPolicy]
    tenant_version: int
    global_version: int


class PolicyCache:
    def __init__(self, database: Database | None, ttl_s: float) -> None:
        self._db = database
        self._ttl = ttl_s
        self._versions: dict[str, int] = {}   # scope → version, as last polled
        self._seen = 0                        # highest version polled
        self._polled_at = -float("inf")
        self._entries: dict[str, _Entry] = {}
        self._globals: tuple[int, Sequence[CompiledPolicy]] = (0, ())
        self._polling: asyncio.Future[None] | None = None
        self._loading: dict[str, asyncio.Future[PolicySet]] = {}
        # Bumped by invalidate(): a poll that started before it must not be trusted.
        self._generation = 0

    def fresh(self, tenant_id: str) -> PolicySet | None:
        """The tenant's current policies when answerable without waiting, else None.

        Past ``ttl_s`` the answer still comes from the last poll while a new poll runs in
        the background (a change on another replica applies within ``ttl_s`` plus one
        poll); after ``invalidate`` (a change on this replica) nothing is answered until
        the next poll has run.
        """
        if self._polled_at == -float("inf"):
            return None
        if time.monotonic() - self._polled_at >= self._ttl and self._polling is None:
            self._polling = asyncio.ensure_future(self._poll())
            self._polling.add_done_callback(_report_failure)
        return self._current(tenant_id)

    def prime(self) -> None:
        """Polls once, synchronously (at start-up: the first Checks need not wait)."""
        assert self._db is not None
        changed = store.changes_since(self._db, self._seen)
        self._record(changed)
        self._polled_at = time.monotonic()

    async def get(self, tenant_id: str) -> PolicySet:
        """The tenant's current policies, polling and loading as needed (concurrent Checks
        share one poll, and one load per tenant)."""
        if self._polled_at == -float("inf"):
            if self._polling is None:
                self._polling = asyncio.ensure_future(self._poll())
            polling = self._polling
            await asyncio.shield(polling)
        current = self._current(tenant_id)
        if current is not None:
            return current
        loading = self._loading.get(tenant_id)
        if loading is None:
            loading = asyncio.ensure_future(self._load(tenant_id))
            self._loading[tenant_id] = loading
        return await asyncio.shield(loading)

    def invalidate(self, scope: str) -> None:
        """A change to ``scope`` is durable: poll before the next Check."""
        self._generation += 1
        self._polled_at = -float("inf")
        self._polling = None
        self._loading.clear()

    def _current(self, tenant_id: str) -> PolicySet | None:
        tenant_version = self._versions.get(tenant_id, 0)
        global_version = self._versions.get(GLOBAL, 0)
        entry = self._entries.get(tenant_id)
        if entry is not None and entry.tenant_version == tenant_version \
                and entry.global_version == global_version:
            return entry.policies
        if tenant_version == 0 and self._globals[0] == global_version:
            return self._globals_only()  # no policies of its own: nothing to load
        return None

    def _globals_only(self) -> PolicySet:
        """The shared set of every tenant without policies of its own (kept under the key
        "", which no tenant id is)."""
        version, policies = self._globals
        entry = self._entries.get("")
        if entry is None or entry.global_version != version:
            entry = _Entry(PolicySet(policies) if policies else _EMPTY, (), 0, version)
            self._entries[""] = entry
        return entry.policies

    async def _poll(self) -> None:
        generation = self._generation
        try:
            assert self._db is not None
            changed = await asyncio.to_thread(store.changes_since, self._db, self._seen)
        finally:
            if self._generation == generation:
                self._polling = None
        self._record(changed)
        if self._generation == generation:  # else the poll may predate the change
            self._polled_at = time.monotonic()

    def _record(self, changed: dict[str, int]) -> None:
        for scope, version in changed.items():  # an older, slower poll never goes back
            if version > self._versions.get(scope, 0):
                self._versions[scope] = version
        self._seen = max([self._seen, *changed.values()])

    async def _load(self, tenant_id: str) -> PolicySet:
        try:
            return await self._load_now(tenant_id)
        finally:
            self._loading.pop(tenant_id, None)

    async def _load_now(self, tenant_id: str) -> PolicySet:
        tenant_version = self._versions.get(tenant_id, 0)
        global_version = self._versions.get(GLOBAL, 0)
        entry = self._entries.get(tenant_id)
        reload_tenant = entry is None or entry.tenant_version != tenant_version
        reload_global = self._globals[0] != global_version
        tenant, global_ = await asyncio.to_thread(self._read, tenant_id, reload_tenant,
                                                  reload_global)
        if global_ is not None:
            self._globals = (global_version, global_)
        tenant_policies = tenant if tenant is not None else entry.tenant_policies \
            if entry is not None else ()
        policies = PolicySet([*self._globals[1], *tenant_policies])
        self._entries[tenant_id] = _Entry(policies, tenant_policies, tenant_version,
                                          self._globals[0])
        return policies

    def _read(self, tenant_id: str, tenant: bool, global_: bool
              ) -> tuple[list[CompiledPolicy] | None, list[CompiledPolicy] | None]:
        """Runs on a worker thread: reads and compiles what changed."""
        assert self._db is not None

        def load(scope: str) -> list[CompiledPolicy]:
            return compile_stored(store.list_policies(self._db, [scope], enabled_only=True))

        return (load(tenant_id) if tenant else None, load(GLOBAL) if global_ else None)
