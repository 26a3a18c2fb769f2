"""vehicles: release items pin the reviewed content; vehicles keep what judged them

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ITEM_COLUMNS = (
    ('approval_id', sa.String(length=36)),
    ('approval_number', sa.String(length=35)),
    ('approval_revision', sa.Integer()),
    ('rule_packs', postgresql.JSONB(astext_type=sa.Text())),
    ('content', postgresql.JSONB(astext_type=sa.Text())),
    ('content_sha256', sa.String(length=64)),
    ('reopened_reason', sa.Text()),
)


def upgrade():
    op.add_column('vehicles', sa.Column('judged_with', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    for name, type_ in ITEM_COLUMNS:
        op.add_column('release_items', sa.Column(name, type_, nullable=True))


def downgrade():
    for name, _ in reversed(ITEM_COLUMNS):
        op.drop_column('release_items', name)
    op.drop_column('vehicles', 'judged_with')
