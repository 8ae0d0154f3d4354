"""The Bastion runtime: gRPC server, plugin manager and hook specifications, request
lifecycle, authentication, configuration, CLI and background jobs. It knows no guard or
domain by name: those are plugins."""

from bastion.runtime.hookspecs import hookimpl

__all__ = ["hookimpl"]
