"""The synchronous Python client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc

from bastion.clients import calls
from bastion.clients import types as t
from bastion.clients.channel import channel_options
from bastion.clients.errors import from_rpc_error
from bastion.clients.services import ServiceProxy
from bastion.v1 import (
    admin_service_pb2_grpc,
    guard_service_pb2_grpc,
    ledger_service_pb2_grpc,
    metabolism_service_pb2_grpc,
    training_service_pb2_grpc,
)


class BastionClient:
    """A connection to Bastion. Thread-safe; share one per process.

    :param target: ``host:port``.
    :param api_key: an API key (``bst_…``) or JWT, sent as ``authorization: Bearer …``.
    :param timeout: default deadline of every call in seconds (override per call).
    :param max_attempts: tries per call when the server answers UNAVAILABLE (only then).
    :param credentials: ``grpc.ssl_channel_credentials(...)`` for TLS; plaintext otherwise.
    """

    def __init__(self, target: str, *, api_key: str, timeout: float = 10.0,
                 max_attempts: int = 4, credentials: grpc.ChannelCredentials | None = None,
                 options: list[tuple[str, Any]] | None = None) -> None:
        opts = channel_options(max_attempts) + list(options or [])
        self._channel = (grpc.secure_channel(target, credentials, options=opts) if credentials
                         else grpc.insecure_channel(target, options=opts))
        self._metadata = (("authorization", f"Bearer {api_key}"),)
        self.timeout = timeout
        self._stubs = {
            "guard": guard_service_pb2_grpc.GuardServiceStub(self._channel),
            "ledger": ledger_service_pb2_grpc.LedgerServiceStub(self._channel),
            "admin": admin_service_pb2_grpc.AdminServiceStub(self._channel),
            "metabolism": metabolism_service_pb2_grpc.MetabolismServiceStub(self._channel),
        }
        #: TrainingService (the training plugin): ``client.training.<Rpc>(request)``.
        self.training = ServiceProxy(
            training_service_pb2_grpc.TrainingServiceStub(self._channel), self._metadata,
            timeout)

    def _run(self, call: calls.Call, timeout: float | None) -> Any:
        method = getattr(self._stubs[call.service], call.method)
        try:
            response = method(call.request, metadata=self._metadata,
                              timeout=self.timeout if timeout is None else timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return call.convert(response)

    # -- GuardService ------------------------------------------------------------------
    def check(self, action: str, *, resource: str = "", agent_id: str = "", run_id: str = "",
              task_id: str = "", priority: str | None = None, estimated_cost_usd: float = 0.0,
              resources: Mapping[str, float] | None = None,
              attributes: Mapping[str, Any] | None = None,
              reasoning: t.Reasoning | Mapping[str, Any] | None = None,
              timeout: float | None = None) -> t.Decision:
        """Asks whether ``action`` may happen; returns the decision (recorded in the ledger)."""
        return self._run(calls.check(
            action, resource=resource, agent_id=agent_id, run_id=run_id, task_id=task_id,
            priority=priority, estimated_cost_usd=estimated_cost_usd, resources=resources,
            attributes=attributes, reasoning=reasoning), timeout)

    def report(self, decision_id: str, *, cost_usd: float = 0.0,
               usage: Mapping[str, float] | None = None, outcome: str = "",
               timeout: float | None = None) -> str:
        """Records what the action really cost and used; returns the report id."""
        return self._run(calls.report(decision_id, cost_usd, usage, outcome), timeout)

    def explain(self, decision_id: str, *, timeout: float | None = None) -> t.Explanation:
        return self._run(calls.explain(decision_id), timeout)

    # -- MetabolismService -------------------------------------------------------------
    def compute_snapshot(self, *, health_score: float, operations_score: float,
                         customer_score: float, active_goals: int, pending_tasks: int,
                         timeout: float | None = None) -> t.MetabolismSnapshot:
        inputs = t.MetabolismInputs(health_score, operations_score, customer_score,
                                    active_goals, pending_tasks)
        return self._run(calls.compute_snapshot(inputs), timeout)

    def plan_task_generation(self, *, inputs: t.MetabolismInputs | Mapping[str, Any] | None = None,
                             existing_todo_count: int = 0,
                             timeout: float | None = None) -> t.TaskPlan:
        return self._run(calls.plan_task_generation(inputs, existing_todo_count), timeout)

    # -- LedgerService / AdminService --------------------------------------------------
    def list_ledger(self, *, page_size: int = 100, page_token: str = "", action_type: str = "",
                    timeout: float | None = None) -> t.LedgerPage:
        return self._run(calls.list_ledger(page_size, page_token, action_type), timeout)

    def verify_ledger(self, *, limit: int = 0, from_sequence: int = 0,
                      timeout: float | None = None) -> t.LedgerVerification:
        return self._run(calls.verify_ledger(limit, from_sequence), timeout)

    def list_plugins(self, *, timeout: float | None = None) -> list[t.PluginInfo]:
        return self._run(calls.list_plugins(), timeout)

    # -- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "BastionClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
