"""vehicles: an earlier stage belongs to the entity that imported it (one per VIN, entity and stage number)

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint("vehicle_stages_vin_stage_key", "vehicle_stages", type_="unique")
    op.create_unique_constraint("vehicle_stages_vin_entity_stage_key", "vehicle_stages", ["vin", "entity", "stage"])


def downgrade():
    op.drop_constraint("vehicle_stages_vin_entity_stage_key", "vehicle_stages", type_="unique")
    op.create_unique_constraint("vehicle_stages_vin_stage_key", "vehicle_stages", ["vin", "stage"])
