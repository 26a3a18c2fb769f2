"""What the dashboard shows of vehicles and releases, read in a few grouped queries (SQL only).

Every query takes the caller's entities (None or containing "*": all) and the optional entity / intended
country filters."""
from sqlalchemy import and_, func, select

from services.vehicles.models import release_items, releases, vehicles

WAITING = {"in_review": "review", "approved": "signing"}  # release status -> what it waits for


def _scope(entities, entity, country):
    conditions = []
    if entities is not None and "*" not in entities:
        conditions.append(vehicles.c.entity.in_(list(entities)))
    if entity:
        conditions.append(vehicles.c.entity == entity)
    if country:
        conditions.append(vehicles.c.intended_country == country)
    return and_(True, *conditions)


def counts(session, entities, entity=None, country=None):
    """[(entity, intended_country, status, count)], one grouped query."""
    stmt = (select(vehicles.c.entity, vehicles.c.intended_country, vehicles.c.status, func.count())
            .where(_scope(entities, entity, country))
            .group_by(vehicles.c.entity, vehicles.c.intended_country, vehicles.c.status)
            .order_by(vehicles.c.entity, vehicles.c.intended_country, vehicles.c.status))
    return [tuple(r) for r in session.execute(stmt).all()]


def blocked(session, entities, entity=None, country=None, per_entity=20):
    """The most recently judged blocked vehicles, at most `per_entity` of each entity, with their findings."""
    rank = func.row_number().over(partition_by=vehicles.c.entity,
                                  order_by=(vehicles.c.updated_at.desc(), vehicles.c.vin)).label("rank")
    inner = (select(vehicles.c.vin, vehicles.c.entity, vehicles.c.intended_country, vehicles.c.revision,
                    vehicles.c.approval_number, vehicles.c.findings, vehicles.c.updated_at, rank)
             .where(and_(vehicles.c.status == "blocked", _scope(entities, entity, country))).subquery())
    stmt = select(inner).where(inner.c.rank <= per_entity).order_by(inner.c.entity, inner.c.rank)
    return [dict(r._mapping) for r in session.execute(stmt).all()]


def waiting_releases(session, entities, entity=None, country=None):
    """Releases waiting for review (in_review) or for signing (approved), with their vehicle count and the
    intended countries of their vehicles; with `country`, only releases holding a vehicle for it."""
    stmt = (select(releases.c.id, releases.c.entity, releases.c.status, releases.c.note, releases.c.requested_by,
                   releases.c.requested_at, releases.c.reviewed_by, releases.c.reviewed_at,
                   func.count(release_items.c.vin).label("vehicles"),
                   func.array_agg(func.distinct(vehicles.c.intended_country)).label("countries"))
            .select_from(releases.join(release_items, release_items.c.release_id == releases.c.id)
                         .join(vehicles, vehicles.c.vin == release_items.c.vin))
            .where(and_(releases.c.status.in_(list(WAITING)), release_items.c.state.in_(list(WAITING)),
                        _scope(entities, entity, None)))  # items a change reopened left the release
            .group_by(releases.c.id)
            .order_by(releases.c.requested_at))
    rows = [dict(r._mapping) for r in session.execute(stmt).all()]
    for row in rows:  # a vehicle may name no country (optional in IVI 2.0)
        row["countries"] = sorted(c for c in row["countries"] if c)
    return [r for r in rows if not country or country in r["countries"]]
