"""initial: subscriptions, deliveries, attempts and the intake position of the webhooks service

Revision ID: 0001
Revises: 
Create Date: 2026-12-03 12:12:03.925994
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
    create_outbox_inbox(op)
    op.create_table('intake',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('after_event', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('subscriptions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('event_types', postgresql.ARRAY(sa.Text()), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.Text(), nullable=True),
    sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_subscriptions_entity', 'subscriptions', ['entity'], unique=False)
    op.create_table('deliveries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.Text(), nullable=False),
    sa.Column('event', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_latency_ms', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seq'),
    sa.UniqueConstraint('subscription_id', 'event_id', name='uq_deliveries_subscription_event')
    )
    op.create_index('ix_deliveries_due', 'deliveries', ['next_attempt_at'], unique=False, postgresql_where="status = 'pending'")
    op.create_index('ix_deliveries_subscription_seq', 'deliveries', ['subscription_id', 'seq'], unique=False)
    op.create_table('attempts',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('delivery_id', sa.String(length=36), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_attempts_delivery', 'attempts', ['delivery_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_attempts_delivery', table_name='attempts')
    op.drop_table('attempts')
    op.drop_index('ix_deliveries_subscription_seq', table_name='deliveries')
    op.drop_index('ix_deliveries_due', table_name='deliveries', postgresql_where="status = 'pending'")
    op.drop_table('deliveries')
    op.drop_index('ix_subscriptions_entity', table_name='subscriptions')
    op.drop_table('subscriptions')
    op.drop_table('intake')
    drop_outbox_inbox(op)
