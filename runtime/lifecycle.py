"""The request lifecycle every action passes: started → guards → combine → execute →
decided (ledger, accounting) → durable commit → finished. Check and every domain RPC use it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pluggy
import structlog

from bastion.runtime.actions import ActionRequest, UsageReport
from bastion.runtime.guard_modes import GuardModes
from bastion.runtime.guards import GuardPipeline
from bastion.runtime.telemetry import EntryType, TelemetryBuffer
from bastion.runtime.unit_of_work import UnitOfWork
from bastion.runtime.verdicts import Decision, GuardResult, Verdict, combine
from bastion.storage import GroupCommitter, Withdrawn
from bastion.storage.reports import InsertUsageReport

T = TypeVar("T")
log = structlog.get_logger("bastion.lifecycle")


_random = random.Random(int.from_bytes(os.urandom(32), "big"))
# A forked child must not repeat its parent's ids.
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


def new_id(prefix: str) -> str:
    """Time-ordered unique ids in the UUIDv7 layout with a readable prefix (``dec_01936…``).

    Ids identify, they do not authorise (every lookup is tenant-scoped), so the 74 random
    bits come from a per-process PRNG seeded from the OS: ``os.urandom`` per id was a
    system call on the hot path.
    """
    ms = time.time_ns() // 1_000_000
    rand = _random.getrandbits(74)
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return f"{prefix}_{value:032x}"


class Lifecycle:
    def __init__(self, pm: pluggy.PluginManager, guards: GuardPipeline,
                 committer: GroupCommitter, telemetry: TelemetryBuffer | None = None) -> None:
        self._hook = pm.hook
        self._telemetry = telemetry
        self._guards = guards
        self._committer = committer
        # Observer hooks without implementations are skipped on the hot path (plugins are
        # registered before the runtime is built).
        self._observe_started = bool(pm.hook.bastion_request_started.get_hookimpls())
        self._observe_finished = bool(pm.hook.bastion_request_finished.get_hookimpls())

    async def decide(self, request: ActionRequest,
                     execute: Callable[[UnitOfWork], T] | None = None
                     ) -> tuple[Decision, T | None]:
        """Runs ``request`` through the guards; when allowed, runs ``execute`` (a domain
        handler: plain computation on the event loop, staging its writes in the unit of
        work; run again if the decision is revised at commit). Returns once the decision
        and every staged write are durable."""
        started = time.perf_counter()
        if not request.decision_id:
            request = dataclasses.replace(request, decision_id=new_id("dec"))
        shadowed = self._guards.modes.shadowed(request.tenant_id)
        if shadowed is not request.shadow_guards and shadowed != request.shadow_guards:
            request = dataclasses.replace(request, shadow_guards=shadowed)
        if self._observe_started:
            self._observe(self._hook.bastion_request_started, request=request)
        enforced, shadow = await self._guards.evaluate(request)
        decision, result, uow = self._conclude(request, enforced, shadow, execute)
        try:
            await self._committer.commit_async(uow.ops)
        except Withdrawn as withdrawn:
            # A guard answered optimistically (the quota guard: its reservation was staged
            # in this transaction) and the answer did not hold: nothing was written. Ask
            # that guard again, for certain, and decide again (once: revision 1 guards
            # answer for certain).
            if request.revision:
                raise
            request = dataclasses.replace(request, revision=1)
            enforced = await self._ask_again(request, enforced, withdrawn.guard)
            decision, result, uow = self._conclude(request, enforced, shadow, execute)
            await self._committer.commit_async(uow.ops)
        if self._telemetry is not None:
            # The decision object itself: the flusher thread serialises it, not this call.
            self._telemetry.record(request.tenant_id, EntryType.GUARDIAN_DECISION, "runtime",
                                   decision, run_id=request.run_id,
                                   decision_id=decision.decision_id)
        if self._observe_finished:
            self._observe(self._hook.bastion_request_finished, request=request,
                          decision=decision, duration_s=time.perf_counter() - started)
        return decision, result

    def _conclude(self, request: ActionRequest, enforced: list[GuardResult],
                  shadow: list[GuardResult], execute: Callable[[UnitOfWork], T] | None
                  ) -> tuple[Decision, T | None, UnitOfWork]:
        """The decision from the guards' results, with every write it stages."""
        verdict, retry_after = combine(enforced)
        decision = Decision(
            decision_id=request.decision_id, action=request.action, verdict=verdict,
            guard_results=tuple(enforced), shadow_results=tuple(shadow),
            decided_at=dt.datetime.now(dt.timezone.utc), retry_after_s=retry_after)
        uow = UnitOfWork()
        result = execute(uow) if execute is not None and verdict is Verdict.ALLOW else None
        self._hook.bastion_decision_made(request=request, decision=decision, unit_of_work=uow)
        return decision, result, uow

    async def _ask_again(self, request: ActionRequest, enforced: list[GuardResult],
                         guard: str) -> list[GuardResult]:
        """``enforced`` with ``guard``'s result replaced by its answer to ``request``."""
        answer, _ = await self._guards.evaluate(request, only=guard)
        at = next((i for i, r in enumerate(enforced) if r.guard == guard), len(enforced))
        return [*enforced[:at], *answer, *enforced[at + 1:]]

    async def report(self, report: UsageReport) -> None:
        """Records actual usage; never refused for budget or quota reasons (SPEC G3)."""
        uow = UnitOfWork()
        uow.add(InsertUsageReport(
            id=report.report_id, tenant_id=report.principal.tenant_id,
            decision_id=report.decision_id, ts=dt.datetime.now(dt.timezone.utc),
            cost_usd=report.cost_usd, usage_json=json.dumps(dict(report.usage), sort_keys=True),
            outcome=report.outcome, actor=report.principal.subject))
        self._hook.bastion_usage_reported(report=report, unit_of_work=uow)
        await self._committer.commit_async(uow.ops)

    @property
    def guard_modes(self) -> GuardModes:
        """Which guards run in shadow mode for each tenant (admin overrides included)."""
        return self._guards.modes

    @property
    def records_decisions(self) -> bool:
        """Whether any plugin (the ledger) can find past decisions."""
        return bool(self._hook.bastion_find_decision.get_hookimpls())

    async def find_decision(self, tenant_id: str, decision_id: str) -> dict[str, Any] | None:
        """A past decision of the tenant as recorded ({"decision", "request",
        "ledger_entry"}), or None. Reads storage, off the event loop."""
        if not self.records_decisions:
            return None
        return await asyncio.to_thread(self._hook.bastion_find_decision,
                                       tenant_id=tenant_id, decision_id=decision_id)

    @staticmethod
    def _observe(hook: pluggy.HookCaller, **kwargs: object) -> None:
        try:
            hook(**kwargs)
        except Exception as error:  # noqa: BLE001 - observers never fail a request
            log.error("observer_hook_failed", hook=hook.name, error=type(error).__name__,
                      exc_info=error)
