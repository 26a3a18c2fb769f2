"""entry digests, roles and trace ids; checkpoints; the append-only writer role

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 01:10:00

The entry hash changes to sha256(prev_hash + digest of the entry), with the payload committed through
its digest: an audit database holding entries of revision 0001 must be recreated (its chain would not
verify under the new rule), so the upgrade refuses to run on one.

The service connects as `<database>_writer`, a login role that may only INSERT and SELECT (roles are
shared by the whole PostgreSQL server; naming it after the database keeps test databases apart), with the
password of the URL the migration runs with, if any. Creating it needs CREATEROLE (or a superuser).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WRITER_ROLE = "current_database() || '_writer'"

CREATE_WRITER = f"""
DO $$
DECLARE writer text := {WRITER_ROLE};
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = writer) THEN
        EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', writer);
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), writer);
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', writer);
    EXECUTE format('GRANT SELECT, INSERT ON audit_entries, audit_checkpoints TO %I', writer);
    EXECUTE format('GRANT USAGE ON SEQUENCE audit_entries_seq_seq, audit_checkpoints_id_seq TO %I', writer);
END
$$
"""

DROP_WRITER = f"""
DO $$
DECLARE writer text := {WRITER_ROLE};
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = writer) THEN
        EXECUTE format('DROP OWNED BY %I', writer);
        EXECUTE format('DROP ROLE %I', writer);
    END IF;
END
$$
"""


def upgrade():
    held = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_entries")).scalar()
    if held:  # their hashes follow the rule of 0001: they would all look tampered with
        raise RuntimeError(
            f"audit_entries holds {held} entries chained under the rule of revision 0001, which revision 0002 "
            f"replaces; keep a copy if needed, drop this audit database and migrate again")
    op.add_column("audit_entries", sa.Column("roles", postgresql.ARRAY(sa.Text()), nullable=True))
    op.add_column("audit_entries", sa.Column("trace_id", sa.Text(), nullable=True))
    op.add_column("audit_entries", sa.Column("payload_digest", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_entries_actor_seq", "audit_entries", ["actor", "seq"], unique=False)
    op.create_index("ix_audit_entries_event_type_seq", "audit_entries", ["event_type", "seq"], unique=False)
    op.create_index("ix_audit_entries_occurred_at", "audit_entries", ["occurred_at"], unique=False)
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # the function of 0001 refuses whatever it is attached to
    op.execute("CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints "
               "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()")
    op.execute("CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()")
    op.execute(CREATE_WRITER)
    password = op.get_bind().engine.url.password
    if password:  # the service logs in as the writer with the password of the URL it is given
        bind = op.get_bind()
        statement = bind.execute(
            sa.text(f"SELECT format('ALTER ROLE %I PASSWORD %L', {WRITER_ROLE}, CAST(:password AS text))"),
            {"password": password}).scalar()
        bind.exec_driver_sql(statement)


def downgrade():
    op.execute(DROP_WRITER)
    op.drop_table("audit_checkpoints")
    op.drop_index("ix_audit_entries_occurred_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_event_type_seq", table_name="audit_entries")
    op.drop_index("ix_audit_entries_actor_seq", table_name="audit_entries")
    op.drop_column("audit_entries", "payload_digest")
    op.drop_column("audit_entries", "trace_id")
    op.drop_column("audit_entries", "roles")
