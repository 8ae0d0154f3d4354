"""Serving a request stream with bounded concurrency (GuardService.CheckStream).

A long-running agent sends many messages on one stream. Deciding them one after another
would make each wait for the previous one's commit; deciding all at once would let a fast
sender queue unbounded work on the server. So at most ``limit`` messages are handled at
once, and the next message is not read until one of them finishes: the unread messages
stay in gRPC's flow-control window and then in the sender's, which is the back-pressure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class _Failed(Generic[Out]):
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


async def bounded_map(source: AsyncIterator[In], handle: Callable[[int, In], Awaitable[Out]],
                      limit: int) -> AsyncIterator[Out]:
    """Yields ``handle(position, message)`` for each message of ``source`` (position counts
    from 1), in completion order, with at most ``limit`` handlers running.

    ``handle`` should answer errors itself; one that raises ends the stream with its error.
    Closing the generator (the caller cancelled, the deadline passed) cancels the reader
    and every handler still running.
    """
    results: asyncio.Queue[object] = asyncio.Queue()
    slots = asyncio.Semaphore(limit)
    running: set[asyncio.Task[None]] = set()

    async def run(position: int, message: In) -> None:
        try:
            results.put_nowait(await handle(position, message))
        except Exception as error:  # noqa: BLE001 - re-raised by the consumer
            results.put_nowait(_Failed(error))
        finally:
            slots.release()

    async def read() -> None:
        position = 0
        try:
            async for message in source:
                await slots.acquire()
                position += 1
                task = asyncio.create_task(run(position, message))
                running.add(task)
                task.add_done_callback(running.discard)
            if running:
                await asyncio.gather(*running)
            results.put_nowait(_END)
        except Exception as error:  # noqa: BLE001 - re-raised by the consumer
            results.put_nowait(_Failed(error))

    reader = asyncio.create_task(read())
    try:
        while True:
            item = await results.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        reader.cancel()
        for task in list(running):
            task.cancel()
