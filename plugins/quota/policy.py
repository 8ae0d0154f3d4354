"""Quota policy (SPEC G2): tiers, limits, burst, throttling and violation severity.

Configuration, ``[plugins.quota]`` (every value has a default; tenants override limits,
tier and throttle threshold with ``AdminService.SetQuota`` / ``bastion quota set``):

- ``default_tier`` (``standard``): the tier of a tenant that has none set.
- ``tiers.<tier>.<resource>``: a tier's default limit (see :data:`TIER_DEFAULTS`).
- ``burst`` (``{cpu = 0.2, memory = 0.2}``): the overage a resource may use beyond its
  limit, as a fraction of it; such a grant is flagged ``burst``.
- ``throttle_threshold`` (0.9): usage fraction from which the tenant is throttled on that
  resource for ``throttle_window_s`` (300): its checks asking for it get DEFER.
- ``cache_ttl_s`` (5): how long a replica keeps a tenant's limits; a SetQuota applies on
  every replica within this time.
- ``optimistic`` (true): decide a Check's reservation in the decision's own transaction
  when it is a plain grant (see the quota plugin); false: always commit it first.

Choices where the SPEC is open: tokens and cost are counted per UTC day; cpu, memory, gpu
and concurrent_runs are held from the Check until its Report releases them; storage is kept
at the reported amount. Throttling is per resource: a tenant throttled on tokens can still
get cpu.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bastion.runtime.actions import RESOURCES
from bastion.storage.quotas import CONSUMED, HELD, PERSISTENT, TenantQuotaSettings

TIERS = ("free", "standard", "premium", "enterprise")
KINDS: Mapping[str, str] = {
    "cpu": HELD, "memory": HELD, "gpu": HELD, "concurrent_runs": HELD,
    "tokens": CONSUMED, "cost": CONSUMED, "storage": PERSISTENT,
}
TIER_DEFAULTS: Mapping[str, Mapping[str, float]] = {
    "free": {"cpu": 2, "memory": 4, "storage": 10, "tokens": 100_000, "cost": 10,
             "gpu": 0, "concurrent_runs": 2},
    "standard": {"cpu": 8, "memory": 32, "storage": 100, "tokens": 1_000_000, "cost": 100,
                 "gpu": 1, "concurrent_runs": 10},
    "premium": {"cpu": 32, "memory": 128, "storage": 1_000, "tokens": 10_000_000,
                "cost": 1_000, "gpu": 4, "concurrent_runs": 50},
    "enterprise": {"cpu": 128, "memory": 512, "storage": 10_000, "tokens": 100_000_000,
                   "cost": 10_000, "gpu": 16, "concurrent_runs": 200},
}
# Severity of a violation by how far usage would go over the limit (SPEC G2).
SEVERITIES = ((0.10, "low"), (0.25, "medium"), (0.50, "high"))


def severity(would_use: float, limit: float) -> str:
    if limit <= 0:
        return "critical" if would_use > 0 else "low"
    over = (would_use - limit) / limit
    for bound, name in SEVERITIES:
        if over < bound:
            return name
    return "critical"


def period_of(resource: str, now: dt.datetime) -> str:
    """The counter a resource is counted in: the UTC day for consumed ones."""
    # date().isoformat() is the same "YYYY-MM-DD", ~7x cheaper than strftime (twice per
    # Check asking for tokens and cost).
    return now.date().isoformat() if KINDS[resource] == CONSUMED else ""


@dataclass(frozen=True)
class TenantLimits:
    tier: str
    limits: Mapping[str, float]
    overridden: frozenset[str]
    throttle_threshold: float


class QuotaPolicy:
    def __init__(self, section: Mapping[str, Any]) -> None:
        self.default_tier = str(section.get("default_tier", "standard"))
        tiers = {t: dict(v) for t, v in TIER_DEFAULTS.items()}
        for tier, values in dict(section.get("tiers", {})).items():
            if tier not in tiers:
                raise ValueError(f"plugins.quota.tiers: unknown tier {tier!r}")
            tiers[tier].update({k: _limit(f"tiers.{tier}.{k}", k, v) for k, v in values.items()})
        self.tiers = tiers
        if self.default_tier not in tiers:
            raise ValueError(f"plugins.quota.default_tier: unknown tier {self.default_tier!r}")
        self.burst = {k: float(v) for k, v in dict(
            section.get("burst", {"cpu": 0.2, "memory": 0.2})).items()}
        self.throttle_threshold = float(section.get("throttle_threshold", 0.9))
        self.throttle_window_s = float(section.get("throttle_window_s", 300))
        self.cache_ttl_s = float(section.get("cache_ttl_s", 5))
        self.optimistic = section.get("optimistic", True)
        if not isinstance(self.optimistic, bool):
            raise ValueError("plugins.quota.optimistic must be true or false")
        if not 0 < self.throttle_threshold <= 1:
            raise ValueError("plugins.quota.throttle_threshold must be in (0, 1]")

    def limits_for(self, stored: TenantQuotaSettings) -> TenantLimits:
        tier = stored.tier or self.default_tier
        limits = dict(self.tiers.get(tier, self.tiers[self.default_tier]))
        limits.update(stored.limits)
        return TenantLimits(tier=tier, limits=limits, overridden=frozenset(stored.limits),
                            throttle_threshold=stored.throttle_threshold
                            or self.throttle_threshold)

    def allowed(self, resource: str, limit: float) -> float:
        """The most a grant may bring usage to: the limit plus the resource's burst."""
        return limit * (1 + self.burst.get(resource, 0.0))

    def throttle_at(self, resource: str, limit: float, threshold: float) -> float:
        """Usage from which a grant throttles the tenant on the resource (inf: never)."""
        return limit * threshold if threshold < 1 else math.inf


def _limit(where: str, resource: str, value: Any) -> float:
    if resource not in RESOURCES:
        raise ValueError(f"plugins.quota.{where}: unknown resource")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"plugins.quota.{where}: must be a finite number >= 0")
    return number
