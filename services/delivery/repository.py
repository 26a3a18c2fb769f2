"""Reading and writing targets, deliveries and attempts (SQL only; no rules here)."""
import uuid
from datetime import timedelta

from sqlalchemy import and_, exists, func, literal, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from common.ids import is_uuid
from common.outbox import utcnow
from services.delivery.models import attempts, deliveries, targets

OPEN = ("queued", "sending")
TARGET_FIELDS = ("country", "endpoint", "profile", "wsdl", "client_cert", "client_key", "ca_cert", "timeout_seconds",
                 "concurrency", "auto_deliver", "enabled")
SUMMARY = [c for c in deliveries.c if c.name != "document"]


def target_dict(row):
    d = dict(row._mapping)
    d["updated_at"] = d["updated_at"].isoformat()
    return d


def list_targets(session, entities=None, entity=None):
    stmt = select(targets).order_by(targets.c.entity, targets.c.name)
    if entity:
        stmt = stmt.where(targets.c.entity == entity)
    if entities is not None:
        stmt = stmt.where(targets.c.entity.in_(list(entities)))
    return [target_dict(r) for r in session.execute(stmt).all()]


def load_target(session, entity, name, for_update=False):
    stmt = select(targets).where(targets.c.entity == entity, targets.c.name == name)
    row = session.execute(stmt.with_for_update() if for_update else stmt).first()
    return target_dict(row) if row else None


def target_by_id(session, target_id):
    row = session.execute(select(targets).where(targets.c.id == target_id)).first()
    return target_dict(row) if row else None


def country_taken(session, entity, name, country):
    """The name of another target of `entity` that already serves `country` (None for the default)."""
    cond = targets.c.country.is_(None) if country is None else targets.c.country == country
    return session.execute(select(targets.c.name).where(targets.c.entity == entity, targets.c.name != name, cond)
                           ).scalar()


def save_target(session, entity, name, values, actor):
    """Insert or update a target; returns the stored row."""
    now = utcnow()
    row = {k: values[k] for k in TARGET_FIELDS}
    stmt = insert(targets).values(id=str(uuid.uuid4()), entity=entity, name=name, revision=1, updated_at=now,
                                  updated_by=actor, **row)
    stmt = stmt.on_conflict_do_update(index_elements=["entity", "name"], set_=dict(
        row, revision=targets.c.revision + 1, updated_at=now, updated_by=actor))
    session.execute(stmt)
    return load_target(session, entity, name)


def add_deliveries(session, rows):
    """Queue deliveries (dicts of column values); rows that would duplicate an open or automatic delivery of the
    same version to the same target are skipped. Returns the ids inserted."""
    if not rows:
        return []
    now = utcnow()
    values = [dict(r, id=str(uuid.uuid4()), state="queued", attempts=0, queued_at=now, next_attempt_at=now,
                   updated_at=now) for r in rows]
    result = session.execute(insert(deliveries).values(values).on_conflict_do_nothing().returning(deliveries.c.id))
    return [r.id for r in result.all()]


def delivery_summaries(session, ids):
    if not ids:
        return []
    rows = session.execute(select(*SUMMARY).where(deliveries.c.id.in_(list(ids)))
                           .order_by(deliveries.c.vin, deliveries.c.version_number)).all()
    return [summary_dict(r) for r in rows]


def summary_dict(row):
    d = dict(row._mapping)
    d.pop("document", None)
    for key in ("queued_at", "next_attempt_at", "deadline_at", "lease_until", "finished_at", "updated_at"):
        d[key] = d[key].isoformat() if d.get(key) else None
    return d


def load_delivery(session, delivery_id, with_document=False):
    if not is_uuid(delivery_id):
        return None
    columns = list(deliveries.c) if with_document else SUMMARY
    row = session.execute(select(*columns).where(deliveries.c.id == delivery_id)).first()
    if row is None:
        return None
    d = summary_dict(row)
    if with_document:
        d["document"] = row.document
    return d


def open_delivery(session, reference_id, target_id):
    return session.execute(select(deliveries.c.id).where(
        deliveries.c.reference_id == reference_id, deliveries.c.target_id == target_id,
        deliveries.c.state.in_(OPEN))).scalar()


def attempts_of(session, delivery_ids):
    rows = session.execute(select(attempts).where(attempts.c.delivery_id.in_(list(delivery_ids)))
                           .order_by(attempts.c.delivery_id, attempts.c.number)).all()
    found = {}
    for r in rows:
        d = dict(r._mapping)
        d.pop("id")
        for key in ("started_at", "finished_at"):
            d[key] = d[key].isoformat() if d[key] else None
        found.setdefault(d.pop("delivery_id"), []).append(d)
    return found


def list_deliveries(session, entities=None, entity=None, state=None, vin=None, limit=100, cursor=None):
    """A page of deliveries, newest first; the cursor is the last (queued_at, id) handed out."""
    conditions = []
    if entities is not None:
        conditions.append(deliveries.c.entity.in_(list(entities)))
    if entity:
        conditions.append(deliveries.c.entity == entity)
    if state:
        conditions.append(deliveries.c.state == state)
    if vin:
        conditions.append(deliveries.c.vin == vin)
    if cursor:
        at, last_id = cursor
        conditions.append(tuple_(deliveries.c.queued_at, deliveries.c.id) < tuple_(
            literal(at, deliveries.c.queued_at.type), literal(last_id, deliveries.c.id.type)))
    stmt = (select(*SUMMARY).where(and_(True, *conditions))
            .order_by(deliveries.c.queued_at.desc(), deliveries.c.id.desc()).limit(limit + 1))
    rows = session.execute(stmt).all()
    items = [summary_dict(r) for r in rows[:limit]]
    next_cursor = (rows[limit - 1].queued_at, rows[limit - 1].id) if len(rows) > limit else None
    return items, next_cursor


def due_targets(session):
    """Ids of the targets that have deliveries due now (queued and due, or sending with a lapsed lease)."""
    now = utcnow()
    return [r.target_id for r in session.execute(select(deliveries.c.target_id).where(_due(now)).distinct()).all()]


def _due(now):
    return ((deliveries.c.state == "queued") & (deliveries.c.next_attempt_at <= now)) | (
        (deliveries.c.state == "sending") & (deliveries.c.lease_until < now))


def claim(session, target_id, lease_seconds, limit):
    """Take up to `limit` due deliveries of the target for sending, with a lease, and open an attempt of each.
    A version waits while an earlier version of the same VIN to the same target is still open (order per VIN);
    several senders never take the same delivery (SKIP LOCKED)."""
    now = utcnow()
    earlier = aliased(deliveries)
    blocked = exists().where(earlier.c.vin == deliveries.c.vin, earlier.c.target_id == deliveries.c.target_id,
                             earlier.c.version_number < deliveries.c.version_number, earlier.c.state.in_(OPEN))
    rows = session.execute(
        select(deliveries).where(deliveries.c.target_id == target_id, _due(now), ~blocked)
        .order_by(deliveries.c.version_number, deliveries.c.queued_at).limit(limit)
        .with_for_update(skip_locked=True)).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    lapsed = [r.id for r in rows if r.state == "sending"]
    if lapsed:  # an attempt still open is one whose sender stopped (its lease lapsed): it ends as interrupted
        session.execute(update(attempts).where(attempts.c.delivery_id.in_(lapsed), attempts.c.outcome.is_(None))
                        .values(outcome="interrupted", finished_at=now,
                                detail="the sending process stopped before an answer was recorded"))
    session.execute(update(deliveries).where(deliveries.c.id.in_(ids)).values(
        state="sending", attempts=deliveries.c.attempts + 1, lease_until=now + timedelta(seconds=lease_seconds),
        updated_at=now))
    session.execute(attempts.insert(), [{"delivery_id": r.id, "number": r.attempts + 1, "started_at": now}
                                        for r in rows])
    claimed = []
    for row in rows:
        d = summary_dict(row)
        d.update(document=row.document, attempts=row.attempts + 1, state="sending", deadline_at=row.deadline_at)
        claimed.append(d)
    return claimed


def finish(session, delivery, number, outcome, values):
    """Record the answer to attempt `number` and the delivery's new state (`values`); False when the attempt is
    no longer this sender's (its lease lapsed and another sender took the delivery)."""
    now = utcnow()
    done = session.execute(update(deliveries).where(
        deliveries.c.id == delivery["id"], deliveries.c.attempts == number, deliveries.c.state == "sending")
        .values(updated_at=now, lease_until=None, **values).returning(deliveries.c.id)).first()
    if done is None:
        return False
    session.execute(update(attempts).where(attempts.c.delivery_id == delivery["id"], attempts.c.number == number)
                    .values(finished_at=now, **outcome))
    return True


def _unresolved():
    """Rejected and failed deliveries nobody has resolved yet: no later accepted delivery of the same VIN to the
    same target, of that version or a correction."""
    later = aliased(deliveries)
    resolved = exists().where(later.c.vin == deliveries.c.vin, later.c.target_id == deliveries.c.target_id,
                              later.c.version_number >= deliveries.c.version_number, later.c.state == "accepted",
                              later.c.queued_at > deliveries.c.queued_at)
    return deliveries.c.state.in_(("rejected", "failed")) & ~resolved


def exceptions(session, entities=None, entity=None, limit=20):
    """The unresolved rejected and failed deliveries, newest first."""
    stmt = select(*SUMMARY).where(_unresolved())
    if entities is not None:
        stmt = stmt.where(deliveries.c.entity.in_(list(entities)))
    if entity:
        stmt = stmt.where(deliveries.c.entity == entity)
    rows = session.execute(stmt.order_by(deliveries.c.finished_at.desc()).limit(limit)).all()
    return [summary_dict(r) for r in rows]


def counts_by_state(session, entities=None):
    stmt = select(deliveries.c.entity, deliveries.c.state, func.count()).group_by(deliveries.c.entity,
                                                                                  deliveries.c.state)
    if entities is not None:
        stmt = stmt.where(deliveries.c.entity.in_(list(entities)))
    return [{"entity": e, "state": s, "count": n} for e, s, n in session.execute(stmt).all()]


def exception_counts(session):
    """Unresolved rejected and failed deliveries per entity and state."""
    stmt = (select(deliveries.c.entity, deliveries.c.state, func.count()).where(_unresolved())
            .group_by(deliveries.c.entity, deliveries.c.state))
    return [{"entity": e, "state": s, "count": n} for e, s, n in session.execute(stmt).all()]


def ping(session):
    session.execute(text("SELECT 1"))
