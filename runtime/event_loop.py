"""The event loop the server runs on.

``uvloop`` (libuv, written in Cython) where it is installed, which it is by default on
Linux and macOS: the server spends a large share of each call in the event loop itself
(scheduling the call's tasks, waking it from the group committer's thread), and on
uvloop a Check costs 10–16% less server CPU (bench/RESULTS.md, 2026-12-05).
``asyncio``'s own loop otherwise, or when configured (``event_loop = "asyncio"``).
"""

from __future__ import annotations

import asyncio

EVENT_LOOPS = ("auto", "uvloop", "asyncio")


def new_event_loop(kind: str = "auto") -> asyncio.AbstractEventLoop:
    """A new loop of ``kind``: ``auto`` (uvloop when importable, else asyncio), ``uvloop``
    (an error when it is not installed) or ``asyncio``."""
    if kind not in EVENT_LOOPS:
        raise ValueError(f"event_loop must be one of {', '.join(EVENT_LOOPS)}")
    if kind != "asyncio":
        try:
            import uvloop
        except ImportError:
            if kind == "uvloop":
                raise RuntimeError("event_loop is 'uvloop' but uvloop is not installed "
                                   "(pip install uvloop)") from None
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """``uvloop`` or ``asyncio``: what a loop is, for the start-up log."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
