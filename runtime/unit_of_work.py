"""The writes one request stages; they commit together (group commit) before it is answered."""

from __future__ import annotations

from bastion.storage import WriteOp


class UnitOfWork:
    """Collects a request's staged writes. Hooks and handlers call :meth:`add`."""

    __slots__ = ("ops",)

    def __init__(self) -> None:
        self.ops: list[WriteOp] = []

    def add(self, op: WriteOp) -> None:
        self.ops.append(op)
