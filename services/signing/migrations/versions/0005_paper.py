"""signing: the paper CoC's per-entity print settings and per-certificate print counts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:20:00

A paper CoC is printed from the sealed certificate; the signing service, which keeps the sealed documents, also
keeps how often each was printed (re-prints are marked DUPLICATE with their count) and each entity's layout for
its security paper.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "paper_layouts",
        sa.Column("entity", sa.String(32), primary_key=True),
        sa.Column("settings", JSONB, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "paper_prints",
        sa.Column("reference_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("prints", sa.Integer, nullable=False),
        sa.Column("last_printed_by", sa.String(200), nullable=False),
        sa.Column("last_printed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("paper_prints")
    op.drop_table("paper_layouts")
