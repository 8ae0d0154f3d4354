"""``@guarded``: a Check before the function runs.

::

    @guarded(client, action="tool.shell.exec", attributes=lambda cmd: {"cmd": cmd})
    def run_shell(cmd): ...

When the decision is not ALLOW the function does not run: ``NotAllowed(decision)`` is
raised, or ``on_deny(decision, *args, **kwargs)`` is called and its result returned. Works
on ``async def`` functions with an :class:`~bastion.clients.AsyncBastionClient`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from bastion.clients.errors import NotAllowed
from bastion.clients.types import Decision

F = TypeVar("F", bound=Callable[..., Any])
Attributes = Mapping[str, Any] | Callable[..., Mapping[str, Any]] | None


def guarded(client: Any, *, action: str, attributes: Attributes = None,
            on_deny: Callable[..., Any] | None = None, **check_kwargs: Any) -> Callable[[F], F]:
    """:param attributes: a mapping, or a callable receiving the function's arguments.
    :param check_kwargs: passed to ``client.check`` (resource, run_id, priority, ...)."""

    def attrs_for(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Mapping[str, Any] | None:
        return attributes(*args, **kwargs) if callable(attributes) else attributes

    def refused(decision: Decision, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if on_deny is None:
            raise NotAllowed(decision)
        return on_deny(decision, *args, **kwargs)

    def decorate(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                decision = await client.check(action, attributes=attrs_for(args, kwargs),
                                              **check_kwargs)
                if not decision.allowed:
                    result = refused(decision, args, kwargs)
                    return await result if inspect.isawaitable(result) else result
                return await fn(*args, **kwargs)
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            decision = client.check(action, attributes=attrs_for(args, kwargs), **check_kwargs)
            if not decision.allowed:
                return refused(decision, args, kwargs)
            return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]

    return decorate
