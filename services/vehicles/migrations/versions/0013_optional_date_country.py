"""vehicles: production date and intended country optional (IVI 2.0 leaves them out of L-category CoCs)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column('vehicles', 'production_date', existing_type=sa.Date(), nullable=True)
    op.alter_column('vehicles', 'intended_country', existing_type=sa.String(length=3), nullable=True)


def downgrade():
    # refused by PostgreSQL while a vehicle has neither (an L-category record imported as its IVI message is)
    op.alter_column('vehicles', 'intended_country', existing_type=sa.String(length=3), nullable=False)
    op.alter_column('vehicles', 'production_date', existing_type=sa.Date(), nullable=False)
