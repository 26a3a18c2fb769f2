"""Tables of the approvals service (database `ecoc_approvals`)."""
from sqlalchemy import (
    Boolean, Column, Date, DateTime, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from common.outbox import outbox_tables

metadata = MetaData()
outbox, inbox = outbox_tables(metadata)

entities = Table(
    "entities", metadata,
    Column("code", String(32), primary_key=True),
    Column("legal_name", String(150), nullable=False),
    Column("role", String(32), nullable=False),
    Column("address", JSONB, nullable=False),
    Column("wmis", JSONB, nullable=False),
    Column("signatories", JSONB, nullable=False),
    Column("seal_certificate", Text),
    Column("revision", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200)),
)

approvals = Table(
    "approvals", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("number", String(35), nullable=False),
    Column("base_number", String(35), nullable=False),
    Column("entity", String(32), ForeignKey("entities.code"), nullable=False, index=True),
    Column("approval_type", String(3), nullable=False),
    Column("provisional", Boolean, nullable=False),
    Column("category", String(10), nullable=False),  # VehicleCategoryCode: up to 10 (L3e-A1E, T4.1a)
    Column("stage_of_completion", String(1), nullable=False),
    Column("status", String(16), nullable=False),
    Column("withdrawn_on", Date),
    Column("withdrawal_reason", Text),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("withdrawn_by", String(200)),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200)),
    # numbers are unique within a legal entity only: another entity's approval is never looked at
    UniqueConstraint("entity", "base_number", name="approvals_entity_base_number_key"),
    UniqueConstraint("entity", "number", name="approvals_entity_number_key"),
)

# Each registration or extension is an immutable revision holding the complete type-level data.
approval_revisions = Table(
    "approval_revisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("approval_id", UUID(as_uuid=False), ForeignKey("approvals.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("extension", Integer, nullable=False),
    Column("number", String(35), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("coc", JSONB, nullable=False),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200)),
    UniqueConstraint("approval_id", "revision"),
)

approval_versions = Table(
    "approval_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("revision_id", Integer, ForeignKey("approval_revisions.id"), nullable=False),
    Column("type", String(15), nullable=False),
    Column("variant", String(25), nullable=False),
    Column("version", String(35), nullable=False),
    Column("coc", JSONB, nullable=False),
    Column("ranges", JSONB, nullable=False),
    UniqueConstraint("revision_id", "type", "variant", "version"),
)
