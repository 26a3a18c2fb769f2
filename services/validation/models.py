"""Tables of the validation service (database `ecoc_validation`).

`validation_reports` holds the current report of each vehicle revision (one row per vin + revision,
replaced when that revision is judged again); `validation_report_history` keeps every report ever
made, so a replaced judgement stays on record.
"""
from sqlalchemy import (
    BigInteger, Column, Date, DateTime, Identity, Index, Integer, MetaData, String, Table, UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from common.outbox import outbox_tables

metadata = MetaData()
outbox, inbox = outbox_tables(metadata)


def _report_columns():
    return [
        Column("vin", String(64), nullable=False),
        Column("revision", Integer, nullable=False),
        Column("entity", String(32)),
        Column("status", String(16), nullable=False),
        Column("findings", JSONB, nullable=False),
        Column("rule_pack", JSONB, nullable=False),  # {"core": "2026.11.1", ...}: what judged it
        Column("approval_number", String(64)),
        Column("approval_revision", Integer),  # the approval revision in force that was used, if resolved
        Column("event_id", String(36)),  # the vehicle_changed event that asked for it (None: RPC)
        Column("validated_at", DateTime(timezone=True), nullable=False),
    ]


validation_reports = Table(
    "validation_reports", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    *_report_columns(),
    UniqueConstraint("vin", "revision", name="uq_validation_reports_vin_revision"),
)

validation_report_history = Table(
    "validation_report_history", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    *_report_columns(),
    Index("ix_validation_report_history_vin_revision", "vin", "revision"),
)

# The exceptions register: a *warning* accepted, with a reason and an expiry, for one VIN or for an approval
# revision, by someone other than who asked (four-eyes). An error is never waived. The row is the request and its
# decision; whether an accepted exception still applies follows from `expires_on` (the day it stops applying).
exceptions = Table(
    "exceptions", metadata,
    Column("id", String(36), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("vin", String(17)),
    Column("approval_number", String(64)),
    Column("approval_revision", Integer),
    Column("reason", String(2000), nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decision", String(16)),  # null while open; accepted | refused
    Column("decided_by", String(200)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_note", String(2000)),
    Index("ix_exceptions_entity", "entity", "requested_at"),
    Index("ix_exceptions_vin", "vin"),
)
