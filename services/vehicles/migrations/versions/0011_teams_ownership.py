"""vehicles: teams and ownership rules

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:10:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'teams',
        sa.Column('id', postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('members', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('entity', 'name', name='uq_teams_entity_name'),
    )
    op.create_table(
        'ownership_rules',
        sa.Column('id', postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('team_id', postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column('field', sa.String(length=32), nullable=False),
        sa.Column('pattern', sa.String(length=64), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_ownership_rules_entity', 'ownership_rules', ['entity'])


def downgrade():
    op.drop_index('ix_ownership_rules_entity', table_name='ownership_rules')
    op.drop_table('ownership_rules')
    op.drop_table('teams')
