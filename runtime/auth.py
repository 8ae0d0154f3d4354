"""Authentication: API keys (hashed at rest, constant-time compared) and short-lived JWTs.

Token formats, both sent as ``authorization: Bearer <token>``:
- API key: ``bst_<key_id>_<secret>``; only SHA-256 (or HMAC-SHA256 with the configured
  pepper) of the secret is stored. Keys are high-entropy, so a fast hash is right (SPEC S).
- JWT: HS256 (allow-list configurable, never ``none``), claims ``sub`` (key id), ``tenant``,
  ``role``, ``exp``, ``iat``, ``iss``; issued by ``bastion token`` for a valid API key.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import threading
import time

import jwt

from bastion.runtime.config import Settings
from bastion.runtime.errors import Unauthenticated
from bastion.runtime.principal import Principal, Role
from bastion.storage import Database
from bastion.storage import api_keys as key_store

TOKEN_PREFIX = "bst"


def new_api_key() -> tuple[str, str, str]:
    """Returns (key_id, secret, token)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"{TOKEN_PREFIX}_{key_id}_{secret}"


def hash_secret(secret: str, pepper: str = "") -> str:
    if pepper:
        return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class Authenticator:
    """Turns a bearer token into a :class:`Principal`, with a short positive cache.

    The cache (``auth_cache_ttl_s``, default 5 s) keeps the hot path off the database; a
    revoked key stops working on this replica at once and on others within the TTL.
    """

    def __init__(self, database: Database, settings: Settings) -> None:
        self._db = database
        self._settings = settings
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    async def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("missing authorization metadata (Bearer token)")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("authorization must be 'Bearer <token>'")
        token = token.strip()
        if token.startswith(TOKEN_PREFIX + "_"):
            return await self._from_api_key(token)
        return self._from_jwt(token)

    async def _from_api_key(self, token: str) -> Principal:
        now = time.monotonic()
        digest = hashlib.sha256(token.encode()).hexdigest()  # cache key; never the token
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        principal = await asyncio.to_thread(self.verify_api_key, token)  # storage: off-loop
        with self._lock:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[digest] = (principal, now + self._settings.auth_cache_ttl_s)
        return principal

    def verify_api_key(self, token: str) -> Principal:
        """Checks an API key against storage (no cache)."""
        parsed = parse_api_key(token)
        if parsed is None:
            raise Unauthenticated("malformed API key")
        key_id, secret = parsed
        stored = key_store.get_api_key(self._db, key_id)
        expected = stored.secret_hash if stored is not None else "0" * 64
        actual = hash_secret(secret, self._settings.api_key_pepper)
        # Compare even when the key is unknown, so timing does not reveal which key ids exist.
        matches = hmac.compare_digest(expected, actual)
        if stored is None or not matches or stored.revoked_at is not None:
            raise Unauthenticated("invalid or revoked API key")
        return Principal(tenant_id=stored.tenant_id, subject=key_id, role=Role.parse(stored.role))

    def forget(self, key_id: str) -> None:
        """Drops cached principals of ``key_id`` (after a revocation on this replica)."""
        with self._lock:
            for digest, (principal, _) in list(self._cache.items()):
                if principal.subject == key_id:
                    del self._cache[digest]

    def _from_jwt(self, token: str) -> Principal:
        if not self._settings.jwt_secret:
            raise Unauthenticated("JWTs are disabled: no jwt_secret is configured")
        try:
            claims = jwt.decode(
                token, self._settings.jwt_secret, algorithms=list(self._settings.jwt_algorithms),
                issuer=self._settings.jwt_issuer,
                options={"require": ["exp", "iat", "sub", "tenant", "role", "iss"]})
            return Principal(tenant_id=str(claims["tenant"]), subject=str(claims["sub"]),
                             role=Role.parse(str(claims["role"])))
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired") from None
        except (jwt.InvalidTokenError, ValueError):
            raise Unauthenticated("invalid token") from None


def issue_jwt(principal: Principal, settings: Settings, ttl_s: int | None = None) -> str:
    if not settings.jwt_secret:
        raise ValueError("no jwt_secret configured (BASTION_JWT_SECRET): JWTs are disabled")
    now = int(time.time())
    claims = {"sub": principal.subject, "tenant": principal.tenant_id,
              "role": principal.role.name.lower(), "iat": now,
              "exp": now + (ttl_s or settings.jwt_ttl_s), "iss": settings.jwt_issuer}
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithms[0])


def create_api_key(db: Database, settings: Settings, tenant_id: str, role: Role,
                   description: str = "") -> tuple[key_store.StoredApiKey, str]:
    """Creates and stores a key now (CLI); returns it with the token (to show once)."""
    values, token = api_key_values(settings, tenant_id, role, description)
    return key_store.insert_api_key(db, **values), token


def api_key_values(settings: Settings, tenant_id: str, role: Role,
                   description: str) -> tuple[dict[str, str], str]:
    """The stored columns of a new key (secret hashed) and the token to show once."""
    key_id, secret, token = new_api_key()
    values = {"key_id": key_id, "tenant_id": tenant_id,
              "secret_hash": hash_secret(secret, settings.api_key_pepper),
              "role": role.name.lower(), "description": description}
    return values, token
