"""signing: an index for counting an entity's current certificates per seal

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:50:00

The dashboard shows per entity how many current certificates each seal sealed; at a region's volume that count
must come from an index, not from a scan of every certificate.
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_certificates_current_entity_seal", "certificates", ["entity", "seal_fingerprint"],
                    postgresql_where=sa.text("status = 'current'"))


def downgrade():
    op.drop_index("ix_certificates_current_entity_seal", table_name="certificates")
