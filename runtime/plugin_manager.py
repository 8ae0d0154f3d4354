"""Building the plugin manager: hook specs, entry-point plugins, enable/disable."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from dataclasses import dataclass

import pluggy
import structlog

from bastion.runtime import hookspecs
from bastion.runtime.config import Settings

ENTRY_POINT_GROUP = "bastion.plugins"
log = structlog.get_logger("bastion.plugins")


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    hooks: tuple[str, ...]
    source: str


class BastionPluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers which distribution shipped each plugin."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.distributions: dict[str, importlib.metadata.Distribution] = {}


def make_plugin_manager(settings: Settings | None = None, *, load_entrypoints: bool = True,
                        plugins: Iterable[object] = ()) -> BastionPluginManager:
    """A fresh plugin manager (never a module global).

    :param load_entrypoints: load every plugin of the ``bastion.plugins`` entry-point group
        (built-in plugins are declared there too) that ``settings.plugins`` enables.
    :param plugins: extra plugin objects (modules or instances) to register, e.g. in tests.
    """
    settings = settings or Settings()
    pm = BastionPluginManager()
    pm.add_hookspecs(hookspecs)
    if load_entrypoints:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                         key=lambda e: e.name):
            if not settings.plugin_enabled(ep.name) or pm.has_plugin(ep.name):
                continue
            pm.register(instantiate(ep.load()), name=ep.name)
            if ep.dist is not None:
                pm.distributions[ep.name] = ep.dist
    for plugin in plugins:
        name = plugin_name(plugin)
        if settings.plugin_enabled(name):
            pm.register(instantiate(plugin), name=name)
    if settings.trace_hooks:
        _trace_hooks(pm)
    pm.check_pending()
    return pm


def instantiate(plugin: object) -> object:
    """A plugin given as a class is instantiated, so each manager (each server, each test)
    gets its own plugin state; modules and instances are registered as they are."""
    return plugin() if isinstance(plugin, type) else plugin


def plugin_name(plugin: object) -> str:
    """``plugin.name`` if set, else the last part of a module's or class's name."""
    name = getattr(plugin, "name", None)
    if isinstance(name, str) and name:
        return name
    return str(getattr(plugin, "__name__", type(plugin).__name__)).rsplit(".", 1)[-1]


def _trace_hooks(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, impls: list[pluggy.HookImpl], kwargs: dict[str, object]) -> None:
        log.debug("hook_call", hook=hook_name, plugins=[i.plugin_name for i in impls])

    def after(outcome: object, hook_name: str, impls: list[pluggy.HookImpl],
              kwargs: dict[str, object]) -> None:
        log.debug("hook_return", hook=hook_name)

    pm.add_hookcall_monitoring(before, after)


def plugin_infos(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Name, version, hooks and source of every registered plugin, sorted by name."""
    dists = getattr(pm, "distributions", {})
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = dists.get(name)
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        if dist is not None:
            dist_name = dist.metadata["Name"]
            source = "builtin" if dist_name == "bastion-runtime" else f"entrypoint:{dist_name}"
            version = dist.version
        else:
            source, version = "manual", ""
        infos.append(PluginInfo(name=name, version=version, hooks=tuple(hooks), source=source))
    return sorted(infos, key=lambda i: i.name)
