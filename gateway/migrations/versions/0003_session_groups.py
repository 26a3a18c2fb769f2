"""dashboard_sessions.groups: the groups claim of the person signed in (teams may name groups)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 15:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('dashboard_sessions', sa.Column('groups', postgresql.JSONB(astext_type=sa.Text()), nullable=False,
                                                  server_default='[]'))


def downgrade():
    op.drop_column('dashboard_sessions', 'groups')
