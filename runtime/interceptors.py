"""Bastion's own server interceptors (grpcio's synchronous server).

Outermost first: :class:`ObservabilityInterceptor` (request id, one access-log line per
call, metrics, and the single mapping of errors to statuses), then
:class:`AuthInterceptor` (credentials → principal, role check), then plugins' interceptors.
Each wraps the method handler's behaviour, so it runs on the worker thread of the call.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import grpc
import structlog
from grpc_status import rpc_status

from bastion.runtime import errors, metrics
from bastion.runtime.auth import Authenticator
from bastion.runtime.errors import PermissionDenied
from bastion.runtime.principal import Role, reset_current_principal, set_current_principal

log = structlog.get_logger("bastion.access")
Behavior = Callable[..., Any]


def _wrap_handler(handler: grpc.RpcMethodHandler,
                  wrap: Callable[[Behavior, bool], Behavior]) -> grpc.RpcMethodHandler:
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            wrap(handler.unary_unary, False), handler.request_deserializer,
            handler.response_serializer)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            wrap(handler.unary_stream, True), handler.request_deserializer,
            handler.response_serializer)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            wrap(handler.stream_unary, False), handler.request_deserializer,
            handler.response_serializer)
    return grpc.stream_stream_rpc_method_handler(
        wrap(handler.stream_stream, True), handler.request_deserializer,
        handler.response_serializer)


def _metadata(context: grpc.ServicerContext, key: str) -> str | None:
    for k, v in context.invocation_metadata() or ():
        if k == key:
            return v if isinstance(v, str) else v.decode()
    return None


class ObservabilityInterceptor(grpc.ServerInterceptor):
    """Request id, access log, metrics, and error → status mapping (the one place)."""

    def __init__(self, quiet_services: frozenset[str] = frozenset()) -> None:
        self._quiet = quiet_services

    def intercept_service(self, continuation: Callable[..., Any],
                          details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        if handler is None:
            return None
        method = details.method
        quiet = method.split("/")[1] in self._quiet if method.count("/") == 2 else False
        counters = {}
        timer = metrics.RPC_SECONDS.labels(method)

        def observe(code: grpc.StatusCode, started: float, request_id: str) -> None:
            elapsed = time.perf_counter() - started
            name = code.name
            counter = counters.get(name)
            if counter is None:
                counter = counters[name] = metrics.RPC_TOTAL.labels(method, name)
            counter.inc()
            timer.observe(elapsed)
            if not quiet:
                log.info("rpc", method=method, status=name,
                         duration_ms=round(elapsed * 1000, 3), request_id=request_id)

        def wrap(behavior: Behavior, streaming: bool) -> Behavior:
            if streaming:
                def stream_behavior(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
                    started, request_id = _start(context)
                    status = None
                    try:
                        yield from behavior(request, context)
                    except Exception as error:  # noqa: BLE001 - mapped to a status
                        status = _status_for(context, error, request_id)
                    finally:
                        observe(_code_of(context, status), started, request_id)
                        structlog.contextvars.clear_contextvars()
                    if status is not None:
                        context.abort_with_status(rpc_status.to_status(status))
                return stream_behavior

            def unary_behavior(request: Any, context: grpc.ServicerContext) -> Any:
                started, request_id = _start(context)
                status = None
                try:
                    return behavior(request, context)
                except Exception as error:  # noqa: BLE001 - mapped to a status
                    status = _status_for(context, error, request_id)
                finally:
                    observe(_code_of(context, status), started, request_id)
                    structlog.contextvars.clear_contextvars()
                context.abort_with_status(rpc_status.to_status(status))
            return unary_behavior

        return _wrap_handler(handler, wrap)


def _start(context: grpc.ServicerContext) -> tuple[float, str]:
    request_id = _metadata(context, "x-request-id") or uuid.uuid4().hex
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return time.perf_counter(), request_id[:128]


def _status_for(context: grpc.ServicerContext, error: Exception,
                request_id: str) -> Any:
    """The status to end the call with; re-raises when the handler already aborted."""
    if context.code() not in (None, grpc.StatusCode.OK):
        raise error  # the handler called context.abort(): grpc finishes the call
    status = errors.to_status(error, request_id)
    if errors.status_code_of(status) is grpc.StatusCode.INTERNAL:
        log.error("rpc_internal_error", error=type(error).__name__, exc_info=error)
    return status


def _code_of(context: grpc.ServicerContext, status: Any) -> grpc.StatusCode:
    if status is not None:
        return errors.status_code_of(status)
    return context.code() or grpc.StatusCode.OK


class AuthInterceptor(grpc.ServerInterceptor):
    """Authenticates every call except public services and enforces the method's role."""

    def __init__(self, authenticator: Authenticator,
                 policies: Mapping[str, tuple[bool, Role]]) -> None:
        """:param policies: full method name → (public, minimum role)."""
        self._auth = authenticator
        self._policies = policies

    def intercept_service(self, continuation: Callable[..., Any],
                          details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        if handler is None:
            return None
        public, required = self._policies.get(details.method, (False, Role.ADMIN))
        if public:
            return handler
        authenticate = self._auth.authenticate

        def enter(context: grpc.ServicerContext) -> Any:
            principal = authenticate(_metadata(context, "authorization"))
            if not principal.may(required):
                raise PermissionDenied(
                    f"role {principal.role.name.lower()} may not call {details.method}")
            structlog.contextvars.bind_contextvars(tenant=principal.tenant_id)
            return set_current_principal(principal)

        def wrap(behavior: Behavior, streaming: bool) -> Behavior:
            if streaming:
                def authenticated_stream(request: Any,
                                         context: grpc.ServicerContext) -> Iterator[Any]:
                    token = enter(context)
                    try:
                        yield from behavior(request, context)
                    finally:
                        reset_current_principal(token)
                return authenticated_stream

            def authenticated(request: Any, context: grpc.ServicerContext) -> Any:
                token = enter(context)
                try:
                    return behavior(request, context)
                finally:
                    reset_current_principal(token)
            return authenticated

        return _wrap_handler(handler, wrap)


