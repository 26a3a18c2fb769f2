"""Reading and writing the paper CoC's print counts, per-entity layouts and release print jobs (SQL only)."""
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from services.signing.models import certificates, paper_jobs, paper_layouts, paper_prints


def layout(session, entity):
    """The entity's stored print settings ({} when it has none)."""
    row = session.execute(select(paper_layouts.c.settings).where(paper_layouts.c.entity == entity)).first()
    return dict(row.settings) if row is not None else {}


def put_layout(session, entity, settings, by, at):
    statement = insert(paper_layouts).values(entity=entity, settings=settings, updated_by=by, updated_at=at)
    session.execute(statement.on_conflict_do_update(
        index_elements=[paper_layouts.c.entity],
        set_={"settings": statement.excluded.settings, "updated_by": by, "updated_at": at}))


def record_prints(session, reference_ids, by, at):
    """Count one more print of each certificate; {reference_id: its print number} (1 = the original). The row
    locks taken by the upsert make concurrent prints of one certificate count one after the other."""
    if not reference_ids:
        return {}
    statement = insert(paper_prints).values([
        {"reference_id": r, "prints": 1, "last_printed_by": by, "last_printed_at": at} for r in reference_ids])
    rows = session.execute(statement.on_conflict_do_update(
        index_elements=[paper_prints.c.reference_id],
        set_={"prints": paper_prints.c.prints + 1, "last_printed_by": by, "last_printed_at": at},
    ).returning(paper_prints.c.reference_id, paper_prints.c.prints)).all()
    return {r.reference_id: r.prints for r in rows}


def version(session, vin, version_number):
    """The certificate of `vin` with this IviVersionNumber, document included, or None."""
    return session.execute(select(certificates).where(and_(
        certificates.c.vin == vin, certificates.c.version_number == version_number))).first()


def of_release(session, release_id):
    """The certificates sealed by a release, document included, in VIN order."""
    return session.execute(select(certificates).where(certificates.c.release_id == release_id)
                           .order_by(certificates.c.vin)).all()


def release_summary(session, release_id):
    """(entity, number of certificates) a release sealed, or None when it sealed none."""
    row = session.execute(select(func.min(certificates.c.entity).label("entity"), func.count().label("count"))
                          .where(certificates.c.release_id == release_id)).first()
    return (row.entity, row.count) if row is not None and row.count else None


JOB_COLUMNS = [c for c in paper_jobs.c if c.name != "content"]


def add_job(session, **values):
    session.execute(paper_jobs.insert().values(**values))


def job(session, job_id):
    """A print job without its file, or None."""
    return session.execute(select(*JOB_COLUMNS).where(paper_jobs.c.id == job_id)).first()


def claim_job(session, now, lost_base, lost_per_certificate):
    """Take the oldest job waiting to be rendered, or one whose renderer was lost (rendering for longer than
    `lost_base + lost_per_certificate * count` seconds): it becomes `rendering` here, with one more attempt.
    SKIP LOCKED lets every signing process poll the same queue, each job going to one of them."""
    lost_at = paper_jobs.c.started_at + func.make_interval(
        0, 0, 0, 0, 0, 0, lost_base + lost_per_certificate * paper_jobs.c.count)
    waiting = (select(paper_jobs.c.id)
               .where(or_(paper_jobs.c.status == "queued",
                          and_(paper_jobs.c.status == "rendering", lost_at < now)))
               .order_by(paper_jobs.c.requested_at).limit(1).with_for_update(skip_locked=True).scalar_subquery())
    return session.execute(update(paper_jobs).where(paper_jobs.c.id == waiting)
                           .values(status="rendering", started_at=now, attempts=paper_jobs.c.attempts + 1)
                           .returning(*JOB_COLUMNS)).first()


def finish_job(session, job_id, content, sha256, at):
    session.execute(update(paper_jobs).where(paper_jobs.c.id == job_id).values(
        status="done", content=content, size=len(content), sha256=sha256, finished_at=at, reason=None))


def requeue_job(session, job_id):
    session.execute(update(paper_jobs).where(and_(paper_jobs.c.id == job_id, paper_jobs.c.status == "rendering"))
                    .values(status="queued", started_at=None))


def fail_job(session, job_id, reason, at):
    session.execute(update(paper_jobs).where(paper_jobs.c.id == job_id).values(
        status="failed", reason=reason, finished_at=at))


def job_chunk(session, job_id, offset, length):
    """`length` bytes of a finished job's file from `offset` (1-based in SQL, 0-based here)."""
    return session.execute(select(func.substring(paper_jobs.c.content, offset + 1, length))
                           .where(paper_jobs.c.id == job_id)).scalar_one()
