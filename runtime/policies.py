"""Semantic policies (SPEC G5): what a policy is, how it is validated and compiled.

A policy is a CEL expression over the request, type-checked against the declared
variables (:data:`VARIABLES`) when it is saved; a bad expression is refused with the line
and column of the error. Compiling also bounds what an evaluation may cost:

- the expression is at most :data:`MAX_EXPRESSION_CHARS` characters;
- comprehensions (``all``, ``exists``, ``exists_one``, ``map``, ``filter``) nest at most
  :data:`MAX_COMPREHENSION_DEPTH` deep;
- comprehensions over list literals may not add up to more than :data:`MAX_ITERATIONS`
  iterations (a static estimate: the product of nested literal sizes);
- at run time the CEL runtime itself stops an evaluation after 10,000 comprehension
  iterations ("iteration budget exceeded"), whatever the input: an evaluation error, so
  the policy fails closed. Inputs are bounded too (``max_attributes_bytes``).

No protobuf and no database session here; the AdminService servicer and the CLI share
these functions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel

from bastion.runtime import validation as v
from bastion.runtime.cel_ast import Node, checked_root
from bastion.runtime.errors import InvalidArgument

EFFECTS = ("deny", "review", "allow")
MODES = ("enforce", "shadow")
MAX_EXPRESSION_CHARS = 4096
MAX_DESCRIPTION_CHARS = 1024
MAX_ID_CHARS = 128
MAX_COMPREHENSION_DEPTH = 2
# The CEL runtime's own per-evaluation comprehension budget (cel-expr-python: 10,000).
MAX_ITERATIONS = 10_000

_T = cel.Type
# The variables a policy may use, and their CEL types.
VARIABLES: Mapping[str, Any] = {
    "action": _T.STRING,          # e.g. "payments.refund" (or a domain RPC's action)
    "resource": _T.STRING,        # the request's resource, "" when none
    "attributes": _T.Map(_T.STRING, _T.DYN),  # the request's attributes (JSON object)
    "agent": _T.STRING,           # agent_id, "" when none
    "tenant": _T.STRING,          # the caller's tenant id
    "run": _T.STRING,             # run_id, "" when none
    "usage": _T.Map(_T.STRING, _T.DOUBLE),  # what the request asks for: resources + cost
    "now": _T.TIMESTAMP,          # when the request is evaluated (UTC)
}
ENV = cel.NewEnv(variables=dict(VARIABLES))
_RESULT_TYPES = ("BOOL", "DYN")
_ERROR_RE = re.compile(r"ERROR: <input>:(\d+):(\d+): ([^\n]*)")


@dataclass(frozen=True)
class PolicyDef:
    """A policy as an operator writes it (validated by :func:`validate`)."""

    id: str
    effect: str
    expression: str
    mode: str = "enforce"
    description: str = ""
    fail_open: bool = False


def validate(policy: PolicyDef, prefix: str = "") -> PolicyDef:
    """Checks every field but the expression; ``prefix`` names where the policy sits in a
    larger request (``policies[2].``)."""
    v.identifier(policy.id, f"{prefix}id", MAX_ID_CHARS, required=True)
    if policy.effect not in EFFECTS:
        raise InvalidArgument(f"{prefix}effect", f"must be one of {', '.join(EFFECTS)}")
    if policy.mode not in MODES:
        raise InvalidArgument(f"{prefix}mode", f"must be one of {', '.join(MODES)}")
    v.text(policy.description, f"{prefix}description", MAX_DESCRIPTION_CHARS)
    return policy


@dataclass(frozen=True)
class CompiledPolicy:
    """A validated, type-checked policy ready to evaluate. ``scope`` is a tenant id or
    ``*`` (global)."""

    definition: PolicyDef
    scope: str
    program: Any  # cel_expr_python Expression
    root: Node

    @property
    def id(self) -> str:
        return self.definition.id


def compile_policy(policy: PolicyDef, scope: str, prefix: str = "") -> CompiledPolicy:
    """Validates and compiles ``policy``; INVALID_ARGUMENT names the field and, for the
    expression, the line and column of the first error."""
    validate(policy, prefix)
    field = f"{prefix}expression"
    source = policy.expression
    if not source.strip():
        raise InvalidArgument(field, "is required")
    if len(source) > MAX_EXPRESSION_CHARS:
        raise InvalidArgument(field, f"must be at most {MAX_EXPRESSION_CHARS} characters")
    try:
        program = ENV.compile(source)
    except RuntimeError as error:
        raise InvalidArgument(field, _compile_error(str(error))) from None
    result = program.return_type().name()
    if result not in _RESULT_TYPES:
        raise InvalidArgument(field, f"must evaluate to a bool, not {result.lower()}")
    root = checked_root(program.serialize())
    _check_cost(root, field)
    return CompiledPolicy(definition=policy, scope=scope, program=program, root=root)


def _compile_error(message: str) -> str:
    """``line L, column C: <what>`` from the CEL compiler's message (its first error)."""
    found = _ERROR_RE.search(message)
    if found is None:
        return "is not a valid CEL expression"
    line, column, what = found.groups()
    return f"line {line}, column {column}: {what.strip()}"[:300]


def _check_cost(root: Node, field: str) -> None:
    depth, iterations = _cost(root)
    if depth > MAX_COMPREHENSION_DEPTH:
        raise InvalidArgument(field, f"comprehensions nested {depth} deep; at most "
                                     f"{MAX_COMPREHENSION_DEPTH}")
    if iterations > MAX_ITERATIONS:
        raise InvalidArgument(field, f"comprehensions over literal lists would iterate "
                                     f"{iterations} times; at most {MAX_ITERATIONS}")


def _cost(node: Node) -> tuple[int, int]:
    """(comprehension nesting depth, iterations over literal ranges) below ``node``."""
    depth, iterations = 0, 0
    for child in node.children():
        d, n = _cost(child)
        depth, iterations = max(depth, d), iterations + n
    if node.kind != "comprehension":
        return depth, iterations
    size = len(node.iter_range.args) if node.iter_range and node.iter_range.kind == "list" \
        else 1
    return depth + 1, size * max(iterations, 1)


def request_variables(action: str, resource: str, attributes: Mapping[str, Any],
                      agent: str, tenant: str, run: str, usage: Mapping[str, float],
                      now: dt.datetime) -> dict[str, Any]:
    """The CEL variables of one request."""
    return {"action": action, "resource": resource, "attributes": attributes,
            "agent": agent, "tenant": tenant, "run": run,
            "usage": {k: float(x) for k, x in usage.items()}, "now": now}
