"""The action a caller is about to take, as guards see it (a domain object, never protobuf)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bastion.runtime.principal import Principal


# The resources a Check may ask for and a Report may settle (SPEC G2): cpu (cores), memory
# (GB), storage (GB), tokens, cost (USD; a Check's estimated_cost_usd), gpu, concurrent_runs.
RESOURCES = ("cpu", "memory", "storage", "tokens", "cost", "gpu", "concurrent_runs")


def json_number(value: float) -> float | int:
    """Integral floats as ints, as canonical JSON writes them (1.0 → 1): keeps records on
    the ledger's fast canonicalisation path."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


@dataclass(frozen=True)
class Reasoning:
    """An agent's reasoning. ``text`` is scored and never stored, logged or ledgered."""

    text: str = ""
    goal: str = ""
    phase: str = ""
    model: str = ""
    thinking_tokens: int = 0


@dataclass(frozen=True)
class ActionRequest:
    """What guards decide on: who wants to do what, at what priority and cost, and why.

    For domain RPCs ``action`` is the RPC itself (``metabolism.compute_snapshot``) and
    ``attributes`` carries the request's salient fields.
    """

    principal: Principal
    action: str
    resource: str = ""
    agent_id: str = ""
    run_id: str = ""
    task_id: str = ""
    # 0 (P0, critical) .. 3 (P3, background); SPEC G4's default is P2.
    priority: int = 2
    estimated_cost_usd: float = 0.0
    resources: Mapping[str, float] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    reasoning: Reasoning | None = None
    # Set by the lifecycle before the guards run, so a guard can key what it reserves.
    decision_id: str = ""
    # Set by the lifecycle: the guards running in shadow mode for this request's tenant.
    # Their verdicts are recorded, never enforced; a guard with side effects (reserving,
    # preempting) that finds its name here must only report what it would have done.
    shadow_guards: frozenset[str] = frozenset()
    # 0 for a request's first decision. The lifecycle decides again (revision 1) when a
    # write staged on an optimistic guard answer is withdrawn at commit (Lifecycle.decide);
    # a guard that answers optimistically must decide for certain when this is not 0.
    revision: int = 0
    # Per-request state of plugins, from their guard to their decision hook, keyed by the
    # plugin's name. It lives as long as the request: nothing is left behind when a request
    # fails in between, and a decision revised at commit finds it again.
    scratch: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tenant_id(self) -> str:
        return self.principal.tenant_id

    def to_record(self) -> dict[str, Any]:
        """The request as it may be recorded: the reasoning *text* is left out (SPEC G1)."""
        record: dict[str, Any] = {
            "action": self.action, "resource": self.resource, "agent_id": self.agent_id,
            "run_id": self.run_id, "task_id": self.task_id, "priority": f"P{self.priority}",
            "estimated_cost_usd": json_number(self.estimated_cost_usd),
            "resources": {k: json_number(v) for k, v in self.resources.items()},
            "attributes": dict(self.attributes), "actor": self.principal.subject,
        }
        if self.reasoning is not None:
            record["reasoning"] = {
                "goal": self.reasoning.goal, "phase": self.reasoning.phase,
                "model": self.reasoning.model,
                "thinking_tokens": self.reasoning.thinking_tokens,
            }
        return record


@dataclass(frozen=True)
class UsageReport:
    """What an action really used and cost (GuardService.Report)."""

    principal: Principal
    report_id: str
    decision_id: str
    cost_usd: float
    usage: Mapping[str, float]
    outcome: str
    # From the decision being settled (as recorded), not from the caller.
    run_id: str = ""
    task_id: str = ""
    priority: int = 2
