"""Tables of the validation service (database `ecoc_validation`).

`validation_reports` holds the current report of each vehicle revision (one row per vin + revision,
replaced when that revision is judged again); `validation_report_history` keeps every report ever
made, so a replaced judgement stays on record.
"""
from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, Integer, MetaData, String, Table, UniqueConstraint
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
