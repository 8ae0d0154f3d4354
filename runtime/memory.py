"""Agent memories (SPEC W4): what the MemoryService and the janitor do, on domain values."""

from __future__ import annotations

import datetime as dt

import structlog

from bastion.runtime import validation as v
from bastion.runtime.config import Settings
from bastion.storage import Database
from bastion.storage import memories as store
from bastion.storage import telemetry as telemetry_store

log = structlog.get_logger("bastion.memory")

MAX_VALUE_BYTES = 64 * 1024
MAX_CONTEXT = 1000


def role_and_key(role: str, key: str) -> tuple[str, str]:
    return (v.identifier(role, "role", 128, required=True),
            v.identifier(key, "key", 256, required=True))


def value(value_json: str) -> str:
    v.json_value(value_json, "value_json", MAX_VALUE_BYTES)
    return value_json


def context_limit(limit: int) -> int:
    limit = limit or 100
    if not 0 < limit <= MAX_CONTEXT:
        raise v.InvalidArgument("limit", f"must be between 1 and {MAX_CONTEXT}")
    return limit


def decay_cutoff(settings: Settings, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=settings.memory_retention_days)


def run_janitor(database: Database, settings: Settings) -> dict[str, int]:
    """Memory decay and telemetry retention for every tenant (each replica may run it:
    both are idempotent deletes)."""
    now = dt.datetime.now(dt.timezone.utc)
    deleted = {"memories": store.decay(database, cutoff=decay_cutoff(settings, now))}
    if settings.telemetry_retention_days > 0:
        cutoff = now - dt.timedelta(days=settings.telemetry_retention_days)
        deleted["telemetry"] = telemetry_store.delete_older_than(database, cutoff)
    log.info("janitor_ran", **deleted)
    return deleted
