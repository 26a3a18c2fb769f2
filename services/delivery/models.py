"""Tables of the delivery service (database `ecoc_delivery`): NAP targets per entity, deliveries of certificate
versions and every attempt made for them."""
from sqlalchemy import (
    BigInteger, Boolean, Column, DateTime, Float, Identity, Index, Integer, LargeBinary, MetaData, String, Table, Text,
    UniqueConstraint, text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from common.outbox import outbox_tables

metadata = MetaData()
outbox, inbox = outbox_tables(metadata)

targets = Table(
    "targets", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("country", String(3)),  # the intended country of registration it serves; NULL: the entity's default
    Column("endpoint", Text, nullable=False),
    Column("profile", String(32), nullable=False),  # soap11-embedded | wsdl
    Column("wsdl", Text),
    # names of files in ECOC_DELIVERY_CREDENTIALS_DIR, never the key material itself
    Column("client_cert", Text, nullable=False),
    Column("client_key", Text, nullable=False),
    Column("ca_cert", Text),
    Column("timeout_seconds", Float, nullable=False),
    Column("concurrency", Integer, nullable=False),
    Column("auto_deliver", Boolean, nullable=False),  # queue the entity's released certificates automatically
    Column("enabled", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200)),
    UniqueConstraint("entity", "name"),
    Index("one_target_per_entity_country", "entity", "country", unique=True, postgresql_nulls_not_distinct=True),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("vin", String(17), nullable=False),
    Column("reference_id", UUID(as_uuid=False), nullable=False),
    Column("version_number", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("document", LargeBinary, nullable=False),  # the sealed bytes: every attempt sends exactly these
    Column("target_id", UUID(as_uuid=False), nullable=False),
    Column("target_name", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # queued | sending | accepted | rejected | failed
    Column("trigger", String(16), nullable=False),  # auto | manual | redelivery
    Column("requested_by", String(200)),
    Column("owner", String(200)),  # who has to act on a rejection or failure
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("deadline_at", DateTime(timezone=True), nullable=False),  # transient failures after it: failed
    Column("lease_until", DateTime(timezone=True)),  # a `sending` delivery whose lease ran out is taken again
    Column("finished_at", DateTime(timezone=True)),
    Column("receipt_id", String(200)),
    Column("errors", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("last_error", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_deliveries_vin", "vin", "version_number"),
    Index("ix_deliveries_entity_state", "entity", "state"),
    Index("ix_deliveries_due", "next_attempt_at", postgresql_where=text("state IN ('queued', 'sending')")),
    # at most one open delivery of a certificate version to a target; the automatic one only once ever
    Index("one_open_delivery", "reference_id", "target_id", unique=True,
          postgresql_where=text("state IN ('queued', 'sending')")),
    Index("one_automatic_delivery", "reference_id", "target_id", unique=True,
          postgresql_where=text("trigger = 'auto'")),
)

attempts = Table(
    "attempts", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("delivery_id", UUID(as_uuid=False), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("latency_ms", Float),
    Column("http_status", Integer),
    Column("outcome", String(16)),  # accepted | rejected | transient | interrupted; NULL while under way
    Column("receipt_id", String(200)),
    Column("errors", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("detail", Text),
    UniqueConstraint("delivery_id", "number"),
)
