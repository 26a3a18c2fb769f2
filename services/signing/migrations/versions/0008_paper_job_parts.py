"""signing: a release's print job in parts, rendered by several renderers at once and put together in VIN order

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:00:00

A part is a range of the release's VINs (after `after_vin`, up to and including `upto_vin`; NULL is open). Parts
are claimed like jobs were (SKIP LOCKED), each by one renderer; the job's file is put together once every part
is rendered. Jobs waiting when this runs get one part of the whole release.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("paper_jobs", sa.Column("parts", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "paper_job_parts",
        sa.Column("job_id", UUID(as_uuid=False), sa.ForeignKey("paper_jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("part", sa.Integer, primary_key=True),
        sa.Column("after_vin", sa.String(17)),
        sa.Column("upto_vin", sa.String(17)),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("content", sa.LargeBinary),
    )
    op.execute("ALTER TABLE paper_job_parts ALTER COLUMN content SET STORAGE EXTERNAL")
    op.create_index("ix_paper_job_parts_waiting", "paper_job_parts", ["job_id", "part"],
                    postgresql_where=sa.text("status IN ('queued', 'rendering')"))
    op.execute("INSERT INTO paper_job_parts (job_id, part, count, status) "
               "SELECT id, 1, count, 'queued' FROM paper_jobs WHERE status IN ('queued', 'rendering')")
    op.execute("UPDATE paper_jobs SET status = 'queued', started_at = NULL WHERE status = 'rendering'")


def downgrade():
    op.drop_index("ix_paper_job_parts_waiting", table_name="paper_job_parts")
    op.drop_table("paper_job_parts")
    op.drop_column("paper_jobs", "parts")
