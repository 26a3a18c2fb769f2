"""initial: rollout scopes, legacy documents, compositions and parity results

Revision ID: 0001
Revises:
Create Date: 2026-12-03 12:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from common.migration_ops import create_outbox_inbox, drop_outbox_inbox

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade():
    create_outbox_inbox(op)
    op.create_table(
        'entity_scopes',
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('entity'),
    )
    op.create_table(
        'scopes',
        sa.Column('id', sa.UUID(as_uuid=False), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('selector', JSONB, nullable=False),
        sa.Column('mode', sa.String(length=8), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('cutover', JSONB, nullable=True),
        sa.Column('explanations', JSONB, server_default='{}', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('entity', 'name', name='uq_scopes_entity_name'),
    )
    op.create_index(op.f('ix_scopes_entity'), 'scopes', ['entity'], unique=False)
    op.create_table(
        'legacy_documents',
        sa.Column('id', sa.UUID(as_uuid=False), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('vin', sa.String(length=17), nullable=False),
        sa.Column('format', sa.String(length=8), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=True),
        sa.Column('document', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('reference_id', sa.String(length=64), nullable=True),
        sa.Column('version_number', sa.Integer(), nullable=True),
        sa.Column('header', JSONB, nullable=False),
        sa.Column('coc', JSONB, nullable=False),
        sa.Column('seal', JSONB, nullable=False),
        sa.Column('conversion', JSONB, nullable=True),
        sa.Column('findings', JSONB, server_default='[]', nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_by', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('entity', 'sha256', name='uq_legacy_entity_sha256'),
    )
    op.create_index('ix_legacy_entity_vin', 'legacy_documents', ['entity', 'vin'], unique=False)
    op.create_table(
        'compositions',
        sa.Column('vin', sa.String(length=17), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('subject', JSONB, nullable=False),
        sa.Column('content', JSONB, nullable=True),
        sa.Column('content_sha256', sa.String(length=64), nullable=True),
        sa.Column('problem', sa.Text(), nullable=True),
        sa.Column('shadow_seal', JSONB, nullable=True),
        sa.Column('composed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('vin'),
    )
    op.create_index('ix_compositions_entity', 'compositions', ['entity'], unique=False)
    op.create_table(
        'parity_results',
        sa.Column('vin', sa.String(length=17), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('legacy_id', sa.UUID(as_uuid=False), nullable=False),
        sa.Column('composition_revision', sa.Integer(), nullable=False),
        sa.Column('match', sa.Boolean(), nullable=False),
        sa.Column('differences', JSONB, nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('vin'),
    )
    op.create_index('ix_parity_entity_computed', 'parity_results', ['entity', 'computed_at'], unique=False)


def downgrade():
    op.drop_index('ix_parity_entity_computed', table_name='parity_results')
    op.drop_table('parity_results')
    op.drop_index('ix_compositions_entity', table_name='compositions')
    op.drop_table('compositions')
    op.drop_index('ix_legacy_entity_vin', table_name='legacy_documents')
    op.drop_table('legacy_documents')
    op.drop_index(op.f('ix_scopes_entity'), table_name='scopes')
    op.drop_table('scopes')
    op.drop_table('entity_scopes')
    drop_outbox_inbox(op)
