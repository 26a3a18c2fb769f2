"""entry format: 2 commits to each subject's part of the payload separately

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:50:00

Entries recorded before keep format 1 and verify as they always did; every entry recorded after is of
format 2 (services/audit/domain/items.py). Adding a column with a constant default rewrites no row, so the
triggers that refuse UPDATE are not involved.
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("audit_entries", sa.Column("format", sa.SmallInteger(), nullable=False, server_default="1"))


def downgrade():
    op.drop_column("audit_entries", "format")
