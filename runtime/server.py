"""Building and running the gRPC server (grpcio's thread-pool server; see docs/performance.md
for why it beat grpc.aio here)."""

from __future__ import annotations

import signal
import threading
from concurrent import futures
from typing import Any

import grpc
import pluggy
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from bastion.runtime.app import build_runtime
from bastion.runtime.config import Settings
from bastion.runtime.interceptors import AuthInterceptor, ObservabilityInterceptor
from bastion.runtime.jobs import JobScheduler
from bastion.runtime.metrics import serve_metrics
from bastion.runtime.principal import Role
from bastion.runtime.servicers.admin import AdminServicer
from bastion.runtime.servicers.guard import GuardServicer
from bastion.runtime.services import ServiceContext, ServiceRegistration
from bastion.storage import Database
from bastion.v1 import admin_service_pb2_grpc, guard_service_pb2_grpc

log = structlog.get_logger("bastion.server")
HEALTH_SERVICE = "grpc.health.v1.Health"


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
        self._server: grpc.Server | None = None
        self._health = health.HealthServicer()
        self._health_stop = threading.Event()
        self._jobs: JobScheduler | None = None
        self._service_names: list[str] = []

    # -- start-up ----------------------------------------------------------------------
    def start(self) -> "BastionServer":
        settings = self.settings
        self.runtime = runtime = build_runtime(settings, pm=self._pm_arg, database=self._db_arg)
        self.pm, self.database, self.committer = runtime.pm, runtime.database, runtime.committer
        self.lifecycle, self.authenticator = runtime.lifecycle, runtime.authenticator
        self._guards = runtime.guards  # for the start-up log
        context = ServiceContext(lifecycle=self.lifecycle, database=self.database,
                                 settings=settings, plugin_manager=self.pm)
        registrations = self._core_services() + [
            r for regs in self.pm.hook.bastion_services(context=context) for r in regs]
        interceptors: list[grpc.ServerInterceptor] = [
            ObservabilityInterceptor(quiet_services=frozenset({HEALTH_SERVICE})),
            AuthInterceptor(self.authenticator, _method_policies(registrations)),
            *[i for group in self.pm.hook.bastion_interceptors(settings=settings) for i in group],
        ]
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=settings.max_workers,
                                       thread_name_prefix="bastion-rpc"),
            interceptors=interceptors,
            options=[("grpc.max_receive_message_length", settings.max_message_bytes),
                     ("grpc.max_send_message_length", settings.max_message_bytes),
                     ("grpc.so_reuseport", 0)],
            maximum_concurrent_rpcs=None)
        for reg in registrations:
            reg.add_to_server(reg.servicer, server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        self._service_names = [r.name for r in registrations]
        reflection.enable_server_reflection(
            [*self._service_names, HEALTH_SERVICE, reflection.SERVICE_NAME], server)
        self.port = server.add_insecure_port(settings.listen)
        if self.port == 0:
            raise OSError(f"could not bind {settings.listen}")
        self.committer.start()
        server.start()
        self._server = server
        self._check_health()
        threading.Thread(target=self._health_loop, name="bastion-health", daemon=True).start()
        self._jobs = JobScheduler([j for group in self.pm.hook.bastion_background_jobs(
            settings=settings) for j in group])
        self._jobs.start()
        if settings.metrics_listen:
            serve_metrics(settings.metrics_listen)
        log.info("serving", listen=settings.listen, port=self.port,
                 database=self.database.safe_url, services=self._service_names,
                 guards=self._guards.names)
        return self

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
                default_role=Role.OPERATOR),
        ]

    # -- health ------------------------------------------------------------------------
    def _check_health(self) -> None:
        status = (health_pb2.HealthCheckResponse.SERVING if self.database.ping()
                  else health_pb2.HealthCheckResponse.NOT_SERVING)
        for name in ("", *self._service_names):
            self._health.set(name, status)

    def _health_loop(self) -> None:
        while not self._health_stop.wait(self.settings.health_interval_s):
            self._check_health()

    # -- shutdown ----------------------------------------------------------------------
    def stop(self, grace: float | None = None) -> None:
        """Stops accepting calls, lets in-flight ones finish within ``grace`` seconds,
        commits what they staged, then runs shutdown hooks."""
        if self._server is None:
            return
        grace = self.settings.grace_period_s if grace is None else grace
        self._health_stop.set()
        self._health.enter_graceful_shutdown()
        self._server.stop(grace).wait()
        self._server = None
        if self._jobs is not None:
            self._jobs.stop()
        self.committer.stop()
        try:
            self.pm.hook.bastion_shutdown()
        finally:
            self.runtime.close()
        log.info("stopped")

    def serve_forever(self) -> None:
        """Serves until SIGTERM or SIGINT, then stops gracefully."""
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.start()
        stop.wait()
        log.info("shutting_down", grace_s=self.settings.grace_period_s)
        self.stop()


def _method_policies(registrations: list[ServiceRegistration]) -> dict[str, tuple[bool, Role]]:
    policies: dict[str, tuple[bool, Role]] = {}
    for reg in registrations:
        for method in _methods_of(reg.servicer):
            role = reg.method_roles.get(method, reg.default_role)
            policies[f"/{reg.name}/{method}"] = (reg.public, role)
    for method in ("Check", "Watch", "List"):
        policies[f"/{HEALTH_SERVICE}/{method}"] = (True, Role.AGENT)
    for method in ("ServerReflectionInfo",):
        policies[f"/{reflection.SERVICE_NAME}/{method}"] = (True, Role.AGENT)
    return policies


def _methods_of(servicer: Any) -> list[str]:
    return [name for name in dir(servicer) if name[:1].isupper() and callable(getattr(servicer, name))]
