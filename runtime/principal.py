"""Who is calling: the authenticated principal and its role."""

from __future__ import annotations

import contextvars
import enum
from dataclasses import dataclass


class Role(enum.IntEnum):
    """Roles are ordered: each may do everything the roles below it may."""

    AGENT = 1
    OPERATOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, name: str) -> "Role":
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {name!r} (agent, operator, admin)") from None


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``subject`` is the API key id (also the JWT subject)."""

    tenant_id: str
    subject: str
    role: Role

    def may(self, required: Role) -> bool:
        return self.role >= required


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "bastion_principal", default=None)


def current_principal() -> Principal:
    """The principal of the RPC being served (set by the auth interceptor)."""
    principal = _current.get()
    if principal is None:
        raise RuntimeError("no authenticated principal in this context")
    return principal


def set_current_principal(principal: Principal | None) -> contextvars.Token[Principal | None]:
    return _current.set(principal)


def reset_current_principal(token: contextvars.Token[Principal | None]) -> None:
    _current.reset(token)
