"""Tables of the webhooks service (database `ecoc_webhooks`): subscriptions with their signing secrets, the
deliveries queued for them with every attempt, and the position of the event intake in the change feed."""
from sqlalchemy import (BigInteger, Boolean, Column, DateTime, ForeignKey, Identity, Index, Integer, MetaData, String,
                        Table, Text, UniqueConstraint)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from common.outbox import outbox_tables

metadata = MetaData()
outbox, inbox = outbox_tables(metadata)

subscriptions = Table(
    "subscriptions", metadata,
    Column("id", String(36), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("url", Text, nullable=False),
    Column("event_types", ARRAY(Text)),  # None: every event type
    Column("description", Text),
    # The HMAC key of the deliveries, shown only once; stored encrypted (domain/sealing.py), as it must be readable
    # to sign.
    Column("secret", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("disabled_reason", Text),
    Column("failing_since", DateTime(timezone=True)),  # first failure since the last success
    Column("revision", Integer, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_subscriptions_entity", "entity"),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", String(36), primary_key=True),
    Column("seq", BigInteger, Identity(always=False), nullable=False, unique=True),  # the log's order and cursor
    Column("subscription_id", String(36), ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("event", JSONB, nullable=False),  # the feed event, as /v1/events shows it: the body sent
    Column("status", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),  # pending: due then (a claimed one: its lease ends then)
    Column("queued_at", DateTime(timezone=True), nullable=False),  # or redelivered at: the retry window starts
    Column("delivered_at", DateTime(timezone=True)),
    Column("last_status_code", Integer),
    Column("last_latency_ms", Integer),
    Column("last_error", Text),
    Column("last_attempt_at", DateTime(timezone=True)),
    UniqueConstraint("subscription_id", "event_id", name="uq_deliveries_subscription_event"),
    Index("ix_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
    Index("ix_deliveries_subscription_seq", "subscription_id", "seq"),
)

attempts = Table(
    "attempts", metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("delivery_id", String(36), ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("error", Text),
    Index("ix_attempts_delivery", "delivery_id", "id"),
)

# One row: the id of the last change-feed event taken in (None: none yet).
intake = Table(
    "intake", metadata,
    Column("id", Integer, primary_key=True),
    Column("after_event", String(36)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
