"""Generated gRPC code for ``bastion.blocklist.v1`` (``python -m bastion_blocklist.codegen``)."""
