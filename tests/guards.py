"""Throwaway guard plugins for tests (registered per test server, never installed)."""

from __future__ import annotations

import threading

from bastion.runtime import hookimpl
from bastion.runtime.verdicts import GuardVerdict, Obligation, Reason, Verdict


class DenyPrefix:
    """Denies actions starting with ``deny.``; defers ``defer.`` for 30 s; else not concerned."""

    name = "deny_prefix"

    @hookimpl
    def bastion_guard_check(self, request):  # type: ignore[no-untyped-def]
        if request.action.startswith("deny.") or request.action.startswith("metabolism."):
            return GuardVerdict.deny("forbidden", f"{request.action} is forbidden")
        if request.action.startswith("defer."):
            return GuardVerdict(Verdict.DEFER, reasons=(Reason("busy", "try later"),),
                                retry_after_s=30.0)
        if request.action.startswith("fallback."):
            return GuardVerdict(Verdict.ALLOW,
                                obligations=(Obligation("use_fallback_model", {"model": "small"}),))
        return None


class Raises:
    name = "raises"

    @hookimpl
    def bastion_guard_check(self, request):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug in a guard")


class Blocks:
    """Blocks until released (the test releases it in teardown)."""

    name = "blocks"
    release = threading.Event()

    @hookimpl
    def bastion_guard_check(self, request):  # type: ignore[no-untyped-def]
        self.release.wait(30)
        return GuardVerdict.allow()


class DeferMetabolism:
    """Defers every metabolism call for 12 s (a stand-in for a quota guard)."""

    name = "defer_metabolism"

    @hookimpl
    def bastion_guard_check(self, request):  # type: ignore[no-untyped-def]
        if request.action.startswith("metabolism."):
            return GuardVerdict(Verdict.DEFER, reasons=(Reason("throttled", "over the rate"),),
                                retry_after_s=12.0)
        return None


class Observes:
    """Contributes an interceptor and a background job, and watches every decision."""

    name = "observes"

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.job_ran = threading.Event()
        self.finished: list[str] = []

    @hookimpl
    def bastion_interceptors(self, settings):  # type: ignore[no-untyped-def]
        import grpc

        plugin = self

        class Recorder(grpc.aio.ServerInterceptor):
            async def intercept_service(self, continuation, details):  # type: ignore[no-untyped-def]
                plugin.methods.append(details.method)
                return await continuation(details)

        return [Recorder()]

    @hookimpl
    def bastion_background_jobs(self, settings):  # type: ignore[no-untyped-def]
        from bastion.runtime.jobs import BackgroundJob

        return [BackgroundJob(name="tick", interval_s=0.05, run=self.job_ran.set)]

    @hookimpl
    def bastion_request_finished(self, request, decision, duration_s):  # type: ignore[no-untyped-def]
        self.finished.append(decision.action)
