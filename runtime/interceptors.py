"""Bastion's own server interceptors (grpc.aio).

Outermost first: :class:`ObservabilityInterceptor` (request id, one access-log line per
call, metrics, and the single mapping of errors to statuses), then
:class:`AuthInterceptor` (credentials → principal, role check), then plugins' interceptors.
Each wraps the method handler's behaviour, so it runs inside the call's own task (the
principal and log context are per call).
"""

from __future__ import annotations

import inspect
import time
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import grpc
import structlog
from google.protobuf.message import DecodeError
from grpc_status import rpc_status

from bastion.runtime import errors, metrics
from bastion.runtime.auth import Authenticator
from bastion.runtime.errors import InvalidArgument, PermissionDenied
from bastion.runtime.logging import log_access
from bastion.runtime.principal import Role, reset_current_principal, set_current_principal

log = structlog.get_logger("bastion.access")
_ids = random.Random(int.from_bytes(os.urandom(16), "big"))  # request ids correlate logs only
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(16)))
Behavior = Callable[..., Any]
Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]]


class Undecodable:
    """What a unary request deserializer returns for bytes that are not the method's
    message. grpc.aio answers UNKNOWN when a deserializer raises (before any interceptor
    runs), so the error travels as a value to the handler, which refuses it."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def deserialize(body: bytes) -> Any:
        try:
            return deserializer(body)
        except DecodeError as error:
            return Undecodable(str(error)[:200])
    return deserialize


def _wrap_handler(handler: grpc.RpcMethodHandler, wrap: Callable[[Behavior, bool], Behavior],
                  *, tolerant: bool = False) -> grpc.RpcMethodHandler:
    """``tolerant``: undecodable request bytes arrive as :class:`Undecodable` values (a
    streaming handler meets them among the messages it reads and answers each)."""
    deserializer = _tolerant(handler.request_deserializer) if tolerant else \
        handler.request_deserializer
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            wrap(handler.unary_unary, False), deserializer, handler.response_serializer)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            wrap(handler.unary_stream, True), deserializer, handler.response_serializer)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            wrap(handler.stream_unary, False), deserializer, handler.response_serializer)
    return grpc.stream_stream_rpc_method_handler(
        wrap(handler.stream_stream, True), deserializer, handler.response_serializer)


def _metadata(context: grpc.aio.ServicerContext, key: str) -> str | None:
    for k, v in context.invocation_metadata() or ():
        if k == key:
            return v if isinstance(v, str) else v.decode()
    return None


class _MethodStats:
    """Per-method metric children, created once (label lookups cost on the hot path)."""

    def __init__(self, method: str, quiet: bool) -> None:
        self.method = method
        self.quiet = quiet
        self.timer = metrics.RPC_SECONDS.labels(method)
        self._counters: dict[str, Any] = {}

    def observe(self, code: grpc.StatusCode, started: float, request_id: str) -> None:
        elapsed = time.perf_counter() - started
        name = code.name
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = metrics.RPC_TOTAL.labels(self.method, name)
        counter.inc()
        self.timer.observe(elapsed)
        if not self.quiet:
            log_access(self.method, name, round(elapsed * 1000, 3), request_id)


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):
    """Request id, access log, metrics, and error → status mapping (the one place)."""

    def __init__(self, quiet_services: frozenset[str] = frozenset(), *,
                 cache_handlers: bool = False) -> None:
        """:param cache_handlers: wrap each method's handler once instead of per call. Only
            safe when no interceptor further in does per-call work in ``intercept_service``
            (the server enables it when no plugin contributes interceptors)."""
        self._quiet = quiet_services
        self._stats: dict[str, _MethodStats] = {}
        self._cache: dict[str, grpc.RpcMethodHandler | None] | None = (
            {} if cache_handlers else None)

    def _stats_for(self, method: str) -> _MethodStats:
        stats = self._stats.get(method)
        if stats is None:
            service = method.split("/")[1] if method.count("/") == 2 else ""
            stats = self._stats[method] = _MethodStats(method, service in self._quiet)
        return stats

    async def intercept_service(self, continuation: Continuation,
                                details: grpc.HandlerCallDetails
                                ) -> grpc.RpcMethodHandler | None:
        if self._cache is not None and details.method in self._cache:
            return self._cache[details.method]
        handler = await continuation(details)
        wrapped = None if handler is None else self._wrap(handler, details.method)
        if self._cache is not None:
            self._cache[details.method] = wrapped
        return wrapped

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        stats = self._stats_for(method)

        def wrap(behavior: Behavior, streaming: bool) -> Behavior:
            # A streaming handler is either an async generator (yields responses) or a
            # coroutine that writes with context.write(); wrap each in kind.
            if streaming and inspect.isasyncgenfunction(behavior):
                async def stream_behavior(request: Any,
                                          context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                    started, request_id = _start(context)
                    status = None
                    try:
                        _refuse_undecodable(request)
                        async for response in behavior(request, context):
                            yield response
                    except Exception as error:  # noqa: BLE001 - mapped to a status
                        status = _status_for(context, error, request_id)
                    finally:
                        stats.observe(_code_of(context, status), started, request_id)
                    if status is not None:
                        await context.abort_with_status(rpc_status.to_status(status))
                return stream_behavior

            async def unary_behavior(request: Any, context: grpc.aio.ServicerContext) -> Any:
                started, request_id = _start(context)
                status = None
                try:
                    _refuse_undecodable(request)
                    return await behavior(request, context)
                except Exception as error:  # noqa: BLE001 - mapped to a status
                    status = _status_for(context, error, request_id)
                finally:
                    stats.observe(_code_of(context, status), started, request_id)
                await context.abort_with_status(rpc_status.to_status(status))
            return unary_behavior

        return _wrap_handler(handler, wrap, tolerant=True)


def _refuse_undecodable(request: Any) -> None:
    if type(request) is Undecodable:
        raise InvalidArgument("request", f"is not a valid message for this method "
                                         f"({request.reason})")


def _start(context: grpc.aio.ServicerContext) -> tuple[float, str]:
    request_id = (_metadata(context, "x-request-id") or f"{_ids.getrandbits(64):016x}")[:128]
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return time.perf_counter(), request_id


def _status_for(context: grpc.aio.ServicerContext, error: Exception, request_id: str) -> Any:
    """The status to end the call with; re-raises when the handler already aborted."""
    if isinstance(error, grpc.aio.AbortError) or context.code() not in (None,
                                                                         grpc.StatusCode.OK):
        raise error  # the handler called context.abort(): grpc finishes the call
    status = errors.to_status(error, request_id)
    if errors.status_code_of(status) is grpc.StatusCode.INTERNAL:
        log.error("rpc_internal_error", error=type(error).__name__, exc_info=error)
    return status


def _code_of(context: grpc.aio.ServicerContext, status: Any) -> grpc.StatusCode:
    if status is not None:
        return errors.status_code_of(status)
    code = context.code()
    if isinstance(code, int):  # grpc.aio may report the raw integer
        return errors.code_from_int(code)
    return code or grpc.StatusCode.OK


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates every call except public services and enforces the method's role."""

    def __init__(self, authenticator: Authenticator,
                 policies: Mapping[str, tuple[bool, Role]]) -> None:
        """:param policies: full method name → (public, minimum role)."""
        self._auth = authenticator
        self._policies = policies

    async def intercept_service(self, continuation: Continuation,
                                details: grpc.HandlerCallDetails
                                ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(details)
        if handler is None:
            return None
        public, required = self._policies.get(details.method, (False, Role.ADMIN))
        if public:
            return handler
        authenticate = self._auth.authenticate

        async def enter(context: grpc.aio.ServicerContext) -> Any:
            principal = await authenticate(_metadata(context, "authorization"))
            if not principal.may(required):
                raise PermissionDenied(
                    f"role {principal.role.name.lower()} may not call {details.method}")
            structlog.contextvars.bind_contextvars(tenant=principal.tenant_id)
            return set_current_principal(principal)

        def wrap(behavior: Behavior, streaming: bool) -> Behavior:
            if streaming and inspect.isasyncgenfunction(behavior):
                async def authenticated_stream(request: Any, context: grpc.aio.ServicerContext
                                               ) -> AsyncIterator[Any]:
                    token = await enter(context)
                    try:
                        async for response in behavior(request, context):
                            yield response
                    finally:
                        reset_current_principal(token)
                return authenticated_stream

            async def authenticated(request: Any, context: grpc.aio.ServicerContext) -> Any:
                token = await enter(context)
                try:
                    return await behavior(request, context)
                finally:
                    reset_current_principal(token)
            return authenticated

        return _wrap_handler(handler, wrap)
