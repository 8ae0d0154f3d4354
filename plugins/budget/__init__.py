"""The budget guard (SPEC G3): a USD budget per run, costs recorded against it through
``GuardService.Report``, and actions at thresholds.

Thresholds (``[plugins.budget] thresholds``, fractions of the budget) and what each does,
once per run, in the report's transaction, with a stored budget event:

- 0.50 ``alert``: a ``budget_alert`` warning log line and the event;
- 0.80 ``preempt`` P3: the run's P3 units (pending and active) are preempted;
- 0.90 ``preempt`` P2 and P3;
- 0.95 ``pause``: the run's pending and active units are paused.

Checks of a run with a budget: DENY ``budget_exhausted`` once spend reaches the budget or
``budget_exceeded`` when the estimated cost would pass it; DEFER ``run_paused`` from the
pause threshold on (retry after ``paused_retry_after_s``, 300: an operator raises the budget
with SetBudget to let the run go on); DEFER ``budget_throttled`` for new work of a priority
class the run's current threshold preempts (P3 from 80%, P2 and P3 from 90%). Recording a
cost never blocks and never fails a Report. The run, and so the budget charged, is the one
recorded in the decision the Report settles, never one the caller names.

A replica reads a run's budget and spend at most every ``cache_ttl_s`` (1 s; a replica
that records a cost for the run re-reads at once): spend is only known when reported, so a
budget is enforced to within the reports of about a second on other replicas.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
import structlog

from bastion.runtime import hookimpl
from bastion.runtime.actions import ActionRequest, UsageReport
from bastion.runtime.config import Settings
from bastion.runtime.ttl_cache import TtlCache
from bastion.runtime.unit_of_work import UnitOfWork
from bastion.runtime.verdicts import PLAIN_ALLOW, GuardVerdict, Reason, Verdict
from bastion.storage import Database
from bastion.storage import budgets as store
from bastion.storage import work as work_store
from bastion.storage.base import utcnow

log = structlog.get_logger("bastion.budget")

_CACHE_LIMIT = 100_000
DEFAULT_THRESHOLDS = (
    store.Threshold(0.50, "alert"),
    store.Threshold(0.80, "preempt", (3,)),
    store.Threshold(0.90, "preempt", (2, 3)),
    store.Threshold(0.95, "pause"),
)


def _thresholds(raw: Sequence[Mapping[str, Any]] | None) -> tuple[store.Threshold, ...]:
    if raw is None:
        return DEFAULT_THRESHOLDS
    out = []
    for entry in raw:
        action = str(entry["action"])
        if action not in ("alert", "preempt", "pause"):
            raise ValueError(f"plugins.budget.thresholds: unknown action {action!r}")
        fraction = float(entry["fraction"])
        if not 0 < fraction <= 1:
            raise ValueError("plugins.budget.thresholds: fraction must be in (0, 1]")
        out.append(store.Threshold(fraction, action,
                                   tuple(int(p) for p in entry.get("priorities", ()))))
    if len(out) > 30:
        raise ValueError("plugins.budget.thresholds: at most 30")
    return tuple(sorted(out, key=lambda t: t.fraction))


def _pause_fraction(thresholds: Sequence[store.Threshold]) -> float | None:
    return next((t.fraction for t in thresholds if t.action == "pause"), None)


def _usd(micros: int) -> str:
    return f"{micros / store.MICROS:.6g}"


def _details(budget: store.RunBudget, threshold: float | None = None) -> dict[str, str]:
    """A refusal's details ("resource": a refused domain RPC answers RESOURCE_EXHAUSTED
    with a QuotaFailure naming it)."""
    total, spent = budget.total_micros or 0, budget.spent_micros
    details = {"resource": "cost", "run_id": budget.run_id, "total_usd": _usd(total),
               "spent_usd": _usd(spent), "used_fraction": f"{spent / total:.4f}"}
    if threshold is not None:
        details["threshold"] = f"{threshold:g}"
    return details


class BudgetPlugin:
    name = "budget"

    def __init__(self) -> None:
        self.thresholds = DEFAULT_THRESHOLDS
        self.pause_fraction = _pause_fraction(self.thresholds)  # read on every Check of a run
        self.paused_retry_after_s = 300.0
        self.cache_ttl_s = 1.0
        self.max_preemptions = 3
        self.budgets: TtlCache[tuple[str, str], store.RunBudget | None] = TtlCache(
            self._read_budget, self.cache_ttl_s, max_entries=_CACHE_LIMIT)
        self.database: Database | None = None

    @hookimpl
    def bastion_configure(self, settings: Settings, database: Database) -> None:
        section = settings.plugin_settings(self.name)
        self.thresholds = _thresholds(section.get("thresholds"))
        self.pause_fraction = _pause_fraction(self.thresholds)
        self.paused_retry_after_s = float(section.get("paused_retry_after_s", 300))
        self.cache_ttl_s = float(section.get("cache_ttl_s", 1.0))
        self.budgets = TtlCache(self._read_budget, self.cache_ttl_s, max_entries=_CACHE_LIMIT)
        self.max_preemptions = settings.max_preemptions
        self.database = database

    @staticmethod
    def concerned(request: ActionRequest) -> bool:
        """Only Checks of a run (run inline: no thread hand-off for the others)."""
        return bool(request.run_id)

    # Runs on the event loop: a cached budget is judged at once; a miss returns a coroutine
    # that reads it (the pipeline awaits it under the guard's deadline).
    inline = True

    @hookimpl
    def bastion_guard_check(self, request: ActionRequest
                            ) -> GuardVerdict | None | Awaitable[GuardVerdict | None]:
        if not request.run_id:
            return None
        hit, budget = self.budgets.peek((request.tenant_id, request.run_id))
        if hit:
            return self._judge(budget, request)
        return self._read_and_judge(request)

    async def _read_and_judge(self, request: ActionRequest) -> GuardVerdict | None:
        return self._judge(await self.budgets.get((request.tenant_id, request.run_id)),
                           request)

    def _judge(self, budget: store.RunBudget | None,
               request: ActionRequest) -> GuardVerdict | None:
        if budget is None or not budget.total_micros:
            return None
        return self.judge(budget, request)

    async def _read_budget(self, key: tuple[str, str]) -> store.RunBudget | None:
        """The run's budget and spend (read at most every ``cache_ttl_s`` per run and
        replica through ``self.budgets``, and at once after this replica records a cost)."""
        assert self.database is not None
        return await asyncio.to_thread(store.get_budget, self.database, *key)

    def judge(self, budget: store.RunBudget, request: ActionRequest) -> GuardVerdict | None:
        total, spent = budget.total_micros or 0, budget.spent_micros
        if spent >= total:
            return GuardVerdict(Verdict.DENY, reasons=(Reason(
                "budget_exhausted", f"run {budget.run_id} has spent its budget of "
                f"{_usd(total)} USD", _details(budget)),))
        estimate = store.to_micros(request.estimated_cost_usd)
        if spent + estimate > total:
            return GuardVerdict(Verdict.DENY, reasons=(Reason(
                "budget_exceeded", f"estimated {_usd(estimate)} USD would pass the run's "
                f"remaining {_usd(total - spent)} USD", _details(budget)),))
        pause = self.pause_fraction
        if pause is not None and spent >= pause * total:
            return GuardVerdict(Verdict.DEFER, retry_after_s=self.paused_retry_after_s,
                                reasons=(Reason("run_paused", f"run {budget.run_id} is paused "
                                                f"at {spent / total:.0%} of its budget",
                                                _details(budget, pause)),))
        for threshold in reversed(self.thresholds):
            if (threshold.action == "preempt" and spent >= threshold.fraction * total
                    and request.priority in threshold.priorities):
                return GuardVerdict(Verdict.DEFER, retry_after_s=self.paused_retry_after_s,
                                    reasons=(Reason(
                                        "budget_throttled",
                                        f"P{request.priority} work of run {budget.run_id} is "
                                        f"held back at {spent / total:.0%} of its budget",
                                        _details(budget, threshold.fraction)),))
        return PLAIN_ALLOW  # the common answer: nothing formatted for it

    @hookimpl
    def bastion_usage_reported(self, report: UsageReport, unit_of_work: UnitOfWork) -> None:
        if not report.run_id:
            return
        self.budgets.invalidate((report.principal.tenant_id, report.run_id))
        unit_of_work.add(RecordRunCostAndLog(
            tenant_id=report.principal.tenant_id, run_id=report.run_id,
            cost_micros=store.to_micros(report.cost_usd), now=utcnow(),
            thresholds=self.thresholds,
            on_threshold=functools.partial(_act_on_units, max_preemptions=self.max_preemptions)))


def _act_on_units(conn: sa.Connection, tenant_id: str, run_id: str,
                  threshold: store.Threshold, *, max_preemptions: int = 3) -> list[str]:
    """What a threshold does to the run's units of work, in the report's transaction."""
    reason = f"budget_{threshold.fraction:.0%}_{threshold.action}"
    if threshold.action == "preempt":
        return work_store.preempt_units(
            conn, tenant_id=tenant_id, run_id=run_id, priorities=threshold.priorities,
            statuses=(work_store.ACTIVE, work_store.PENDING), reason=reason, actor="budget",
            now=utcnow(), resource="cost", threshold=threshold.fraction,
            max_preemptions=max_preemptions)
    if threshold.action == "pause":
        return work_store.pause_units(conn, tenant_id=tenant_id, run_id=run_id, reason=reason,
                                      actor="budget", now=utcnow())
    return []


class RecordRunCostAndLog(store.RecordRunCost):
    """Records the cost; once committed, logs each threshold that fired (the alert)."""

    @classmethod
    def committed(cls, ops: Sequence[store.RecordRunCost]) -> None:
        for op in ops:
            for event in op.fired:
                log.warning("budget_alert", tenant=op.tenant_id, run_id=event.run_id,
                            threshold=event.threshold, action=event.action,
                            spent_usd=_usd(event.spent_micros), total_usd=_usd(event.total_micros),
                            units_affected=len(event.units_affected))
