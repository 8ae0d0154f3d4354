"""``bastion.testing``: a pytest plugin for testing Bastion plugins (and Bastion itself).

Installed with Bastion and loaded by pytest automatically (``pytest11`` entry point). A
plugin author overrides one fixture and gets a real server::

    # conftest.py
    import pytest
    from my_plugin import MyGuard

    @pytest.fixture
    def bastion_plugins():
        return [MyGuard]

    # test_my_plugin.py
    def test_denies(bastion_client):
        decision = bastion_client.check(action="payments.refund")
        assert decision.verdict == "DENY"

Fixtures:
- ``bastion_plugins``: the plugins under test (override it; default none).
- ``bastion_database_url``: a fresh migrated-on-demand database for the test (SQLite file in
  ``tmp_path``; PostgreSQL when ``BASTION_TEST_DATABASE=postgresql``, a uniquely named
  database created on ``BASTION_TEST_POSTGRES_URL`` and dropped afterwards).
- ``bastion_settings``: server settings (port 0, a test ledger secret, verification on).
- ``bastion_plugin_manager``: a plugin manager holding only ``bastion_plugins``.
- ``bastion_server``: a real in-process server on port 0 with the built-in plugins plus
  ``bastion_plugins`` (a :class:`ServerHandle`).
- ``bastion_tenant``: a fresh tenant with an admin and an agent key (:class:`TenantKeys`).
- ``bastion_client``: a connected :class:`bastion.clients.BastionClient` with the agent key.
"""

from bastion.testing.harness import (
    ServerHandle,
    TenantKeys,
    make_test_settings,
    running_server,
    temporary_database,
)

# The fixtures live in bastion.testing.plugin, which pytest loads through the ``pytest11``
# entry point; importing this package does not need pytest.
__all__ = [
    "ServerHandle",
    "TenantKeys",
    "make_test_settings",
    "running_server",
    "temporary_database",
]
