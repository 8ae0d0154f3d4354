"""Units of work (SPEC W1, W2): the rules, as write ops for the group committer, and the
zombie protocol. No protobuf here; the servicer converts.

Status changes and what may make them:

| change | from | to | who |
|---|---|---|---|
| submit | — | PENDING | any caller of the tenant |
| lease | PENDING | ACTIVE | any caller; the lease goes to its worker id |
| heartbeat, checkpoint | ACTIVE | (same) | the lease holder |
| complete / fail | ACTIVE | COMPLETED / FAILED | the lease holder (again: a no-op) |
| preempt | ACTIVE, PENDING | PREEMPTED (FAILED after max_preemptions) | any caller; never P0 |
| resume | PREEMPTED, PAUSED | PENDING | any caller |
| zombie reclaim | ACTIVE, heartbeat too old | PENDING (FAILED after max_reclaims) | the sweeper |
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pluggy
import structlog

from bastion.plugins.ledger.canonical import canonical_json
from bastion.runtime.config import Settings
from bastion.runtime.errors import FailedPrecondition, NotFound
from bastion.runtime.lifecycle import new_id
from bastion.storage import Database, WriteOp
from bastion.storage import work as store
from bastion.storage.base import utcnow

log = structlog.get_logger("bastion.work")
ZOMBIE_EVENT = "work.zombie_reclaimed"


def content_hash(attributes: Mapping[str, Any]) -> str:
    """SHA-256 of the RFC 8785 canonical JSON of the attributes (SPEC W1)."""
    return hashlib.sha256(canonical_json(dict(attributes)).encode()).hexdigest()


def new_unit(run_id: str, priority: int, attributes: Mapping[str, Any],
             idempotency_key: str | None) -> store.NewUnit:
    """The attributes are stored in their canonical form: the hashed text itself."""
    canonical = canonical_json(dict(attributes))
    return store.NewUnit(unit_id=new_id("unit"), run_id=run_id, priority=priority,
                         attributes_json=canonical,
                         content_hash=hashlib.sha256(canonical.encode()).hexdigest(),
                         idempotency_key=idempotency_key or None)


_LEASE_ID = re.compile(r"^lease_[0-9a-f]{32}$")


def is_lease_id(value: str) -> bool:
    """Whether ``value`` has the form of the lease ids :meth:`WorkQueue.lease` issues."""
    return bool(_LEASE_ID.match(value))


def raise_refusal(op: store.ChangeUnit) -> store.Unit:
    """The changed unit, or the refusal as the matching error."""
    if op.refusal is not None:
        if op.refusal.kind == "not_found":
            raise NotFound(op.refusal.message)
        raise FailedPrecondition(op.refusal.message)
    assert op.unit is not None
    return op.unit


@dataclass(frozen=True)
class Verification:
    """``ok`` when the stored attributes still hash to the unit's content hash and that
    hash is the one its append-only history last recorded; otherwise ``problem`` says what
    drifted."""

    ok: bool
    stored_hash: str
    computed_hash: str
    history_hash: str
    problem: str


def verify(db: Database, tenant_id: str, unit_id: str) -> Verification:
    unit = store.get_unit(db, tenant_id, unit_id)
    if unit is None:
        raise NotFound(f"unit {unit_id} not found")
    history = store.get_history(db, tenant_id, unit_id)
    recorded = history[-1].new_hash if history else ""
    try:
        attributes = json.loads(unit.attributes_json)
        computed = content_hash(attributes) if isinstance(attributes, dict) else ""
    except (ValueError, TypeError, RecursionError):
        computed = ""  # not JSON any more (or not canonicalisable): drift by definition
    if not computed:
        problem = "the stored attributes are not a JSON object"
    elif computed != unit.content_hash:
        problem = "the stored attributes do not hash to the content hash"
    elif recorded != unit.content_hash:
        problem = "the content hash differs from the one the history recorded"
    else:
        problem = ""
    return Verification(not problem, unit.content_hash, computed, recorded, problem)


class WorkQueue:
    """Builds the write ops of each change with the configured limits, and remembers which
    queues this process last found empty (see :meth:`maybe_idle`)."""

    _MAX_IDLE = 10_000

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._idle: set[tuple[str, str]] = set()

    def maybe_idle(self, tenant_id: str, run_id: str) -> bool:
        """Whether this process's last Lease on (tenant, run) found nothing pending. Then
        the next one probes with a read first: a worker polling an empty queue costs one
        indexed read, not a guarded, ledgered decision per poll."""
        return (tenant_id, run_id) in self._idle

    def lease_result(self, tenant_id: str, run_id: str, found: bool) -> None:
        if found:
            self._idle.discard((tenant_id, run_id))
            return
        if len(self._idle) >= self._MAX_IDLE:
            self._idle.clear()
        self._idle.add((tenant_id, run_id))

    def lease_expiry(self, now: dt.datetime) -> dt.datetime:
        """The deadline for the next heartbeat: ``lease_ttl_s`` on, capped at the zombie
        timeout (a unit is never reclaimed before the deadline its holder was given)."""
        settings = self.settings
        return now + dt.timedelta(seconds=min(settings.lease_ttl_s, settings.zombie_timeout_s))

    def submit(self, tenant_id: str, units: list[store.NewUnit], actor: str) -> store.SubmitUnits:
        return store.SubmitUnits(tenant_id=tenant_id, units=units, actor=actor, now=utcnow())

    def lease(self, tenant_id: str, run_id: str, holder: str) -> store.LeaseNext:
        now = utcnow()
        return store.LeaseNext(tenant_id=tenant_id, run_id=run_id, lease_id=new_id("lease"),
                               holder=holder, now=now, expires_at=self.lease_expiry(now))

    def change(self, tenant_id: str, unit_id: str, change: store.Change,
               actor: str) -> store.ChangeUnit:
        return store.ChangeUnit(tenant_id=tenant_id, unit_id=unit_id, change=change,
                                actor=actor, now=utcnow(),
                                max_preemptions=self.settings.max_preemptions)

    def heartbeat(self, lease_id: str, progress: float | None) -> store.Change:
        return store.Change("heartbeat", (store.ACTIVE,), lease_id=lease_id, progress=progress,
                            expires_at=self.lease_expiry(utcnow()))


def checkpoint(lease_id: str, state_json: str) -> store.Change:
    return store.Change("checkpoint", (store.ACTIVE,), lease_id=lease_id,
                        checkpoint_json=state_json)


def complete(lease_id: str) -> store.Change:
    return store.Change("complete", (store.ACTIVE,), store.COMPLETED, lease_id=lease_id,
                        reason="completed", progress=1.0)


def fail(lease_id: str, reason: str) -> store.Change:
    return store.Change("fail", (store.ACTIVE,), store.FAILED, lease_id=lease_id,
                        reason=reason or "failed")


def preempt(reason: str, state_json: str | None) -> store.Change:
    return store.Change("preempt", (store.ACTIVE, store.PENDING), store.PREEMPTED,
                        reason=reason or "preempted", checkpoint_json=state_json)


def resume() -> store.Change:
    return store.Change("resume", (store.PREEMPTED, store.PAUSED), store.PENDING,
                        reason="resumed")


def run_zombie_protocol(db: Database, pm: pluggy.PluginManager, settings: Settings,
                        tenant_id: str | None = None) -> list[store.Reclaimed]:
    """Reclaims expired leases (of one tenant, or all): each reclaim is a history row and
    a ledger entry, in one transaction. Safe on every replica at once."""
    now = utcnow()
    cutoff = now - dt.timedelta(seconds=settings.zombie_timeout_s)

    def record(reclaimed: list[store.Reclaimed]) -> list[WriteOp]:
        ops = []
        for unit in reclaimed:
            ops.extend(op for op in pm.hook.bastion_record_event(
                tenant_id=unit.tenant_id, event_type=ZOMBIE_EVENT, subject_id=unit.unit_id,
                actor="zombie-protocol", at=now, payload={
                    "unit_id": unit.unit_id, "new_status": unit.new_status,
                    "lease_holder": unit.lease_holder,
                    "last_heartbeat_at": unit.last_heartbeat_at.isoformat()
                    if unit.last_heartbeat_at else None,
                    "timeout_s": settings.zombie_timeout_s}) if op is not None)
        return ops

    reclaimed = store.run_reclaim(db, cutoff=cutoff, now=now, max_reclaims=settings.max_reclaims,
                                  record=record, tenant_id=tenant_id)
    if reclaimed:
        log.warning("zombies_reclaimed", count=len(reclaimed), tenant=tenant_id,
                    failed=sum(1 for r in reclaimed if r.new_status == store.FAILED))
    return reclaimed
