"""Reading and writing vehicles and releases (SQL only)."""
import uuid

from sqlalchemy import and_, select, update
from sqlalchemy.dialects.postgresql import insert

from common.ids import is_uuid
from common.outbox import utcnow
from services.vehicles.domain.revisions import diff, record_of
from services.vehicles.models import release_items, releases, vehicle_revisions, vehicles


CHUNK = 1000


def vehicle_dict(row):
    d = dict(row._mapping)
    d["production_date"] = d["production_date"].isoformat()
    for key in ("created_at", "updated_at"):
        d[key] = d[key].isoformat()
    return d


def load_vehicles(session, vins, for_update=False):
    stmt = select(vehicles).where(vehicles.c.vin.in_(list(vins)))
    if for_update:
        stmt = stmt.with_for_update()
    return {r.vin: vehicle_dict(r) for r in session.execute(stmt).all()}


def event_item(vehicle):
    """The vehicle as other services need it to judge or certify it."""
    return {k: vehicle[k] for k in ("vin", "revision", "entity", "approval_number", "type", "variant", "version",
                                    "production_date", "intended_country", "coc")}


def save_changes(session, changes, actor, reason):
    """Upsert changed vehicles as new revisions; returns the stored records (JSON-able)."""
    now = utcnow()
    rows, revision_rows, stored = [], [], []
    for _, data, current in changes:
        record = record_of(data)
        revision = (current["revision"] + 1) if current else 1
        rows.append(dict(record, vin=data["vin"], production_date=data["production_date"], status="draft",
                         revision=revision, last_editor=actor, findings=[], created_at=now, updated_at=now))
        stored.append(dict(record, vin=data["vin"], revision=revision, status="draft"))
        revision_rows.append({
            "vin": data["vin"], "revision": revision, "data": record,
            "diff": diff(record_of(current) if current else {}, record), "actor": actor, "reason": reason,
            "created_at": now,
        })
    for start in range(0, len(rows), CHUNK):  # PostgreSQL takes at most 65,535 parameters a statement
        stmt = insert(vehicles).values(rows[start:start + CHUNK])
        excluded = {k: stmt.excluded[k] for k in rows[0] if k not in ("vin", "created_at")}
        session.execute(stmt.on_conflict_do_update(index_elements=["vin"], set_=excluded))
    if revision_rows:
        session.execute(vehicle_revisions.insert(), revision_rows)
    return stored


def set_status(session, vins, status, **values):
    if vins:
        session.execute(update(vehicles).where(vehicles.c.vin.in_(list(vins)))
                        .values(status=status, updated_at=utcnow(), **values))


def history(session, vin):
    rows = session.execute(select(vehicle_revisions).where(vehicle_revisions.c.vin == vin)
                           .order_by(vehicle_revisions.c.revision)).all()
    return [{"revision": r.revision, "actor": r.actor, "reason": r.reason, "at": r.created_at.isoformat(),
             "diff": r.diff} for r in rows]


def list_vehicles(session, status=None, entity=None, approval_number=None, entities=None, limit=100, cursor=None):
    conditions = []
    if status:
        conditions.append(vehicles.c.status == status)
    if entity:
        conditions.append(vehicles.c.entity == entity)
    if approval_number:
        conditions.append(vehicles.c.approval_number == approval_number)
    if entities is not None and "*" not in entities:
        conditions.append(vehicles.c.entity.in_(entities))
    if cursor:
        conditions.append(vehicles.c.vin > cursor)
    stmt = select(vehicles).where(and_(True, *conditions)).order_by(vehicles.c.vin).limit(limit + 1)
    rows = [vehicle_dict(r) for r in session.execute(stmt).all()]
    next_cursor = rows[limit - 1]["vin"] if len(rows) > limit else None
    return rows[:limit], next_cursor


def status_counts(session, vins=None):
    from sqlalchemy import func

    stmt = select(vehicles.c.status, func.count()).group_by(vehicles.c.status)
    if vins is not None:
        stmt = stmt.where(vehicles.c.vin.in_(vins))
    return dict(session.execute(stmt).all())


def add_release(session, entity, admitted, note, actor):
    release_id = str(uuid.uuid4())
    session.execute(releases.insert().values(
        id=release_id, entity=entity, status="in_review", note=note, requested_by=actor, requested_at=utcnow()))
    session.execute(release_items.insert(), [
        {"release_id": release_id, "vin": v["vin"], "revision": v["revision"], "state": "in_review"}
        for v in admitted
    ])
    set_status(session, [v["vin"] for v in admitted], "in_review", release_id=release_id)
    return release_id


def load_release(session, release_id, for_update=False):
    if not is_uuid(release_id):
        return None
    stmt = select(releases).where(releases.c.id == release_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).first()
    if row is None:
        return None
    release = dict(row._mapping)
    items = session.execute(select(release_items).where(release_items.c.release_id == release_id)
                            .order_by(release_items.c.vin)).all()
    release["items"] = [dict(i._mapping) for i in items]
    return release


def update_release(session, release_id, **values):
    session.execute(update(releases).where(releases.c.id == release_id).values(**values))


def update_items(session, release_id, vins, **values):
    session.execute(update(release_items).where(
        and_(release_items.c.release_id == release_id, release_items.c.vin.in_(list(vins)))).values(**values))


def release_dict(release):
    counts = {}
    for item in release["items"]:
        counts[item["state"]] = counts.get(item["state"], 0) + 1
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in release.items() if k != "items"}
    out["counts"] = counts
    out["vehicles"] = [
        {"vin": i["vin"], "revision": i["revision"], "state": i["state"], "failure": i["failure"],
         "reference_id": i["reference_id"], "version_number": i["version_number"]}
        for i in release["items"]
    ]
    return out
