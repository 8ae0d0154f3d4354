"""The ledger's cryptography (SPEC D1): canonical entries, hash chain, HMAC signatures.

The canonical form of an entry is the RFC 8785 (JCS) serialisation of::

    {"tenant_id", "sequence", "ts" (ISO 8601 UTC, microseconds), "action_type", "actor",
     "subject_id", "payload" (the payload, itself canonical JSON), "parent_hash"}

``entry_hash`` = hex SHA-256 of that; ``signature`` = hex HMAC-SHA256 of it with the
configured secret (empty when none: sig_ok is then null, never true).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from bastion.plugins.ledger.canonical import canonical_json, canonical_string
from bastion.storage.base import as_utc
from bastion.storage.ledger import LedgerRecord


def canonical_ts(ts: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (always microseconds)."""
    t = as_utc(ts)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond)


def canonical_entry(record: LedgerRecord) -> bytes:
    """RFC 8785 form of the entry, composed around the stored (already canonical) payload
    text instead of parsing and re-serialising it: keys in JCS order (all ASCII, so plain
    sort order), string values canonicalised. ``tests/test_canonical.py`` checks it equals
    ``rfc8785.dumps`` of the entry as a whole."""
    return "".join((
        '{"action_type":', canonical_string(record.action_type),
        ',"actor":', canonical_string(record.actor),
        ',"parent_hash":', canonical_string(record.parent_hash),
        ',"payload":', record.payload_json,
        ',"sequence":', str(int(record.sequence)),
        ',"subject_id":', canonical_string(record.subject_id),
        ',"tenant_id":', canonical_string(record.tenant_id),
        ',"ts":', canonical_string(canonical_ts(record.ts)), "}",
    )).encode()


__all__ = ["canonical_entry", "canonical_json", "canonical_ts", "Sealer", "verify"]


class Sealer:
    """Computes (entry_hash, signature) for a record; the secret never leaves this object."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode() if secret else b""
        # Keyed once: a copy of the keyed state per entry skips the key schedule and the
        # digest lookup by name (1.9 against 2.6 µs for a decision's entry).
        self._keyed = hmac.new(self._key, digestmod=hashlib.sha256) if self._key else None

    @property
    def has_secret(self) -> bool:
        return bool(self._key)

    def __call__(self, record: LedgerRecord) -> tuple[str, str]:
        body = canonical_entry(record)
        entry_hash = hashlib.sha256(body).hexdigest()
        if self._keyed is None:
            return entry_hash, ""
        mac = self._keyed.copy()
        mac.update(body)
        return entry_hash, mac.hexdigest()

    def __repr__(self) -> str:  # never print the secret
        return f"Sealer(has_secret={self.has_secret})"


@dataclass(frozen=True)
class EntryCheck:
    sequence: int
    sig_ok: bool | None
    chain_ok: bool
    reason: str


@dataclass(frozen=True)
class VerifyReport:
    overall_ok: bool | None
    chain_ok: bool
    count: int
    has_secret: bool
    entries: list[EntryCheck]


def verify(records: Iterable[LedgerRecord], sealer: Sealer,
           predecessor: LedgerRecord | None) -> VerifyReport:
    """Walks entries in sequence order: recomputes each hash and signature, checks each
    entry's parent link and that sequences have no gaps."""
    checks: list[EntryCheck] = []
    prev_hash = predecessor.entry_hash if predecessor else ""
    prev_seq = predecessor.sequence if predecessor else None
    for record in records:
        entry_hash, signature = sealer(record)
        reasons = []
        if prev_seq is not None and record.sequence != prev_seq + 1:
            reasons.append("sequence_gap")
        if prev_seq is None and record.sequence != 1:
            reasons.append("sequence_gap")
        if record.parent_hash != prev_hash:
            reasons.append("parent_mismatch")
        if not hmac.compare_digest(entry_hash, record.entry_hash):
            reasons.append("hash_mismatch")
        chain_ok = not reasons
        sig_ok: bool | None = None
        if sealer.has_secret:
            sig_ok = hmac.compare_digest(signature, record.signature)
            if not sig_ok:
                reasons.append("signature_mismatch")
        checks.append(EntryCheck(record.sequence, sig_ok, chain_ok, ",".join(reasons)))
        prev_hash, prev_seq = record.entry_hash, record.sequence
    chain_all = all(c.chain_ok for c in checks)
    overall = (chain_all and all(c.sig_ok for c in checks)) if sealer.has_secret else None
    return VerifyReport(overall_ok=overall, chain_ok=chain_all, count=len(checks),
                        has_secret=sealer.has_secret, entries=checks)
