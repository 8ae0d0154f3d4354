"""AdminService RPCs for telemetry (SPEC W3) and memories (SPEC W4): a mixin of the
AdminServicer. Operator role; MarkToxic is ledgered (``admin.memory.mark_toxic``)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import grpc
import structlog

from bastion.runtime import memory
from bastion.runtime import validation as v
from bastion.runtime.config import Settings
from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.errors import NotFound
from bastion.runtime.lifecycle import Lifecycle
from bastion.runtime.principal import current_principal
from bastion.runtime.telemetry import EntryType
from bastion.storage import Database
from bastion.storage import memories as memory_store
from bastion.storage import telemetry as telemetry_store
from bastion.v1 import admin_service_pb2 as pb

log = structlog.get_logger("bastion.memory")

_TYPES = {pb.TELEMETRY_TYPE_INTERACTION: EntryType.INTERACTION,
          pb.TELEMETRY_TYPE_TELEMETRY: EntryType.TELEMETRY,
          pb.TELEMETRY_TYPE_ERROR: EntryType.ERROR,
          pb.TELEMETRY_TYPE_GUARDIAN_DECISION: EntryType.GUARDIAN_DECISION,
          pb.TELEMETRY_TYPE_STATE_TRANSITION: EntryType.STATE_TRANSITION}
_TO_PB = {t.value: k for k, t in _TYPES.items()}
MAX_PAGE = 1000


class TelemetryMemoryAdmin:
    _lifecycle: Lifecycle
    _db: Database
    _settings: Settings

    async def ListTelemetry(self, request: pb.ListTelemetryRequest,
                            context: grpc.aio.ServicerContext) -> pb.ListTelemetryResponse:
        tenant_id = current_principal().tenant_id
        types = []
        for n, value in enumerate(request.types):
            if value not in _TYPES:
                raise v.InvalidArgument(f"types[{n}]", "is not a telemetry type")
            types.append(_TYPES[value].value)
        since = _time(request, "since")
        until = _time(request, "until")
        if since and until and until <= since:
            raise v.InvalidArgument("until", "must be after since")
        size = request.page_size or 100
        if not 0 < size <= MAX_PAGE:
            raise v.InvalidArgument("page_size", f"must be between 1 and {MAX_PAGE}")
        rows = await asyncio.to_thread(
            telemetry_store.list_entries, self._db, tenant_id, entry_types=types,
            since=since, until=until, after=_read_token(request.page_token), limit=size + 1)
        response = pb.ListTelemetryResponse()
        for row in rows[:size]:
            entry = response.entries.add(
                id=row["id"], type=_TO_PB[row["entry_type"]], source=row["source"],
                details_json=row["details_json"], error_json=row["error_json"] or "",
                run_id=row["run_id"], decision_id=row["decision_id"])
            entry.recorded_at.FromDatetime(row["recorded_at"])
        if len(rows) > size:
            response.next_page_token = _page_token(rows[size - 1])
        return response

    async def MarkToxic(self, request: pb.MarkToxicRequest,
                        context: grpc.aio.ServicerContext) -> pb.MarkToxicResponse:
        principal = current_principal()
        memory_id = v.identifier(request.memory_id, "memory_id", 64, required=True)
        reason = v.text(request.reason, "reason", 1000, required=True)
        if await asyncio.to_thread(memory_store.find, self._db, principal.tenant_id,
                                   memory_id) is None:
            raise NotFound(f"memory {memory_id} not found")
        op = memory_store.MarkToxic(tenant_id=principal.tenant_id, memory_id=memory_id,
                                    reason=reason, now=dt.datetime.now(dt.timezone.utc))
        await guarded_call(self._lifecycle, "admin.memory.mark_toxic", lambda uow: uow.add(op),
                           attributes={"memory_id": memory_id, "reason": reason})
        log.warning("memory_marked_toxic", memory_id=memory_id, reason=reason,
                    actor=principal.subject)
        return pb.MarkToxicResponse()

    async def RunMemoryDecay(self, request: pb.RunMemoryDecayRequest,
                             context: grpc.aio.ServicerContext) -> pb.RunMemoryDecayResponse:
        tenant_id = current_principal().tenant_id
        cutoff = memory.decay_cutoff(self._settings, dt.datetime.now(dt.timezone.utc))
        deleted = await asyncio.to_thread(memory_store.decay, self._db, cutoff=cutoff,
                                          tenant_id=tenant_id)
        return pb.RunMemoryDecayResponse(deleted=deleted)


def _page_token(row: Any) -> str:
    """``<recorded_at in Unix microseconds>.<id>`` of a page's last entry."""
    at = row["recorded_at"]
    micros = (at - _EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}.{row['id']}"


def _read_token(token: str) -> tuple[dt.datetime, int] | None:
    if not token:
        return None
    micros, dot, entry_id = token.partition(".")
    if not (dot and micros.isdigit() and entry_id.isdigit() and len(micros) <= 18
            and len(entry_id) <= 19):
        raise v.InvalidArgument("page_token", "is not a token this service issued")
    try:
        return _EPOCH + dt.timedelta(microseconds=int(micros)), int(entry_id)
    except OverflowError:
        raise v.InvalidArgument("page_token", "is not a token this service issued") from None


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _time(request: pb.ListTelemetryRequest, field: str) -> dt.datetime | None:
    if not request.HasField(field):
        return None
    stamp = getattr(request, field)
    if stamp.nanos < 0 or stamp.nanos >= 1_000_000_000 or not 0 <= stamp.seconds < 253402300800:
        raise v.InvalidArgument(field, "is not a valid timestamp")
    return stamp.ToDatetime(tzinfo=dt.timezone.utc)
