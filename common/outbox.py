"""Transactional outbox and consumer inbox.

An event is written to the service's `outbox` table in the transaction that changes state;
a relay greenlet publishes unpublished rows to the service's nameko events exchange with
publisher confirms and `mandatory`, so an event that no queue takes stays in the outbox and is
retried instead of being dropped. Consumers record each handled `event_id` in their `inbox` table
in the transaction of their effect, so a redelivered event is recognised and skipped.
"""
import logging
import uuid
from datetime import datetime, timezone

import eventlet
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.messaging import encode_to_headers
from nameko.standalone.events import get_event_exchange
from opentelemetry.propagate import inject
from sqlalchemy import BigInteger, Column, DateTime, Identity, MetaData, String, Table, Text, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert

log = logging.getLogger(__name__)

MAX_RELAY_BACKOFF = 5.0  # seconds: after a broker or database outage the relay resumes within this
# Transaction-level advisory lock (per database, so per service) held while a relay publishes a batch
RELAY_LOCK = 0x6563_6F63_6F75_7462  # "ecocoutb"


def outbox_tables(metadata: MetaData):
    """Declare the outbox and inbox tables on a service's metadata (each service migrates its own)."""
    outbox = Table(
        "outbox", metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(80), nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), index=True),
        Column("attempts", BigInteger, nullable=False, server_default="0"),
        Column("last_error", Text),
    )
    inbox = Table(
        "inbox", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(80), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )
    return outbox, inbox


def utcnow():
    return datetime.now(timezone.utc)


class Outbox:
    def __init__(self, service_name, table):
        self.service_name = service_name
        self.table = table

    def envelope(self, event_type, data, *, subject, subjects=None, entity=None, actor=None, roles=None):
        trace = {}
        inject(trace)
        return {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "source": self.service_name,
            "occurred_at": utcnow().isoformat(),
            "actor": actor,
            "roles": list(roles) if roles else None,
            "entity": entity,
            "subject": subject,
            "subjects": list(subjects) if subjects else [subject],
            "data": data,
            "trace": trace,
        }

    def store(self, session, envelopes):
        now = utcnow()
        session.execute(self.table.insert(), [
            {
                "event_id": e["event_id"], "event_type": e["event_type"], "payload": e,
                "headers": encode_to_headers(e["trace"]), "created_at": now,
            }
            for e in envelopes
        ])


class OutboxRelay:
    """Publishes outbox rows in order; woken on commit, and polls as a safety net.

    Every process of a service runs one. They take turns (`RELAY_LOCK`): one publishes a batch while the
    others wait, then the next reads what is still unpublished. Skipping each other's locked rows instead would
    publish a later batch before an earlier one."""

    def __init__(self, service_name, table, session_factory, amqp_uri, batch_size=200, poll_interval=1.0):
        self.table = table
        self.session_factory = session_factory
        self.exchange = get_event_exchange(service_name)
        self.publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True, serializer="json")
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._wake = eventlet.event.Event()
        self._running = False
        self._gt = None

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def start(self):
        self._running = True
        self._gt = eventlet.spawn(self._loop)

    def stop(self):
        self._running = False
        self.wake()
        if self._gt is not None:
            self._gt.wait()

    def _loop(self):
        backoff = self.poll_interval
        while self._running:
            try:
                published = self.relay_once()
                backoff = self.poll_interval
            except Exception:  # the relay must outlive broker and database outages
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                published = 0
                backoff = min(backoff * 2, MAX_RELAY_BACKOFF)
            if published:
                continue
            with eventlet.Timeout(backoff, False):
                self._wake.wait()
            self._wake = eventlet.event.Event()

    def relay_once(self):
        t = self.table
        with self.session_factory() as session:
            session.execute(select(func.pg_advisory_xact_lock(RELAY_LOCK)))
            rows = session.execute(
                select(t.c.id, t.c.event_type, t.c.payload, t.c.headers)
                .where(t.c.published_at.is_(None)).order_by(t.c.id)
                .limit(self.batch_size).with_for_update()
            ).all()
            done = []
            for row in rows:
                try:
                    self.publisher.publish(
                        row.payload, exchange=self.exchange, routing_key=row.event_type,
                        extra_headers=row.headers, declare=[self.exchange],
                    )
                except UndeliverableMessage:
                    session.execute(update(t).where(t.c.id == row.id).values(
                        attempts=t.c.attempts + 1, last_error="no queue bound for this event"))
                    log.warning("event %s has no consumer queue yet; kept in outbox", row.event_type)
                    break
                done.append(row.id)
            if done:
                session.execute(update(t).where(t.c.id.in_(done)).values(published_at=utcnow()))
            session.commit()
            return len(done)


class Inbox:
    def __init__(self, table):
        self.table = table

    def first_time(self, session, envelope):
        """Record the event as handled in this transaction; False if it was handled before."""
        result = session.execute(
            insert(self.table)
            .values(event_id=envelope["event_id"], event_type=envelope["event_type"], received_at=utcnow())
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(self.table.c.event_id)
        )
        return result.first() is not None


__all__ = ["outbox_tables", "Outbox", "OutboxRelay", "Inbox"]
