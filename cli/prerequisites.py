"""What `ecoc up` and `ecoc demo` need before they start anything: the official IVI schema (without it nothing
can be sealed), the PostgreSQL server and the RabbitMQ broker. Each missing one is one line saying what to do,
instead of a stack that starts and then fails inside its services."""
import psycopg
from kombu import Connection

from common.db import server_url
from common.ivi import schema_available
from common.ivi.xsd import SCHEMA_DOWNLOAD_HINT

CONNECT_SECONDS = 5


def problems(s):
    """One line per prerequisite that is not met (empty: all are)."""
    found = []
    if not schema_available(s.schema_path):
        where = s.schema_path or "(ECOC_IVI_SCHEMA is not set)"
        found.append(f"IVI 2.0 schema not found at {where}: {SCHEMA_DOWNLOAD_HINT}")
    database = s.database_url("approvals")
    try:
        with psycopg.connect(server_url(database), connect_timeout=CONNECT_SECONDS):
            pass
    except psycopg.Error as exc:
        found.append(f"PostgreSQL not reachable at {_server(database)} ({_first_line(exc)}): start it, or set "
                     "ECOC_DATABASE_URL")
    try:
        with Connection(s.amqp_uri, connect_timeout=CONNECT_SECONDS) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu raises the transport's own errors
        found.append(f"RabbitMQ not reachable at {_broker(s.amqp_uri)} ({_first_line(exc)}): start it, or set "
                     "ECOC_AMQP_URI")
    return found


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _server(url):
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return f"{u.host or 'localhost'}:{u.port or 5432}"


def _broker(uri):
    from kombu.utils.url import url_to_parts

    parts = url_to_parts(uri)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5672}"
