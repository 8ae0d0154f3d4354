"""Running the guards: each ``bastion_guard_check`` implementation separately, attributed to
its plugin, bounded by a time limit, failing closed unless configured fail-open, in
enforce or shadow mode."""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Callable
from dataclasses import dataclass

import pluggy
import structlog

from bastion.runtime.actions import ActionRequest
from bastion.runtime.config import GuardSettings, Settings
from bastion.runtime.verdicts import GuardResult, GuardVerdict, Reason, Verdict

log = structlog.get_logger("bastion.guards")


@dataclass(frozen=True)
class _Guard:
    name: str
    check: Callable[..., GuardVerdict | None]
    settings: GuardSettings
    timeout_s: float


class GuardPipeline:
    """Evaluates every registered guard for an action.

    Guards run concurrently on a dedicated pool so that each one is bounded by its own
    deadline: a guard that hangs costs the caller at most its timeout and counts as a DENY
    (``guard_timeout``) unless the guard is configured ``fail_open``.
    """

    def __init__(self, pm: pluggy.PluginManager, settings: Settings) -> None:
        self._guards = [
            _Guard(name=impl.plugin_name, check=impl.function,
                   settings=settings.guard_settings(impl.plugin_name),
                   timeout_s=(settings.guard_settings(impl.plugin_name).timeout_ms
                              or settings.guard_timeout_ms) / 1000)
            # pluggy returns implementations last-registered-first; keep registration order.
            for impl in reversed(pm.hook.bastion_guard_check.get_hookimpls())
        ]
        self._pool = cf.ThreadPoolExecutor(max_workers=max(4, settings.max_workers),
                                           thread_name_prefix="bastion-guard")

    @property
    def names(self) -> list[str]:
        return [g.name for g in self._guards]

    def evaluate(self, request: ActionRequest) -> tuple[list[GuardResult], list[GuardResult]]:
        """Returns (enforcing results, shadow results) of the guards that were concerned."""
        if not self._guards:
            return [], []
        started = time.perf_counter()
        futures = [self._pool.submit(_timed, g.check, request) for g in self._guards]
        enforced: list[GuardResult] = []
        shadow: list[GuardResult] = []
        for guard, future in zip(self._guards, futures):
            result = self._collect(guard, future, request, started)
            if result is not None:
                (shadow if result.shadow else enforced).append(result)
        return enforced, shadow

    def _collect(self, guard: _Guard, future: cf.Future[tuple[GuardVerdict | None, int]],
                 request: ActionRequest, started: float) -> GuardResult | None:
        is_shadow = guard.settings.mode == "shadow"
        remaining = guard.timeout_s - (time.perf_counter() - started)
        try:
            verdict, duration_us = future.result(timeout=max(0.0, remaining))
        except cf.TimeoutError:
            log.error("guard_timeout", guard=guard.name, action=request.action,
                      tenant=request.tenant_id, timeout_ms=int(guard.timeout_s * 1000))
            return _failure(guard, "guard_timeout",
                            f"guard did not answer within {int(guard.timeout_s * 1000)} ms",
                            is_shadow, int(guard.timeout_s * 1e6))
        except Exception as error:  # noqa: BLE001 - a guard's bug must not escape
            log.error("guard_error", guard=guard.name, action=request.action,
                      tenant=request.tenant_id, error=type(error).__name__, exc_info=error)
            return _failure(guard, "guard_error", f"guard raised {type(error).__name__}",
                            is_shadow, 0)
        if verdict is None:
            return None
        if not isinstance(verdict, GuardVerdict):
            log.error("guard_bad_return", guard=guard.name, returned=type(verdict).__name__)
            return _failure(guard, "guard_error", "guard returned an invalid verdict",
                            is_shadow, duration_us)
        return GuardResult.from_verdict(guard.name, verdict, shadow=is_shadow,
                                        duration_us=duration_us)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _timed(check: Callable[..., GuardVerdict | None],
           request: ActionRequest) -> tuple[GuardVerdict | None, int]:
    started = time.perf_counter_ns()
    verdict = check(request=request)
    return verdict, (time.perf_counter_ns() - started) // 1000


def _failure(guard: _Guard, code: str, message: str, shadow: bool,
             duration_us: int) -> GuardResult | None:
    """Fail closed (DENY) unless the guard is configured fail-open (then not concerned)."""
    if guard.settings.fail_open:
        log.warning("guard_failed_open", guard=guard.name, code=code)
        return None
    reason = Reason(code=code, message=message, guard=guard.name)
    return GuardResult(guard=guard.name, verdict=Verdict.DENY, reasons=(reason,),
                       shadow=shadow, duration_us=duration_us)
