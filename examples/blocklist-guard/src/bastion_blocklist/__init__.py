"""bastion-blocklist-guard: an example third-party Bastion plugin that denies actions on a
per-tenant blocklist. It is the worked example of ``docs/plugins.md`` and uses one hook of
each kind a plugin usually needs:

- ``bastion_configure``: reads ``[plugins.blocklist] cache_ttl_s`` and keeps the database;
- ``bastion_migrations``: its own Alembic branch creating ``blocklist_entries``;
- ``bastion_guard_check``: the guard (DENY, reason ``blocked_action``);
- ``bastion_services``: ``bastion.blocklist.v1.BlocklistService`` to manage the list.
"""

from __future__ import annotations

import pathlib

from bastion.runtime import hookimpl
from bastion.runtime.actions import ActionRequest
from bastion.runtime.config import Settings
from bastion.runtime.principal import Role
from bastion.runtime.services import ServiceContext, ServiceRegistration
from bastion.runtime.verdicts import GuardVerdict
from bastion.storage import Database
from bastion_blocklist import storage
from bastion_blocklist.cache import PatternCache
from bastion_blocklist.matching import blocking_pattern

__version__ = "0.1.0"
__all__ = ["BlocklistPlugin"]

MIGRATIONS = pathlib.Path(__file__).resolve().parent / "migrations"
DEFAULT_CACHE_TTL_S = 5.0
# The plugin's own management actions: no entry may lock operators out of the list.
MANAGEMENT_ACTIONS = frozenset({"blocklist.add_entry", "blocklist.remove_entry"})


class BlocklistPlugin:
    """Registered as ``blocklist`` (entry point ``bastion_blocklist:BlocklistPlugin``). The
    class is instantiated once per plugin manager, so each server has its own cache."""

    name = "blocklist"

    def __init__(self) -> None:
        self.database: Database | None = None
        self.cache = PatternCache(self._load, DEFAULT_CACHE_TTL_S)

    @hookimpl
    def bastion_configure(self, settings: Settings, database: Database) -> None:
        raw = settings.plugin_settings(self.name).get("cache_ttl_s", DEFAULT_CACHE_TTL_S)
        try:
            ttl = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"plugins.blocklist.cache_ttl_s must be a number, not {raw!r}") \
                from None
        if not 0 <= ttl <= 3600:
            raise ValueError("plugins.blocklist.cache_ttl_s must be between 0 and 3600 seconds")
        self.cache.ttl_s = ttl
        self.database = database

    @hookimpl
    def bastion_migrations(self) -> list[pathlib.Path]:
        return [MIGRATIONS]

    @hookimpl
    async def bastion_guard_check(self, request: ActionRequest) -> GuardVerdict | None:
        # async: a cache hit answers on the event loop with no thread hand-off; a miss awaits
        # one query on a worker thread. Bastion bounds the whole call by the guard timeout.
        if request.action in MANAGEMENT_ACTIONS:
            return None
        pattern = blocking_pattern(request.action, await self.cache.get(request.tenant_id))
        if pattern is None:
            return None
        return GuardVerdict.deny("blocked_action", f"{request.action} is on the blocklist",
                                 pattern=pattern)

    @hookimpl
    def bastion_services(self, context: ServiceContext) -> list[ServiceRegistration]:
        from bastion_blocklist.servicer import BlocklistServicer
        from bastion_blocklist.v1 import blocklist_pb2_grpc

        return [ServiceRegistration(
            name="bastion.blocklist.v1.BlocklistService",
            add_to_server=blocklist_pb2_grpc.add_BlocklistServiceServicer_to_server,
            servicer=BlocklistServicer(context.lifecycle, context.database, self.cache),
            method_roles={"AddEntry": Role.OPERATOR, "RemoveEntry": Role.OPERATOR,
                          "ListEntries": Role.AGENT},
            default_role=Role.ADMIN)]

    def _load(self, tenant_id: str) -> tuple[str, ...]:
        if self.database is None:
            raise RuntimeError("bastion_configure was not called")
        return storage.patterns(self.database, tenant_id)
