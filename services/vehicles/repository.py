"""Reading and writing vehicles and releases (SQL only)."""
import uuid
import zlib

from sqlalchemy import and_, delete, exists, func, literal, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert

from common.bulk_update import update_each
from common.ids import is_uuid
from common.outbox import utcnow
from services.vehicles.domain.impact import base_number
from services.vehicles.domain.revisions import diff, record_of
from services.vehicles.domain.stages import handed_on
from services.vehicles.models import (
    comments, ownership_rules, release_items, releases, rollout_scopes, teams, vehicle_revisions, vehicle_stages,
    vehicles, work_assignments,
)
from services.vehicles.overview import WAITING



def vehicle_dict(row):
    d = dict(row._mapping)
    d.pop("base_number", None)
    if d["production_date"] is not None:  # none where the CoC has no date of manufacture (L category)
        d["production_date"] = d["production_date"].isoformat()
    for key in ("created_at", "updated_at"):
        d[key] = d[key].isoformat()
    return d


def load_vehicles(session, vins, for_update=False):
    stmt = select(vehicles).where(vehicles.c.vin.in_(list(vins)))
    if for_update:  # every writer locks in VIN order, so two of them never wait for each other in a cycle
        stmt = stmt.order_by(vehicles.c.vin).with_for_update()
    return {r.vin: vehicle_dict(r) for r in session.execute(stmt).all()}


def event_items(session, found):
    """The vehicles as other services need them to judge or certify them, their entity's earlier stages included."""
    stages = load_stages(session, [(v["vin"], v["entity"]) for v in found])
    items = []
    for vehicle in found:
        item = {k: vehicle[k] for k in ("vin", "revision", "entity", "approval_number", "type", "variant", "version",
                                        "production_date", "intended_country", "coc")}
        if stages.get(vehicle["vin"]):
            item["previous_stages"] = handed_on(stages[vehicle["vin"]])
        items.append(item)
    return items


def save_changes(session, changes, actor, reason, edited=False):
    """Upsert changed vehicles as new revisions (draft, out of any release); returns the stored records.
    `edited`: the change is a PATCH or a correction (False: an import)."""
    now = utcnow()
    rows, revision_rows, stored = [], [], []
    for _, data, current in changes:
        record = record_of(data)
        revision = (current["revision"] + 1) if current else 1
        rows.append(dict(record, vin=data["vin"], production_date=data.get("production_date"), status="draft",
                         base_number=base_number(record["approval_number"]), release_id=None,
                         revision=revision, last_editor=actor, findings=[], judged_with=None, created_at=now,
                         updated_at=now, edited=edited))
        stored.append(dict(record, vin=data["vin"], revision=revision, status="draft"))
        revision_rows.append({
            "vin": data["vin"], "revision": revision, "data": record,
            "diff": diff(record_of(current) if current else {}, record), "actor": actor, "reason": reason,
            "created_at": now,
        })
    if rows:  # executemany: SQLAlchemy batches the rows into multi-row INSERTs ("insertmanyvalues")
        stmt = insert(vehicles)
        excluded = {k: stmt.excluded[k] for k in rows[0] if k not in ("vin", "created_at")}
        session.execute(stmt.on_conflict_do_update(index_elements=["vin"], set_=excluded), rows)
    if revision_rows:
        session.execute(vehicle_revisions.insert(), revision_rows)
    return stored


def set_status(session, vins, status, **values):
    """Move vehicles to `status`; the caller has checked the transition (`lifecycle.check_transition`)."""
    if vins:
        session.execute(update(vehicles).where(vehicles.c.vin.in_(list(vins)))
                        .values(status=status, updated_at=utcnow(), **values))
        _left_work(session, status, vins)


def set_status_each(session, status, rows):
    """Move vehicles to `status`, each with values of its own: `rows` are `{"vin": …, column: value, …}`,
    all with the same columns (one statement, `update_each`)."""
    update_each(session, vehicles, rows, status=status, updated_at=utcnow())
    _left_work(session, status, [r["vin"] for r in rows])


def _left_work(session, status, vins):
    """A vehicle that is no longer blocked has left the work list: its assignment ends (a correction keeps it
    while the vehicle is draft again, waiting for validation)."""
    if status not in ("blocked", "draft"):
        end_assignments(session, "vehicle", vins)


def withdraw(session, vehicle, withdrawal, actor, reason):
    """A status change recorded as a revision of its own: the data stays, the diff names the status."""
    revision = vehicle["revision"] + 1
    set_status(session, [vehicle["vin"]], "withdrawn", withdrawal=withdrawal, revision=revision, last_editor=actor)
    session.execute(vehicle_revisions.insert().values(
        vin=vehicle["vin"], revision=revision, data=record_of(vehicle), actor=actor, reason=reason,
        diff=[{"path": "status", "old": vehicle["status"], "new": "withdrawn"}], created_at=utcnow()))
    return revision


def with_base_number(session, base, statuses=None, entities=None, for_update=False):
    """Vehicles whose approval has this base number (optionally of these statuses / entities), by VIN."""
    stmt = select(vehicles).where(vehicles.c.base_number == base)
    if statuses is not None:
        stmt = stmt.where(vehicles.c.status.in_(list(statuses)))
    if entities is not None and "*" not in entities:
        stmt = stmt.where(vehicles.c.entity.in_(list(entities)))
    if for_update:
        stmt = stmt.with_for_update()
    return [vehicle_dict(r) for r in session.execute(stmt.order_by(vehicles.c.vin)).all()]


def statuses_with_base_number(session, base, entities=None):
    stmt = select(vehicles.c.vin, vehicles.c.status).where(vehicles.c.base_number == base)
    if entities is not None and "*" not in entities:
        stmt = stmt.where(vehicles.c.entity.in_(list(entities)))
    return [(r.vin, r.status) for r in session.execute(stmt.order_by(vehicles.c.vin)).all()]


# -- earlier stages of multi-stage vehicles -------------------------------------------------------------

def load_stages(session, owners):
    """{vin: [stage records]} of the (vin, entity) pairs `owners` that have earlier stages: a vehicle's earlier
    stages are those its own entity imported."""
    owners = set(owners)
    if not owners:
        return {}
    found = _stages_by_vin(session, select(vehicle_stages).where(  # flat INs: a row-value IN of 10,000 pairs
        vehicle_stages.c.vin.in_(sorted({vin for vin, _ in owners})),  # is too deep for PostgreSQL
        vehicle_stages.c.entity.in_(sorted({entity for _, entity in owners}))))
    owned = {vin: [s for s in stages if (vin, s["entity"]) in owners] for vin, stages in found.items()}
    return {vin: stages for vin, stages in owned.items() if stages}


def imported_stages(session, vin, entities=None):
    """The earlier stages of a VIN imported by these entities (None or `*`: any), whether or not a vehicle record
    holds them."""
    stmt = select(vehicle_stages).where(vehicle_stages.c.vin == vin)
    if entities is not None and "*" not in entities:
        stmt = stmt.where(vehicle_stages.c.entity.in_(list(entities)))
    return _stages_by_vin(session, stmt).get(vin, [])


def _stages_by_vin(session, stmt):
    out = {}
    for row in session.execute(stmt.order_by(vehicle_stages.c.vin, vehicle_stages.c.entity,
                                             vehicle_stages.c.stage)).all():
        stage = dict(row._mapping)
        stage["imported_at"] = stage["imported_at"].isoformat()
        out.setdefault(row.vin, []).append(stage)
    return out


# A stage import waits for an import that may be creating the VIN's record (and the other way round), so the stage
# is either on the record's first revision or attached to it as an edit, never on it unseen. VINs share
# ATTACH_LOCKS advisory locks: a bulk import holds at most that many, shared, so bulk imports never wait for
# each other.
ATTACH_LOCK_SPACE, ATTACH_LOCKS = 0x5354, 64


def hold_attach_locks(session, vins, exclusive=False):
    keys = sorted({zlib.crc32(vin.encode("utf-8", "surrogatepass")) % ATTACH_LOCKS for vin in vins})
    lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    if keys:
        session.execute(text(f"SELECT {lock}(:space, key) FROM unnest(CAST(:keys AS integer[])) AS key"),
                        {"space": ATTACH_LOCK_SPACE, "keys": keys})


def put_stage(session, stage, entity, header, actor):
    """Store a base vehicle's eCoC as stage `stage` of its VIN for `entity` (its later import replaces it)."""
    values = dict(stage, entity=entity, header=header, imported_at=utcnow(), imported_by=actor)
    stmt = insert(vehicle_stages).values(values)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["vin", "entity", "stage"],
        set_={k: stmt.excluded[k] for k in values if k not in ("vin", "entity", "stage")}))


def save_stage_revision(session, vehicle, changes, actor, reason):
    """An earlier stage attached to the vehicle is an edit: a revision of its own (the record's data stays, the
    diff names the stage) by `actor`, back to draft for validation. Returns the new revision."""
    revision = vehicle["revision"] + 1
    set_status(session, [vehicle["vin"]], "draft", revision=revision, last_editor=actor, findings=[])
    session.execute(vehicle_revisions.insert().values(
        vin=vehicle["vin"], revision=revision, data=record_of(vehicle), diff=changes, actor=actor, reason=reason,
        created_at=utcnow()))
    return revision


def history(session, vin):
    rows = session.execute(select(vehicle_revisions).where(vehicle_revisions.c.vin == vin)
                           .order_by(vehicle_revisions.c.revision)).all()
    return [{"revision": r.revision, "actor": r.actor, "reason": r.reason, "at": r.created_at.isoformat(),
             "diff": r.diff} for r in rows]


def list_vehicles(session, status=None, entity=None, approval_number=None, entities=None, limit=100, cursor=None,
                  updated_since=None, intended_country=None, updated_before=None):
    conditions = []
    if updated_since is not None:
        conditions.append(vehicles.c.updated_at >= updated_since)
    if updated_before is not None:
        conditions.append(vehicles.c.updated_at <= updated_before)
    if intended_country:
        conditions.append(vehicles.c.intended_country == intended_country)
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


PIN_COLUMNS = ("approval_id", "approval_number", "approval_revision", "rule_packs", "content", "content_sha256")
ITEM_FIELDS = ("vin", "revision", "state", "failure", "reopened_reason", "reference_id", "version_number",
               "approval_id", "approval_number", "approval_revision", "rule_packs", "content_sha256")


def add_release(session, entity, admitted, pins, note, actor):
    """A release in review of the admitted vehicles, each item with its pin (`domain.pinning.pin`)."""
    release_id = str(uuid.uuid4())
    session.execute(releases.insert().values(
        id=release_id, entity=entity, status="in_review", note=note, requested_by=actor, requested_at=utcnow()))
    session.execute(release_items.insert(), [
        dict({k: pin[k] for k in PIN_COLUMNS}, release_id=release_id, vin=v["vin"], revision=v["revision"],
             state="in_review")
        for v, pin in zip(admitted, pins, strict=True)
    ])
    set_status(session, [v["vin"] for v in admitted], "in_review", release_id=release_id)
    return release_id


def load_release(session, release_id, for_update=False, with_items=True):
    if not is_uuid(release_id):
        return None
    stmt = select(releases).where(releases.c.id == release_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).first()
    if row is None:
        return None
    release = dict(row._mapping)
    if with_items:  # the pinned content is read per item (`item_content`): a release may hold thousands
        items = session.execute(select(*[release_items.c[k] for k in ITEM_FIELDS])
                                .where(release_items.c.release_id == release_id).order_by(release_items.c.vin)).all()
        release["items"] = [dict(i._mapping) for i in items]
    return release


def items_after(session, release_id, after, limit):
    """Up to `limit` items of a release in VIN order, after the VIN `after` (None: from the first)."""
    query = select(*[release_items.c[k] for k in ITEM_FIELDS]).where(release_items.c.release_id == release_id)
    if after is not None:
        query = query.where(release_items.c.vin > after)
    return [dict(i._mapping) for i in session.execute(query.order_by(release_items.c.vin).limit(limit))]


def item_states(session, release_id):
    """{state: number of the release's vehicles in it}."""
    return dict(session.execute(select(release_items.c.state, func.count()).where(
        release_items.c.release_id == release_id).group_by(release_items.c.state)).all())


def update_release(session, release_id, **values):
    session.execute(update(releases).where(releases.c.id == release_id).values(**values))
    if "status" in values:  # reviewed, signed, rejected...: what it waited for is done, and so is its assignment
        end_assignments(session, "release", [release_id])


def update_items(session, release_id, vins, **values):
    session.execute(update(release_items).where(
        and_(release_items.c.release_id == release_id, release_items.c.vin.in_(list(vins)))).values(**values))


def update_items_each(session, release_id, rows, **values):
    """Release items with `values`, each also with values of its own (`rows` as in `set_status_each`)."""
    update_each(session, release_items, rows, release_items.c.release_id == release_id, **values)


def release_dict(release, counts=None):
    """The release as answered: `counts` of its vehicles per state (counted from its items unless given)."""
    if counts is None:
        counts = {}
        for item in release["items"]:
            counts[item["state"]] = counts.get(item["state"], 0) + 1
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in release.items() if k != "items"}
    out["counts"] = counts
    out["vehicles"] = [{k: i[k] for k in ITEM_FIELDS} for i in release["items"]]
    return out


def item_content(session, release_id, vin):
    """A release item with the content its reviewers saw, or None."""
    if not is_uuid(release_id):
        return None
    row = session.execute(select(*[release_items.c[k] for k in ITEM_FIELDS], release_items.c.content).where(
        and_(release_items.c.release_id == release_id, release_items.c.vin == vin))).first()
    return dict(row._mapping) if row is not None else None


def items_of(session, vehicles_in_releases):
    """The release items of vehicles that are in a release (their `release_id`), by VIN."""
    pairs = [(v["release_id"], v["vin"]) for v in vehicles_in_releases if v.get("release_id")]
    if not pairs:
        return {}
    rows = session.execute(select(release_items).where(
        tuple_(release_items.c.release_id, release_items.c.vin).in_(pairs))).all()
    return {r.vin: dict(r._mapping) for r in rows}


def being_signed(session, found):
    """The VINs of `found` whose release item is being signed."""
    approved = [v for v in found if v["status"] == "approved"]
    return {vin for vin, item in items_of(session, approved).items() if item["state"] == "signing"}


def reopen_items(session, release_id, vins, reason):
    """The items leave their release (`reopened`, with the reason); their vehicles belong to no release."""
    update_items(session, release_id, vins, state="reopened", reopened_reason=reason)
    session.execute(update(vehicles).where(vehicles.c.vin.in_(list(vins))).values(release_id=None))


def store_rollout_scopes(session, entity, generation, scopes):
    """Keep the entity's scope set of a `scope_changed` event unless a newer generation is already kept."""
    stmt = insert(rollout_scopes).values(entity=entity, generation=generation, scopes=scopes)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[rollout_scopes.c.entity], set_={"generation": stmt.excluded.generation,
                                                        "scopes": stmt.excluded.scopes},
        where=rollout_scopes.c.generation < stmt.excluded.generation))


def item_categories(session, release_id):
    """{vin: VehicleCategory of the content its release item pinned} (what a rollout category selector reads)."""
    rows = session.execute(select(release_items.c.vin, release_items.c.content["VehicleCategory"].astext)
                           .where(release_items.c.release_id == release_id))
    return dict(rows.all())


def rollout_scopes_of(session, entities):
    """entity -> its rollout scopes (an entity without any has none: every vehicle of it is in the live default)."""
    rows = session.execute(select(rollout_scopes.c.entity, rollout_scopes.c.scopes)
                           .where(rollout_scopes.c.entity.in_(list(entities))))
    return {r.entity: r.scopes for r in rows}


def vehicle_states(session, vins, entities=None):
    """{vin: {status, revision, certificate}} of the VINs of these entities (None or `*`: any) that exist."""
    stmt = select(vehicles.c.vin, vehicles.c.status, vehicles.c.revision, vehicles.c.certificate).where(
        vehicles.c.vin.in_(list(vins)))
    if entities is not None and "*" not in entities:
        stmt = stmt.where(vehicles.c.entity.in_(list(entities)))
    return {r.vin: {"status": r.status, "revision": r.revision, "certificate": r.certificate}
            for r in session.execute(stmt).all()}


def list_releases(session, status=None, entity=None, requested_by=None, since=None, entities=None, limit=100,
                  after=None, intended_country=None, approval_number=None, requested_before=None):
    """Releases in request order (`requested_at`, then id), after the `(requested_at, id)` of `after`; one more
    than `limit` tells there is a next page. `intended_country`, `approval_number`: releases holding a vehicle
    with it (the approval number as the vehicle names it or as its item pinned it)."""
    conditions = []
    for column, value in ((releases.c.status, status), (releases.c.entity, entity),
                          (releases.c.requested_by, requested_by)):
        if value is not None:
            conditions.append(column == value)
    if since is not None:
        conditions.append(releases.c.requested_at >= since)
    if requested_before is not None:
        conditions.append(releases.c.requested_at <= requested_before)
    if intended_country or approval_number:
        holding = [release_items.c.release_id == releases.c.id]
        if intended_country:
            holding.append(vehicles.c.intended_country == intended_country)
        if approval_number:
            holding.append(or_(vehicles.c.approval_number == approval_number,
                               release_items.c.approval_number == approval_number))
        conditions.append(exists(select(literal(1)).select_from(
            release_items.join(vehicles, vehicles.c.vin == release_items.c.vin)).where(*holding)))
    if entities is not None and "*" not in entities:
        conditions.append(releases.c.entity.in_(list(entities)))
    if after is not None:
        at, release_id = after  # typed, so PostgreSQL compares a uuid with a uuid
        conditions.append(tuple_(releases.c.requested_at, releases.c.id) > tuple_(
            literal(at, releases.c.requested_at.type), literal(release_id, releases.c.id.type)))
    stmt = select(releases).where(and_(True, *conditions)).order_by(releases.c.requested_at, releases.c.id)
    return [dict(r._mapping) for r in session.execute(stmt.limit(limit + 1)).all()]


def release_counts(session, release_ids):
    """{release_id: {state: number of its vehicles}}."""
    counts = {}
    rows = session.execute(select(release_items.c.release_id, release_items.c.state, func.count()).where(
        release_items.c.release_id.in_(list(release_ids))).group_by(release_items.c.release_id, release_items.c.state))
    for release_id, state, count in rows.all():
        counts.setdefault(release_id, {})[state] = count
    return counts


def ever_in_release(session, vin):
    return session.execute(select(release_items.c.vin).where(release_items.c.vin == vin).limit(1)).first() is not None


def delete_vehicle(session, vin):
    """The vehicle record and its revisions (its earlier stages are imports of their own and stay)."""
    session.execute(delete(vehicle_revisions).where(vehicle_revisions.c.vin == vin))
    session.execute(delete(vehicles).where(vehicles.c.vin == vin))
    end_assignments(session, "vehicle", [vin])


def add_comment(session, entity, author, body, vin=None, release_id=None):
    """A new comment on a vehicle or a release: {id, vin, release_id, author, body, created_at}."""
    row = {"id": str(uuid.uuid4()), "entity": entity, "vin": vin, "release_id": release_id, "author": author,
           "body": body, "created_at": utcnow()}
    session.execute(comments.insert().values(**row))
    return comment_dict(row)


def comments_of(session, vin=None, release_id=None):
    """The comments on a vehicle or a release, oldest first."""
    column, value = (comments.c.vin, vin) if vin is not None else (comments.c.release_id, release_id)
    rows = session.execute(select(comments).where(column == value).order_by(comments.c.created_at, comments.c.id))
    return [comment_dict(r._mapping) for r in rows]


def comment_dict(row):
    return {"id": row["id"], "vin": row["vin"], "release_id": row["release_id"], "author": row["author"],
            "body": row["body"], "created_at": row["created_at"].isoformat()}


# -- teams, ownership rules and the work they own -----------------------------------------------------

def save_team(session, entity, name, members, groups, actor):
    """Create the entity's team `name`, or replace its members (and its groups, unless `groups` is None): the
    team's row."""
    stmt = insert(teams).values(id=str(uuid.uuid4()), entity=entity, name=name, members=members,
                                groups=groups or [], updated_by=actor, updated_at=utcnow())
    replaced = {"members": stmt.excluded.members, "updated_by": stmt.excluded.updated_by,
                "updated_at": stmt.excluded.updated_at}
    if groups is not None:
        replaced["groups"] = stmt.excluded.groups
    session.execute(stmt.on_conflict_do_update(constraint="uq_teams_entity_name", set_=replaced))
    return team_of(session, entity, name)


def team_by_id(session, team_id, entities, for_update=False):
    """The team, when it is one of `entities` (None: any); else None."""
    if not is_uuid(team_id):
        return None
    stmt = select(teams).where(teams.c.id == team_id)
    if entities is not None:
        stmt = stmt.where(teams.c.entity.in_(entities))
    row = session.execute(stmt.with_for_update() if for_update else stmt).first()
    return _team(row._mapping) if row is not None else None


def update_team(session, team_id, members, groups, actor):
    session.execute(update(teams).where(teams.c.id == team_id).values(
        members=members, groups=groups, updated_by=actor, updated_at=utcnow()))


def team_of(session, entity, name):
    row = session.execute(select(teams).where(and_(teams.c.entity == entity, teams.c.name == name))).first()
    return _team(row._mapping) if row is not None else None


def teams_of(session, entities):
    stmt = select(teams).order_by(teams.c.entity, teams.c.name)
    if entities is not None:
        stmt = stmt.where(teams.c.entity.in_(entities))
    return [_team(r._mapping) for r in session.execute(stmt).all()]


def _team(row):
    return {"id": row["id"], "entity": row["entity"], "name": row["name"], "members": list(row["members"]),
            "groups": list(row["groups"]), "updated_by": row["updated_by"], "updated_at": row["updated_at"].isoformat()}


def add_ownership_rule(session, entity, team_id, field, pattern, position, actor):
    row = {"id": str(uuid.uuid4()), "entity": entity, "team_id": team_id, "field": field, "pattern": pattern,
           "position": position, "created_by": actor, "created_at": utcnow()}
    session.execute(ownership_rules.insert().values(**row))
    return row


def ownership_rules_of(session, entities):
    stmt = select(ownership_rules).order_by(ownership_rules.c.entity, ownership_rules.c.position,
                                            ownership_rules.c.created_at)
    if entities is not None:
        stmt = stmt.where(ownership_rules.c.entity.in_(entities))
    return [dict(r._mapping) for r in session.execute(stmt).all()]


def ownership_rule_by_id(session, rule_id, entities):
    if not is_uuid(rule_id):
        return None
    stmt = select(ownership_rules).where(ownership_rules.c.id == rule_id)
    if entities is not None:
        stmt = stmt.where(ownership_rules.c.entity.in_(entities))
    row = session.execute(stmt).first()
    return dict(row._mapping) if row is not None else None


def delete_ownership_rule(session, rule_id):
    session.execute(delete(ownership_rules).where(ownership_rules.c.id == rule_id))


def assignments_of(session, kind, item_ids):
    """{item id: its assignment row} of these work items of one kind."""
    if not item_ids:
        return {}
    rows = session.execute(select(work_assignments).where(and_(
        work_assignments.c.kind == kind, work_assignments.c.item_id.in_(list(item_ids))))).all()
    return {r.item_id: dict(r._mapping) for r in rows}


def assign(session, kind, item_id, entity, assignee, actor):
    row = {"kind": kind, "item_id": item_id, "entity": entity, "assignee": assignee, "assigned_by": actor,
           "assigned_at": utcnow()}
    stmt = insert(work_assignments).values(**row)
    session.execute(stmt.on_conflict_do_update(index_elements=["kind", "item_id"], set_={
        k: stmt.excluded[k] for k in ("assignee", "assigned_by", "assigned_at")}))
    return row


def end_assignments(session, kind, item_ids):
    """The assignments of these items end (unassigned, or the items left the work list): the rows that were."""
    if not item_ids:
        return []
    rows = session.execute(delete(work_assignments).where(and_(
        work_assignments.c.kind == kind, work_assignments.c.item_id.in_(list(item_ids))))
        .returning(*work_assignments.c)).all()
    return [dict(r._mapping) for r in rows]


WORK_FIELDS = ("vin", "entity", "approval_number", "type", "variant", "intended_country", "updated_at")


def _after(since, item_id, kind, after):
    """The condition "after the work list's position `after`": the list is ordered by (since, kind, id), so a
    position of the other kind compares by time alone (`release` sorts before `vehicle` at the same instant)."""
    at, after_kind, after_id = after
    at = literal(at, since.type)
    if after_kind == kind:  # typed, so PostgreSQL compares a uuid with a uuid
        return tuple_(since, item_id) > tuple_(at, literal(after_id, item_id.type))
    return since >= at if after_kind < kind else since > at


def blocked_work(session, entities, limit, after=None, intended_country=None, approval_number=None, before=None):
    """Blocked vehicles, longest blocked first (the time of their last change is when they were blocked), after the
    work list's position `after` (since, kind, id); `before`: blocked at or before that time."""
    stmt = (select(*[vehicles.c[k] for k in WORK_FIELDS]).where(vehicles.c.status == "blocked")
            .order_by(vehicles.c.updated_at, vehicles.c.vin).limit(limit))
    if after is not None:
        stmt = stmt.where(_after(vehicles.c.updated_at, vehicles.c.vin, "vehicle", after))
    if entities is not None:
        stmt = stmt.where(vehicles.c.entity.in_(entities))
    if intended_country:
        stmt = stmt.where(vehicles.c.intended_country == intended_country)
    if approval_number:
        stmt = stmt.where(vehicles.c.approval_number == approval_number)
    if before is not None:
        stmt = stmt.where(vehicles.c.updated_at <= before)
    return [dict(r._mapping) for r in session.execute(stmt).all()]


def waiting_work(session, entities, limit, after=None, intended_country=None, approval_number=None, before=None):
    """Releases waiting for review or signing (with a vehicle still waiting in them), longest waiting first: since
    their review, or their request when not reviewed yet; after the work list's position `after` (since, kind, id).
    `intended_country`: holding a waiting vehicle for it; `approval_number`: its first vehicle (by VIN, the one
    that decides its owner) has it; `before`: waiting since that time or longer."""
    since = func.coalesce(releases.c.reviewed_at, releases.c.requested_at)
    waiting = [release_items.c.release_id == releases.c.id, release_items.c.state.in_(list(WAITING))]
    conditions = [releases.c.status.in_(list(WAITING)), exists(select(literal(1)).where(*waiting))]
    if entities is not None:
        conditions.append(releases.c.entity.in_(entities))
    if intended_country:
        conditions.append(exists(select(literal(1)).select_from(
            release_items.join(vehicles, vehicles.c.vin == release_items.c.vin)).where(
            *waiting, vehicles.c.intended_country == intended_country)))
    if approval_number:
        first = (select(func.min(release_items.c.vin)).where(release_items.c.release_id == releases.c.id)
                 .correlate(releases).scalar_subquery())  # two levels down: named, or it reads every release
        conditions.append(exists(select(literal(1)).where(vehicles.c.vin == first,
                                                          vehicles.c.approval_number == approval_number)))
    if before is not None:
        conditions.append(since <= before)
    if after is not None:
        conditions.append(_after(since, releases.c.id, "release", after))
    stmt = (select(releases.c.id, releases.c.entity, releases.c.status, since.label("since"))
            .where(and_(*conditions)).order_by(since, releases.c.id).limit(limit))
    return [dict(r._mapping) for r in session.execute(stmt).all()]


def blocked_vehicle(session, vin, entities):
    """The blocked vehicle `vin` of `entities` (None: any) with the fields ownership rules read, or None."""
    stmt = select(*[vehicles.c[k] for k in WORK_FIELDS]).where(and_(vehicles.c.vin == vin,
                                                                   vehicles.c.status == "blocked"))
    if entities is not None:
        stmt = stmt.where(vehicles.c.entity.in_(entities))
    row = session.execute(stmt).first()
    return dict(row._mapping) if row is not None else None


def first_vehicles_of(session, release_ids):
    """{release id: the release's first vehicle (by VIN), with the fields ownership rules read}."""
    if not release_ids:
        return {}
    first = (select(release_items.c.release_id, func.min(release_items.c.vin).label("vin"))
             .where(release_items.c.release_id.in_(release_ids)).group_by(release_items.c.release_id).subquery())
    rows = session.execute(select(first.c.release_id, *[vehicles.c[k] for k in WORK_FIELDS])
                           .join(vehicles, vehicles.c.vin == first.c.vin)).all()
    return {r.release_id: {k: r._mapping[k] for k in WORK_FIELDS} for r in rows}
