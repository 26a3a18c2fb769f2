"""audit: each entry's digest stored beside its hash; checkpoints found by the entry they seal

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:20:00

An evidence pack proves a VIN's entries with the (seq, digest) of the entries between them and the checkpoint
that seals them. Recomputing those digests meant reading every payload in between (batch events name hundreds of
vehicles); the digest is now written with the entry (a stored digest that does not match the entry's content is
reported by the chain check like any other alteration). Entries written before keep NULL and have their digest
recomputed when needed: rewriting them is impossible (append-only) and unnecessary. Adding a column changes no
row, so the append-only triggers are not involved.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("audit_entries", sa.Column("digest", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_checkpoints_seq", "audit_checkpoints", ["seq"])


def downgrade():
    op.drop_index("ix_audit_checkpoints_seq", table_name="audit_checkpoints")
    op.drop_column("audit_entries", "digest")
