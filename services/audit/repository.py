"""Reading and appending audit entries (SQL only; the hashing is in domain/chain.py)."""
from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import JSONB

from common.outbox import utcnow
from services.audit.domain import chain
from services.audit.domain.entries import content_from_envelope
from services.audit.models import audit_entries

# Key of the transaction-level advisory lock that serialises appends, so that two handlers (in
# one replica or many) never read the same head and fork the chain. Any fixed bigint would do.
CHAIN_LOCK = 0x6563_6F63_6175_6469  # "ecocaudi"

VERIFY_CHUNK = 1000

t = audit_entries


def is_stored(session, event_id):
    return session.execute(select(t.c.seq).where(t.c.event_id == event_id)).first() is not None


def append(session, envelope):
    """Append the event as the new head, unless an entry with its event_id exists; the entry or None.

    Call inside a transaction and commit right after: the advisory lock is held until then.
    """
    session.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK)))
    content = content_from_envelope(envelope, recorded_at=utcnow())
    if is_stored(session, content["event_id"]):
        return None
    # The payload is hashed as PostgreSQL will give it back (jsonb normalises numbers such as
    # 1e20 and drops duplicate keys), or verification would fail on a faithful copy.
    head, payload = session.execute(select(
        select(t.c.hash).order_by(t.c.seq.desc()).limit(1).scalar_subquery(),
        literal(content["payload"], JSONB),
    )).one()
    content["payload"] = payload
    entry = chain.link(head or chain.GENESIS, content)
    entry["seq"] = session.execute(t.insert().values(**entry).returning(t.c.seq)).scalar_one()
    return entry


def head(session):
    return session.execute(select(t.c.hash).order_by(t.c.seq.desc()).limit(1)).scalar()


def by_subject(session, subject, after_seq=None, limit=None):
    query = select(t).where(t.c.subjects.contains([subject])).order_by(t.c.seq)
    if after_seq is not None:
        query = query.where(t.c.seq > after_seq)
    if limit is not None:
        query = query.limit(limit)
    return [row._asdict() for row in session.execute(query)]


def verify(session):
    """Re-hash the whole table in seq order, streamed from a server-side cursor in chunks."""
    rows = session.execute(
        select(t).order_by(t.c.seq).execution_options(stream_results=True, yield_per=VERIFY_CHUNK)
    )
    return chain.verify(row._asdict() for row in rows)


def entry_dict(row):
    return {
        "seq": row["seq"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "source": row["source"],
        "occurred_at": chain.canonical_time(row["occurred_at"]),
        "recorded_at": chain.canonical_time(row["recorded_at"]),
        "actor": row["actor"],
        "entity": row["entity"],
        "subject": row["subject"],
        "subjects": list(row["subjects"]),
        "data": row["payload"].get("data"),
        "hash": row["hash"],
        "prev_hash": row["prev_hash"],
    }
