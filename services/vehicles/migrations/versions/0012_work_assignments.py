"""vehicles: teams name OIDC groups; work items have an assignee

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('teams', sa.Column('groups', postgresql.JSONB(astext_type=sa.Text()), nullable=False,
                                     server_default='[]'))
    op.create_table(
        'work_assignments',
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('item_id', sa.String(length=36), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('assignee', sa.String(length=200), nullable=False),
        sa.Column('assigned_by', sa.String(length=200), nullable=False),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'item_id'),
    )
    op.create_index('ix_work_assignments_assignee', 'work_assignments', ['assignee'])


def downgrade():
    op.drop_index('ix_work_assignments_assignee', table_name='work_assignments')
    op.drop_table('work_assignments')
    op.drop_column('teams', 'groups')
