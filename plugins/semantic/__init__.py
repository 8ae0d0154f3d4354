"""The semantic guard (SPEC G5): the tenant's and the global CEL policies, evaluated
against every action.

Policies are managed by the core (``AdminService.PutPolicy``…, ``bastion policy …``,
:mod:`bastion.runtime.policy_admin`); this plugin evaluates them. Per Check it evaluates
only the policies whose action constraint can match (:mod:`bastion.runtime.policy_set`),
with one CEL activation, on the event loop (``inline``: a few microseconds per policy);
only a cache refresh reads storage. Verdicts and reasons: :mod:`bastion.runtime.policy_eval`.

Telemetry (SPEC W3): every policy match is a GUARDIAN_DECISION entry (policy id, effect,
mode, whether it was enforced); every evaluation error an ERROR entry naming the policy.

Policy changes are never judged by policies: actions ``admin.policy.*`` are not this
guard's concern, so a bad policy can always be fixed or disabled.

Configuration, ``[plugins.semantic]``: ``cache_ttl_s`` (1.0): how long a replica trusts
its compiled policies before re-reading the change counters; a change through another
replica or the CLI applies within this time (through this replica: at once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from bastion.runtime import hookimpl
from bastion.runtime.actions import ActionRequest
from bastion.runtime.config import Settings
from bastion.runtime.policies import request_variables
from bastion.runtime.policy_eval import PolicyOutcome, evaluate, is_shadow, verdict_of
from bastion.runtime.policy_set import PolicySet
from bastion.runtime.telemetry import EntryType, TelemetryBuffer
from bastion.runtime.verdicts import GuardVerdict
from bastion.storage import Database, StorageUnavailable

from bastion.plugins.semantic.cache import PolicyCache

POLICY_ACTIONS = "admin.policy."
log = structlog.get_logger("bastion.semantic")


class SemanticPlugin:
    name = "semantic"
    # Pure computation on a cache hit: run on the event loop, no thread hand-off.
    inline = True

    def __init__(self) -> None:
        self.cache = PolicyCache(None, 1.0)
        self.telemetry = TelemetryBuffer()

    @hookimpl
    def bastion_configure(self, settings: Settings, database: Database,
                          telemetry: TelemetryBuffer) -> None:
        section = settings.plugin_settings(self.name)
        ttl = float(section.get("cache_ttl_s", 1.0))
        if ttl < 0:
            raise ValueError("plugins.semantic.cache_ttl_s must be >= 0")
        self.cache = PolicyCache(database, ttl)
        self.telemetry = telemetry
        try:
            self.cache.prime()
        except (StorageUnavailable, SQLAlchemyError) as error:  # not migrated yet, or down
            log.info("semantic_cache_not_primed", error=type(error).__name__)

    @staticmethod
    def concerned(request: ActionRequest) -> bool:
        return not request.action.startswith(POLICY_ACTIONS)

    @hookimpl
    def bastion_guard_check(self, request: ActionRequest
                            ) -> GuardVerdict | None | Awaitable[GuardVerdict | None]:
        policies = self.cache.fresh(request.tenant_id)
        if policies is None:
            return self._refreshed_check(request)
        return self._decide(policies, request)

    async def _refreshed_check(self, request: ActionRequest) -> GuardVerdict | None:
        return self._decide(await self.cache.get(request.tenant_id), request)

    @hookimpl
    def bastion_policies_changed(self, scope: str) -> None:
        self.cache.invalidate(scope)

    def _decide(self, policies: PolicySet, request: ActionRequest) -> GuardVerdict | None:
        if not policies.policies:
            return None
        usage = dict(request.resources)
        if request.estimated_cost_usd:
            usage["cost"] = usage.get("cost", 0.0) + request.estimated_cost_usd
        outcome = evaluate(policies, request_variables(
            request.action, request.resource, request.attributes, request.agent_id,
            request.tenant_id, request.run_id, usage, dt.datetime.now(dt.timezone.utc)))
        if outcome.matched or outcome.errors:
            self._record(request, outcome)
        return verdict_of(outcome, request.action)

    def _record(self, request: ActionRequest, outcome: PolicyOutcome) -> None:
        ids: dict[str, Any] = {"run_id": request.run_id, "decision_id": request.decision_id}
        for policy in outcome.matched:
            d = policy.definition
            self.telemetry.record(request.tenant_id, EntryType.GUARDIAN_DECISION, self.name, {
                "policy_id": d.id, "effect": d.effect, "mode": d.mode,
                "enforced": not is_shadow(policy), "action": request.action}, **ids)
        for policy, message in outcome.errors:
            d = policy.definition
            self.telemetry.record(
                request.tenant_id, EntryType.ERROR, self.name,
                {"policy_id": d.id, "effect": d.effect, "mode": d.mode,
                 "action": request.action, "fail_open": d.fail_open},
                error={"type": "PolicyEvaluationError", "message": message}, **ids)
