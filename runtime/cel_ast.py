"""Just enough of a checked CEL expression's syntax tree to index and bound policies.

``cel-expr-python`` compiles and type-checks an expression but gives no AST object; its
``Expression.serialize()`` returns the checked expression as a ``google.protobuf.Any``
holding a ``cel.expr.CheckedExpr``. This module decodes the protobuf wire format of the
few fields Bastion reads (calls, identifiers, string constants, list literals and
comprehensions, from ``cel/expr/syntax.proto``), so no generated code for the CEL protos
is needed. Unknown fields are skipped, as protobuf readers do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# cel.expr.Expr fields.
_EXPR_CONST, _EXPR_IDENT, _EXPR_SELECT, _EXPR_CALL = 3, 4, 5, 6
_EXPR_LIST, _EXPR_STRUCT, _EXPR_COMPREHENSION = 7, 8, 9
_CONST_STRING = 6
_COMPREHENSION_RANGE, _COMPREHENSION_PARTS = 2, (4, 5, 6, 7)


@dataclass
class Node:
    """One expression node. ``kind``: const, ident, select, call, list, struct,
    comprehension (others: ``other``)."""

    kind: str = "other"
    name: str = ""          # identifier name, called function or selected field
    string: str | None = None  # a string constant's value
    target: "Node | None" = None  # receiver of a member call / operand of a select
    args: list["Node"] = field(default_factory=list)  # call arguments / list elements
    iter_range: "Node | None" = None  # a comprehension's range
    parts: list["Node"] = field(default_factory=list)  # its init, condition, step, result

    def children(self) -> list["Node"]:
        out = [n for n in (self.target, self.iter_range) if n is not None]
        return out + self.args + self.parts


def checked_root(serialized: bytes) -> Node:
    """The root expression of ``Expression.serialize()`` (an Any of a CheckedExpr)."""
    value = _first(serialized, 2)  # Any.value
    if value is None:
        raise ValueError("not a serialized CEL expression")
    expr = _first(value, 4)  # CheckedExpr.expr
    if expr is None:
        raise ValueError("checked expression has no body")
    return _expr(expr)


def _expr(data: bytes) -> Node:
    for number, value in _fields(data):
        if not isinstance(value, bytes):
            continue
        if number == _EXPR_CONST:
            text = _first(value, _CONST_STRING)
            return Node("const", string=text.decode() if text is not None else None)
        if number == _EXPR_IDENT:
            return Node("ident", name=_string(value, 1))
        if number == _EXPR_SELECT:
            operand = _first(value, 1)
            return Node("select", name=_string(value, 2),
                        target=_expr(operand) if operand is not None else None)
        if number == _EXPR_CALL:
            return _call(value)
        if number == _EXPR_LIST:
            return Node("list", args=[_expr(v) for n, v in _fields(value)
                                      if n == 1 and isinstance(v, bytes)])
        if number == _EXPR_STRUCT:
            return Node("struct")
        if number == _EXPR_COMPREHENSION:
            return _comprehension(value)
    return Node()


def _call(data: bytes) -> Node:
    node = Node("call")
    for number, value in _fields(data):
        if number == 1 and isinstance(value, bytes):
            node.target = _expr(value)
        elif number == 2 and isinstance(value, bytes):
            node.name = value.decode()
        elif number == 3 and isinstance(value, bytes):
            node.args.append(_expr(value))
    return node


def _comprehension(data: bytes) -> Node:
    node = Node("comprehension")
    for number, value in _fields(data):
        if not isinstance(value, bytes):
            continue
        if number == _COMPREHENSION_RANGE:
            node.iter_range = _expr(value)
        elif number in _COMPREHENSION_PARTS:
            node.parts.append(_expr(value))
    return node


def _string(data: bytes, number: int) -> str:
    value = _first(data, number)
    return value.decode() if value is not None else ""


def _first(data: bytes, number: int) -> bytes | None:
    for n, value in _fields(data):
        if n == number and isinstance(value, bytes):
            return value
    return None


def _fields(data: bytes) -> list[tuple[int, bytes | int]]:
    """(field number, value) pairs of one message: length-delimited values as bytes,
    varints and fixed-width values as ints."""
    out: list[tuple[int, bytes | int]] = []
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            out.append((number, data[pos:pos + length]))
            pos += length
        elif wire == 1:
            out.append((number, int.from_bytes(data[pos:pos + 8], "little")))
            pos += 8
        elif wire == 5:
            out.append((number, int.from_bytes(data[pos:pos + 4], "little")))
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
