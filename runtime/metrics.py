"""Prometheus metrics (prometheus-client); exposed on ``metrics_listen`` when set."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

RPC_TOTAL = Counter("bastion_rpc_total", "RPCs served, by method and status code",
                    ["method", "code"])
RPC_SECONDS = Histogram("bastion_rpc_duration_seconds", "RPC latency by method", ["method"],
                        buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                 0.5, 1.0, 2.5))
DECISIONS_TOTAL = Counter("bastion_decisions_total", "Decisions by action verdict",
                          ["verdict"])


def serve_metrics(listen: str) -> None:
    host, _, port = listen.rpartition(":")
    start_http_server(int(port), addr=host or "127.0.0.1")
