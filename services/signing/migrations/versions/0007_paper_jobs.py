"""signing: release print jobs (a release's paper CoCs rendered in the background and kept for download)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:10:00

A release of any size prints: the request stores a queued job, a signing process claims it (rows locked with
SKIP LOCKED, so replicas share the queue), renders it in a child process and stores the file with its SHA-256.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "paper_jobs",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("release_id", UUID(as_uuid=False), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("form", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_roles", JSONB, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger),
        sa.Column("sha256", sa.String(64)),
        sa.Column("content", sa.LargeBinary),
    )
    # the content is PDF or zip, compressed already: stored out of line and uncompressed, so a chunk is read
    # without decompressing the whole file
    op.execute("ALTER TABLE paper_jobs ALTER COLUMN content SET STORAGE EXTERNAL")
    op.create_index("ix_paper_jobs_waiting", "paper_jobs", ["requested_at"],
                    postgresql_where=sa.text("status IN ('queued', 'rendering')"))


def downgrade():
    op.drop_index("ix_paper_jobs_waiting", table_name="paper_jobs")
    op.drop_table("paper_jobs")
