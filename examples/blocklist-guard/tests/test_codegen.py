"""The committed gRPC code matches the .proto (regenerate with ``make gen``)."""

from __future__ import annotations

import pathlib

import pytest

from bastion_blocklist import codegen


def test_generated_code_is_up_to_date(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("grpc_tools")
    fresh = codegen.generate(tmp_path)
    committed = codegen.PACKAGE_DIR / "v1"
    assert [p.name for p in fresh] == sorted(p.name for p in committed.glob("*_pb2*"))
    stale = [p.name for p in fresh if p.read_text() != (committed / p.name).read_text()]
    assert not stale, f"stale generated code, run `make gen`: {stale}"
