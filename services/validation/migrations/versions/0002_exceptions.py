"""validation: the exceptions register (accepted warnings, four-eyes, with an expiry)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 12:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'exceptions',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('rule', sa.String(length=64), nullable=False),
        sa.Column('vin', sa.String(length=17), nullable=True),
        sa.Column('approval_number', sa.String(length=64), nullable=True),
        sa.Column('approval_revision', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=2000), nullable=False),
        sa.Column('expires_on', sa.Date(), nullable=False),
        sa.Column('requested_by', sa.String(length=200), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=True),
        sa.Column('decided_by', sa.String(length=200), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.CheckConstraint('(vin IS NULL) <> (approval_number IS NULL)', name='ck_exceptions_one_scope'),
    )
    op.create_index('ix_exceptions_entity', 'exceptions', ['entity', 'requested_at'])
    op.create_index('ix_exceptions_vin', 'exceptions', ['vin'])


def downgrade():
    op.drop_index('ix_exceptions_vin', table_name='exceptions')
    op.drop_index('ix_exceptions_entity', table_name='exceptions')
    op.drop_table('exceptions')
