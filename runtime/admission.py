"""Managing quotas and budgets (SPEC G2, G3): validation, the staged change and the views
that AdminService and the ``bastion quota|budget`` commands share. No protobuf here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bastion.plugins.quota.policy import TIERS, QuotaPolicy, period_of
from bastion.runtime import validation as v
from bastion.runtime.actions import RESOURCES
from bastion.runtime.config import Settings
from bastion.runtime.errors import InvalidArgument, NotFound
from bastion.storage import Database
from bastion.storage import budgets as budget_store
from bastion.storage import quotas as quota_store
from bastion.storage.base import as_utc, utcnow

MAX_LIMIT = 1e15
MAX_BUDGET_USD = 1e12


def quota_policy(settings: Settings) -> QuotaPolicy:
    return QuotaPolicy(settings.plugin_settings("quota"))


def quota_change(db: Database, settings: Settings, tenant_id: str, *, tier: str,
                 limits: Mapping[str, float], clear: Sequence[str],
                 throttle_threshold: float) -> quota_store.SaveQuotaSettings:
    """Validates a SetQuota request and returns the write to stage (empty tier and a 0
    threshold keep the current ones)."""
    limits = v.amounts(limits, "limits", known=RESOURCES)
    for resource, value in limits.items():
        if value > MAX_LIMIT:
            raise InvalidArgument(f"limits[{resource}]", f"must be at most {MAX_LIMIT:g}")
    for resource in clear:
        if resource not in RESOURCES:
            raise InvalidArgument("clear", f"unknown resource {resource[:64]!r}")
    if tier and tier not in TIERS:
        raise InvalidArgument("tier", f"must be one of {', '.join(TIERS)}")
    threshold = v.amount(throttle_threshold, "throttle_threshold")
    if threshold > 1:
        raise InvalidArgument("throttle_threshold", "must be in (0, 1] (0 keeps it)")
    current = quota_store.tenant_settings(db, tenant_id)
    return quota_store.SaveQuotaSettings(
        tenant_id=tenant_id, tier=tier or current.tier or quota_policy(settings).default_tier,
        throttle_threshold=threshold or current.throttle_threshold, limits=limits,
        clear=list(clear), now=utcnow())


@dataclass(frozen=True)
class ResourceView:
    resource: str
    limit: float
    used: float
    overridden: bool
    burst: float
    throttled_until: dt.datetime | None


@dataclass(frozen=True)
class QuotaView:
    tier: str
    throttle_threshold: float
    resources: tuple[ResourceView, ...]
    violations: tuple[quota_store.QuotaViolationRow, ...]


def quota_view(db: Database, settings: Settings, tenant_id: str) -> QuotaView:
    policy = quota_policy(settings)
    now = utcnow()
    limits = policy.limits_for(quota_store.tenant_settings(db, tenant_id))
    counters = {c.resource: c for c in quota_store.counters(
        db, tenant_id, ["", period_of("tokens", now)]) if c.period == period_of(c.resource, now)}
    resources = []
    for resource in RESOURCES:
        counter = counters.get(resource)
        until = counter.throttled_until if counter else None
        resources.append(ResourceView(
            resource=resource, limit=limits.limits[resource],
            used=counter.used if counter else 0.0, overridden=resource in limits.overridden,
            burst=policy.burst.get(resource, 0.0),
            throttled_until=until if until is not None and until > now else None))
    return QuotaView(tier=limits.tier, throttle_threshold=limits.throttle_threshold,
                     resources=tuple(resources),
                     violations=tuple(quota_store.recent_violations(db, tenant_id)))


def budget_change(tenant_id: str, run_id: str, total_usd: float) -> budget_store.SetRunBudget:
    run_id = v.identifier(run_id, "run_id", 256, required=True)
    total = v.amount(total_usd, "total_usd", maximum=MAX_BUDGET_USD)
    if total <= 0:
        raise InvalidArgument("total_usd", "must be greater than 0")
    return budget_store.SetRunBudget(tenant_id=tenant_id, run_id=run_id,
                                     total_micros=budget_store.to_micros(total), now=utcnow())


@dataclass(frozen=True)
class EventView:
    threshold: float
    action: str
    total_usd: float
    spent_usd: float
    units_affected: tuple[str, ...]
    priorities_preempted: tuple[str, ...]
    at: dt.datetime


@dataclass(frozen=True)
class BudgetView:
    run_id: str
    total_usd: float
    spent_usd: float
    paused: bool
    events: tuple[EventView, ...]

    @property
    def remaining_usd(self) -> float:
        return max(self.total_usd - self.spent_usd, 0.0)

    @property
    def used_fraction(self) -> float:
        return self.spent_usd / self.total_usd


def budget_view(db: Database, tenant_id: str, run_id: str) -> BudgetView:
    run_id = v.identifier(run_id, "run_id", 256, required=True)
    budget = budget_store.get_budget(db, tenant_id, run_id)
    if budget is None or not budget.total_micros:
        raise NotFound(f"run {run_id} has no budget")
    events = budget_store.list_events(db, tenant_id, run_id)
    total, spent = budget.total_micros, budget.spent_micros
    pause = next((e.threshold for e in events if e.action == "pause"), None)
    return BudgetView(
        run_id=run_id, total_usd=total / budget_store.MICROS,
        spent_usd=spent / budget_store.MICROS,
        paused=pause is not None and spent >= pause * total,
        events=tuple(EventView(
            threshold=e.threshold, action=_event_action(e),
            total_usd=e.total_micros / budget_store.MICROS,
            spent_usd=e.spent_micros / budget_store.MICROS, units_affected=e.units_affected,
            priorities_preempted=e.priorities_preempted, at=as_utc(e.at)) for e in events))


def _event_action(event: budget_store.BudgetEvent) -> str:
    """``preempt_p3``, ``preempt_p2_p3`` as the API names them; others as stored."""
    if event.action != "preempt":
        return event.action
    return "preempt_" + "_".join(p.lower() for p in sorted(event.priorities_preempted))
