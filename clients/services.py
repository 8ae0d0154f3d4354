"""Domain services (TrainingService, ...) through a client: every RPC of the service's stub,
called with the client's credentials, default deadline, retries (UNAVAILABLE only) and typed
errors. Requests and responses are the service's protobuf messages::

    from bastion.v1 import training_service_pb2 as tpb

    plan = client.training.GetDailyPlan(tpb.GetDailyPlanRequest(athlete_id="ana",
                                                                date="2026-12-01"))

Server-streaming RPCs return an iterator (sync) or an async iterator (asyncio) of
responses; an error mid-stream raises :class:`~bastion.clients.errors.BastionError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc

from bastion.clients.errors import from_rpc_error


class _Proxy:
    def __init__(self, stub: Any, metadata: tuple[tuple[str, str], ...],
                 timeout: float) -> None:
        self._stub, self._metadata, self._timeout = stub, metadata, timeout

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)

        def call(request: Any, *, timeout: float | None = None) -> Any:
            return self._invoke(method, request,
                                self._timeout if timeout is None else timeout)

        call.__name__ = name
        return call

    def _invoke(self, method: Any, request: Any, timeout: float) -> Any:
        raise NotImplementedError


class ServiceProxy(_Proxy):
    """The RPCs of one service for :class:`~bastion.clients.BastionClient`."""

    def _invoke(self, method: Any, request: Any, timeout: float) -> Any:
        try:
            response = method(request, metadata=self._metadata, timeout=timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        if isinstance(response, grpc.Call) and isinstance(response, Iterator):
            return _stream(response)
        return response


def _stream(responses: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from responses
    except grpc.RpcError as error:
        raise from_rpc_error(error) from None


class AsyncServiceProxy(_Proxy):
    """The RPCs of one service for :class:`~bastion.clients.AsyncBastionClient`."""

    def _invoke(self, method: Any, request: Any, timeout: float) -> Any:
        rpc = method(request, metadata=self._metadata, timeout=timeout)
        return _astream(rpc) if hasattr(rpc, "__aiter__") else _await(rpc)


async def _await(rpc: Any) -> Any:
    try:
        return await rpc
    except grpc.RpcError as error:
        raise from_rpc_error(error) from None


async def _astream(rpc: Any) -> AsyncIterator[Any]:
    try:
        async for response in rpc:
            yield response
    except grpc.RpcError as error:
        raise from_rpc_error(error) from None
