"""An example third-party Bastion plugin: denies actions on a per-tenant blocklist.

It shows every part a plugin can have: a guard (``bastion_guard_check``), its own table and
Alembic branch (``bastion_migrations``), its own gRPC service (``bastion_services``), and
configuration (``[plugins.blocklist] cache_ttl_s``, default 5).
"""

from __future__ import annotations

import asyncio
import pathlib
import threading
import time

from bastion.runtime import hookimpl
from bastion.runtime.actions import ActionRequest
from bastion.runtime.config import Settings
from bastion.runtime.principal import Role
from bastion.runtime.services import ServiceContext, ServiceRegistration
from bastion.runtime.verdicts import GuardVerdict
from bastion.storage import Database
from bastion_blocklist import storage
from bastion_blocklist.matching import blocking_pattern

__version__ = "0.1.0"
MIGRATIONS = pathlib.Path(__file__).resolve().parent / "migrations"


class BlocklistPlugin:
    name = "blocklist"

    def __init__(self) -> None:
        self.database: Database | None = None
        self.cache_ttl_s = 5.0
        self._cache: dict[str, tuple[list[str], float]] = {}
        self._lock = threading.Lock()

    @hookimpl
    def bastion_configure(self, settings: Settings, database: Database) -> None:
        self.database = database
        ttl = float(settings.plugin_settings(self.name).get("cache_ttl_s", 5.0))
        if ttl < 0:
            raise ValueError("plugins.blocklist.cache_ttl_s must be >= 0")
        self.cache_ttl_s = ttl

    @hookimpl
    def bastion_migrations(self) -> list[pathlib.Path]:
        return [MIGRATIONS]

    @hookimpl
    def bastion_guard_check(self, request: ActionRequest) -> GuardVerdict | None:
        # A plain function: it may read storage, so Bastion runs it off the event loop,
        # bounded by the guard timeout.
        pattern = blocking_pattern(request.action, self.patterns(request.tenant_id))
        if pattern is None:
            return None
        return GuardVerdict.deny("blocked_action", f"{request.action} is on the blocklist",
                                 pattern=pattern)

    @hookimpl
    def bastion_services(self, context: ServiceContext) -> list[ServiceRegistration]:
        from bastion_blocklist.proto import blocklist_pb2_grpc
        from bastion_blocklist.servicer import BlocklistServicer

        return [ServiceRegistration(
            name="bastion_blocklist.v1.BlocklistService",
            add_to_server=blocklist_pb2_grpc.add_BlocklistServiceServicer_to_server,
            servicer=BlocklistServicer(self, context.lifecycle),
            method_roles={"ListEntries": Role.AGENT}, default_role=Role.OPERATOR)]

    # -- the per-tenant list, cached ------------------------------------------------------
    def patterns(self, tenant_id: str, *, fresh: bool = False) -> list[str]:
        now = time.monotonic()
        cached = self._cache.get(tenant_id)
        if cached is not None and cached[1] > now and not fresh:
            return cached[0]
        assert self.database is not None, "bastion_configure was not called"
        found = storage.patterns(self.database, tenant_id)
        with self._lock:
            self._cache[tenant_id] = (found, now + self.cache_ttl_s)
        return found

    async def patterns_async(self, tenant_id: str, *, fresh: bool = False) -> list[str]:
        return await asyncio.to_thread(self.patterns, tenant_id, fresh=fresh)

    def forget(self, tenant_id: str) -> None:
        with self._lock:
            self._cache.pop(tenant_id, None)
