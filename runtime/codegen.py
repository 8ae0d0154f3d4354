"""Generates the Python gRPC code for ``proto/bastion/v1`` next to the .proto files.

The generated modules are committed (a clean ``pip install .`` needs them) and
``tests/test_generated_code.py`` regenerates into a temporary folder to catch stale code.
Run with ``python -m bastion.runtime.codegen [OUTPUT_ROOT]``.
"""

from __future__ import annotations

import pathlib
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO_ROOT / "proto"


def proto_files(root: pathlib.Path = PROTO_ROOT) -> list[pathlib.Path]:
    return sorted((root / "bastion" / "v1").glob("*.proto"))


def generate(output_root: pathlib.Path = PROTO_ROOT) -> None:
    """Runs protoc (from grpcio-tools) with ``proto/`` as the include root."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={output_root}",
        f"--pyi_out={output_root}",
        f"--grpc_python_out={output_root}",
        *[str(p.relative_to(PROTO_ROOT)) for p in proto_files()],
    ]
    code = protoc.main(args)
    if code != 0:
        raise SystemExit(f"protoc failed with exit status {code}")


if __name__ == "__main__":
    generate(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT)
