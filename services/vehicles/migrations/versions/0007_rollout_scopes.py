"""vehicles: the copy of each entity's rollout scopes the release path asks

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rollout_scopes',
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.Column('scopes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint('entity'),
    )


def downgrade():
    op.drop_table('rollout_scopes')
