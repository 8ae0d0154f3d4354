"""GuardService: convert, call the lifecycle, convert back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import grpc
import pluggy
import structlog

from bastion.runtime import converters, errors
from bastion.runtime import validation as v
from bastion.runtime.actions import RESOURCES, UsageReport
from bastion.runtime.config import Settings
from bastion.runtime.errors import FailedPrecondition, NotFound
from bastion.runtime.lifecycle import Lifecycle, new_id
from bastion.runtime.interceptors import Undecodable
from bastion.runtime.principal import Principal, current_principal
from bastion.runtime.streaming import bounded_map
from bastion.runtime.verdicts import Decision
from bastion.v1 import guard_service_pb2 as pb
from bastion.v1 import guard_service_pb2_grpc

log = structlog.get_logger("bastion.guard")


class GuardServicer(guard_service_pb2_grpc.GuardServiceServicer):
    def __init__(self, lifecycle: Lifecycle, pm: pluggy.PluginManager,
                 settings: Settings) -> None:
        self._lifecycle = lifecycle
        self._hook = pm.hook
        self._settings = settings

    async def Check(self, request: pb.CheckRequest,
                    context: grpc.aio.ServicerContext) -> pb.CheckResponse:
        # The id is given here, at construction: the lifecycle would otherwise copy the
        # frozen request (dataclasses.replace) to set it.
        action = converters.action_from_check(request, current_principal(), self._settings,
                                              decision_id=new_id("dec"))
        decision, _ = await self._lifecycle.decide(action)
        response = pb.CheckResponse()
        converters.fill_decision(response.decision, decision)  # no copy of a built message
        return response

    async def CheckStream(self, requests: AsyncIterator[pb.CheckStreamRequest],
                          context: grpc.aio.ServicerContext
                          ) -> AsyncIterator[pb.CheckStreamResponse]:
        principal = current_principal()

        async def decide(position: int, message: pb.CheckStreamRequest
                         ) -> pb.CheckStreamResponse:
            return await self._decide_streamed(principal, position, message)

        async for response in bounded_map(requests, decide,
                                          self._settings.stream_max_in_flight):
            yield response

    async def _decide_streamed(self, principal: Principal, position: int,
                               message: pb.CheckStreamRequest) -> pb.CheckStreamResponse:
        """One stream message, decided as Check decides it; an error is its answer."""
        request_id = str(position)
        try:
            if type(message) is Undecodable:
                raise v.InvalidArgument("message", f"is not a CheckStreamRequest "
                                                   f"({message.reason})")
            request_id = v.text(message.request_id, "request_id", 64) or request_id
            if not message.HasField("check"):
                raise v.InvalidArgument("check", "is required")
            try:
                action = converters.action_from_check(message.check, principal,
                                                      self._settings, decision_id=new_id("dec"))
            except v.InvalidArgument as bad:
                raise v.InvalidArgument(f"check.{bad.field}", bad.description) from None
            decision, _ = await self._lifecycle.decide(action)
        except Exception as error:  # noqa: BLE001 - answered on the stream
            return pb.CheckStreamResponse(request_id=request_id,
                                          error=_stream_error(error, request_id))
        response = pb.CheckStreamResponse(request_id=request_id)
        converters.fill_decision(response.decision, decision)
        return response

    async def Report(self, request: pb.ReportRequest,
                     context: grpc.aio.ServicerContext) -> pb.ReportResponse:
        principal = current_principal()
        decision_id = v.identifier(request.decision_id, "decision_id", 64, required=True)
        cost_usd = v.amount(request.cost_usd, "cost_usd")
        usage = v.amounts(request.usage, "usage", known=RESOURCES)
        outcome = v.text(request.outcome, "outcome", 64)
        # The run, task and priority come from the recorded decision, never from the caller
        # (a caller must not charge another run's budget).
        found = await self._lifecycle.find_decision(principal.tenant_id, decision_id)
        if found is None and self._lifecycle.records_decisions:
            raise NotFound(f"decision {decision_id} not found")
        recorded = found["request"] if found else {}
        report = UsageReport(
            principal=principal, report_id=new_id("rep"), decision_id=decision_id,
            cost_usd=cost_usd, usage=usage, outcome=outcome,
            run_id=str(recorded.get("run_id", "")), task_id=str(recorded.get("task_id", "")),
            priority=int(str(recorded.get("priority", "P2"))[1:] or 2))
        await self._lifecycle.report(report)
        return pb.ReportResponse(report_id=report.report_id)

    async def Explain(self, request: pb.ExplainRequest,
                      context: grpc.aio.ServicerContext) -> pb.ExplainResponse:
        decision_id = v.identifier(request.decision_id, "decision_id", 64, required=True)
        principal = current_principal()
        if not self._lifecycle.records_decisions:
            raise FailedPrecondition("no plugin records decisions (the ledger plugin is disabled)")
        found = await self._lifecycle.find_decision(principal.tenant_id, decision_id)
        if found is None:
            raise NotFound(f"decision {decision_id} not found")
        decision = Decision.from_record(found["decision"])
        decision.ledger_entry = found.get("ledger_entry")
        return pb.ExplainResponse(decision=converters.decision_to_pb(decision),
                                  request_json=json.dumps(found["request"], sort_keys=True))


def _stream_error(error: Exception, request_id: str) -> pb.CheckStreamError:
    status = errors.to_status(error, request_id)
    if errors.status_code_of(status) is grpc.StatusCode.INTERNAL:
        log.error("check_stream_message_failed", error=type(error).__name__, exc_info=error)
    return pb.CheckStreamError(code=status.code, message=status.message,
                               field=getattr(error, "field", ""))
