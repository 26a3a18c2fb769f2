"""vehicles: an index for the release list (GET /v1/releases) in request order within an entity

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:30:00
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_releases_entity_requested', 'releases', ['entity', 'requested_at', 'id'])


def downgrade():
    op.drop_index('ix_releases_entity_requested', table_name='releases')
