"""The metabolism model (SPEC D2): how much work a team can take on, and pacing.

*Open in the seed*, chosen here and documented in docs/services/metabolism.md:
``recovery_rate = clamp(0.1 + 0.45·ops/100 + 0.45·cust/100, 0, 1)``: stable operations and
happy customers recover capacity faster; never quite zero, so a team can always recover.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetabolismInputs:
    health_score: float
    operations_score: float
    customer_score: float
    active_goals: int
    pending_tasks: int


@dataclass(frozen=True)
class MetabolismSnapshot:
    energy_capacity: int
    fatigue: float
    recovery_rate: float
    workload_index: float
    projected_weekly_capacity: float
    risks: tuple[str, ...]
    basis: MetabolismInputs


@dataclass(frozen=True)
class TaskPlan:
    max_new_tasks: int
    capped: bool
    snapshot: MetabolismSnapshot | None
    explanation: str


HIGH_WORKLOAD = "High workload; consider deferring or splitting goals"
LOW_ENERGY = "Low energy; prioritize quick wins and recovery"
SLOW_RECOVERY = "Slow recovery; improve operations/customer processes"


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def compute_snapshot(inputs: MetabolismInputs) -> MetabolismSnapshot:
    health, ops, cust = inputs.health_score, inputs.operations_score, inputs.customer_score
    base_energy = 0.6 * health + 0.2 * ops + 0.2 * cust
    workload = 0.5 * min(inputs.active_goals / 5, 1.0) + 0.5 * min(inputs.pending_tasks / 20, 1.0)
    fatigue = _clamp(0.3 + 0.7 * workload - 0.002 * cust)
    recovery = _clamp(0.1 + 0.45 * ops / 100 + 0.45 * cust / 100)
    effective_energy = base_energy * (1 - 0.5 * fatigue)
    base_capacity = 5 + 0.15 * effective_energy
    load_penalty = max(0.5, 1.2 - workload)
    capacity = max(3.0, base_capacity * load_penalty * (0.8 + 0.4 * recovery))
    risks = []
    if workload > 0.85:
        risks.append(HIGH_WORKLOAD)
    if effective_energy < 40:
        risks.append(LOW_ENERGY)
    if recovery < 0.25:
        risks.append(SLOW_RECOVERY)
    return MetabolismSnapshot(
        energy_capacity=round(effective_energy), fatigue=fatigue, recovery_rate=recovery,
        workload_index=workload, projected_weekly_capacity=capacity, risks=tuple(risks),
        basis=inputs)


def plan_task_generation(inputs: MetabolismInputs | None, existing_todo: int) -> TaskPlan:
    """Pacing: ``max_new = max(1, min(5, capacity − existing_todo))``; uncapped (and saying
    so) when no snapshot can be computed."""
    if inputs is None:
        return TaskPlan(0, False, None, "no metabolism inputs: generation proceeds uncapped")
    snapshot = compute_snapshot(inputs)
    available = snapshot.projected_weekly_capacity - existing_todo
    max_new = max(1, min(5, int(available)))
    return TaskPlan(max_new, True, snapshot,
                    f"capacity {snapshot.projected_weekly_capacity:.1f}/week − {existing_todo} "
                    f"open TODO = {available:.1f} available; capped to {max_new} (1–5)")
