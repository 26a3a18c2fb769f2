"""Tables of the audit service (database `ecoc_audit`).

`audit_entries` and `audit_checkpoints` are append-only: triggers (see the migrations) refuse UPDATE,
DELETE and TRUNCATE, the service connects as a role that may only INSERT and SELECT, and every entry
carries the sha256 hash chaining it to the entry before it.
"""
from sqlalchemy import (BigInteger, Column, DateTime, Identity, Index, LargeBinary, MetaData, SmallInteger, String,
                        Table, Text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from common.outbox import outbox_tables

metadata = MetaData()
# Declared so every service database has the same shape. The audit service emits no events and
# is idempotent through the unique event_id of audit_entries, so neither table is used.
outbox, inbox = outbox_tables(metadata)

audit_entries = Table(
    "audit_entries", metadata,
    Column("seq", BigInteger, Identity(always=False), primary_key=True),
    # Free-length text columns: the log must never refuse an event because a field is long.
    Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("event_type", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor", Text),
    Column("roles", ARRAY(Text)),
    Column("entity", Text),
    Column("subject", Text, nullable=False),
    Column("subjects", ARRAY(Text), nullable=False),
    Column("trace_id", Text),
    Column("payload", JSONB, nullable=False),
    Column("payload_digest", String(64)),
    Column("prev_hash", String(64), nullable=False),
    # the digest hash = sha256(prev_hash + digest) was made from; NULL for entries written before it was stored
    Column("digest", String(64)),
    # format 2 with more than items.STORED_LEAVES keys: the digests of its Merkle leaves (32 raw bytes each, in key
    # order), so an evidence pack proves one key without re-hashing the others; NULL otherwise and before 0006
    Column("leaf_digests", LargeBinary),
    Column("hash", String(64), nullable=False),
    # 1: the content fields are hashed as one block; 2: each subject's part separately (domain/items.py)
    Column("format", SmallInteger, nullable=False, server_default="1"),
    Index("ix_audit_entries_subjects", "subjects", postgresql_using="gin"),
    Index("ix_audit_entries_actor_seq", "actor", "seq"),
    Index("ix_audit_entries_entity_seq", "entity", "seq"),
    Index("ix_audit_entries_event_type_seq", "event_type", "seq"),
    Index("ix_audit_entries_occurred_at", "occurred_at"),
)

# The chain's head sealed with the audit key from time to time (domain/checkpoints.py).
audit_checkpoints = Table(
    "audit_checkpoints", metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", Text, nullable=False),
    Index("ix_audit_checkpoints_seq", "seq"),
)
