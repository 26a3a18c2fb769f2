"""audit: an index on (entity, seq) for an entity's entries in seq order

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:45:00

An auditor sees the entries of their entities only: a query by time window or event type pages one entity's
entries in seq order, which at ten million entries must not walk everyone else's. An index changes no row, so the
append-only triggers are not involved.
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_entries_entity_seq", "audit_entries", ["entity", "seq"])


def downgrade():
    op.drop_index("ix_audit_entries_entity_seq", table_name="audit_entries")
