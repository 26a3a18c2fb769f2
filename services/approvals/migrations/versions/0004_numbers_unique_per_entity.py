"""approval numbers unique per legal entity, not across entities

Another entity may hold the same number without either seeing the other's approval.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint("approvals_base_number_key", "approvals", type_="unique")
    op.drop_constraint("approvals_number_key", "approvals", type_="unique")
    op.create_unique_constraint("approvals_entity_base_number_key", "approvals", ["entity", "base_number"])
    op.create_unique_constraint("approvals_entity_number_key", "approvals", ["entity", "number"])


def downgrade():
    op.drop_constraint("approvals_entity_number_key", "approvals", type_="unique")
    op.drop_constraint("approvals_entity_base_number_key", "approvals", type_="unique")
    op.create_unique_constraint("approvals_number_key", "approvals", ["number"])
    op.create_unique_constraint("approvals_base_number_key", "approvals", ["base_number"])
