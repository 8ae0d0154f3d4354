"""The client's typed errors: every grpc.RpcError becomes a :class:`BastionError`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from bastion.clients.types import Decision


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


@dataclass(frozen=True)
class ErrorInfo:
    reason: str
    domain: str
    metadata: Mapping[str, str] = field(default_factory=dict)


class BastionError(Exception):
    """A failed call: the gRPC status code, its message and the decoded typed details.

    :ivar code: ``grpc.StatusCode``.
    :ivar field_violations: from ``google.rpc.BadRequest`` (INVALID_ARGUMENT).
    :ivar retry_after: seconds, from ``google.rpc.RetryInfo``.
    :ivar quota_violations: (subject, description) pairs from ``google.rpc.QuotaFailure``.
    :ivar error_info: ``google.rpc.ErrorInfo`` (e.g. reason ``VERDICT_DENY``).
    :ivar decision: the refusing decision, when a domain call was refused.
    """

    def __init__(self, code: grpc.StatusCode, message: str, *,
                 field_violations: tuple[FieldViolation, ...] = (),
                 retry_after: float | None = None,
                 quota_violations: tuple[tuple[str, str], ...] = (),
                 error_info: ErrorInfo | None = None,
                 decision: Decision | None = None) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.field_violations = field_violations
        self.retry_after = retry_after
        self.quota_violations = quota_violations
        self.error_info = error_info
        self.decision = decision


class NotAllowed(BastionError):
    """Raised by ``@guarded`` when the decision is not ALLOW."""

    def __init__(self, decision: Decision) -> None:
        reasons = "; ".join(f"{r.guard}: {r.message}" for r in decision.reasons)
        super().__init__(grpc.StatusCode.PERMISSION_DENIED,
                         f"{decision.action} not allowed ({decision.verdict.value})"
                         + (f": {reasons}" if reasons else ""),
                         retry_after=decision.retry_after, decision=decision)


def from_rpc_error(error: grpc.RpcError) -> BastionError:
    """Decodes a ``grpc.RpcError`` (sync or aio) with its ``grpc-status-details-bin``."""
    from bastion.clients.convert import decision_from_pb
    from bastion.v1 import decision_pb2

    code = error.code() if callable(getattr(error, "code", None)) else grpc.StatusCode.UNKNOWN
    message = error.details() if callable(getattr(error, "details", None)) else str(error)
    fields: list[FieldViolation] = []
    quota: list[tuple[str, str]] = []
    retry_after = None
    info = None
    decision = None
    status = None
    try:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
    except (ValueError, AttributeError, TypeError):
        status = None
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields.extend(FieldViolation(v.field, v.description) for v in bad.field_violations)
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            retry_after = retry.retry_delay.ToMilliseconds() / 1000
        elif detail.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
            failure = error_details_pb2.QuotaFailure()
            detail.Unpack(failure)
            quota.extend((v.subject, v.description) for v in failure.violations)
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            ei = error_details_pb2.ErrorInfo()
            detail.Unpack(ei)
            info = ErrorInfo(ei.reason, ei.domain, dict(ei.metadata))
        elif detail.Is(decision_pb2.Decision.DESCRIPTOR):
            pb = decision_pb2.Decision()
            detail.Unpack(pb)
            decision = decision_from_pb(pb)
    return BastionError(code, message or "", field_violations=tuple(fields),
                        retry_after=retry_after, quota_violations=tuple(quota),
                        error_info=info, decision=decision)
