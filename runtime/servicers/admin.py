"""AdminService: tenant self-management. Every change is itself a ledgered action."""

from __future__ import annotations

import asyncio
import datetime as dt

import grpc
import pluggy

from bastion.runtime import validation as v
from bastion.runtime.auth import Authenticator, api_key_values
from bastion.runtime.config import Settings
from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.errors import NotFound, PermissionDenied
from bastion.runtime.lifecycle import Lifecycle
from bastion.runtime.plugin_manager import plugin_infos
from bastion.runtime.principal import Role, current_principal
from bastion.runtime.servicers.admission_admin import AdmissionAdmin
from bastion.runtime.servicers.guard_modes_admin import GuardModesAdmin
from bastion.runtime.servicers.policy_admin import PolicyAdmin
from bastion.runtime.servicers.telemetry_memory_admin import TelemetryMemoryAdmin
from bastion.runtime.work import run_zombie_protocol
from bastion.storage import Database
from bastion.storage import api_keys as key_store
from bastion.storage import work as work_store
from bastion.v1 import admin_service_pb2 as pb
from bastion.v1 import admin_service_pb2_grpc

ROLES = {pb.ROLE_AGENT: Role.AGENT, pb.ROLE_OPERATOR: Role.OPERATOR, pb.ROLE_ADMIN: Role.ADMIN}
_ROLE_TO_PB = {r: k for k, r in ROLES.items()}


def api_key_to_pb(key: key_store.StoredApiKey) -> pb.ApiKey:
    out = pb.ApiKey(key_id=key.key_id, role=_ROLE_TO_PB[Role.parse(key.role)],
                    description=key.description)
    out.created_at.FromDatetime(key.created_at)
    if key.revoked_at is not None:
        out.revoked_at.FromDatetime(key.revoked_at)
    return out


class AdminServicer(AdmissionAdmin, GuardModesAdmin, PolicyAdmin, TelemetryMemoryAdmin,
                    admin_service_pb2_grpc.AdminServiceServicer):
    def __init__(self, lifecycle: Lifecycle, database: Database, settings: Settings,
                 pm: pluggy.PluginManager, authenticator: Authenticator) -> None:
        self._lifecycle = lifecycle
        self._db = database
        self._settings = settings
        self._pm = pm
        self._auth = authenticator

    async def CreateApiKey(self, request: pb.CreateApiKeyRequest,
                           context: grpc.aio.ServicerContext) -> pb.CreateApiKeyResponse:
        role = v.enum_value(request.role, "role", ROLES)
        description = v.text(request.description, "description", 256)
        principal = current_principal()
        if not principal.may(role):
            raise PermissionDenied(f"a {principal.role.name.lower()} key may not create "
                                   f"a {role.name.lower()} key")
        values, token = api_key_values(self._settings, principal.tenant_id, role, description)
        created_at = dt.datetime.now(dt.timezone.utc)

        await guarded_call(self._lifecycle, "admin.api_key.create",
                           lambda uow: uow.add(key_store.InsertApiKey(**values,
                                                                      created_at=created_at)),
                           attributes={"key_id": values["key_id"], "role": values["role"]})
        stored = await asyncio.to_thread(key_store.get_tenant_key, self._db,
                                         principal.tenant_id, values["key_id"])
        assert stored is not None
        return pb.CreateApiKeyResponse(key=api_key_to_pb(stored), token=token)

    async def ListApiKeys(self, request: pb.ListApiKeysRequest,
                          context: grpc.aio.ServicerContext) -> pb.ListApiKeysResponse:
        keys = await asyncio.to_thread(key_store.list_api_keys, self._db,
                                       current_principal().tenant_id)
        return pb.ListApiKeysResponse(keys=[api_key_to_pb(k) for k in keys])

    async def RevokeApiKey(self, request: pb.RevokeApiKeyRequest,
                           context: grpc.aio.ServicerContext) -> pb.RevokeApiKeyResponse:
        key_id = v.identifier(request.key_id, "key_id", 32, required=True)
        tenant_id = current_principal().tenant_id
        if await asyncio.to_thread(key_store.get_tenant_key, self._db, tenant_id,
                                   key_id) is None:
            raise NotFound(f"API key {key_id} not found")
        now = dt.datetime.now(dt.timezone.utc)
        await guarded_call(self._lifecycle, "admin.api_key.revoke",
                           lambda uow: uow.add(key_store.RevokeApiKey(tenant_id, key_id, now)),
                           attributes={"key_id": key_id})
        self._auth.forget(key_id)
        stored = await asyncio.to_thread(key_store.get_tenant_key, self._db, tenant_id, key_id)
        assert stored is not None
        return pb.RevokeApiKeyResponse(key=api_key_to_pb(stored))

    async def ListPlugins(self, request: pb.ListPluginsRequest,
                          context: grpc.aio.ServicerContext) -> pb.ListPluginsResponse:
        return pb.ListPluginsResponse(plugins=[
            pb.PluginInfo(name=i.name, version=i.version, hooks=i.hooks, source=i.source)
            for i in plugin_infos(self._pm)])

    async def RunZombieProtocol(self, request: pb.RunZombieProtocolRequest,
                                context: grpc.aio.ServicerContext
                                ) -> pb.RunZombieProtocolResponse:
        """Reclaims the caller's tenant's expired leases now (SPEC W2)."""
        tenant_id = current_principal().tenant_id
        reclaimed = await asyncio.to_thread(run_zombie_protocol, self._db, self._pm,
                                            self._settings, tenant_id)
        failed = sum(1 for r in reclaimed if r.new_status == work_store.FAILED)
        return pb.RunZombieProtocolResponse(reclaimed=len(reclaimed),
                                            requeued=len(reclaimed) - failed, failed=failed)
