"""The fast canonical JSON equals the RFC 8785 reference implementation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.plugins.ledger.canonical import canonical_json
from bastion.plugins.ledger.chain import canonical_entry, canonical_ts
from bastion.storage.ledger import LedgerRecord

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False).filter(
        lambda f: not (f.is_integer() and abs(f) >= 2**53))  # outside rfc8785's domain
    | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_fast_path_matches_rfc8785(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value).decode()


def test_known_differences_from_plain_json_are_handled() -> None:
    value = {"b": 1.0, "a": [1e-7, 1e21, 0.5, 123456789012345680000.0], "é": "😀", "x": "k:1.0,"}
    assert canonical_json(value) == rfc8785.dumps(value).decode()
    assert canonical_json({"n": 2.0}) == '{"n":2}'


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20), st.integers(1, 2**40), json_values)
def test_entry_composition_matches_rfc8785(actor: str, subject: str, sequence: int,
                                           payload: object) -> None:
    ts = dt.datetime(2026, 11, 24, 12, 0, 0, 123456, tzinfo=dt.timezone.utc)
    record = LedgerRecord(tenant_id="tnt_1", sequence=sequence, ts=ts, action_type="decision",
                          actor=actor, subject_id=subject, payload_json=canonical_json(payload),
                          parent_hash="ab" * 32)
    expected = rfc8785.dumps({
        "tenant_id": "tnt_1", "sequence": sequence, "ts": canonical_ts(ts),
        "action_type": "decision", "actor": actor, "subject_id": subject,
        "payload": json.loads(record.payload_json), "parent_hash": "ab" * 32})
    assert canonical_entry(record) == expected


def test_values_the_fast_serialiser_would_get_wrong_take_the_exact_path() -> None:
    # orjson writes NaN as null, 1e16 with an exponent and 2**60 exactly: JCS writes
    # 1e16 without one and refuses the others.
    for value in ({"f": 1e16, "g": 1e20}, {"none": None, "x": 0.5},
                  {"ctl": "\b\f\n\r\t\x00\x1f\x7f\u2028"}, [1.0, -0.0, 2.5e-7]):
        assert canonical_json(value) == rfc8785.dumps(value).decode(), value
    for bad in (float("nan"), {"inf": float("inf")}, {"big": 2**60}):
        with pytest.raises(Exception):
            rfc8785.dumps(bad)
        with pytest.raises(Exception):
            canonical_json(bad)
