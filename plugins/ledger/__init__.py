"""The ledger plugin (SPEC D1): every decision, and every domain action a plugin records,
appended to a per-tenant hash chain signed with HMAC-SHA256, in the same transaction as
everything else the request changes.

Configuration (``[plugins.ledger]`` or environment):
- ``secret`` (``BASTION_LEDGER_SECRET``): the HMAC key. No default: without it entries are
  still chained and Verify says ``has_secret: false``.
- ``verify_enabled`` (``BASTION_LEDGER_VERIFY``): LedgerService.Verify answers only when set.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from typing import Any

from bastion.plugins.ledger.chain import Sealer, canonical_json
from bastion.plugins.ledger.servicer import LedgerServicer
from bastion.runtime import hookimpl
from bastion.runtime.actions import ActionRequest
from bastion.runtime.config import Settings
from bastion.runtime.principal import Role
from bastion.runtime.services import ServiceContext, ServiceRegistration
from bastion.runtime.unit_of_work import UnitOfWork
from bastion.runtime.verdicts import Decision, LedgerRef
from bastion.storage import Database
from bastion.storage import ledger as store
from bastion.storage.migrate import LEDGER_VERSIONS
from bastion.v1 import ledger_service_pb2_grpc

DECISION = "decision"


class LedgerPlugin:
    name = "ledger"

    def __init__(self) -> None:
        self.sealer = Sealer("")
        self.verify_enabled = False
        self.database: Database | None = None

    @hookimpl
    def bastion_configure(self, settings: Settings, database: Database) -> None:
        section = settings.plugin_settings(self.name)
        self.sealer = Sealer(str(section.get("secret", "")))
        self.verify_enabled = bool(section.get("verify_enabled", False))
        self.database = database

    @hookimpl
    def bastion_migrations(self) -> list[pathlib.Path]:
        return [LEDGER_VERSIONS]

    @hookimpl
    def bastion_decision_made(self, request: ActionRequest, decision: Decision,
                              unit_of_work: UnitOfWork) -> None:
        payload = {"decision": decision.to_record(), "request": request.to_record()}

        def appended(record: store.LedgerRecord) -> None:
            decision.ledger_entry = LedgerRef(record.sequence, record.entry_hash)

        unit_of_work.add(store.LedgerAppend(
            tenant_id=request.tenant_id, ts=decision.decided_at, action_type=DECISION,
            actor=request.principal.subject, subject_id=decision.decision_id,
            payload_json=canonical_json(payload), sealer=self.sealer, on_appended=appended))

    @hookimpl
    def bastion_record_event(self, tenant_id: str, event_type: str, subject_id: str,
                             actor: str, payload: dict[str, Any],
                             at: dt.datetime) -> store.LedgerAppend:
        return store.LedgerAppend(
            tenant_id=tenant_id, ts=at, action_type=event_type, actor=actor,
            subject_id=subject_id, payload_json=canonical_json(payload), sealer=self.sealer)

    @hookimpl
    def bastion_find_decision(self, tenant_id: str, decision_id: str) -> dict[str, Any] | None:
        assert self.database is not None
        record = store.find_by_subject(self.database, tenant_id, decision_id, DECISION)
        if record is None:
            return None
        found = json.loads(record.payload_json)
        found["ledger_entry"] = LedgerRef(record.sequence, record.entry_hash)
        return found

    @hookimpl
    def bastion_services(self, context: ServiceContext) -> list[ServiceRegistration]:
        return [ServiceRegistration(
            name="bastion.v1.LedgerService",
            add_to_server=ledger_service_pb2_grpc.add_LedgerServiceServicer_to_server,
            servicer=LedgerServicer(self, context.database),
            method_roles={"List": Role.AGENT, "Verify": Role.ADMIN})]
