"""Reading and writing validation reports (SQL only; no rules here)."""
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on, insert

from services.validation.models import inbox, validation_report_history, validation_reports

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
