"""What a plugin hands the server to serve a gRPC service, and what it gets to build one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bastion.runtime.principal import Role

if TYPE_CHECKING:
    import pluggy

    from bastion.runtime.config import Settings
    from bastion.runtime.lifecycle import Lifecycle
    from bastion.storage import Database


@dataclass(frozen=True)
class ServiceContext:
    lifecycle: Lifecycle
    database: Database
    settings: Settings
    plugin_manager: pluggy.PluginManager


@dataclass(frozen=True)
class ServiceRegistration:
    """A gRPC service to serve.

    :param name: full service name, e.g. ``bastion.v1.MetabolismService`` (for reflection,
        health and role checks).
    :param add_to_server: the generated ``add_<Service>Servicer_to_server`` function.
    :param servicer: the servicer instance.
    :param method_roles: minimum role per method name; methods not listed need ``default_role``.
    :param public: served without authentication (only for standard services like health).
    """

    name: str
    add_to_server: Callable[[Any, Any], None]
    servicer: Any
    method_roles: Mapping[str, Role] = field(default_factory=dict)
    default_role: Role = Role.AGENT
    public: bool = False
