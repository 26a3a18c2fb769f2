"""vehicles: indexes for the reads of a region's volume (bench/read_latency.py)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:40:00

The vehicle list pages in VIN order within an entity (and a status), the dashboard counts an entity's vehicles
by intended country and status (from the index alone) and lists its most recently blocked vehicles.
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_vehicles_entity', table_name='vehicles')  # (entity, vin) serves its queries
    op.create_index('ix_vehicles_entity_vin', 'vehicles', ['entity', 'vin'])
    op.create_index('ix_vehicles_entity_status_vin', 'vehicles', ['entity', 'status', 'vin'])
    op.create_index('ix_vehicles_entity_country_status', 'vehicles', ['entity', 'intended_country', 'status'])
    op.execute("CREATE INDEX ix_vehicles_blocked_recent ON vehicles (entity, updated_at DESC, vin) "
               "WHERE status = 'blocked'")


def downgrade():
    for name in ('ix_vehicles_blocked_recent', 'ix_vehicles_entity_country_status', 'ix_vehicles_entity_status_vin',
                 'ix_vehicles_entity_vin'):
        op.drop_index(name, table_name='vehicles')
    op.create_index('ix_vehicles_entity', 'vehicles', ['entity'])
