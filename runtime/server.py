"""Building and running the gRPC server (grpc.aio: measured, see docs/architecture.md).

:class:`BastionServer` keeps a synchronous face (``start()`` / ``stop()``) for the CLI and
tests: the asyncio event loop that serves runs on its own thread.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
from typing import Any

import grpc
import pluggy
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from bastion.runtime.app import build_runtime, check_migrated
from bastion.runtime.config import Settings
from bastion.runtime.event_loop import loop_name, new_event_loop
from bastion.runtime.interceptors import AuthInterceptor, ObservabilityInterceptor
from bastion.runtime.jobs import BackgroundJob, JobScheduler
from bastion.runtime.metrics import TELEMETRY_BUFFERED, serve_metrics
from bastion.runtime.principal import Role
from bastion.runtime.servicers.admin import AdminServicer
from bastion.runtime.memory import run_janitor
from bastion.runtime.servicers.guard import GuardServicer
from bastion.runtime.servicers.memory import MemoryServicer
from bastion.runtime.servicers.work import WorkServicer
from bastion.runtime.work import run_zombie_protocol
from bastion.runtime.services import ServiceContext, ServiceRegistration
from bastion.storage import Database
from bastion.v1 import (
    admin_service_pb2_grpc,
    guard_service_pb2_grpc,
    memory_service_pb2_grpc,
    work_service_pb2_grpc,
)

log = structlog.get_logger("bastion.server")
HEALTH_SERVICE = "grpc.health.v1.Health"
# Methods registered with gRPC core by name; every other method is served through its
# service's generic handler (see _RegisteredOnly).
HOT_METHODS = frozenset({"/bastion.v1.GuardService/Check"})


class BastionServer:
    """One Bastion process: plugins, storage, lifecycle and the gRPC server.

    ``start()`` binds (``settings.listen``; port 0 picks a free port, see :attr:`port`) and
    returns; ``stop()`` shuts down gracefully.
    """

    def __init__(self, settings: Settings, *, pm: pluggy.PluginManager | None = None,
                 database: Database | None = None) -> None:
        self.settings = settings
        self._pm_arg, self._db_arg = pm, database
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._server: grpc.aio.Server | None = None
        self._health = health.aio.HealthServicer()
        self._health_task: asyncio.Task[None] | None = None
        self._jobs: JobScheduler | None = None
        self._service_names: list[str] = []

    # -- start-up ----------------------------------------------------------------------
    def start(self) -> "BastionServer":
        """Builds the runtime and serves on a background event-loop thread."""
        self._loop = new_event_loop(self.settings.event_loop)
        ready = threading.Event()
        self._loop_thread = threading.Thread(target=self._run_loop, args=(ready,),
                                             name="bastion-loop", daemon=True)
        self._loop_thread.start()
        ready.wait()
        asyncio.run_coroutine_threadsafe(self.start_async(), self._loop).result()
        return self

    def _run_loop(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(ready.set)
        self._loop.run_forever()

    async def start_async(self) -> None:
        """Builds the runtime and starts serving on the running event loop."""
        settings = self.settings
        self.runtime = runtime = build_runtime(settings, pm=self._pm_arg, database=self._db_arg)
        await asyncio.to_thread(check_migrated, runtime.pm, runtime.database)
        await asyncio.to_thread(runtime.guards.modes.refresh, runtime.database)
        self.pm, self.database, self.committer = runtime.pm, runtime.database, runtime.committer
        self.lifecycle, self.authenticator = runtime.lifecycle, runtime.authenticator
        context = ServiceContext(lifecycle=self.lifecycle, database=self.database,
                                 settings=settings, plugin_manager=self.pm)
        registrations = self._core_services() + [
            r for regs in self.pm.hook.bastion_services(context=context) for r in regs]
        extra = [i for group in self.pm.hook.bastion_interceptors(settings=settings)
                 for i in group]
        interceptors: list[Any] = [
            ObservabilityInterceptor(quiet_services=frozenset({HEALTH_SERVICE}),
                                     cache_handlers=not extra),
            AuthInterceptor(self.authenticator, _method_policies(registrations)),
            *extra,
        ]
        server = grpc.aio.server(
            interceptors=interceptors,
            options=[("grpc.max_receive_message_length", settings.max_message_bytes),
                     ("grpc.max_send_message_length", settings.max_message_bytes),
                     ("grpc.so_reuseport", 0)],
            maximum_concurrent_rpcs=settings.max_concurrent_rpcs or None)
        adder = _RegisteredOnly(server, HOT_METHODS)
        for reg in registrations:
            reg.add_to_server(reg.servicer, adder)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, adder)
        self._service_names = [r.name for r in registrations]
        reflection.enable_server_reflection(  # the real server: it picks aio by its type
            [*self._service_names, HEALTH_SERVICE, reflection.SERVICE_NAME], server)
        self.port = server.add_insecure_port(settings.listen)
        if self.port == 0:
            raise OSError(f"could not bind {settings.listen}")
        self.committer.start()
        runtime.telemetry_flusher.start()
        TELEMETRY_BUFFERED.set_function(lambda: len(runtime.telemetry))
        await server.start()
        self._server = server
        await self._check_health()
        self._health_task = asyncio.get_running_loop().create_task(self._health_loop())
        self._jobs = JobScheduler(self._core_jobs() + [
            j for group in self.pm.hook.bastion_background_jobs(settings=settings)
            for j in group])
        self._jobs.start()
        if settings.metrics_listen:
            serve_metrics(settings.metrics_listen)
        log.info("serving", listen=settings.listen, port=self.port,
                 database=self.database.safe_url, services=self._service_names,
                 guards=runtime.guards.names,
                 event_loop=loop_name(asyncio.get_running_loop()), settings=settings.redacted())

    def _core_services(self) -> list[ServiceRegistration]:
        return [
            ServiceRegistration(
                name="bastion.v1.GuardService",
                add_to_server=guard_service_pb2_grpc.add_GuardServiceServicer_to_server,
                servicer=GuardServicer(self.lifecycle, self.pm, self.settings)),
            ServiceRegistration(
                name="bastion.v1.AdminService",
                add_to_server=admin_service_pb2_grpc.add_AdminServiceServicer_to_server,
                servicer=AdminServicer(self.lifecycle, self.database, self.settings, self.pm,
                                       self.authenticator),
                method_roles={"SetQuota": Role.ADMIN, "RunZombieProtocol": Role.ADMIN,
                              "SetGuardMode": Role.ADMIN},
                default_role=Role.OPERATOR),
            ServiceRegistration(
                name="bastion.v1.MemoryService",
                add_to_server=memory_service_pb2_grpc.add_MemoryServiceServicer_to_server,
                servicer=MemoryServicer(self.lifecycle, self.database)),
            ServiceRegistration(
                name="bastion.v1.WorkService",
                add_to_server=work_service_pb2_grpc.add_WorkServiceServicer_to_server,
                servicer=WorkServicer(self.lifecycle, self.database, self.committer,
                                      self.settings)),
        ]

    def _core_jobs(self) -> list[BackgroundJob]:
        settings = self.settings
        modes = self.runtime.guards.modes
        jobs = [BackgroundJob("guard-modes", settings.guard_modes_refresh_s,
                              lambda: modes.refresh(self.database), quiet=True)]
        if settings.janitor_interval_s > 0:
            jobs.append(BackgroundJob("janitor", settings.janitor_interval_s,
                                      lambda: run_janitor(self.database, settings)))
        if settings.zombie_sweep_interval_s > 0:
            jobs.append(BackgroundJob(
                "zombie-protocol", settings.zombie_sweep_interval_s,
                lambda: len(run_zombie_protocol(self.database, self.pm, settings))))
        return jobs

    # -- health ------------------------------------------------------------------------
    async def _check_health(self) -> None:
        reachable = await asyncio.to_thread(self.database.ping)
        status = (health_pb2.HealthCheckResponse.SERVING if reachable
                  else health_pb2.HealthCheckResponse.NOT_SERVING)
        for name in ("", *self._service_names):
            await self._health.set(name, status)

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.health_interval_s)
            await self._check_health()

    # -- shutdown ----------------------------------------------------------------------
    async def stop_async(self, grace: float | None = None) -> None:
        """Stops accepting calls, lets in-flight ones finish within ``grace`` seconds,
        commits what they staged, then runs shutdown hooks."""
        if self._server is None:
            return
        grace = self.settings.grace_period_s if grace is None else grace
        if self._health_task is not None:
            self._health_task.cancel()
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace)
        self._server = None
        if self._jobs is not None:
            await asyncio.to_thread(self._jobs.stop)
        await asyncio.to_thread(self.committer.stop)
        try:
            self.pm.hook.bastion_shutdown()
        finally:
            self.runtime.close()
        log.info("stopped")

    def stop(self, grace: float | None = None) -> None:
        """Synchronous :meth:`stop_async` for a server started with :meth:`start`."""
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop_async(grace), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._loop_thread is not None:
            self._loop_thread.join()
        self._loop.close()
        self._loop = None

    def serve_forever(self) -> None:
        """Serves on this thread until SIGTERM or SIGINT, then stops gracefully."""
        with asyncio.Runner(loop_factory=lambda: new_event_loop(self.settings.event_loop)
                            ) as runner:
            runner.run(self._serve_until_signalled())

    async def _serve_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start_async()
        _freeze_startup_heap()
        _tune_collector(self.settings.gc_threshold)
        await stop.wait()
        log.info("shutting_down", grace_s=self.settings.grace_period_s)
        await self.stop_async()


def _freeze_startup_heap() -> None:
    """Moves every object alive once the server is up (modules, plugins, generated and
    compiled code, primed caches) out of the garbage collector's reach. Without it each
    full collection walked them all and stopped the event loop for ~100 ms, every few
    seconds under load (bench/RESULTS.md: gen-2 pauses 97-98 ms, 1.6-4.5 ms after)."""
    gc.collect()
    gc.freeze()


def _tune_collector(threshold: int) -> None:
    """Sets the young generation's threshold for the serving process. Each request leaves
    a few reference cycles, so young collections come every few hundred allocations at
    Python's default of 700, and each walks the in-flight requests' objects again: at c=64
    that was 11 µs of a plain Check and 20 of a judged one. At 10,000 it was 3-5 and 9,
    but in pauses of 3-7 ms every ~0.4 s that every in-flight call waits through; at 2,000
    it is ~5 µs in pauses of 1-2 ms, and p99 at c=64 was lower in 8 of 10 alternated pairs
    (bench/RESULTS.md, 2026-12-06)."""
    gc.set_threshold(threshold, *gc.get_threshold()[1:])
    log.info("gc_tuned", threshold=gc.get_threshold(), frozen=gc.get_freeze_count())


def _method_policies(registrations: list[ServiceRegistration]) -> dict[str, tuple[bool, Role]]:
    policies: dict[str, tuple[bool, Role]] = {}
    for reg in registrations:
        for method in _methods_of(reg.servicer):
            role = reg.method_roles.get(method, reg.default_role)
            policies[f"/{reg.name}/{method}"] = (reg.public, role)
    for method in ("Check", "Watch", "List"):
        policies[f"/{HEALTH_SERVICE}/{method}"] = (True, Role.AGENT)
    policies[f"/{reflection.SERVICE_NAME}/ServerReflectionInfo"] = (True, Role.AGENT)
    return policies


def _methods_of(servicer: Any) -> list[str]:
    return [name for name in dir(servicer)
            if name[:1].isupper() and callable(getattr(servicer, name))]


class _RegisteredOnly:
    """The server as the generated ``add_*_to_server`` functions see it: generic handlers
    pass through; of the per-method registrations only ``registered`` methods reach core.

    grpc.aio's accept loop keeps one pending request per registered method and calls
    ``asyncio.wait`` over all of them for each incoming call: with every method of every
    service registered (33 here) that cost about 20 µs of server CPU per Check at
    concurrency 64. Unregistered methods are found through the generic handlers (the
    observability interceptor caches the handler each method resolves to).
    """

    def __init__(self, server: grpc.aio.Server, registered: frozenset[str]) -> None:
        self._server = server
        self._registered = registered

    def add_registered_method_handlers(self, service: str,
                                       handlers: dict[str, grpc.RpcMethodHandler]) -> None:
        kept = {m: h for m, h in handlers.items() if f"/{service}/{m}" in self._registered}
        if kept:
            self._server.add_registered_method_handlers(service, kept)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)
