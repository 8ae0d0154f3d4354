"""Two servers (replicas) on one database: a change made on one reaches the other's guard
once its cache expires (``[plugins.blocklist] cache_ttl_s``)."""

from __future__ import annotations

import dataclasses

import pytest

from bastion.runtime.config import Settings
from bastion.testing import make_test_settings, running_server
from bastion.v1 import decision_pb2
from bastion_blocklist import BlocklistPlugin

DENY, ALLOW = decision_pb2.VERDICT_DENY, decision_pb2.VERDICT_ALLOW


@pytest.fixture
def bastion_settings(bastion_database_url: str, request: pytest.FixtureRequest) -> Settings:
    """bastion.testing's settings plus this module's ``cache_ttl_s`` (parametrised)."""
    settings = make_test_settings(bastion_database_url)
    sections = {**settings.plugin_sections, "blocklist": {"cache_ttl_s": request.param}}
    return dataclasses.replace(settings, plugin_sections=sections)


@pytest.fixture
def replica(bastion_settings: Settings, bastion_server):
    """A second server on the same database (started after ``bastion_server`` migrated it)."""
    with running_server(bastion_settings, [BlocklistPlugin]) as handle:
        yield handle


@pytest.mark.parametrize("bastion_settings", [0], indirect=True)
def test_without_a_cache_other_replicas_see_a_change_at_once(
        bastion_tenant, replica, connect) -> None:
    operator = connect(bastion_tenant.operator_token)
    on_replica = connect(bastion_tenant.agent_token, replica)
    assert on_replica.check("shell.exec").verdict == ALLOW
    operator.add("shell.exec")
    assert on_replica.check("shell.exec").verdict == DENY


@pytest.mark.parametrize("bastion_settings", [3600], indirect=True)
def test_checks_are_answered_from_the_cache(bastion_tenant, replica, connect) -> None:
    operator = connect(bastion_tenant.operator_token)
    here = connect(bastion_tenant.agent_token)
    on_replica = connect(bastion_tenant.agent_token, replica)
    assert on_replica.check("shell.exec").verdict == ALLOW   # caches the (empty) list
    operator.add("shell.exec")
    assert here.check("shell.exec").verdict == DENY           # the serving replica: at once
    assert on_replica.check("shell.exec").verdict == ALLOW    # the other: after the TTL
