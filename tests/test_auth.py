"""Authentication, roles, JWTs and tenant isolation on every service."""

from __future__ import annotations

import json
import time

import grpc
import jwt
import pytest
import sqlalchemy as sa

from bastion.clients import BastionClient, BastionError
from bastion.runtime import cli
from bastion.runtime.auth import issue_jwt, parse_api_key
from bastion.runtime.principal import Principal, Role
from bastion.testing.harness import make_test_settings, running_server
from bastion.v1 import admin_service_pb2 as admin_pb
from bastion.v1 import guard_service_pb2 as guard_pb

JWT_SECRET = "jwt-test-secret-0123456789abcdef"


def test_keys_are_stored_only_as_hashes(server, tenant) -> None:  # type: ignore[no-untyped-def]
    _, secret = parse_api_key(tenant.agent_token)  # type: ignore[misc]
    with server.database.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_keys WHERE tenant_id = :t"),
                            {"t": tenant.tenant_id}).all()
    assert len(rows) == 3
    assert all(secret not in str(value) for row in rows for value in row)


def test_revoked_key_is_refused(connect, tenant) -> None:  # type: ignore[no-untyped-def]
    operator = connect(tenant.operator_token)
    created = operator.admin.CreateApiKey(admin_pb.CreateApiKeyRequest(role=admin_pb.ROLE_AGENT),
                                          metadata=operator.metadata)
    fresh = connect(created.token)
    fresh.guard.Check(guard_pb.CheckRequest(action="x.y"), metadata=fresh.metadata)
    operator.admin.RevokeApiKey(admin_pb.RevokeApiKeyRequest(key_id=created.key.key_id),
                                metadata=operator.metadata)
    with pytest.raises(grpc.RpcError) as info:
        fresh.guard.Check(guard_pb.CheckRequest(action="x.y"), metadata=fresh.metadata)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_roles(connect, tenant) -> None:  # type: ignore[no-untyped-def]
    agent, operator, admin = (connect(t) for t in (tenant.agent_token, tenant.operator_token,
                                                   tenant.admin_token))
    with pytest.raises(grpc.RpcError) as info:
        agent.admin.ListApiKeys(admin_pb.ListApiKeysRequest(), metadata=agent.metadata)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    operator.admin.CreateApiKey(admin_pb.CreateApiKeyRequest(role=admin_pb.ROLE_AGENT),
                                metadata=operator.metadata)
    with pytest.raises(grpc.RpcError) as info:
        operator.admin.CreateApiKey(admin_pb.CreateApiKeyRequest(role=admin_pb.ROLE_ADMIN),
                                    metadata=operator.metadata)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    created = admin.admin.CreateApiKey(admin_pb.CreateApiKeyRequest(role=admin_pb.ROLE_ADMIN),
                                       metadata=admin.metadata)
    assert created.token.startswith("bst_") and created.key.role == admin_pb.ROLE_ADMIN
    with pytest.raises(grpc.RpcError) as info:
        admin.admin.CreateApiKey(admin_pb.CreateApiKeyRequest(role=7), metadata=admin.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details().startswith("role:")


def test_admin_changes_are_ledgered(server, connect, tenant) -> None:  # type: ignore[no-untyped-def]
    admin = connect(tenant.admin_token)
    created = admin.admin.CreateApiKey(admin_pb.CreateApiKeyRequest(role=admin_pb.ROLE_AGENT),
                                       metadata=admin.metadata)
    with BastionClient(server.target, api_key=tenant.admin_token) as client:
        actions = [(e.payload["decision"]["action"], e.payload["request"]["attributes"])
                   for e in client.list_ledger(action_type="decision").entries]
    assert ("admin.api_key.create", {"key_id": created.key.key_id, "role": "agent"}) in actions


def test_tenant_isolation_on_every_service(server, connect, tenant) -> None:  # type: ignore[no-untyped-def]
    other = server.create_tenant()
    mine, theirs = connect(tenant.admin_token), connect(other.admin_token)
    their_decision = theirs.guard.Check(guard_pb.CheckRequest(action="secret.op"),
                                        metadata=theirs.metadata).decision
    with pytest.raises(grpc.RpcError) as info:
        mine.guard.Explain(guard_pb.ExplainRequest(decision_id=their_decision.decision_id),
                           metadata=mine.metadata)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as info:
        mine.admin.RevokeApiKey(admin_pb.RevokeApiKeyRequest(key_id=other.agent_key_id),
                                metadata=mine.metadata)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    keys = mine.admin.ListApiKeys(admin_pb.ListApiKeysRequest(), metadata=mine.metadata).keys
    assert other.agent_key_id not in {k.key_id for k in keys}
    with BastionClient(server.target, api_key=tenant.admin_token) as client:
        client.compute_snapshot(health_score=50, operations_score=50, customer_score=50,
                                active_goals=1, pending_tasks=1)
        subjects = {e.subject_id for e in client.list_ledger(page_size=1000).entries}
    assert their_decision.decision_id not in subjects
    with BastionClient(server.target, api_key=other.admin_token) as client:
        actions = {e.payload["decision"]["action"]
                   for e in client.list_ledger(page_size=1000).entries}
    assert "metabolism.compute_snapshot" not in actions


@pytest.fixture(scope="module")
def jwt_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path_factory.mktemp('jwt')}/jwt.db"
    with running_server(make_test_settings(url, jwt_secret=JWT_SECRET)) as handle:
        yield handle


def _check_with(handle, token: str) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    with BastionClient(handle.target, api_key=token) as client:
        try:
            client.check("x.y")
        except BastionError as error:
            return error.code
    return grpc.StatusCode.OK


def test_jwt_accepted_and_refused(jwt_server) -> None:  # type: ignore[no-untyped-def]
    keys = jwt_server.create_tenant()
    principal = Principal(tenant_id=keys.tenant_id, subject=keys.agent_key_id, role=Role.AGENT)
    good = issue_jwt(principal, jwt_server.settings)
    assert _check_with(jwt_server, good) is grpc.StatusCode.OK
    now = int(time.time())
    claims = {"sub": keys.agent_key_id, "tenant": keys.tenant_id, "role": "agent",
              "iat": now, "exp": now + 60, "iss": "bastion"}
    refused = [
        jwt.encode({**claims, "exp": now - 10}, JWT_SECRET, algorithm="HS256"),   # expired
        jwt.encode(claims, "another-secret-0123456789abcdef", algorithm="HS256"),  # forged
        jwt.encode(claims, JWT_SECRET, algorithm="HS512"),                          # not allowed
        jwt.encode({k: v for k, v in claims.items() if k != "tenant"}, JWT_SECRET,
                   algorithm="HS256"),                                              # no tenant
        jwt.encode(claims, None, algorithm="none"),                                 # alg none
    ]
    for token in refused:
        assert _check_with(jwt_server, token) is grpc.StatusCode.UNAUTHENTICATED, token


def test_jwts_are_refused_without_a_secret(server, tenant) -> None:  # type: ignore[no-untyped-def]
    now = int(time.time())
    token = jwt.encode({"sub": "k", "tenant": tenant.tenant_id, "role": "agent", "iat": now,
                        "exp": now + 60, "iss": "bastion"}, JWT_SECRET, algorithm="HS256")
    assert _check_with(server, token) is grpc.StatusCode.UNAUTHENTICATED


def test_cli_tenants_keys_and_tokens(database_url, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BASTION_DATABASE_URL", database_url)
    assert cli.main(["migrate"]) == 0
    assert json.loads(capsys.readouterr().out)["migrated"] is True
    assert cli.main(["tenant", "create", "acme"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["tenant_id"].startswith("tnt_") and created["api_key"]["role"] == "admin"
    assert cli.main(["tenant", "create", "acme"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["key", "create", "--tenant", "acme", "--role", "agent"]) == 0
    agent = json.loads(capsys.readouterr().out)
    assert agent["role"] == "agent" and agent["token"].startswith("bst_")
    assert cli.main(["token", "--api-key", agent["token"]]) == 1
    assert "jwt_secret" in capsys.readouterr().err
    monkeypatch.setenv("BASTION_JWT_SECRET", JWT_SECRET)
    assert cli.main(["token", "--api-key", agent["token"], "--ttl", "60"]) == 0
    token = json.loads(capsys.readouterr().out)["token"]
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], issuer="bastion")
    assert (claims["tenant"], claims["role"]) == (created["tenant_id"], "agent")
    assert claims["exp"] - claims["iat"] == 60


def test_secrets_never_reach_logs_or_errors(database_url) -> None:  # type: ignore[no-untyped-def]
    import io

    from bastion.runtime.logging import configure_logging
    from bastion.testing.harness import TEST_LEDGER_SECRET

    stream = io.StringIO()
    configure_logging("json", "debug", stream=stream, cache=False)
    try:
        with running_server(make_test_settings(database_url, jwt_secret=JWT_SECRET)) as handle:
            keys = handle.create_tenant()
            _check_with(handle, keys.agent_token)
            wrong = keys.agent_token[:-4] + "AAAA"
            with BastionClient(handle.target, api_key=wrong) as client:
                with pytest.raises(BastionError) as info:
                    client.check("x.y")
            assert wrong not in str(info.value)
    finally:
        configure_logging("json", "info", cache=False)
    logs = stream.getvalue()
    assert any(json.loads(line).get("event") == "rpc" for line in logs.splitlines()) and keys.tenant_id in logs
    for secret in (keys.agent_token, parse_api_key(keys.agent_token)[1],  # type: ignore[index]
                   wrong, JWT_SECRET, TEST_LEDGER_SECRET):
        assert secret not in logs


def test_settings_logged_at_start_hide_secrets() -> None:
    from bastion.runtime.config import Settings

    settings = Settings(database_url="postgresql+psycopg://bastion:hunter2@db/bastion",
                        jwt_secret=JWT_SECRET, plugin_sections={"ledger": {"secret": "s3cr3t"}})
    shown = repr(settings.redacted())
    assert "hunter2" not in shown and JWT_SECRET not in shown and "s3cr3t" not in shown
    assert "postgresql+psycopg://bastion:***@db/bastion" in shown
