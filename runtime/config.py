"""Server configuration: defaults < TOML file < BASTION_* environment < command-line flags.

There is no default secret anywhere: a missing ledger secret disables signatures (and says
so), a missing JWT secret disables JWTs.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from bastion.runtime.event_loop import EVENT_LOOPS

DEFAULT_DATABASE_URL = "sqlite:///./bastion.db"


@dataclass(frozen=True)
class GuardSettings:
    """How one guard runs. ``mode`` is ``enforce`` or ``shadow``."""

    mode: str = "enforce"
    fail_open: bool = False
    timeout_ms: int | None = None
    # Tenants for which this guard runs in shadow mode while it enforces for the others
    # (an admin can also set a tenant's mode at run time: AdminService.SetGuardMode).
    shadow_tenants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    listen: str = "127.0.0.1:50051"
    database_url: str = DEFAULT_DATABASE_URL
    log_format: str = "json"
    log_level: str = "info"
    # Log lines are buffered and written this often by a background thread (0: every line).
    log_flush_interval_ms: int = 200
    # The event loop: "auto" (uvloop when installed, else asyncio's), "uvloop", "asyncio".
    event_loop: str = "auto"
    # `bastion serve`'s garbage-collector generation-0 threshold (Python's default: 700):
    # how many container objects may accumulate between young collections.
    gc_threshold: int = 2_000
    # How long the group committer may wait for more concurrent requests before it commits
    # a batch (only while recent batches were larger than what has queued; 0: never waits).
    group_commit_linger_ms: float = 10.0
    # Threads for blocking work off the event loop (plain-function guards).
    max_workers: int = 64
    # Most RPCs in flight at once; 0 = unlimited (beyond it: RESOURCE_EXHAUSTED).
    max_concurrent_rpcs: int = 0
    # Largest request accepted, in bytes; larger ones get RESOURCE_EXHAUSTED from gRPC itself.
    max_message_bytes: int = 4 * 1024 * 1024
    # host:port for the Prometheus /metrics endpoint; empty disables it.
    metrics_listen: str = ""
    # SIGTERM: stop accepting, give in-flight calls this long, then commit and stop.
    grace_period_s: float = 10.0
    health_interval_s: float = 2.0
    db_pool_size: int = 16
    # Names prefixed "-" are disabled; bare names form an allow-list of entry-point plugins.
    plugins: tuple[str, ...] = ()
    trace_hooks: bool = False
    # Default per-guard time limit; a guard over it fails closed (guard_timeout).
    guard_timeout_ms: int = 1000
    guards: Mapping[str, GuardSettings] = field(default_factory=dict)
    # Input limits (INVALID_ARGUMENT beyond them).
    max_attributes_bytes: int = 64 * 1024
    max_name_chars: int = 256
    max_reasoning_chars: int = 32 * 1024
    # GuardService.CheckStream: messages of one stream decided at once; the server reads
    # no further message until one finishes (back-pressure through flow control).
    stream_max_in_flight: int = 16
    # How often each replica re-reads the per-tenant guard modes set by admins (seconds).
    guard_modes_refresh_s: float = 1.0
    # Authentication.
    jwt_secret: str = ""
    jwt_algorithms: tuple[str, ...] = ("HS256",)
    jwt_ttl_s: int = 900
    jwt_issuer: str = "bastion"
    api_key_pepper: str = ""
    auth_cache_ttl_s: float = 5.0
    # Units of work (SPEC W1, W2): a unit whose last heartbeat is older than
    # zombie_timeout_s is reclaimed by the sweeper (every zombie_sweep_interval_s; 0: off).
    # A lease's deadline: lease_ttl_s after the lease or the last heartbeat, capped at
    # zombie_timeout_s (no unit is reclaimed before the deadline its holder was given).
    # Telemetry (SPEC W3): buffer capacity, batch size and flush interval; entries older
    # than telemetry_retention_days are deleted by the janitor (0: kept).
    telemetry_capacity: int = 10_000
    telemetry_batch_size: int = 1_000
    telemetry_flush_interval_s: float = 2.0
    telemetry_retention_days: float = 30.0
    # Memories (SPEC W4) not accessed for memory_retention_days are deleted by the janitor,
    # which runs every janitor_interval_s (0: never; AdminService.RunMemoryDecay any time).
    memory_retention_days: float = 90.0
    janitor_interval_s: float = 86_400.0
    lease_ttl_s: float = 300.0
    zombie_timeout_s: float = 300.0
    zombie_sweep_interval_s: float = 60.0
    # A unit reclaimed more often than this FAILS (reason zombie); preempted more: FAILS
    # (reason max_preemptions).
    max_reclaims: int = 3
    max_preemptions: int = 3
    # Tenants whose admins may manage global semantic-guard policies (SPEC G5); none by default.
    global_policy_tenants: tuple[str, ...] = ()
    # Per-plugin sections ([plugins.<name>] in the file).
    plugin_sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def plugin_settings(self, name: str) -> Mapping[str, Any]:
        return self.plugin_sections.get(name, {})

    def guard_settings(self, name: str) -> GuardSettings:
        return self.guards.get(name, GuardSettings())

    def plugin_enabled(self, name: str) -> bool:
        if f"-{name}" in self.plugins:
            return False
        allow = [p for p in self.plugins if not p.startswith("-")]
        return not allow or name in allow

    def redacted(self) -> dict[str, Any]:
        """The settings for logs: secrets replaced by whether they are set."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("jwt_secret", "api_key_pepper"):
                value = bool(value)
            elif f.name == "database_url":
                value = _hide_password(value)
            elif f.name == "plugin_sections":
                value = sorted(value)
            elif f.name == "guards":
                value = {k: v.__dict__ for k, v in value.items()}
            out[f.name] = value
        return out


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database_url>"


_ENV = {
    "BASTION_LISTEN": ("listen", str),
    "BASTION_DATABASE_URL": ("database_url", str),
    "BASTION_LOG_FORMAT": ("log_format", str),
    "BASTION_LOG_LEVEL": ("log_level", str),
    "BASTION_LOG_FLUSH_INTERVAL_MS": ("log_flush_interval_ms", int),
    "BASTION_EVENT_LOOP": ("event_loop", str),
    "BASTION_GC_THRESHOLD": ("gc_threshold", int),
    "BASTION_GROUP_COMMIT_LINGER_MS": ("group_commit_linger_ms", float),
    "BASTION_MAX_WORKERS": ("max_workers", int),
    "BASTION_MAX_CONCURRENT_RPCS": ("max_concurrent_rpcs", int),
    "BASTION_METRICS_LISTEN": ("metrics_listen", str),
    "BASTION_GRACE_PERIOD_S": ("grace_period_s", float),
    "BASTION_PLUGINS": ("plugins", lambda v: tuple(p.strip() for p in v.split(",") if p.strip())),
    "BASTION_TRACE_HOOKS": ("trace_hooks", lambda v: v.lower() in ("1", "true", "yes")),
    "BASTION_GUARD_TIMEOUT_MS": ("guard_timeout_ms", int),
    "BASTION_STREAM_MAX_IN_FLIGHT": ("stream_max_in_flight", int),
    "BASTION_TELEMETRY_FLUSH_INTERVAL_S": ("telemetry_flush_interval_s", float),
    "BASTION_MEMORY_RETENTION_DAYS": ("memory_retention_days", float),
    "BASTION_JWT_SECRET": ("jwt_secret", str),
    "BASTION_API_KEY_PEPPER": ("api_key_pepper", str),
    "BASTION_DB_POOL_SIZE": ("db_pool_size", int),
    "BASTION_ZOMBIE_TIMEOUT_S": ("zombie_timeout_s", float),
    "BASTION_ZOMBIE_SWEEP_INTERVAL_S": ("zombie_sweep_interval_s", float),
    "BASTION_LEASE_TTL_S": ("lease_ttl_s", float),
    "BASTION_MAX_RECLAIMS": ("max_reclaims", int),
    "BASTION_MAX_PREEMPTIONS": ("max_preemptions", int),
    "BASTION_GLOBAL_POLICY_TENANTS": ("global_policy_tenants",
                                      lambda v: tuple(p.strip() for p in v.split(",") if p.strip())),
}

# Plugin settings that may come from the environment: env var -> (plugin, key, parser).
_PLUGIN_ENV = {
    "BASTION_LEDGER_SECRET": ("ledger", "secret", str),
    "BASTION_LEDGER_VERIFY": ("ledger", "verify_enabled",
                              lambda v: v.lower() in ("1", "true", "yes")),
    "BASTION_DELIBERATION_HASH_KEY": ("deliberation", "hash_key", str),
}


def _from_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(Settings)}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "plugins" and isinstance(value, Mapping):
            out["plugin_sections"] = {k: dict(v) for k, v in value.items()}
        elif key == "guards" and isinstance(value, Mapping):
            out["guards"] = {k: _guard_settings(k, v) for k, v in value.items()}
        elif key == "enabled_plugins":
            out["plugins"] = tuple(value)
        elif key in known:
            out[key] = tuple(value) if isinstance(value, list) else value
        else:
            raise ValueError(f"unknown configuration key {key!r}")
    return out


def _guard_settings(name: str, raw: Mapping[str, Any]) -> GuardSettings:
    known = {f.name for f in fields(GuardSettings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"unknown key guards.{name}.{unknown[0]}")
    values = dict(raw)
    if "shadow_tenants" in values:
        values["shadow_tenants"] = tuple(str(t) for t in values["shadow_tenants"])
    return GuardSettings(**values)


def load_settings(path: str | None = None, env: Mapping[str, str] | None = None,
                  **overrides: Any) -> Settings:
    """Loads settings. ``overrides`` (from CLI flags) win; None values are ignored."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = path or env.get("BASTION_CONFIG")
    if path:
        with open(path, "rb") as fh:
            values.update(_from_mapping(tomllib.load(fh)))
    for var, (name, parse) in _ENV.items():
        if env.get(var):
            values[name] = parse(env[var])
    sections = {k: dict(v) for k, v in values.get("plugin_sections", {}).items()}
    for var, (plugin, key, parse) in _PLUGIN_ENV.items():
        if env.get(var):
            sections.setdefault(plugin, {})[key] = parse(env[var])
    values["plugin_sections"] = sections
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if settings.log_format not in ("json", "console"):
        raise ValueError("log_format must be 'json' or 'console'")
    if settings.event_loop not in EVENT_LOOPS:
        raise ValueError(f"event_loop must be one of {', '.join(EVENT_LOOPS)}")
    if not 100 <= settings.gc_threshold <= 1_000_000:
        # 0 would switch automatic collection off: reference cycles would pile up.
        raise ValueError("gc_threshold must be between 100 and 1000000")
    if not 0 <= settings.group_commit_linger_ms <= 1_000:  # also refuses NaN
        raise ValueError("group_commit_linger_ms must be between 0 and 1000")
    if "none" in (a.lower() for a in settings.jwt_algorithms):
        raise ValueError("jwt_algorithms must not contain 'none'")
    for name, guard in settings.guards.items():
        if guard.mode not in ("enforce", "shadow"):
            raise ValueError(f"guards.{name}.mode must be 'enforce' or 'shadow'")
    if settings.stream_max_in_flight < 1:
        raise ValueError("stream_max_in_flight must be >= 1")
    if settings.telemetry_capacity < 1 or settings.telemetry_batch_size < 1:
        raise ValueError("telemetry_capacity and telemetry_batch_size must be >= 1")
    if settings.telemetry_flush_interval_s <= 0:
        raise ValueError("telemetry_flush_interval_s must be > 0")
    for name in ("lease_ttl_s", "zombie_timeout_s", "max_reclaims", "max_preemptions",
                 "guard_modes_refresh_s", "telemetry_retention_days",
                 "memory_retention_days", "janitor_interval_s"):
        if getattr(settings, name) < 0:
            raise ValueError(f"{name} must be >= 0")

