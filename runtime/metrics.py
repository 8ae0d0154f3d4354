"""Prometheus metrics (prometheus-client); exposed on ``metrics_listen`` when set."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

RPC_TOTAL = Counter("bastion_rpc_total", "RPCs served, by method and status code",
                    ["method", "code"])
RPC_SECONDS = Histogram("bastion_rpc_duration_seconds", "RPC latency by method", ["method"],
                        buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                 0.5, 1.0, 2.5))
DECISIONS_TOTAL = Counter("bastion_decisions_total", "Decisions by action verdict",
                          ["verdict"])

TELEMETRY_DROPPED = Counter("bastion_telemetry_dropped_total",
                            "Telemetry entries dropped because the buffer was full")
TELEMETRY_FLUSHED = Counter("bastion_telemetry_flushed_total",
                            "Telemetry entries written to storage")
TELEMETRY_FAILED = Counter("bastion_telemetry_flush_failures_total",
                           "Telemetry entries whose write failed (retried later)")
TELEMETRY_BUFFERED = Gauge("bastion_telemetry_buffered", "Telemetry entries waiting to be written")


def serve_metrics(listen: str) -> None:
    host, _, port = listen.rpartition(":")
    start_http_server(int(port), addr=host or "127.0.0.1")
