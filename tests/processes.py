"""Real `bastion serve` processes for multi-process and shutdown tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bastion.testing.harness import TEST_LEDGER_SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(BASTION_DATABASE_URL=database_url, BASTION_LEDGER_SECRET=TEST_LEDGER_SECRET,
               BASTION_LEDGER_VERIFY="1", BASTION_LOG_LEVEL="warning", **extra)
    return env


def cli(database_url: str, *args: str) -> dict:
    """Runs a `bastion` CLI command in a subprocess and parses its JSON output."""
    out = subprocess.run([sys.executable, "-m", "bastion.runtime.cli", *args],
                         env=server_env(database_url), check=True, capture_output=True,
                         text=True, timeout=60)
    return json.loads(out.stdout)


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_serving(self, timeout: float = 20.0) -> None:
        with grpc.insecure_channel(self.target) as channel:
            grpc.channel_ready_future(channel).result(timeout=timeout)
            stub = health_pb2_grpc.HealthStub(channel)
            # Watch streams the status: the first SERVING message ends the wait.
            for reply in stub.Watch(health_pb2.HealthCheckRequest(), timeout=timeout):
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return

    def terminate(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@contextlib.contextmanager
def serving(database_url: str, count: int = 1, **env: str) -> Iterator[list[ServerProcess]]:
    """Starts ``count`` server processes on one database; stops them at the end."""
    servers = []
    try:
        for _ in range(count):
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "bastion.runtime.cli", "serve", "--listen",
                 f"127.0.0.1:{port}"], env=server_env(database_url, **env),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            servers.append(ServerProcess(process, port))
        for server in servers:
            server.wait_serving()
        yield servers
    finally:
        for server in servers:
            server.terminate()
