"""Managing policies (SPEC G5): who may change which scope, the staged changes, loading a
tenant's policies compiled. Shared by AdminService and the ``bastion policy`` commands;
no protobuf here.

Scopes: a tenant's own policies are managed by its operators and admins. Global policies
(scope ``*``) apply to every tenant, so only an admin of a tenant listed in the
``global_policy_tenants`` setting may change them (none by default).
"""

from __future__ import annotations

from collections.abc import Sequence

from bastion.runtime.config import Settings
from bastion.runtime.cel_ast import Node
from bastion.runtime.errors import InvalidArgument, NotFound, PermissionDenied
from bastion.runtime.policies import CompiledPolicy, PolicyDef, compile_policy
from bastion.runtime.principal import Principal, Role
from bastion.storage import Database
from bastion.storage import policies as store
from bastion.storage.base import utcnow

GLOBAL = store.GLOBAL


def scope_for(principal: Principal, settings: Settings, is_global: bool) -> str:
    """The scope a change by ``principal`` applies to; PERMISSION_DENIED for a global
    change by anyone but an admin of a global-policy tenant."""
    if not is_global:
        return principal.tenant_id
    if principal.role < Role.ADMIN or principal.tenant_id not in settings.global_policy_tenants:
        raise PermissionDenied("global policies are managed by admins of the tenants listed "
                               "in global_policy_tenants only")
    return GLOBAL


def put_change(scope: str, policy: PolicyDef, actor: str) -> store.PutPolicy:
    """Validates and type-checks ``policy`` (INVALID_ARGUMENT otherwise) and returns the
    write to stage."""
    compile_policy(policy, scope)
    d = policy
    return store.PutPolicy(scope=scope, policy_id=d.id, effect=d.effect, mode=d.mode,
                           description=d.description, expression=d.expression,
                           fail_open=d.fail_open, actor=actor, now=utcnow())


def disable_change(db: Database, scope: str, policy_id: str, actor: str) -> store.DisablePolicy:
    if store.get_policy(db, scope, policy_id) is None:
        where = "global policy" if scope == GLOBAL else "policy"
        raise NotFound(f"{where} {policy_id[:128]} not found")
    return store.DisablePolicy(scope=scope, policy_id=policy_id, actor=actor, now=utcnow())


def get(db: Database, scope: str, policy_id: str) -> store.StoredPolicy:
    found = store.get_policy(db, scope, policy_id)
    if found is None:
        raise NotFound(f"policy {policy_id[:128]} not found")
    return found


def listing(db: Database, tenant_id: str, include_disabled: bool) -> list[store.StoredPolicy]:
    return store.list_policies(db, [GLOBAL, tenant_id], enabled_only=not include_disabled)


def definition(row: store.StoredPolicy) -> PolicyDef:
    return PolicyDef(id=row.id, effect=row.effect, expression=row.expression, mode=row.mode,
                     description=row.description, fail_open=row.fail_open)


class _Broken:
    """Stands in for a stored policy that no longer compiles: every evaluation fails, so
    the policy fails closed (or open, as configured) instead of vanishing."""

    def __init__(self, message: str) -> None:
        self.message = message

    def eval(self, activation: object) -> object:
        raise RuntimeError(f"stored policy does not compile: {self.message}")


def compile_stored(rows: Sequence[store.StoredPolicy]) -> list[CompiledPolicy]:
    out = []
    for row in rows:
        policy = definition(row)
        try:
            out.append(compile_policy(policy, row.tenant_id))
        except InvalidArgument as error:  # saved by an older version with other rules
            out.append(CompiledPolicy(policy, row.tenant_id, _Broken(error.message), Node()))
    return out


def load_compiled(db: Database, scopes: Sequence[str]) -> list[CompiledPolicy]:
    """The enabled policies of ``scopes``, compiled (globals first, then by id)."""
    return compile_stored(store.list_policies(db, scopes, enabled_only=True))


def merged(stored: Sequence[CompiledPolicy], given: Sequence[CompiledPolicy],
           only_given: bool) -> list[CompiledPolicy]:
    """``given`` policies replace stored ones of the same scope and id (policy tests)."""
    replaced = {(p.scope, p.id) for p in given}
    keep = [] if only_given else [p for p in stored if (p.scope, p.id) not in replaced]
    return sorted([*keep, *given], key=lambda p: (p.scope != GLOBAL, p.id))
