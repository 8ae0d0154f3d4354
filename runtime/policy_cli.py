"""The ``bastion policy add|list|disable|test`` commands (SPEC G5). Changes act on the
database directly, run through the lifecycle (guarded and ledgered) like every CLI change;
``test`` runs a YAML or JSON file of cases offline (no server)."""

from __future__ import annotations

import argparse
import json
import pathlib
from collections.abc import Callable
from typing import Any

import yaml

from bastion.runtime import policy_admin
from bastion.runtime.policies import PolicyDef, compile_policy
from bastion.runtime.policy_set import PolicySet
from bastion.runtime.policy_tests import (
    CaseResult,
    cases_from_document,
    policies_from_document,
    run_cases,
)
from bastion.runtime.principal import Principal, Role
from bastion.storage.policies import StoredPolicy

CLI_ACTOR = "cli"
Ledgered = Callable[..., None]


def policy_json(row: StoredPolicy) -> dict[str, Any]:
    return {"id": row.id, "global": row.is_global, "effect": row.effect, "mode": row.mode,
            "description": row.description, "expression": row.expression,
            "enabled": row.enabled, "fail_open": row.fail_open, "revision": row.revision,
            "updated_at": row.updated_at.isoformat(), "updated_by": row.updated_by}


def _principal(tenant_id: str) -> Principal:
    return Principal(tenant_id=tenant_id, subject=CLI_ACTOR, role=Role.ADMIN)


def _expression(args: argparse.Namespace) -> str:
    if args.expression_file:
        return pathlib.Path(args.expression_file).read_text()
    return args.expression or ""


def add(args: argparse.Namespace, rt: Any, tenant_id: str, ledgered: Ledgered) -> dict[str, Any]:
    scope = policy_admin.scope_for(_principal(tenant_id), rt.settings, args.is_global)
    policy = PolicyDef(id=args.id, effect=args.effect, expression=_expression(args),
                       mode=args.mode, description=args.description or "",
                       fail_open=args.fail_open)
    op = policy_admin.put_change(scope, policy, CLI_ACTOR)
    ledgered(rt, tenant_id, "admin.policy.put", {
        "policy_id": op.policy_id, "scope": "global" if args.is_global else "tenant",
        "effect": op.effect, "mode": op.mode, "expression": op.expression,
        "description": op.description, "fail_open": op.fail_open}, lambda uow: uow.add(op))
    rt.pm.hook.bastion_policies_changed(scope=scope)
    return policy_json(policy_admin.get(rt.database, scope, op.policy_id))


def disable(args: argparse.Namespace, rt: Any, tenant_id: str,
            ledgered: Ledgered) -> dict[str, Any]:
    scope = policy_admin.scope_for(_principal(tenant_id), rt.settings, args.is_global)
    op = policy_admin.disable_change(rt.database, scope, args.id, CLI_ACTOR)
    ledgered(rt, tenant_id, "admin.policy.disable", {
        "policy_id": op.policy_id, "scope": "global" if args.is_global else "tenant"},
        lambda uow: uow.add(op))
    rt.pm.hook.bastion_policies_changed(scope=scope)
    return policy_json(policy_admin.get(rt.database, scope, op.policy_id))


def listing(rt: Any, tenant_id: str, include_disabled: bool) -> list[dict[str, Any]]:
    return [policy_json(r) for r in policy_admin.listing(rt.database, tenant_id,
                                                         include_disabled)]


def load_document(path: str) -> dict[str, Any]:
    """A test file: JSON when it parses as JSON, YAML otherwise."""
    text = pathlib.Path(path).read_text()
    try:
        doc = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: not valid {'JSON' if path.endswith('.json') else 'YAML'}"
                         f" ({str(error).splitlines()[0][:200]})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected an object with 'tests' (and 'policies')")
    return doc


def run_test_file(path: str, rt: Any | None, tenant_id: str) -> list[CaseResult]:
    """Runs the file's cases against its own policies plus, with a runtime, the tenant's
    stored ones (the file's replace stored policies of the same id)."""
    doc = load_document(path)
    scope_of = {True: policy_admin.GLOBAL, False: tenant_id}
    given = []
    for n, policy in enumerate(policies_from_document(doc)):
        raw = doc["policies"][n]
        scope = scope_of[bool(raw.get("global", False))] if isinstance(raw, dict) else tenant_id
        given.append(compile_policy(policy, scope, f"policies[{n}]."))
    cases = cases_from_document(doc)
    stored = policy_admin.load_compiled(rt.database, [policy_admin.GLOBAL, tenant_id]) \
        if rt is not None else []
    if rt is None and not given:
        raise ValueError(f"{path}: no policies in the file; give --tenant to test stored ones")
    return run_cases(PolicySet(policy_admin.merged(stored, given, False)), cases, tenant_id)


def print_results(results: list[CaseResult], verbose: bool) -> int:
    failed = [r for r in results if not r.passed]
    for r in results:
        if r.passed and not verbose:
            continue
        status = "PASS" if r.passed else "FAIL"
        line = f"{status} {r.name}: {r.mismatch or r.verdict.name}"
        extra = [f"matched {list(r.matched)}"] if r.matched else []
        extra += [f"shadow {list(r.shadow_matched)}"] if r.shadow_matched else []
        extra += [f"errors {list(r.errors)}"] if r.errors else []
        print(line + (f" ({'; '.join(extra)})" if extra else ""))
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def add_parsers(sub: Any, common: argparse.ArgumentParser,
                commands: dict[str, Callable[..., int]]) -> None:
    policy = sub.add_parser("policy", help="semantic-guard policies in CEL (SPEC G5)"
                            ).add_subparsers(dest="policy_command", required=True)
    padd = policy.add_parser("add", parents=[common], help="create or replace a policy")
    padd.add_argument("--tenant", required=True, help="tenant name or id")
    padd.add_argument("--global", dest="is_global", action="store_true",
                      help="a global policy (the tenant must be in global_policy_tenants)")
    padd.add_argument("--id", required=True)
    padd.add_argument("--effect", required=True, choices=["deny", "review", "allow"])
    padd.add_argument("--mode", default="enforce", choices=["enforce", "shadow"])
    padd.add_argument("--description", default="")
    source = padd.add_mutually_exclusive_group(required=True)
    source.add_argument("--expression", help="the CEL expression")
    source.add_argument("--expression-file", help="a file holding the CEL expression")
    padd.add_argument("--fail-open", action="store_true",
                      help="an evaluation error counts as no match instead of DENY")
    padd.set_defaults(func=commands["add"], needs_runtime=True)
    plist = policy.add_parser("list", parents=[common], help="the tenant's and global policies")
    plist.add_argument("--tenant", required=True)
    plist.add_argument("--all", action="store_true", help="include disabled policies")
    plist.set_defaults(func=commands["list"], needs_runtime=True)
    pdisable = policy.add_parser("disable", parents=[common], help="stop evaluating a policy")
    pdisable.add_argument("--tenant", required=True)
    pdisable.add_argument("--global", dest="is_global", action="store_true")
    pdisable.add_argument("--id", required=True)
    pdisable.set_defaults(func=commands["disable"], needs_runtime=True)
    ptest = policy.add_parser("test", parents=[common], help="run a YAML/JSON file of cases; "
                              "exit status 1 on any mismatch")
    ptest.add_argument("file")
    ptest.add_argument("--tenant", help="also test the tenant's stored (and global) policies")
    ptest.add_argument("--verbose", "-v", action="store_true", help="print passing cases too")
    ptest.set_defaults(func=commands["test"])
