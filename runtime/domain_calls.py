"""Running a domain RPC through the lifecycle: the RPC is the action, guards decide, and
only an ALLOW executes the handler. Domain plugins' servicers call :func:`guarded_call`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import grpc

from bastion.runtime.actions import ActionRequest
from bastion.runtime.converters import decision_as_any
from bastion.runtime.errors import Refused
from bastion.runtime.lifecycle import Lifecycle
from bastion.runtime.principal import current_principal
from bastion.runtime.unit_of_work import UnitOfWork
from bastion.runtime.verdicts import Decision, Verdict

T = TypeVar("T")


async def guarded_call(lifecycle: Lifecycle, action: str,
                       execute: Callable[[UnitOfWork], T], *,
                       attributes: Mapping[str, Any] | None = None,
                       resources: Mapping[str, float] | None = None, run_id: str = "",
                       priority: int = 2) -> tuple[T, Decision]:
    """Decides on ``action`` for the current caller and runs ``execute`` when allowed.

    ``execute(uow)`` is plain computation (it runs on the event loop): it returns the
    result and stages its writes with ``uow.add(op)``; they commit with the decision's
    ledger entry in one transaction. It runs again, with a fresh unit of work, when the
    decision is revised at commit (an optimistic quota grant that did not hold), so it must
    have no effect outside what it returns and stages.

    :raises Refused: when the verdict is not ALLOW (the decision is still ledgered):
        DENY and REVIEW → PERMISSION_DENIED, or RESOURCE_EXHAUSTED when a reason names a
        resource (quota); DEFER → RESOURCE_EXHAUSTED with RetryInfo. The status details
        carry ErrorInfo, QuotaFailure/RetryInfo where relevant, and the Decision itself.
    """
    request = ActionRequest(principal=current_principal(), action=action, run_id=run_id,
                            priority=priority, attributes=dict(attributes or {}),
                            resources=dict(resources or {}))
    decision, result = await lifecycle.decide(request, execute)
    if decision.verdict is not Verdict.ALLOW:
        raise refusal(decision)
    return result, decision  # type: ignore[return-value]


def refusal(decision: Decision) -> Refused:
    reasons = decision.reasons
    quota = [(r.details.get("resource", ""), r.message) for r in reasons if "resource" in r.details]
    if decision.verdict is Verdict.DEFER or quota:
        code = grpc.StatusCode.RESOURCE_EXHAUSTED
    else:
        code = grpc.StatusCode.PERMISSION_DENIED
    summary = "; ".join(f"{r.guard}: {r.message}" for r in reasons) or "no reason given"
    return Refused(
        f"{decision.action} refused ({decision.verdict.name}): {summary}", code=code,
        reason=f"VERDICT_{decision.verdict.name}",
        metadata={"decision_id": decision.decision_id, "action": decision.action},
        retry_after_s=decision.retry_after_s, quota_violations=quota,
        decision=decision_as_any(decision))
