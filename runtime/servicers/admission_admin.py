"""AdminService RPCs for quotas and budgets (SPEC G2, G3): a mixin of the AdminServicer.

SetQuota is admin-only (a tenant's operator must not raise its own quota); SetBudget,
GetQuota and GetBudget need an operator. Changes are ledgered actions (``admin.quota.set``,
``admin.budget.set``) committed in the same transaction as the change.
"""

from __future__ import annotations

import asyncio

import grpc

from bastion.runtime import admission
from bastion.runtime.config import Settings
from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.lifecycle import Lifecycle
from bastion.runtime.principal import current_principal
from bastion.storage import Database
from bastion.v1 import admin_service_pb2 as pb


class AdmissionAdmin:
    _lifecycle: Lifecycle
    _db: Database
    _settings: Settings

    async def SetQuota(self, request: pb.SetQuotaRequest,
                       context: grpc.aio.ServicerContext) -> pb.SetQuotaResponse:
        tenant_id = current_principal().tenant_id
        op = await asyncio.to_thread(
            admission.quota_change, self._db, self._settings, tenant_id, tier=request.tier,
            limits=dict(request.limits), clear=list(request.clear),
            throttle_threshold=request.throttle_threshold)
        await guarded_call(self._lifecycle, "admin.quota.set", lambda uow: uow.add(op),
                           attributes={"tier": op.tier, "limits": dict(op.limits),
                                       "clear": list(op.clear),
                                       "throttle_threshold": op.throttle_threshold})
        return pb.SetQuotaResponse(status=await self._quota_status(tenant_id))

    async def GetQuota(self, request: pb.GetQuotaRequest,
                       context: grpc.aio.ServicerContext) -> pb.GetQuotaResponse:
        return pb.GetQuotaResponse(
            status=await self._quota_status(current_principal().tenant_id))

    async def _quota_status(self, tenant_id: str) -> pb.QuotaStatus:
        view = await asyncio.to_thread(admission.quota_view, self._db, self._settings, tenant_id)
        status = pb.QuotaStatus(tier=view.tier, throttle_threshold=view.throttle_threshold)
        for r in view.resources:
            entry = status.resources.add(resource=r.resource, limit=r.limit, used=r.used,
                                         overridden=r.overridden, burst=r.burst)
            if r.throttled_until is not None:
                entry.throttled_until.FromDatetime(r.throttled_until)
        for row in view.violations:
            violation = status.violations.add(
                resource=row.resource, requested=row.requested, used=row.used, limit=row.limit,
                severity=row.severity, action=row.action, decision_id=row.decision_id)
            violation.at.FromDatetime(row.at)
        return status

    async def SetBudget(self, request: pb.SetBudgetRequest,
                        context: grpc.aio.ServicerContext) -> pb.SetBudgetResponse:
        tenant_id = current_principal().tenant_id
        op = admission.budget_change(tenant_id, request.run_id, request.total_usd)
        await guarded_call(self._lifecycle, "admin.budget.set", lambda uow: uow.add(op),
                           attributes={"run_id": op.run_id, "total_micros": op.total_micros})
        return pb.SetBudgetResponse(budget=await self._budget(tenant_id, op.run_id))

    async def GetBudget(self, request: pb.GetBudgetRequest,
                        context: grpc.aio.ServicerContext) -> pb.GetBudgetResponse:
        return pb.GetBudgetResponse(
            budget=await self._budget(current_principal().tenant_id, request.run_id))

    async def _budget(self, tenant_id: str, run_id: str) -> pb.RunBudget:
        view = await asyncio.to_thread(admission.budget_view, self._db, tenant_id, run_id)
        out = pb.RunBudget(run_id=view.run_id, total_usd=view.total_usd,
                           spent_usd=view.spent_usd, remaining_usd=view.remaining_usd,
                           used_fraction=view.used_fraction, paused=view.paused)
        for e in view.events:
            event = out.events.add(
                threshold=e.threshold, action=e.action, total_usd=e.total_usd,
                spent_usd=e.spent_usd, remaining_usd=max(e.total_usd - e.spent_usd, 0.0),
                used_fraction=e.spent_usd / e.total_usd, units_affected=e.units_affected,
                priorities_preempted=e.priorities_preempted)
            event.at.FromDatetime(e.at)
        return out
