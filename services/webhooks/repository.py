"""Reading and writing subscriptions, deliveries and attempts (SQL only; retry rules are in domain/)."""
from datetime import timedelta

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from services.webhooks.models import attempts, deliveries, intake, subscriptions

s, d, a = subscriptions, deliveries, attempts
PUBLIC = [c for c in s.columns if c.name not in ("secret", "failing_since")]


def add_subscription(session, values):
    session.execute(s.insert().values(**values))


def subscription(session, subscription_id, with_secret=False):
    columns = list(s.columns) if with_secret else PUBLIC
    row = session.execute(select(*columns).where(s.c.id == subscription_id)).first()
    return None if row is None else row._asdict()


def lock_subscription(session, subscription_id):
    row = session.execute(select(s).where(s.c.id == subscription_id).with_for_update()).first()
    return None if row is None else row._asdict()


def sealed_secrets(session):
    """[(subscription id, sealed signing secret)] of every subscription."""
    return [tuple(row) for row in session.execute(select(s.c.id, s.c.secret).order_by(s.c.id))]


def replace_secret(session, subscription_id, old, new):
    """Store `new` where the subscription still holds `old`; 1 when it did, else 0."""
    return session.execute(update(s).where(s.c.id == subscription_id, s.c.secret == old).values(secret=new)).rowcount


def list_subscriptions(session, entities=None, entity=None, limit=100, after_id=None):
    conditions = []
    if entities is not None:
        conditions.append(s.c.entity.in_(list(entities)))
    if entity is not None:
        conditions.append(s.c.entity == entity)
    if after_id is not None:
        conditions.append(s.c.id > after_id)
    query = select(*PUBLIC).where(and_(True, *conditions)).order_by(s.c.id).limit(limit)
    return [row._asdict() for row in session.execute(query)]


def update_subscription(session, subscription_id, values):
    session.execute(update(s).where(s.c.id == subscription_id).values(**values))


def delete_subscription(session, subscription_id):
    session.execute(delete(s).where(s.c.id == subscription_id))


def active_subscriptions(session):
    return [row._asdict() for row in session.execute(
        select(s.c.id, s.c.entity, s.c.event_types).where(s.c.active))]


# -- intake -----------------------------------------------------------------------------------------------------

def intake_position(session, now):
    """The id of the last feed event taken in (None: none yet); the row is made on first use."""
    session.execute(insert(intake).values(id=1, after_event=None, updated_at=now).on_conflict_do_nothing())
    return session.execute(select(intake.c.after_event).where(intake.c.id == 1)).scalar()


def lock_intake(session):
    """The intake position, locked until commit: pages are queued one at a time, and a subscription is created
    either before a page is queued (and gets its events) or after (and gets the events of the pages after it)."""
    return session.execute(select(intake.c.after_event).where(intake.c.id == 1).with_for_update()).scalar()


def move_intake(session, after_event, now):
    session.execute(update(intake).where(intake.c.id == 1).values(after_event=after_event, updated_at=now))


def queue(session, rows):
    """Queue deliveries; one already queued for the same subscription and event is left as it is."""
    if rows:
        session.execute(insert(d).values(rows).on_conflict_do_nothing(constraint="uq_deliveries_subscription_event"))


# -- sending ----------------------------------------------------------------------------------------------------

def claim_due(session, now, lease_seconds, limit):
    """Due deliveries of active subscriptions (at most `limit`), leased to this process until `now +
    lease_seconds(how many)` (a process that dies while sending leaves them to be claimed again when the lease
    ends), with each subscription's URL and secret."""
    due = (select(d.c.id).join(s, s.c.id == d.c.subscription_id)
           .where(d.c.status == "pending", d.c.next_attempt_at <= now, s.c.active)
           .order_by(d.c.next_attempt_at, d.c.seq).limit(limit).with_for_update(of=d, skip_locked=True))
    ids = list(session.execute(due).scalars())
    if not ids:
        return []
    session.execute(update(d).where(d.c.id.in_(ids)).values(
        next_attempt_at=now + timedelta(seconds=lease_seconds(len(ids)))))
    rows = session.execute(
        select(d.c.id, d.c.subscription_id, d.c.event_id, d.c.event_type, d.c.event, d.c.attempts, d.c.queued_at,
               s.c.url, s.c.secret).join(s, s.c.id == d.c.subscription_id).where(d.c.id.in_(ids))
        .order_by(d.c.seq))
    return [row._asdict() for row in rows]


def record_attempt(session, delivery_id, at, status_code, latency_ms, error, outcome):
    """Apply an attempt's outcome (`{"status", "next_attempt_at"}`) to the delivery and log the attempt; nothing
    when the delivery is gone meanwhile (its subscription was deleted)."""
    values = dict(outcome, attempts=d.c.attempts + 1, last_status_code=status_code, last_latency_ms=latency_ms,
                  last_error=error, last_attempt_at=at)
    if outcome["status"] == "delivered":
        values["delivered_at"] = at
    found = session.execute(update(d).where(d.c.id == delivery_id).values(**values).returning(d.c.id)).first()
    if found is not None:
        session.execute(a.insert().values(delivery_id=delivery_id, at=at, status_code=status_code,
                                          latency_ms=latency_ms, error=error))


def mark_success(session, subscription_id):
    session.execute(update(s).where(s.c.id == subscription_id).values(failing_since=None))


def mark_failure(session, subscription_id, at):
    """The subscription's failing-since moment after a failure at `at` (set by the first of a streak)."""
    session.execute(update(s).where(s.c.id == subscription_id, s.c.failing_since.is_(None))
                    .values(failing_since=at))
    return session.execute(select(s.c.failing_since, s.c.active).where(s.c.id == subscription_id)).first()


# -- the delivery log -------------------------------------------------------------------------------------------

LOG = [d.c.id, d.c.seq, d.c.event_id, d.c.event_type, d.c.status, d.c.attempts, d.c.queued_at, d.c.next_attempt_at,
       d.c.delivered_at, d.c.last_status_code, d.c.last_latency_ms, d.c.last_error, d.c.last_attempt_at]


def delivery_log(session, subscription_id, status=None, before_seq=None, limit=100):
    """Deliveries of a subscription, newest first."""
    conditions = [d.c.subscription_id == subscription_id]
    if status is not None:
        conditions.append(d.c.status == status)
    if before_seq is not None:
        conditions.append(d.c.seq < before_seq)
    query = select(*LOG).where(*conditions).order_by(d.c.seq.desc()).limit(limit)
    return [row._asdict() for row in session.execute(query)]


def delivery(session, subscription_id, delivery_id):
    row = session.execute(select(*LOG, d.c.event).where(d.c.id == delivery_id,
                                                       d.c.subscription_id == subscription_id)).first()
    return None if row is None else row._asdict()


def attempts_of(session, delivery_id):
    rows = session.execute(select(a.c.at, a.c.status_code, a.c.latency_ms, a.c.error)
                           .where(a.c.delivery_id == delivery_id).order_by(a.c.id))
    return [row._asdict() for row in rows]


def requeue(session, delivery_id, now):
    """Queue a delivery again from now on, with a fresh retry window."""
    session.execute(update(d).where(d.c.id == delivery_id).values(status="pending", next_attempt_at=now,
                                                                   queued_at=now))


def prune(session, before):
    """Forget settled deliveries (delivered or failed) queued before `before`, with their attempts; how many."""
    result = session.execute(delete(d).where(d.c.status.in_(("delivered", "failed")), d.c.queued_at < before))
    return result.rowcount


def counts(session, subscription_id):
    rows = session.execute(select(d.c.status, func.count()).where(d.c.subscription_id == subscription_id)
                           .group_by(d.c.status))
    return dict(rows.all())
