"""Running the guards: each ``bastion_guard_check`` implementation separately, attributed to
its plugin, bounded by a time limit, failing closed unless configured fail-open, in
enforce or shadow mode.

Guards run concurrently. A guard written as ``async def`` runs on the event loop and is
cancelled at its deadline; a plain function may block (database, network), so it runs on
a worker thread and the caller stops waiting at the deadline (Python cannot stop the
thread: it finishes in the background, its result discarded). A guard that is pure,
fast computation can set ``inline = True`` on its plugin to run on the event loop with no
thread hand-off; its duration is still measured, and an over-time result is discarded.

A guard plugin may also define ``concerned(request) -> bool``: a cheap, pure test the
pipeline calls inline first. When it returns False the guard is skipped (as if it had
returned None) without a thread hand-off or a task: most guards care about a few actions
only, and the hand-off is what costs on the hot path.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pluggy
import structlog

from bastion.runtime.actions import ActionRequest
from bastion.runtime.config import GuardSettings, Settings
from bastion.runtime.verdicts import GuardResult, GuardVerdict, Reason, Verdict

log = structlog.get_logger("bastion.guards")


@dataclass(frozen=True)
class _Guard:
    name: str
    check: Callable[..., Any]
    settings: GuardSettings
    timeout_s: float
    is_async: bool
    inline: bool
    concerned: Callable[[ActionRequest], bool] | None


class _Timeout(Exception):
    pass


class GuardPipeline:
    """Evaluates every registered guard for an action."""

    def __init__(self, pm: pluggy.PluginManager, settings: Settings) -> None:
        self._guards = []
        # pluggy lists implementations last-registered-first; keep registration order.
        for impl in reversed(pm.hook.bastion_guard_check.get_hookimpls()):
            guard_settings = settings.guard_settings(impl.plugin_name)
            self._guards.append(_Guard(
                name=impl.plugin_name, check=impl.function, settings=guard_settings,
                timeout_s=(guard_settings.timeout_ms or settings.guard_timeout_ms) / 1000,
                is_async=inspect.iscoroutinefunction(impl.function),
                inline=bool(getattr(impl.plugin, "inline", False)),
                concerned=getattr(impl.plugin, "concerned", None)))
        self._pool = cf.ThreadPoolExecutor(max_workers=max(4, settings.max_workers),
                                           thread_name_prefix="bastion-guard")

    @property
    def names(self) -> list[str]:
        return [g.name for g in self._guards]

    async def evaluate(self, request: ActionRequest) -> tuple[list[GuardResult],
                                                                list[GuardResult]]:
        """Returns (enforcing results, shadow results) of the guards that were concerned."""
        guards = [g for g in self._guards if _concerned(g, request)]
        if not guards:
            return [], []
        if len(guards) == 1:
            outcomes = [await self._run(guards[0], request)]
        else:
            outcomes = await asyncio.gather(*(self._run(g, request) for g in guards))
        enforced: list[GuardResult] = []
        shadow: list[GuardResult] = []
        for result in outcomes:
            if result is not None:
                (shadow if result.shadow else enforced).append(result)
        return enforced, shadow

    async def _run(self, guard: _Guard, request: ActionRequest) -> GuardResult | None:
        is_shadow = guard.settings.mode == "shadow"
        started = time.perf_counter_ns()
        try:
            verdict = await self._call(guard, request)
        except (_Timeout, asyncio.TimeoutError):
            log.error("guard_timeout", guard=guard.name, action=request.action,
                      tenant=request.tenant_id, timeout_ms=int(guard.timeout_s * 1000))
            return _failure(guard, "guard_timeout",
                            f"guard did not answer within {int(guard.timeout_s * 1000)} ms",
                            is_shadow, _elapsed_us(started))
        except Exception as error:  # noqa: BLE001 - a guard's bug must not escape
            log.error("guard_error", guard=guard.name, action=request.action,
                      tenant=request.tenant_id, error=type(error).__name__, exc_info=error)
            return _failure(guard, "guard_error", f"guard raised {type(error).__name__}",
                            is_shadow, _elapsed_us(started))
        if verdict is None:
            return None
        if not isinstance(verdict, GuardVerdict):
            log.error("guard_bad_return", guard=guard.name, returned=type(verdict).__name__)
            return _failure(guard, "guard_error", "guard returned an invalid verdict",
                            is_shadow, _elapsed_us(started))
        return GuardResult.from_verdict(guard.name, verdict, shadow=is_shadow,
                                        duration_us=_elapsed_us(started))

    async def _call(self, guard: _Guard, request: ActionRequest) -> Any:
        if guard.is_async:
            # asyncio.timeout cancels the guard in place; wait_for would wrap it in one
            # more task per guard and call.
            async with asyncio.timeout(guard.timeout_s):
                return await guard.check(request=request)
        if guard.inline:
            started = time.perf_counter()
            verdict = guard.check(request=request)
            if time.perf_counter() - started > guard.timeout_s:
                raise _Timeout
            return verdict
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, lambda: guard.check(request=request))
        return await asyncio.wait_for(future, guard.timeout_s)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _concerned(guard: _Guard, request: ActionRequest) -> bool:
    if guard.concerned is None:
        return True
    try:
        return bool(guard.concerned(request))
    except Exception:  # noqa: BLE001 - let the guard itself run (and fail closed if broken)
        return True


def _elapsed_us(started_ns: int) -> int:
    return (time.perf_counter_ns() - started_ns) // 1000


def _failure(guard: _Guard, code: str, message: str, shadow: bool,
             duration_us: int) -> GuardResult | None:
    """Fail closed (DENY) unless the guard is configured fail-open (then not concerned)."""
    if guard.settings.fail_open:
        log.warning("guard_failed_open", guard=guard.name, code=code)
        return None
    reason = Reason(code=code, message=message, guard=guard.name)
    return GuardResult(guard=guard.name, verdict=Verdict.DENY, reasons=(reason,),
                       shadow=shadow, duration_us=duration_us)
