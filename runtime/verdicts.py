"""Verdicts, guard results and decisions as plain domain objects (no protobuf here)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bastion.runtime.actions import json_number


class Verdict(enum.IntEnum):
    """Least to most restrictive (SPEC G6); the integer order is the restrictiveness."""

    ALLOW = 1
    REVIEW = 2
    DEFER = 3
    DENY = 4


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    details: Mapping[str, str] = field(default_factory=dict)
    guard: str = ""


@dataclass(frozen=True)
class Obligation:
    code: str
    params: Mapping[str, str] = field(default_factory=dict)
    guard: str = ""


@dataclass(frozen=True)
class GuardVerdict:
    """What a guard's ``bastion_guard_check`` returns when it is concerned with an action.

    :param verdict: the guard's verdict.
    :param reasons: why; each with a stable ``code`` and a human ``message``.
    :param obligations: what the caller must do if it goes ahead.
    :param scores: named scores in [0, 1], where the guard computes any.
    :param retry_after_s: for DEFER, seconds until a retry may succeed.
    """

    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    retry_after_s: float | None = None

    @classmethod
    def allow(cls, **kwargs: Any) -> "GuardVerdict":
        return cls(Verdict.ALLOW, **kwargs)

    @classmethod
    def deny(cls, code: str, message: str, **details: str) -> "GuardVerdict":
        return cls(Verdict.DENY, reasons=(Reason(code, message, details),))


# An ALLOW with nothing to add, shared (it is immutable): what a guard's common answer
# costs nothing to build.
PLAIN_ALLOW = GuardVerdict(Verdict.ALLOW, scores=MappingProxyType({}))


@dataclass(frozen=True)
class GuardResult:
    """A guard's verdict as recorded in a decision, attributed to the guard."""

    guard: str
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    retry_after_s: float | None = None
    shadow: bool = False
    duration_us: int = 0

    @classmethod
    def from_verdict(cls, guard: str, verdict: GuardVerdict, *, shadow: bool,
                     duration_us: int) -> "GuardResult":
        if verdict is PLAIN_ALLOW:
            return cls(guard=guard, verdict=Verdict.ALLOW, shadow=shadow,
                       duration_us=duration_us)
        return cls(
            guard=guard, verdict=verdict.verdict,
            reasons=tuple(Reason(r.code, r.message, dict(r.details), guard)
                          for r in verdict.reasons),
            obligations=tuple(Obligation(o.code, dict(o.params), guard)
                              for o in verdict.obligations),
            scores=dict(verdict.scores), retry_after_s=verdict.retry_after_s, shadow=shadow,
            duration_us=duration_us)

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "guard": self.guard, "verdict": self.verdict.name,
            "reasons": [{"code": r.code, "message": r.message, "details": dict(r.details)}
                        for r in self.reasons],
            "obligations": [{"code": o.code, "params": dict(o.params)}
                            for o in self.obligations],
            "scores": {k: json_number(v) for k, v in self.scores.items()}, "shadow": self.shadow,
            "duration_us": self.duration_us,
        }
        if self.retry_after_s is not None:
            record["retry_after_ms"] = int(self.retry_after_s * 1000)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "GuardResult":
        guard = record["guard"]
        retry_ms = record.get("retry_after_ms")
        return cls(
            guard=guard, verdict=Verdict[record["verdict"]],
            reasons=tuple(Reason(r["code"], r["message"], r.get("details", {}), guard)
                          for r in record.get("reasons", [])),
            obligations=tuple(Obligation(o["code"], o.get("params", {}), guard)
                              for o in record.get("obligations", [])),
            scores=record.get("scores", {}),
            retry_after_s=retry_ms / 1000 if retry_ms is not None else None,
            shadow=record.get("shadow", False), duration_us=record.get("duration_us", 0))


@dataclass
class LedgerRef:
    sequence: int
    entry_hash: str


@dataclass
class Decision:
    decision_id: str
    action: str
    verdict: Verdict
    guard_results: tuple[GuardResult, ...]
    shadow_results: tuple[GuardResult, ...]
    decided_at: dt.datetime
    retry_after_s: float | None = None
    # Set by the ledger plugin once the decision's entry is appended.
    ledger_entry: LedgerRef | None = None

    @property
    def reasons(self) -> list[Reason]:
        return [r for g in self.guard_results for r in g.reasons]

    @property
    def obligations(self) -> list[Obligation]:
        return [o for g in self.guard_results for o in g.obligations]

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    def telemetry_details(self) -> dict[str, Any]:
        """The decision as a GUARDIAN_DECISION telemetry entry: verdicts and reason codes
        of every guard (enforced and shadow), no messages."""
        def guards(results: tuple[GuardResult, ...]) -> list[dict[str, Any]]:
            return [{"guard": g.guard, "verdict": g.verdict.name,
                     "reasons": [r.code for r in g.reasons],
                     "obligations": [o.code for o in g.obligations]} for g in results]
        return {"action": self.action, "verdict": self.verdict.name,
                "guards": guards(self.guard_results), "shadow": guards(self.shadow_results)}

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "decision_id": self.decision_id, "action": self.action,
            "verdict": self.verdict.name,
            "guard_results": [g.to_record() for g in self.guard_results],
            "shadow_results": [g.to_record() for g in self.shadow_results],
            "decided_at": self.decided_at.isoformat(),
        }
        if self.retry_after_s is not None:
            record["retry_after_ms"] = int(self.retry_after_s * 1000)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "Decision":
        retry_ms = record.get("retry_after_ms")
        return cls(
            decision_id=record["decision_id"], action=record["action"],
            verdict=Verdict[record["verdict"]],
            guard_results=tuple(GuardResult.from_record(g) for g in record["guard_results"]),
            shadow_results=tuple(GuardResult.from_record(g)
                                 for g in record.get("shadow_results", [])),
            decided_at=dt.datetime.fromisoformat(record["decided_at"]),
            retry_after_s=retry_ms / 1000 if retry_ms is not None else None)


def combine(results: Iterable[GuardResult]) -> tuple[Verdict, float | None]:
    """SPEC G6: the most restrictive enforcing verdict wins (ALLOW when no guard objects).

    Returns the verdict and, for DEFER, the longest retry-after any deferring guard asked for.
    """
    verdict = Verdict.ALLOW
    retry_after: float | None = None
    for result in results:
        if result.shadow:
            continue
        verdict = max(verdict, result.verdict)
        if result.verdict is Verdict.DEFER and result.retry_after_s is not None:
            retry_after = max(retry_after or 0.0, result.retry_after_s)
    return verdict, retry_after if verdict is Verdict.DEFER else None
