"""Tables of the audit service (database `ecoc_audit`).

`audit_entries` is append-only: a trigger (see the initial migration) refuses UPDATE, DELETE and
TRUNCATE, and every row carries the sha256 hash chaining it to the row before it.
"""
from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, MetaData, String, Table, Text
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
    Column("entity", Text),
    Column("subject", Text, nullable=False),
    Column("subjects", ARRAY(Text), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_entries_subjects", "subjects", postgresql_using="gin"),
)
