"""initial

Revision ID: 0001
Revises: 
Create Date: 2026-12-03 12:09:37.235824
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from common.migration_ops import create_outbox_inbox, drop_outbox_inbox

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attempts',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('delivery_id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('receipt_id', sa.String(length=200), nullable=True),
    sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('delivery_id', 'number')
    )
    op.create_index(op.f('ix_attempts_delivery_id'), 'attempts', ['delivery_id'], unique=False)
    op.create_table('deliveries',
    sa.Column('id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('vin', sa.String(length=17), nullable=False),
    sa.Column('reference_id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=False),
    sa.Column('target_id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('target_name', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=True),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('receipt_id', sa.String(length=200), nullable=True),
    sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_deliveries_due', 'deliveries', ['next_attempt_at'], unique=False, postgresql_where=sa.text("state IN ('queued', 'sending')"))
    op.create_index('ix_deliveries_entity_state', 'deliveries', ['entity', 'state'], unique=False)
    op.create_index('ix_deliveries_vin', 'deliveries', ['vin', 'version_number'], unique=False)
    op.create_index('one_automatic_delivery', 'deliveries', ['reference_id', 'target_id'], unique=True, postgresql_where=sa.text("trigger = 'auto'"))
    op.create_index('one_open_delivery', 'deliveries', ['reference_id', 'target_id'], unique=True, postgresql_where=sa.text("state IN ('queued', 'sending')"))
    create_outbox_inbox(op)
    op.create_table('targets',
    sa.Column('id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('country', sa.String(length=3), nullable=True),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('profile', sa.String(length=32), nullable=False),
    sa.Column('wsdl', sa.Text(), nullable=True),
    sa.Column('client_cert', sa.Text(), nullable=False),
    sa.Column('client_key', sa.Text(), nullable=False),
    sa.Column('ca_cert', sa.Text(), nullable=True),
    sa.Column('timeout_seconds', sa.Float(), nullable=False),
    sa.Column('concurrency', sa.Integer(), nullable=False),
    sa.Column('auto_deliver', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity', 'name')
    )
    op.create_index('one_target_per_entity_country', 'targets', ['entity', 'country'], unique=True, postgresql_nulls_not_distinct=True)


def downgrade():
    op.drop_index('one_target_per_entity_country', table_name='targets', postgresql_nulls_not_distinct=True)
    op.drop_table('targets')
    drop_outbox_inbox(op)
    op.drop_index('one_open_delivery', table_name='deliveries', postgresql_where=sa.text("state IN ('queued', 'sending')"))
    op.drop_index('one_automatic_delivery', table_name='deliveries', postgresql_where=sa.text("trigger = 'auto'"))
    op.drop_index('ix_deliveries_vin', table_name='deliveries')
    op.drop_index('ix_deliveries_entity_state', table_name='deliveries')
    op.drop_index('ix_deliveries_due', table_name='deliveries', postgresql_where=sa.text("state IN ('queued', 'sending')"))
    op.drop_table('deliveries')
    op.drop_index(op.f('ix_attempts_delivery_id'), table_name='attempts')
    op.drop_table('attempts')
