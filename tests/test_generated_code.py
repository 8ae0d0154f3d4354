"""The committed gRPC code matches proto/ (run `make gen` after editing a .proto)."""

from __future__ import annotations

import pathlib

from bastion.runtime import codegen


def test_generated_code_is_up_to_date(tmp_path: pathlib.Path) -> None:
    codegen.generate(tmp_path)
    generated = sorted((tmp_path / "bastion" / "v1").glob("*_pb2*.py*"))
    assert generated, "protoc produced nothing"
    committed_dir = codegen.PROTO_ROOT / "bastion" / "v1"
    stale = [p.name for p in generated
             if not (committed_dir / p.name).exists()
             or (committed_dir / p.name).read_text() != p.read_text()]
    assert not stale, f"stale generated code, run `make gen`: {stale}"
    extra = {p.name for p in committed_dir.glob("*_pb2*.py*")} - {p.name for p in generated}
    assert not extra, f"generated files without a .proto: {sorted(extra)}"
