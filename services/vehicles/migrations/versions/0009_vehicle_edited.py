"""vehicles: `edited` marks a vehicle changed by PATCH or a correction since its last import

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:40:00

A re-import of such a vehicle would silently undo the edit; it is a conflict for that row unless the import asks
to replace.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('vehicles', sa.Column('edited', sa.Boolean(), nullable=False, server_default=sa.text('false')))


def downgrade():
    op.drop_column('vehicles', 'edited')
