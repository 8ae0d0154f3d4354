"""The pytest fixtures of ``bastion.testing`` (see the package docstring)."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from bastion.runtime.config import Settings
from bastion.runtime.plugin_manager import make_plugin_manager
from bastion.testing.harness import (
    ServerHandle,
    TenantKeys,
    running_server,
    temporary_database,
    make_test_settings,
)


@pytest.fixture
def bastion_plugins() -> list[Any]:
    """The plugins under test. Override in your conftest.py."""
    return []


@pytest.fixture
def bastion_database_url(tmp_path: pathlib.Path) -> Iterator[str]:
    backend = os.environ.get("BASTION_TEST_DATABASE", "sqlite")
    with temporary_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def bastion_settings(bastion_database_url: str) -> Settings:
    return make_test_settings(bastion_database_url)


@pytest.fixture
def bastion_plugin_manager(bastion_settings: Settings, bastion_plugins: list[Any]) -> Any:
    return make_plugin_manager(bastion_settings, load_entrypoints=False,
                               plugins=bastion_plugins)


@pytest.fixture
def bastion_server(bastion_settings: Settings,
                   bastion_plugins: list[Any]) -> Iterator[ServerHandle]:
    with running_server(bastion_settings, bastion_plugins) as handle:
        yield handle


@pytest.fixture
def bastion_tenant(bastion_server: ServerHandle) -> TenantKeys:
    return bastion_server.create_tenant()


@pytest.fixture
def bastion_client(bastion_server: ServerHandle, bastion_tenant: TenantKeys) -> Iterator[Any]:
    from bastion.clients import BastionClient

    client = BastionClient(bastion_server.target, api_key=bastion_tenant.agent_token)
    try:
        yield client
    finally:
        client.close()
