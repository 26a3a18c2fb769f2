"""Reading and writing validation reports and the exceptions register (SQL only; no rules here)."""
from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on, insert

from services.validation.models import exceptions, inbox, validation_report_history, validation_reports

_STORED = ("vin", "revision", "entity", "status", "findings", "rule_pack", "approval_number", "approval_revision")


def store_reports(session, reports, validated_at, event_id=None):
    """Make each report the current one of its vin + revision and append it to the history."""
    latest = {}
    for report in reports:  # one row per vin + revision per statement: the last one wins
        latest[(report["vin"], report["revision"])] = report
    rows = [dict({k: r[k] for k in _STORED}, validated_at=validated_at, event_id=event_id)
            for _, r in sorted(latest.items())]  # one lock order for every batch: no deadlocks between them
    if not rows:
        return
    stmt = insert(validation_reports)
    stmt = stmt.on_conflict_do_update(
        constraint="uq_validation_reports_vin_revision",
        set_={c: stmt.excluded[c] for c in rows[0] if c not in ("vin", "revision")},
    )
    session.execute(stmt, rows)
    session.execute(validation_report_history.insert(), rows)


def latest_report(session, vin):
    """The report of the vehicle's newest judged revision, or None."""
    t = validation_reports
    row = session.execute(
        select(t).where(t.c.vin == vin).order_by(t.c.revision.desc()).limit(1)
    ).first()
    return _report(row) if row is not None else None


def latest_reports(session, vins):
    """{vin: report of its newest judged revision} for the VINs that have one."""
    t = validation_reports
    rows = session.execute(
        select(t).where(t.c.vin.in_(set(vins))).ext(distinct_on(t.c.vin)).order_by(t.c.vin, t.c.revision.desc())
    ).all()
    return {row.vin: _report(row) for row in rows}


def _report(row):
    """A stored report: what judged which vehicle revision against which approval revision, and the findings."""
    return {
        "vin": row.vin, "revision": row.revision, "entity": row.entity, "status": row.status,
        "findings": row.findings, "rule_pack": row.rule_pack, "approval_number": row.approval_number,
        "approval_revision": row.approval_revision, "validated_at": row.validated_at.isoformat(),
    }


def event_seen(session, event_id):
    return session.execute(select(inbox.c.event_id).where(inbox.c.event_id == event_id)).first() is not None


def report_history(session, vin):
    """Every report made on `vin` (replaced ones too), in the order they were made."""
    t = validation_report_history
    return [_report(row) for row in session.execute(select(t).where(t.c.vin == vin).order_by(t.c.id))]


# -- the exceptions register ---------------------------------------------------------------------

def add_exception(session, row):
    session.execute(exceptions.insert().values(**row))


def load_exception(session, exception_id, for_update=False):
    stmt = select(exceptions).where(exceptions.c.id == exception_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).first()
    return dict(row._mapping) if row is not None else None


def decide_exception(session, exception_id, decision, sub, note, at):
    session.execute(exceptions.update().where(exceptions.c.id == exception_id).values(
        decision=decision, decided_by=sub, decided_at=at, decision_note=note))


def list_exceptions(session, entities=None, entity=None, vin=None, limit=100, cursor=None, approval_number=None,
                    requested_before=None):
    """Exceptions, newest request first; `cursor` is the id of the last one of the previous page."""
    t = exceptions
    conditions = []
    if approval_number is not None:
        conditions.append(t.c.approval_number == approval_number)
    if requested_before is not None:
        conditions.append(t.c.requested_at <= requested_before)
    if entities is not None:
        conditions.append(t.c.entity.in_(entities))
    if entity is not None:
        conditions.append(t.c.entity == entity)
    if vin is not None:
        conditions.append(t.c.vin == vin)
    if cursor is not None:
        last = session.execute(select(t.c.requested_at, t.c.id).where(t.c.id == cursor)).first()
        if last is None:
            return None
        conditions.append(tuple_(t.c.requested_at, t.c.id) < tuple_(last.requested_at, last.id))
    rows = session.execute(select(t).where(and_(True, *conditions))
                           .order_by(t.c.requested_at.desc(), t.c.id.desc()).limit(limit + 1)).all()
    return [dict(r._mapping) for r in rows]


def exceptions_for(session, reports):
    """The accepted exceptions that may concern these reports (by VIN, or by approval number), any expiry."""
    t = exceptions
    vins = [r["vin"] for r in reports]
    numbers = {r["approval_number"] for r in reports if r.get("approval_number")}
    rows = session.execute(select(t).where(and_(t.c.decision == "accepted", or_(
        t.c.vin.in_(vins), t.c.approval_number.in_(numbers))))).all()
    return [dict(r._mapping) for r in rows]
