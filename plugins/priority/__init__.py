"""The priority guard (SPEC G4): under resource pressure, higher-priority work preempts
lower-priority work of the same tenant.

A resource is under pressure when the tenant's usage of it is at or above
``[plugins.priority] pressure_threshold`` (0.8) of its quota (``memory`` and ``gpu``: 0.85,
``pressure_thresholds``). A Check at P0, P1 or P2 arriving under pressure preempts up to
``preempt_per_check`` (1) ACTIVE units of the tenant of strictly lower classes (P1 arrivals:
P2 and P3; P2: P3; P0: P1–P3; the lowest class and the most recent lease first). P0 work is
never preempted. Preempted units keep their checkpoint, get a history row naming the
resource and threshold, and fail with ``max_preemptions`` beyond the limit (work queue).

The guard acts when it is asked (pressure is real whatever the other guards say) and
answers ALLOW with reason ``preempted_lower_priority`` listing the units, so the decision
and its ledger entry say which units made room. It is not concerned otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from bastion.plugins.quota.policy import QuotaPolicy, TenantLimits, period_of
from bastion.runtime import hookimpl
from bastion.runtime.actions import RESOURCES, ActionRequest
from bastion.runtime.config import Settings
from bastion.runtime.ttl_cache import TtlCache
from bastion.runtime.verdicts import GuardVerdict, Reason, Verdict
from bastion.storage import Database, GroupCommitter
from bastion.storage import quotas as quota_store
from bastion.storage import work as work_store
from bastion.storage.base import utcnow

DEFAULT_THRESHOLDS = {"memory": 0.85, "gpu": 0.85}
Pressure = tuple[str, float, float, float]  # (resource, used, limit, threshold)


class PriorityPlugin:
    name = "priority"

    def __init__(self) -> None:
        self.policy = QuotaPolicy({})
        self.limits: TtlCache[str, TenantLimits] = TtlCache(self._read_limits,
                                                            self.policy.cache_ttl_s)
        self.default_threshold = 0.8
        self.thresholds: dict[str, float] = dict(DEFAULT_THRESHOLDS)
        self.preempt_per_check = 1
        self.pressure_cache_ttl_s = 1.0
        self.max_preemptions = 3
        self.pressure: TtlCache[str, Pressure | None] = TtlCache(self._read_pressure, 1.0)
        self.database: Database | None = None
        self.committer: GroupCommitter | None = None

    @hookimpl
    def bastion_configure(self, settings: Settings, database: Database,
                          committer: GroupCommitter) -> None:
        section = settings.plugin_settings(self.name)
        # Pressure is measured against the quotas the quota guard enforces.
        self.policy = QuotaPolicy(settings.plugin_settings("quota"))
        self.limits = TtlCache(self._read_limits, self.policy.cache_ttl_s)
        self.default_threshold = float(section.get("pressure_threshold", 0.8))
        self.thresholds = {**DEFAULT_THRESHOLDS, **{
            k: float(v) for k, v in dict(section.get("pressure_thresholds", {})).items()}}
        unknown = set(self.thresholds) - set(RESOURCES)
        if unknown:
            raise ValueError(f"plugins.priority.pressure_thresholds: unknown {sorted(unknown)}")
        self.preempt_per_check = int(section.get("preempt_per_check", 1))
        self.pressure_cache_ttl_s = float(section.get("pressure_cache_ttl_s", 1.0))
        self.pressure = TtlCache(self._read_pressure, self.pressure_cache_ttl_s)
        self.max_preemptions = settings.max_preemptions
        self.database, self.committer = database, committer

    # Runs on the event loop: with no pressure in the cached usage it answers at once;
    # otherwise (or on a miss) it returns a coroutine the pipeline awaits.
    inline = True

    @hookimpl
    def bastion_guard_check(self, request: ActionRequest
                            ) -> GuardVerdict | None | Awaitable[GuardVerdict | None]:
        hit, pressure = self.pressure.peek(request.tenant_id)
        if hit and pressure is None:
            return None
        return self._check(request)

    async def _check(self, request: ActionRequest) -> GuardVerdict | None:
        # Pressure is a coarse, slowly changing signal: read from the shared counters at
        # most every pressure_cache_ttl_s per tenant and replica, not on every Check.
        pressure = await self.pressure.get(request.tenant_id)
        if pressure is None:
            return None
        resource, used, limit, threshold = pressure
        victims = tuple(p for p in (1, 2, 3) if p > request.priority)
        if self.name in request.shadow_guards:
            return await self._would_preempt(request, victims, pressure)
        assert self.committer is not None
        op = work_store.PreemptUnits(
            tenant_id=request.tenant_id, priorities=victims, limit=self.preempt_per_check,
            reason=f"preempted for {request.action} (P{request.priority}) under "
                   f"{resource} pressure",
            actor=request.principal.subject, now=utcnow(), resource=resource,
            threshold=threshold, max_preemptions=self.max_preemptions)
        await self.committer.commit_async([op])
        if not op.preempted:
            return None
        return GuardVerdict(Verdict.ALLOW, reasons=(Reason(
            "preempted_lower_priority",
            f"{resource} at {used / limit:.0%} of its quota (threshold {threshold:.0%}): "
            f"preempted {', '.join(op.preempted)}",
            {"pressure_resource": resource, "used": f"{used:g}", "limit": f"{limit:g}",
             "threshold": f"{threshold:g}", "units_preempted": ",".join(op.preempted)}),))

    async def _would_preempt(self, request: ActionRequest, victims: tuple[int, ...],
                             pressure: Pressure) -> GuardVerdict | None:
        """Shadow mode: what a preemption would take, preempting nothing."""
        assert self.database is not None
        ids = await asyncio.to_thread(
            work_store.preemption_preview, self.database, tenant_id=request.tenant_id,
            priorities=victims, limit=self.preempt_per_check)
        if not ids:
            return None
        resource, used, limit, threshold = pressure
        return GuardVerdict(Verdict.ALLOW, reasons=(Reason(
            "would_preempt_lower_priority",
            f"{resource} at {used / limit:.0%} of its quota (threshold {threshold:.0%}): "
            f"would preempt {', '.join(ids)}",
            {"pressure_resource": resource, "used": f"{used:g}", "limit": f"{limit:g}",
             "threshold": f"{threshold:g}", "units_preempted": ",".join(ids)}),))

    @staticmethod
    def concerned(request: ActionRequest) -> bool:
        """P3 arrivals preempt nothing (run inline, before any task is made)."""
        return request.priority < 3

    async def _read_pressure(self, tenant_id: str) -> Pressure | None:
        """The resource under the most pressure, if any: (resource, used, limit,
        threshold)."""
        assert self.database is not None
        limits = await self.limits.get(tenant_id)
        now = utcnow()
        counters = await asyncio.to_thread(
            quota_store.counters, self.database, tenant_id, ["", period_of("tokens", now)])
        worst: tuple[float, tuple[str, float, float, float]] | None = None
        for counter in counters:
            if counter.period != period_of(counter.resource, now):
                continue
            limit = limits.limits.get(counter.resource, 0.0)
            if limit <= 0:
                continue
            threshold = self.thresholds.get(counter.resource, self.default_threshold)
            fraction = counter.used / limit
            if fraction >= threshold and (worst is None or fraction > worst[0]):
                worst = (fraction, (counter.resource, counter.used, limit, threshold))
        return None if worst is None else worst[1]

    async def _read_limits(self, tenant_id: str) -> TenantLimits:
        assert self.database is not None
        stored = await asyncio.to_thread(quota_store.tenant_settings, self.database, tenant_id)
        return self.policy.limits_for(stored)