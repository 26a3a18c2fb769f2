"""audit: the Merkle leaf digests of a batch entry stored with it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 18:40:00

An evidence pack proves a VIN's part of a batch entry with the sibling hashes on its leaf's path; computing them
meant re-hashing the canonical JSON of every other key's leaf (a thousand per entry of a 1,000-vehicle release,
~25 ms each). Entries of more than 16 keys now store their leaf digests when written (a stored set that does not
match the payload is reported by the chain check, and a pack's own leaf is always computed from the payload).
Entries written before keep NULL and are computed as before. Adding a column changes no row, so the append-only
triggers are not involved.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("audit_entries", sa.Column("leaf_digests", sa.LargeBinary(), nullable=True))


def downgrade():
    op.drop_column("audit_entries", "leaf_digests")
