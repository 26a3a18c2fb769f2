"""Reading and writing approvals and entities (SQL only; no rules here)."""
import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from common.outbox import utcnow
from services.approvals.domain.resolution import Approval, Revision
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
    revision_id = session.execute(approval_revisions.insert().values(
        approval_id=approval_id, revision=1, extension=number.extension, number=data["number"],
        issue_date=data["issue_date"], coc=data["coc"], reason="registration", created_at=now, created_by=actor,
    ).returning(approval_revisions.c.id)).scalar_one()
    session.execute(approval_versions.insert(), [
        {"revision_id": revision_id, "type": v["type"], "variant": v["variant"], "version": v["version"],
         "coc": v["coc"], "ranges": v["ranges"]}
        for v in data["versions"]
    ])
    return approval_id


def number_taken(session, base_number):
    return session.execute(select(approvals.c.id).where(approvals.c.base_number == base_number)).first() is not None


def load_approvals(session, where):
    """Approval aggregates (with every revision and version) matching a SQL condition."""
    rows = session.execute(select(approvals).where(where)).all()
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
            coc=r.coc, versions=by_revision.get(r.id, {}),
        ))
    return [
        Approval(
            id=a.id, number=a.number, entity=a.entity, approval_type=a.approval_type, provisional=a.provisional,
            category=a.category, stage_of_completion=a.stage_of_completion, status=a.status,
            withdrawn_on=a.withdrawn_on, revisions=by_approval.get(a.id, []),
        )
        for a in rows
    ]


def approval_dict(a):
    revisions = sorted(a.revisions, key=lambda r: r.revision)
    current = revisions[-1]
    return {
        "id": a.id, "number": current.number, "entity": a.entity, "approval_type": a.approval_type,
        "provisional": a.provisional, "category": a.category, "stage_of_completion": a.stage_of_completion,
        "status": a.status, "withdrawn_on": a.withdrawn_on.isoformat() if a.withdrawn_on else None,
        "revision": current.revision, "issue_date": current.issue_date.isoformat(), "coc": current.coc,
        "versions": [
            {"type": t, "variant": va, "version": ve, "coc": e["coc"], "ranges": e["ranges"]}
            for (t, va, ve), e in sorted(current.versions.items())
        ],
        "history": [
            {"revision": r.revision, "extension": r.extension, "number": r.number,
             "issue_date": r.issue_date.isoformat()}
            for r in revisions
        ],
    }
