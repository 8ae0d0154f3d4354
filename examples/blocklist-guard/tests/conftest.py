import pytest

from bastion_blocklist import BlocklistPlugin


@pytest.fixture
def bastion_plugins():
    """The plugin under test: bastion.testing's fixtures build servers with it."""
    return [BlocklistPlugin]
