"""Reading and writing approvals and entities (SQL only; no rules here)."""
import uuid

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert

from common.outbox import utcnow
from services.approvals.domain.model import Approval, Revision
from services.approvals.models import approval_revisions, approval_versions, approvals, entities


def entity_dict(row):
    return {
        "code": row.code, "legal_name": row.legal_name, "role": row.role, "address": row.address,
        "wmis": row.wmis, "signatories": row.signatories, "seal_certificate": row.seal_certificate,
        "revision": row.revision, "updated_at": row.updated_at.isoformat(),
    }


def get_entity(session, code):
    row = session.execute(select(entities).where(entities.c.code == code)).first()
    return entity_dict(row) if row else None


def list_entities(session, codes=None, limit=100, after=None):
    """Entities in code order, of `codes` only (None: all), after the code `after`; one more than `limit` tells
    there is a next page."""
    stmt = select(entities).order_by(entities.c.code)
    if codes is not None:
        stmt = stmt.where(entities.c.code.in_(list(codes)))
    if after is not None:
        stmt = stmt.where(entities.c.code > after)
    return [entity_dict(row) for row in session.execute(stmt.limit(limit + 1)).all()]


ENTITY_IDENTITY_LOCK = 0x65636F63  # one advisory lock serialises the writes that keep names and WMIs unique


def lock_entity_identities(session):
    """Until the transaction ends, no other writer checks or changes entity identities."""
    session.execute(select(func.pg_advisory_xact_lock(ENTITY_IDENTITY_LOCK)))


def other_identities(session, code):
    """The legal name and WMIs of every entity but `code`."""
    rows = session.execute(select(entities.c.legal_name, entities.c.wmis).where(entities.c.code != code))
    return [{"legal_name": r.legal_name, "wmis": r.wmis} for r in rows]


def put_entity(session, data, actor):
    values = dict(data, updated_at=utcnow(), updated_by=actor, revision=1)
    stmt = insert(entities).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["code"],
        set_={k: stmt.excluded[k] for k in values if k not in ("code", "revision")}
        | {"revision": entities.c.revision + 1},
    ).returning(entities)
    return entity_dict(session.execute(stmt).one())


def add_approval(session, data, number, actor):
    approval_id = str(uuid.uuid4())
    now = utcnow()
    session.execute(approvals.insert().values(
        id=approval_id, number=data["number"], base_number=number.base, entity=data["entity"],
        approval_type=data["approval_type"], provisional=data["provisional"], category=data["category"],
        stage_of_completion=data["stage_of_completion"], status="valid", revision=1,
        created_at=now, created_by=actor,
    ))
    _insert_revision(session, approval_id, Revision(
        revision=1, extension=number.extension, number=data["number"], issue_date=data["issue_date"],
        coc=data["coc"], reason="registration", created_at=now, created_by=actor,
        versions={(v["type"], v["variant"], v["version"]): {"coc": v["coc"], "ranges": v["ranges"]}
                  for v in data["versions"]},
    ))
    return approval_id


def add_revision(session, approval_id, revision):
    """Store an extension's revision and make it the approval's current number."""
    _insert_revision(session, approval_id, revision)
    session.execute(update(approvals).where(approvals.c.id == approval_id).values(
        number=revision.number, revision=revision.revision))


def rewrite_current_revision(session, approval_id, revision_number, coc, versions):
    """Replace the approval-level CoC and the versions of a stored revision (a version added from IVI)."""
    revision_id = session.execute(
        update(approval_revisions)
        .where(approval_revisions.c.approval_id == approval_id, approval_revisions.c.revision == revision_number)
        .values(coc=coc).returning(approval_revisions.c.id)
    ).scalar_one()
    stmt = insert(approval_versions).values(_version_rows(revision_id, versions))
    session.execute(stmt.on_conflict_do_update(
        index_elements=["revision_id", "type", "variant", "version"],
        set_={"coc": stmt.excluded.coc, "ranges": stmt.excluded.ranges}))


def save_withdrawal(session, approval):
    session.execute(update(approvals).where(approvals.c.id == approval.id).values(
        status=approval.status, withdrawn_on=approval.withdrawn_on, withdrawal_reason=approval.withdrawal_reason,
        withdrawn_at=approval.withdrawn_at, withdrawn_by=approval.withdrawn_by))


def _insert_revision(session, approval_id, revision):
    revision_id = session.execute(approval_revisions.insert().values(
        approval_id=approval_id, revision=revision.revision, extension=revision.extension, number=revision.number,
        issue_date=revision.issue_date, coc=revision.coc, reason=revision.reason,
        created_at=revision.created_at or utcnow(), created_by=revision.created_by,
    ).returning(approval_revisions.c.id)).scalar_one()
    session.execute(approval_versions.insert(), _version_rows(revision_id, revision.versions))


def _version_rows(revision_id, versions):
    return [{"revision_id": revision_id, "type": t, "variant": va, "version": ve, "coc": e["coc"],
             "ranges": e["ranges"]} for (t, va, ve), e in versions.items()]


def number_taken(session, entity, base_number):
    """Whether `entity` holds an approval with this base number (other entities' approvals are not looked at)."""
    return session.execute(select(approvals.c.id).where(
        approvals.c.entity == entity, approvals.c.base_number == base_number)).first() is not None


def load_approvals(session, where, for_update=False):
    """Approval aggregates (with every revision and version) matching a SQL condition; `for_update`
    locks their approvals rows until the transaction ends."""
    query = select(approvals).where(where)
    rows = session.execute(query.with_for_update() if for_update else query).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    revs = session.execute(select(approval_revisions).where(approval_revisions.c.approval_id.in_(ids))).all()
    vers = session.execute(
        select(approval_versions).where(approval_versions.c.revision_id.in_([r.id for r in revs]))
    ).all()
    by_revision = {}
    for v in vers:
        by_revision.setdefault(v.revision_id, {})[(v.type, v.variant, v.version)] = {
            "coc": v.coc, "ranges": v.ranges}
    by_approval = {}
    for r in revs:
        by_approval.setdefault(r.approval_id, []).append(Revision(
            revision=r.revision, extension=r.extension, number=r.number, issue_date=r.issue_date,
            coc=r.coc, versions=by_revision.get(r.id, {}), reason=r.reason, created_at=r.created_at,
            created_by=r.created_by,
        ))
    return [
        Approval(
            id=a.id, number=a.number, entity=a.entity, approval_type=a.approval_type, provisional=a.provisional,
            category=a.category, stage_of_completion=a.stage_of_completion, status=a.status,
            withdrawn_on=a.withdrawn_on, revisions=by_approval.get(a.id, []),
            withdrawal_reason=a.withdrawal_reason, withdrawn_at=a.withdrawn_at, withdrawn_by=a.withdrawn_by,
        )
        for a in rows
    ]


def load_approval(session, approval_id, for_update=False):
    found = load_approvals(session, approvals.c.id == approval_id, for_update)
    return found[0] if found else None


def load_by_base(session, entity, base_number, for_update=False):
    """The approval of `entity` with this base number, or None."""
    found = load_approvals(session, (approvals.c.entity == entity) & (approvals.c.base_number == base_number),
                           for_update)
    return found[0] if found else None


def load_by_references(session, references):
    """The approvals of the (entity, base number) pairs given, keyed by that pair."""
    if not references:
        return {}
    found = load_approvals(session, tuple_(approvals.c.entity, approvals.c.base_number).in_(list(references)))
    return {(a.entity, a.base_number): a for a in found}
