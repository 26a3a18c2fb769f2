"""signing: the legacy system's highest IviVersionNumber per VIN, which ecoc's certificates continue

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'legacy_versions',
        sa.Column('vin', sa.String(length=17), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('version_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('vin'),
    )


def downgrade():
    op.drop_table('legacy_versions')
