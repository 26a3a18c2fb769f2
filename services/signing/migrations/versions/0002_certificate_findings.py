"""certificate findings (warnings found before sealing, e.g. the seal certificate expires soon); withdrawn_at

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('certificates', sa.Column('findings', postgresql.JSONB(astext_type=sa.Text()),
                                            server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.add_column('certificates', sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('certificates', 'withdrawn_at')
    op.drop_column('certificates', 'findings')
