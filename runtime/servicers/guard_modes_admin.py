"""AdminService RPCs for per-tenant guard modes (shadow mode everywhere): a mixin of the
AdminServicer. SetGuardMode is admin-only and ledgered (``admin.guard_mode.set``) in the
transaction that stores it."""

from __future__ import annotations

import grpc

from bastion.runtime import validation as v
from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.errors import NotFound
from bastion.runtime.lifecycle import Lifecycle
from bastion.runtime.principal import current_principal
from bastion.storage import guard_modes as store
from bastion.storage.base import utcnow
from bastion.v1 import admin_service_pb2 as pb

_MODES = {pb.GUARD_MODE_ENFORCE: "enforce", pb.GUARD_MODE_SHADOW: "shadow",
          pb.GUARD_MODE_DEFAULT: None}
_TO_PB = {"enforce": pb.GUARD_MODE_ENFORCE, "shadow": pb.GUARD_MODE_SHADOW}


class GuardModesAdmin:
    _lifecycle: Lifecycle

    async def SetGuardMode(self, request: pb.SetGuardModeRequest,
                           context: grpc.aio.ServicerContext) -> pb.SetGuardModeResponse:
        principal = current_principal()
        modes = self._lifecycle.guard_modes
        guard = v.text(request.guard, "guard", 128)
        if not guard:
            raise v.InvalidArgument("guard", "is required")
        if request.mode not in _MODES:
            raise v.InvalidArgument("mode", "must be GUARD_MODE_ENFORCE, GUARD_MODE_SHADOW "
                                            "or GUARD_MODE_DEFAULT")
        if guard not in modes.guards:
            raise NotFound(f"no guard named {guard!r} is loaded")
        mode = _MODES[request.mode]
        op = store.SetGuardMode(tenant_id=principal.tenant_id, guard=guard, mode=mode,
                                actor=principal.subject, now=utcnow())
        await guarded_call(self._lifecycle, "admin.guard_mode.set", lambda uow: uow.add(op),
                           attributes={"guard": guard, "mode": mode or "default"})
        modes.set_local(principal.tenant_id, guard, mode)
        return pb.SetGuardModeResponse(guards=self._guard_modes(principal.tenant_id))

    async def ListGuardModes(self, request: pb.ListGuardModesRequest,
                             context: grpc.aio.ServicerContext) -> pb.ListGuardModesResponse:
        return pb.ListGuardModesResponse(
            guards=self._guard_modes(current_principal().tenant_id))

    def _guard_modes(self, tenant_id: str) -> list[pb.GuardModeStatus]:
        effective = self._lifecycle.guard_modes.effective(tenant_id)
        return [pb.GuardModeStatus(guard=name, mode=_TO_PB[mode], source=source)
                for name, (mode, source) in effective.items()]
