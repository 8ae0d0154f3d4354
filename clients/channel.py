"""Channel options shared by the sync and async clients: retries on UNAVAILABLE only.

Retries use gRPC's own retry support (a service config on the channel), so they work the
same in every language's client and honour the call's deadline: at most ``max_attempts``
tries with exponential backoff, and only for UNAVAILABLE (the server never executed the
call, or storage was unreachable). No other code is retried.
"""

from __future__ import annotations

import json


def channel_options(max_attempts: int = 4, initial_backoff_s: float = 0.1,
                    max_backoff_s: float = 2.0) -> list[tuple[str, object]]:
    config = {"methodConfig": [{
        "name": [{"service": "bastion.v1.GuardService"}, {"service": "bastion.v1.LedgerService"},
                 {"service": "bastion.v1.AdminService"},
                 {"service": "bastion.v1.MetabolismService"},
                 {"service": "bastion.v1.TrainingService"}],
        "retryPolicy": {
            "maxAttempts": max(2, min(5, max_attempts)),
            "initialBackoff": f"{initial_backoff_s}s",
            "maxBackoff": f"{max_backoff_s}s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }]}
    return [("grpc.enable_retries", 1), ("grpc.service_config", json.dumps(config))]
