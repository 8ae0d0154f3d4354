"""The metabolism domain plugin (SPEC D2): contributes ``MetabolismService``. Its calls pass
through the same lifecycle as Check (guards see ``metabolism.compute_snapshot`` and
``metabolism.plan_task_generation``) and are ledgered."""

from __future__ import annotations

from bastion.plugins.metabolism.servicer import MetabolismServicer
from bastion.runtime import hookimpl
from bastion.runtime.services import ServiceContext, ServiceRegistration
from bastion.v1 import metabolism_service_pb2_grpc


class MetabolismPlugin:
    name = "metabolism"

    @hookimpl
    def bastion_services(self, context: ServiceContext) -> list[ServiceRegistration]:
        return [ServiceRegistration(
            name="bastion.v1.MetabolismService",
            add_to_server=metabolism_service_pb2_grpc.add_MetabolismServiceServicer_to_server,
            servicer=MetabolismServicer(context.lifecycle))]
