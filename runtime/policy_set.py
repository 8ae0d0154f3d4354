"""A tenant's compiled policies, indexed by the actions they can match (as OPA indexes
rules), so a Check evaluates only the policies that could match its action.

The index reads the checked expression's top-level conjunction (``a && b && …``) and takes
the first conjunct that constrains ``action`` to:

- ``action == "x"`` (either side) or ``action in ["x", "y"]``: those exact actions;
- ``action.startsWith("p")``: actions with that prefix;
- a disjunction (``||``) of such constraints: their union.

Since every conjunct must hold for the policy to match, a request whose action the
constraint excludes cannot match. Any other policy is unindexed and evaluated for every
action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bastion.runtime.cel_ast import Node
from bastion.runtime.policies import CompiledPolicy

_CACHED_ACTIONS = 4096


@dataclass(frozen=True)
class ActionKeys:
    exact: frozenset[str]
    prefixes: frozenset[str]


def action_keys(root: Node) -> ActionKeys | None:
    """The actions a policy can match, or None when it is not indexable."""
    for conjunct in _conjuncts(root):
        keys = _keys(conjunct)
        if keys is not None:
            return keys
    return None


def _conjuncts(node: Node) -> Iterable[Node]:
    if node.kind == "call" and node.name == "_&&_" and node.target is None:
        for arg in node.args:
            yield from _conjuncts(arg)
    else:
        yield node


def _is_action(node: Node) -> bool:
    return node.kind == "ident" and node.name == "action"


def _string(node: Node) -> str | None:
    return node.string if node.kind == "const" else None


def _keys(node: Node) -> ActionKeys | None:
    if node.kind != "call":
        return None
    args = node.args
    if node.name == "_==_" and node.target is None and len(args) == 2:
        for ident, const in ((args[0], args[1]), (args[1], args[0])):
            if _is_action(ident) and _string(const) is not None:
                return ActionKeys(frozenset([_string(const) or ""]), frozenset())
    if node.name == "@in" and len(args) == 2 and _is_action(args[0]) \
            and args[1].kind == "list":
        values = [_string(e) for e in args[1].args]
        if all(x is not None for x in values):
            return ActionKeys(frozenset(x or "" for x in values), frozenset())
    if node.name == "startsWith" and node.target is not None and _is_action(node.target) \
            and len(args) == 1 and _string(args[0]) is not None:
        return ActionKeys(frozenset(), frozenset([_string(args[0]) or ""]))
    if node.name == "_||_" and node.target is None:
        sides = [_keys(a) for a in args]
        if all(s is not None for s in sides):
            return ActionKeys(frozenset().union(*(s.exact for s in sides if s)),
                              frozenset().union(*(s.prefixes for s in sides if s)))
    return None


class PolicySet:
    """Enabled policies (global and the tenant's), in a stable order, with an action index.

    :param policies: compiled policies, globals first then by id (their reasons keep this
        order).
    """

    def __init__(self, policies: Sequence[CompiledPolicy]) -> None:
        self.policies = tuple(policies)
        self._exact: dict[str, list[int]] = {}
        self._prefixes: dict[str, list[int]] = {}
        self._always: list[int] = []
        for position, policy in enumerate(self.policies):
            keys = action_keys(policy.root)
            if keys is None:
                self._always.append(position)
                continue
            for action in keys.exact:
                self._exact.setdefault(action, []).append(position)
            for prefix in keys.prefixes:
                self._prefixes.setdefault(prefix, []).append(position)
        self._by_action: dict[str, tuple[CompiledPolicy, ...]] = {}

    def __len__(self) -> int:
        return len(self.policies)

    @property
    def unindexed(self) -> int:
        return len(self._always)

    def candidates(self, action: str) -> tuple[CompiledPolicy, ...]:
        """The policies that could match ``action``, in policy order."""
        found = self._by_action.get(action)
        if found is None:
            found = self._lookup(action)
            if len(self._by_action) >= _CACHED_ACTIONS:
                self._by_action.clear()  # callers choose action names: stay bounded
            self._by_action[action] = found
        return found

    def _lookup(self, action: str) -> tuple[CompiledPolicy, ...]:
        positions = set(self._always)
        positions.update(self._exact.get(action, ()))
        for prefix, matched in self._prefixes.items():
            if action.startswith(prefix):
                positions.update(matched)
        return tuple(self.policies[p] for p in sorted(positions))
