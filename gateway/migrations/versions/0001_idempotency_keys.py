"""idempotency_keys: first responses of POSTs carrying an Idempotency-Key

Revision ID: 0001
Revises:
Create Date: 2026-11-27 01:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "idempotency_keys",
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("caller", "key"),
    )
    op.create_index(op.f("ix_idempotency_keys_claimed_at"), "idempotency_keys", ["claimed_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_idempotency_keys_claimed_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
