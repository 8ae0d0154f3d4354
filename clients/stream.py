"""One GuardService.CheckStream shared by many concurrent checks of a long-running agent.

    async with client.check_stream() as stream:
        decision = await stream.check("tool.exec", resource="/tmp/x")

Each ``check`` sends one message with its own request id and awaits the answer with that
id; any number may be awaited at once (the server decides up to its
``stream_max_in_flight`` together and holds the rest back through flow control).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import grpc

from bastion.clients import convert
from bastion.clients import types as t
from bastion.clients.errors import BastionError, FieldViolation, from_rpc_error
from bastion.v1 import guard_service_pb2 as pb


class CheckStream:
    """An open CheckStream; use ``async with`` (or ``open`` and ``close``)."""

    def __init__(self, stub: Any, metadata: tuple[tuple[str, str], ...],
                 timeout: float | None) -> None:
        self._stub, self._metadata, self._timeout = stub, metadata, timeout
        self._outbox: asyncio.Queue[pb.CheckStreamRequest | None] = asyncio.Queue()
        self._pending: dict[str, asyncio.Future[t.Decision]] = {}
        self._ids = itertools.count(1)
        self._call: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._ended: BastionError | None = None

    async def open(self) -> "CheckStream":
        self._call = self._stub.CheckStream(self._requests(), metadata=self._metadata,
                                            timeout=self._timeout)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self

    async def check(self, action: str, **fields: Any) -> t.Decision:
        """Sends one check on the stream and awaits its decision; the keyword arguments are
        those of :meth:`AsyncBastionClient.check`. Raises :class:`BastionError` for a
        message the server refused (e.g. INVALID_ARGUMENT) or when the stream ended."""
        if self._ended is not None:
            raise self._ended
        check = convert.check_request(action, **fields)
        request_id = str(next(self._ids))
        answer: asyncio.Future[t.Decision] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = answer
        await self._outbox.put(pb.CheckStreamRequest(request_id=request_id, check=check))
        return await answer

    async def close(self) -> None:
        """Ends the stream after the answers still awaited arrive."""
        await self._outbox.put(None)
        if self._reader is not None:
            await self._reader

    async def __aenter__(self) -> "CheckStream":
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        if exc[0] is None:
            await self.close()
        else:
            self._call.cancel()

    async def _requests(self) -> AsyncIterator[pb.CheckStreamRequest]:
        while (message := await self._outbox.get()) is not None:
            yield message

    async def _read(self) -> None:
        try:
            async for answer in self._call:
                waiting = self._pending.pop(answer.request_id, None)
                if waiting is None or waiting.done():
                    continue
                if answer.WhichOneof("result") == "decision":
                    waiting.set_result(convert.decision_from_pb(answer.decision))
                else:
                    waiting.set_exception(_error(answer.error))
            self._ended = BastionError(grpc.StatusCode.CANCELLED, "the stream was closed")
        except grpc.RpcError as error:
            self._ended = from_rpc_error(error)
        except asyncio.CancelledError:
            self._ended = BastionError(grpc.StatusCode.CANCELLED, "the stream was cancelled")
        for waiting in self._pending.values():
            if not waiting.done():
                waiting.set_exception(self._ended)
        self._pending.clear()


def _error(error: pb.CheckStreamError) -> BastionError:
    code = next((c for c in grpc.StatusCode if c.value[0] == error.code),
                grpc.StatusCode.UNKNOWN)
    fields = (FieldViolation(error.field, error.message),) if error.field else ()
    return BastionError(code, error.message, field_violations=fields)
