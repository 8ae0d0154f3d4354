"""Typed results of the Python client (plain dataclasses: no protobuf reaches the caller)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Verdict(str, enum.Enum):
    ALLOW = "ALLOW"
    REVIEW = "REVIEW"
    DEFER = "DEFER"
    DENY = "DENY"
    UNSPECIFIED = "UNSPECIFIED"


@dataclass(frozen=True)
class Reason:
    guard: str
    code: str
    message: str
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Obligation:
    guard: str
    code: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GuardResult:
    guard: str
    verdict: Verdict
    reasons: tuple[Reason, ...]
    obligations: tuple[Obligation, ...]
    scores: Mapping[str, float]
    retry_after: float | None
    shadow: bool
    duration_us: int


@dataclass(frozen=True)
class LedgerRef:
    sequence: int
    entry_hash: str


@dataclass(frozen=True)
class Decision:
    decision_id: str
    verdict: Verdict
    action: str
    guard_results: tuple[GuardResult, ...]
    shadow_results: tuple[GuardResult, ...]
    reasons: tuple[Reason, ...]
    obligations: tuple[Obligation, ...]
    retry_after: float | None
    ledger_entry: LedgerRef | None
    decided_at: dt.datetime | None

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    def obligation(self, code: str) -> Obligation | None:
        """The obligation with ``code``, if any guard imposed it."""
        return next((o for o in self.obligations if o.code == code), None)


@dataclass(frozen=True)
class Explanation:
    decision: Decision
    request: Mapping[str, Any]


@dataclass(frozen=True)
class Reasoning:
    """An agent's reasoning; the server scores it and never stores the text."""

    text: str = ""
    goal: str = ""
    phase: str = ""
    model: str = ""
    thinking_tokens: int = 0


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
    decision_id: str = ""


@dataclass(frozen=True)
class TaskPlan:
    max_new_tasks: int
    capped: bool
    snapshot: MetabolismSnapshot | None
    explanation: str
    decision_id: str


@dataclass(frozen=True)
class LedgerEntry:
    sequence: int
    ts: dt.datetime
    action_type: str
    actor: str
    subject_id: str
    payload: Mapping[str, Any]
    parent_hash: str
    entry_hash: str
    signature: str


@dataclass(frozen=True)
class LedgerPage:
    entries: tuple[LedgerEntry, ...]
    next_page_token: str


@dataclass(frozen=True)
class EntryVerification:
    sequence: int
    sig_ok: bool | None
    chain_ok: bool
    reason: str


@dataclass(frozen=True)
class LedgerVerification:
    overall_ok: bool | None
    chain_ok: bool
    count: int
    has_secret: bool
    entries: tuple[EntryVerification, ...]


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    hooks: tuple[str, ...]
    source: str
