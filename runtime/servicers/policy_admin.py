"""AdminService RPCs for semantic-guard policies (SPEC G5): a mixin of the AdminServicer.

Changes are ledgered actions (``admin.policy.put``, ``admin.policy.disable``) committed
in the same transaction as the change; once durable, ``bastion_policies_changed`` tells
this replica's caches. Global policies: see :mod:`bastion.runtime.policy_admin`.
"""

from __future__ import annotations

import asyncio

import grpc
import pluggy

from bastion.runtime import policy_admin
from bastion.runtime.config import Settings
from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.errors import InvalidArgument
from bastion.runtime.lifecycle import Lifecycle
from bastion.runtime.policies import compile_policy
from bastion.runtime.policy_set import PolicySet
from bastion.runtime.policy_tests import MAX_CASES, run_cases
from bastion.runtime.principal import current_principal
from bastion.runtime.servicers import policy_convert as convert
from bastion.storage import Database
from bastion.v1 import admin_service_pb2 as pb

MAX_TEST_POLICIES = 500


class PolicyAdmin:
    _lifecycle: Lifecycle
    _db: Database
    _settings: Settings
    _pm: pluggy.PluginManager

    async def PutPolicy(self, request: pb.PutPolicyRequest,
                        context: grpc.aio.ServicerContext) -> pb.PutPolicyResponse:
        principal = current_principal()
        scope = policy_admin.scope_for(principal, self._settings,
                                       getattr(request, "global"))
        op = policy_admin.put_change(scope, convert.policy_from_pb(request), principal.subject)
        await guarded_call(self._lifecycle, "admin.policy.put", lambda uow: uow.add(op),
                           attributes=_ledgered(scope, op.policy_id, effect=op.effect,
                                                mode=op.mode, expression=op.expression,
                                                description=op.description,
                                                fail_open=op.fail_open))
        return pb.PutPolicyResponse(policy=await self._changed(scope, op.policy_id))

    async def DisablePolicy(self, request: pb.DisablePolicyRequest,
                            context: grpc.aio.ServicerContext) -> pb.DisablePolicyResponse:
        principal = current_principal()
        scope = policy_admin.scope_for(principal, self._settings,
                                       getattr(request, "global"))
        op = await asyncio.to_thread(policy_admin.disable_change, self._db, scope,
                                     request.id, principal.subject)
        await guarded_call(self._lifecycle, "admin.policy.disable", lambda uow: uow.add(op),
                           attributes=_ledgered(scope, op.policy_id))
        return pb.DisablePolicyResponse(policy=await self._changed(scope, op.policy_id))

    async def _changed(self, scope: str, policy_id: str) -> pb.Policy:
        self._pm.hook.bastion_policies_changed(scope=scope)
        row = await asyncio.to_thread(policy_admin.get, self._db, scope, policy_id)
        return convert.policy_to_pb(row)

    async def ListPolicies(self, request: pb.ListPoliciesRequest,
                           context: grpc.aio.ServicerContext) -> pb.ListPoliciesResponse:
        rows = await asyncio.to_thread(policy_admin.listing, self._db,
                                       current_principal().tenant_id, request.include_disabled)
        return pb.ListPoliciesResponse(policies=[convert.policy_to_pb(r) for r in rows])

    async def TestPolicies(self, request: pb.TestPoliciesRequest,
                           context: grpc.aio.ServicerContext) -> pb.TestPoliciesResponse:
        tenant_id = current_principal().tenant_id
        if not request.cases:
            raise InvalidArgument("cases", "at least one case is required")
        if len(request.cases) > MAX_CASES:
            raise InvalidArgument("cases", f"at most {MAX_CASES} cases")
        if len(request.policies) > MAX_TEST_POLICIES:
            raise InvalidArgument("policies", f"at most {MAX_TEST_POLICIES} policies")
        cases = [convert.case_from_pb(c, n, self._settings) for n, c in enumerate(request.cases)]
        given = [compile_policy(convert.policy_from_pb(p, f"policies[{n}]."),
                                policy_admin.GLOBAL if getattr(p, "global")
                                else tenant_id, f"policies[{n}].")
                 for n, p in enumerate(request.policies)]
        stored = [] if request.only_given else await asyncio.to_thread(
            policy_admin.load_compiled, self._db, [policy_admin.GLOBAL, tenant_id])
        policies = PolicySet(policy_admin.merged(stored, given, request.only_given))
        results = run_cases(policies, cases, tenant_id)
        return pb.TestPoliciesResponse(results=[convert.result_to_pb(r) for r in results],
                                       failed=sum(1 for r in results if not r.passed))


def _ledgered(scope: str, policy_id: str, **fields: object) -> dict[str, object]:
    return {"policy_id": policy_id,
            "scope": "global" if scope == policy_admin.GLOBAL else "tenant", **fields}
