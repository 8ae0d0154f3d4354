"""LedgerService: List and Verify for the caller's tenant."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import grpc

from bastion.plugins.ledger.chain import verify
from bastion.runtime import validation as v
from bastion.runtime.errors import FailedPrecondition, InvalidArgument
from bastion.runtime.principal import current_principal
from bastion.storage import Database
from bastion.storage import ledger as store
from bastion.v1 import ledger_service_pb2 as pb
from bastion.v1 import ledger_service_pb2_grpc

if TYPE_CHECKING:
    from bastion.plugins.ledger import LedgerPlugin


def entry_to_pb(record: store.LedgerRecord) -> pb.LedgerEntry:
    entry = pb.LedgerEntry(
        sequence=record.sequence, action_type=record.action_type, actor=record.actor,
        subject_id=record.subject_id, payload_json=record.payload_json,
        parent_hash=record.parent_hash, entry_hash=record.entry_hash,
        signature=record.signature)
    entry.ts.FromDatetime(record.ts)
    return entry


def _page_token(token: str) -> int:
    if not token:
        return 0
    try:
        after = int(token)
    except ValueError:
        raise InvalidArgument("page_token", "is not a token this service issued") from None
    if after < 0:
        raise InvalidArgument("page_token", "is not a token this service issued")
    return after


class LedgerServicer(ledger_service_pb2_grpc.LedgerServiceServicer):
    def __init__(self, plugin: LedgerPlugin, database: Database) -> None:
        self._plugin = plugin
        self._db = database

    async def List(self, request: pb.LedgerServiceListRequest,
                   context: grpc.aio.ServicerContext) -> pb.LedgerServiceListResponse:
        size = request.page_size or 100
        if not 0 < size <= 1000:
            raise InvalidArgument("page_size", "must be between 1 and 1000")
        after = _page_token(request.page_token)
        action_type = v.text(request.action_type, "action_type", 128) or None
        records = await asyncio.to_thread(
            store.list_entries, self._db, current_principal().tenant_id,
            after_sequence=after, limit=size + 1, action_type=action_type)
        more = len(records) > size
        records = records[:size]
        return pb.LedgerServiceListResponse(
            entries=[entry_to_pb(r) for r in records],
            next_page_token=str(records[-1].sequence) if more else "")

    async def Verify(self, request: pb.LedgerServiceVerifyRequest,
                     context: grpc.aio.ServicerContext) -> pb.LedgerServiceVerifyResponse:
        if not self._plugin.verify_enabled:
            raise FailedPrecondition("ledger verification is disabled "
                                     "(set plugins.ledger.verify_enabled or BASTION_LEDGER_VERIFY)")
        limit = request.limit or 1000
        if not 0 < limit <= 100_000:
            raise InvalidArgument("limit", "must be between 1 and 100000")
        start = request.from_sequence or 1
        if start < 1:
            raise InvalidArgument("from_sequence", "must be >= 1")
        report = await asyncio.to_thread(verify_tenant, self._plugin, self._db,
                                         current_principal().tenant_id, start, limit)
        response = pb.LedgerServiceVerifyResponse(
            chain_ok=report.chain_ok, count=report.count, has_secret=report.has_secret,
            entries=[pb.EntryVerification(sequence=c.sequence, sig_ok=c.sig_ok,
                                          chain_ok=c.chain_ok, reason=c.reason)
                     for c in report.entries])
        if report.overall_ok is not None:
            response.overall_ok = report.overall_ok
        return response


def verify_tenant(plugin: LedgerPlugin, db: Database, tenant_id: str, start: int,
                  limit: int):  # type: ignore[no-untyped-def]
    predecessor = store.get_entry(db, tenant_id, start - 1) if start > 1 else None
    return verify(store.iter_entries(db, tenant_id, from_sequence=start, limit=limit),
                  plugin.sealer, predecessor)
