"""The quota guard (SPEC G2): multi-tenant resource quotas, correct across replicas.

A Check asking for resources (``resources`` map, and ``estimated_cost_usd`` as ``cost``)
reserves them before it is answered, against counters read locked in the transaction that
writes them, so the grant is durable and replicas sharing PostgreSQL never grant more than
a limit in total. Two ways, the same grants:

- **Optimistic** (the default, ``optimistic = true``): the guard answers ALLOW at once and
  the reservation is staged with the decision, first in the decision's own transaction.
  If the grant is not a plain one there (over the limit, into the burst, reaching the
  throttle threshold, or throttled), nothing of the decision is written, and the lifecycle
  asks this guard again, for certain (below), and decides again. A decision that is not
  ALLOW reserves nothing. One commit per Check instead of two.
- **For certain** (revised decisions, ``optimistic = false``, shadow mode): the reservation
  is committed before the guard answers, and a decision that ends up not allowed (another
  guard refused) gives it back in the decision's transaction.
``GuardService.Report`` settles the reservation (releases held resources, corrects
consumed ones to the actual amount) and appends the usage time series.

Verdicts: DENY ``quota_exceeded`` over the limit (plus burst for cpu/memory); DEFER
``quota_throttled`` with a retry-after while the tenant is throttled on a resource; ALLOW
with reason ``quota_burst`` for a grant over the limit within the burst. Reasons carry
``resource``, ``requested``, ``used``, ``limit`` (and ``severity``), so a domain RPC refused
for quota answers RESOURCE_EXHAUSTED with a QuotaFailure. Every refusal or burst is stored
as a violation with severity and action. Configuration: see :mod:`.policy`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
from collections.abc import Awaitable
from typing import Any

import structlog

from bastion.plugins.quota.policy import KINDS, QuotaPolicy, TenantLimits, period_of, severity
from bastion.runtime import hookimpl
from bastion.runtime.actions import ActionRequest, UsageReport
from bastion.runtime.config import Settings
from bastion.runtime.ttl_cache import TtlCache
from bastion.runtime.unit_of_work import UnitOfWork
from bastion.runtime.verdicts import PLAIN_ALLOW, Decision, GuardVerdict, Reason, Verdict
from bastion.storage import Database, GroupCommitter
from bastion.storage import quotas as store
from bastion.storage.base import utcnow

log = structlog.get_logger("bastion.quota")


def _fmt(value: float) -> str:
    return f"{value:g}"


class QuotaPlugin:
    name = "quota"

    def __init__(self) -> None:
        self.policy = QuotaPolicy({})
        self.cache: TtlCache[str, TenantLimits] = TtlCache(self._read_limits,
                                                           self.policy.cache_ttl_s)
        self.database: Database | None = None
        self.committer: GroupCommitter | None = None

    @hookimpl
    def bastion_configure(self, settings: Settings, database: Database,
                          committer: GroupCommitter) -> None:
        self.policy = QuotaPolicy(settings.plugin_settings(self.name))
        self.cache = TtlCache(self._read_limits, self.policy.cache_ttl_s)
        self.database, self.committer = database, committer

    @staticmethod
    def concerned(request: ActionRequest) -> bool:
        """Only Checks asking for resources (run inline, before any task is made)."""
        return bool(request.resources) or request.estimated_cost_usd > 0

    async def limits(self, tenant_id: str) -> TenantLimits:
        """The tenant's effective limits (read at most every ``cache_ttl_s`` per replica)."""
        return await self.cache.get(tenant_id)

    async def _read_limits(self, tenant_id: str) -> TenantLimits:
        assert self.database is not None
        stored = await asyncio.to_thread(store.tenant_settings, self.database, tenant_id)
        return self.policy.limits_for(stored)

    # Runs on the event loop: an optimistic answer with the limits cached is plain
    # computation, answered at once; otherwise (a cache miss, a grant committed for
    # certain) it returns a coroutine the pipeline awaits.
    inline = True

    @hookimpl
    def bastion_guard_check(self, request: ActionRequest
                            ) -> GuardVerdict | None | Awaitable[GuardVerdict | None]:
        wanted = requested(request)
        if not wanted:
            return None
        hit, limits = self.cache.peek(request.tenant_id)
        if not hit:
            return self._check_after_loading(request, wanted)
        return self._check(request, wanted, limits)  # type: ignore[arg-type]

    async def _check_after_loading(self, request: ActionRequest,
                                   wanted: dict[str, float]) -> GuardVerdict | None:
        verdict = self._check(request, wanted, await self.limits(request.tenant_id))
        return await verdict if inspect.isawaitable(verdict) else verdict

    def _check(self, request: ActionRequest, wanted: dict[str, float], limits: TenantLimits
               ) -> GuardVerdict | Awaitable[GuardVerdict]:
        now = utcnow()
        items = [store.ReserveItem(
            resource=r, period=period_of(r, now), amount=amount, limit=limits.limits[r],
            allowed=self.policy.allowed(r, limits.limits[r]),
            throttle_at=self.policy.throttle_at(r, limits.limits[r], limits.throttle_threshold))
            for r, amount in wanted.items()]
        shadow = self.name in request.shadow_guards
        op = store.QuotaReserve(
            tenant_id=request.tenant_id, decision_id=request.decision_id,
            run_id=request.run_id, task_id=request.task_id, items=items, now=now,
            throttle_until=now + dt.timedelta(seconds=self.policy.throttle_window_s),
            optimistic=self.policy.optimistic and request.revision == 0 and not shadow)
        if op.optimistic:  # staged by bastion_decision_made, decided at commit
            request.scratch[self.name] = (items, op)
            return PLAIN_ALLOW
        return self._reserve_for_certain(request, items, op, shadow, now)

    async def _reserve_for_certain(self, request: ActionRequest,
                                   items: list[store.ReserveItem], op: store.QuotaReserve,
                                   shadow: bool, now: dt.datetime) -> GuardVerdict:
        outcome = await self._reserve(op, shadow)
        request.scratch[self.name] = (items, outcome)
        return self._verdict(items, outcome, now)

    async def _reserve(self, op: store.QuotaReserve, shadow: bool) -> store.ReserveOutcome:
        if shadow:  # evaluated, never changing usage
            assert self.database is not None
            return await asyncio.to_thread(store.dry_run, self.database, op)
        assert self.committer is not None
        await self.committer.commit_async([op])
        return op.outcome

    def _verdict(self, items: list[store.ReserveItem], outcome: store.ReserveOutcome,
                 now: dt.datetime) -> GuardVerdict:
        refused = outcome.refused
        if refused is not None and outcome.throttled_until is not None:
            wait = (outcome.throttled_until - now).total_seconds()
            return GuardVerdict(Verdict.DEFER, retry_after_s=max(wait, 0.001), reasons=(Reason(
                "quota_throttled",
                f"throttled on {refused.resource} until {outcome.throttled_until.isoformat()} "
                f"(usage reached {self._pct(outcome.used, refused.limit)} of the limit)",
                self._details(refused, outcome.used, until=outcome.throttled_until.isoformat())),))
        if refused is not None:
            would = outcome.used + refused.amount
            return GuardVerdict(Verdict.DENY, reasons=(Reason(
                "quota_exceeded",
                f"{refused.resource}: {_fmt(outcome.used)} used + {_fmt(refused.amount)} "
                f"requested > limit {_fmt(refused.limit)}",
                self._details(refused, outcome.used,
                              severity=severity(would, refused.limit))),))
        reasons = tuple(Reason(
            "quota_burst", f"{i.resource}: burst to {_fmt(outcome.used_after[i.resource])} "
            f"over limit {_fmt(i.limit)}",
            self._details(i, outcome.used_after[i.resource] - i.amount,
                          severity=severity(outcome.used_after[i.resource], i.limit)))
            for i in items if outcome.used_after[i.resource] > i.limit)
        return GuardVerdict(Verdict.ALLOW, reasons=reasons)

    @staticmethod
    def _pct(used: float, limit: float) -> str:
        return f"{used / limit:.0%}" if limit else "all"

    @staticmethod
    def _details(item: store.ReserveItem, used: float, **extra: str) -> dict[str, str]:
        return {"resource": item.resource, "requested": _fmt(item.amount),
                "used": _fmt(used), "limit": _fmt(item.limit), **extra}

    @hookimpl
    def bastion_decision_made(self, request: ActionRequest, decision: Decision,
                              unit_of_work: UnitOfWork) -> None:
        entry = request.scratch.get(self.name)
        if entry is None:
            return
        items, outcome = entry
        if isinstance(outcome, store.QuotaReserve):  # optimistic: reserve only if allowed
            if decision.verdict is Verdict.ALLOW:
                unit_of_work.add(outcome)
            return
        rows = self._violations(request, items, outcome, decision)
        if rows:
            unit_of_work.add(store.InsertQuotaViolations(rows))
        if (outcome.granted and decision.verdict is not Verdict.ALLOW
                and self.name not in request.shadow_guards):
            unit_of_work.add(store.QuotaSettle(
                tenant_id=request.tenant_id, decision_id=request.decision_id, actual={},
                kinds=KINDS, now=decision.decided_at, refund=True))

    def _violations(self, request: ActionRequest, items: list[store.ReserveItem],
                    outcome: store.ReserveOutcome, decision: Decision) -> list[dict[str, Any]]:
        base = {"tenant_id": request.tenant_id, "decision_id": request.decision_id,
                "at": decision.decided_at}
        refused = outcome.refused
        if refused is not None:
            would = outcome.used + refused.amount
            action = "throttle" if outcome.throttled_until is not None else "reject"
            return [{**base, "resource": refused.resource, "requested": refused.amount,
                     "used": outcome.used, "limit": refused.limit,
                     "severity": severity(would, refused.limit), "action": action}]
        return [{**base, "resource": i.resource, "requested": i.amount,
                 "used": outcome.used_after[i.resource] - i.amount, "limit": i.limit,
                 "severity": severity(outcome.used_after[i.resource], i.limit),
                 "action": "burst_allowed"}
                for i in items if outcome.used_after.get(i.resource, 0) > i.limit]

    @hookimpl
    def bastion_usage_reported(self, report: UsageReport, unit_of_work: UnitOfWork) -> None:
        now = utcnow()
        actual = {**report.usage, "cost": report.cost_usd}
        unit_of_work.add(store.QuotaSettle(
            tenant_id=report.principal.tenant_id, decision_id=report.decision_id,
            actual=actual, kinds=KINDS, now=now))
        rows = [{"tenant_id": report.principal.tenant_id, "resource": r, "amount": amount,
                 "run_id": report.run_id, "task_id": report.task_id,
                 "decision_id": report.decision_id, "ts": now}
                for r, amount in actual.items() if amount or r in report.usage]
        if rows:
            unit_of_work.add(store.InsertUsageRecords(rows))


def requested(request: ActionRequest) -> dict[str, float]:
    """The resources a request asks for; ``estimated_cost_usd`` counts as ``cost``."""
    wanted = {r: amount for r, amount in request.resources.items() if amount > 0}
    if request.estimated_cost_usd > 0:
        wanted["cost"] = wanted.get("cost", 0.0) + request.estimated_cost_usd
    return wanted
