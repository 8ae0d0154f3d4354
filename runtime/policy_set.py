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

The other string variables (``resource``, ``agent``, ``tenant``, ``run``) are **pinned** the
same way: every top-level conjunct of those shapes over one of them is checked in Python
against the request before any CEL runs, and a policy one of whose pins the request fails
is not evaluated. That is exactly CEL's answer: the variables are always strings, so such
a conjunct is plainly false, and CEL's ``&&`` is false when any operand is false, whatever
errors the others would raise.

The CEL activation holds only the variables the candidates refer to (converting
``attributes`` or ``now`` for policies that never read them cost a few microseconds a
Check); a policy whose tree Bastion cannot fully read (a map or message literal) counts as
referring to every variable.

The candidates of an action, when there are several, are also compiled into one program
that evaluates to the list of their results: one call into the CEL runtime instead of one
per policy (measured: six policies 12.1 → 1.6 µs with ``timeit``; more under load). The
evaluator falls back to evaluating them one by one whenever that list is not all bools
(an error anywhere makes the whole list an error, and the runtime's iteration budget is
shared by the list), so results and errors are exactly the one-by-one ones.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bastion.runtime.cel_ast import Node
from bastion.runtime.policies import ENV, VARIABLES, CompiledPolicy

_CACHED_ACTIONS = 4096
# The string variables besides ``action`` that a conjunct may pin (see the module doc).
PINNABLE = ("resource", "agent", "tenant", "run")
_ALL_VARIABLES = frozenset(VARIABLES)


@dataclass(frozen=True)
class ValueSet:
    """The values a string variable may take: these exactly, or starting with a prefix."""

    exact: frozenset[str]
    prefixes: frozenset[str]

    def admit(self, value: str) -> bool:
        return value in self.exact or any(value.startswith(p) for p in self.prefixes)


@dataclass(frozen=True)
class Pin:
    """A top-level conjunct confining ``variable`` to ``keys``."""

    variable: str
    keys: ValueSet


def action_keys(root: Node) -> ValueSet | None:
    """The actions a policy can match, or None when it is not indexable."""
    for conjunct in _conjuncts(root):
        keys = _keys(conjunct, "action")
        if keys is not None:
            return keys
    return None


def pins(root: Node) -> tuple[Pin, ...]:
    """Every top-level conjunct confining one of :data:`PINNABLE`."""
    found = []
    for conjunct in _conjuncts(root):
        for variable in PINNABLE:
            keys = _keys(conjunct, variable)
            if keys is not None:
                found.append(Pin(variable, keys))
                break
    return tuple(found)


def referenced(root: Node) -> frozenset[str]:
    """The variables an expression may read (every one when part of its tree is opaque)."""
    names: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.kind in ("struct", "other"):
            return _ALL_VARIABLES
        if node.kind == "ident":
            names.add(node.name)
        stack.extend(node.children())
    return frozenset(names) & _ALL_VARIABLES


def _conjuncts(node: Node) -> Iterable[Node]:
    if node.kind == "call" and node.name == "_&&_" and node.target is None:
        for arg in node.args:
            yield from _conjuncts(arg)
    else:
        yield node


def _is_variable(node: Node, variable: str) -> bool:
    return node.kind == "ident" and node.name == variable


def _string(node: Node) -> str | None:
    return node.string if node.kind == "const" else None


def _keys(node: Node, variable: str) -> ValueSet | None:
    if node.kind != "call":
        return None
    args = node.args
    if node.name == "_==_" and node.target is None and len(args) == 2:
        for ident, const in ((args[0], args[1]), (args[1], args[0])):
            if _is_variable(ident, variable) and _string(const) is not None:
                return ValueSet(frozenset([_string(const) or ""]), frozenset())
    if node.name == "@in" and len(args) == 2 and _is_variable(args[0], variable) \
            and args[1].kind == "list":
        values = [_string(e) for e in args[1].args]
        if all(x is not None for x in values):
            return ValueSet(frozenset(x or "" for x in values), frozenset())
    if node.name == "startsWith" and node.target is not None \
            and _is_variable(node.target, variable) \
            and len(args) == 1 and _string(args[0]) is not None:
        return ValueSet(frozenset(), frozenset([_string(args[0]) or ""]))
    if node.name == "_||_" and node.target is None:
        sides = [_keys(a, variable) for a in args]
        if all(s is not None for s in sides):
            return ValueSet(frozenset().union(*(s.exact for s in sides if s)),
                              frozenset().union(*(s.prefixes for s in sides if s)))
    return None


class Candidates:
    """The policies that could match a request, in policy order, and (lazily, for two or
    more) ``program``: one CEL program whose value is the list of their results, or None
    (a single policy, or the list did not compile).

    ``pinned``: (index among ``policies``, its pins) of the policies with pins;
    ``variables``: the variables any of them may read; ``pin_values``: the request's values
    of the pinned variables (what decides which of them remain).
    """

    __slots__ = ("positions", "policies", "pinned", "variables", "pin_values", "_program",
                 "_compiled")

    def __init__(self, positions: tuple[int, ...], policies: tuple[CompiledPolicy, ...],
                 pinned: tuple[tuple[int, tuple[Pin, ...]], ...],
                 variables: frozenset[str]) -> None:
        self.positions = positions
        self.policies = policies
        self.pinned = pinned
        self.variables = variables
        pinned_variables = sorted({pin.variable for _, group in pinned for pin in group})
        self.pin_values = operator.itemgetter(*pinned_variables) if pinned_variables else None
        self._program: Any = None
        self._compiled = len(policies) < 2

    def activation_values(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        """``values`` restricted to the variables these policies may read."""
        if self.variables == _ALL_VARIABLES:
            return values
        return {name: values[name] for name in self.variables}

    @property
    def program(self) -> Any:
        if not self._compiled:
            self._compiled = True
            # Each expression on lines of its own: a trailing // comment ends at its line.
            source = "[" + ",".join(f"(\n{p.definition.expression}\n)"
                                    for p in self.policies) + "]"
            try:
                self._program = ENV.compile(source)
            except RuntimeError:
                self._program = None  # evaluated one by one
        return self._program


class PolicySet:
    """Enabled policies (global and the tenant's), in a stable order, with an action index.

    :param policies: compiled policies, globals first then by id (their reasons keep this
        order).
    """

    def __init__(self, policies: Sequence[CompiledPolicy]) -> None:
        self.policies = tuple(policies)
        self._pins = [pins(p.root) for p in self.policies]
        self._variables = [referenced(p.root) for p in self.policies]
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
        self._by_action: dict[str, Candidates] = {}
        # (action, the pinned variables' values) → the candidates left (see select).
        self._selected: dict[tuple[str, Any], Candidates] = {}
        # One Candidates per distinct set of positions: actions with the same candidates
        # share their combined program (compiled once, whatever the action names).
        self._sets: dict[tuple[int, ...], Candidates] = {}

    def __len__(self) -> int:
        return len(self.policies)

    @property
    def unindexed(self) -> int:
        return len(self._always)

    def candidates(self, action: str) -> tuple[CompiledPolicy, ...]:
        """The policies that could match ``action``, in policy order."""
        return self.lookup(action).policies

    def select(self, values: Mapping[str, Any]) -> Candidates:
        """The candidates for a request's variables: those of its action, less the
        policies one of whose pins its variables fail."""
        action = values["action"]
        found = self.lookup(action)
        if found.pin_values is None:
            return found
        key = (action, found.pin_values(values))
        selected = self._selected.get(key)
        if selected is None:
            ruled_out = {index for index, policy_pins in found.pinned
                         if not all(pin.keys.admit(values[pin.variable]) for pin in policy_pins)}
            selected = found if not ruled_out else self._candidates(tuple(
                position for index, position in enumerate(found.positions)
                if index not in ruled_out))
            if len(self._selected) >= _CACHED_ACTIONS:
                self._selected.clear()  # callers choose agents and resources: stay bounded
            self._selected[key] = selected
        return selected

    def lookup(self, action: str) -> Candidates:
        """The candidates of ``action`` (before pins) with their combined program."""
        found = self._by_action.get(action)
        if found is None:
            found = self._lookup(action)
            if len(self._by_action) >= _CACHED_ACTIONS:
                self._by_action.clear()  # callers choose action names: stay bounded
            self._by_action[action] = found
        return found

    def _lookup(self, action: str) -> Candidates:
        positions = set(self._always)
        positions.update(self._exact.get(action, ()))
        for prefix, matched in self._prefixes.items():
            if action.startswith(prefix):
                positions.update(matched)
        return self._candidates(tuple(sorted(positions)))

    def _candidates(self, key: tuple[int, ...]) -> Candidates:
        found = self._sets.get(key)
        if found is None:
            if len(self._sets) >= _CACHED_ACTIONS:
                self._sets.clear()  # few distinct sets in practice; stay bounded anyway
            found = self._sets[key] = Candidates(
                key, tuple(self.policies[p] for p in key),
                tuple((index, self._pins[p]) for index, p in enumerate(key) if self._pins[p]),
                frozenset().union(*(self._variables[p] for p in key)))
        return found
