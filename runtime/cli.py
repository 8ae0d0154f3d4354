"""The ``bastion`` command: serve, migrate, and operate tenants, keys, tokens, the ledger
and plugins. Management commands act on the database directly (the operator's own
credentials are the database's) and print JSON; each change is itself ledgered."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from bastion.runtime import admission, policy_cli
from bastion.runtime import validation as v
from bastion.runtime.actions import ActionRequest
from bastion.runtime.app import MigrationsPending, Runtime, build_runtime, migrate
from bastion.runtime.auth import api_key_values, issue_jwt
from bastion.runtime.config import Settings, load_settings
from bastion.runtime.errors import BastionError
from bastion.runtime.logging import configure_logging, flush_logs
from bastion.runtime.plugin_manager import make_plugin_manager, plugin_infos
from bastion.runtime.principal import Principal, Role
from bastion.storage import StorageUnavailable
from bastion.storage import api_keys as key_store
from bastion.storage import guard_modes as guard_mode_store
from bastion.storage import tenants as tenant_store

CLI_ACTOR = "cli"


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True, default=str))


def _fail(message: str, code: int = 2) -> int:
    print(f"bastion: {message}", file=sys.stderr)
    return code


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        getattr(args, "config", None), listen=getattr(args, "listen", None),
        database_url=getattr(args, "database_url", None),
        log_format=getattr(args, "log_format", None))


def _tenant(rt: Runtime, ref: str) -> tenant_store.Tenant:
    tenant = tenant_store.find_tenant(rt.database, ref)
    if tenant is None:
        raise LookupError(f"no tenant {ref!r}")
    return tenant


def _ledgered(rt: Runtime, tenant_id: str, action: str, attributes: dict[str, Any],
              execute: Any) -> None:
    """Runs an operator's change through the lifecycle so it is guarded and ledgered."""
    principal = Principal(tenant_id=tenant_id, subject=CLI_ACTOR, role=Role.ADMIN)
    decision, _ = asyncio.run(rt.lifecycle.decide(
        ActionRequest(principal=principal, action=action, attributes=attributes), execute))
    if not decision.allowed:
        raise PermissionError(f"{action} refused ({decision.verdict.name}): "
                              + "; ".join(r.message for r in decision.reasons))


def _create_key(rt: Runtime, tenant_id: str, role: Role, description: str) -> dict[str, Any]:
    values, token = api_key_values(rt.settings, tenant_id, role, description)
    now = dt.datetime.now(dt.timezone.utc)
    _ledgered(rt, tenant_id, "admin.api_key.create",
              {"key_id": values["key_id"], "role": values["role"]},
              lambda uow: uow.add(key_store.InsertApiKey(**values, created_at=now)))
    return {"key_id": values["key_id"], "role": values["role"], "token": token,
            "note": "the token is shown once; only its hash is stored"}


# -- commands -------------------------------------------------------------------------

def cmd_serve(args: argparse.Namespace) -> int:
    from bastion.runtime.server import BastionServer

    settings = _settings(args)
    configure_logging(settings.log_format, settings.log_level,
                      flush_interval_s=settings.log_flush_interval_ms / 1000)
    try:
        BastionServer(settings).serve_forever()
    finally:
        flush_logs()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    migrate(settings)
    _print({"migrated": True, "database": _safe(settings.database_url)})
    return 0


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_tenant_create(args: argparse.Namespace, rt: Runtime) -> int:
    name = v.identifier(args.name, "name", 128, required=True)
    tenant = tenant_store.create_tenant(rt.database, name)
    _ledgered(rt, tenant.id, "admin.tenant.create", {"name": name}, None)
    key = _create_key(rt, tenant.id, Role.ADMIN, "initial admin key")
    _print({"tenant_id": tenant.id, "name": tenant.name, "api_key": key})
    return 0


def cmd_tenant_list(args: argparse.Namespace, rt: Runtime) -> int:
    _print([{"tenant_id": t.id, "name": t.name, "created_at": t.created_at.isoformat()}
            for t in tenant_store.list_tenants(rt.database)])
    return 0


def cmd_key_create(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    key = _create_key(rt, tenant.id, Role.parse(args.role),
                      v.text(args.description or "", "description", 256))
    _print({"tenant_id": tenant.id, **key})
    return 0


def cmd_key_list(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    _print([{"key_id": k.key_id, "role": k.role, "description": k.description,
             "created_at": k.created_at.isoformat(),
             "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None}
            for k in key_store.list_api_keys(rt.database, tenant.id)])
    return 0


def cmd_key_revoke(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    if key_store.get_tenant_key(rt.database, tenant.id, args.key_id) is None:
        return _fail(f"tenant {tenant.name} has no key {args.key_id}", 1)
    now = dt.datetime.now(dt.timezone.utc)
    _ledgered(rt, tenant.id, "admin.api_key.revoke", {"key_id": args.key_id},
              lambda uow: uow.add(key_store.RevokeApiKey(tenant.id, args.key_id, now)))
    _print({"key_id": args.key_id, "revoked": True})
    return 0


def cmd_token(args: argparse.Namespace, rt: Runtime) -> int:
    token = args.api_key or os.environ.get("BASTION_API_KEY", "")
    if not token:
        return _fail("give --api-key or set BASTION_API_KEY")
    principal = rt.authenticator.verify_api_key(token)
    jwt_token = issue_jwt(principal, rt.settings, args.ttl)
    _print({"token": jwt_token, "expires_in_s": args.ttl or rt.settings.jwt_ttl_s,
            "tenant_id": principal.tenant_id, "role": principal.role.name.lower()})
    return 0


def cmd_ledger_verify(args: argparse.Namespace, rt: Runtime) -> int:
    from bastion.plugins.ledger.servicer import verify_tenant

    plugin = rt.pm.get_plugin("ledger")
    if plugin is None:
        return _fail("the ledger plugin is disabled")
    tenant = _tenant(rt, args.tenant)
    report = verify_tenant(plugin, rt.database, tenant.id, args.from_sequence, args.limit)
    _print({"tenant_id": tenant.id, "overall_ok": report.overall_ok,
            "chain_ok": report.chain_ok, "count": report.count, "has_secret": report.has_secret,
            "entries": [c.__dict__ for c in report.entries
                        if args.all or not c.chain_ok or c.sig_ok is False]})
    ok = report.chain_ok and report.overall_ok is not False
    return 0 if ok else 1


def _limits(pairs: Sequence[str]) -> dict[str, float]:
    limits = {}
    for pair in pairs:
        resource, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--limit {pair!r}: expected RESOURCE=AMOUNT")
        try:
            limits[resource.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--limit {pair!r}: {value!r} is not a number") from None
    return limits


def _quota_json(view: admission.QuotaView) -> dict[str, Any]:
    return {"tier": view.tier, "throttle_threshold": view.throttle_threshold,
            "resources": [r.__dict__ for r in view.resources],
            "violations": [{"resource": x.resource, "requested": x.requested, "used": x.used,
                            "limit": x.limit, "severity": x.severity, "action": x.action,
                            "decision_id": x.decision_id, "at": x.at}
                           for x in view.violations]}


def cmd_quota_set(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    op = admission.quota_change(rt.database, rt.settings, tenant.id, tier=args.tier or "",
                                limits=_limits(args.limit), clear=args.clear,
                                throttle_threshold=args.throttle_threshold or 0.0)
    _ledgered(rt, tenant.id, "admin.quota.set",
              {"tier": op.tier, "limits": dict(op.limits), "clear": list(op.clear),
               "throttle_threshold": op.throttle_threshold}, lambda uow: uow.add(op))
    _print({"tenant_id": tenant.id, **_quota_json(
        admission.quota_view(rt.database, rt.settings, tenant.id))})
    return 0


def cmd_quota_show(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    _print({"tenant_id": tenant.id, **_quota_json(
        admission.quota_view(rt.database, rt.settings, tenant.id))})
    return 0


def _budget_json(view: admission.BudgetView) -> dict[str, Any]:
    return {"run_id": view.run_id, "total_usd": view.total_usd, "spent_usd": view.spent_usd,
            "remaining_usd": view.remaining_usd, "used_fraction": view.used_fraction,
            "paused": view.paused, "events": [e.__dict__ for e in view.events]}


def cmd_budget_set(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    op = admission.budget_change(tenant.id, args.run, args.total_usd)
    _ledgered(rt, tenant.id, "admin.budget.set",
              {"run_id": op.run_id, "total_micros": op.total_micros}, lambda uow: uow.add(op))
    _print({"tenant_id": tenant.id, **_budget_json(
        admission.budget_view(rt.database, tenant.id, op.run_id))})
    return 0


def cmd_budget_show(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    _print({"tenant_id": tenant.id, **_budget_json(
        admission.budget_view(rt.database, tenant.id, args.run))})
    return 0


def cmd_policy_add(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    _print(policy_cli.add(args, rt, tenant.id, _ledgered))
    return 0


def cmd_policy_list(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    _print(policy_cli.listing(rt, tenant.id, args.all))
    return 0


def cmd_policy_disable(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    _print(policy_cli.disable(args, rt, tenant.id, _ledgered))
    return 0


def cmd_policy_test(args: argparse.Namespace) -> int:
    """Offline; reads the database only with --tenant (its stored and global policies)."""
    if not args.tenant:
        return policy_cli.print_results(policy_cli.run_test_file(args.file, None, ""),
                                        args.verbose)
    settings = _settings(args)
    configure_logging("json", "warning", stream=sys.stderr, cache=False)
    rt = build_runtime(settings)
    try:
        tenant = _tenant(rt, args.tenant)
        return policy_cli.print_results(policy_cli.run_test_file(args.file, rt, tenant.id),
                                        args.verbose)
    finally:
        rt.close()


def cmd_plugins(args: argparse.Namespace) -> int:
    pm = make_plugin_manager(_settings(args))
    _print([i.__dict__ for i in plugin_infos(pm)])
    return 0


# -- parser ---------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML configuration file (or BASTION_CONFIG)")
    common.add_argument("--database-url", help="sqlite:///… or postgresql+psycopg://… "
                        "(or BASTION_DATABASE_URL)")
    parser = argparse.ArgumentParser(prog="bastion", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="serve gRPC")
    serve.add_argument("--listen", help="host:port (or BASTION_LISTEN; default 127.0.0.1:50051)")
    serve.add_argument("--log-format", choices=["json", "console"])
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", parents=[common], help="apply database migrations").set_defaults(
        func=cmd_migrate)
    sub.add_parser("plugins", parents=[common], help="list plugins").set_defaults(
        func=cmd_plugins)

    tenant = sub.add_parser("tenant", help="manage tenants").add_subparsers(
        dest="tenant_command", required=True)
    create = tenant.add_parser("create", parents=[common], help="create a tenant and its first "
                               "(admin) API key")
    create.add_argument("name")
    create.set_defaults(func=cmd_tenant_create, needs_runtime=True)
    tenant.add_parser("list", parents=[common]).set_defaults(func=cmd_tenant_list,
                                                            needs_runtime=True)

    key = sub.add_parser("key", help="manage API keys").add_subparsers(dest="key_command",
                                                                      required=True)
    kcreate = key.add_parser("create", parents=[common])
    kcreate.add_argument("--tenant", required=True, help="tenant name or id")
    kcreate.add_argument("--role", required=True, choices=["agent", "operator", "admin"])
    kcreate.add_argument("--description", default="")
    kcreate.set_defaults(func=cmd_key_create, needs_runtime=True)
    klist = key.add_parser("list", parents=[common])
    klist.add_argument("--tenant", required=True)
    klist.set_defaults(func=cmd_key_list, needs_runtime=True)
    krevoke = key.add_parser("revoke", parents=[common])
    krevoke.add_argument("--tenant", required=True)
    krevoke.add_argument("--key-id", required=True)
    krevoke.set_defaults(func=cmd_key_revoke, needs_runtime=True)

    token = sub.add_parser("token", parents=[common], help="issue a short-lived JWT for an "
                           "API key (needs BASTION_JWT_SECRET)")
    token.add_argument("--api-key", help="the API key (or BASTION_API_KEY)")
    token.add_argument("--ttl", type=int, help="lifetime in seconds (default jwt_ttl_s)")
    token.set_defaults(func=cmd_token, needs_runtime=True)

    ledger = sub.add_parser("ledger", help="the tamper-evident ledger").add_subparsers(
        dest="ledger_command", required=True)
    verify = ledger.add_parser("verify", parents=[common], help="verify a tenant's chain "
                               "and signatures; exit status 1 when anything is wrong")
    verify.add_argument("--tenant", required=True)
    verify.add_argument("--limit", type=int, default=1_000_000)
    verify.add_argument("--from-sequence", type=int, default=1)
    verify.add_argument("--all", action="store_true", help="list every entry, not only bad ones")
    verify.set_defaults(func=cmd_ledger_verify, needs_runtime=True)
    _add_admission_commands(sub, common)
    _add_guard_commands(sub, common)
    policy_cli.add_parsers(sub, common, {"add": cmd_policy_add, "list": cmd_policy_list,
                                         "disable": cmd_policy_disable,
                                         "test": cmd_policy_test})
    return parser


def _add_guard_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    guard = sub.add_parser("guard", help="guard modes per tenant (shadow mode)").add_subparsers(
        dest="guard_command", required=True)
    gmode = guard.add_parser("mode", parents=[common], help="run a guard in shadow or enforce "
                             "mode for a tenant; 'default' returns it to the configuration")
    gmode.add_argument("--tenant", required=True, help="tenant name or id")
    gmode.add_argument("guard", help="a loaded guard's name (see 'bastion guard modes')")
    gmode.add_argument("mode", choices=["enforce", "shadow", "default"])
    gmode.set_defaults(func=cmd_guard_mode, needs_runtime=True)
    gmodes = guard.add_parser("modes", parents=[common], help="every guard's mode for a tenant")
    gmodes.add_argument("--tenant", required=True)
    gmodes.set_defaults(func=cmd_guard_modes, needs_runtime=True)


def cmd_guard_mode(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    modes = rt.guards.modes
    if args.guard not in modes.guards:
        raise LookupError(f"no guard named {args.guard!r} is loaded "
                          f"(loaded: {', '.join(modes.guards) or 'none'})")
    mode = None if args.mode == "default" else args.mode
    op = guard_mode_store.SetGuardMode(tenant_id=tenant.id, guard=args.guard, mode=mode,
                                       actor=CLI_ACTOR, now=dt.datetime.now(dt.timezone.utc))
    _ledgered(rt, tenant.id, "admin.guard_mode.set", {"guard": args.guard, "mode": args.mode},
              lambda uow: uow.add(op))
    return cmd_guard_modes(args, rt)


def cmd_guard_modes(args: argparse.Namespace, rt: Runtime) -> int:
    tenant = _tenant(rt, args.tenant)
    rt.guards.modes.refresh(rt.database)
    _print({name: {"mode": mode, "source": source}
            for name, (mode, source) in rt.guards.modes.effective(tenant.id).items()})
    return 0


def _add_admission_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    quota = sub.add_parser("quota", help="tenant quotas (SPEC G2)").add_subparsers(
        dest="quota_command", required=True)
    qset = quota.add_parser("set", parents=[common], help="set a tenant's tier, limits or "
                            "throttle threshold")
    qset.add_argument("--tenant", required=True, help="tenant name or id")
    qset.add_argument("--tier", choices=["free", "standard", "premium", "enterprise"])
    qset.add_argument("--limit", action="append", default=[], metavar="RESOURCE=AMOUNT",
                      help="override a limit (repeatable), e.g. tokens=500000")
    qset.add_argument("--clear", action="append", default=[], metavar="RESOURCE",
                      help="remove an override: back to the tier's limit (repeatable)")
    qset.add_argument("--throttle-threshold", type=float,
                      help="usage fraction that throttles, in (0, 1]; 1 turns throttling off")
    qset.set_defaults(func=cmd_quota_set, needs_runtime=True)
    qshow = quota.add_parser("show", parents=[common], help="limits, usage and violations")
    qshow.add_argument("--tenant", required=True)
    qshow.set_defaults(func=cmd_quota_show, needs_runtime=True)

    budget = sub.add_parser("budget", help="run budgets (SPEC G3)").add_subparsers(
        dest="budget_command", required=True)
    bset = budget.add_parser("set", parents=[common], help="set a run's budget in USD")
    bset.add_argument("--tenant", required=True)
    bset.add_argument("--run", required=True, help="run id")
    bset.add_argument("--total-usd", required=True, type=float)
    bset.set_defaults(func=cmd_budget_set, needs_runtime=True)
    bshow = budget.add_parser("show", parents=[common], help="spend, state and events")
    bshow.add_argument("--tenant", required=True)
    bshow.add_argument("--run", required=True)
    bshow.set_defaults(func=cmd_budget_show, needs_runtime=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "needs_runtime", False):
            settings = _settings(args)
            configure_logging("json", "warning", stream=sys.stderr, cache=False)
            rt = build_runtime(settings)
            rt.committer.start()
            try:
                return int(args.func(args, rt))
            finally:
                rt.close()
        return int(args.func(args))
    except (LookupError, ValueError, PermissionError, BastionError,
            tenant_store.TenantExists) as error:
        return _fail(str(error) if not isinstance(error, tenant_store.TenantExists)
                     else f"tenant {error} already exists", 1)
    except MigrationsPending as error:
        return _fail(str(error), 1)
    except StorageUnavailable as error:
        return _fail(f"storage unavailable ({error}); did you run 'bastion migrate'?", 1)


if __name__ == "__main__":
    sys.exit(main())
