"""pg_dump / pg_restore of one database, with the password handed over in the environment (PGPASSWORD), never on
a command line; and the server's address as it may be recorded (without credentials)."""
import os
import subprocess

from sqlalchemy.engine import URL, make_url


class ToolFailed(RuntimeError):
    pass


def public_url(url):
    """`url` without its password: what may be written down. (`URL.set(password=None)` keeps the password.)"""
    u = make_url(url)
    return URL.create(u.drivername, username=u.username, host=u.host, port=u.port, database=u.database,
                      query=u.query).render_as_string(hide_password=False)


def database_name(url):
    return make_url(url).database


def libpq_url(url):
    """The psycopg / libpq form of a SQLAlchemy URL, password included: for connecting, never for recording."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _connection(url):
    """The libpq options naming `url`'s database and the environment carrying its password."""
    u = make_url(url)
    args = ["--dbname", u.database]
    if u.host:
        args += ["--host", u.host]
    if u.port:
        args += ["--port", str(u.port)]
    if u.username:
        args += ["--username", u.username]
    env = dict(os.environ, PGCONNECT_TIMEOUT=os.environ.get("PGCONNECT_TIMEOUT", "10"))
    if u.password:
        env["PGPASSWORD"] = u.password
    return args, env


def dump(url, path):
    """The whole database in pg_dump's custom format, without owners and grants (a restore re-creates those)."""
    args, env = _connection(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(path), *args], env)


def restore(url, path):
    """Load a custom-format dump into the (empty) database of `url`, all or nothing, owned by `url`'s user."""
    args, env = _connection(url)
    _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", *args,
          str(path)], env)


def _run(command, env):
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolFailed(f"{command[0]}: {exc}") from exc
    if done.returncode != 0:
        raise ToolFailed(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
