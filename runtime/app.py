"""The in-process runtime without the network: configured plugins, storage, guards and the
lifecycle. The gRPC server and the CLI both build one."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

import pluggy

from bastion.runtime.auth import Authenticator
from bastion.runtime.config import Settings
from bastion.runtime.guards import GuardPipeline
from bastion.runtime.lifecycle import Lifecycle
from bastion.runtime.plugin_manager import make_plugin_manager
from bastion.runtime.telemetry import TelemetryBuffer, TelemetryFlusher
from bastion.storage import telemetry as telemetry_store
from bastion.storage import Database, GroupCommitter
from bastion.storage import migrate as migrations


@dataclass
class Runtime:
    settings: Settings
    pm: pluggy.PluginManager
    database: Database
    committer: GroupCommitter
    telemetry: TelemetryBuffer
    telemetry_flusher: TelemetryFlusher
    guards: GuardPipeline
    lifecycle: Lifecycle
    authenticator: Authenticator

    def close(self) -> None:
        self.committer.stop()
        self.telemetry_flusher.flush_all()  # a clean stop loses no telemetry
        self.guards.close()
        self.database.dispose()


def build_runtime(settings: Settings, *, pm: pluggy.PluginManager | None = None,
                  database: Database | None = None) -> Runtime:
    """Configures every plugin (``bastion_configure``) and wires the lifecycle."""
    pm = pm or make_plugin_manager(settings)
    database = database or Database(settings.database_url, pool_size=settings.db_pool_size)
    committer = GroupCommitter(database, linger_s=settings.group_commit_linger_ms / 1000)
    telemetry = TelemetryBuffer(settings.telemetry_capacity, settings.telemetry_batch_size)
    flusher = TelemetryFlusher(telemetry, lambda rows: telemetry_store.insert_rows(database, rows),
                               settings.telemetry_flush_interval_s)
    pm.hook.bastion_configure.call_historic(
        kwargs={"settings": settings, "database": database, "committer": committer,
                "telemetry": telemetry})
    guards = GuardPipeline(pm, settings, telemetry)
    return Runtime(settings=settings, pm=pm, database=database, committer=committer,
                   telemetry=telemetry, telemetry_flusher=flusher,
                   guards=guards, lifecycle=Lifecycle(pm, guards, committer, telemetry),
                   authenticator=Authenticator(database, settings))


def migration_locations(pm: pluggy.PluginManager) -> list[pathlib.Path]:
    return [pathlib.Path(p) for group in pm.hook.bastion_migrations() for p in group]


class MigrationsPending(Exception):
    """The database is not at the newest revision: run ``bastion migrate``."""


def check_migrated(pm: pluggy.PluginManager, database: Database) -> None:
    if not migrations.is_up_to_date(database, migration_locations(pm)):
        raise MigrationsPending(
            f"database {database.safe_url} is not migrated to the newest revision of every "
            "enabled plugin: run 'bastion migrate'")


def migrate(settings: Settings, pm: pluggy.PluginManager | None = None,
            database: Database | None = None) -> None:
    """Applies the core migrations and those of every enabled plugin."""
    pm = pm or make_plugin_manager(settings)
    own = database is None
    database = database or Database(settings.database_url)
    try:
        migrations.upgrade(database, migration_locations(pm))
    finally:
        if own:
            database.dispose()
