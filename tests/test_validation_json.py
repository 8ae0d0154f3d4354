"""JSON fields of requests (attributes_json, checkpoint_json, memory values): the fast
decoder gives exactly what the exact one gives, and refuses what it refuses."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.runtime import validation as v
from bastion.runtime.errors import InvalidArgument

MAX = 1 << 20
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30)


def _same(a: object, b: object) -> bool:
    """Equal values of equal types all the way down (1 and 1.0 differ; -0.0 and 0.0 too)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))  # type: ignore[arg-type]
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)  # type: ignore[arg-type]
    return a == b


@settings(max_examples=400, deadline=None)
@given(json_values, st.booleans())
def test_decodes_what_the_exact_decoder_decodes(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _same(v.json_value(text, "f", MAX), v._DECODER.decode(text))


@pytest.mark.parametrize("text", [
    "-0", "-0.0", "1E2", "1e-400", "5e-324", "1.7976931348623157e308", "0.30000000000000004",
    "9007199254740991", "-9007199254740991", '"\\ud83d\\ude00"', '{"a": 1, "a": 2}', " [1] ",
    '"1234567890123456"'])
def test_edge_values_decode_alike(text: str) -> None:
    assert _same(v.json_value(text, "f", MAX), v._DECODER.decode(text))


@pytest.mark.parametrize("text,message", [
    ("9007199254740992", "outside ±(2**53 - 1)"),          # orjson would take it
    ("18446744073709551616", "outside ±(2**53 - 1)"),      # orjson would make it a float
    ("1e999", "out of range"),
    ('{"a": NaN}', "NaN is not allowed"),
    ('{"a": Infinity}', "Infinity is not allowed"),
    ('"\\ud800"', "unpaired surrogate"),
    ('{"a": 1} x', "is not valid JSON"),
    ("{not json", "is not valid JSON"),
])
def test_refuses_with_the_exact_decoders_words(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        v.json_value(text, "attributes_json", MAX)
    assert refused.value.field == "attributes_json"
    assert message in refused.value.description
