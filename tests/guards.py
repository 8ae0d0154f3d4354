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
