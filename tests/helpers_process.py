"""Real `bastion serve` / `bastion ...` processes for the multi-process and shutdown tests.

Each server process writes stdout and stderr to a file next to the test (``tmp_path``), so a
failure shows what the process said and no pipe can fill up and block it.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bastion.testing.harness import TEST_LEDGER_SECRET

CLI = [sys.executable, "-m", "bastion.runtime.cli"]


def free_port() -> int:
    """A port nobody listens on right now (the server binds it without SO_REUSEPORT, so a
    port taken meanwhile makes it exit, which :meth:`ServerProcess.wait_serving` reports)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server or CLI process. Only the built-in plugins run: the
    counts these tests check depend on which plugins ledger what, and any other package in
    the ``bastion.plugins`` entry-point group (an example installed in the same
    environment, say) would change them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASTION_")}
    env.update(BASTION_DATABASE_URL=database_url, BASTION_LEDGER_SECRET=TEST_LEDGER_SECRET,
               BASTION_LEDGER_VERIFY="1", BASTION_LOG_LEVEL="warning",
               BASTION_LOG_FORMAT="json", BASTION_PLUGINS="ledger,metabolism")
    env.update(extra)
    return env


def cli(database_url: str, *args: str) -> dict:
    """Runs a `bastion` command and parses its JSON output."""
    out = subprocess.run([*CLI, *args], env=server_env(database_url), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, f"bastion {' '.join(args)} failed: {out.stderr}"
    return json.loads(out.stdout)


@dataclass
class Setup:
    """A migrated database with one tenant, its admin key and an agent key."""

    tenant_id: str
    admin_token: str
    agent_token: str


def set_up_tenant(database_url: str, name: str = "acme") -> Setup:
    """`bastion migrate`, `bastion tenant create`, `bastion key create --role agent`: what an
    operator runs. Each change is ledgered (three entries)."""
    cli(database_url, "migrate")
    tenant = cli(database_url, "tenant", "create", name)
    agent = cli(database_url, "key", "create", "--tenant", name, "--role", "agent")
    return Setup(tenant_id=tenant["tenant_id"], admin_token=tenant["api_key"]["token"],
                 agent_token=agent["token"])


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: pathlib.Path
    exit_code: int | None = field(default=None)
    signalled: bool = field(default=False)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""

    def json_logs(self) -> list[dict]:
        """The process's JSON log lines (other output skipped)."""
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                lines.append(parsed)
        return lines

    def wait_serving(self, timeout: float = 30.0) -> None:
        """Returns once grpc.health.v1 reports SERVING; fails at once if the process dies."""
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(self.target) as channel:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"server on {self.target} exited with "
                                         f"{self.process.returncode}:\n{self.output()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"server on {self.target} not SERVING after "
                                         f"{timeout} s:\n{self.output()}")
                try:
                    # Short waits, so a process that died is noticed without the full timeout.
                    grpc.channel_ready_future(channel).result(timeout=min(1.0, remaining))
                    stub = health_pb2_grpc.HealthStub(channel)
                    # Watch streams the status: the first SERVING message ends the wait.
                    for reply in stub.Watch(health_pb2.HealthCheckRequest(),
                                            timeout=min(5.0, remaining)):
                        if reply.status == health_pb2.HealthCheckResponse.SERVING:
                            return
                except (grpc.FutureTimeoutError, grpc.RpcError):
                    continue

    def sigterm(self) -> None:
        """One SIGTERM, as an orchestrator sends it (once: not again while it stops)."""
        if not self.signalled and self.process.poll() is None:
            self.signalled = True
            self.process.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float) -> int:
        """The exit status; the process is killed (and the test fails) if it outlives
        ``timeout``."""
        try:
            self.exit_code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.exit_code = self.process.wait()
            raise AssertionError(f"server on {self.target} ignored SIGTERM for {timeout} s "
                                 f"(killed):\n{self.output()}") from None
        return self.exit_code

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait; kill if stuck. Never raises (for teardown)."""
        self.sigterm()
        try:
            self.exit_code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.exit_code = self.process.wait()
        return self.exit_code


def start_server(database_url: str, log_dir: pathlib.Path, **env: str) -> ServerProcess:
    """Starts `bastion serve` on a free port (not yet waited for: see wait_serving)."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*CLI, "serve", "--listen", f"127.0.0.1:{port}"],
            env=server_env(database_url, **env), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
    return ServerProcess(process, port, log_path)


@contextlib.contextmanager
def serving(database_url: str, log_dir: pathlib.Path, count: int = 1,
            **env: str) -> Iterator[list[ServerProcess]]:
    """``count`` server processes on one database, SERVING; all stopped at the end."""
    servers: list[ServerProcess] = []
    try:
        for _ in range(count):
            servers.append(start_server(database_url, log_dir, **env))
        for server in servers:
            server.wait_serving()
        yield servers
    finally:
        for server in servers:
            server.sigterm()  # all at once: they shut down in parallel
        for server in servers:
            server.stop()


def assert_clean_exit(server: ServerProcess) -> None:
    """Exit status 0 and no Python traceback in the process's output."""
    output = server.output()
    assert server.exit_code == 0, f"exit status {server.exit_code}:\n{output}"
    assert "Traceback" not in output, output
