"""Which guards run in shadow mode for a tenant.

A guard's mode comes from three places, the later overriding the earlier:
1. ``[guards.<name>] mode`` in the configuration (every tenant);
2. ``[guards.<name>] shadow_tenants`` (those tenants shadowed, the rest as configured);
3. an admin's per-tenant override (``AdminService.SetGuardMode``, table ``guard_modes``),
   re-read by every replica each ``guard_modes_refresh_s`` and at once by the replica that
   made the change.

A shadowed guard is still evaluated and its result recorded in the decision's
``shadow_results``; it never changes the verdict. Guards with side effects (the quota
guard reserves, the priority guard preempts) read ``request.shadow_guards`` and only
report what they would have done.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bastion.runtime.config import Settings
from bastion.storage import Database
from bastion.storage import guard_modes as store

_NONE: frozenset[str] = frozenset()


class GuardModes:
    def __init__(self, settings: Settings, guards: Iterable[str]) -> None:
        self.guards = tuple(guards)
        configured = {name: settings.guard_settings(name) for name in self.guards}
        self._default = frozenset(n for n, g in configured.items() if g.mode == "shadow")
        by_tenant: dict[str, set[str]] = {}
        for name, guard in configured.items():
            for tenant_id in guard.shadow_tenants:
                by_tenant.setdefault(tenant_id, set()).add(name)
        self._configured_tenants = {t: frozenset(g) for t, g in by_tenant.items()}
        self._overrides: Mapping[str, Mapping[str, str]] = {}
        self._resolved: dict[str, frozenset[str]] = {}

    def shadowed(self, tenant_id: str) -> frozenset[str]:
        """The guards that run in shadow mode for ``tenant_id`` (hot path: a dict lookup)."""
        if not self._overrides and not self._configured_tenants:
            return self._default
        resolved = self._resolved.get(tenant_id)
        if resolved is None:
            resolved = self._resolve(tenant_id)
            self._resolved[tenant_id] = resolved
        return resolved

    def effective(self, tenant_id: str) -> dict[str, tuple[str, str]]:
        """guard → (mode, where it comes from: ``config`` or ``tenant``) for every guard."""
        shadowed = self.shadowed(tenant_id)
        overrides = self._overrides.get(tenant_id, {})
        return {name: ("shadow" if name in shadowed else "enforce",
                       "tenant" if name in overrides else "config") for name in self.guards}

    def refresh(self, database: Database) -> None:
        """Re-reads every tenant's overrides (a background job on each replica)."""
        self.replace(store.all_modes(database))

    def replace(self, overrides: Mapping[str, Mapping[str, str]]) -> None:
        # Rebinding (never mutating) keeps readers on the event loop lock-free.
        self._overrides = overrides
        self._resolved = {}

    def set_local(self, tenant_id: str, guard: str, mode: str | None) -> None:
        """Applies a committed change on this replica before the next refresh."""
        overrides = {t: dict(m) for t, m in self._overrides.items()}
        if mode is None:
            overrides.get(tenant_id, {}).pop(guard, None)
        else:
            overrides.setdefault(tenant_id, {})[guard] = mode
        self.replace({t: m for t, m in overrides.items() if m})

    def _resolve(self, tenant_id: str) -> frozenset[str]:
        shadowed = set(self._default | self._configured_tenants.get(tenant_id, _NONE))
        for guard, mode in self._overrides.get(tenant_id, {}).items():
            if mode == "shadow":
                shadowed.add(guard)
            else:
                shadowed.discard(guard)
        return frozenset(shadowed)
