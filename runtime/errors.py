"""Domain errors and the one place they become gRPC statuses.

Servicers and domain code raise these; :func:`to_status` maps them (and storage outages)
to a status code with a useful message and typed ``google.rpc`` details. Anything else is
INTERNAL with the request id: never UNKNOWN, never a stack trace or ``str(exception)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

DOMAIN = "bastion.dev"


class BastionError(Exception):
    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> list[any_pb2.Any]:
        return []


class InvalidArgument(BastionError):
    """Bad input; ``field`` is the request field at fault (dotted path)."""

    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description

    def details(self) -> list[any_pb2.Any]:
        bad = error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=self.field,
                                                        description=self.description)])
        return [_pack(bad)]


class NotFound(BastionError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(BastionError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(BastionError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Unauthenticated(BastionError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(BastionError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Refused(BastionError):
    """A domain RPC whose decision was not ALLOW. Carries the decision (as protobuf Any)."""

    def __init__(self, message: str, *, code: grpc.StatusCode, reason: str,
                 metadata: Mapping[str, str], retry_after_s: float | None,
                 quota_violations: Sequence[tuple[str, str]] = (),
                 decision: any_pb2.Any | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.metadata = dict(metadata)
        self.retry_after_s = retry_after_s
        self.quota_violations = list(quota_violations)
        self.decision = decision

    def details(self) -> list[any_pb2.Any]:
        out = [_pack(error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN,
                                                 metadata=self.metadata))]
        if self.retry_after_s is not None:
            delay = duration_pb2.Duration()
            delay.FromMilliseconds(int(self.retry_after_s * 1000))
            out.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
        if self.quota_violations:
            out.append(_pack(error_details_pb2.QuotaFailure(violations=[
                error_details_pb2.QuotaFailure.Violation(subject=s, description=d)
                for s, d in self.quota_violations])))
        if self.decision is not None:
            out.append(self.decision)
        return out


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def to_status(error: BaseException, request_id: str) -> status_pb2.Status:
    """The google.rpc.Status for ``error``. Unexpected errors become INTERNAL."""
    from bastion.storage import StorageUnavailable

    if isinstance(error, BastionError):
        code, message, details = error.code, error.message, error.details()
    elif isinstance(error, StorageUnavailable):
        code = grpc.StatusCode.UNAVAILABLE
        message, details = "storage unavailable; retry", []
    else:
        code = grpc.StatusCode.INTERNAL
        message = f"internal error (request id {request_id})"
        details = [_pack(error_details_pb2.RequestInfo(request_id=request_id))]
    return status_pb2.Status(code=code.value[0], message=message, details=details)


def status_code_of(status: status_pb2.Status) -> grpc.StatusCode:
    return _BY_VALUE[status.code]


def code_from_int(code: int) -> grpc.StatusCode:
    return _BY_VALUE.get(code, grpc.StatusCode.UNKNOWN)


_BY_VALUE = {c.value[0]: c for c in grpc.StatusCode}
assert code_pb2.INVALID_ARGUMENT == grpc.StatusCode.INVALID_ARGUMENT.value[0]
