"""certificates: the SHA-256 of the composed content sealed, as its release pinned it for review

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('certificates', sa.Column('content_sha256', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('certificates', 'content_sha256')
