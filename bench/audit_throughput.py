"""Benchmark: audit ingestion and chain verification. Prints tables; asserts nothing.

1. Ingestion through the real broker and the audit service (one `ecoc run audit` process, its own throwaway
   database and RabbitMQ vhost): N events of all four sources are published as their producers would;
   (a) as a backlog waiting in the queues when the service starts, (b) while the service runs. Entries/s is
   counted from the entries' `recorded_at` (first to last batch) and, for (b), also from the first publish
   to the last entry stored. Every entry is then checked: N entries, no duplicate, chain valid.
2. `verify_chain` on 100,000 entries (inserted in bulk, chained as the service chains them): wall time of
   the re-hash streamed from PostgreSQL, as the service runs it.

    .venv/bin/python -m bench.audit_throughput [N]     (default 20000)
"""
import os
import sys

import common  # noqa: F401 - first: quiets eventlet's import-time deprecation notice

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")

import logging  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from kombu import Connection  # noqa: E402
from nameko.standalone.events import get_event_exchange  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from common.config import REPO_ROOT, settings  # noqa: E402
from common.contracts.events import EVENTS_BY_SOURCE  # noqa: E402
from common.db import drop_database, migrate  # noqa: E402
from common.outbox import Outbox, utcnow  # noqa: E402
from common.topology import declarations, declare  # noqa: E402
from services.audit import repository as repo  # noqa: E402
from services.audit.dependencies import writer_url  # noqa: E402
from services.audit.domain import chain  # noqa: E402
from services.audit.domain.entries import content_from_envelope  # noqa: E402

if str(REPO_ROOT) not in sys.path:
    sys.path.append(str(REPO_ROOT))
from bench.stack import start_service, stop_service  # noqa: E402
from bench.tables import table  # noqa: E402
from tests.support import throwaway_prefix, throwaway_vhost  # noqa: E402

VERIFY_ENTRIES = 100_000


def events(n):
    """n envelopes, round-robin over the four sources, shaped like their real events."""
    out = []
    for i in range(n):
        vin = f"WVWZZZ1JZXW{i:06d}"
        kind = i % 4
        if kind == 0:
            e = Outbox("vehicles", None).envelope(
                "vehicle_status_changed", {"vehicles": [{"vin": vin, "status": "valid"}]},
                subject=vin, entity="ACME", actor="steward", roles=["data_steward"])
        elif kind == 1:
            e = Outbox("validation", None).envelope("validation_completed", {"results": [
                {"vin": vin, "revision": 1, "status": "valid", "findings": [], "rule_pack": {"core": "2026.11.1"}}]},
                subject=vin, entity="ACME")
        elif kind == 2:
            e = Outbox("signing", None).envelope("certificate_signed", {"release_id": "R1", "certificates": [
                {"vin": vin, "reference_id": str(uuid.uuid4()), "version_number": 1, "sha256": "ab" * 32}]},
                subject=vin, entity="ACME", actor="signer", roles=["signer"])
        else:
            e = Outbox("approvals", None).envelope("entity_changed", {"code": "ACME", "revision": i},
                                                   subject="ACME", entity="ACME", actor="admin", roles=["admin"])
        out.append(e)
    return out


def publish(amqp_uri, envelopes):
    """Publish as fast as one kombu channel goes (the exchanges and queues are declared already)."""
    exchanges = {s: get_event_exchange(s) for s in EVENTS_BY_SOURCE}
    with Connection(amqp_uri) as conn:
        producer = conn.Producer(serializer="json")
        for e in envelopes:
            producer.publish(e, exchange=exchanges[e["source"]], routing_key=e["event_type"], delivery_mode=2)


def cpu_seconds(pid):
    """user + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_entries")).scalar()


def wait_for(engine, n, timeout, process, logs):
    deadline = time.monotonic() + timeout
    while True:
        found = count(engine)
        if found >= n:
            return time.monotonic()
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"{found} of {n} entries after {timeout:.0f} s\n"
                               f"{(Path(logs) / 'audit.log').read_text()[-3000:]}")
        time.sleep(0.05)


def recorded_rate(engine, since_seq):
    with engine.connect() as conn:
        row = conn.execute(text("SELECT count(*), min(recorded_at), max(recorded_at) FROM audit_entries "
                                "WHERE seq > :s"), {"s": since_seq}).one()
    n, first, last = row
    seconds = (last - first).total_seconds()
    return n, seconds, (n - 1) / seconds if seconds > 0 else float("inf")


def ingestion(n):
    s = settings()
    prefix = throwaway_prefix()
    url = f"{s.database_server.rstrip('/')}/{prefix}_audit"
    rows = []
    with throwaway_vhost("bench-audit") as amqp_uri, tempfile.TemporaryDirectory() as logs:
        migrate("audit", url)
        engine = create_engine(url, pool_size=1)
        env = dict(os.environ, ECOC_AMQP_URI=amqp_uri, ECOC_DB_PREFIX=prefix, ECOC_LOG_LEVEL="WARNING",
                   ECOC_KEYS_DIR=str(Path(logs) / "keys"), PSYCOPG_WAIT_FUNC="wait_selector")
        try:
            declare(amqp_uri, declarations(services=("audit",)))  # queues first, as `ecoc migrate` does
            backlog = events(n)
            publish(amqp_uri, backlog)
            process, log = start_service("audit", env, logs, mode="a")
            try:
                started = time.monotonic()
                wait_for(engine, 1, 600, process, logs)
                first, cpu = count(engine), cpu_seconds(process.pid)
                done = wait_for(engine, n, 600, process, logs)
                per_cpu = (n - first) / (cpu_seconds(process.pid) - cpu)
                stored, seconds, rate = recorded_rate(engine, 0)
                rows.append(["(a) backlog drained", stored, f"{seconds:.2f}", f"{rate:,.0f}", f"{per_cpu:,.0f}",
                             f"{done - started:.1f} s incl. start-up"])

                live = events(n)
                started, cpu = time.monotonic(), cpu_seconds(process.pid)
                publish(amqp_uri, live)
                published = time.monotonic() - started
                done = wait_for(engine, 2 * n, 600, process, logs)
                per_cpu = n / (cpu_seconds(process.pid) - cpu)
                stored, seconds, rate = recorded_rate(engine, n)
                rows.append(["(b) while publishing", stored, f"{seconds:.2f}", f"{rate:,.0f}", f"{per_cpu:,.0f}",
                             f"{stored / (done - started):,.0f}/s publish-to-stored; the publisher alone "
                             f"{n / published:,.0f}/s"])
            finally:
                stop_service(process, log)
            with Session(engine) as session:
                result = repo.verify(session)
                distinct = session.execute(text("SELECT count(DISTINCT event_id) FROM audit_entries")).scalar()
            rows.append(["check", result["entries"], "", "", "",
                         f"chain valid: {result['valid']}; distinct event ids: {distinct}"])
        finally:
            engine.dispose()
            drop_database(url)
    return rows


def verification(n=VERIFY_ENTRIES):
    s = settings()
    url = f"{s.database_server.rstrip('/')}/{throwaway_prefix()}_audit"
    migrate("audit", url)
    engine = create_engine(url, pool_size=1)
    try:
        start = time.perf_counter()
        prev, at = chain.GENESIS, utcnow()
        batch = []
        for i, envelope in enumerate(events(n)):
            content = content_from_envelope(envelope, at + timedelta(microseconds=i))
            entry = chain.link(prev, content)
            prev = entry["hash"]
            batch.append(entry)
            if len(batch) == 5000 or i == n - 1:
                with Session(engine) as session:
                    repo.copy_in(session, batch)
                    session.commit()
                batch = []
        filled = time.perf_counter() - start
        writer = create_engine(writer_url(url), pool_size=1)
        with Session(writer) as session:
            start, cpu = time.perf_counter(), time.process_time()
            result = repo.verify(session)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        writer.dispose()
    finally:
        engine.dispose()
        drop_database(url)
    return [["verify_chain", result["entries"], f"{wall:.2f}", f"{cpu:.2f}", f"{result['entries'] / wall:,.0f}",
             f"valid: {result['valid']} (bulk fill took {filled:.1f} s)"]]


def main(argv):
    n = int(argv[0]) if argv else 20_000
    logging.getLogger("amqp").setLevel(logging.ERROR)
    print(f"\necoc audit throughput — {date.today()} — {platform.node()}, {platform.machine()}, "
          f"Python {platform.python_version()}, {os.cpu_count()} cores")
    print(f"\nIngestion: {n} events per run through RabbitMQ into one audit process (goal >= 2,000 entries/s):")
    print("(entries/s: first to last recorded_at; per CPU s: entries per CPU second of the audit process, which\n"
          " shows its capacity when the machine is shared; load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(table(ingestion(n), ["run", "entries", "seconds", "entries/s", "per CPU s", "note"], text_columns=1))
    print(f"\nVerification of {VERIFY_ENTRIES:,} entries (streamed re-hash, as `GET /v1/audit/verify`):")
    print(table(verification(), ["call", "entries", "wall s", "CPU s", "entries/s", "note"], text_columns=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
