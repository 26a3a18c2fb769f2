"""Reading and writing scopes, legacy documents, compositions and parity results (SQL only; no rules here)."""
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from services.rollout.models import compositions, entity_scopes, legacy_documents, parity_results, scopes

SCOPE_FIELDS = ("id", "entity", "name", "selector", "mode", "revision", "cutover", "explanations", "created_at",
                "created_by", "updated_at", "updated_by")
LEGACY_SUMMARY = ("id", "entity", "vin", "format", "filename", "sha256", "reference_id", "version_number", "seal",
                  "conversion", "findings", "received_at", "received_by")


def lock_entity(session, entity):
    """Lock the entity's scope set (every save of one of its scopes takes this first); its new generation."""
    session.execute(insert(entity_scopes).values(entity=entity, generation=0).on_conflict_do_nothing())
    generation = session.execute(select(entity_scopes.c.generation).where(entity_scopes.c.entity == entity)
                                 .with_for_update()).scalar_one() + 1
    session.execute(update(entity_scopes).where(entity_scopes.c.entity == entity).values(generation=generation))
    return generation


def scopes_of(session, entity=None, entities=None):
    query = select(scopes).order_by(scopes.c.entity, scopes.c.name)
    if entity is not None:
        query = query.where(scopes.c.entity == entity)
    if entities is not None:
        query = query.where(scopes.c.entity.in_(entities))
    return [dict(r._mapping) for r in session.execute(query)]


def load_scope(session, scope_id, for_update=False):
    try:
        uuid.UUID(str(scope_id))
    except ValueError:
        return None
    query = select(scopes).where(scopes.c.id == str(scope_id))
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).first()
    return dict(row._mapping) if row else None


def add_scope(session, values):
    session.execute(scopes.insert().values(**values))


def update_scope(session, scope_id, **values):
    session.execute(update(scopes).where(scopes.c.id == scope_id).values(**values))


def name_taken(session, entity, name, other_than=None):
    query = select(scopes.c.id).where(scopes.c.entity == entity, scopes.c.name == name)
    if other_than is not None:
        query = query.where(scopes.c.id != other_than)
    return session.execute(query).first() is not None


def add_legacy(session, rows):
    """Insert legacy documents; a document already received for the entity (same SHA-256) is kept as it was.
    The ids of the rows inserted now."""
    if not rows:
        return set()
    stmt = insert(legacy_documents).values(rows).on_conflict_do_nothing(
        constraint="uq_legacy_entity_sha256").returning(legacy_documents.c.id)
    return {r.id for r in session.execute(stmt)}


def legacy_by_sha(session, entity, digests):
    query = select(*[legacy_documents.c[f] for f in LEGACY_SUMMARY]).where(
        legacy_documents.c.entity == entity, legacy_documents.c.sha256.in_(list(digests)))
    return {r.sha256: dict(r._mapping) for r in session.execute(query)}


def newest_legacy(session, vins):
    """Per VIN the legacy document parity compares: the highest version number, the newest received."""
    query = (select(legacy_documents.c.id, legacy_documents.c.vin, legacy_documents.c.entity, legacy_documents.c.coc,
                    legacy_documents.c.findings)
             .where(legacy_documents.c.vin.in_(list(vins)))
             .distinct(legacy_documents.c.vin)
             .order_by(legacy_documents.c.vin, legacy_documents.c.version_number.desc().nulls_last(),
                       legacy_documents.c.received_at.desc()))
    return {r.vin: dict(r._mapping) for r in session.execute(query)}


def legacy_of_vin(session, vin, entities=None):
    query = select(*[legacy_documents.c[f] for f in LEGACY_SUMMARY]).where(legacy_documents.c.vin == vin)
    if entities is not None:
        query = query.where(legacy_documents.c.entity.in_(entities))
    return [dict(r._mapping) for r in session.execute(query.order_by(legacy_documents.c.version_number.nulls_first(),
                                                                       legacy_documents.c.received_at))]


def legacy_document(session, legacy_id):
    try:
        uuid.UUID(str(legacy_id))
    except ValueError:
        return None
    row = session.execute(select(legacy_documents).where(legacy_documents.c.id == str(legacy_id))).first()
    return dict(row._mapping) if row else None


def set_findings(session, findings_by_id):
    for legacy_id, findings in findings_by_id.items():
        session.execute(update(legacy_documents).where(legacy_documents.c.id == legacy_id).values(findings=findings))


def store_compositions(session, rows):
    """Upsert ecoc's newest composition per VIN; an older revision never replaces a newer one."""
    if not rows:
        return
    stmt = insert(compositions).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[compositions.c.vin],
        set_={c: stmt.excluded[c] for c in ("entity", "revision", "subject", "content", "content_sha256", "problem",
                                            "shadow_seal", "composed_at")},
        where=compositions.c.revision <= stmt.excluded.revision)
    session.execute(stmt)


def set_shadow_seal(session, vin, revision, outcome):
    session.execute(update(compositions).where(compositions.c.vin == vin, compositions.c.revision == revision)
                    .values(shadow_seal=outcome))


def compositions_of(session, vins):
    query = select(compositions).where(compositions.c.vin.in_(list(vins)))
    return {r.vin: dict(r._mapping) for r in session.execute(query)}


def store_parity(session, rows):
    if not rows:
        return
    stmt = insert(parity_results).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[parity_results.c.vin],
        set_={c: stmt.excluded[c] for c in ("entity", "legacy_id", "composition_revision", "match", "differences",
                                            "computed_at")})
    session.execute(stmt)


def parity_of_entity(session, entity):
    """Every parity result of an entity with what scope selectors look at and the legacy findings."""
    query = (select(parity_results, compositions.c.subject, compositions.c.shadow_seal, legacy_documents.c.findings)
             .join(compositions, compositions.c.vin == parity_results.c.vin)
             .join(legacy_documents, legacy_documents.c.id == parity_results.c.legacy_id)
             .where(parity_results.c.entity == entity))
    return [dict(r._mapping) for r in session.execute(query)]


def legacy_counts(session, entity):
    return session.execute(select(func.count()).select_from(legacy_documents)
                           .where(legacy_documents.c.entity == entity)).scalar_one()
