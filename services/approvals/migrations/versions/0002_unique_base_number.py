"""one approval per base number, enforced by the database

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_approvals_base_number", table_name="approvals")
    op.create_unique_constraint("approvals_base_number_key", "approvals", ["base_number"])


def downgrade():
    op.drop_constraint("approvals_base_number_key", "approvals", type_="unique")
    op.create_index("ix_approvals_base_number", "approvals", ["base_number"], unique=False)
