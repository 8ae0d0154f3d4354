"""Running the guards: each ``bastion_guard_check`` implementation separately, attributed to
its plugin, bounded by a time limit, failing closed unless configured fail-open, in
enforce or shadow mode.

Guards run concurrently. A guard written as ``async def`` runs on the event loop and is
cancelled at its deadline; a plain function may block (database, network), so it runs on
a worker thread and the caller stops waiting at the deadline (Python cannot stop the
thread: it finishes in the background, its result discarded). A guard that is pure,
fast computation can set ``inline = True`` on its plugin to run on the event loop with no
thread hand-off; its duration is still measured, and an over-time result is discarded.
An inline guard may return an awaitable instead of a verdict when it must wait (a cache
miss that reads storage): the pipeline awaits it under the guard's deadline, so the common
path (a cache hit) costs no task at all.

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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pluggy
import structlog

from bastion.runtime.actions import ActionRequest
from bastion.runtime.config import GuardSettings, Settings
from bastion.runtime.guard_modes import GuardModes
from bastion.runtime.telemetry import EntryType, TelemetryBuffer
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

    def __init__(self, pm: pluggy.PluginManager, settings: Settings,
                 telemetry: TelemetryBuffer | None = None) -> None:
        self._telemetry = telemetry
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
        self.modes = GuardModes(settings, (g.name for g in self._guards))
        self._pool = cf.ThreadPoolExecutor(max_workers=max(4, settings.max_workers),
                                           thread_name_prefix="bastion-guard")

    @property
    def names(self) -> list[str]:
        return [g.name for g in self._guards]

    async def evaluate(self, request: ActionRequest, only: str | None = None
                       ) -> tuple[list[GuardResult], list[GuardResult]]:
        """Returns (enforcing results, shadow results) of the guards that were concerned
        (``only``: of that guard alone).

        Inline guards answer first, synchronously; an inline guard that returns an
        awaitable (it must wait: a cache miss) joins the others, which run concurrently.
        """
        guards = [g for g in self._guards
                  if (only is None or g.name == only) and _concerned(g, request)]
        if not guards:
            return [], []
        outcomes: list[GuardResult | None] = []
        waiting: list[Awaitable[GuardResult | None]] = []
        for guard in guards:
            if guard.inline and not guard.is_async:
                self._run_inline(guard, request, outcomes, waiting)
            else:
                waiting.append(self._settle(guard, request, self._call(guard, request),
                                            time.perf_counter_ns()))
        if len(waiting) == 1:
            outcomes.append(await waiting[0])
        elif waiting:
            outcomes.extend(await asyncio.gather(*waiting))
        enforced: list[GuardResult] = []
        shadow: list[GuardResult] = []
        for result in outcomes:
            if result is not None:
                (shadow if result.shadow else enforced).append(result)
        return enforced, shadow

    def _run_inline(self, guard: _Guard, request: ActionRequest,
                    outcomes: list[GuardResult | None],
                    waiting: list[Awaitable[GuardResult | None]]) -> None:
        started = time.perf_counter_ns()
        try:
            verdict = guard.check(request=request)
        except Exception as error:  # noqa: BLE001 - a guard's bug must not escape
            outcomes.append(self._raised(guard, request, error, started))
            return
        # The usual answers first: inspect.isawaitable costs more than the rest of this.
        if verdict is not None and type(verdict) is not GuardVerdict \
                and inspect.isawaitable(verdict):
            waiting.append(self._settle(guard, request, self._bounded(guard, verdict), started))
        elif _elapsed_us(started) > guard.timeout_s * 1e6:
            outcomes.append(self._timed_out(guard, request, started))
        else:
            outcomes.append(self._result(guard, request, verdict, started))

    async def _settle(self, guard: _Guard, request: ActionRequest, pending: Awaitable[Any],
                      started: int) -> GuardResult | None:
        try:
            verdict = await pending
        except (_Timeout, asyncio.TimeoutError):
            return self._timed_out(guard, request, started)
        except Exception as error:  # noqa: BLE001 - a guard's bug must not escape
            return self._raised(guard, request, error, started)
        return self._result(guard, request, verdict, started)

    @staticmethod
    def _result(guard: _Guard, request: ActionRequest, verdict: Any,
                started: int) -> GuardResult | None:
        if verdict is None:
            return None
        is_shadow = guard.name in request.shadow_guards
        if not isinstance(verdict, GuardVerdict):
            log.error("guard_bad_return", guard=guard.name, returned=type(verdict).__name__)
            return _failure(guard, "guard_error", "guard returned an invalid verdict",
                            is_shadow, _elapsed_us(started))
        return GuardResult.from_verdict(guard.name, verdict, shadow=is_shadow,
                                        duration_us=_elapsed_us(started))

    def _timed_out(self, guard: _Guard, request: ActionRequest,
                   started: int) -> GuardResult | None:
        log.error("guard_timeout", guard=guard.name, action=request.action,
                  tenant=request.tenant_id, timeout_ms=int(guard.timeout_s * 1000))
        self._record_error(guard, request, "guard_timeout", "Timeout",
                           f"no answer within {int(guard.timeout_s * 1000)} ms")
        return _failure(guard, "guard_timeout",
                        f"guard did not answer within {int(guard.timeout_s * 1000)} ms",
                        guard.name in request.shadow_guards, _elapsed_us(started))

    def _raised(self, guard: _Guard, request: ActionRequest, error: Exception,
                started: int) -> GuardResult | None:
        log.error("guard_error", guard=guard.name, action=request.action,
                  tenant=request.tenant_id, error=type(error).__name__, exc_info=error)
        # The type only: an exception's message may carry request data.
        self._record_error(guard, request, "guard_error", type(error).__name__, "")
        return _failure(guard, "guard_error", f"guard raised {type(error).__name__}",
                        guard.name in request.shadow_guards, _elapsed_us(started))

    def _record_error(self, guard: _Guard, request: ActionRequest, code: str,
                      error_type: str, message: str) -> None:
        if self._telemetry is not None:
            self._telemetry.record(
                request.tenant_id, EntryType.ERROR, guard.name,
                {"code": code, "action": request.action, "fail_open": guard.settings.fail_open},
                error={"type": error_type, "message": message}, run_id=request.run_id,
                decision_id=request.decision_id)

    @staticmethod
    async def _bounded(guard: _Guard, pending: Awaitable[Any]) -> Any:
        async with asyncio.timeout(guard.timeout_s):
            return await pending

    async def _call(self, guard: _Guard, request: ActionRequest) -> Any:
        if guard.is_async:
            # asyncio.timeout cancels the guard in place; wait_for would wrap it in one
            # more task per guard and call.
            async with asyncio.timeout(guard.timeout_s):
                return await guard.check(request=request)
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
