"""release status holds completed_with_failures

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("releases", "status", type_=sa.String(length=32), existing_type=sa.String(length=16),
                    existing_nullable=False)


def downgrade():
    op.alter_column("releases", "status", type_=sa.String(length=16), existing_type=sa.String(length=32),
                    existing_nullable=False)
