"""Reading and writing the paper CoC's print counts, per-entity layouts and release print jobs (SQL only)."""
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from services.signing.models import certificates, paper_job_parts, paper_jobs, paper_layouts, paper_prints

ACTIVE = ("queued", "rendering")


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


def of_release(session, release_id, after_vin=None, upto_vin=None):
    """The certificates sealed by a release, document included, in VIN order: those after `after_vin` up to
    `upto_vin` (a part of a print job; None is open)."""
    statement = select(certificates).where(certificates.c.release_id == release_id)
    if after_vin is not None:
        statement = statement.where(certificates.c.vin > after_vin)
    if upto_vin is not None:
        statement = statement.where(certificates.c.vin <= upto_vin)
    return session.execute(statement.order_by(certificates.c.vin)).all()


def part_bounds(session, release_id, size):
    """A release's certificates cut into parts of `size` in VIN order: [(after_vin, upto_vin, count)], the first
    part's `after_vin` and the last one's `upto_vin` None (open)."""
    numbered = select(certificates.c.vin, func.row_number().over(order_by=certificates.c.vin).label("n")) \
        .where(certificates.c.release_id == release_id).subquery()
    total = session.execute(select(func.count()).select_from(numbered)).scalar_one()
    ends = session.execute(select(numbered.c.vin).where(numbered.c.n % size == 0, numbered.c.n < total)
                           .order_by(numbered.c.n)).scalars().all()
    bounds = [None, *ends, None]
    return [(bounds[i], bounds[i + 1], min(size, total - i * size)) for i in range(len(bounds) - 1)]


def release_summary(session, release_id):
    """(entity, number of certificates) a release sealed, or None when it sealed none."""
    row = session.execute(select(func.min(certificates.c.entity).label("entity"), func.count().label("count"))
                          .where(certificates.c.release_id == release_id)).first()
    return (row.entity, row.count) if row is not None and row.count else None


JOB_COLUMNS = [c for c in paper_jobs.c if c.name != "content"]


def add_job(session, parts, **values):
    """A queued job and its parts (`part_bounds`), numbered from 1 in VIN order."""
    session.execute(paper_jobs.insert().values(parts=len(parts), **values))
    session.execute(paper_job_parts.insert().values([
        {"job_id": values["id"], "part": number, "after_vin": after, "upto_vin": upto, "count": count,
         "status": "queued"} for number, (after, upto, count) in enumerate(parts, 1)]))


def job(session, job_id):
    """A print job without its file, with `parts_done` (its parts rendered so far), or None."""
    done = (select(func.count()).where(paper_job_parts.c.job_id == paper_jobs.c.id, paper_job_parts.c.status == "done")
            .scalar_subquery().label("parts_done"))
    return session.execute(select(*JOB_COLUMNS, done).where(paper_jobs.c.id == job_id)).first()


def locked_job(session, job_id):
    """The job, locked for putting it together, while it is queued or rendering; None when it is not, or when
    another process holds it."""
    return session.execute(select(*JOB_COLUMNS).where(paper_jobs.c.id == job_id, paper_jobs.c.status.in_(ACTIVE))
                           .with_for_update(skip_locked=True)).first()


def rendered_jobs(session):
    """Ids of the active jobs every part of which is rendered: left to put together by a process that stopped."""
    pending = select(paper_job_parts.c.job_id).where(paper_job_parts.c.job_id == paper_jobs.c.id,
                                                     paper_job_parts.c.status != "done")
    return session.execute(select(paper_jobs.c.id).where(paper_jobs.c.status.in_(ACTIVE), ~pending.exists())
                           .order_by(paper_jobs.c.requested_at)).scalars().all()


PART_JOB_COLUMNS = [paper_jobs.c[name] for name in ("release_id", "entity", "form", "requested_by", "parts")]


def claim_part(session, now, lost_base, lost_per_certificate):
    """Take the first part waiting to be rendered (oldest job first), or one whose renderer was lost (rendering
    for longer than `lost_base + lost_per_certificate * count` seconds): it becomes `rendering` here, with one more
    attempt, and its job `rendering` if it was queued. SKIP LOCKED lets every renderer of every signing process
    poll the same queue, each part going to one of them. The part with its job's columns, or None."""
    parts = paper_job_parts
    lost_at = parts.c.started_at + func.make_interval(0, 0, 0, 0, 0, 0,
                                                      lost_base + lost_per_certificate * parts.c.count)
    waiting = (select(parts.c.job_id, parts.c.part, *PART_JOB_COLUMNS)
               .join(paper_jobs, paper_jobs.c.id == parts.c.job_id)
               .where(paper_jobs.c.status.in_(ACTIVE),
                      or_(parts.c.status == "queued", and_(parts.c.status == "rendering", lost_at < now)))
               .order_by(paper_jobs.c.requested_at, parts.c.part).limit(1)
               .with_for_update(of=parts, skip_locked=True).subquery())
    row = session.execute(update(parts).where(parts.c.job_id == waiting.c.job_id, parts.c.part == waiting.c.part)
                          .values(status="rendering", started_at=now, attempts=parts.c.attempts + 1)
                          .returning(parts.c.job_id, parts.c.part, parts.c.after_vin, parts.c.upto_vin, parts.c.count,
                                     parts.c.attempts, *[waiting.c[c.name] for c in PART_JOB_COLUMNS])).first()
    if row is not None:
        session.execute(update(paper_jobs).where(paper_jobs.c.id == row.job_id, paper_jobs.c.status == "queued")
                        .values(status="rendering", started_at=now))
    return row


def _rendering(job_id, part, attempts):
    """The part while it is still this attempt's to render (a part reclaimed from a renderer thought lost is the
    new renderer's)."""
    c = paper_job_parts.c
    return update(paper_job_parts).where(c.job_id == job_id, c.part == part, c.status == "rendering",
                                         c.attempts == attempts)


def finish_part(session, job_id, part, attempts, content):
    """Keep a rendered part if it is still this attempt's; whether it was kept."""
    return session.execute(_rendering(job_id, part, attempts).values(status="done", content=content)).rowcount == 1


def requeue_part(session, job_id, part, attempts):
    session.execute(_rendering(job_id, part, attempts).values(status="queued", started_at=None))


def parts_left(session, job_id):
    return session.execute(select(func.count()).where(paper_job_parts.c.job_id == job_id,
                                                      paper_job_parts.c.status != "done")).scalar_one()


def part_contents(session, job_id):
    """The rendered parts' files, in part order."""
    return session.execute(select(paper_job_parts.c.content).where(paper_job_parts.c.job_id == job_id)
                           .order_by(paper_job_parts.c.part)).scalars().all()


def drop_parts(session, job_id):
    session.execute(delete(paper_job_parts).where(paper_job_parts.c.job_id == job_id))


def finish_job(session, job_id, content, sha256, at):
    session.execute(update(paper_jobs).where(paper_jobs.c.id == job_id).values(
        status="done", content=content, size=len(content), sha256=sha256, finished_at=at, reason=None))


def fail_job(session, job_id, reason, at):
    """Fail an active job (its parts dropped); whether it was active."""
    failed = session.execute(update(paper_jobs).where(paper_jobs.c.id == job_id, paper_jobs.c.status.in_(ACTIVE))
                             .values(status="failed", reason=reason, finished_at=at)).rowcount == 1
    drop_parts(session, job_id)
    return failed


def job_chunk(session, job_id, offset, length):
    """`length` bytes of a finished job's file from `offset` (1-based in SQL, 0-based here)."""
    return session.execute(select(func.substring(paper_jobs.c.content, offset + 1, length))
                           .where(paper_jobs.c.id == job_id)).scalar_one()
