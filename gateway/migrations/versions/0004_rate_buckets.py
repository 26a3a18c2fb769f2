"""rate_buckets: the callers' token buckets, shared by the gateway's replicas

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 16:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rate_buckets',
        sa.Column('caller', sa.String(length=200), nullable=False),
        sa.Column('tokens', sa.Float(), nullable=False),
        sa.Column('refilled_at', sa.Float(), nullable=False),
        sa.Column('paid', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('caller'),
        # no WAL: a charge commits without waiting for a disk flush; a database crash empties the table, which
        # gives every caller a full bucket once
        prefixes=['UNLOGGED'],
    )


def downgrade():
    op.drop_table('rate_buckets')
