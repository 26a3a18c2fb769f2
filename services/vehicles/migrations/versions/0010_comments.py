"""vehicles: comments on vehicles and releases, immutable

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:35:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

IMMUTABLE = """
CREATE FUNCTION comments_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'comments are immutable: % refused', TG_OP;
END $$;
CREATE TRIGGER comments_immutable BEFORE UPDATE OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION comments_are_immutable();
"""


def upgrade():
    op.create_table(
        'comments',
        sa.Column('id', postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('vin', sa.String(length=17), nullable=True),
        sa.Column('release_id', postgresql.UUID(as_uuid=False), nullable=True),
        sa.Column('author', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.CheckConstraint('(vin IS NULL) <> (release_id IS NULL)', name='ck_comments_one_subject'),
    )
    op.create_index('ix_comments_vin', 'comments', ['vin', 'created_at'])
    op.create_index('ix_comments_release', 'comments', ['release_id', 'created_at'])
    op.execute(IMMUTABLE)


def downgrade():
    op.execute("DROP TRIGGER comments_immutable ON comments; DROP FUNCTION comments_are_immutable()")
    op.drop_index('ix_comments_release', table_name='comments')
    op.drop_index('ix_comments_vin', table_name='comments')
    op.drop_table('comments')
