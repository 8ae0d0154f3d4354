"""Building blocks of the test fixtures, usable on their own (context managers)."""

from __future__ import annotations

import contextlib
import os
import pathlib
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import sqlalchemy as sa

from bastion.runtime.app import migrate
from bastion.runtime.auth import create_api_key
from bastion.runtime.config import Settings
from bastion.runtime.plugin_manager import make_plugin_manager
from bastion.runtime.principal import Role
from bastion.runtime.server import BastionServer
from bastion.storage import Database
from bastion.storage import tenants as tenant_store

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TEST_LEDGER_SECRET = "test-ledger-secret-not-for-production"


def postgres_admin_url() -> str:
    return os.environ.get("BASTION_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@contextlib.contextmanager
def temporary_database(backend: str, directory: pathlib.Path) -> Iterator[str]:
    """Yields the URL of a new empty database, removed afterwards.

    :param backend: ``sqlite`` (a file in ``directory``) or ``postgresql`` (a uniquely
        named database on :func:`postgres_admin_url`, dropped with FORCE at the end).
    """
    if backend == "sqlite":
        yield f"sqlite:///{directory / ('bastion-' + secrets.token_hex(4) + '.db')}"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    name = f"bastion_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(postgres_admin_url()).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@dataclass(frozen=True)
class TenantKeys:
    tenant_id: str
    name: str
    admin_token: str
    operator_token: str
    agent_token: str
    agent_key_id: str


@dataclass
class ServerHandle:
    server: BastionServer
    settings: Settings

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    @property
    def database(self) -> Database:
        return self.server.database

    def create_tenant(self, name: str | None = None) -> TenantKeys:
        """A new tenant with one admin, one operator and one agent key."""
        db = self.server.database
        tenant = tenant_store.create_tenant(db, name or f"t-{secrets.token_hex(6)}")
        admin, admin_token = create_api_key(db, self.settings, tenant.id, Role.ADMIN)
        _, operator_token = create_api_key(db, self.settings, tenant.id, Role.OPERATOR)
        agent, agent_token = create_api_key(db, self.settings, tenant.id, Role.AGENT)
        return TenantKeys(tenant_id=tenant.id, name=tenant.name, admin_token=admin_token,
                          operator_token=operator_token, agent_token=agent_token,
                          agent_key_id=agent.key_id)


def builtin_plugins() -> list[object]:
    from bastion.plugins.budget import BudgetPlugin
    from bastion.plugins.deliberation import DeliberationPlugin
    from bastion.plugins.ledger import LedgerPlugin
    from bastion.plugins.metabolism import MetabolismPlugin
    from bastion.plugins.priority import PriorityPlugin
    from bastion.plugins.quota import QuotaPlugin
    from bastion.plugins.semantic import SemanticPlugin
    from bastion.plugins.training import TrainingPlugin

    return [LedgerPlugin, MetabolismPlugin, QuotaPlugin, BudgetPlugin, PriorityPlugin,
            SemanticPlugin, DeliberationPlugin, TrainingPlugin]


def make_test_settings(database_url: str, **changes: object) -> Settings:
    base = Settings(listen="127.0.0.1:0", database_url=database_url, grace_period_s=5.0,
                    max_workers=32, health_interval_s=0.5,
                    # Quota limits and pressure are cached per replica by default;
                    # tests change them and check at once.
                    plugin_sections={"ledger": {"secret": TEST_LEDGER_SECRET,
                                                "verify_enabled": True},
                                     "quota": {"cache_ttl_s": 0},
                                     "budget": {"cache_ttl_s": 0},
                                     "priority": {"pressure_cache_ttl_s": 0},
                                     "deliberation": {"cache_ttl_s": 0,
                                                      "hash_key": "test-deliberation-key"}})
    return replace(base, **changes)


@contextlib.contextmanager
def running_server(settings: Settings, plugins: Iterable[object] = (), *,
                   include_builtins: bool = True) -> Iterator[ServerHandle]:
    """Migrates ``settings.database_url`` and serves on it until the block ends.

    The plugin manager holds the built-in plugins (unless ``include_builtins`` is false)
    and ``plugins``; entry points are not loaded, so the test decides what runs.
    """
    chosen = [*(builtin_plugins() if include_builtins else []), *plugins]
    pm = make_plugin_manager(settings, load_entrypoints=False, plugins=chosen)
    database = Database(settings.database_url, pool_size=settings.db_pool_size)
    migrate(settings, pm, database)
    server = BastionServer(settings, pm=pm, database=database).start()
    try:
        yield ServerHandle(server=server, settings=settings)
    finally:
        server.stop(grace=1.0)
