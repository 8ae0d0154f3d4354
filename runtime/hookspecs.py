"""Every hook of the Bastion request and server lifecycle, in the order they fire.

Plugins (built-in and third-party alike) implement these with ``@hookimpl``. The reference
documentation in ``docs/hooks.md`` follows this file; ``tests/test_docs.py`` fails when a
hook is missing there or documented with a stale signature.

Arguments are domain objects from :mod:`bastion.runtime`: plugins never receive a protobuf
message or a database session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import datetime as dt
    import pathlib
    from collections.abc import Awaitable, Sequence

    import grpc

    from bastion.runtime.actions import ActionRequest, UsageReport
    from bastion.runtime.config import Settings
    from bastion.runtime.jobs import BackgroundJob
    from bastion.runtime.services import ServiceContext, ServiceRegistration
    from bastion.runtime.telemetry import TelemetryBuffer
    from bastion.runtime.unit_of_work import UnitOfWork
    from bastion.runtime.verdicts import Decision, GuardVerdict
    from bastion.storage import Database, GroupCommitter, WriteOp

PROJECT = "bastion"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------------------
# Server start-up
# ---------------------------------------------------------------------------------------

@hookspec(historic=True)
def bastion_configure(settings: Settings, database: Database,
                      committer: GroupCommitter, telemetry: TelemetryBuffer) -> None:
    """Called once at start-up, before anything is served, with the loaded configuration.

    :param settings: the server configuration; ``settings.plugin_settings(name)`` holds the
        plugin's own section (``[plugins.<name>]`` in the config file).
    :param database: the storage handle; keep it for the plugin's repository calls.
    :param committer: the group committer. A guard that must change state *before* it
        answers (reserve quota, preempt work) awaits ``committer.commit_async(ops)``: its
        writes share a transaction with concurrent requests' writes and are durable when
        the call returns. Writes that belong with the decision go to the unit of work in
        ``bastion_decision_made`` instead.
    :param telemetry: the telemetry buffer (SPEC W3). ``telemetry.record(...)`` never
        blocks; it returns False when the buffer is full. Never record secrets or raw
        reasoning.

    Historic: a plugin registered later still receives the call. Raise ``ValueError`` for a
    configuration the plugin cannot work with: the server refuses to start and says why.
    """


@hookspec
def bastion_migrations() -> list[pathlib.Path]:
    """Returns Alembic version folders holding the plugin's own tables.

    Called by ``bastion migrate`` (and the test fixtures). Each folder is an Alembic branch:
    its first revision sets ``branch_labels = ("<plugin>",)`` and ``depends_on = "core_0001"``.
    All results are combined; ``upgrade heads`` applies every branch.
    """


@hookspec
def bastion_services(context: ServiceContext) -> list[ServiceRegistration]:
    """Returns the gRPC services the plugin contributes (e.g. ``MetabolismService``).

    :param context: what a servicer needs: ``context.lifecycle`` to run each call through
        the guards and the ledger, ``context.database`` and ``context.settings``.

    Each registration names the service, the generated ``add_*_to_server`` function, the
    servicer, and the minimum role per method. Served services appear in reflection and
    health. All results are combined.
    """


@hookspec
def bastion_interceptors(settings: Settings) -> list[grpc.ServerInterceptor]:
    """Returns extra ``grpc.ServerInterceptor`` objects, run inside Bastion's own
    (authentication, access log, metrics), so the principal is already known. Combined."""


@hookspec
def bastion_background_jobs(settings: Settings) -> list[BackgroundJob]:
    """Returns periodic jobs (name, interval, function) the server schedules.

    Jobs run on every replica; a job that must run once per cluster takes a database lock
    itself (``FOR UPDATE SKIP LOCKED`` or an advisory lock). Combined.
    """


# ---------------------------------------------------------------------------------------
# Request lifecycle
# ---------------------------------------------------------------------------------------

@hookspec
def bastion_request_started(request: ActionRequest) -> None:
    """Called when an action enters the lifecycle (Check or a domain RPC), before guards.

    For observers (telemetry, tracing). The return value is ignored; an exception is logged
    and does not affect the request.
    """


@hookspec
def bastion_guard_check(request: ActionRequest) -> GuardVerdict | None:
    """Asks a guard for its verdict on an action. The heart of Bastion.

    :param request: who wants to do what, at what priority and cost, and why.
    :return: a :class:`~bastion.runtime.verdicts.GuardVerdict`, or ``None`` when the guard is
        not concerned with this action.

    Each implementation is called separately, attributed to its plugin name, bounded by
    ``guards.timeout_ms`` and, unless configured ``fail_open``, failing closed: an exception
    or a timeout is a DENY with reason ``guard_error`` / ``guard_timeout``. A guard configured
    ``mode = "shadow"`` is evaluated and recorded without affecting the verdict. Results are
    combined by SPEC G6: the most restrictive verdict wins.
    """


@hookspec
def bastion_decision_made(request: ActionRequest, decision: Decision,
                          unit_of_work: UnitOfWork) -> None:
    """Called with the final decision, before it is acknowledged to the caller.

    :param unit_of_work: stage writes here (``unit_of_work.add(op)``); they commit in the
        same transaction as everything else the request changes, and the caller is answered
        only once that transaction is durable. The ledger plugin appends here.

    Every implementation is called; an exception fails the request (nothing is committed).
    When an optimistic guard's conditional write does not hold at commit, nothing staged
    here is written and this hook is called again with the revised decision and a fresh
    unit of work: stage writes from the arguments alone, and keep a guard's per-request
    state in ``request.scratch`` rather than consuming it here.
    """


@hookspec
def bastion_usage_reported(report: UsageReport, unit_of_work: UnitOfWork) -> None:
    """Called for each ``GuardService.Report``: what an action really used and cost.

    Stage accounting writes in ``unit_of_work``. Must never refuse: recording cost never
    blocks (SPEC G3). Every implementation is called.
    """


@hookspec(firstresult=True)
def bastion_find_decision(tenant_id: str, decision_id: str) -> dict[str, Any] | None:
    """Returns the recorded decision ``decision_id`` of ``tenant_id`` (for Explain).

    :return: ``{"decision": <Decision.to_record()>, "request": <ActionRequest.to_record()>}``
        or ``None``. First non-None result wins. The ledger plugin answers from the ledger.
    """


@hookspec
def bastion_request_finished(request: ActionRequest, decision: Decision,
                             duration_s: float) -> None:
    """Called after the decision is durable and answered. For metrics and telemetry.

    The return value is ignored; an exception is logged and does not affect the request.
    """


@hookspec
def bastion_record_event(tenant_id: str, event_type: str, subject_id: str, actor: str,
                         payload: dict[str, Any], at: dt.datetime) -> WriteOp | None:
    """Asks for a write op that puts a system event on record: a change no request
    decided, such as a zombie unit reclaimed (``work.zombie_reclaimed``).

    :param payload: JSON-serialisable facts of the event.
    :return: a write op to apply in the very transaction that makes the change (the ledger
        plugin returns its append), or ``None``. Every implementation is called.
    """


@hookspec
def bastion_policies_changed(scope: str) -> None:
    """Called after a change to semantic-guard policies (SPEC G5) is durable, on the
    replica (or CLI process) that made it: ``AdminService.PutPolicy`` / ``DisablePolicy``,
    ``bastion policy add|disable``.

    :param scope: the tenant id whose policies changed, or ``"*"`` for a global policy
        (every tenant's policies changed).

    For plugins that cache policies: drop what ``scope`` covers so the next Check reads
    the change. Other replicas are not called; they notice the change through the
    per-scope version counter (``storage.policies.versions``). Every implementation is
    called; the return value is ignored.
    """


# ---------------------------------------------------------------------------------------
# Domain hooks offered by built-in domain plugins
# ---------------------------------------------------------------------------------------

@hookspec(firstresult=True)
def bastion_training_substitutes(tenant_id: str, movement_id: str, pattern: str,
                                 avoid_muscles: frozenset[str], forbidden: frozenset[str],
                                 candidates: tuple[str, ...]
                                 ) -> Sequence[str] | Awaitable[Sequence[str]] | None:
    """Proposes substitutes for a movement the training plugin removed from a session
    (``TrainingService.AdaptSession``), for instance from an LLM that knows the athlete.

    Called once per removed movement, on the event loop, before the adaptation is decided.

    :param movement_id: the removed movement (an id of the plugin's movement library).
    :param pattern: its movement pattern (``SQUAT``, ``HORIZONTAL_PUSH``, ...).
    :param avoid_muscles: muscles too sore to load (``CHEST``, ...).
    :param forbidden: movement ids the athlete's rules forbid.
    :param candidates: the library's movements that would qualify, in library order.
    :return: movement ids in order of preference (or an awaitable of them, awaited up to the
        plugin's ``proposal_timeout_s``), or ``None`` to let the next implementation (and
        finally the deterministic choice) answer. The training plugin accepts only a
        proposal that exists in its library, has the same pattern, is not forbidden, does not
        load a sore muscle and is not already in the session; otherwise, on an exception or
        on a timeout, it uses the first candidate.
    """


# ---------------------------------------------------------------------------------------
# Shutdown
# ---------------------------------------------------------------------------------------

@hookspec
def bastion_shutdown() -> None:
    """Called once on graceful shutdown, after in-flight calls finished and staged writes
    were committed. Flush buffers and release resources here."""
