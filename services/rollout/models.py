"""Tables of the rollout service (database `ecoc_rollout`)."""
from sqlalchemy import (BigInteger, Boolean, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table,
                        Text, UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from common.outbox import outbox_tables

metadata = MetaData()
outbox, inbox = outbox_tables(metadata)

# One row per entity that has scopes: locked while a scope of the entity is saved (overlap checks see every
# scope), and its generation orders the `scope_changed` events other services keep a copy from.
entity_scopes = Table(
    "entity_scopes", metadata,
    Column("entity", String(32), primary_key=True),
    Column("generation", BigInteger, nullable=False),
)

scopes = Table(
    "scopes", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("entity", String(32), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("selector", JSONB, nullable=False),
    Column("mode", String(8), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("cutover", JSONB),  # a pending shadow -> live request: {requested_by, requested_at, report_sha256}
    Column("explanations", JSONB, nullable=False, server_default="{}"),  # {field path: {reason, by, at}}
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200)),
    UniqueConstraint("entity", "name", name="uq_scopes_entity_name"),
)

# The legacy system's eCoCs, kept byte-exact; `coc` is their CoC data in IVI 2.0 terms (converted from 1.11).
legacy_documents = Table(
    "legacy_documents", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("vin", String(17), nullable=False),
    Column("format", String(8), nullable=False),  # "ivi2.0" | "ivi1.11"
    Column("filename", String(255)),
    Column("document", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("reference_id", String(64)),
    Column("version_number", Integer),
    Column("header", JSONB, nullable=False),
    Column("coc", JSONB, nullable=False),
    Column("seal", JSONB, nullable=False),  # {status: intact | broken | absent, trusted: false, errors, signer}
    Column("conversion", JSONB),  # IVI 1.11 only: the conversion report
    Column("findings", JSONB, nullable=False, server_default="[]"),  # ecoc's rules on the legacy document
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("received_by", String(200)),
    UniqueConstraint("entity", "sha256", name="uq_legacy_entity_sha256"),
    Index("ix_legacy_entity_vin", "entity", "vin"),
)

# ecoc's side: the latest composition of each vehicle (what ecoc would certify), kept from vehicle_changed.
compositions = Table(
    "compositions", metadata,
    Column("vin", String(17), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("subject", JSONB, nullable=False),  # what scope selectors look at (common.rollout_scopes.subject_of)
    Column("content", JSONB),  # None while the approval reference does not resolve
    Column("content_sha256", String(64)),
    Column("problem", Text),
    Column("shadow_seal", JSONB),  # in a shadow scope: {ok, sha256, problem} of sealing it with the test seal
    Column("composed_at", DateTime(timezone=True), nullable=False),
    Index("ix_compositions_entity", "entity"),
)

# One comparison per VIN: the newest legacy document against the newest composition.
parity_results = Table(
    "parity_results", metadata,
    Column("vin", String(17), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("legacy_id", UUID(as_uuid=False), nullable=False),
    Column("composition_revision", Integer, nullable=False),
    Column("match", Boolean, nullable=False),
    Column("differences", JSONB, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Index("ix_parity_entity_computed", "entity", "computed_at"),
)
