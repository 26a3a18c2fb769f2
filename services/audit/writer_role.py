"""The audit database's writer role (`<database>_writer`: LOGIN, INSERT and SELECT only), as migration 0002 made
it; granted again after a restore, where the dump carries no grants and the database may have a new name."""
import psycopg
from psycopg import sql


TABLES = ("audit_entries", "audit_checkpoints")
SEQUENCES = ("audit_entries_seq_seq", "audit_checkpoints_id_seq")


def role_name(database):
    return f"{database}_writer"


def ensure_writer(conninfo, database, password=None):
    """Create the writer role if missing and grant it what the service needs, on the database of `conninfo`
    (connected as the migration owner). `password`: the one the service's URL carries, if any."""
    writer = sql.Identifier(role_name(database))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role_name(database),)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT").format(writer))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), writer))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(writer))
        conn.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(
            sql.SQL(", ").join(map(sql.Identifier, TABLES)), writer))
        conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(
            sql.SQL(", ").join(map(sql.Identifier, SEQUENCES)), writer))
        if password:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(writer, sql.Literal(password)))
