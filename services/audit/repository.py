"""Reading and appending audit entries and checkpoints (SQL only; the hashing is in domain/)."""
from psycopg.types.json import Jsonb
from sqlalchemy import and_, func, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB

from common.feed import PAGE_SUBJECTS, page_length
from services.audit.domain import chain
from services.audit.domain.entries import fields_of, has_float, with_payload
from services.audit.models import audit_checkpoints, audit_entries

# Key of the transaction-level advisory lock that serialises appends, so that two writers (in
# one replica or many) never read the same head and fork the chain. Any fixed bigint would do.
# Held until commit (PostgreSQL releases a transaction's locks only after its commit is visible), it also makes
# seq order the commit order, which the change feed (`feed`) relies on.
CHAIN_LOCK = 0x6563_6F63_6175_6469  # "ecocaudi"

SEALING_LOCK = 0x6563_6F63_7365_616C  # "ecocseal": checkpoint sealing, once per cluster at a time

VERIFY_CHUNK = 5000

t = audit_entries
c = audit_checkpoints


def append_batch(session, envelopes, recorded_at):
    """Append the events in order as the new head, skipping any whose event_id is stored (or repeated in
    the batch); the entries appended.

    Call inside a transaction and commit right after: the advisory lock is held until then.
    """
    session.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK)))
    contents = {}
    for envelope in envelopes:
        content = fields_of(envelope, recorded_at)
        contents.setdefault(content["event_id"], (content, envelope))
    stored = set(session.execute(select(t.c.event_id).where(t.c.event_id.in_(list(contents)))).scalars())
    fresh = [pair for event_id, pair in contents.items() if event_id not in stored]
    if not fresh:
        return []
    # Payloads are hashed as PostgreSQL will give them back (jsonb normalises numbers such as 1e20;
    # duplicate keys are gone already), or verification would fail on a faithful copy.
    odd = [has_float(envelope) for _, envelope in fresh]
    if any(odd):
        stated = [envelope for (_, envelope), flag in zip(fresh, odd) if flag]
        normalised = iter(session.execute(select(func.jsonb_array_elements(literal(stated, JSONB)))).scalars().all())
        fresh = [(content, next(normalised) if flag else envelope) for (content, envelope), flag in zip(fresh, odd)]
    prev = head(session) or chain.GENESIS
    entries = []
    for content, payload in fresh:
        entry = chain.link(prev, with_payload(content, payload))
        entries.append(entry)
        prev = entry["hash"]
    copy_in(session, entries)
    return entries


COPIED = [c.name for c in t.columns if c.name != "seq"]


def copy_in(session, entries):
    """Insert the entries in order with one COPY (a batch is hundreds of rows; row-by-row INSERTs cost
    several times more). seq comes from the identity, in the order written."""
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY audit_entries ({', '.join(COPIED)}) FROM STDIN") as copy:
        for entry in entries:
            copy.write_row([Jsonb(entry["payload"]) if name == "payload" else entry[name] for name in COPIED])


def head(session):
    return session.execute(select(t.c.hash).order_by(t.c.seq.desc()).limit(1)).scalar()


def head_entry(session):
    row = session.execute(select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)).first()
    return None if row is None else {"seq": row.seq, "hash": row.hash}


# The `data` of an entry as its subject :subject sees it: list items of `data` that belong to another key (an
# object with another `vin`, or another subject's name: the rule of domain/items.py `item_key`) are left out, so a
# query by VIN answers a batch event of hundreds of vehicles with that VIN's part, without parsing the rest.
SUBJECT_DATA = """
CASE WHEN jsonb_typeof(payload->'data') = 'object' THEN (
  SELECT coalesce(jsonb_object_agg(d.key, CASE WHEN jsonb_typeof(d.value) = 'array' THEN (
      SELECT coalesce(jsonb_agg(x.value ORDER BY x.n), '[]'::jsonb)
      FROM jsonb_array_elements(d.value) WITH ORDINALITY AS x(value, n)
      WHERE CASE
        WHEN jsonb_typeof(x.value) = 'object' AND jsonb_typeof(x.value->'vin') = 'string'
          THEN x.value->>'vin' = :subject
        WHEN jsonb_typeof(x.value) = 'string' AND (x.value #>> '{}') = ANY(subjects)
          THEN (x.value #>> '{}') = :subject
        ELSE true END)
    ELSE d.value END), '{}'::jsonb)
  FROM jsonb_each(payload->'data') AS d)
ELSE payload->'data' END AS data"""


def find(session, subject=None, actor=None, event_type=None, since=None, until=None, entities=None,
         after_seq=None, limit=None, subject_part=False):
    """Entries matching every given filter, in seq order; `entities`: only entries of these entities (None: all;
    an entry of no entity, such as a validation batch spanning several, is only for callers of all entities).
    `subject_part`: with a `subject`, each entry's `data` is that subject's part and its payload is not read."""
    conditions = []
    if entities is not None:
        conditions.append(t.c.entity.in_(list(entities)))
    if subject is not None:
        conditions.append(t.c.subjects.contains([subject]))
    if actor is not None:
        conditions.append(t.c.actor == actor)
    if event_type is not None:
        conditions.append(t.c.event_type == event_type)
    if since is not None:
        conditions.append(t.c.occurred_at >= since)
    if until is not None:
        conditions.append(t.c.occurred_at < until)
    if after_seq is not None:
        conditions.append(t.c.seq > after_seq)
    columns = [t]
    if subject_part and subject is not None:
        columns = [*(col for col in t.columns if col.name not in ("payload", "leaf_digests")),
                   text(SUBJECT_DATA).bindparams(subject=subject)]
    query = select(*columns).where(and_(True, *conditions)).order_by(t.c.seq)
    if limit is not None:
        query = query.limit(limit)
    return [row._asdict() for row in session.execute(query)]


def seq_of_event(session, event_id, entities=None):
    """The seq of the entry of `event_id` when it is one of `entities` (None: any), else None."""
    query = select(t.c.seq).where(t.c.event_id == event_id)
    if entities is not None:
        query = query.where(t.c.entity.in_(list(entities)))
    return session.execute(query).scalar()


def feed(session, after_seq, entities=None, event_types=None, limit=100, budget=PAGE_SUBJECTS):
    """(entries, more): the entries after `after_seq` (None: from the first) of `entities` and `event_types` (None:
    all), in seq order: at most `limit`, and no more than `budget` subjects (the first always, `page_length`); and
    whether more follow now. Payloads are read only for the entries of the page.

    The page is chosen by one statement, so from one snapshot, and appends hold CHAIN_LOCK until they have
    committed: a snapshot therefore holds a prefix of the log in seq order, never a later entry without an earlier
    one. A reader that moves its position past what it read can never skip an entry that commits afterwards (the
    feed's no-gap guarantee, tested in tests/integration/test_audit_service.py)."""
    conditions = []
    if after_seq is not None:
        conditions.append(t.c.seq > after_seq)
    if entities is not None:
        conditions.append(t.c.entity.in_(list(entities)))
    if event_types is not None:
        conditions.append(t.c.event_type.in_(list(event_types)))
    heads = session.execute(select(t.c.seq, func.cardinality(t.c.subjects)).where(and_(True, *conditions))
                            .order_by(t.c.seq).limit(limit + 1)).all()
    chosen = [seq for seq, _ in heads[:page_length([count for _, count in heads[:limit]], budget)]]
    if not chosen:
        return [], False
    query = select(t.c.seq, t.c.event_id, t.c.event_type, t.c.source, t.c.occurred_at, t.c.entity, t.c.subject,
                   t.c.subjects, t.c.actor, t.c.payload).where(t.c.seq.in_(chosen)).order_by(t.c.seq)
    return [row._asdict() for row in session.execute(query)], len(heads) > len(chosen)


def by_subject(session, subject, entities=None):
    return find(session, subject=subject, entities=entities)


def checkpoints(session):
    return [row._asdict() for row in session.execute(select(c).order_by(c.c.id))]


def latest_checkpoint(session):
    row = session.execute(select(c).order_by(c.c.id.desc()).limit(1)).first()
    return None if row is None else row._asdict()


def add_checkpoint(session, checkpoint):
    session.execute(c.insert().values(**checkpoint))


def verify(session, sealed=()):
    """Re-hash the whole table in seq order, streamed from a server-side cursor in chunks."""
    rows = session.execute(
        select(t).order_by(t.c.seq).execution_options(stream_results=True, yield_per=VERIFY_CHUNK)
    )
    return chain.verify((row._asdict() for row in rows), sealed)


def verify_after(session, checkpoint):
    """Re-hash only the entries after `checkpoint` (a sealed head), after checking its entry is still there with
    the hash it sealed."""
    stored = session.execute(select(t.c.hash).where(t.c.seq == checkpoint["seq"])).scalar()
    if stored != checkpoint["head_hash"]:
        return {"valid": False, "entries": 0, "head": None, "last_seq": None, "first_invalid_seq": checkpoint["seq"],
                "reason": f"the entry sealed by the checkpoint at {checkpoint['seq']} is missing or was rewritten"}
    rows = session.execute(
        select(t).where(t.c.seq > checkpoint["seq"]).order_by(t.c.seq)
        .execution_options(stream_results=True, yield_per=VERIFY_CHUNK)
    )
    return chain.verify((row._asdict() for row in rows), after=checkpoint)


def try_lock_sealing(session):
    """Whether this transaction holds the cluster-wide lock of checkpoint sealing (one audit process seals at a
    time; the others skip their turn)."""
    return session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SEALING_LOCK}).scalar()


def links_between(session, first_seq, last_seq, skip=()):
    """(seq, digest) of every entry from first_seq to last_seq but those in `skip`: the links an evidence pack
    needs to re-hash the chain from a VIN's entries to the checkpoint sealing them. Stored digests are read as
    they are (one that does not match its entry fails the proof, never forges one); an entry written before
    digests were stored has its digest recomputed from its content."""
    pairs = session.execute(select(t.c.seq, t.c.digest).where(t.c.seq.between(first_seq, last_seq))
                            .order_by(t.c.seq)).all()
    missing = [seq for seq, digest in pairs if digest is None and seq not in skip]
    recomputed = {}
    for start in range(0, len(missing), VERIFY_CHUNK):
        chunk = missing[start:start + VERIFY_CHUNK]
        recomputed.update((row.seq, chain.entry_digest(row._asdict()))
                          for row in session.execute(select(t).where(t.c.seq.in_(chunk))))
    return [{"seq": seq, "digest": digest or recomputed[seq]} for seq, digest in pairs if seq not in skip]


def checkpoint_sealing(session, seq, upto):
    """The first checkpoint that seals entry `seq` (its head at or after it), among those up to entry `upto`."""
    row = session.execute(select(c).where(c.c.seq.between(seq, upto)).order_by(c.c.seq, c.c.id).limit(1)).first()
    return None if row is None else row._asdict()


def entry_dict(row):
    """An entry as a query answers it (found with `subject_part`, `data` is the subject's part)."""
    return {
        "seq": row["seq"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "source": row["source"],
        "occurred_at": chain.canonical_time(row["occurred_at"]),
        "recorded_at": chain.canonical_time(row["recorded_at"]),
        "actor": row["actor"],
        "roles": list(row["roles"]) if row["roles"] is not None else None,
        "entity": row["entity"],
        "subject": row["subject"],
        "subjects": list(row["subjects"]),
        "trace_id": row["trace_id"],
        "payload_digest": row["payload_digest"],
        "data": row["data"] if "data" in row else row["payload"].get("data"),
        "hash": row["hash"],
        "prev_hash": row["prev_hash"],
    }
