"""Regenerates the committed gRPC code in ``bastion_blocklist/v1`` from the .proto source.

Run from a source checkout (``make gen`` in ``examples/blocklist-guard``, or
``python -m bastion_blocklist.codegen [OUTPUT_ROOT]``); needs ``grpcio-tools``.

The source keeps buf's layout (``proto/bastion/blocklist/v1/blocklist.proto`` holds package
``bastion.blocklist.v1``). protoc sees it through the virtual include path
``bastion_blocklist/v1``, so the generated modules import each other as
``bastion_blocklist.v1`` and the descriptor is registered under a path no other
distribution uses. ``tests/test_codegen.py`` fails when the committed code is stale.
"""

from __future__ import annotations

import pathlib
import sys

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent
PROTO_DIR = PACKAGE_DIR / "proto" / "bastion" / "blocklist" / "v1"
VIRTUAL_DIR = "bastion_blocklist/v1"


def generate(output_root: pathlib.Path = SOURCE_ROOT) -> list[pathlib.Path]:
    """Writes ``bastion_blocklist/v1/*_pb2*.py(i)`` under ``output_root``; returns them."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(PROTO_DIR.glob("*.proto"))
    code = protoc.main([
        "protoc",
        f"-I{VIRTUAL_DIR}={PROTO_DIR}",
        f"-I{well_known}",
        f"--python_out={output_root}",
        f"--pyi_out={output_root}",
        f"--grpc_python_out={output_root}",
        *(f"{VIRTUAL_DIR}/{p.name}" for p in protos),
    ])
    if code != 0:
        raise SystemExit(f"protoc failed with exit status {code}")
    return sorted((output_root / VIRTUAL_DIR).glob("*_pb2*"))


if __name__ == "__main__":
    generate(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE_ROOT)
