"""Reading and writing the paper CoC's print counts and per-entity layouts (SQL only)."""
from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert

from services.signing.models import certificates, paper_layouts, paper_prints


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
